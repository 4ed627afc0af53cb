"""Whole compiled models against the same models written by hand in plain PyTorch (nn.Embedding, nn.GRU, nn.LSTM,
nn.MultiheadAttention, nn.Linear over packed sequences), with the compiled model's weights copied in: the graphs of
the names, seq2seq and co2 lessons, and a stacked LSTM with dropout. Outputs (padding holding zeros or anything,
batches of one) and, in training mode, gradients must match. tests/test_blocks.py does the same block by block."""
from __future__ import annotations

import functools

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from engine import Graph, compile_graph

close = functools.partial(torch.testing.assert_close, rtol=1e-5, atol=1e-5)


def run_packed(rnn: nn.RNNBase, x, lengths, start=None):
    """A plain layer over a padded batch as one writes it by hand: pack, run, pad back to the batch's width."""
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = rnn(packed, start)
    return pad_packed_sequence(out, batch_first=True, total_length=x.size(1))[0], state


def valid(lengths, steps):
    return torch.arange(steps).unsqueeze(0) < lengths.unsqueeze(1)


def tokens(vocab, lengths, steps, seed, pads="zeros"):
    """[B, steps] ids; padding holds 0, or (pads="anything") random ids that every model must ignore."""
    ids = torch.randint(1, vocab, (len(lengths), steps), generator=torch.Generator().manual_seed(seed))
    lengths = torch.tensor(lengths)
    return (ids * valid(lengths, steps) if pads == "zeros" else ids), lengths


def chain(g, nodes):
    for a, b in zip(nodes, nodes[1:]):
        g.connect(a.id, a.spec.outputs[0].name, b.id, b.spec.inputs[0].name)


def same_gradients(compiled, twin, loss_of, inputs):
    """Training mode, one seed for both: equal outputs and equal gradients of every parameter."""
    results = []
    for model in (compiled, twin):
        model.train()
        torch.manual_seed(11)
        out = model(*inputs)
        results.append((out, torch.autograd.grad(loss_of(out), list(model.parameters()))))
    (want, want_grads), (got, got_grads) = results
    close(got, want)
    assert len(got_grads) == len(want_grads)
    for a, b in zip(got_grads, want_grads):
        close(a, b)


# ---------------------------------------------------------------- embedding -> bidirectional GRU -> attention pooling

def names_graph(layers):
    """The names lesson's graph, smaller: characters -> embedding -> bidirectional GRU -> attention pooling ->
    softmax dense -> classification."""
    g = Graph()
    chain(g, [g.add_node("token_input", "chars", {"vocab_size": 20}),
              g.add_node("embedding", "embedding", {"vocab_size": 20, "dim": 6}),
              g.add_node("bidirectional", "bigru", {"cell": "gru", "hidden_size": 5, "layers": layers}),
              g.add_node("attention_pooling", "attention", {"units": 4}),
              g.add_node("dense", "dense", {"units": 3, "activation": "softmax"}),
              g.add_node("classification_head", "language")])
    return g


class NamesByHand(nn.Module):
    def __init__(self, layers):
        super().__init__()
        self.embedding = nn.Embedding(20, 6, padding_idx=0)
        self.gru = nn.GRU(6, 5, layers, batch_first=True, bidirectional=True)
        self.project = nn.Linear(10, 4)
        self.score = nn.Linear(4, 1, bias=False)
        self.out = nn.Linear(10, 3)

    def forward(self, ids, lengths):
        seq, _ = run_packed(self.gru, self.embedding(ids), lengths)
        scores = self.score(torch.tanh(self.project(seq))).squeeze(-1)
        weights = scores.masked_fill(~valid(lengths, ids.size(1)), float("-inf")).softmax(dim=1)
        pooled = (weights.unsqueeze(-1) * seq).sum(dim=1)
        return self.out(pooled).softmax(dim=-1)

    def copy_from(self, m):
        self.embedding.load_state_dict(m.embedding.state_dict())
        self.gru.load_state_dict(m.bigru.rnn.state_dict())
        self.project.load_state_dict(m.attention.project.state_dict())
        self.score.load_state_dict(m.attention.score.state_dict())
        self.out.load_state_dict(m.dense.linear.state_dict())
        return self


