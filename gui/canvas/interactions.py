"""Mouse gestures on the canvas as small objects: connecting ports by dragging, and moving blocks.

Each gesture ends in at most one undo command; items themselves never change the graph.
"""
from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsLineItem

from engine.shapes import ConnectionCheck, connection_problem

from ..commands import AddNodeCommand, ConnectCommand, DisconnectCommand, MacroCommand
from .edge_item import DragWireItem
from .node_item import NodeItem
from .port_item import COMPATIBLE, NORMAL, REFUSED, PortHighlights, PortItem
from .style import kind_color

HIT_RADIUS = 14.0  # a drop this close to a port counts as on it


class ConnectInteraction:
    """Drag from a port to a port. Grabbing a connected input picks up that edge's end instead, so it can
    be dropped on another input (reconnect, one undo step) or on empty canvas (disconnect)."""

    def __init__(self, scene, port: PortItem, visible: QRectF | None = None):
        self.scene = scene
        graph = scene.graph
        self.picked = None  # the Edge whose input end is being dragged, if any
        if not port.is_output and port.connected:
            self.picked = graph.edge_into(port.node_id, port.name)
        if self.picked is not None:
            self.fixed = scene.node_item(self.picked.src).outputs[self.picked.src_port]
            self.origin = port
            scene.edge_item(self.picked).setVisible(False)
        else:
            self.fixed, self.origin = port, None
        # Every port the wire could end on. Whether it fits is asked of the engine at once for the ports in
        # view (to highlight them) and only when reached for the others: big graphs stay quick to grab.
        # One engine check for the whole drag: the loop test walks the graph once, not once per port.
        self._check = ConnectionCheck(graph, self.fixed.node_id, self.fixed.name, self.fixed.is_output,
                                      scene.analysis.report)
        self.candidates = [c for item in scene.node_items()
                           for c in (item.inputs if self.fixed.is_output else item.outputs).values()]
        # Blocks do not move during a drag: each port's anchor and each block's outline are taken once, so a
        # pointer move costs arithmetic, not Qt calls per port (and no scan of every item in the scene). The
        # outlines only when a drop first misses every port (not while the drag starts).
        self._anchors = [(c, c.anchor()) for c in self.candidates]
        self._points = [(c, a.x(), a.y()) for c, a in self._anchors]
        self._blocks: list | None = None
        self._problems: dict[PortItem, str | None] = {}
        self.highlighted: list[PortItem] = []
        for candidate, anchor in self._anchors:
            if visible is None or visible.contains(anchor):
                candidate.mark(COMPATIBLE if self.fits(candidate) else REFUSED)
                self.highlighted.append(candidate)
        self.highlights = PortHighlights([(c, a) for c, a in self._anchors if c.state != NORMAL])  # one item
        scene.addItem(self.highlights)
        # The wire starts where the pointer is: on the grabbed port, over no port it could end on (or on the
        # picked-up end's own input, where it fits). No search for a target yet: that would take every block's
        # outline before the first move. Its path is set before it joins the scene: a first path set on an item
        # already there (never painted) made the view repaint all of its viewport at every drag start.
        self.wire = DragWireItem(kind_color(self.fixed.kinds[0], scene.canvas_palette.dark))
        self.hovered: PortItem | None = self.origin
        self._draw_wire(self.fixed.anchor() if self.origin is None else self.origin.anchor())
        scene.addItem(self.wire)

    def problem(self, candidate: PortItem) -> str | None:
        """Why the wire cannot end on ``candidate`` (engine.connection_problem's words), None if it can."""
        if candidate not in self._problems:
            if candidate is self.origin:
                self._problems[candidate] = None
            else:
                self._problems[candidate] = self._check.problem(candidate.node_id, candidate.name)
        return self._problems[candidate]

    def fits(self, candidate: PortItem) -> bool:
        """``problem(candidate) is None``, without the words (the highlights need none)."""
        if candidate in self._problems:
            return self._problems[candidate] is None
        return candidate is self.origin or self._check.fits(candidate.node_id, candidate.name)

    def target_at(self, pos: QPointF) -> PortItem | None:
        """The port a drop at ``pos`` lands on: the nearest port in reach, else the best port of the block
        under the cursor (a free compatible one first)."""
        best, best_d = None, HIT_RADIUS
        x, y = pos.x(), pos.y()
        for candidate, px, py in self._points:
            d = abs(px - x) + abs(py - y)  # QPointF.manhattanLength
            if d < best_d:
                best, best_d = candidate, d
        if best is not None:
            return best
        node = self._block_at(pos)
        if node is None:
            return None
        ports = [p for p in (node.inputs if self.fixed.is_output else node.outputs).values()]
        ports.sort(key=lambda p: (self.problem(p) is not None, p.connected and p is not self.origin))
        return ports[0] if ports else None

    def _block_at(self, pos: QPointF) -> NodeItem | None:
        """The topmost block under ``pos``, as QGraphicsScene.items(pos) would give it. The scene keeps no
        index (so moving blocks stays cheap) and items(pos) would test every item; the outlines (taken once per
        drag) narrow it to the blocks whose shape holds ``pos``, and the scene decides between overlapping ones."""
        x, y = pos.x(), pos.y()
        if self._blocks is None:
            self._blocks = [(r.left(), r.top(), r.right(), r.bottom(), item)
                            for item in self.scene.node_items() for r in (item.sceneBoundingRect(),)]
        hits = [item for left, top, right, bottom, item in self._blocks
                if left <= x <= right and top <= y <= bottom and item.contains(item.mapFromScene(pos))]
        if len(hits) > 1:
            return next((i for i in self.scene.items(pos) if isinstance(i, NodeItem)), None)
        return hits[0] if hits else None

    def move_to(self, pos: QPointF) -> None:
        target = self.target_at(pos)
        self._draw_wire(target.anchor() if target is not None and not self.problem(target) else pos)
        if target is not self.hovered:
            self.hovered = target
            if target is not None and self.problem(target):
                self.scene.statusMessage.emit(self.problem(target))

    def _draw_wire(self, end: QPointF) -> None:
        if self.fixed.is_output:
            self.wire.set_ends(self.fixed.anchor(), end)
        else:
            self.wire.set_ends(end, self.fixed.anchor())

    def release(self, pos: QPointF) -> str | None:
        """Ends the drag; pushes the resulting command. Returns the reason a connection was refused."""
        target = self.target_at(pos)
        self.finish()
        scene, graph = self.scene, self.scene.graph
        if target is None:
            if self.picked is not None:
                scene.undo_stack.push(DisconnectCommand(graph, self.picked))
            else:  # dropped on empty canvas: offer the blocks that could take (or feed) this port
                scene.wireDroppedOnCanvas.emit(self.fixed.node_id, self.fixed.name, self.fixed.is_output, pos)
            return None
        if target is self.origin:
            return None
        problem = self.problem(target)
        if problem:
            scene.statusMessage.emit(f"Not connected: {problem}")
            return problem
        out, inp = (self.fixed, target) if self.fixed.is_output else (target, self.fixed)
        # Said even when nothing went wrong: it replaces an earlier refusal still shown in the status bar.
        scene.statusMessage.emit(f"Connected {graph.node(out.node_id).name}.{out.name} → "
                                 f"{graph.node(inp.node_id).name}.{inp.name}")
        if self.picked is None:
            scene.undo_stack.push(ConnectCommand(graph, out.node_id, out.name, inp.node_id, inp.name))
        else:
            macro = MacroCommand(f"Reconnect {graph.node(out.node_id).name}.{out.name} → "
                                 f"{graph.node(inp.node_id).name}.{inp.name}")
            DisconnectCommand(graph, self.picked, macro)
            ConnectCommand(graph, out.node_id, out.name, inp.node_id, inp.name, macro)
            scene.undo_stack.push(macro)
        return None

    def finish(self) -> None:
        """Removes the wire and the highlights (also when the drag is cancelled)."""
        self.scene.connection_finished(self)
        for candidate in self.highlighted:
            candidate.mark(NORMAL)
        if self.highlights.scene() is not None:
            self.scene.removeItem(self.highlights)
        if self.wire.scene() is not None:
            self.scene.removeItem(self.wire)
        if self.picked is not None:
            item = self.scene.edge_item(self.picked)
            if item is not None:
                item.setVisible(True)


