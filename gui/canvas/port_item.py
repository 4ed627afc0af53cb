"""A port dot on a node: coloured by the tensor kind it carries, filled when connected, ringed while a drag
shows whether it can take the connection. Its label is painted by the node (so the node cache holds it)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

from engine.specs import Port, TensorKind

from .style import FAR_ZOOM, MIN_ZOOM, PORT_RADIUS, kind_color

NORMAL, COMPATIBLE, REFUSED = "normal", "compatible", "refused"
TARGET_DOT_PX = 9  # far out, the screen size of the dot that marks a port a dragged wire may end on


class PortItem(QGraphicsItem):
    def __init__(self, node_item, port: Port, is_output: bool):
        super().__init__(node_item)
        self.node_item = node_item
        self.port = port
        self.is_output = is_output
        self.kinds: tuple[TensorKind, ...] = port.kinds[:1] if is_output else port.kinds
        self.connected = False
        self.state = NORMAL
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, True)
        self.setZValue(1)

    # ------------------------------------------------------------ identity
    @property
    def node_id(self) -> str:
        return self.node_item.node_id

    @property
    def name(self) -> str:
        return self.port.name

    def anchor(self) -> QPointF:
        """Where edges attach, in scene coordinates."""
        return self.scenePos()

    # ------------------------------------------------------------ state
    def set_kinds(self, kinds: tuple[TensorKind, ...]) -> None:
        if kinds != self.kinds:
            self.kinds = kinds
            self.node_item.update()

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.node_item.update()

    def mark(self, state: str) -> None:
        """Sets the state for a PortHighlights item to paint (this item stays without contents): a drag that
        highlights hundreds of ports then costs one item's paint, not hundreds."""
        self.state = state

    def set_state(self, state: str) -> None:
        """While a drag highlights it, the port paints itself above the node; otherwise the node's cached
        picture holds the dot, so hundreds of ports cost nothing per repaint."""
        if state != self.state:
            self.state = state
            self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, state == NORMAL)
            self.update()

    # ------------------------------------------------------------ painting
    def boundingRect(self) -> QRectF:
        r = PORT_RADIUS + 5
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        r = PORT_RADIUS + 4  # a little larger than the dot: easier to hit
        path.addEllipse(QPointF(0, 0), r, r)
        return path

    def paint(self, painter, option, widget=None) -> None:
        paint_port(painter, self, self.node_item.scene_palette(), QPointF(0, 0))

    def hoverEnterEvent(self, event) -> None:
        self.node_item.refresh_port_tooltip(self)
        super().hoverEnterEvent(event)


