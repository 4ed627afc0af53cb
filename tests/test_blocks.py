"""Every catalog block, built through a small graph and compile_graph, against hand-written PyTorch.

Weights are copied into the hand-written twin; outputs and gradients (inputs and parameters) must match.
"""
from __future__ import annotations

import functools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from engine import CATALOG, Graph, compile_graph

B, T, FEAT, HID = 3, 6, 5, 4
LENGTHS = torch.tensor([6, 4, 1])
# float32 tolerance: batched and per-sequence kernels may round differently in the last bits
close = functools.partial(torch.testing.assert_close, rtol=1e-5, atol=1e-5)

# Block kinds this file compares with hand-written code; a new catalog entry must be added here with a test.
COVERED = {
    "token_input", "feature_input", "embedding", "lstm", "gru", "rnn", "bidirectional", "self_attention",
    "attention_pooling", "cross_attention", "dense", "dropout", "layer_norm", "pooling", "conv1d", "concat",
    "add", "classification_head", "regression_head", "labelling_head", "language_model_head",
}


def test_every_catalog_kind_has_an_equivalence_test():
    assert set(CATALOG) == COVERED


# ---------------------------------------------------------------- helpers

def features(n=FEAT, steps=T, seed=0):
    return torch.randn(B, steps, n, generator=torch.Generator().manual_seed(seed)).requires_grad_()


def graph_with(kind, params=None, in_features=FEAT, outputs=("sequence",)):
    """feature input 'x' -> block 'block' -> one regression head per listed output port."""
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": in_features})
    block = g.add_node(kind, name="block", params=params or {})
    g.connect(x.id, "sequence", block.id, "input")
    for port in outputs:
        head = g.add_node("regression_head", name=f"out_{port}")
        g.connect(block.id, port, head.id, "input")
    return g


def outputs_of(model, *args):
    out = model.module(*args)
    return list(out) if isinstance(out, tuple) else [out]


def assert_same(outs, refs, inputs, params, ref_params):
    """Equal outputs, and equal gradients of one random weighting of them w.r.t. inputs and parameters."""
    assert len(outs) == len(refs)
    for got, want in zip(outs, refs):
        close(got, want)
    gen = torch.Generator().manual_seed(1)
    weights = [torch.randn(o.shape, generator=gen) for o in outs]
    params, ref_params = list(params), list(ref_params)
    assert len(params) == len(ref_params) and len(params) + len(inputs) > 0
    got = torch.autograd.grad(sum((o * w).sum() for o, w in zip(outs, weights)), list(inputs) + params)
    want = torch.autograd.grad(sum((r * w).sum() for r, w in zip(refs, weights)), list(inputs) + ref_params)
    for g_, w_ in zip(got, want):
        close(g_, w_)


def leaves(module: nn.Module) -> dict[str, torch.Tensor]:
    """Copies of a module's weights as fresh leaf tensors, for hand-written code to use."""
    return {name: p.detach().clone().requires_grad_() for name, p in module.named_parameters()}


def pad_to(x, steps, dim=0):
    pad = [0, 0] * (x.dim() - dim - 1) + [0, steps - x.size(dim)]
    return F.pad(x, pad)


# ---------------------------------------------------------------- recurrent

PLAIN = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn_tanh": nn.RNN, "rnn_relu": nn.RNN}


def plain_layer(cell, in_features, hidden, layers, bidirectional=False):
    extra = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
    return PLAIN[cell](in_features, hidden, layers, batch_first=True, bidirectional=bidirectional, **extra)