def add_and_connect(scene, kind: str, pos: tuple[float, float], node_id: str, port: str, is_output: bool) -> str:
    """Adds a block and wires it to (node_id, port) as one undo step; returns the new block's id.

    The first port of the new block that fits is used; without one the block is still added and the
    status bar says why it was not connected.
    """
    graph, stack = scene.graph, scene.undo_stack
    add = AddNodeCommand(graph, kind, pos)
    stack.beginMacro(f"{add.text()} and connect")
    try:
        stack.push(add)
        new = graph.node(add.node_id)
        candidates = new.spec.inputs if is_output else new.spec.outputs
        problem = "it has no " + ("inputs" if is_output else "outputs")
        for candidate in candidates:
            ends = (node_id, port, new.id, candidate.name) if is_output else (new.id, candidate.name, node_id, port)
            problem = connection_problem(graph, *ends, scene.analysis.report)
            if problem is None:
                stack.push(ConnectCommand(graph, *ends))
                break
    finally:
        stack.endMacro()
    if problem is not None:
        scene.statusMessage.emit(f"Added {new.label} but did not connect it: {problem}")
    return new.id


class MoveInteraction:
    """Remembers where the selected items (blocks, comments, frames, reroute points) were when the mouse went
    down, and what the moving frames carry (gui.canvas.moves.carried_by); ``follow`` drags the carried items
    with the grabbed one; on release one command records everything that moved (the items are already there,
    the command brings the model along)."""

    def __init__(self, scene):
        from .moves import carried_by
        from .note_items import FrameItem

        self.scene = scene
        moving = [i for i in scene.selectedItems() if _movable(i)]
        grabber = scene.mouseGrabberItem()
        self.grabber = grabber if _movable(grabber) else None
        if self.grabber is not None and self.grabber not in moving:
            moving.append(self.grabber)
        self.carried = carried_by(scene, [i for i in moving if isinstance(i, FrameItem)], moving)
        self.grab_start = QPointF(self.grabber.pos()) if self.grabber is not None else None
        self.start = {item: QPointF(item.pos()) for item in [*moving, *self.carried]}

    def follow(self) -> None:
        """Moves the carried items by as much as the grabbed item moved (called on each mouse move)."""
        if self.grabber is None or not self.carried:
            return
        delta = self.grabber.pos() - self.grab_start
        for item in self.carried:
            item.setPos(self.start[item] + delta)

    def release(self):
        from .moves import move_command

        live = {i: (old, QPointF(i.pos())) for i, old in self.start.items() if i.scene() is self.scene}
        command = move_command(self.scene, live)
        if command is not None:
            self.scene.undo_stack.push(command)
        return command


