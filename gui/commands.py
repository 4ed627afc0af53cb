"""Undo commands: one QUndoCommand per model action, each acting on the graph only through its public API.

Items never change themselves; a command changes the graph and the canvas follows the graph's events.
"""
from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand

from engine.document import DocumentError, graph_from_data
from engine.graph import Edge, Graph, GraphError

Pos = tuple[float, float]


class MacroCommand(QUndoCommand):
    """A command made of child commands, undone as one step (children redo in order, undo in reverse).

    Children are held in a Python list, not as Qt children: with Qt parents PySide and Qt would both own
    them and free them twice. Every command here takes ``parent=`` a MacroCommand to become its child.
    """

    def __init__(self, text: str = "", parent: "MacroCommand | None" = None):
        super().__init__()
        if text:
            self.setText(text)
        self.commands: list[QUndoCommand] = []
        _keep(parent, self)

    def adopt(self, child: QUndoCommand) -> QUndoCommand:
        self.commands.append(child)
        return child

    def redo(self) -> None:
        for command in self.commands:
            command.redo()

    def undo(self) -> None:
        for command in reversed(self.commands):
            command.undo()


def _order(graph: Graph) -> tuple[list[str], list[Edge]]:
    return list(graph.nodes), graph.edges


def _keep(parent: MacroCommand | None, child: QUndoCommand) -> None:
    if parent is None:
        return
    if not isinstance(parent, MacroCommand):
        raise TypeError("a command's parent must be a MacroCommand")
    parent.adopt(child)


def _restore(graph: Graph, order: tuple[list[str], list[Edge]] | None) -> None:
    """Undo of a removal re-adds at the end; put blocks and edges back where the document had them."""
    if order is not None and _order(graph) != order:
        graph.restore_order(*order)


class _OrderKeepingMacro(MacroCommand):
    """A macro whose undo puts blocks and edges back in their document order (set ``self.graph``)."""

    _order: tuple[list[str], list[Edge]] | None = None

    def redo(self) -> None:
        self._order = _order(self.graph)
        super().redo()

    def undo(self) -> None:
        super().undo()
        _restore(self.graph, self._order)


