"""The graph model: every edit is announced on graph.events, ids stay stable, refused edits say why.

Listeners are plain lists here, as the canvas and inspector are in the studio.
"""
from __future__ import annotations

import pytest

from engine import Graph, GraphError


@pytest.fixture
def recorded():
    g = Graph()
    log: list[tuple] = []
    for name in ("node_added", "node_removed", "node_changed", "node_moved", "edge_added", "edge_removed",
                 "changed"):
        getattr(g.events, name).connect(lambda *args, name=name: log.append((name, *args)))
    return g, log


def test_edits_are_announced_in_order(recorded):
    g, log = recorded
    x = g.add_node("feature_input", params={"features": 2})
    lstm = g.add_node("lstm", pos=(10, 20))
    edge = g.connect(x.id, "sequence", lstm.id, "input")
    g.set_param(lstm.id, "hidden_size", 32)
    g.set_param(lstm.id, "hidden_size", 32)  # no change, no announcement
    g.rename(lstm.id, "encoder")
    g.move(lstm.id, (5, 6))  # moves are not structural: no 'changed'
    g.remove_node(x.id)
    assert [entry[0] for entry in log] == [
        "node_added", "changed", "node_added", "changed", "edge_added", "changed", "node_changed", "changed",
        "node_changed", "changed", "node_moved", "edge_removed", "node_removed", "changed"]
    assert log[6] == ("node_changed", lstm, "params") and log[8] == ("node_changed", lstm, "name")
    assert log[11] == ("edge_removed", edge)
    assert (x.name, lstm.pos, lstm.params["hidden_size"]) == ("features", (5.0, 6.0), 32)


def test_ids_are_stable_and_never_reused_after_loading_higher_ones():
    g = Graph()
    a = g.add_node("dense")
    g.add_node("dense", node_id="n7")
    g.remove_node(a.id)
    assert g.add_node("dense").id == "n8"
    assert [n.name for n in g] == ["dense_1", "dense"]  # names fill the gap, ids never do


@pytest.mark.parametrize("edit,message", [
    (lambda g, x, d: g.add_node("transformer"), "unknown block kind 'transformer'"),
    (lambda g, x, d: g.add_node("dense", params={"size": 3}), "Dense has no parameter 'size'"),
    (lambda g, x, d: g.add_node("dense", name="x"), "another block is already called 'x'"),
    (lambda g, x, d: g.add_node("dense", name="2nd"), "'2nd' is not a valid name: use letters, digits and _, "
                                                      "not starting with a digit"),
    (lambda g, x, d: g.add_node("dense", node_id=x.id), "a block with id 'n1' already exists"),
    (lambda g, x, d: g.connect(x.id, "output", d.id, "input"), "Feature sequence 'x' has no output 'output'"),
    (lambda g, x, d: g.connect(x.id, "sequence", d.id, "query"), "Dense 'dense' has no input 'query'"),
    (lambda g, x, d: g.connect(x.id, "sequence", d.id, "input"), "input 'input' of Dense 'dense' is already "
                                                                 "connected"),
    (lambda g, x, d: g.set_param(d.id, "size", 3), "Dense has no parameter 'size'"),
    (lambda g, x, d: g.remove_node("n99"), "there is no block with id 'n99'"),
    (lambda g, x, d: g.rename(d.id, "lambda"), "'lambda' is a reserved word: choose another name"),
])
def test_refused_edits_say_why_and_change_nothing(edit, message):
    g = Graph()
    x = g.add_node("feature_input", name="x")
    d = g.add_node("dense")
    g.connect(x.id, "sequence", d.id, "input")
    before = (list(g.nodes), g.edges, [dict(n.params) for n in g])
    with pytest.raises(GraphError) as caught:
        edit(g, x, d)
    assert str(caught.value) == message
    assert (list(g.nodes), g.edges, [dict(n.params) for n in g]) == before


def test_copy_is_independent_and_silent():
    g = Graph()
    x = g.add_node("feature_input")
    d = g.add_node("dense")
    g.connect(x.id, "sequence", d.id, "input")
    clone = g.copy()
    heard = []
    g.events.changed.connect(lambda: heard.append(1))
    clone.set_param(d.id, "units", 5)
    clone.remove_node(x.id)
    assert heard == [] and g.node(d.id).params["units"] == 64 and len(g.edges) == 1
    assert clone.add_node("dense").id == "n3"


def test_topological_order_breaks_ties_by_insertion_and_restore_order_puts_blocks_back():
    g = Graph()
    late_input = g.add_node("dense", name="late")
    x = g.add_node("feature_input", name="x")
    y = g.add_node("feature_input", name="y")
    g.connect(y.id, "sequence", late_input.id, "input")
    assert g.topological_order() == [x.id, y.id, late_input.id]
    order, edges = list(g.nodes), g.edges
    removed = g.remove_node(x.id)
    g.add_node(removed.kind, name=removed.name, params=removed.params, node_id=removed.id)
    assert list(g.nodes) == [late_input.id, y.id, x.id]
    g.restore_order(order, edges)
    assert list(g.nodes) == order and g.edges == edges
    with pytest.raises(GraphError):
        g.restore_order(order[:2], edges)


def test_positions_must_be_finite_and_odd_ids_do_not_break_numbering():
    g = Graph()
    with pytest.raises(GraphError, match=r"a position must be two finite numbers, not \(nan, 0.0\)"):
        g.add_node("dense", pos=(float("nan"), 0))
    d = g.add_node("dense", node_id="n" + "9" * 5000)  # int() of it would raise; it simply sets no new start
    with pytest.raises(GraphError, match="a position must be two finite numbers"):
        g.move(d.id, (0, float("inf")))
    assert d.pos == (0.0, 0.0) and len(g) == 1
    assert g.add_node("dense").id == "n1" and g.add_node("dense", node_id="n41").id == "n41"
    assert g.add_node("dense").id == "n42"
