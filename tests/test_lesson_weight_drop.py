"""Recurrent weight dropout (DropConnect on the hidden-to-hidden matrices): one mask per forward pass, shared by
all time steps, scaled by 1/(1-p); identity in evaluation mode; gradients reach the kept weights; and the
compiled model still scripts."""
from __future__ import annotations

import pytest
import torch

from engine import Graph, compile_graph
from engine.blocks.recurrent_modules import make_recurrent

H, P = 300, 0.25


def relu_probe_block():
    """A ReLU RNN whose dropped recurrent matrix can be read off its outputs: all-ones weights, zero inputs."""
    block = make_recurrent("rnn_relu", 1, H, 1, 0.0, weight_drop=P)
    with torch.no_grad():
        block.rnn.weight_hh_l0.fill_(1.0)
        block.rnn.weight_ih_l0.zero_()
        block.rnn.bias_ih_l0.zero_()
        block.rnn.bias_hh_l0.zero_()
    # sample b starts from the one-hot state e_b, so its first output is column b of the dropped matrix
    start = torch.eye(H).unsqueeze(0).unsqueeze(0)  # [1 (state), layers, B=H, H]
    x = torch.zeros(H, 2, 1)
    return block, x, torch.full((H,), 2), start


def test_train_mode_drops_whole_entries_with_rate_and_scale_one_mask_for_all_steps():
    torch.manual_seed(0)
    block, x, lengths, start = relu_probe_block()
    block.train()
    out, _, _ = block(x, lengths, start)
    dropped = out[:, 0, :].T  # [H, H]: W_dropped[:, b] = out[b, step 0]
    kept = dropped != 0
    torch.testing.assert_close(dropped[kept], torch.full_like(dropped[kept], 1 / (1 - P)))
    assert abs((~kept).float().mean().item() - P) < 0.01  # 90,000 entries: the rate within 1 %
    # the second step uses the same matrix: h2 = relu(W_dropped h1)
    torch.testing.assert_close(out[:, 1, :], torch.relu(out[:, 0, :] @ dropped.T))
    again, _, _ = block(x, lengths, start)
    assert not torch.equal(again[:, 0, :], out[:, 0, :])  # a fresh mask on the next forward


def test_gradients_reach_exactly_the_kept_weights():
    torch.manual_seed(1)
    block, x, lengths, start = relu_probe_block()
    out, _, _ = block(x, lengths, start)
    dropped = out[:, 0, :].T.detach()
    out[:, 0, :].sum().backward()
    grad = block.rnn.weight_hh_l0.grad
    assert torch.equal(grad != 0, dropped != 0)  # dropped entries learn nothing this step
    torch.testing.assert_close(grad[dropped != 0], torch.full_like(grad[dropped != 0], 1 / (1 - P)))


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh"])
def test_eval_mode_equals_the_plain_layer(cell):
    torch.manual_seed(2)
    dropped = make_recurrent(cell, 3, 8, 2, 0.0, bidirectional=True, weight_drop=0.5)
    plain = make_recurrent(cell, 3, 8, 2, 0.0, bidirectional=True)
    plain.load_state_dict(dropped.state_dict())  # same parameter names: weights move freely between the two
    x, lengths = torch.randn(4, 5, 3), torch.tensor([5, 3, 1, 4])
    dropped.eval()
    plain.eval()
    for a, b in zip(dropped(x, lengths), plain(x, lengths)):
        assert torch.equal(a, b)
    dropped.train()
    assert not torch.equal(dropped(x, lengths)[0], plain(x, lengths)[0])


def test_a_graph_with_weight_drop_scripts_and_matches_eager_in_eval():
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": 2})
    rnn = g.add_node("lstm", name="lstm", params={"hidden_size": 8, "weight_drop": 0.3})
    head = g.add_node("regression_head", name="out")
    g.connect(x.id, "sequence", rnn.id, "input")
    g.connect(rnn.id, "sequence", head.id, "input")
    module = compile_graph(g).module.eval()
    scripted = torch.jit.script(module)
    inputs, lengths = torch.randn(3, 4, 2), torch.tensor([4, 2, 3])
    torch.testing.assert_close(scripted(inputs, lengths), module(inputs, lengths), rtol=0, atol=0)
    # A TorchScript file put in training mode runs (it raised "annotated to be ignored"), without weight drop:
    # with no other dropout in this graph it gives what evaluation mode gives.
    scripted.train()
    torch.testing.assert_close(scripted(inputs, lengths), module(inputs, lengths), rtol=0, atol=0)
    scripted(inputs, lengths).sum().backward()
    module.train()
    module(inputs, lengths).sum().backward()  # the training path runs and reaches the weights
    assert module.lstm.rnn.weight_hh_l0.grad.abs().sum() > 0