class AddNodeCommand(QUndoCommand):
    """Adds one block. The first redo picks id and name; later redos reuse them so undo/redo is exact."""

    def __init__(self, graph: Graph, kind: str, pos: Pos, name: str | None = None,
                 params: dict[str, Any] | None = None, parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        from engine.blocks import get_spec

        try:
            spec = get_spec(kind)
        except KeyError:
            raise GraphError(f"unknown block kind '{kind}'") from None
        if name is not None and graph.name_problem(name, kind=spec.id):
            raise GraphError(graph.name_problem(name, kind=spec.id))
        self.graph, self.kind, self.pos = graph, spec.id, (float(pos[0]), float(pos[1]))
        self.name, self.params = name, dict(params or {})
        self.node_id: str | None = None
        self.setText(f"Add {spec.title}")

    def redo(self) -> None:
        node = self.graph.add_node(self.kind, name=self.name, params=self.params, pos=self.pos,
                                   node_id=self.node_id)
        self.node_id, self.name = node.id, node.name

    def undo(self) -> None:
        self.graph.remove_node(self.node_id)


class DisconnectCommand(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge, parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        self.graph, self.edge = graph, edge
        self._order: tuple[list[str], list[Edge]] | None = None
        self.setText(f"Disconnect {graph.node(edge.src).name} → {graph.node(edge.dst).name}")

    def redo(self) -> None:
        self._order = _order(self.graph)
        self.graph.disconnect(self.edge)

    def undo(self) -> None:
        self.graph.connect(self.edge.src, self.edge.src_port, self.edge.dst, self.edge.dst_port)
        _restore(self.graph, self._order)


class _ConnectChild(QUndoCommand):
    def __init__(self, graph: Graph, edge: Edge, parent: MacroCommand):
        super().__init__()
        _keep(parent, self)
        self.graph, self.edge = graph, edge

    def redo(self) -> None:
        e = self.edge
        self.graph.connect(e.src, e.src_port, e.dst, e.dst_port)

    def undo(self) -> None:
        self.graph.disconnect(self.edge)


class ConnectCommand(_OrderKeepingMacro):
    """Connects an output to an input; a taken input loses its old edge in the same undo step."""

    def __init__(self, graph: Graph, src: str, src_port: str, dst: str, dst_port: str,
                 parent: MacroCommand | None = None):
        super().__init__(parent=parent)
        source, target = graph.node(src), graph.node(dst)
        if src_port not in {p.name for p in source.spec.outputs}:
            raise GraphError(f"{source.label} has no output '{src_port}'")
        if dst_port not in {p.name for p in target.spec.inputs}:
            raise GraphError(f"{target.label} has no input '{dst_port}'")
        self.graph = graph
        self.edge = Edge(src, src_port, dst, dst_port)
        old = graph.edge_into(dst, dst_port)
        self.replaced = old if old != self.edge else None
        if self.replaced is not None:
            DisconnectCommand(graph, self.replaced, self)
        if old != self.edge:
            _ConnectChild(graph, self.edge, self)
        else:
            self.setObsolete(True)  # the same edge already exists: nothing to do, nothing to undo
        verb = "Reconnect" if self.replaced else "Connect"
        self.setText(f"{verb} {source.name}.{src_port} → {target.name}.{dst_port}")


class _RemoveNodeChild(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, parent: MacroCommand):
        super().__init__()
        _keep(parent, self)
        self.graph, self.node_id = graph, node_id
        node = graph.node(node_id)
        self.kind, self.name, self.params, self.pos = node.kind, node.name, copy.deepcopy(node.params), node.pos

    def redo(self) -> None:
        self.graph.remove_node(self.node_id)

    def undo(self) -> None:
        self.graph.add_node(self.kind, name=self.name, params=copy.deepcopy(self.params), pos=self.pos,
                            node_id=self.node_id)


class RemoveNodesCommand(_OrderKeepingMacro):
    """Deletes blocks: child commands first remove every edge touching them, then the blocks."""

    def __init__(self, graph: Graph, node_ids, parent: MacroCommand | None = None, text: str | None = None):
        super().__init__(parent=parent)
        self.graph = graph
        self.node_ids = [i for i in dict.fromkeys(node_ids)]
        if not self.node_ids:
            raise GraphError("no blocks to delete")
        for node_id in self.node_ids:
            graph.node(node_id)  # raises GraphError for an unknown id before anything changes
        edges: dict[Edge, None] = {}
        for node_id in self.node_ids:
            for edge in graph.in_edges(node_id) + graph.out_edges(node_id):
                edges[edge] = None
        for edge in edges:
            DisconnectCommand(graph, edge, self)
        for node_id in self.node_ids:
            _RemoveNodeChild(graph, node_id, self)
        if text is None:
            text = (f"Delete {graph.node(self.node_ids[0]).name}" if len(self.node_ids) == 1
                    else f"Delete {len(self.node_ids)} blocks")
        self.setText(text)


class MoveNodesCommand(QUndoCommand):
    """Moves blocks: a drag of several blocks is one command, pushed once on mouse release."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[Pos, Pos]], parent: MacroCommand | None = None,
                 text: str | None = None):
        super().__init__()
        _keep(parent, self)
        self.graph = graph
        self.moves = {i: ((float(a[0]), float(a[1])), (float(b[0]), float(b[1]))) for i, (a, b) in moves.items()}
        self.setObsolete(all(a == b for a, b in self.moves.values()))  # nothing moves: no undo step
        if text is None:
            text = (f"Move {graph.node(next(iter(moves))).name}" if len(moves) == 1
                    else f"Move {len(moves)} blocks")
        self.setText(text)

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.graph.move(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.graph.move(node_id, old)


class LayoutCommand(MoveNodesCommand):
    """Applies an automatic layout (engine.layout.layered_positions) as one step."""

    def __init__(self, graph: Graph, positions: dict[str, Pos], parent: MacroCommand | None = None):
        moves = {i: (graph.node(i).pos, tuple(p)) for i, p in positions.items()}
        super().__init__(graph, moves, parent, text="Auto-layout")


class SetParamCommand(QUndoCommand):
    """Sets one parameter. Edits never merge unless both carry the same non-None ``session`` token
    (e.g. one spin box's continuous editing), so each committed edit is its own undo step."""

    _ID = 0x5E7

    def __init__(self, graph: Graph, node_id: str, name: str, value: Any, session: object | None = None,
                 parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        node = graph.node(node_id)
        if name not in node.params:
            raise GraphError(f"{node.spec.title} has no parameter '{name}'")
        self.graph, self.node_id, self.name, self.value, self.session = graph, node_id, name, value, session
        self.old = copy.deepcopy(node.params[name])
        self.setText(f"Set {node.name}.{node.spec.param(name).title.lower()} = {value!r}")
        self.setObsolete(self._unchanged())  # setting the value it already has leaves no undo step

    def _unchanged(self) -> bool:
        return self.value == self.old and type(self.value) is type(self.old)

    def id(self) -> int:
        return self._ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamCommand) or self.session is None or other.session != self.session:
            return False
        if (other.node_id, other.name) != (self.node_id, self.name):
            return False
        self.value = other.value
        self.setText(other.text())
        self.setObsolete(self._unchanged())  # edited back to where it started: the step disappears
        return True

    def redo(self) -> None:
        self.graph.set_param(self.node_id, self.name, copy.deepcopy(self.value))

    def undo(self) -> None:
        self.graph.set_param(self.node_id, self.name, copy.deepcopy(self.old))


class RenameCommand(QUndoCommand):
    def __init__(self, graph: Graph, node_id: str, name: str, parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        problem = graph.name_problem(name, node_id)
        if problem:
            raise GraphError(problem)
        self.graph, self.node_id, self.name = graph, node_id, name
        self.old = graph.node(node_id).name
        self.setText(f"Rename {self.old} → {name}")
        self.setObsolete(name == self.old)

    def redo(self) -> None:
        self.graph.rename(self.node_id, self.name)

    def undo(self) -> None:
        self.graph.rename(self.node_id, self.old)


class PasteCommand(QUndoCommand):
    """Adds a copied subgraph (``graph.subgraph_data`` style) shifted by ``offset``, with fresh ids and names.

    The data is checked on a scratch graph first, so bad clipboard content raises DocumentError and
    changes nothing. ``node_ids`` lists the new blocks after redo.
    """

    def __init__(self, graph: Graph, data: dict[str, Any], offset: Pos = (0.0, 0.0),
                 parent: MacroCommand | None = None, text: str = "Paste"):
        super().__init__()
        _keep(parent, self)
        graph_from_data(data, where="clipboard", path="$")  # validates; raises DocumentError
        shifted = copy.deepcopy(data)
        for raw in shifted["nodes"]:
            raw["pos"] = [raw["pos"][0] + offset[0], raw["pos"][1] + offset[1]]
        self.graph, self.data = graph, shifted
        self.node_ids: list[str] = []
        self._resolved: dict[str, Any] | None = None  # the data with the ids and names the first redo chose
        count = len(shifted["nodes"])
        self.setText(f"{text} {count} block{'s' if count != 1 else ''}")

    def redo(self) -> None:
        if self._resolved is None:
            _, id_map = graph_from_data(self.data, where="clipboard", path="$", into=self.graph, fresh_ids=True)
            self.node_ids = list(id_map.values())
            self._resolved = self.graph.subgraph_data(self.node_ids)
        else:
            graph_from_data(self._resolved, where="clipboard", path="$", into=self.graph)

    def undo(self) -> None:
        for node_id in reversed(self.node_ids):
            self.graph.remove_node(node_id)


__all__ = ["MacroCommand", "AddNodeCommand", "RemoveNodesCommand", "ConnectCommand", "DisconnectCommand",
           "MoveNodesCommand", "SetParamCommand", "RenameCommand", "PasteCommand", "LayoutCommand", "DocumentError"]


class DocumentSections(QObject):
    """Announces that a document section (``data``, ``training``, ``experiment``) was replaced, so the panels
    that show it re-read the document: the command changes the model, the panels follow (as items follow
    the graph's events)."""

    changed = Signal(str)


class SetSectionCommand(QUndoCommand):
    """Replaces one section of the document (the data binding, the training settings) as one undo step.

    ``value`` is the whole new section; ``text`` says what changed ("Set training.epochs = 5"). Setting the
    value the section already has leaves no undo step."""

    def __init__(self, document, section: str, value: dict, sections: DocumentSections, text: str = "",
                 parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        if section not in SECTIONS:
            raise ValueError(f"no document section '{section}' (sections: {', '.join(SECTIONS)})")
        self.document, self.section, self.sections = document, section, sections
        self.old = copy.deepcopy(getattr(document, section))
        self.value = copy.deepcopy(value)
        self.setText(text or f"Change the {section} settings")
        self.setObsolete(self.value == self.old)

    def redo(self) -> None:
        self._set(self.value)

    def undo(self) -> None:
        self._set(self.old)

    def _set(self, value: dict) -> None:
        setattr(self.document, self.section, copy.deepcopy(value))
        self.sections.changed.emit(self.section)


SECTIONS = ("data", "training", "experiment")


def describe_change(section: str, old: dict, new: dict) -> str:
    """The undo text of a section edit: the changed keys with their new values, e.g. "Set training.lr = 0.01"."""
    changed = [key for key in dict.fromkeys([*old, *new]) if old.get(key) != new.get(key)]
    if not changed:
        return f"Change the {section} settings"
    if len(changed) > 3:
        return f"Change {len(changed)} {section} settings"
    return "Set " + ", ".join(f"{section}.{key} = {new.get(key)!r}" for key in changed)
