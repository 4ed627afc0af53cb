"""Automatic layout: columns by longest path from an input, rows centred and ordered to avoid crossings.

Loose blocks still get a position (loops cannot exist: Graph.connect refuses them).
"""
from __future__ import annotations

from pathlib import Path

import pytest

from engine import Graph
from engine.document import load_document
from engine.layout import COLUMN_WIDTH, ROW_HEIGHT, layered_positions

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))


def test_a_chain_is_laid_out_left_to_right_on_one_row():
    doc = load_document(next(p for p in EXAMPLES if p.stem == "sentiment"))
    positions = layered_positions(doc.graph, origin=(10.0, 20.0))
    assert [positions[n] for n in doc.graph.topological_order()] == [
        (10.0 + i * COLUMN_WIDTH, 20.0) for i in range(5)]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_connection_points_right_and_no_two_blocks_overlap(path):
    graph = load_document(path).graph
    positions = layered_positions(graph)
    assert set(positions) == set(graph.nodes)
    assert len(set(positions.values())) == len(positions)
    for edge in graph.edges:
        assert positions[edge.src][0] < positions[edge.dst][0]


def test_column_is_the_longest_path_and_rows_follow_their_inputs():
    g = Graph()
    a = g.add_node("feature_input", name="a", params={"features": 2})
    b = g.add_node("feature_input", name="b", params={"features": 2})
    from_b = g.add_node("dense", name="from_b")  # added first, but fed by the lower input
    from_a = g.add_node("dense", name="from_a")
    g.connect(a.id, "sequence", from_a.id, "input")
    g.connect(b.id, "sequence", from_b.id, "input")
    late = g.add_node("add", name="late")
    g.connect(from_a.id, "output", late.id, "a")
    g.connect(b.id, "sequence", late.id, "b")  # a short edge does not pull 'late' left of its longest path
    positions = layered_positions(g)
    assert positions[a.id] == (0.0, -ROW_HEIGHT / 2) and positions[b.id] == (0.0, ROW_HEIGHT / 2)
    assert positions[from_a.id] == (COLUMN_WIDTH, -ROW_HEIGHT / 2)
    assert positions[from_b.id] == (COLUMN_WIDTH, ROW_HEIGHT / 2)
    assert positions[late.id] == (2 * COLUMN_WIDTH, 0.0)


def test_loose_blocks_still_get_positions():
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": 2})
    first, second = g.add_node("add", name="first"), g.add_node("dense", name="second")
    g.connect(x.id, "sequence", first.id, "a")
    g.connect(first.id, "output", second.id, "input")
    loose = g.add_node("gru", name="loose")
    positions = layered_positions(g)
    assert set(positions) == {x.id, first.id, second.id, loose.id}
    assert len(set(positions.values())) == 4
    assert layered_positions(Graph()) == {}
