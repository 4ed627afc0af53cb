"""A reroute point on a wire: a small handle the wire is drawn through. It can be dragged (alone or with a
multi-selection), deleted (double-click it, or select it and press Delete), and saves with the edge."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from .style import GRID, kind_color

RADIUS = 5.0
REROUTE_Z = 0.5  # above the wires, below the blocks


class RerouteItem(QGraphicsItem):
    def __init__(self, edge_item, index: int, pos: tuple[float, float]):
        super().__init__()
        self.edge_item, self.index = edge_item, index
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setZValue(REROUTE_Z)
        self.setToolTip("Reroute point: drag to reshape the wire; double-click (or select and press Delete) "
                        "to remove it")
        self.setCursor(Qt.CursorShape.SizeAllCursor)
        self.setPos(pos[0], pos[1])

    @property
    def edge(self):
        return self.edge_item.edge

    def boundingRect(self) -> QRectF:
        r = RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(QPointF(0, 0), RADIUS + 3, RADIUS + 3)  # a little easier to grab than it looks
        return path

    def paint(self, painter, option, widget=None) -> None:
        pal = self.scene().canvas_palette
        color = kind_color(self.edge_item.kind, pal.dark)
        painter.setPen(QPen(pal.selection if self.isSelected() else pal.node_border, 2.0 if self.isSelected() else 1.2))
        painter.setBrush(color)
        painter.drawEllipse(QPointF(0, 0), RADIUS, RADIUS)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange:
            scene = self.scene()
            if scene is not None and getattr(scene, "snap_to_grid", False):
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self.edge_item.update_path()  # the wire follows the point while it is dragged
        return value
