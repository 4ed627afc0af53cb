"""The minimap: the whole graph in a corner of the canvas with the part in view outlined; click or drag in it
to move the view there. Shown only when the graph is larger than the view.

It is a view of the same scene (no copy to keep in sync) that paints a picture of it taken at most four times a
second: a live second view repainted the whole graph (300 blocks, 250 wires) whenever the canvas repainted
under it or anything changed, and a drag's every highlight or wire move paid for that. The picture is an
overview drawn from the items' places (draw_overview: blocks as their body and header colour, wires as lines,
frames and comments as boxes), not the scene rendered small: rendering 300 blocks through their own paint took
80 ms, twice while a document opened.
"""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPoint, QRect, QRectF, QSizeF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPixmap
from PySide6.QtWidgets import QFrame, QGraphicsView

from .note_items import FrameItem, comment_colors, frame_colors
from .style import category_color, kind_color
from .wire_layer import wire_paths

SIZE = (220, 140)  # the most for a graph wider than tall: a long chain gets the height of its shape
WIDE_MIN_HEIGHT = 60
TALL_HEIGHT, TALL_MIN_WIDTH = 220, 110  # for a taller one
MARGIN = 12
RETAKE_MS = 250  # changes within this time are shown by one new picture


class MinimapView(QGraphicsView):
    def __init__(self, canvas: QGraphicsView):
        super().__init__(canvas)
        self.canvas = canvas
        self.setScene(canvas.scene())
        self.setInteractive(False)
        # Repainted from its picture only when asked: a change in the scene no longer repaints it by itself.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.NoViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.Box)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self.resize(*SIZE)
        self.enabled_by_user = True
        self.pictures_taken = 0  # how often the scene was drawn for it (its cost: the tests watch it)
        self._picture: QPixmap | None = None  # None: take a new one at the next paint
        self._rect: QRectF | None = None  # the graph's rect the view was fitted to
        self._retake = QTimer(self)  # a burst of edits (or a drag's moves) is drawn once
        self._retake.setSingleShot(True)
        self._retake.setInterval(RETAKE_MS)
        self._retake.timeout.connect(self._scene_changed)
        self._watch(canvas.scene())

    def _watch(self, scene) -> None:
        scene.changed.connect(self._schedule)
        scene.selectionChanged.connect(self.place)

    def set_scene(self, scene) -> None:
        old = self.scene()
        if old is not None and shiboken6.isValid(old):
            try:
                old.changed.disconnect(self._schedule)
                old.selectionChanged.disconnect(self.place)
            except (RuntimeError, TypeError):
                pass
        self.setScene(scene)
        self._watch(scene)
        self._scene_changed()

    def _schedule(self, *_args) -> None:
        if not self._retake.isActive():
            self._retake.start()

    def _scene_changed(self) -> None:
        self._picture = None
        self.refit()

    def graph_rect(self) -> QRectF:
        # What framing shows (blocks, comments, frames, reroute points) and the wires (routed around blocks
        # they may leave it), from those items alone: the scene's itemsBoundingRect asked every port and label
        # through Qt too (13 ms with 300 blocks, at every scroll step; this takes well under 1 ms).
        scene = self.scene()
        rect = scene.content_rect()
        for edge in scene.edge_items():
            rect = rect.united(edge.boundingRect())  # an edge sits at the origin: its rect is in the scene's terms
        return rect.adjusted(-40, -40, 40, 40)

    def refit(self) -> None:
        """Shows the whole graph; hidden while the whole graph fits the canvas anyway (or the user hid it).
        Called as the canvas scrolls and zooms, which moves the outline: the picture stays while the graph's
        rect does."""
        scene = self.scene()
        if scene is None or not shiboken6.isValid(scene) or not shiboken6.isValid(self.canvas):
            return  # the window is being torn down: its scene went first
        rect = self.graph_rect()
        visible = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        needed = self.enabled_by_user and not rect.isEmpty() and not visible.contains(rect)
        self.setVisible(needed)
        if needed:
            size = self.size_for(rect, self.canvas.viewport().height())
            if rect != self._rect or size != (self.width(), self.height()):
                self._rect = rect
                self._picture = None
                self.resize(*size)
                self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            self.place()
            self.viewport().update()  # the outline moves; the picture stays

    @staticmethod
    def size_for(rect: QRectF, room: int) -> tuple[int, int]:
        """Landscape for a wide graph, as high as its shape needs (a chain of six blocks drew a strip across
        a box 140 px high, which covered blocks on a short canvas for nothing); upright for a tall one (a column of
        chains drawn into the landscape box was a strip a fifth of its width); never more than 45 % of the
        canvas's height ``room``."""
        ratio = rect.width() / rect.height() if rect.height() > 0 else 1.0
        if ratio >= 1.0:
            width = SIZE[0]
            height = min(max(round(width / ratio), WIDE_MIN_HEIGHT), SIZE[1])
        else:
            height = TALL_HEIGHT
            width = min(max(round(height * ratio), TALL_MIN_WIDTH), SIZE[0])
        if height > 0.45 * room:
            height = max(round(0.45 * room), 60)
            width = min(width, SIZE[0])
        return width, height

    def place(self) -> None:
        """Bottom right of the canvas, or the next corner (bottom left, top right, top left) where it covers
        nothing selected: a block just added at the bottom right lay under it."""
        area = self.canvas.viewport().geometry()
        left, right = area.left() + MARGIN, area.right() - self.width() - MARGIN
        top, bottom = area.top() + MARGIN, area.bottom() - self.height() - MARGIN
        corners = [QPoint(right, bottom), QPoint(left, bottom), QPoint(right, top), QPoint(left, top)]
        selected = self._selection_on_canvas()
        if selected is not None:
            offset = area.topLeft()  # the viewport's rect is in its own terms; this widget's in the canvas's
            free = [c for c in corners if not QRect(c - offset, self.size()).intersects(selected)]
            corners = free or corners
        self.move(corners[0])

    def _selection_on_canvas(self) -> QRect | None:
        """What is selected, in the canvas viewport's pixels (None: nothing)."""
        scene = self.scene()
        if scene is None or not shiboken6.isValid(scene) or not shiboken6.isValid(self.canvas):
            return None
        rect = QRectF()
        for item in scene.selectedItems():
            rect = rect.united(item.sceneBoundingRect())
        return None if rect.isNull() else self.canvas.mapFromScene(rect).boundingRect()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._picture = None
        if self._rect is not None:
            # Fitted again once the viewport has its size: a minimap resized while hidden gets its viewport's
            # size only here, and was fitted to the old one (the graph drawn a tenth of the size it should be).
            self.fitInView(self._rect, Qt.AspectRatioMode.KeepAspectRatio)

    def paintEvent(self, event) -> None:
        scene = self.scene()
        if scene is None or not shiboken6.isValid(scene) or not shiboken6.isValid(self.canvas):
            return
        viewport = self.viewport()
        picture = self.picture()
        painter = QPainter(viewport)
        painter.drawPixmap(0, 0, picture)
        painter.setTransform(self.viewportTransform())
        self.drawForeground(painter, QRectF())
        painter.end()

    def picture(self) -> QPixmap:
        """The graph's picture under the outline of the part in view (taken now if the scene changed since)."""
        if self._picture is None:
            self._picture = self._take_picture(self.scene())
        return self._picture

    def _take_picture(self, scene) -> QPixmap:
        viewport = self.viewport()
        ratio = viewport.devicePixelRatioF()
        picture = QPixmap(viewport.size() * ratio)
        picture.setDevicePixelRatio(ratio)
        picture.fill(scene.canvas_palette.background)  # as the canvas: white blocks stand out from it
        painter = QPainter(picture)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setTransform(self.viewportTransform())  # scene coordinates, as the view shows them
        draw_overview(painter, scene)
        painter.end()
        self.pictures_taken += 1
        return picture

    def drawForeground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802 - Qt override
        if not shiboken6.isValid(self.canvas):
            return
        visible = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        pen = QPen(QColor("#2f65ca"), 2)
        pen.setCosmetic(True)
        painter.setPen(pen)
        painter.setBrush(QColor(47, 101, 202, 40))
        painter.drawRect(visible)

    def mousePressEvent(self, event) -> None:
        self.canvas.centerOn(self.mapToScene(event.position().toPoint()))
        self.viewport().update()
        event.accept()

    def mouseMoveEvent(self, event) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.mousePressEvent(event)

    def wheelEvent(self, event) -> None:
        event.ignore()  # the canvas zooms, not the minimap


