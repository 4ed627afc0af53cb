"""The compiler: every example compiles to a readable fx module that TorchScript runs identically.

Also the forward signature, head order, block ids on fx nodes and the retrievable attention weights.
"""
from __future__ import annotations

import operator
from pathlib import Path

import pytest
import torch

from engine import CompileError, Graph, TensorKind, compile_graph
from engine.document import load_document

pytestmark = [pytest.mark.filterwarnings("ignore:The TorchScript type system doesn.t support instance-level"),
              pytest.mark.filterwarnings("ignore:`torch.jit.script` is deprecated")]

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


def batch_for(model, batch=3, seed=0):
    """Random inputs and lengths for every model input (each input its own length; padding included)."""
    gen = torch.Generator().manual_seed(seed)
    inputs, lengths = {}, {}
    for i, spec in enumerate(model.inputs):
        steps = 7 + 2 * i
        if spec.kind is TensorKind.TOKENS:
            inputs[spec.name] = torch.randint(1, spec.vocab, (batch, steps), generator=gen)
        else:
            inputs[spec.name] = torch.randn(batch, steps, spec.features, generator=gen)
        lengths[spec.name] = torch.tensor([steps] + [int(n) for n in torch.randint(1, steps, (batch - 1,),
                                                                                   generator=gen)])
    return inputs, lengths


def positional(model, inputs, lengths):
    return [t for spec in model.inputs for t in (inputs[spec.name], lengths[spec.name])]


@pytest.fixture(scope="module")
def compiled_examples():
    torch.manual_seed(0)
    return {path.stem: compile_graph(load_document(path).graph) for path in EXAMPLES}


def test_the_examples_are_all_there():
    assert {p.stem for p in EXAMPLES} >= {"sentiment", "names", "forecast", "charlm", "seq2seq", "adding_lstm",
                                          "adding_rnn"}


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_example_scripts_and_scripted_equals_eager(compiled_examples, name):
    model = compiled_examples[name]
    model.module.eval()
    inputs, lengths = batch_for(model)
    args = positional(model, inputs, lengths)
    eager = model.call(inputs, lengths)
    scripted = torch.jit.script(model.module)
    out = scripted(*args)
    out = [out] if len(model.heads) == 1 else list(out)
    assert len(out) == len(eager) == len(model.heads)
    for got, want in zip(out, eager):
        torch.testing.assert_close(got, want)
        assert torch.isfinite(got).all()


@pytest.mark.parametrize("name", [p.stem for p in EXAMPLES])
def test_generated_code_reads_like_the_graph(compiled_examples, name):
    model = compiled_examples[name]
    doc = load_document(next(p for p in EXAMPLES if p.stem == name))
    signature = ", ".join(f"{i.name} : torch.Tensor, {i.name}_lengths : torch.Tensor" for i in model.inputs)
    assert f"def forward(self, {signature}):" in model.code
    for node in doc.graph:
        if not node.spec.is_input and node.spec.head is None:
            assert f"= self.{node.name}(" in model.code  # one readable call per block, named after it
            assert model.node_of_module[node.name] == node.id
    for fx_node in model.module.graph.nodes:
        if fx_node.op in ("placeholder", "call_module", "call_function"):
            assert fx_node.meta["block_id"] in doc.graph.nodes
        if fx_node.op == "call_function":
            assert fx_node.target is operator.getitem  # only module calls and getitem: nothing opaque


def test_inputs_and_heads_describe_the_model(compiled_examples):
    seq2seq = compiled_examples["seq2seq"]
    assert [(i.name, i.kind, i.vocab) for i in seq2seq.inputs] == [("source", TensorKind.TOKENS, 16),
                                                                   ("target", TensorKind.TOKENS, 16)]
    (head,) = seq2seq.heads
    assert (head.name, head.task, head.time_source, head.input_shape.features) == ("output", "labelling",
                                                                                    "target", 16)
    sentiment = compiled_examples["sentiment"]
    (head,) = sentiment.heads
    assert (head.task, head.params, head.input_shape.activation, head.time_source) == (
        "classification", {"mode": "binary"}, "sigmoid", None)
    inputs, lengths = batch_for(sentiment)
    (out,) = sentiment.call(inputs, lengths)
    assert out.shape == (3, 1) and ((out > 0) & (out < 1)).all()


