"""Validation and shape inference: each kind of problem gives one diagnostic, tied to a block and port, in words.

Also the shape texts and parameter counts the GUI shows, and why a drag cannot become a connection.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from engine import Graph, GraphError, analyze, compile_graph, connection_problem
from engine.document import load_document

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


def chain(*blocks, graph=None):
    """Adds (kind, name, params) blocks and connects each one's first output to the next one's first input."""
    g = graph or Graph()
    nodes = []
    for kind, name, params in blocks:
        node = g.add_node(kind, name=name, params=params)
        if nodes:
            prev = nodes[-1]
            g.connect(prev.id, prev.spec.outputs[0].name, node.id, node.spec.inputs[0].name)
        nodes.append(node)
    return g, nodes


def messages(g):
    return [(d.node_id, d.port, d.message) for d in analyze(g).diagnostics]


def classifier(hidden=128, **lstm):
    return chain(("token_input", "tokens", {"vocab_size": 100}), ("embedding", "embedding", {"vocab_size": 100}),
                 ("lstm", "lstm_1", {"hidden_size": hidden, **lstm}), ("pooling", "pool", {}),
                 ("dense", "dense", {"units": 3}), ("classification_head", "label", {}))


def test_a_valid_graph_has_no_diagnostics_and_shapes_for_every_port():
    g, (tokens, emb, lstm, pool, dense, head) = classifier()
    report = analyze(g)
    assert report.ok and report.diagnostics == []
    assert report.shape_text(tokens.id, "tokens") == "[B, T]"
    assert report.shape_text(emb.id, "sequence") == "[B, T, 64]"
    assert report.shape_text(lstm.id, "sequence") == "[B, T, 128]"
    assert report.shape_text(lstm.id, "last") == "[B, 128]"
    assert report.shape_text(lstm.id, "state") == "LSTM state (h, c) [1, B, 128]"
    assert report.output_text(dense) == "[B, 3]" and report.output_text(head) == "(head)"


def test_missing_required_input():
    g, (lstm,) = chain(("lstm", "lstm", {}))
    head = g.add_node("regression_head", name="out")
    g.connect(lstm.id, "last", head.id, "input")
    assert messages(g) == [(lstm.id, "input", "LSTM 'lstm' has nothing connected to its input: connect a "
                                              "feature sequence")]


def test_missing_input_of_a_block_with_several_names_the_port():
    g, (q, cross, head) = chain(("feature_input", "q", {"features": 4}), ("cross_attention", "cross", {}),
                                ("regression_head", "out", {}))
    assert messages(g) == [(cross.id, "memory", "Cross-attention 'cross' has nothing connected to its input "
                                                "'memory': connect a feature sequence")]


def test_token_ids_into_an_lstm_says_to_add_an_embedding():
    g, (tokens, lstm, head) = chain(("token_input", "tokens", {}), ("lstm", "lstm_1", {}),
                                    ("regression_head", "out", {}))
    assert messages(g) == [(lstm.id, "input", "LSTM 'lstm_1' expects a feature sequence but 'tokens' gives "
                                              "token ids: put an Embedding block between them")]


@pytest.mark.parametrize("src_port,dst,expected", [
    ("sequence", ("classification_head", {}), "Classification 'dst' expects a vector but 'lstm' gives a feature "
     "sequence: put a Sequence pooling block between them, or use the 'last' output of a recurrent block"),
    ("last", ("conv1d", {}), "Conv1D 'dst' expects a feature sequence but 'lstm' gives a vector: it needs a value "
     "per time step, so take the 'sequence' output of a recurrent block instead"),
    ("state", ("dense", {}), "Dense 'dst' expects a feature sequence or a vector but 'lstm' gives a recurrent "
     "state: a state only starts another recurrent block (its 'initial_state' input); take the 'sequence' or "
     "'last' output here instead"),
    ("last", ("embedding", {}), "Embedding 'dst' expects token ids but 'lstm' gives a vector: connect a Token "
     "sequence input here, the only block that gives token ids"),
])
def test_kind_mismatches_name_both_blocks_and_the_fix(src_port, dst, expected):
    g, (x, lstm) = chain(("feature_input", "x", {"features": 2}), ("lstm", "lstm", {}))
    node = g.add_node(dst[0], name="dst", params=dst[1])
    g.connect(lstm.id, src_port, node.id, node.spec.inputs[0].name)
    found = [m for m in messages(g) if m[0] == node.id]
    assert found == [(node.id, node.spec.inputs[0].name, expected)]


def test_state_into_initial_state_must_come_from_a_matching_block():
    g, (x, enc) = chain(("feature_input", "x", {"features": 2}), ("lstm", "encoder", {"hidden_size": 64}))
    _, (y, dec, head) = chain(("feature_input", "y", {"features": 2}), ("lstm", "decoder", {"hidden_size": 128}),
                              ("regression_head", "out", {}), graph=g)
    g.connect(enc.id, "state", dec.id, "initial_state")
    assert messages(g) == [(dec.id, "initial_state", "LSTM 'decoder' is given LSTM state (h, c) [1, B, 64] on "
                            "'initial_state' but needs LSTM state (h, c) [1, B, 128]: give both blocks the same "
                            "cell type, hidden size, layers and directions")]
    g.set_param(dec.id, "hidden_size", 64)
    assert messages(g) == []
    g.disconnect(g.edge_into(dec.id, "initial_state"))
    g.connect(enc.id, "sequence", dec.id, "initial_state")
    assert "expects a recurrent state on 'initial_state' but 'encoder' gives a feature sequence: only the 'state' " \
           "output of a recurrent block fits here" in messages(g)[0][2]


def test_add_needs_equal_feature_sizes():
    g, (x, a) = chain(("feature_input", "x", {"features": 2}), ("dense", "a", {"units": 3}))
    b = g.add_node("dense", name="b", params={"units": 4})
    g.connect(x.id, "sequence", b.id, "input")
    _, (add, head) = chain(("add", "sum", {}), ("regression_head", "out", {}), graph=g)
    g.connect(a.id, "output", add.id, "a")
    g.connect(b.id, "output", add.id, "b")
    assert messages(g) == [(add.id, "b", "Add 'sum' gets 4 features on 'b' but 3 on 'a': Add needs inputs of "
                                         "equal size (a Dense block can resize one of them)")]


def test_merging_a_sequence_with_a_vector_or_another_time_axis():
    g, (x, lstm) = chain(("feature_input", "x", {"features": 2}), ("lstm", "lstm", {"hidden_size": 4}))
    _, (cat, head) = chain(("concat", "cat", {}), ("regression_head", "out", {}), graph=g)
    g.connect(lstm.id, "sequence", cat.id, "a")
    g.connect(lstm.id, "last", cat.id, "b")
    assert messages(g) == [(cat.id, "b", "Concat 'cat' gets a vector on 'b' but a feature sequence on 'a': pool "
                                         "the sequence into a vector first (Sequence pooling)")]
    g.disconnect(g.edge_into(cat.id, "b"))
    y = g.add_node("feature_input", name="y", params={"features": 4})
    g.connect(y.id, "sequence", cat.id, "b")
    assert messages(g) == [(cat.id, "b", "Concat 'cat' gets a sequence timed by input 'y' on 'b' but one timed "
                                         "by input 'x' on 'a': sequences of different lengths cannot be merged "
                                         "step by step")]


def test_heads_must_divide_the_features():
    g, (x, att, head) = chain(("feature_input", "x", {"features": 30}), ("self_attention", "att", {"heads": 4}),
                              ("regression_head", "out", {}))
    assert messages(g) == [(att.id, "input", "Self-attention 'att' receives 30 features, which 4 heads cannot "
                                             "split evenly: choose a number of heads that divides 30")]


def test_embedding_vocabulary_must_cover_the_input_and_its_padding_index():
    g, (tokens, emb, lstm, pool, dense, head) = classifier()
    g.set_param(tokens.id, "vocab_size", 5000)
    g.set_param(emb.id, "vocab_size", 4000)
    assert messages(g) == [(emb.id, "tokens", "Embedding 'embedding' receives token ids up to 4999 but holds only "
                                              "4000 entries: raise its vocabulary size to 5000")]
    g.set_param(emb.id, "vocab_size", 5000)
    g.set_param(emb.id, "padding_idx", 5000)
    assert messages(g) == [(emb.id, None, "Embedding 'embedding' has padding index 5000, outside its vocabulary "
                                          "of 5000 ids: use 0 (or -1 for none)")]


@pytest.mark.parametrize("name,value,problem", [
    ("hidden_size", 0, "'Hidden size' must be at least 1 (it is 0)"),
    ("hidden_size", 100_000, "'Hidden size' must be at most 8192 (it is 100000)"),
    ("hidden_size", "big", "'Hidden size' must be a whole number (it is 'big')"),
    ("hidden_size", 12.5, "'Hidden size' must be a whole number (it is 12.5)"),
    ("layers", True, "'Layers' must be a whole number (it is True)"),
    ("dropout", 1.5, "'Dropout' must be at most 0.95 (it is 1.5)"),
    ("dropout", float("nan"), "'Dropout' must be a finite number (it is nan)"),
    ("dropout", "0.1", "'Dropout' must be a number (it is '0.1')"),
])
def test_out_of_range_and_wrong_type_parameters(name, value, problem):
    g, (tokens, emb, lstm, *_) = classifier()
    g.set_param(lstm.id, name, value)
    # One diagnostic: the blocks after it wait for it instead of adding noise.
    assert messages(g) == [(lstm.id, None, f"LSTM 'lstm_1': {problem}")]


def test_choice_and_bool_parameters():
    g, (x, att, head) = chain(("feature_input", "x", {"features": 4}), ("bidirectional", "bi", {"merge": "avg"}),
                              ("regression_head", "out", {}))
    g.add_node("self_attention", name="att", params={"causal": "yes"})
    found = {m[2] for m in messages(g)}
    assert "Bidirectional 'bi': 'Merge' must be one of concat, sum, mean, multiply (it is 'avg')" in found
    assert "Self-attention 'att': 'Causal' must be true or false (it is 'yes')" in found


def test_loops_are_refused_when_connecting_naming_the_blocks():
    g, (x, a, b, head) = chain(("feature_input", "x", {"features": 2}), ("add", "a", {}), ("dense", "b", {}),
                               ("regression_head", "out", {}))
    before = g.edges
    with pytest.raises(GraphError) as caught:
        g.connect(b.id, "output", a.id, "b")
    assert str(caught.value) == ("connecting Dense 'b' to Add 'a' would make a loop (b → a → b): blocks feed "
                                 "forward (recurrent blocks loop over time by themselves)")
    assert g.edges == before


def test_a_recurrent_block_cannot_start_from_its_own_state():
    g, (x, lstm, head) = chain(("feature_input", "x", {"features": 2}), ("lstm", "lstm", {}),
                               ("regression_head", "out", {}))
    with pytest.raises(GraphError) as caught:
        g.connect(lstm.id, "state", lstm.id, "initial_state")
    assert str(caught.value) == ("LSTM 'lstm' cannot be connected to itself: blocks feed forward (a recurrent "
                                 "block already loops over time by itself)")
    assert [e.dst_port for e in g.out_edges(lstm.id)] == ["input"]  # only the head's edge


def test_a_long_loop_names_every_block_on_it():
    g, nodes = chain(("feature_input", "x", {"features": 2}), *[("dense", f"d{i}", {}) for i in range(4)])
    assert g.loop_problem(nodes[-1].id, nodes[1].id) == (
        "connecting Dense 'd3' to Dense 'd0' would make a loop (d3 → d0 → d1 → d2 → d3): blocks feed forward "
        "(recurrent blocks loop over time by themselves)")
    assert g.loop_problem(nodes[1].id, nodes[-1].id) is None  # a shortcut forward is no loop


def test_a_graph_without_head_and_a_block_not_reaching_it():
    g, (x, lstm) = chain(("feature_input", "x", {"features": 2}), ("lstm", "lstm", {}))
    assert messages(g) == [(None, None, "The model has no output head: add one from Outputs (Classification, "
                                        "Regression, Sequence labelling or Next-token LM) to say what it learns")]
    _, (head,) = chain(("regression_head", "out", {}), graph=g)
    g.connect(lstm.id, "last", head.id, "input")
    spare = g.add_node("dense", name="spare")
    g.connect(lstm.id, "sequence", spare.id, "input")
    assert messages(g) == [(spare.id, None, "Dense 'spare' does not lead to an output head, so nothing would train "
                                            "it: connect its output onwards or delete it")]
    assert analyze(Graph()).ok  # an empty canvas is not an error to show
    unread = g.add_node("token_input", name="unread")
    assert messages(g)[-1] == (unread.id, None, "Token sequence 'unread' does not lead to an output head, so the "
                                                "model never reads it: connect its output onwards or delete it")


def test_two_inputs_get_their_own_time_labels():
    doc = load_document(next(p for p in EXAMPLES if p.stem == "seq2seq"))
    report = analyze(doc.graph)
    by_name = {n.name: n for n in doc.graph}
    assert report.output_text(by_name["source_embedding"]) == "[B, T_source, 32]"
    assert report.output_text(by_name["attention"]) == "[B, T_target, 128]"
    assert report.output_text(by_name["context"]) == "[B, T_target, 256]"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_parameter_counts_equal_the_built_modules(path):
    graph = load_document(path).graph
    model = compile_graph(graph)
    report = model.report
    for name, node_id in model.node_of_module.items():
        module = model.module.get_submodule(name)
        assert report.params[node_id] == sum(p.numel() for p in module.parameters()), name
    assert report.total_params == sum(p.numel() for p in model.module.parameters())


def test_parameter_count_of_a_known_model():
    g, (tokens, emb, lstm, pool, dense, head) = classifier(hidden=32)
    report = analyze(g)
    assert report.params[emb.id] == 100 * 64
    assert report.params[lstm.id] == 4 * (32 * 64 + 32 * 32 + 2 * 32)
    assert report.params[dense.id] == 32 * 3 + 3
    assert torch.get_default_device().type == "cpu"  # counting on the meta device leaves no trace


def test_connection_problems_while_dragging():
    g, (tokens, emb, lstm, pool, dense, head) = classifier()
    assert connection_problem(g, lstm.id, "sequence", lstm.id, "input") == "a block cannot feed itself"
    assert connection_problem(g, dense.id, "output", emb.id, "tokens") == \
        "connecting 'dense' to 'embedding' would make a loop"
    assert connection_problem(g, tokens.id, "tokens", lstm.id, "input") == \
        "LSTM 'lstm_1' expects a feature sequence but 'tokens' gives token ids: put an Embedding block between them"
    assert connection_problem(g, lstm.id, "state", dense.id, "input").startswith(
        "Dense 'dense' expects a feature sequence or a vector but 'lstm_1' gives a recurrent state")
    # The input is taken, but the drag may replace its edge; a fitting kind is no problem.
    assert connection_problem(g, lstm.id, "last", dense.id, "input") is None
    # Dense's output may be a sequence or a vector: with a report, the real kind decides.
    other = g.add_node("dense", name="per_step")
    g.connect(lstm.id, "sequence", other.id, "input")
    assert connection_problem(g, other.id, "output", head.id, "input") is None
    assert connection_problem(g, other.id, "output", head.id, "input", analyze(g)).startswith(
        "Classification 'label' expects a vector but 'per_step' gives a feature sequence")