class PortHighlights(QGraphicsItem):
    """The rings and faded dots of every port a connection drag marked, painted by one item above the blocks.

    One paint call (and one item for the view to sort and clip) instead of one per port: starting a drag with
    300 blocks in view no longer pays QGraphicsView's per-item cost 300 times. The ports do not move during a
    drag, so their anchors are taken once.
    """

    def __init__(self, ports: list[tuple[PortItem, QPointF]]):
        """``ports``: each marked port with its anchor (scene coordinates)."""
        super().__init__()
        self.setZValue(2)  # above the blocks (1), below edge labels (5) and the dragged wire (10)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)  # exposedRect
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.ports = [(anchor, port) for port, anchor in ports]
        self._faded_colors: dict[TensorKind, QColor] = {}  # per kind, for this drag (its palette is fixed)
        self._targets: QPolygonF | None = None  # the fitting ports' anchors, for the far-out dots
        r = max(PORT_RADIUS + 5, TARGET_DOT_PX / 2 / MIN_ZOOM)  # far out a dot is wider than the port in the scene
        xs, ys = [a.x() for a, _p in self.ports], [a.y() for a, _p in self.ports]
        self._rect = QRectF(min(xs) - r, min(ys) - r, max(xs) - min(xs) + 2 * r, max(ys) - min(ys) + 2 * r) \
            if self.ports else QRectF()

    def boundingRect(self) -> QRectF:
        return self._rect

    def paint(self, painter, option, widget=None) -> None:
        if not self.ports:
            return
        if painter.worldTransform().m11() < FAR_ZOOM:
            self._paint_far(painter, widget)
            return
        r = PORT_RADIUS + 5
        exposed = option.exposedRect.adjusted(-r, -r, r, r)  # the wire's moves repaint only a strip
        palette = self.ports[0][1].node_item.scene_palette()
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        # Batched by colour: a path per colour and one fill or stroke each, instead of five painter calls per
        # port (with 300 blocks in view a drag starts with a quarter less CPU). A compatible port needs only
        # its ring (the block's cached picture holds the dot and the ring lies outside it); a refused one is
        # painted again, faded: dot, hollow centre if it is a free input, outline. Ports never overlap, so the
        # order of the layers is the order paint_port uses for one port.
        rings, holes, outlines = _path(), _path(), _path()
        dots: dict[int, tuple[QColor, QPainterPath]] = {}
        r, ring_r = PORT_RADIUS, PORT_RADIUS + 3.5
        for anchor, port in self.ports:
            if not exposed.contains(anchor):
                continue
            if port.state == COMPATIBLE:
                rings.addEllipse(anchor, ring_r, ring_r)
            elif port.state == REFUSED:
                if len(port.kinds) != 1:  # a pie of several kinds: rare, painted alone
                    paint_port(painter, port, palette, anchor)
                    continue
                color = self._faded_colors.get(port.kinds[0])
                if color is None:
                    color = self._faded_colors[port.kinds[0]] = _faded(kind_color(port.kinds[0], palette.dark),
                                                                        palette.node_body)
                dots.setdefault(color.rgba(), (color, _path()))[1].addEllipse(anchor, r, r)
                if not port.connected and not port.is_output:
                    holes.addEllipse(anchor, r * 0.5, r * 0.5)
                outlines.addEllipse(anchor, r, r)
        painter.strokePath(rings, QPen(palette.highlight, 2.5))
        for color, path in dots.values():
            painter.fillPath(path, color)
        painter.fillPath(holes, palette.node_body)
        painter.strokePath(outlines, QPen(palette.node_border, 1.0))

    def _paint_far(self, painter, widget) -> None:
        """Far out a ring is a pixel wide (invisible at 12 % zoom) and a refused port's fading cannot be seen:
        every port the wire may end on is a dot of fixed size on screen in the highlight colour, all drawn by one
        call. Only on the canvas itself (``widget``): the minimap's picture would show the dots far too big."""
        if widget is None:
            return
        if self._targets is None:
            self._targets = QPolygonF([anchor for anchor, port in self.ports if port.state == COMPATIBLE])
        pen = QPen(self.ports[0][1].node_item.scene_palette().highlight, TARGET_DOT_PX)
        pen.setCosmetic(True)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setRenderHint(_ANTIALIASING)
        painter.setPen(pen)
        painter.drawPoints(self._targets)


def _path() -> QPainterPath:
    path = QPainterPath()
    path.setFillRule(Qt.FillRule.WindingFill)
    return path


# Looked up once: a PySide enum member costs a descriptor call each time, and every block's cached picture
# paints its ports again at each zoom step.
_ANTIALIASING = QPainter.RenderHint.Antialiasing
_NO_PEN, _NO_BRUSH = Qt.PenStyle.NoPen, Qt.BrushStyle.NoBrush
_outline_pens: dict[int, QPen] = {}


def paint_port(painter, port: PortItem, palette, centre: QPointF) -> None:
    """Draws the port's dot at ``centre``: a slice per accepted kind, hollow when an input is free."""
    r = PORT_RADIUS
    painter.setRenderHint(_ANTIALIASING)
    if port.state == COMPATIBLE:
        painter.setPen(QPen(palette.highlight, 2.5))
        painter.setBrush(_NO_BRUSH)
        painter.drawEllipse(centre, r + 3.5, r + 3.5)
    rect = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
    painter.setPen(_NO_PEN)
    kinds = port.kinds
    if len(kinds) == 1:
        color = kind_color(kinds[0], palette.dark)
        painter.setBrush(_faded(color, palette.node_body) if port.state == REFUSED else color)
        painter.drawEllipse(rect)
    else:
        span = 360 * 16 // len(kinds)
        for i, kind in enumerate(kinds):
            color = kind_color(kind, palette.dark)
            painter.setBrush(_faded(color, palette.node_body) if port.state == REFUSED else color)
            painter.drawPie(rect, 90 * 16 + i * span, span)
    if not port.connected and not port.is_output:
        painter.setBrush(palette.node_body)
        painter.drawEllipse(centre, r * 0.5, r * 0.5)
    border = palette.node_border
    pen = _outline_pens.get(border.rgba())
    if pen is None:
        pen = _outline_pens[border.rgba()] = QPen(border, 1.0)
    painter.setPen(pen)
    painter.setBrush(_NO_BRUSH)
    painter.drawEllipse(rect)


def _faded(color: QColor, background: QColor) -> QColor:
    t = 0.7
    return QColor.fromRgbF(color.redF() + (background.redF() - color.redF()) * t,
                           color.greenF() + (background.greenF() - color.greenF()) * t,
                           color.blueF() + (background.blueF() - color.blueF()) * t)