def _movable(item) -> bool:
    from .note_items import CommentItem, FrameItem
    from .reroute_item import RerouteItem

    return isinstance(item, (NodeItem, CommentItem, FrameItem, RerouteItem))


class CutInteraction:
    """Ctrl+right-drag draws a knife line; on release every wire it crosses is disconnected, as one undo step
    (Blender's link cutting)."""

    def __init__(self, scene, start: QPointF):
        self.scene, self.start = scene, QPointF(start)
        self.line = QGraphicsLineItem(QLineF(self.start, self.start))
        pen = QPen(QColor("#d62728"), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)  # the same thickness at any zoom
        self.line.setPen(pen)
        self.line.setZValue(10)
        scene.addItem(self.line)

    def move_to(self, pos: QPointF) -> None:
        self.line.setLine(QLineF(self.start, pos))

    def crossed(self) -> list:
        """The edges whose wire the knife crosses, in graph order."""
        stroker = QPainterPathStroker()
        stroker.setWidth(3.0)
        knife = QPainterPath(self.line.line().p1())
        knife.lineTo(self.line.line().p2())
        blade = stroker.createStroke(knife)
        return [item.edge for item in self.scene.edge_items() if stroker.createStroke(item.wire_path()).intersects(blade)]

    def release(self, pos: QPointF) -> int:
        """Cuts the crossed wires; returns how many."""
        self.move_to(pos)
        edges = self.crossed()
        self.scene.removeItem(self.line)
        if edges:
            graph = self.scene.graph
            macro = MacroCommand(f"Cut {len(edges)} wire{'s' if len(edges) != 1 else ''}")
            for edge in edges:
                DisconnectCommand(graph, edge, macro)
            self.scene.undo_stack.push(macro)
            self.scene.statusMessage.emit(f"Cut {len(edges)} wire{'s' if len(edges) != 1 else ''} (Ctrl+Z undoes)")
        return len(edges)