def run_each(layer, x, lengths, initial=None):
    """The hand-written twin: every sequence alone, unpadded, through a plain layer; states re-batched."""
    seqs, hs, cs = [], [], []
    for i, n in enumerate(lengths.tolist()):
        start = None
        if initial is not None:
            h0 = initial[:, :, i:i + 1]  # [parts, layers*dirs, 1, H]
            start = (h0[0], h0[1]) if isinstance(layer, nn.LSTM) else h0[0]
        out, final = layer(x[i:i + 1, :n], start)
        seqs.append(pad_to(out[0], x.size(1)))
        h, c = final if isinstance(layer, nn.LSTM) else (final, None)
        hs.append(h)
        cs.append(c)
    h = torch.cat(hs, dim=1)
    state = torch.stack([h, torch.cat(cs, dim=1)]) if isinstance(layer, nn.LSTM) else h.unsqueeze(0)
    return torch.stack(seqs), h, state


def merge(a, b, mode):
    return {"concat": lambda: torch.cat([a, b], -1), "sum": lambda: a + b, "mean": lambda: (a + b) / 2,
            "multiply": lambda: a * b}[mode]()


def kind_params(cell, layers, bidirectional=False, merge_mode="concat"):
    base = {"hidden_size": HID, "layers": layers}
    if bidirectional:
        return "bidirectional", {**base, "cell": cell, "merge": merge_mode}
    if cell.startswith("rnn"):
        return "rnn", {**base, "nonlinearity": cell[4:]}
    return cell, base


def check_recurrent(cell, layers, bidirectional=False, merge_mode="concat"):
    kind, params = kind_params(cell, layers, bidirectional, merge_mode)
    model = compile_graph(graph_with(kind, params, outputs=("sequence", "last")))
    block = model.module.block
    x = features()
    outs = outputs_of(model, x, LENGTHS) + [block(x, LENGTHS)[2]]

    ref = plain_layer(cell, FEAT, HID, layers, bidirectional)
    ref.load_state_dict(block.rnn.state_dict())
    seq, h_n, state = run_each(ref, x, LENGTHS)
    if bidirectional:
        seq, last = merge(seq[..., :HID], seq[..., HID:], merge_mode), merge(h_n[-2], h_n[-1], merge_mode)
    else:
        last = h_n[-1]
    assert_same(outs, [seq, last, state], [x], block.rnn.parameters(), ref.parameters())


@pytest.mark.parametrize("cell,layers", [("lstm", 1), ("lstm", 2), ("gru", 1), ("gru", 2), ("rnn_tanh", 1),
                                         ("rnn_relu", 2)])
def test_recurrent_block_equals_plain_layer_run_per_sequence(cell, layers):
    check_recurrent(cell, layers)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mean", "multiply"])
def test_bidirectional_lstm_every_merge_mode(merge_mode):
    check_recurrent("lstm", 1, bidirectional=True, merge_mode=merge_mode)


@pytest.mark.parametrize("cell,layers,merge_mode", [("gru", 2, "sum"), ("rnn_tanh", 1, "concat"),
                                                    ("rnn_relu", 1, "mean"), ("lstm", 2, "multiply")])
def test_bidirectional_other_cells_and_stacks(cell, layers, merge_mode):
    check_recurrent(cell, layers, bidirectional=True, merge_mode=merge_mode)


@pytest.mark.parametrize("cell,bidirectional", [("lstm", False), ("gru", False), ("rnn_tanh", False),
                                                ("lstm", True)])
def test_decoder_starts_from_encoder_state(cell, bidirectional):
    kind, params = kind_params(cell, 2, bidirectional)
    g = Graph()
    src = g.add_node("feature_input", name="src", params={"features": FEAT})
    tgt = g.add_node("feature_input", name="tgt", params={"features": 3})
    enc = g.add_node(kind, name="encoder", params=params)
    dec = g.add_node(kind, name="decoder", params=params)
    head = g.add_node("regression_head", name="out")
    g.connect(src.id, "sequence", enc.id, "input")
    g.connect(tgt.id, "sequence", dec.id, "input")
    g.connect(enc.id, "state", dec.id, "initial_state")
    g.connect(dec.id, "sequence", head.id, "input")
    model = compile_graph(g)
    x, y, y_lengths = features(), features(3, steps=5, seed=2), torch.tensor([2, 5, 3])
    out = outputs_of(model, x, LENGTHS, y, y_lengths)

    ref_enc = plain_layer(cell, FEAT, HID, 2, bidirectional)
    ref_dec = plain_layer(cell, 3, HID, 2, bidirectional)
    ref_enc.load_state_dict(model.module.encoder.rnn.state_dict())
    ref_dec.load_state_dict(model.module.decoder.rnn.state_dict())
    _, _, state = run_each(ref_enc, x, LENGTHS)
    seq, _, _ = run_each(ref_dec, y, y_lengths, initial=state)
    if bidirectional:
        seq = torch.cat([seq[..., :HID], seq[..., HID:]], -1)
    params = list(model.module.encoder.parameters()) + list(model.module.decoder.parameters())
    assert_same(out, [seq], [x, y], params, list(ref_enc.parameters()) + list(ref_dec.parameters()))


