"""The "keras" init scheme: the exact weights of a hand-written PyTorch init of Keras 3's defaults (same seed,
same draws), the properties that define it, and (when keras is installed) Keras's own layers beside it."""
from __future__ import annotations

import math
import os

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from engine import Graph, compile_graph
from engine.blocks.initialization import KERAS_EMBEDDING_LIMIT
from engine.blocks.recurrent_modules import make_recurrent

TORCH_LAYER = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN}


@torch.no_grad()
def keras_by_hand(cell: str, input_size: int, hidden: int, layers: int, bidirectional: bool) -> nn.RNNBase:
    """Keras's LSTM/GRU/SimpleRNN defaults written out: glorot_uniform kernel, orthogonal recurrent kernel (one
    matrix over all gates), zero biases, unit_forget_bias; layers and directions in torch's parameter order."""
    rnn = TORCH_LAYER[cell](input_size, hidden, layers, batch_first=True, bidirectional=bidirectional)
    for layer in range(layers):
        for suffix in ("", "_reverse")[: 2 if bidirectional else 1]:
            name = f"l{layer}{suffix}"
            nn.init.xavier_uniform_(getattr(rnn, f"weight_ih_{name}"))
            nn.init.orthogonal_(getattr(rnn, f"weight_hh_{name}"))
            getattr(rnn, f"bias_ih_{name}").zero_()
            getattr(rnn, f"bias_hh_{name}").zero_()
            if cell == "lstm":
                getattr(rnn, f"bias_ih_{name}")[hidden:2 * hidden] = 1.0
    return rnn


@settings(max_examples=12, deadline=None)
@given(cell=st.sampled_from(sorted(TORCH_LAYER)), input_size=st.integers(1, 7), hidden=st.integers(1, 9),
       layers=st.integers(1, 2), bidirectional=st.booleans(), seed=st.integers(0, 2**31))
def test_keras_scheme_equals_hand_written_torch_init(cell, input_size, hidden, layers, bidirectional, seed):
    torch.manual_seed(seed)
    block = make_recurrent(cell, input_size, hidden, layers, 0.0, bidirectional=bidirectional, init="keras")
    torch.manual_seed(seed)
    reference = keras_by_hand(cell, input_size, hidden, layers, bidirectional)
    ours = dict(block.rnn.named_parameters())
    theirs = dict(reference.named_parameters())
    assert ours.keys() == theirs.keys()
    for name, value in theirs.items():
        assert torch.equal(ours[name], value), name


def test_keras_lstm_weights_have_the_defining_properties():
    torch.manual_seed(1)
    h, f = 16, 5
    rnn = make_recurrent("lstm", f, h, 1, 0.0, init="keras").rnn
    w_hh = rnn.weight_hh_l0  # [4h, h]: orthonormal columns, i.e. Keras's [h, 4h] kernel has orthonormal rows
    torch.testing.assert_close(w_hh.T @ w_hh, torch.eye(h), atol=1e-5, rtol=0)
    limit = math.sqrt(6.0 / (f + 4 * h))  # Glorot: fan_in = inputs, fan_out = all gates' units
    assert rnn.weight_ih_l0.abs().max() <= limit and rnn.weight_ih_l0.abs().max() > 0.8 * limit
    total = rnn.bias_ih_l0 + rnn.bias_hh_l0
    assert torch.equal(total, torch.cat([torch.zeros(h), torch.ones(h), torch.zeros(2 * h)]))


def test_forget_bias_option_changes_nothing_under_keras():
    torch.manual_seed(4)
    plain = make_recurrent("lstm", 3, 6, 1, 0.0, init="keras")
    torch.manual_seed(4)
    both = make_recurrent("lstm", 3, 6, 1, 0.0, init="keras", forget_bias=True)
    for (name, a), (_, b) in zip(plain.rnn.named_parameters(), both.rnn.named_parameters()):
        assert torch.equal(a, b), name


