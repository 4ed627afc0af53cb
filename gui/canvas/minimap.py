"""The minimap: the whole graph in a corner of the canvas with the part in view outlined; click or drag in it
to move the view there. It draws the same scene (no copy to keep in sync), only when the graph is larger than
the view."""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QFrame, QGraphicsView

SIZE = (220, 140)
MARGIN = 12


class MinimapView(QGraphicsView):
    def __init__(self, canvas: QGraphicsView):
        super().__init__(canvas)
        self.canvas = canvas
        self.setScene(canvas.scene())
        self.setInteractive(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        self.setFrameShape(QFrame.Shape.Box)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Minimap: click or drag to move the view")
        self.resize(*SIZE)
        self.enabled_by_user = True
        self._refit = QTimer(self)  # a burst of edits refits once
        self._refit.setSingleShot(True)
        self._refit.setInterval(60)
        self._refit.timeout.connect(self.refit)
        self._watch(canvas.scene())

    def _watch(self, scene) -> None:
        scene.changed.connect(self._schedule)

    def set_scene(self, scene) -> None:
        old = self.scene()
        if old is not None and shiboken6.isValid(old):
            try:
                old.changed.disconnect(self._schedule)
            except (RuntimeError, TypeError):
                pass
        self.setScene(scene)
        self._watch(scene)
        self.refit()

    def _schedule(self, *_args) -> None:
        if not self._refit.isActive():
            self._refit.start()

    def graph_rect(self) -> QRectF:
        return self.scene().itemsBoundingRect().adjusted(-40, -40, 40, 40)

    def refit(self) -> None:
        """Shows the whole graph; hidden while the whole graph fits the canvas anyway (or the user hid it)."""
        scene = self.scene()
        if scene is None or not shiboken6.isValid(scene) or not shiboken6.isValid(self.canvas):
            return  # the window is being torn down: its scene went first
        rect = self.graph_rect()
        visible = self.canvas.mapToScene(self.canvas.viewport().rect()).boundingRect()
        needed = self.enabled_by_user and not rect.isEmpty() and not visible.contains(rect)
        self.setVisible(needed)
        if needed:
            self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
            self.place()
            self.viewport().update()

    def place(self) -> None:
        """Bottom right of the canvas."""
        area = self.canvas.viewport().geometry()
        self.move(area.right() - self.width() - MARGIN, area.bottom() - self.height() - MARGIN)

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
