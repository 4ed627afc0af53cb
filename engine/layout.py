"""Left-to-right layered layout: each block's column is its longest path from an input.

Pure function of the graph (linear in its size); the editor applies the positions as one undoable step.
"""
from __future__ import annotations

from .graph import Graph

COLUMN_WIDTH = 270.0
ROW_HEIGHT = 170.0


def layered_positions(graph: Graph, origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    order = {node_id: i for i, node_id in enumerate(graph.nodes)}
    # Graph.connect refuses loops, so every graph has a dependency order.
    predecessors = {node_id: list(dict.fromkeys(e.src for e in graph.in_edges(node_id))) for node_id in graph.nodes}
    layer: dict[str, int] = {}
    for node_id in graph.topological_order():
        layer[node_id] = 1 + max((layer[p] for p in predecessors[node_id]), default=-1)
    columns: dict[int, list[str]] = {}
    for node_id in sorted(layer, key=lambda n: (layer[n], order[n])):
        columns.setdefault(layer[node_id], []).append(node_id)
    # Order each column by the mean row of its predecessors (one barycentre sweep) to limit crossings.
    rows: dict[str, float] = {}
    for index in sorted(columns):
        column = columns[index]
        column.sort(key=lambda n: (_mean([rows[p] for p in predecessors[n] if p in rows], order[n]), order[n]))
        for row, node_id in enumerate(column):
            rows[node_id] = row - (len(column) - 1) / 2
    return {n: (origin[0] + layer[n] * COLUMN_WIDTH, origin[1] + rows[n] * ROW_HEIGHT) for n in layer}


def _mean(values: list[float], fallback: float) -> float:
    return sum(values) / len(values) if values else fallback
