"""CanvasView: the widget showing a GraphScene. Pan, zoom about the cursor, framing, drops from the palette,
the quick-add popup, keyboard shortcuts and the mouse; the editing actions (copy, paste, delete, layout) are in
edit_actions, the annotation actions in annotate."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QRectF, Qt
from PySide6.QtGui import QCursor, QKeySequence, QPainter
from PySide6.QtWidgets import QGraphicsView, QMenu

from .annotate import AnnotateMixin
from .edit_actions import EditActionsMixin
from .clipboard import BLOCK_MIME, clipboard_blocks
from .interactions import CutInteraction, add_and_connect
from .quick_add import QuickAddPopup, fits, search
from .node_item import NodeItem
from .scene import GraphScene
from .minimap import MinimapView
from .style import GRID, MIN_ZOOM, NODE_WIDTH, metrics
from .wire_layer import LAYER_BELOW
from .wire_values import WireValuesPopup, show_wire_values

MAX_ZOOM, FRAME_MAX_ZOOM = 3.0, 1.25
FRAME_MIN_ZOOM = 0.5  # block and wire text is drawn above 0.45 (node_item, edge_item): framing stays above it
# The canvas's own keys and mouse gestures (handled below, not QActions), for Help > Keyboard shortcuts.
# Keep each line beside the branch of keyPressEvent / the mouse handler that implements it.
GESTURES = (
    ("Quick add: search blocks", "Tab, or type a letter"),
    ("Delete the selection", "Delete / Backspace"),
    ("Frame the selection", "F"),
    ("Move the selection one grid step (five with Shift)", "Arrow keys"),
    ("Pan", "Middle-drag, or Space + drag"),
    ("Zoom about the cursor", "Wheel, Ctrl++ / Ctrl+-"),
    ("Cancel a connection, clear the selection", "Esc"),
    ("Connect two blocks", "Drag from an output port to an input port"),
    ("Search blocks that fit a wire", "Let a wire go on empty canvas"),
    ("Block actions", "Right click"),
    ("Cut the wires a line crosses", "Ctrl + right-drag"),
    ("Edit a comment or a frame's title", "Double-click it (Esc or a click elsewhere ends)"),
    ("Move a frame with what lies inside it", "Drag its title"),
    ("Resize a comment or frame", "Drag its bottom-right corner"),
    ("Add a reroute point to a wire", "Double-click the wire, or Alt + click"),
    ("Delete a reroute point", "Double-click it, or select it and press Delete"),
)
_NUDGE = {Qt.Key.Key_Left: (-1, 0), Qt.Key.Key_Right: (1, 0), Qt.Key.Key_Up: (0, -1), Qt.Key.Key_Down: (0, 1)}


class CanvasView(EditActionsMixin, AnnotateMixin, QGraphicsView):
    _framing = False  # while frame_rect zooms and scrolls in steps

    def __init__(self, scene: GraphScene, parent=None):
        super().__init__(scene, parent)
        self.graph_scene = scene
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPointF | None = None
        self._space = False
        self._cut: CutInteraction | None = None  # Ctrl+right-drag: the knife that cuts wires
        self._cut_ended = False
        self.quick_add: QuickAddPopup | None = None
        self.wire_values: WireValuesPopup | None = None  # View > Wire values' popup while it is open
        # callables (menu, selected block ids) that add entries to a block's context menu (Vary kind…)
        self.block_menu_hooks: list = []
        scene.set_palette(self.palette())
        scene.wireDroppedOnCanvas.connect(self._on_wire_dropped)
        self.minimap = MinimapView(self)

    def set_scene(self, scene: GraphScene) -> None:
        """Shows another document's scene in this view (the caller detaches the old scene when done)."""
        old = self.graph_scene
        old.wireDroppedOnCanvas.disconnect(self._on_wire_dropped)
        scene.snap_to_grid = old.snap_to_grid
        self.graph_scene = scene
        self.setScene(scene)
        scene.set_palette(self.palette())
        scene.wireDroppedOnCanvas.connect(self._on_wire_dropped)
        self.minimap.set_scene(scene)

    # ------------------------------------------------------------ settings
    @property
    def snap_to_grid(self) -> bool:
        return self.graph_scene.snap_to_grid

    @snap_to_grid.setter
    def snap_to_grid(self, on: bool) -> None:
        self.graph_scene.snap_to_grid = bool(on)

    @property
    def zoom(self) -> float:
        return self.transform().m11()

    # ------------------------------------------------------------ zoom and framing
    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zooms keeping the scene point under ``anchor`` (viewport coordinates; default the cursor if it is
        over the view, else the centre) where it is."""
        factor = min(max(self.zoom * factor, MIN_ZOOM), MAX_ZOOM) / self.zoom
        if anchor is None:
            inside = self.viewport().mapFromGlobal(QCursor.pos())
            anchor = QPointF(inside) if self.viewport().rect().contains(inside) else \
                QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.scale(factor, factor)
        after = self.mapToScene(anchor.toPoint())
        self.translate(after.x() - before.x(), after.y() - before.y())
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.minimap.refit()  # the scroll bars may keep their values (no scrollContentsBy): the outline moves here

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def frame_rect(self, rect: QRectF, readable: bool = True) -> None:
        """Fits ``rect`` in the view. With ``readable`` it never zooms out below the level where block text is
        drawn: a graph larger than that is shown from its left end (where its inputs are), and the minimap
        gives the overview; the wheel still zooms out further (level-of-detail drawing)."""
        if rect.isNull():
            return
        rect = rect.adjusted(-40, -40, 40, 40)
        self._framing = True  # each step below scrolls: the minimap follows once, at the end
        try:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            low = FRAME_MIN_ZOOM if readable else MIN_ZOOM
            if self.zoom > FRAME_MAX_ZOOM or self.zoom < low:
                target = min(max(self.zoom, low), FRAME_MAX_ZOOM)
                self.resetTransform()
                self.scale(target, target)
                centre = rect.center()
                width = self.viewport().width() / target
                if rect.width() > width:  # the left end in view, not the middle of a long chain
                    centre.setX(rect.left() + width / 2)
                self.centerOn(centre)
        finally:
            self._framing = False
        self.minimap.refit()

    def fit_everything(self) -> None:
        """Every block in view whatever the zoom it takes (benchmarks; the wheel gets there too)."""
        self.frame_rect(self.graph_scene.nodes_rect(), readable=False)

    def frame_all(self) -> None:
        """Frames the graph as a document opens: readable, from its left end where it is too wide."""
        self.frame_rect(self.graph_scene.content_rect())

    def frame_everything(self) -> None:
        """View > Frame all (Shift+F): every block in view, however small (framing for readability left a head
        cut off at the right edge, under a command that says "all")."""
        self.frame_rect(self.graph_scene.content_rect(), readable=False)

    def frame_selection(self) -> None:
        scene = self.graph_scene
        ids, notes = scene.selected_node_ids(), scene.selected_note_ids()
        self.frame_rect(scene.content_rect(ids, notes)) if ids or notes else self.frame_all()

    def center_on_node(self, node_id: str) -> None:
        item = self.graph_scene.node_item(node_id)
        if item is not None:
            self.centerOn(item.center())

    def show_wire_values(self) -> WireValuesPopup | None:
        """Every wire of the selection with its ports, shape and latest run statistics, in a popup (View ▸
        Wire values); with nothing selected the status bar says what to do."""
        if self.wire_values is not None:
            self.wire_values.close()
        self.wire_values = show_wire_values(self)
        if self.wire_values is not None:
            self.wire_values.destroyed.connect(lambda: setattr(self, "wire_values", None))
        return self.wire_values

    # ------------------------------------------------------------ quick add
    def open_quick_add(self, text: str = "", scene_pos: QPointF | None = None,
                       wire: tuple[str, str, bool] | None = None) -> QuickAddPopup:
        """Opens the block search at the cursor (or at ``scene_pos``); the chosen block is added there.

        With ``wire`` = (node id, port, is_output) only blocks that fit the port are listed, and the chosen
        one is connected to it in the same undo step.
        """
        if self.quick_add is not None:
            self.quick_add.close()
        allowed = None
        if wire is not None:
            node = self.graph_scene.graph.node(wire[0])
            port = (node.spec.output if wire[2] else node.spec.input)(wire[1])
            item = self.graph_scene.node_item(wire[0]).port(wire[1], wire[2])
            kinds = item.kinds if wire[2] else port.kinds
            allowed = {s.id for s in search("") if fits(s, kinds, wants_input=wire[2])}
        if scene_pos is None:
            inside = self.viewport().mapFromGlobal(QCursor.pos())
            if not self.viewport().rect().contains(inside):
                inside = self.viewport().rect().center()
            scene_pos = self.mapToScene(inside)
        popup = QuickAddPopup(self, text, allowed)
        where = QPointF(scene_pos)
        if wire is None:
            popup.chosen.connect(lambda kind: self.add_block(kind, where))
        else:
            popup.chosen.connect(lambda kind: self._add_wired(kind, where, wire))
        popup.destroyed.connect(lambda: setattr(self, "quick_add", None))
        popup.show_at(self.viewport().mapToGlobal(self.mapFromScene(where)))
        popup.search_field.setFocus()
        self.quick_add = popup
        return popup

    def _add_wired(self, kind: str, where: QPointF, wire: tuple[str, str, bool]) -> str:
        m = metrics()
        # The new block's first port row lands on the drop point: left edge for an input, right for an output.
        x = where.x() if wire[2] else where.x() - NODE_WIDTH
        y = where.y() - m.title_height - m.small_height
        node_id = add_and_connect(self.graph_scene, kind, self.clear_spot(kind, x, y), *wire)
        self.graph_scene.select_nodes([node_id])
        self.reveal([node_id])
        return node_id

    def _on_wire_dropped(self, node_id: str, port: str, is_output: bool, pos: QPointF) -> None:
        self.open_quick_add(scene_pos=pos, wire=(node_id, port, is_output))

    # ------------------------------------------------------------ keyboard
    def event(self, event) -> bool:
        # Tab would move the focus to the next widget before keyPressEvent sees it.
        if event.type() == QEvent.Type.KeyPress and event.key() == Qt.Key.Key_Tab \
                and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier and not self.editing_text():
            self.open_quick_add()
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if self.editing_text():  # a comment or frame title is being typed: its keys are text
            super().keyPressEvent(event)
            return
        key, mods = event.key(), event.modifiers()
        plain = not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
                            | Qt.KeyboardModifier.MetaModifier)
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and plain:
            self.delete_selection()
        elif key == Qt.Key.Key_F and plain and not mods & Qt.KeyboardModifier.ShiftModifier:
            self.frame_selection()
        elif key == Qt.Key.Key_Space and plain:
            if not event.isAutoRepeat():
                self._space = True
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        elif event.matches(QKeySequence.StandardKey.ZoomIn) or (key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal)
                                                                 and not plain):
            self.zoom_in()
        elif event.matches(QKeySequence.StandardKey.ZoomOut) or (key == Qt.Key.Key_Minus and not plain):
            self.zoom_out()
        elif key in _NUDGE and plain and self.graph_scene.selectedItems():
            step = GRID * (5 if mods & Qt.KeyboardModifier.ShiftModifier else 1)
            self.nudge_selection(_NUDGE[key][0] * step, _NUDGE[key][1] * step)
        elif key == Qt.Key.Key_Escape:
            self.graph_scene.cancel_connection()
            self.graph_scene.clearSelection()
        elif plain and event.text() and event.text().isalpha():
            self.open_quick_add(event.text())
        else:
            super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().unsetCursor()
        super().keyReleaseEvent(event)

    # ------------------------------------------------------------ mouse: pan and zoom
    def wheelEvent(self, event) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.zoom_by(1.0015 ** delta, event.position())
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.RightButton and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self._cut = CutInteraction(self.graph_scene, self.mapToScene(event.position().toPoint()))
            self.viewport().setCursor(Qt.CursorShape.CrossCursor)
            event.accept()
            return
        if event.button() == Qt.MouseButton.MiddleButton or (event.button() == Qt.MouseButton.LeftButton
                                                             and self._space):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._cut is not None:
            self._cut.move_to(self.mapToScene(event.position().toPoint()))
            event.accept()
            return
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._cut is not None and event.button() == Qt.MouseButton.RightButton:
            self._cut.release(self.mapToScene(event.position().toPoint()))
            self._cut = None
            self._cut_ended = True  # the context menu that follows a right-button release is not wanted
            self.viewport().unsetCursor()
            event.accept()
            return
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton, Qt.MouseButton.LeftButton):
            self._pan_from = None
            if self._space:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def paintEvent(self, event) -> None:
        # Every zoom change (wheel, framing, a restored view) ends in a paint: far out, one item draws
        # every wire (wire_layer.py).
        self.graph_scene.wire_layer.set_active(self.zoom < LAYER_BELOW)
        super().paintEvent(event)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._refit_minimap()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self._refit_minimap()  # the outline follows; the minimap shows itself once the graph leaves the view

    def _refit_minimap(self) -> None:
        # A view without a parent that Python's collector destroys is scrolled by Qt's destructor after its
        # attributes are gone (seen: "Error calling Python override ... no attribute 'minimap'" on stderr).
        minimap = getattr(self, "minimap", None)
        if minimap is not None and not self._framing:
            minimap.refit()

    def pan_by(self, dx: float, dy: float) -> None:
        """Moves the content by (dx, dy) viewport pixels."""
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - round(dx))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - round(dy))

    # ------------------------------------------------------------ drops from the palette
    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(BLOCK_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        if not event.mimeData().hasFormat(BLOCK_MIME):
            super().dropEvent(event)
            return
        kind = bytes(event.mimeData().data(BLOCK_MIME)).decode("utf-8", "replace").strip()
        if self.add_block(kind, self.mapToScene(event.position().toPoint())) is not None:
            event.acceptProposedAction()
            self.setFocus()
        else:
            event.ignore()

    # ------------------------------------------------------------ context menu
    def context_menu(self, scene_pos: QPointF) -> QMenu:
        """The right-click menu for ``scene_pos``: block actions over a block, canvas actions elsewhere."""
        scene = self.graph_scene
        menu = QMenu(self)
        node = next((i for i in scene.items(scene_pos) if isinstance(i, NodeItem)), None)
        if node is not None:
            if node.node_id not in scene.selected_node_ids():
                scene.select_nodes([node.node_id])
            count = len(scene.selected_node_ids())
            blocks = "block" if count == 1 else f"{count} blocks"
            menu.addAction(f"Copy {blocks}", self.copy_selection)
            menu.addAction(f"Cut {blocks}", self.cut_selection)
            menu.addAction(f"Duplicate {blocks}", self.duplicate_selection)
            menu.addSeparator()
            menu.addAction(f"Delete {blocks}", self.delete_selection)
            menu.addAction("Put in a frame", self.add_frame)
            for hook in self.block_menu_hooks:
                hook(menu, scene.selected_node_ids())
        elif self.annotation_menu(menu, scene_pos):
            pass
        else:
            where = QPointF(scene_pos)
            menu.addAction("Add block…", lambda: self.open_quick_add(scene_pos=where))
            paste = menu.addAction("Paste", self.paste)
            paste.setEnabled(clipboard_blocks() is not None)
            menu.addAction("Add comment", lambda: self.add_comment(where))
            menu.addSeparator()
            menu.addAction("Auto-layout", self.auto_layout)
            menu.addAction("Frame all", self.frame_everything)
            snap = menu.addAction("Snap to grid")
            snap.setCheckable(True)
            snap.setChecked(self.snap_to_grid)
            snap.toggled.connect(lambda on: setattr(self, "snap_to_grid", on))
        return menu

    def contextMenuEvent(self, event) -> None:
        if self.graph_scene.connecting or self._cut is not None or self._cut_ended:
            self._cut_ended = False
            return
        menu = self.context_menu(self.mapToScene(event.pos()))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(event.globalPos())

    # ------------------------------------------------------------ theme
    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.graph_scene.set_palette(self.palette())
            self.resetCachedContent()
        elif event.type() == QEvent.Type.FontChange:
            self.graph_scene.refresh_metrics()
        super().changeEvent(event)
