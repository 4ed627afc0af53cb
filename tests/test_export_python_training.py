"""The Python export is a module to keep developing: switched to training mode it computes what the studio's model
computes in training (dropout between layers, dropout blocks and recurrent weight dropout included), with the same
random numbers, outputs and gradients alike."""
from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from engine import Graph, compile_graph
from engine.document import Document, load_document, save_document
from engine.export import export_model
from engine.export.python_code import import_file


def regularised_graph() -> Graph:
    """Every recurrent kind with weight drop (a bidirectional GRU, a stacked LSTM with dropout between its layers,
    a ReLU RNN) and a dropout block."""
    g = Graph()
    x = g.add_node("feature_input", "x", {"features": 3})
    bi = g.add_node("bidirectional", "bi", {"cell": "gru", "hidden_size": 6, "merge": "sum", "weight_drop": 0.4})
    stack = g.add_node("lstm", "stack", {"hidden_size": 5, "layers": 2, "dropout": 0.3, "weight_drop": 0.25})
    relu = g.add_node("rnn", "relu", {"hidden_size": 4, "nonlinearity": "relu", "weight_drop": 0.5})
    drop = g.add_node("dropout", "drop", {"rate": 0.2})
    dense = g.add_node("dense", "dense", {"units": 2})
    head = g.add_node("regression_head", "y")
    g.connect(x.id, "sequence", bi.id, "input")
    g.connect(bi.id, "sequence", stack.id, "input")
    g.connect(stack.id, "sequence", relu.id, "input")
    g.connect(relu.id, "last", drop.id, "input")
    g.connect(drop.id, "output", dense.id, "input")
    g.connect(dense.id, "output", head.id, "input")
    return g


@pytest.fixture
def exported(tmp_path):
    path = tmp_path / "regularised.json"
    save_document(Document(regularised_graph(), "weight drop everywhere"), path)
    torch.manual_seed(0)
    studio = compile_graph(load_document(path).graph)
    save_file({k: v.contiguous() for k, v in studio.module.state_dict().items()}, str(tmp_path / "w.safetensors"))
    report = export_model(load_document(path), tmp_path / "w.safetensors", "python", tmp_path / "regularised.py")
    assert report.ok, report.summary()
    return studio.module, import_file(tmp_path / "regularised.py").load_model()


def test_the_generated_blocks_keep_their_weight_drop(exported):
    studio, generated = exported
    for name in ("bi", "stack", "relu"):
        assert getattr(generated, name).weight_drop == getattr(studio, name).weight_drop > 0


def test_in_training_mode_the_python_export_equals_the_studio_model_with_the_same_seed(exported):
    studio, generated = exported
    studio.train()
    generated.train()
    x, lengths = torch.randn(4, 7, 3, generator=torch.Generator().manual_seed(1)), torch.tensor([7, 2, 5, 1])
    outputs = []
    for model in (studio, generated):
        torch.manual_seed(3)
        out = model(x, lengths)
        grads = torch.autograd.grad(out.square().sum(), [p for _, p in sorted(model.named_parameters())])
        outputs.append((out.detach(), grads))
    (want, want_grads), (got, got_grads) = outputs
    assert torch.equal(got, want)
    for a, b in zip(got_grads, want_grads):
        assert torch.equal(a, b)
    torch.manual_seed(4)
    assert not torch.equal(generated(x, lengths), want)  # training mode really drops (another seed, other output)
