"""The ``init`` option of recurrent, dense and embedding blocks: exact starting weights of every scheme, and the
default that leaves PyTorch's initialisation (and so every older document's weights) unchanged."""
from __future__ import annotations

import torch
from torch import nn

from engine import Graph, compile_graph
from engine.blocks.initialization import IRNN_INPUT_STD
from engine.blocks.recurrent_modules import make_recurrent
from engine.shapes import analyze

H, F = 6, 3


def block_of(kind, params, in_features=F):
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": in_features})
    b = g.add_node(kind, name="block", params=params)
    g.connect(x.id, "sequence", b.id, "input")
    head = g.add_node("regression_head", name="out")
    g.connect(b.id, "sequence" if kind != "dense" else "output", head.id, "input")
    return g, b, compile_graph(g).module.block


def test_identity_recurrent_weights_irnn():
    _, _, block = block_of("rnn", {"hidden_size": H, "nonlinearity": "relu", "init": "identity", "layers": 2})
    for layer in range(2):
        assert torch.equal(getattr(block.rnn, f"weight_hh_l{layer}"), torch.eye(H))
        assert torch.equal(getattr(block.rnn, f"bias_ih_l{layer}"), torch.zeros(H))
        assert torch.equal(getattr(block.rnn, f"bias_hh_l{layer}"), torch.zeros(H))
        # input weights: small Gaussian noise (Le et al. 2015), far below PyTorch's uniform(+-1/sqrt(H))
        assert getattr(block.rnn, f"weight_ih_l{layer}").abs().max() < 10 * IRNN_INPUT_STD


def test_orthogonal_recurrent_weights_per_gate():
    _, _, block = block_of("lstm", {"hidden_size": H, "init": "orthogonal"})
    for gate in block.rnn.weight_hh_l0.split(H, dim=0):
        torch.testing.assert_close(gate @ gate.T, torch.eye(H), atol=1e-5, rtol=0)
    assert torch.equal(block.rnn.bias_ih_l0, torch.zeros(4 * H))


def test_forget_gate_bias_is_one_and_other_gates_untouched():
    torch.manual_seed(3)
    _, _, block = block_of("bidirectional", {"cell": "lstm", "hidden_size": H, "init": "xavier",
                                             "forget_bias": True})
    for suffix in ("l0", "l0_reverse"):
        total = getattr(block.rnn, f"bias_ih_{suffix}") + getattr(block.rnn, f"bias_hh_{suffix}")
        assert torch.equal(total[H:2 * H], torch.ones(H))  # what the forget gate adds: exactly 1
        assert torch.equal(total[:H], torch.zeros(H)) and torch.equal(total[2 * H:], torch.zeros(2 * H))


def test_forget_bias_over_pytorch_default_changes_only_the_forget_slice():
    torch.manual_seed(0)
    plain = make_recurrent("lstm", F, H, 1, 0.0)
    torch.manual_seed(0)
    biased = make_recurrent("lstm", F, H, 1, 0.0, forget_bias=True)
    assert torch.equal(plain.rnn.weight_hh_l0, biased.rnn.weight_hh_l0)
    assert torch.equal(plain.rnn.bias_ih_l0[:H], biased.rnn.bias_ih_l0[:H])
    assert torch.equal((biased.rnn.bias_ih_l0 + biased.rnn.bias_hh_l0)[H:2 * H], torch.ones(H))


def test_xavier_dense_and_embedding():
    bound = (6 / (F + 50)) ** 0.5
    _, _, dense = block_of("dense", {"units": 50, "init": "xavier"})
    assert torch.equal(dense.linear.bias, torch.zeros(50))
    assert dense.linear.weight.abs().max() <= bound
    g = Graph()
    t = g.add_node("token_input", name="t", params={"vocab_size": 20})
    e = g.add_node("embedding", name="emb", params={"vocab_size": 20, "dim": 8, "init": "xavier"})
    g.connect(t.id, "tokens", e.id, "tokens")
    head = g.add_node("regression_head", name="out")
    g.connect(e.id, "sequence", head.id, "input")
    weight = compile_graph(g).module.emb.weight
    assert torch.equal(weight[0], torch.zeros(8))  # the padding row stays zero
    assert weight.abs().max() <= (6 / 28) ** 0.5 < 1.0


def test_default_init_is_pytorchs_own_and_draws_nothing_extra():
    for cell, module in (("lstm", nn.LSTM), ("gru", nn.GRU)):
        torch.manual_seed(7)
        ours = make_recurrent(cell, F, H, 2, 0.0)
        after_ours = torch.rand(1)
        torch.manual_seed(7)
        theirs = module(F, H, 2, batch_first=True)
        assert torch.equal(torch.rand(1), after_ours)  # same random stream afterwards: old runs stay identical
        for (name, a), (_, b) in zip(ours.rnn.named_parameters(), theirs.named_parameters()):
            assert torch.equal(a, b), name


def test_old_document_without_the_options_builds_the_same_weights():
    old = {"hidden_size": H}  # a block saved before init / weight_drop / forget_bias existed
    new = {"hidden_size": H, "init": "default", "weight_drop": 0.0, "forget_bias": False}
    torch.manual_seed(1)
    _, node, a = block_of("lstm", old)
    torch.manual_seed(1)
    _, _, b = block_of("lstm", new)
    assert node.params["init"] == "default" and node.params["weight_drop"] == 0.0
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items()):
        assert torch.equal(x, y), name


def test_identity_init_on_a_gated_cell_is_refused_at_the_block():
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": F})
    b = g.add_node("bidirectional", name="both", params={"cell": "gru", "init": "identity"})
    g.connect(x.id, "sequence", b.id, "input")
    [problem] = analyze(g).for_node(b.id)
    assert "identity recurrent weights" in problem.message and "choose init orthogonal" in problem.message
    assert "GRU" in problem.message
