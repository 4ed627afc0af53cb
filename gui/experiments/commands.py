"""Undo commands of the experiment: Apply best (a trial's values into the document: graph, data and training as
one step) and the graph half of it, which turns the graph into given graph data and back exactly.
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtGui import QUndoCommand

from engine.document import Document, graph_to_data
from engine.graph import Edge, Graph

from ..commands import DocumentSections, MacroCommand, SetSectionCommand


def _edge(raw: dict) -> Edge:
    return Edge(raw["from"][0], raw["from"][1], raw["to"][0], raw["to"][1])


def set_graph_data(graph: Graph, data: dict[str, Any]) -> None:
    """Makes ``graph`` equal to ``data`` (graph_to_data's form) through its public API, touching only what differs:
    a block whose kind changed is removed and added again with the same id (the canvas follows the events), other
    blocks get their changed parameters, names and positions; connections and the document order follow."""
    wanted = {raw["id"]: raw for raw in data["nodes"]}
    for node_id in [i for i, node in graph.nodes.items() if i not in wanted or node.kind != wanted[i]["kind"]]:
        graph.remove_node(node_id)
    edges = [_edge(raw) for raw in data["edges"]]
    for edge in [e for e in graph.edges if e not in set(edges)]:
        graph.disconnect(edge)
    for node_id, raw in wanted.items():
        if node_id not in graph.nodes:
            graph.add_node(raw["kind"], name=raw["name"], params=copy.deepcopy(raw["params"]),
                           pos=tuple(raw["pos"]), node_id=node_id)
            continue
        node = graph.node(node_id)
        if node.name != raw["name"]:
            graph.rename(node_id, raw["name"])
        for name, value in raw["params"].items():
            graph.set_param(node_id, name, copy.deepcopy(value))
        if tuple(node.pos) != tuple(raw["pos"]):
            graph.move(node_id, tuple(raw["pos"]))
    present = set(graph.edges)
    for edge in edges:
        if edge not in present:
            graph.connect(edge.src, edge.src_port, edge.dst, edge.dst_port)
    graph.restore_order([raw["id"] for raw in data["nodes"]], edges)


class SetGraphCommand(QUndoCommand):
    """Turns the graph into ``data``; undo turns it back into what it was (same ids, order, parameters)."""

    def __init__(self, graph: Graph, data: dict[str, Any], text: str = "Change the graph",
                 parent: MacroCommand | None = None):
        super().__init__()
        if parent is not None:
            parent.adopt(self)
        self.graph = graph
        self.old, self.new = graph_to_data(graph), copy.deepcopy(data)
        self.setText(text)
        self.setObsolete(self.old == self.new)

    def redo(self) -> None:
        set_graph_data(self.graph, self.new)

    def undo(self) -> None:
        set_graph_data(self.graph, self.old)


class ApplyValuesCommand(MacroCommand):
    """Apply best: ``target`` (engine.experiments.applied(document, values)) copied into ``document`` as one undo
    step: the graph (kind swaps, parameters), then the data and training sections that differ."""

    def __init__(self, document: Document, target: Document, sections: DocumentSections, text: str):
        super().__init__(text)
        self.document = document
        SetGraphCommand(document.graph, graph_to_data(target.graph), text, parent=self)
        for section in ("data", "training"):
            if getattr(target, section) != getattr(document, section):
                SetSectionCommand(document, section, getattr(target, section), sections, text, parent=self)
        self.setObsolete(all(c.isObsolete() for c in self.commands))


__all__ = ["ApplyValuesCommand", "SetGraphCommand", "set_graph_data"]