def test_keras_embedding_and_dense_through_the_catalog():
    g = Graph()
    tokens = g.add_node("token_input", name="tokens", params={"vocab_size": 300})
    emb = g.add_node("embedding", name="emb", params={"vocab_size": 300, "dim": 20, "init": "keras"})
    dense = g.add_node("dense", name="dense", params={"units": 3, "init": "keras"})
    head = g.add_node("regression_head", name="out")
    g.connect(tokens.id, "tokens", emb.id, "tokens")
    g.connect(emb.id, "sequence", dense.id, "input")
    g.connect(dense.id, "output", head.id, "input")
    torch.manual_seed(7)
    module = compile_graph(g).module
    torch.manual_seed(7)
    by_hand_emb = nn.Embedding(300, 20, padding_idx=0)  # blocks are built, and started, in graph order
    with torch.no_grad():
        nn.init.uniform_(by_hand_emb.weight, -KERAS_EMBEDDING_LIMIT, KERAS_EMBEDDING_LIMIT)
        by_hand_emb.weight[0].zero_()  # the padding row stays zero, as with every scheme
    by_hand_dense = nn.Linear(20, 3)
    with torch.no_grad():
        nn.init.xavier_uniform_(by_hand_dense.weight)
        by_hand_dense.bias.zero_()
    assert torch.equal(module.emb.weight, by_hand_emb.weight)
    assert module.emb.weight[1:].abs().max() <= KERAS_EMBEDDING_LIMIT
    assert torch.equal(module.dense.linear.weight, by_hand_dense.weight)
    assert torch.equal(module.dense.linear.bias, torch.zeros(3))


def test_identity_is_still_refused_for_gated_cells_and_keras_is_not():
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": 3})
    for kind in ("lstm", "gru"):
        b = g.add_node(kind, name=kind, params={"hidden_size": 4, "init": "keras"})
        g.connect(x.id, "sequence", b.id, "input")
        h = g.add_node("regression_head", name=f"out_{kind}")
        g.connect(b.id, "last", h.id, "input")
    module = compile_graph(g).module
    assert torch.equal(module.gru.rnn.bias_ih_l0, torch.zeros(12))


def test_same_starting_point_as_keras_itself():
    """Keras's own LSTM (torch backend): the same bias, the same Glorot limit and a recurrent kernel with
    orthonormal rows, i.e. the transpose of ours; the same embedding range."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    h, f = 8, 5
    layer = keras.layers.LSTM(h)
    layer.build((None, 3, f))
    kernel, recurrent, bias = (torch.as_tensor(keras.ops.convert_to_numpy(w)) for w in layer.get_weights())
    ours = make_recurrent("lstm", f, h, 1, 0.0, init="keras").rnn
    assert kernel.shape == ours.weight_ih_l0.T.shape and recurrent.shape == ours.weight_hh_l0.T.shape
    torch.testing.assert_close(recurrent @ recurrent.T, torch.eye(h), atol=1e-5, rtol=0)
    assert torch.equal(bias, (ours.bias_ih_l0 + ours.bias_hh_l0).detach())  # gate order i, f, c|g, o in both
    limit = math.sqrt(6.0 / (f + 4 * h))
    assert kernel.abs().max() <= limit + 1e-6 and ours.weight_ih_l0.abs().max() <= limit
    embedding = keras.layers.Embedding(50, 4)
    embedding.build((None, 3))
    table = keras.ops.convert_to_numpy(embedding.embeddings)
    assert abs(table).max() <= KERAS_EMBEDDING_LIMIT


def test_sentiment_example_starts_as_keras_does():
    """The sentiment example ships with init keras (bench_keras.py: 67 % -> 77 % validation accuracy after one
    epoch, as fast as Keras 3 itself); the PyTorch default N(0, 1) embedding is what slowed it."""
    from pathlib import Path

    from engine.document import load_document

    document = load_document(Path(__file__).resolve().parent.parent / "examples" / "sentiment.json")
    module = compile_graph(document.graph).module
    assert module.embedding.weight.abs().max() <= KERAS_EMBEDDING_LIMIT
    lstm = module.lstm.rnn
    h = lstm.hidden_size
    torch.testing.assert_close(lstm.weight_hh_l0.T @ lstm.weight_hh_l0, torch.eye(h), atol=1e-5, rtol=0)
    assert torch.equal((lstm.bias_ih_l0 + lstm.bias_hh_l0)[h:2 * h], torch.ones(h))
    assert torch.equal(module.dense.linear.bias, torch.zeros(1))
