"""Left-to-right layered layout: each block's column is its longest path from an input (networkx).

Pure function of the graph; the editor applies the positions as one undoable step.
"""
from __future__ import annotations

import networkx as nx

from .graph import Graph

COLUMN_WIDTH = 270.0
ROW_HEIGHT = 170.0


def layered_positions(graph: Graph, origin: tuple[float, float] = (0.0, 0.0)) -> dict[str, tuple[float, float]]:
    structure = nx.DiGraph(graph.to_networkx())
    if not nx.is_directed_acyclic_graph(structure):
        structure = nx.DiGraph(nx.dfs_tree(structure))  # lay out a spanning tree; the loop is diagnosed elsewhere
        structure.add_nodes_from(graph.nodes)
    layer: dict[str, int] = {}
    order = {node_id: i for i, node_id in enumerate(graph.nodes)}
    for node_id in nx.lexicographical_topological_sort(structure, key=order.__getitem__):
        preds = list(structure.predecessors(node_id))
        layer[node_id] = 1 + max((layer[p] for p in preds), default=-1)
    columns: dict[int, list[str]] = {}
    for node_id in sorted(layer, key=lambda n: (layer[n], order[n])):
        columns.setdefault(layer[node_id], []).append(node_id)
    # Order each column by the mean row of its predecessors (one barycentre sweep) to limit crossings.
    rows: dict[str, float] = {}
    for index in sorted(columns):
        column = columns[index]
        column.sort(key=lambda n: (_mean([rows[p] for p in structure.predecessors(n) if p in rows], order[n]),
                                   order[n]))
        for row, node_id in enumerate(column):
            rows[node_id] = row - (len(column) - 1) / 2
    return {n: (origin[0] + layer[n] * COLUMN_WIDTH, origin[1] + rows[n] * ROW_HEIGHT) for n in layer}


def _mean(values: list[float], fallback: float) -> float:
    return sum(values) / len(values) if values else fallback