def test_attention_weights_are_kept_after_a_forward(compiled_examples):
    names = compiled_examples["names"]
    inputs, lengths = batch_for(names)
    names.call(inputs, lengths)
    weights = names.module.attention.last_weights
    assert weights.shape == (3, 7)
    torch.testing.assert_close(weights.sum(1), torch.ones(3))
    assert (weights[1, lengths["chars"][1]:] == 0).all()

    seq2seq = compiled_examples["seq2seq"]
    inputs, lengths = batch_for(seq2seq)
    seq2seq.call(inputs, lengths)
    cross = seq2seq.module.attention.last_weights  # [B, target steps, source steps]
    assert cross.shape == (3, 9, 7) and not cross.requires_grad
    torch.testing.assert_close(cross.sum(-1), torch.ones(3, 9))


def two_head_graph():
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": 2})
    lstm = g.add_node("lstm", name="lstm", params={"hidden_size": 8})
    per_step = g.add_node("dense", name="per_step", params={"units": 3})
    summary = g.add_node("dense", name="summary", params={"units": 1})
    g.connect(x.id, "sequence", lstm.id, "input")
    g.connect(lstm.id, "sequence", per_step.id, "input")
    g.connect(lstm.id, "last", summary.id, "input")
    for name, kind, src in (("tags", "labelling_head", per_step), ("value", "regression_head", summary)):
        head = g.add_node(kind, name=name)
        g.connect(src.id, "output", head.id, "input")
    return g


def test_several_heads_return_a_tuple_in_head_order():
    model = compile_graph(two_head_graph())
    assert [h.name for h in model.heads] == ["tags", "value"]
    x, lengths = torch.randn(4, 5, 2), torch.tensor([5, 2, 3, 1])
    tags, value = model.module(x, lengths)
    assert tags.shape == (4, 5, 3) and value.shape == (4, 1)
    lstm_out = model.module.lstm(x, lengths)
    torch.testing.assert_close(value, model.module.summary(lstm_out[1]))
    assert [t.shape for t in model.call({"x": x}, {"x": lengths})] == [tags.shape, value.shape]
    # The state output is not used, so the generated code does not name it.
    assert "lstm_sequence = lstm[0]" in model.code and "lstm_state" not in model.code


def test_each_compile_builds_fresh_weights():
    g = two_head_graph()
    first, second = compile_graph(g), compile_graph(g)
    assert first.module.lstm is not second.module.lstm
    assert not torch.equal(first.module.lstm.rnn.weight_ih_l0, second.module.lstm.rnn.weight_ih_l0)


def test_an_invalid_graph_raises_compile_error_listing_every_problem():
    g = two_head_graph()
    g.set_param(g.by_name("lstm").id, "hidden_size", 0)
    g.add_node("gru", name="stray")
    with pytest.raises(CompileError) as caught:
        compile_graph(g)
    messages = [d.message for d in caught.value.diagnostics]
    assert "LSTM 'lstm': 'Hidden size' must be at least 1 (it is 0)" in messages
    assert any(m.startswith("GRU 'stray' has nothing connected to its input") for m in messages)
    assert any(m.startswith("GRU 'stray' does not lead to an output head") for m in messages)
    assert all(f"- {m}" in str(caught.value) for m in messages)


def test_a_trained_module_scripts_in_training_mode_too():
    model = compile_graph(two_head_graph())
    scripted = torch.jit.script(model.module)
    x, lengths = torch.randn(2, 4, 2, requires_grad=True), torch.tensor([4, 2])
    tags, value = scripted(x, lengths)
    (tags.sum() + value.sum()).backward()
    eager_x = x.detach().clone().requires_grad_()
    e_tags, e_value = model.module(eager_x, lengths)
    (e_tags.sum() + e_value.sum()).backward()
    torch.testing.assert_close(x.grad, eager_x.grad)


@pytest.mark.parametrize("name", ["training", "meta", "_modules", "forward", "code", "graph", "self", "lengths"])
def test_names_that_would_clash_with_the_module_are_refused(name):
    assert Graph().name_problem(name) == f"'{name}' is a reserved word: choose another name"


def test_a_block_named_like_a_lengths_argument_still_compiles():
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": 2})
    d = g.add_node("dense", name="x_lengths", params={"units": 3})
    g.connect(x.id, "sequence", d.id, "input")
    g.connect(d.id, "output", g.add_node("regression_head", name="out").id, "input")
    model = compile_graph(g)
    x_in = torch.randn(2, 4, 2)
    torch.testing.assert_close(model.call({"x": x_in}, {"x": torch.tensor([4, 1])})[0],
                               model.module.get_submodule("x_lengths")(x_in))