def draw_overview(painter: QPainter, scene) -> None:
    """The graph as the minimap shows it, in a few batched calls: frames and comments as boxes, each wire as a
    line in its tensor kind's colour, each block as its body with its category's header band."""
    pal = scene.canvas_palette
    for note in scene.note_items():
        if isinstance(note, FrameItem):
            border, fill, _band = frame_colors(note.color, pal)
        else:
            fill, border, _ink = comment_colors(pal)
        painter.setPen(QPen(border, 0))
        painter.setBrush(fill)
        painter.drawRect(note.sceneBoundingRect())
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for kind, path in wire_paths(scene.edge_items()).items():
        pen = QPen(kind_color(kind, pal.dark), 0)  # cosmetic: one pixel whatever the minimap's scale
        painter.strokePath(path, pen)
    bodies, bands = QPainterPath(), {}
    for node in scene.node_items():
        rect = QRectF(node.scenePos(), QSizeF(node.width, node.height))
        bodies.addRect(rect)
        band = bands.setdefault(node.spec.category, QPainterPath())
        band.addRect(QRectF(rect.x(), rect.y(), rect.width(), min(rect.height(), node.header_height)))
    painter.fillPath(bodies, pal.node_body)
    painter.strokePath(bodies, QPen(pal.node_border, 0))
    for category, path in bands.items():
        painter.fillPath(path, category_color(category, pal.dark))