# ---------------------------------------------------------------- embedding, inputs and layers

@pytest.mark.parametrize("padding_idx", [0, -1])
def test_token_input_and_embedding_equal_f_embedding(padding_idx):
    g = Graph()
    tokens = g.add_node("token_input", name="tokens", params={"vocab_size": 11})
    emb = g.add_node("embedding", name="block", params={"vocab_size": 12, "dim": 4, "padding_idx": padding_idx})
    head = g.add_node("regression_head", name="out")
    g.connect(tokens.id, "tokens", emb.id, "tokens")
    g.connect(emb.id, "sequence", head.id, "input")
    model = compile_graph(g)
    ids = torch.randint(1, 11, (B, T), generator=torch.Generator().manual_seed(3))
    ids[1, 4:] = 0
    ids[2, 1:] = 0
    w = leaves(model.module.block)["weight"]
    ref = F.embedding(ids, w, padding_idx=None if padding_idx < 0 else padding_idx)
    assert_same(outputs_of(model, ids, LENGTHS), [ref], [], model.module.block.parameters(), [w])
    if padding_idx == 0:
        assert model.module.block.weight[0].abs().sum() == 0


def test_feature_input_passes_the_sequence_through():
    g = Graph()
    x_node = g.add_node("feature_input", name="x", params={"features": FEAT})
    g.connect(x_node.id, "sequence", g.add_node("regression_head", name="out").id, "input")
    model = compile_graph(g)
    assert [(i.name, i.features) for i in model.inputs] == [("x", FEAT)]
    x = features()
    assert_same(outputs_of(model, x, LENGTHS), [x * 1.0], [x], [], [])


def test_layer_norm_equals_f_layer_norm():
    model = compile_graph(graph_with("layer_norm", outputs=("output",)))
    x = features()
    ln = leaves(model.module.block)
    ref = F.layer_norm(x, (FEAT,), ln["weight"], ln["bias"])
    assert_same(outputs_of(model, x, LENGTHS), [ref], [x], model.module.block.parameters(), ln.values())


ACTIVATION_FNS = {"none": lambda y: y, "relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
                  "gelu": F.gelu, "softmax": lambda y: torch.softmax(y, -1)}


@pytest.mark.parametrize("activation", list(ACTIVATION_FNS))
def test_dense_per_step_equals_linear_and_activation(activation):
    model = compile_graph(graph_with("dense", {"units": 3, "activation": activation}, outputs=("output",)))
    x = features()
    lin = leaves(model.module.block.linear)
    ref = ACTIVATION_FNS[activation](x @ lin["weight"].T + lin["bias"])
    assert_same(outputs_of(model, x, LENGTHS), [ref], [x], model.module.block.parameters(), lin.values())


def vector_graph(*kinds_params, pool="last"):
    """feature input 'x' -> Sequence pooling -> the listed blocks in a chain (named b0, b1, ...) -> head."""
    g = Graph()
    prev = g.add_node("feature_input", name="x", params={"features": FEAT})
    pooled = g.add_node("pooling", name="pool", params={"mode": pool})
    g.connect(prev.id, "sequence", pooled.id, "input")
    prev, port = pooled, "vector"
    for i, (kind, params) in enumerate(kinds_params):
        node = g.add_node(kind, name=f"b{i}", params=params)
        g.connect(prev.id, port, node.id, "input")
        prev, port = node, node.spec.outputs[0].name if node.spec.outputs else None
    return g, prev


