"""The graphics item of one block: title band in its category colour, key parameters, labelled ports and
the output shape. It observes the graph (via the scene) and never edits it; a red outline marks problems."""
from __future__ import annotations

import html

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem

from engine.graph import Node
from engine.specs import BlockSpec

from .port_item import PortItem, paint_port
from .style import CORNER, GRID, NODE_WIDTH, PORT_RADIUS, CanvasPalette, category_color, metrics


def param_text(spec: BlockSpec, name: str, value) -> str:
    """How a key parameter reads on the node: 'hidden size 128', 'causal', 'rate 0.2'."""
    param = spec.param(name)
    label = param.title.lower()
    if param.type is bool:
        return label if value else f"no {label}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"{label} {value}"
    if isinstance(value, int):
        return f"{label} {value:,}".replace(",", "\u2009")  # thin space groups digits: 10 000
    return f"{label} {value:g}"


def count_text(count: int | None) -> str:
    if not count:
        return ""
    if count < 1000:
        return f"{count} params"
    if count < 1_000_000:
        return f"{count / 1000:.1f}k params"
    return f"{count / 1_000_000:.2f}M params"


def block_height(rows: int, param_lines: int) -> float:
    """The height of a block with ``rows`` rows of ports and ``param_lines`` lines of key parameters: header,
    ports, parameters, then the footer (its output shape and size), as NodeItem lays them out."""
    m = metrics()
    pad = m.padding
    header = m.title_height + m.small_height + pad * 1.4
    row = max(m.small_height, 2 * PORT_RADIUS + 4) * 1.25
    return header + pad * 0.4 + rows * row + pad * 0.2 + param_lines * m.small_height + pad * 0.5 + m.body_height + pad


def expected_height(spec) -> float:
    """The height a new block of ``spec`` will have (at most two lines of key parameters), before it is drawn."""
    return block_height(max(len(spec.inputs), len(spec.outputs), 1), min(2, len(spec.key_params)))


