"""GraphScene binds graphics items to the graph model: it creates, updates and removes items from the
graph's events and the analysis reports, and routes mouse gestures to interaction objects."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPalette, QPen, QUndoStack
from PySide6.QtWidgets import QGraphicsScene

from engine.graph import Edge, Graph, Node
from engine.shapes import ShapeReport

from ..analysis import AnalysisModel
from .edge_item import EdgeItem
from .interactions import ConnectInteraction, MoveInteraction
from .live_values import LiveValues
from .node_item import NodeItem
from .note_items import CommentItem, FrameItem
from .port_item import PortItem
from .reroute_item import RerouteItem
from .scene_annotations import AnnotationsMixin
from .style import GRID, CanvasPalette, reset_metrics
from .wire_layer import WireLayer


class GraphScene(AnnotationsMixin, QGraphicsScene):
    statusMessage = Signal(str)
    # A wire from (node id, port, is_output) let go over empty canvas at a scene point: the view offers
    # a quick add of blocks that fit there.
    wireDroppedOnCanvas = Signal(str, str, bool, QPointF)
    nodeActivated = Signal(str)  # a block was double-clicked (the shell may focus the inspector's name field)

    def __init__(self, graph: Graph, undo_stack: QUndoStack, analysis: AnalysisModel, parent=None):
        super().__init__(parent)
        self.graph, self.undo_stack, self.analysis = graph, undo_stack, analysis
        self.canvas_palette = CanvasPalette.from_palette()
        self.snap_to_grid = False
        self._nodes: dict[str, NodeItem] = {}
        # The union of every block's rect, kept until a block moves, changes size, comes or goes: framing and
        # the minimap ask for it at every scroll step (11 times while a document opens, 5 ms each at 300 blocks).
        self._nodes_bounds: QRectF | None = None
        self._edges: dict[Edge, EdgeItem] = {}
        self._connect: ConnectInteraction | None = None
        self._move: MoveInteraction | None = None
        # Items move all the time; without the BSP index a move costs no re-indexing (measured faster here).
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)
        self.setSceneRect(QRectF(-20000, -20000, 40000, 40000))
        self._report: ShapeReport | None = None
        self._reroute_pending = False
        self.wire_layer = WireLayer(self.edge_items)  # draws every wire when zoomed far out (the view decides)
        self.addItem(self.wire_layer)
        ev = graph.events
        self._slots = [(ev.node_added, self._on_node_added), (ev.node_removed, self._on_node_removed),
                       (ev.node_changed, self._on_node_changed), (ev.node_moved, self._on_node_moved),
                       (ev.edge_added, self._on_edge_added), (ev.edge_removed, self._on_edge_removed)]
        self._notes: dict[str, CommentItem | FrameItem] = {}
        self._retired: list = []  # items removed during their own event, freed once it has returned
        notes = graph.annotations.events
        self._slots += [(notes.added, self._on_note_added), (notes.removed, self._on_note_removed),
                        (notes.changed, self._on_note_changed), (notes.points_changed, self._on_points_changed)]
        for signal, slot in self._slots:
            signal.connect(slot)
        for note in graph.annotations.notes.values():
            self._on_note_added(note)
        for node in graph:
            self._on_node_added(node)
        for edge in graph.edges:
            self._on_edge_added(edge)
        analysis.updated.connect(self.apply_report)
        self.apply_report(analysis.report)
        self.reroute_long_edges()

    def detach(self) -> None:
        """Stops observing the graph (call before dropping the scene while the graph lives on)."""
        for signal, slot in self._slots:
            signal.disconnect(slot)
        self.analysis.updated.disconnect(self.apply_report)

    # ------------------------------------------------------------ queries
    def node_item(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def edge_item(self, edge: Edge) -> EdgeItem | None:
        return self._edges.get(edge)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def selected_node_items(self) -> list[NodeItem]:
        return [i for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_node_ids(self) -> list[str]:
        """Selected blocks in graph order."""
        chosen = {i.node_id for i in self.selected_node_items()}
        return [node_id for node_id in self.graph.nodes if node_id in chosen]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)]

    def select_nodes(self, node_ids) -> None:
        wanted = set(node_ids)
        self.blockSignals(True)  # one selectionChanged for the whole change, not one per item
        try:
            for item in self.selectedItems():
                if not (isinstance(item, NodeItem) and item.node_id in wanted):
                    item.setSelected(False)
            for node_id in wanted:
                if node_id in self._nodes:
                    self._nodes[node_id].setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def nodes_rect(self, node_ids=None) -> QRectF:
        if node_ids is not None:
            return _union(self._nodes[i] for i in node_ids if i in self._nodes)
        if self._nodes_bounds is None:
            self._nodes_bounds = _union(self._nodes.values())
        return QRectF(self._nodes_bounds)

    def block_geometry_changed(self) -> None:
        """A block moved or changed size (NodeItem tells): the blocks' rect is taken anew when next asked."""
        self._nodes_bounds = None

    def port_shape_text(self, node_id: str, port: str, is_output: bool) -> str | None:
        report = self._report
        if report is None:
            return None
        if is_output:
            return report.shape_text(node_id, port)
        edge = self.graph.edge_into(node_id, port)
        return report.shape_text(edge.src, edge.src_port) if edge else None

    # ------------------------------------------------------------ live values on wires (training)
    _live: LiveValues | None = None

    def set_live_values(self, stats: dict | None, step: int | None = None, snapshot: Graph | None = None) -> None:
        """A run's latest activation statistics ({"<node id>:<port>": {mean, std, min, max, saturated, squash}},
        engine ActivationProbe) at global ``step``; ``snapshot`` is the graph the run trained (None: this one).
        None clears them. Nothing is redrawn: a hovered edge formats its own numbers (live_value_text)."""
        self._live = LiveValues(stats, step, snapshot) if stats is not None else None

    def has_live_values(self) -> bool:
        """Whether a run's statistics are shown (a wire without numbers then is one that run did not train)."""
        return self._live is not None

    def live_value_text(self, edge: Edge) -> str | None:
        """"[B, T, 64] · mean 0.02 · std 0.41 · ... · step 340" for ``edge``, or None when no run's values apply."""
        if self._live is None:
            return None
        return self._live.text(self.graph, edge, self.port_shape_text(edge.src, edge.src_port, True) or "")

    # ------------------------------------------------------------ graph events -> items
    def _on_node_added(self, node: Node) -> None:
        item = NodeItem(node)
        self._nodes[node.id] = item
        self._nodes_bounds = None
        self.addItem(item)
        if self._report is not None:
            self._apply_node_report(item, self._report)

    def _on_node_removed(self, node: Node) -> None:
        item = self._nodes.pop(node.id, None)
        self._nodes_bounds = None
        if item is not None:
            self.removeItem(item)

    def _on_node_changed(self, node: Node, what: str) -> None:
        item = self._nodes.get(node.id)
        if item is not None:
            item.sync_from_node(node)

    def _on_node_moved(self, node: Node) -> None:
        item = self._nodes.get(node.id)
        if item is not None:
            item.set_model_pos(node.pos)
        self._schedule_reroute()

    def _schedule_reroute(self) -> None:
        """A moved block may now stand in (or leave) the way of long edges: re-route them once, after the
        whole batch of moves (an auto-layout moves every block)."""
        if not self._reroute_pending:
            self._reroute_pending = True
            QTimer.singleShot(0, self, self.reroute_long_edges)  # the scene as context: dropped with it

    def reroute_long_edges(self) -> None:
        self._reroute_pending = False
        for edge in self._edges.values():
            if edge.long:
                edge.update_path()

    def _on_edge_added(self, edge: Edge) -> None:
        source = self._nodes[edge.src].outputs[edge.src_port]
        target = self._nodes[edge.dst].inputs[edge.dst_port]
        item = EdgeItem(edge, source, target)
        self._edges[edge] = item
        source.node_item.edges.add(item)
        target.node_item.edges.add(item)
        self._set_connected(source, target, True)
        self.addItem(item)
        if self.graph.annotations.points(edge):
            self._on_points_changed(edge)
        if item.long:
            item.update_path()  # routing around blocks needs the scene
        if self._report is not None:
            self._apply_edge_report(item, self._report)
        item.sync_drawing()
        self.wire_layer.wires_changed(item.boundingRect())

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self._edges.pop(edge, None)
        if item is None:
            return
        item.source.node_item.edges.discard(item)
        item.target.node_item.edges.discard(item)
        still_out = any(e.source is item.source for e in item.source.node_item.edges)
        self._set_connected(item.source, item.target, False, still_out)
        for reroute in item.reroutes:
            self.retire(reroute)
        item.reroutes = []
        self.removeItem(item)
        self.wire_layer.wires_changed(item.boundingRect())

    def _set_connected(self, source: PortItem, target: PortItem, connected: bool, source_state=None) -> None:
        source.set_connected(connected if source_state is None else source_state)
        target.set_connected(connected)
        target.node_item.update()  # the "(optional)" note on its label depends on it

    # ------------------------------------------------------------ analysis -> items
    def apply_report(self, report: ShapeReport) -> None:
        self._report = report
        for item in self._nodes.values():
            self._apply_node_report(item, report)
        for item in self._edges.values():
            self._apply_edge_report(item, report)

    def _apply_node_report(self, item: NodeItem, report: ShapeReport) -> None:
        node = self.graph.nodes.get(item.node_id)
        if node is None:
            return
        if node.spec.outputs:
            out = report.output_text(node)
        else:
            out = f"{node.spec.head.task.replace('_', ' ')} head" if node.spec.head else ""
        diagnostics = [d.message for d in report.diagnostics if d.node_id == item.node_id]
        item.set_analysis(out, report.params.get(item.node_id), diagnostics)
        for name, port in item.outputs.items():
            shape = report.shapes.get((item.node_id, name))
            port.set_kinds((shape.kind,) if shape else port.port.kinds[:1])

    def _apply_edge_report(self, item: EdgeItem, report: ShapeReport) -> None:
        edge = item.edge
        shape = report.shapes.get((edge.src, edge.src_port))
        item.set_label(report.shape_text(edge.src, edge.src_port), shape.kind if shape else None)

    # ------------------------------------------------------------ connecting (programmatic and by mouse)
    def port_at(self, pos: QPointF) -> PortItem | None:
        return next((i for i in self.items(pos) if isinstance(i, PortItem)), None)

    def begin_connection(self, port: PortItem, visible: QRectF | None = None) -> ConnectInteraction:
        """Starts a wire from ``port``; ports within ``visible`` (default: all) are highlighted at once."""
        self.cancel_connection()
        self._connect = ConnectInteraction(self, port, visible)
        return self._connect

    def cancel_connection(self) -> None:
        if self._connect is not None:
            self._connect.finish()

    def connection_finished(self, interaction: ConnectInteraction) -> None:
        if self._connect is interaction:
            self._connect = None

    @property
    def connecting(self) -> bool:
        return self._connect is not None

    def _top_item(self, pos: QPointF):
        """The topmost block, wire, reroute point, comment or frame at ``pos`` (a port counts as its block)."""
        for item in self.items(pos):
            while item is not None and not isinstance(item, (NodeItem, EdgeItem, RerouteItem, CommentItem,
                                                             FrameItem)):
                item = item.parentItem()
            if item is not None:
                return item
        return None

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            item = self._top_item(event.scenePos())
            if isinstance(item, EdgeItem):  # Alt+click on a wire: a reroute point there
                self.add_point(item.edge, event.scenePos())
                event.accept()
                return
        if event.button() == Qt.MouseButton.LeftButton:
            port = self.port_at(event.scenePos())
            if port is not None:
                view = event.widget().parent() if event.widget() is not None else None
                visible = view.mapToScene(view.viewport().rect()).boundingRect() if hasattr(view, "viewport") else None
                self.begin_connection(port, visible)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._move = MoveInteraction(self)

    def mouseMoveEvent(self, event) -> None:
        if self._connect is not None:
            self._connect.move_to(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)
        if self._move is not None:
            self._move.follow()  # a moving frame carries what lies inside it

    def mouseReleaseEvent(self, event) -> None:
        if self._connect is not None and event.button() == Qt.MouseButton.LeftButton:
            interaction, self._connect = self._connect, None
            interaction.release(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self._move is not None and event.button() == Qt.MouseButton.LeftButton:
            move, self._move = self._move, None
            move.release()

    def mouseDoubleClickEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        item, pos = self._top_item(event.scenePos()), event.scenePos()
        if isinstance(item, (CommentItem, FrameItem)) and item.editing:
            super().mouseDoubleClickEvent(event)  # inside the editor: selects a word
            return
        if isinstance(item, NodeItem):
            self.nodeActivated.emit(item.node_id)
        elif isinstance(item, RerouteItem):
            self.remove_points([(item.edge, item.index)])
        elif isinstance(item, EdgeItem):
            self.add_point(item.edge, pos)
        elif isinstance(item, CommentItem) or (isinstance(item, FrameItem) and item.on_title(pos)):
            item.start_edit()
        else:
            super().mouseDoubleClickEvent(event)
            return
        event.accept()

    # ------------------------------------------------------------ theme and background
    def set_palette(self, palette: QPalette) -> None:
        self.canvas_palette = CanvasPalette.from_palette(palette)
        self.setBackgroundBrush(self.canvas_palette.background)
        for item in self.items():
            item.update()

    def refresh_metrics(self) -> None:
        """Re-measures text after the application font changed (sizes come from font metrics)."""
        reset_metrics()
        for node in self._nodes.values():
            node.relayout()
        for edge in self._edges.values():
            label, kind, edge.label = edge.label, edge.kind, None
            edge.set_label(label, kind)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        pal = self.canvas_palette
        painter.fillRect(rect, pal.background)
        scale = painter.worldTransform().m11()
        step = GRID * 2
        while step * scale < 12:  # keep the grid from turning into noise when zoomed out
            step *= 5
        for major, color in ((False, pal.grid_minor), (True, pal.grid_major)):
            spacing = step * 5 if major else step
            pen = QPen(color, 0)  # cosmetic: one device pixel whatever the zoom or pixel ratio
            painter.setPen(pen)
            left = int(rect.left() // spacing) * spacing
            top = int(rect.top() // spacing) * spacing
            lines = []
            x = left
            while x < rect.right():
                lines.append((QPointF(x, rect.top()), QPointF(x, rect.bottom())))
                x += spacing
            y = top
            while y < rect.bottom():
                lines.append((QPointF(rect.left(), y), QPointF(rect.right(), y)))
                y += spacing
            for a, b in lines:
                painter.drawLine(a, b)


def _union(items) -> QRectF:
    rect = QRectF()
    for item in items:
        rect = rect.united(item.sceneBoundingRect())
    return rect
