"""A connection: a bezier curve from an output port to an input port in the colour of the tensor kind it
carries, labelled with the shape it carries. Also the dashed wire that follows the cursor while connecting."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from engine.graph import Edge
from engine.specs import TensorKind

from .style import FAR_ZOOM, NODE_WIDTH, WIRE_WIDTH, kind_color, metrics


def bezier(start: QPointF, end: QPointF) -> QPainterPath:
    """Leaves the output to the right and enters the input from the left, also when the input is behind."""
    dx = max(abs(end.x() - start.x()) * 0.5, 40.0)
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
    return path


def detour(start: QPointF, end: QPointF, y: float) -> QPainterPath:
    """Leaves the output, runs along the free corridor at height ``y``, and enters the input."""
    path = QPainterPath(start)
    a, b = QPointF(start.x() + 50, y), QPointF(end.x() - 50, y)
    path.cubicTo(QPointF(start.x() + 38, start.y()), QPointF(start.x() + 12, y), a)
    path.lineTo(b)
    path.cubicTo(QPointF(end.x() - 12, y), QPointF(end.x() - 38, end.y()), end)
    return path


def through(start: QPointF, points: list[QPointF], end: QPointF) -> QPainterPath:
    """A wire through reroute points: each stretch leaves to the right and enters from the left, as a plain
    wire does, so the curve is smooth (horizontal) at every point."""
    path = QPainterPath(start)
    for a, b in zip([start, *points], [*points, end]):
        dx = max(abs(b.x() - a.x()) * 0.5, 40.0)
        path.cubicTo(QPointF(a.x() + dx, a.y()), QPointF(b.x() - dx, b.y()), b)
    return path


def _node_rect(node) -> QRectF:
    return QRectF(node.pos().x(), node.pos().y(), node.width, node.height)


class EdgeItem(QGraphicsItem):
    def __init__(self, edge: Edge, source, target):
        super().__init__()
        self.edge = edge
        self.source = source  # PortItem (output)
        self.target = target  # PortItem (input)
        self.kind: TensorKind = source.kinds[0]
        self.label = ""
        self.label_on_hover = False  # the shape does not fit between the blocks: drawn only while hovered
        self._text = ""
        self._pen_key = None
        self._hovered = False
        self._labels: list[tuple[str, float]] = []
        self._path = QPainterPath()
        self._label_rect = QRectF()
        self._bounds = QRectF()
        self.reroutes: list = []  # RerouteItems (the scene keeps them in step with graph.annotations)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.setZValue(0)
        self.update_path()

    def set_label(self, text: str | None, kind: TensorKind | None) -> None:
        text = text or ""
        kind = kind or self.kind
        if (text, kind) != (self.label, self.kind):
            self.label, self.kind = text, kind
            fm = metrics().small_metrics()
            compact = text.replace(", ", ",")
            # Candidate labels, longest first, with their widths: a move then only compares numbers.
            candidates = (text, compact, compact.split(" ")[-1]) if text else ()
            self._labels = [(t, fm.horizontalAdvance(t)) for t in candidates]
            self.update_path()

    def update_path(self) -> None:
        self.prepareGeometryChange()
        before = self._bounds
        start, end = self.source.anchor(), self.target.anchor()
        if self.reroutes:
            self._path = through(start, [r.pos() for r in self.reroutes], end)
        else:
            self._path = self._route(start, end)
        self._text = self.label
        if self.label:
            # The longest form of the shape that fits the gap between the blocks; when even the shortest
            # does not, the whole shape is shown on hover (above the blocks), never cut to "[B...4]".
            room = max(abs(end.x() - start.x()) - 6, 40.0)
            fits = [(t, w) for t, w in self._labels if w + 6 <= room]
            self.label_on_hover = not fits
            self._text, width = fits[0] if fits else self._labels[1]
            w, h = width + 6, metrics().small_height + 2
            mid = self._path.pointAtPercent(0.5)
            self._label_rect = QRectF(mid.x() - w / 2, mid.y() - h - 3, w, h)
        else:
            self._label_rect = QRectF()
        self._bounds = self._path.controlPointRect().united(self._label_rect).adjusted(-6, -6, 6, 6)
        self._tell_layer(before.united(self._bounds))

    def _tell_layer(self, region: QRectF) -> None:
        """The wire layer, while it draws the wires, repaints ``region`` (where this wire was and is)."""
        layer = self._layer()
        if layer is not None and layer.active:
            layer.wires_changed(region)

    def _layer(self):
        scene = self.scene()
        return getattr(scene, "wire_layer", None) if scene is not None else None

    @property
    def hovered(self) -> bool:
        return self._hovered

    def sync_drawing(self) -> None:
        """Paints nothing itself while the scene's WireLayer draws it (zoomed far out), unless selected or
        hovered: then it paints itself, highlight included, over the layer."""
        layer = self._layer()
        off = layer is not None and layer.draws(self)
        if bool(self.flags() & QGraphicsItem.GraphicsItemFlag.ItemHasNoContents) != off:
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, off)
            self.update()

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.sync_drawing()
        elif change == QGraphicsItem.GraphicsItemChange.ItemVisibleHasChanged:
            self._tell_layer(self._bounds)
        return super().itemChange(change, value)

    def wire_path(self) -> QPainterPath:
        """The wire's curve in scene coordinates (the item sits at the origin)."""
        return QPainterPath(self._path)

    @property
    def long(self) -> bool:
        """Spans more than the gap between neighbouring columns, so blocks may stand in its way."""
        return self.target.anchor().x() - self.source.anchor().x() > NODE_WIDTH + 40

    def _route(self, start: QPointF, end: QPointF) -> QPainterPath:
        """A plain curve, unless blocks stand between the ends: then a detour above or below them.

        The curve stays within the band between its ends' heights, so a block blocks it exactly when it
        overlaps that band horizontally between the ends.
        """
        scene = self.scene()
        if scene is None or end.x() - start.x() <= NODE_WIDTH + 40:
            return bezier(start, end)
        ends = (self.source.node_item, self.target.node_item)
        rects = [_node_rect(n) for n in scene.node_items() if n not in ends]
        rects = [r for r in rects if r.right() > start.x() + 10 and r.left() < end.x() - 10]
        low, high = min(start.y(), end.y()) - 8, max(start.y(), end.y()) + 8
        blockers = [r for r in rects if r.bottom() > low and r.top() < high]
        if not blockers:
            return bezier(start, end)
        label = metrics().small_height + 8  # the label sits above the line: leave it room
        best = None
        for side in (-1, 1):
            group = list(blockers)
            for _ in range(4):  # a corridor may run into further blocks: widen the group and retry
                y = (min(r.top() for r in group) - 14) if side < 0 else (max(r.bottom() for r in group) + 12 + label)
                band = QRectF(start.x() + 40, y - label - 4, end.x() - start.x() - 80, label + 12)
                more = [r for r in rects if r not in group and r.intersects(band)]
                if not more:
                    break
                group += more
            cost = abs(y - start.y()) + abs(y - end.y())
            if best is None or cost < best[0]:
                best = (cost, y)
        return detour(start, end, best[1])

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)  # clickable a few pixels either side of the line
        return stroker.createStroke(self._path)

    def paint(self, painter, option, widget=None) -> None:
        pal = self.scene().canvas_palette
        key = (self.kind, pal.dark)
        if key != self._pen_key:  # pens are rebuilt only when the kind or the theme changes
            self._pen_key = key
            self._color = kind_color(self.kind, pal.dark)
            self._pen = QPen(self._color, WIRE_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        if self.isSelected():
            painter.setPen(QPen(pal.selection, 5.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPath(self._path)
        if self._hovered:
            halo = QColor(self._color)
            halo.setAlpha(90)
            painter.setPen(QPen(halo, 7.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPath(self._path)
        painter.setPen(self._pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self._path)
        shown = self.label and (self._hovered or not self.label_on_hover)
        if shown and painter.worldTransform().m11() > FAR_ZOOM:  # unreadable when zoomed far out: skip it
            painter.setPen(QPen(self._color, 1.0))
            painter.setBrush(pal.label_background)
            painter.drawRoundedRect(self._label_rect, 4, 4)
            painter.setFont(metrics().small_font)
            painter.setPen(pal.text)
            painter.drawText(self._label_rect, Qt.AlignmentFlag.AlignCenter, self._text)


    def hover_text(self) -> str:
        """The tooltip: ports, kind and shape, and the tensor's live values while a run's statistics apply."""
        text = f"{self.edge.src_port} → {self.edge.dst_port}: {self.kind.value} {self.label}".strip()
        scene = self.scene()
        live = scene.live_value_text(self.edge) if hasattr(scene, "live_value_text") else None
        return f"{text}\n{live}" if live else text

    def hoverEnterEvent(self, event) -> None:
        self.setToolTip(self.hover_text())  # formatted on hover only: painting never pays for live values
        self._hovered = True
        self.sync_drawing()
        if self.label_on_hover:
            self.setZValue(5)  # the label drawn over the blocks it does not fit between
        self.update()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.sync_drawing()
        self.setZValue(0)
        self.update()
        super().hoverLeaveEvent(event)


class DragWireItem(QGraphicsPathItem):
    """The provisional wire drawn from the grabbed port to the cursor."""

    def __init__(self, color: QColor):
        super().__init__()
        pen = QPen(color, 2.0, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(10)

    def set_ends(self, output_end: QPointF, input_end: QPointF) -> None:
        self.setPath(bezier(output_end, input_end))