class NodeItem(QGraphicsItem):
    def __init__(self, node: Node):
        super().__init__()
        self.node_id = node.id
        self.spec = node.spec
        self.title = self.spec.title
        self.name = node.name
        self.params = dict(node.params)
        self.output_text = ""
        self.params_count: int | None = None
        self.diagnostics: list[str] = []
        self.edges: set = set()  # EdgeItems attached to this node (the scene maintains it)
        self._syncing = False
        self.width = NODE_WIDTH
        self.height = 0.0
        self._param_lines: list[str] = []
        self.inputs = {p.name: PortItem(self, p, False) for p in self.spec.inputs}
        self.outputs = {p.name: PortItem(self, p, True) for p in self.spec.outputs}
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        # Moving a cached item only blits its pixmap: dragging stays cheap however much text it holds.
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(1)
        self.setAcceptHoverEvents(True)
        self._layout()
        self.set_model_pos(node.pos)

    # ------------------------------------------------------------ model -> item
    def set_model_pos(self, pos: tuple[float, float]) -> None:
        """Follows the graph's position exactly (no snapping: the graph is the truth)."""
        if (self.pos().x(), self.pos().y()) != (pos[0], pos[1]):
            self._syncing = True
            try:
                self.setPos(pos[0], pos[1])
            finally:
                self._syncing = False

    def sync_from_node(self, node: Node) -> None:
        if node.name == self.name and node.params == self.params:
            return
        self.name, self.params = node.name, dict(node.params)
        self._layout()
        self.update()

    def set_analysis(self, output_text: str, params_count: int | None, diagnostics: list[str]) -> bool:
        """Shows the latest analysis; returns whether anything visible changed."""
        state = (output_text, params_count, diagnostics)
        if state == (self.output_text, self.params_count, self.diagnostics):
            return False
        self.output_text, self.params_count, self.diagnostics = state
        self.update()
        return True

    @property
    def header_height(self) -> float:
        """The coloured band at the top (title and name)."""
        return self._header

    @property
    def invalid(self) -> bool:
        return bool(self.diagnostics)

    def port(self, name: str, is_output: bool) -> PortItem:
        return (self.outputs if is_output else self.inputs)[name]

    def ports(self) -> list[PortItem]:
        return list(self.inputs.values()) + list(self.outputs.values())

    def _tell_scene(self) -> None:
        scene = self.scene()  # a GraphScene (the only scene blocks live in), or None before it is added
        if scene is not None:
            scene.block_geometry_changed()

    def scene_palette(self) -> CanvasPalette:
        scene = self.scene()
        return scene.canvas_palette if scene is not None else CanvasPalette.from_palette()

    # ------------------------------------------------------------ geometry
    def _layout(self) -> None:
        m = metrics()
        pad = m.padding
        self._header = m.title_height + m.small_height + pad * 1.4
        fm = m.small_metrics()
        texts = [param_text(self.spec, k, self.params.get(k)) for k in self.spec.key_params]
        lines: list[str] = []
        for text in texts:  # wrap the key parameters over at most two lines
            if lines and fm.horizontalAdvance(lines[-1] + " · " + text) <= self.width - 2 * pad:
                lines[-1] += " · " + text
            elif len(lines) < 2:
                lines.append(text)
            else:
                lines[-1] += " · " + text
        self._param_lines = [fm.elidedText(line, Qt.TextElideMode.ElideRight, self.width - 2 * pad) for line in lines]
        # Ports come first, right under the header: the first port row sits at the same height on every
        # block, so a chain laid out in a row has straight edges.
        self._row = max(m.small_height, 2 * PORT_RADIUS + 4) * 1.25
        ports_top = self._header + pad * 0.4
        rows = max(len(self.inputs), len(self.outputs), 1)
        for i, item in enumerate(self.inputs.values()):
            item.setPos(0, ports_top + (i + 0.5) * self._row)
        for i, item in enumerate(self.outputs.values()):
            item.setPos(self.width, ports_top + (i + 0.5) * self._row)
        self._ports_top = ports_top
        self._params_top = ports_top + rows * self._row + pad * 0.2
        self._footer_top = self._params_top + len(lines) * m.small_height + pad * 0.5
        height = block_height(rows, len(lines))
        if height != self.height:
            self.prepareGeometryChange()
            self.height = height
            margin = PORT_RADIUS + 5  # the port dots stick out of the sides
            self._bounds = QRectF(-margin, -4, self.width + 2 * margin, self.height + 8)
            self._tell_scene()
            for edge in self.edges:
                edge.update_path()
        # The header band (the top of the rounded body) as a path, taken once per layout rather than
        # intersected on every paint: the block's cached picture is repainted at every zoom step.
        band, clip = QPainterPath(), QPainterPath()
        band.addRoundedRect(QRectF(0, 0, self.width, self.height), CORNER, CORNER)
        clip.addRect(QRectF(0, 0, self.width, self._header))
        self._band = band.intersected(clip)

    def relayout(self) -> None:
        self.height = 0.0  # forces the geometry (and the attached edges) to be recomputed
        self._layout()
        self.update()

    def boundingRect(self) -> QRectF:
        return self._bounds  # asked for on every repaint: computed once per layout

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, self.width, self.height), CORNER, CORNER)
        return path

    def center(self) -> QPointF:
        return self.scenePos() + QPointF(self.width / 2, self.height / 2)

    # ------------------------------------------------------------ painting
    def paint(self, painter, option, widget=None) -> None:
        pal = self.scene_palette()
        m = metrics()
        pad = m.padding
        w, h = self.width, self.height
        painter.setRenderHint(painter.RenderHint.Antialiasing)
        painter.setRenderHint(painter.RenderHint.TextAntialiasing)
        body = QRectF(0, 0, w, h)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(pal.shadow)
        painter.drawRoundedRect(body.translated(0, 2), CORNER, CORNER)
        painter.setBrush(pal.node_body)
        painter.drawRoundedRect(body, CORNER, CORNER)

        # Header band: the top of the rounded body, filled with the category colour.
        painter.setBrush(QBrush(category_color(self.spec.category, pal.dark)))
        painter.drawPath(self._band)
        if painter.worldTransform().m11() < 0.4:
            # Zoomed far out the text would be a few pixels high: draw the outline only (and fast).
            for item in self.ports():
                paint_port(painter, item, pal, item.pos())
            self._paint_outline(painter, pal, body)
            return

        badge = m.title_height * 0.8 if self.invalid else 0.0
        painter.setPen(pal.header_text)
        painter.setFont(m.title_font)
        text_width = w - 2 * pad - (badge + pad if badge else 0)
        title = m.title_metrics().elidedText(self.title, Qt.TextElideMode.ElideRight, text_width)
        painter.drawText(QRectF(pad, pad * 0.7, text_width, m.title_height), Qt.AlignmentFlag.AlignLeft
                         | Qt.AlignmentFlag.AlignVCenter, title)
        painter.setFont(m.small_font)
        painter.setPen(QColor(255, 255, 255, 215))
        name = m.small_metrics().elidedText(self.name, Qt.TextElideMode.ElideRight, w - 2 * pad)
        painter.drawText(QRectF(pad, pad * 0.7 + m.title_height, w - 2 * pad, m.small_height),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        if badge:
            centre = QPointF(w - pad - badge / 2, pad * 0.7 + m.title_height / 2)
            painter.setPen(QPen(QColor("#ffffff"), 1.2))
            painter.setBrush(pal.error)
            painter.drawEllipse(centre, badge / 2, badge / 2)
            painter.setFont(m.title_font)
            painter.drawText(QRectF(centre.x() - badge / 2, centre.y() - badge / 2, badge, badge),
                             Qt.AlignmentFlag.AlignCenter, "!")

        painter.setFont(m.small_font)
        painter.setPen(pal.muted)
        for i, line in enumerate(self._param_lines):
            painter.drawText(QRectF(pad, self._params_top + i * m.small_height, w - 2 * pad, m.small_height),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, line)

        label_w = w / 2 - PORT_RADIUS - pad
        fm = m.small_metrics()
        for item in self.ports():
            y = item.pos().y() - self._row / 2
            text = item.port.name
            painter.setPen(pal.muted if item.port.optional and not item.connected else pal.text)
            if item.is_output:
                # An output label may use the width an absent input row leaves free.
                width = label_w if self._row_has_input(item) else w - 2 * (PORT_RADIUS + pad)
                rect = QRectF(w - PORT_RADIUS - pad - width, y, width, self._row)
                align = Qt.AlignmentFlag.AlignRight
            else:
                width = label_w if self._row_has_output(item) else w - 2 * (PORT_RADIUS + pad)
                rect = QRectF(PORT_RADIUS + pad, y, width, self._row)
                align = Qt.AlignmentFlag.AlignLeft
            painter.drawText(rect, align | Qt.AlignmentFlag.AlignVCenter,
                             fm.elidedText(text, Qt.TextElideMode.ElideMiddle, width))

        for item in self.ports():
            paint_port(painter, item, pal, item.pos())

        painter.setPen(QPen(pal.node_border, 1.0))
        painter.drawLine(QPointF(pad, self._footer_top), QPointF(w - pad, self._footer_top))
        footer = QRectF(pad, self._footer_top, w - 2 * pad, h - self._footer_top)
        shape = self.output_text or "—"
        painter.setFont(m.body_font)
        painter.setPen(pal.text if self.output_text not in ("", "—") else pal.muted)
        counted = count_text(self.params_count)
        shape_w = m.body_metrics().horizontalAdvance(shape)
        if counted and shape_w + pad + m.small_metrics().horizontalAdvance(counted) > footer.width():
            counted = ""  # the shape matters more; the count stays in the tooltip
        room = footer.width() - (m.small_metrics().horizontalAdvance(counted) + pad if counted else 0)
        painter.drawText(footer, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         m.body_metrics().elidedText(shape, Qt.TextElideMode.ElideRight, room))
        painter.setFont(m.small_font)
        painter.setPen(pal.muted)
        painter.drawText(footer, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, counted)

        self._paint_outline(painter, pal, body)

    def _paint_outline(self, painter, pal: CanvasPalette, body: QRectF) -> None:
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if self.invalid:
            painter.setPen(QPen(pal.error, 2.0))
            painter.drawRoundedRect(body.adjusted(0.5, 0.5, -0.5, -0.5), CORNER, CORNER)
        else:
            painter.setPen(QPen(pal.node_border, 1.0))
            painter.drawRoundedRect(body, CORNER, CORNER)
        if self.isSelected():
            painter.setPen(QPen(pal.selection, 2.5))
            painter.drawRoundedRect(body.adjusted(-2.5, -2.5, 2.5, 2.5), CORNER + 2, CORNER + 2)

    def _row_has_input(self, out_item: PortItem) -> bool:
        return list(self.outputs.values()).index(out_item) < len(self.inputs)

    def _row_has_output(self, in_item: PortItem) -> bool:
        return list(self.inputs.values()).index(in_item) < len(self.outputs)

    # ------------------------------------------------------------ tooltips
    def tooltip_text(self) -> str:
        """Title, then the problems (or the description), then shape and size; built when hovered."""
        parts = [f"<b>{html.escape(self.title)}</b> '{html.escape(self.name)}'"]
        if self.diagnostics:
            parts += ["<span style='color:#d0222b'><b>Problems</b></span>"]
            parts += [f"• {html.escape(text)}" for text in self.diagnostics]
        else:
            parts.append(html.escape(self.spec.description))
        if self.output_text:
            parts.append(f"output {html.escape(self.output_text)} · {count_text(self.params_count) or 'no params'}")
        return "<br>".join(parts)

    def refresh_port_tooltip(self, item: PortItem) -> None:
        scene = self.scene()
        shape = scene.port_shape_text(self.node_id, item.name, item.is_output) if scene is not None else None
        accepts = " or ".join(k.value for k in item.port.kinds)
        lines = [f"<b>{html.escape(item.name)}</b> ({'output' if item.is_output else 'input'}, {accepts})"]
        if item.port.help:
            lines.append(html.escape(item.port.help))
        if shape:
            lines.append(f"shape {html.escape(shape)}")
        if item.port.optional:
            lines.append("optional")
        item.setToolTip("<br>".join(lines))

    # ------------------------------------------------------------ Qt hooks
    def hoverEnterEvent(self, event) -> None:
        self.setToolTip(self.tooltip_text())  # built on demand: setting 300 tooltips on open costs more
        super().hoverEnterEvent(event)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._syncing:
            scene = self.scene()
            if scene is not None and getattr(scene, "snap_to_grid", False):
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        elif change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            self._tell_scene()
            for edge in self.edges:
                edge.update_path()
        # Returning ``value`` itself (not QGraphicsItem.itemChange's copy) avoids a PySide6 refcount bug that
        # crashed the interpreter at exit after items had moved.
        return value
