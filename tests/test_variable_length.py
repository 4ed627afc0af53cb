"""Padded batches: every block that reads along time gives each sequence what it gives that sequence alone.

Changing the padding values or appending more padding must not change any valid output.
"""
from __future__ import annotations

import functools
from pathlib import Path

import pytest
import torch

from engine import Graph, TensorKind, compile_graph
from engine.document import load_document

B, T, FEAT = 4, 7, 3
LENGTHS = torch.tensor([7, 3, 1, 5])
close = functools.partial(torch.testing.assert_close, rtol=1e-5, atol=1e-5)  # float32, other kernel paths
EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


def block_module(kind, params, in_features=FEAT):
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": in_features})
    block = g.add_node(kind, name="block", params=params)
    g.connect(x.id, "sequence", block.id, "input")
    out = block.spec.outputs[0].name
    g.connect(block.id, out, g.add_node("regression_head", name="out").id, "input")
    module = compile_graph(g).module.block
    module.eval()
    return module


def as_list(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def valid(outs, kinds, i, n):
    """The part of each output that belongs to sample i with n real steps."""
    parts = []
    for out, kind in zip(outs, kinds):
        parts.append({"seq": lambda: out[i, :n], "vec": lambda: out[i], "state": lambda: out[:, :, i]}[kind]())
    return parts


def repadded(x, lengths, extra, seed=1):
    """The same sequences with different padding values and ``extra`` more padded steps."""
    gen = torch.Generator().manual_seed(seed)
    out = torch.randn(x.size(0), x.size(1) + extra, *x.shape[2:], generator=gen) * 100
    for i, n in enumerate(lengths.tolist()):
        out[i, :n] = x[i, :n]
    return out


def check_padding_is_ignored(module, kinds, in_features=FEAT):
    x = torch.randn(B, T, in_features, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        batched = as_list(module(x, LENGTHS))
        again = as_list(module(repadded(x, LENGTHS, extra=4), LENGTHS))
        for i, n in enumerate(LENGTHS.tolist()):
            alone = as_list(module(x[i:i + 1, :n], torch.tensor([n])))
            for got, want, more in zip(valid(batched, kinds, i, n), valid(alone, kinds, 0, n),
                                       valid(again, kinds, i, n)):
                close(got, want)
                close(more, want)
            for out, kind in zip(batched, kinds):
                if kind == "seq":  # padded steps of a sequence output are zero, not left-over values
                    assert (out[i, n:] == 0).all()


RECURRENT = [
    ("lstm", {"hidden_size": 5, "layers": 1}),
    ("lstm", {"hidden_size": 5, "layers": 2}),
    ("gru", {"hidden_size": 5, "layers": 2}),
    ("rnn", {"hidden_size": 5, "layers": 1, "nonlinearity": "tanh"}),
    ("rnn", {"hidden_size": 5, "layers": 2, "nonlinearity": "relu"}),
    ("bidirectional", {"cell": "lstm", "hidden_size": 5, "layers": 2, "merge": "concat"}),
    ("bidirectional", {"cell": "gru", "hidden_size": 5, "layers": 1, "merge": "sum"}),
    ("bidirectional", {"cell": "rnn_tanh", "hidden_size": 5, "layers": 1, "merge": "multiply"}),
]


@pytest.mark.parametrize("kind,params", RECURRENT, ids=lambda v: v if isinstance(v, str) else
                         "-".join(str(x) for x in v.values()))
def test_recurrent_final_state_and_last_hidden_equal_the_unpadded_run(kind, params):
    check_padding_is_ignored(block_module(kind, params), ("seq", "vec", "state"))


def test_bidirectional_last_is_forward_end_and_backward_start():
    module = block_module("bidirectional", {"cell": "gru", "hidden_size": 4, "merge": "concat"})
    x = torch.randn(B, T, FEAT)
    with torch.no_grad():
        seq, last, _ = module(x, LENGTHS)
    for i, n in enumerate(LENGTHS.tolist()):
        # forward direction ends at the last real step, the backward one at step 0
        close(last[i], torch.cat([seq[i, n - 1, :4], seq[i, 0, 4:]]))


@pytest.mark.parametrize("kind,params,kinds", [
    ("pooling", {"mode": "last"}, ("vec",)),
    ("pooling", {"mode": "mean"}, ("vec",)),
    ("pooling", {"mode": "max"}, ("vec",)),
    ("attention_pooling", {"units": 6}, ("vec",)),
    ("self_attention", {"heads": 1, "causal": False}, ("seq",)),
    ("self_attention", {"heads": 3, "causal": True}, ("seq",)),
    ("conv1d", {"filters": 4, "kernel_size": 3}, ("seq",)),
], ids=lambda v: v if isinstance(v, str) else None)
def test_time_reading_blocks_ignore_padding(kind, params, kinds):
    check_padding_is_ignored(block_module(kind, params, in_features=6), kinds, in_features=6)


def test_cross_attention_ignores_padding_of_query_and_memory():
    g = Graph()
    q = g.add_node("feature_input", name="q", params={"features": 4})
    m = g.add_node("feature_input", name="m", params={"features": 3})
    cross = g.add_node("cross_attention", name="block", params={"heads": 2})
    g.connect(q.id, "sequence", cross.id, "query")
    g.connect(m.id, "sequence", cross.id, "memory")
    g.connect(cross.id, "sequence", g.add_node("regression_head", name="out").id, "input")
    module = compile_graph(g).module.block.eval()
    gen = torch.Generator().manual_seed(0)
    xq, xm = torch.randn(B, T, 4, generator=gen), torch.randn(B, 5, 3, generator=gen)
    q_len, m_len = LENGTHS, torch.tensor([2, 5, 4, 1])
    with torch.no_grad():
        batched = module(xq, xm, q_len, m_len)
        weights = module.last_weights
        again = module(repadded(xq, q_len, 2), repadded(xm, m_len, 3, seed=2), q_len, m_len)
        for i in range(B):
            n, k = int(q_len[i]), int(m_len[i])
            alone = module(xq[i:i + 1, :n], xm[i:i + 1, :k], q_len[i:i + 1], m_len[i:i + 1])
            close(batched[i, :n], alone[0])
            close(again[i, :n], alone[0])
            assert (batched[i, n:] == 0).all() and (weights[i, :, k:] == 0).all()


def example_batch(model, extra=0, seed=0):
    gen = torch.Generator().manual_seed(seed)
    inputs, lengths = {}, {}
    for i, spec in enumerate(model.inputs):
        steps = 6 + i
        lengths[spec.name] = torch.tensor([steps, 2, 4])
        if spec.kind is TensorKind.TOKENS:
            inputs[spec.name] = torch.randint(1, spec.vocab, (3, steps + extra), generator=gen)
        else:
            inputs[spec.name] = torch.randn(3, steps + extra, spec.features, generator=gen)
    return inputs, lengths


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_models_ignore_padding_end_to_end(path):
    model = compile_graph(load_document(path).graph)
    model.module.eval()
    inputs, lengths = example_batch(model)
    other, _ = example_batch(model, extra=3, seed=9)  # other pad values (ids or numbers), longer padding
    for name, n in lengths.items():
        for i, k in enumerate(n.tolist()):
            other[name][i, :k] = inputs[name][i, :k]
    with torch.no_grad():
        first, second = model.call(inputs, lengths), model.call(other, lengths)
    for head, a, b in zip(model.heads, first, second):
        if head.time_source is None:
            close(a, b)
        else:
            for i, k in enumerate(lengths[head.time_source].tolist()):
                close(a[i, :k], b[i, :k])