@pytest.mark.parametrize("layers", [1, 2])
def test_embedding_bidirectional_gru_attention_pooling_dense_equals_hand_written(layers):
    torch.manual_seed(0)
    compiled = compile_graph(names_graph(layers)).module
    twin = NamesByHand(layers).copy_from(compiled)
    compiled.eval()
    twin.eval()
    with torch.no_grad():
        for pads in ("zeros", "anything"):
            ids, lengths = tokens(20, [7, 3, 1, 9, 5], 11, seed=1, pads=pads)  # widest 9 of 11: extra padding
            close(compiled(ids, lengths), twin(ids, lengths))
        ids, lengths = tokens(20, [4], 4, seed=2)
        close(compiled(ids, lengths), twin(ids, lengths))
    same_gradients(compiled, twin, lambda p: p[:, 0].log().sum(), tokens(20, [6, 2, 4], 6, seed=3))


# ---------------------------------------------------------------- stacked LSTM with dropout

def stacked_graph():
    g = Graph()
    x = g.add_node("feature_input", "x", {"features": 3})
    lstm = g.add_node("lstm", "lstm", {"hidden_size": 8, "layers": 3, "dropout": 0.4})
    drop = g.add_node("dropout", "drop", {"rate": 0.5})
    dense = g.add_node("dense", "dense", {"units": 2, "activation": "tanh"})
    g.connect(x.id, "sequence", lstm.id, "input")
    g.connect(lstm.id, "last", drop.id, "input")
    chain(g, [drop, dense, g.add_node("regression_head", "y")])
    return g


class StackedByHand(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 8, 3, batch_first=True, dropout=0.4)
        self.drop = nn.Dropout(0.5)
        self.dense = nn.Linear(8, 2)

    def forward(self, x, lengths):
        _, (h, _) = run_packed(self.lstm, x, lengths)
        return torch.tanh(self.dense(self.drop(h[-1])))


def test_stacked_lstm_with_dropout_equals_hand_written_in_eval_and_in_training():
    torch.manual_seed(0)
    compiled = compile_graph(stacked_graph()).module
    twin = StackedByHand()
    twin.lstm.load_state_dict(compiled.lstm.rnn.state_dict())
    twin.dense.load_state_dict(compiled.dense.linear.state_dict())
    x, lengths = torch.randn(4, 10, 3, generator=torch.Generator().manual_seed(1)), torch.tensor([10, 3, 7, 1])
    compiled.eval()
    twin.eval()
    with torch.no_grad():
        close(compiled(x, lengths), twin(x, lengths))
        garbage = x + 5 * (~valid(lengths, 10)).unsqueeze(-1) * torch.randn(4, 10, 3)  # padding holds anything
        close(compiled(garbage, lengths), twin(x, lengths))
    same_gradients(compiled, twin, lambda y: y.square().sum(), (x, lengths))  # the same dropout masks


# ---------------------------------------------------------------- seq2seq with cross-attention

def seq2seq_graph():
    """The seq2seq lesson's graph, smaller: the decoder starts from the encoder's state, attends over its
    sequence with two heads, and its output and the context are concatenated before the scores."""
    g = Graph()
    source = g.add_node("token_input", "source", {"vocab_size": 12})
    target = g.add_node("token_input", "target", {"vocab_size": 12})
    source_embedding = g.add_node("embedding", "source_embedding", {"vocab_size": 12, "dim": 5})
    target_embedding = g.add_node("embedding", "target_embedding", {"vocab_size": 12, "dim": 5})
    encoder = g.add_node("lstm", "encoder", {"hidden_size": 8})
    decoder = g.add_node("lstm", "decoder", {"hidden_size": 8})
    attention = g.add_node("cross_attention", "attention", {"heads": 2})
    context = g.add_node("concat", "context")
    chain(g, [source, source_embedding, encoder])
    chain(g, [target, target_embedding, decoder])
    g.connect(encoder.id, "state", decoder.id, "initial_state")
    g.connect(decoder.id, "sequence", attention.id, "query")
    g.connect(encoder.id, "sequence", attention.id, "memory")
    g.connect(decoder.id, "sequence", context.id, "a")
    g.connect(attention.id, "sequence", context.id, "b")
    chain(g, [context, g.add_node("dense", "dense", {"units": 12}), g.add_node("labelling_head", "output")])
    return g