def last_steps(x, lengths=LENGTHS):
    return torch.stack([x[i, n - 1] for i, n in enumerate(lengths.tolist())])


@pytest.mark.parametrize("activation", ["tanh", "softmax"])
def test_dense_on_a_vector(activation):
    g, last = vector_graph(("dense", {"units": 3, "activation": activation}))
    head = g.add_node("regression_head", name="out")
    g.connect(last.id, "output", head.id, "input")
    model = compile_graph(g)
    x = features()
    lin = leaves(model.module.b0.linear)
    ref = ACTIVATION_FNS[activation](last_steps(x) @ lin["weight"].T + lin["bias"])
    assert_same(outputs_of(model, x, LENGTHS), [ref], [x], model.module.b0.parameters(), lin.values())


def test_dropout_equals_f_dropout_with_the_same_seed_and_is_identity_in_eval():
    model = compile_graph(graph_with("dropout", {"rate": 0.3}, outputs=("output",)))
    x = features()
    torch.manual_seed(7)
    out = outputs_of(model, x, LENGTHS)
    torch.manual_seed(7)
    ref = F.dropout(x, 0.3, training=True)
    assert (out[0] == 0).any()
    assert_same(out, [ref], [x], [], [])
    model.module.eval()
    assert_same(outputs_of(model, x, LENGTHS), [x * 1.0], [x], [], [])


@pytest.mark.parametrize("mode", ["last", "mean", "max"])
def test_pooling_equals_summary_of_each_unpadded_sequence(mode):
    model = compile_graph(graph_with("pooling", {"mode": mode}, outputs=("vector",)))
    x = features()
    summary = {"last": lambda s: s[-1], "mean": lambda s: s.mean(0), "max": lambda s: s.max(0).values}[mode]
    ref = torch.stack([summary(x[i, :n]) for i, n in enumerate(LENGTHS.tolist())])
    assert_same(outputs_of(model, x, LENGTHS), [ref], [x], [], [])


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
@pytest.mark.parametrize("kernel,activation", [(3, "relu"), (4, "tanh"), (1, "none"), (5, "gelu")])
def test_conv1d_equals_f_conv1d_on_each_unpadded_sequence(kernel, activation):
    model = compile_graph(graph_with("conv1d", {"filters": 3, "kernel_size": kernel, "activation": activation}))
    x = features()
    w = leaves(model.module.block.conv)
    act = ACTIVATION_FNS[activation]
    ref = torch.stack([pad_to(act(F.conv1d(x[i, :n].T[None], w["weight"], w["bias"], padding="same"))[0].T, T)
                       for i, n in enumerate(LENGTHS.tolist())])
    assert_same(outputs_of(model, x, LENGTHS), [ref], [x], model.module.block.parameters(), w.values())


# ---------------------------------------------------------------- merge

@pytest.mark.parametrize("kind,kind_of_value,ports", [
    ("concat", "sequence", "ab"), ("concat", "sequence", "abc"), ("concat", "vector", "abd"),
    ("concat", "sequence", "abcd"), ("add", "sequence", "ab"), ("add", "vector", "abc"),
    ("add", "sequence", "abd"), ("add", "vector", "abcd")])
