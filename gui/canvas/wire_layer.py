"""Far out, one item draws every wire.

With a large graph in view, painting 250 wires item by item costs QGraphicsView a Python call, a painter
state and a stroke per wire: about half of a full repaint (bench_canvas.py measures both ways). Below
``LAYER_BELOW`` zoom, where wires carry no shape labels anyway, the wires stop painting themselves
(``ItemHasNoContents``: they still take hovers and clicks) and this layer strokes them as one path per tensor
kind. A selected or hovered wire paints itself on top, with its highlight. The picture is the same as the
wires' own, so crossing the threshold shows no jump.
"""
from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from .style import FAR_ZOOM, WIRE_WIDTH, kind_color

LAYER_BELOW = FAR_ZOOM  # the zoom below which the layer draws the wires (where their labels are hidden too)


class WireLayer(QGraphicsItem):
    def __init__(self, edges):
        """``edges``: a callable returning the scene's EdgeItems."""
        super().__init__()
        self._edges = edges
        self.active = False
        self._groups: list[tuple[QPen, QPainterPath]] | None = None  # built lazily, dropped on any change
        self._dark: bool | None = None
        self._bounds = QRectF()
        self.setZValue(-0.5)  # under the wires that paint themselves (z 0) and under the blocks
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return QPainterPath()  # never found under the cursor: clicks and hovers reach the wires themselves

    def set_active(self, on: bool) -> None:
        """Takes over (or hands back) the drawing of every wire."""
        if on == self.active:
            return
        self.active = on
        for edge in self._edges():
            edge.sync_drawing()
        self.wires_changed()

    def draws(self, edge) -> bool:
        """Whether this layer draws ``edge`` (the edge then paints nothing itself)."""
        return self.active and not (edge.isSelected() or edge.hovered)

    def wires_changed(self, region: QRectF | None = None) -> None:
        """A wire was added, removed, re-routed or recoloured; ``region`` (scene coordinates) is where the
        picture changed, None for everywhere."""
        self._groups = None
        if not self.active:
            return
        if region is None:
            bounds = QRectF()
            for edge in self._edges():
                bounds = bounds.united(edge.boundingRect())
            self.prepareGeometryChange()
            self._bounds = bounds
            self.update()
            return
        if not self._bounds.contains(region):  # grows while wires move; recomputed when the layer is switched on
            self.prepareGeometryChange()
            self._bounds = self._bounds.united(region)
        self.update(region)

    def paint(self, painter, option, widget=None) -> None:
        if not self.active:
            return
        dark = self.scene().canvas_palette.dark
        if self._groups is None or dark != self._dark:
            self._dark, self._groups = dark, self._grouped(dark)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for pen, path in self._groups:
            painter.setPen(pen)
            painter.drawPath(path)

    def _grouped(self, dark: bool) -> list[tuple[QPen, QPainterPath]]:
        """One path per tensor kind: a stroke per colour instead of one per wire."""
        return [(QPen(kind_color(kind, dark), WIRE_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap), path)
                for kind, path in wire_paths(self._edges()).items()]


def wire_paths(edges) -> dict:
    """{tensor kind: one path of every visible wire of that kind}, in scene coordinates (the layer and the
    minimap stroke each kind once)."""
    paths: dict = {}
    for edge in edges:
        if edge.isVisible():  # a wire whose end a drag picked up is hidden meanwhile
            paths.setdefault(edge.kind, QPainterPath()).addPath(edge.wire_path())
    return paths
