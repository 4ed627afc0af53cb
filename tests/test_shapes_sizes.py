"""Blocks too large to train are refused by analyze, up front and without allocating them.

The estimate is parameters x 4 bytes x 4 (weights, gradients, Adam's two moments) against the machine's
memory, and at most 2^31 parameters per block on any machine; the message gives the count, the estimate,
the limit and what to lower.
"""
from __future__ import annotations

import time

import pytest

import engine.shapes as shapes
from engine import CompileError, Graph, analyze, compile_graph

GB = 1_000_000_000


def tokens_model(vocab: int, dim: int, hidden: int = 8, layers: int = 1):
    g = Graph()
    tokens = g.add_node("token_input", name="tokens", params={"vocab_size": vocab})
    emb = g.add_node("embedding", name="emb", params={"vocab_size": vocab, "dim": dim})
    lstm = g.add_node("lstm", name="deep", params={"hidden_size": hidden, "layers": layers})
    head = g.add_node("regression_head", name="out")
    g.connect(tokens.id, "tokens", emb.id, "tokens")
    g.connect(emb.id, "sequence", lstm.id, "input")
    g.connect(lstm.id, "last", head.id, "input")
    return g, emb, lstm


@pytest.fixture
def machine_of(monkeypatch):
    def set_memory(size):
        monkeypatch.setattr(shapes, "physical_memory", lambda: size)
    return set_memory


def test_a_ten_million_word_embedding_is_refused_with_the_count_and_the_memory(machine_of):
    machine_of(24 * GB)
    g, emb, lstm = tokens_model(10_000_000, 4096)
    started = time.process_time()
    report = analyze(g)
    assert time.process_time() - started < 1.0  # counted, not allocated (655 GB would not fit anyway)
    assert [(d.node_id, d.message) for d in report.diagnostics] == [
        (emb.id, "Embedding 'emb' would have 40,960,000,000 parameters (about 655 GB to train); this machine has "
                 "24 GB: lower vocab_size or dim")]
    assert report.params[emb.id] == 40_960_000_000 and not report.ok
    with pytest.raises(CompileError, match="40,960,000,000 parameters"):
        compile_graph(g)


def test_sixteen_lstm_layers_of_8192_units(machine_of):
    machine_of(24 * GB)
    g, emb, lstm = tokens_model(100, 8192, hidden=8192, layers=16)
    count = 4 * (8192 * 8192 + 8192 * 8192 + 2 * 8192) * 16  # input and hidden weights, two biases, per layer
    report = analyze(g)
    assert report.params[lstm.id] == count == 8_590_983_168
    assert [d.message for d in report.for_node(lstm.id)] == [
        "LSTM 'deep' would have 8,590,983,168 parameters (about 137 GB to train); this machine has 24 GB: lower "
        "hidden_size or layers"]


def test_the_per_block_cap_holds_on_any_machine(machine_of):
    machine_of(None)  # a system that does not say how much memory it has
    g, emb, lstm = tokens_model(10_000_000, 256)  # 2,560,000,000 parameters
    assert [d.message for d in analyze(g).diagnostics] == [
        "Embedding 'emb' would have 2,560,000,000 parameters, more than the 2,147,483,648 a block may have: "
        "lower vocab_size or dim"]
    machine_of(10**15)
    assert [d.message for d in analyze(g).diagnostics][0].startswith("Embedding 'emb' would have 2,560,000,000 "
                                                                     "parameters, more than")


def test_blocks_that_fit_alone_but_not_together_are_refused_as_a_model(machine_of):
    g, emb, lstm = tokens_model(500_000, 1000, hidden=4096, layers=4)  # about 8.0 and 7.8 GB to train
    machine_of(10 * GB)
    report = analyze(g)
    assert (report.params[emb.id], report.params[lstm.id]) == (500_000_000, 486_277_120)
    assert [(d.node_id, d.message) for d in report.diagnostics] == [
        (None, "The model would have 986,277,120 parameters (about 16 GB to train); this machine has 10 GB: make "
               "its largest blocks smaller ('emb', 'deep')")]
    machine_of(17 * GB)
    assert analyze(g).ok


def test_small_models_are_untouched_and_memory_is_known_here():
    g, emb, lstm = tokens_model(1000, 32)
    assert analyze(g).ok
    memory = shapes.physical_memory()
    assert memory is None or memory > 100_000_000