def test_merge_with_optional_inputs(kind, ports, kind_of_value):
    units = {p: (3 if kind == "add" else 2 + i) for i, p in enumerate("abcd")}
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": FEAT})
    src, src_port = x, "sequence"
    if kind_of_value == "vector":
        src = g.add_node("pooling", name="pool", params={"mode": "mean"})
        g.connect(x.id, "sequence", src.id, "input")
        src_port = "vector"
    m = g.add_node(kind, name="merge")
    for p in ports:
        d = g.add_node("dense", name=f"dense_{p}", params={"units": units[p]})
        g.connect(src.id, src_port, d.id, "input")
        g.connect(d.id, "output", m.id, p)
    head = g.add_node("regression_head", name="out")
    g.connect(m.id, "output", head.id, "input")
    model = compile_graph(g)
    x_in = features()
    value = x_in
    if kind_of_value == "vector":
        value = torch.stack([x_in[i, :n].mean(0) for i, n in enumerate(LENGTHS.tolist())])
    weights = {p: leaves(getattr(model.module, f"dense_{p}").linear) for p in ports}
    parts = [value @ weights[p]["weight"].T + weights[p]["bias"] for p in ports]
    ref = torch.cat(parts, -1) if kind == "concat" else sum(parts[1:], parts[0])
    params = [q for p in ports for q in getattr(model.module, f"dense_{p}").parameters()]
    assert_same(outputs_of(model, x_in, LENGTHS), [ref], [x_in], params,
                [q for p in ports for q in weights[p].values()])


# ---------------------------------------------------------------- attention

def projections(mha: nn.MultiheadAttention, w: dict[str, torch.Tensor]):
    if "in_proj_weight" in w:
        wq, wk, wv = w["in_proj_weight"].chunk(3)
    else:
        wq, wk, wv = w["q_proj_weight"], w["k_proj_weight"], w["v_proj_weight"]
    bq, bk, bv = w["in_proj_bias"].chunk(3)
    return (wq, bq), (wk, bk), (wv, bv), (w["out_proj.weight"], w["out_proj.bias"])


def attend(q, kv, w, heads, blocked=None):
    """Multi-head scaled dot-product attention written out for one sample: q [Tq, E], kv [Tk, Ek]."""
    (wq, bq), (wk, bk), (wv, bv), (wo, bo) = w
    e = wq.size(0)
    d = e // heads
    split = lambda t: t.view(t.size(0), heads, d).transpose(0, 1)  # noqa: E731 -> [heads, steps, d]
    scores = split(q @ wq.T + bq) @ split(kv @ wk.T + bk).transpose(1, 2) / math.sqrt(d)
    if blocked is not None:
        scores = scores.masked_fill(blocked, float("-inf"))
    weights = scores.softmax(-1)
    out = (weights @ split(kv @ wv.T + bv)).transpose(0, 1).reshape(q.size(0), e)
    return out @ wo.T + bo, weights.mean(0)


@pytest.mark.parametrize("causal,heads", [(False, 1), (False, 2), (True, 2)])
def test_self_attention_equals_written_out_attention_per_sequence(causal, heads):
    model = compile_graph(graph_with("self_attention", {"heads": heads, "causal": causal}, in_features=6))
    block = model.module.block
    x = features(6)
    out = outputs_of(model, x, LENGTHS)
    w = leaves(block.attention)
    refs, maps = [], []
    for i, n in enumerate(LENGTHS.tolist()):
        blocked = torch.ones(n, n, dtype=torch.bool).triu(1) if causal else None
        o, a = attend(x[i, :n], x[i, :n], projections(block.attention, w), heads, blocked)
        refs.append(pad_to(o, T))
        maps.append(a)
    assert_same(out, [torch.stack(refs)], [x], block.parameters(), w.values())
    for i, n in enumerate(LENGTHS.tolist()):  # weights of the last forward, for the studio to draw
        close(block.last_weights[i, :n, :n], maps[i].detach())
        assert block.last_weights[i, :, n:].abs().sum() == 0