class Seq2SeqByHand(nn.Module):
    def __init__(self):
        super().__init__()
        self.source_embedding = nn.Embedding(12, 5, padding_idx=0)
        self.target_embedding = nn.Embedding(12, 5, padding_idx=0)
        self.encoder = nn.LSTM(5, 8, batch_first=True)
        self.decoder = nn.LSTM(5, 8, batch_first=True)
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)
        self.dense = nn.Linear(16, 12)

    def forward(self, source, source_lengths, target, target_lengths):
        memory, state = run_packed(self.encoder, self.source_embedding(source), source_lengths)
        decoded, _ = run_packed(self.decoder, self.target_embedding(target), target_lengths, state)
        context, _ = self.attention(decoded, memory, memory, key_padding_mask=~valid(source_lengths, source.size(1)))
        context = context * valid(target_lengths, target.size(1)).unsqueeze(-1)  # padded steps read nothing
        return self.dense(torch.cat([decoded, context], dim=-1))


def test_seq2seq_with_cross_attention_equals_hand_written():
    torch.manual_seed(0)
    compiled = compile_graph(seq2seq_graph()).module
    twin = Seq2SeqByHand()
    for name in ("source_embedding", "target_embedding", "dense"):
        own = getattr(compiled, name)
        getattr(twin, name).load_state_dict((own.linear if name == "dense" else own).state_dict())
    twin.encoder.load_state_dict(compiled.encoder.rnn.state_dict())
    twin.decoder.load_state_dict(compiled.decoder.rnn.state_dict())
    twin.attention.load_state_dict(compiled.attention.attention.state_dict())
    compiled.eval()
    twin.eval()
    with torch.no_grad():
        for pads in ("zeros", "anything"):
            source, source_lengths = tokens(12, [9, 4, 1], 10, seed=1, pads=pads)
            target, target_lengths = tokens(12, [2, 6, 5], 6, seed=2, pads=pads)
            close(compiled(source, source_lengths, target, target_lengths),
                  twin(source, source_lengths, target, target_lengths))
        one = (*tokens(12, [1], 1, seed=3), *tokens(12, [1], 1, seed=4))
        close(compiled(*one), twin(*one))
    inputs = (*tokens(12, [5, 3], 5, seed=5), *tokens(12, [2, 4], 4, seed=6))
    same_gradients(compiled, twin, lambda y: y.square().sum(), inputs)


# ---------------------------------------------------------------- co2: a change added to the last observation

def residual_graph():
    g = Graph()
    window = g.add_node("feature_input", "window", {"features": 1})
    lstm = g.add_node("lstm", "lstm", {"hidden_size": 6})
    last_week = g.add_node("pooling", "last_week", {"mode": "last"})
    dense = g.add_node("dense", "dense", {"units": 1})
    this_week = g.add_node("pooling", "this_week", {"mode": "last"})
    plus = g.add_node("add", "plus_change")
    g.connect(window.id, "sequence", lstm.id, "input")
    g.connect(lstm.id, "sequence", last_week.id, "input")
    chain(g, [last_week, dense])
    g.connect(window.id, "sequence", this_week.id, "input")
    g.connect(dense.id, "output", plus.id, "a")
    g.connect(this_week.id, "vector", plus.id, "b")
    chain(g, [plus, g.add_node("regression_head", "next_week")])
    return g


def test_residual_forecaster_equals_hand_written():
    torch.manual_seed(0)
    compiled = compile_graph(residual_graph()).module.eval()
    lstm, dense = nn.LSTM(1, 6, batch_first=True), nn.Linear(6, 1)
    lstm.load_state_dict(compiled.lstm.rnn.state_dict())
    dense.load_state_dict(compiled.dense.linear.state_dict())
    x, lengths = torch.randn(3, 12, 1, generator=torch.Generator().manual_seed(1)), torch.tensor([12, 5, 1])
    with torch.no_grad():
        seq, _ = run_packed(lstm, x, lengths)
        rows, last = torch.arange(3), lengths - 1
        close(compiled(x, lengths), dense(seq[rows, last]) + x[rows, last])