@pytest.mark.parametrize("memory_features,heads", [(5, 2), (6, 3)])
def test_cross_attention_equals_written_out_attention_per_pair(memory_features, heads):
    g = Graph()
    q = g.add_node("feature_input", name="q", params={"features": 6})
    m = g.add_node("feature_input", name="m", params={"features": memory_features})
    cross = g.add_node("cross_attention", name="block", params={"heads": heads})
    head = g.add_node("regression_head", name="out")
    g.connect(q.id, "sequence", cross.id, "query")
    g.connect(m.id, "sequence", cross.id, "memory")
    g.connect(cross.id, "sequence", head.id, "input")
    model = compile_graph(g)
    block = model.module.block
    xq, xm = features(6), features(memory_features, steps=4, seed=5)
    q_len, m_len = torch.tensor([6, 3, 2]), torch.tensor([4, 1, 3])
    out = outputs_of(model, xq, q_len, xm, m_len)
    w = leaves(block.attention)
    refs, maps = [], []
    for i in range(B):
        o, a = attend(xq[i, :q_len[i]], xm[i, :m_len[i]], projections(block.attention, w), heads)
        refs.append(pad_to(o, T))
        maps.append(a)
    assert_same(out, [torch.stack(refs)], [xq, xm], block.parameters(), w.values())
    for i in range(B):
        close(block.last_weights[i, :q_len[i], :m_len[i]], maps[i].detach())
        assert block.last_weights[i, :, m_len[i]:].abs().sum() == 0


def test_attention_pooling_equals_additive_attention_per_sequence():
    model = compile_graph(graph_with("attention_pooling", {"units": 7}, outputs=("vector",)))
    block = model.module.block
    x = features()
    w = leaves(block)
    refs, maps = [], []
    for i, n in enumerate(LENGTHS.tolist()):
        scores = torch.tanh(x[i, :n] @ w["project.weight"].T + w["project.bias"]) @ w["score.weight"][0]
        a = scores.softmax(0)
        refs.append(a @ x[i, :n])
        maps.append(pad_to(a, T))
    assert_same(outputs_of(model, x, LENGTHS), [torch.stack(refs)], [x], block.parameters(), w.values())
    close(block.last_weights, torch.stack(maps).detach())


# ---------------------------------------------------------------- heads

HEADS = {
    "classification_head": ({"mode": "binary"}, "vector", 1, "sigmoid", "classification"),
    "regression_head": ({"loss": "huber"}, "vector", 2, "none", "regression"),
    "labelling_head": ({}, "sequence", 3, "none", "labelling"),
    "language_model_head": ({}, "sequence", 4, "softmax", "language_model"),
}


@pytest.mark.parametrize("kind", list(HEADS))
def test_heads_return_what_they_receive_and_declare_their_task(kind):
    params, on, units, activation, task = HEADS[kind]
    dense = ("dense", {"units": units, "activation": activation})
    if on == "vector":
        g, last = vector_graph(dense, (kind, params))
    else:
        g = graph_with("dense", dense[1], outputs=())
        last = g.add_node(kind, name="b1", params=params)
        g.connect(g.by_name("block").id, "output", last.id, "input")
    model = compile_graph(g)
    dense_module = model.module.b0 if on == "vector" else model.module.block
    x = features()
    lin = leaves(dense_module.linear)
    value = last_steps(x) if on == "vector" else x
    ref = ACTIVATION_FNS[activation](value @ lin["weight"].T + lin["bias"])
    assert_same(outputs_of(model, x, LENGTHS), [ref], [x], dense_module.parameters(), lin.values())
    (head,) = model.heads
    assert head.task == task and head.name == "b1"
    assert head.time_source == ("x" if on == "sequence" else None)
    assert head.input_shape.activation == (None if activation == "none" else activation)


def test_an_even_conv_kernel_trains_without_torchs_padding_warning():
    """torch warned "Using padding='same' with even kernel lengths ..." under every train of such a model."""
    import subprocess
    import sys
    from pathlib import Path

    code = ("import torch; from engine.blocks.layer_modules import Conv1D; "
            "Conv1D(3, 4, 4, 'relu')(torch.randn(2, 7, 3), torch.tensor([7, 5])).sum().backward()")
    done = subprocess.run([sys.executable, "-W", "error::UserWarning", "-c", code], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent)
    assert done.returncode == 0, done.stderr[-500:]
