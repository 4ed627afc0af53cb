"""Small pictures of a document's graph for the start page: its blocks and wires drawn from their saved positions
with QPainter, straight from the document's JSON (no model is built), in the current theme's colours, cached.

A block is a box with its category's header colour (the canvas's colours, so a learner recognises the graph when
it opens); a wire is a curve from the right side of its source to the left side of its target.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPalette, QPen, QPixmap

from engine.blocks.catalog import CATALOG

from .canvas.style import NODE_WIDTH, CanvasPalette, category_color

ROW = 170.0  # engine.layout's row spacing in scene units: blocks this far apart are one row apart
_cache: dict[tuple, QPixmap] = {}


def graph_outline(data: dict) -> tuple[list[tuple[str, float, float]], list[tuple[int, int]]]:
    """(blocks as (kind, x, y), wires as (source index, target index)) of a document's JSON; blocks without a
    usable position and wires naming unknown blocks are left out, so a hand-edited file still gets a picture."""
    graph = data.get("graph") if isinstance(data, dict) else None
    graph = graph if isinstance(graph, dict) else {}
    nodes, edges = graph.get("nodes"), graph.get("edges")
    blocks, index = [], {}
    for node in nodes if isinstance(nodes, list) else []:
        if not isinstance(node, dict) or not isinstance(node.get("pos"), list) or len(node["pos"]) != 2:
            continue
        try:
            x, y = (float(v) for v in node["pos"])
        except (TypeError, ValueError):
            continue
        if not (abs(x) < 1e7 and abs(y) < 1e7):  # NaN, infinite or absurd: it would squash every other block
            continue
        if isinstance(node.get("id"), str):
            index[node["id"]] = len(blocks)
        blocks.append((str(node.get("kind", "")), x, y))
    wires = []
    for edge in edges if isinstance(edges, list) else []:
        try:
            source, target = index[edge["from"][0]], index[edge["to"][0]]
        except (KeyError, TypeError, IndexError):
            continue
        wires.append((source, target))
    return blocks, wires


def render(data: dict, width: int, height: int, palette: CanvasPalette, ratio: float = 1.0) -> QPixmap:
    """The graph of ``data`` fitted into ``width`` x ``height`` logical pixels (a blank card when it has none).

    The two axes are fitted separately: graphs are long chains, and drawn to scale a chain of six blocks would be
    a row of specks; the columns and rows of the layout stay in order, which is what the eye reads."""
    pixmap = QPixmap(max(1, round(width * ratio)), max(1, round(height * ratio)))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(palette.background)
    blocks, wires = graph_outline(data)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(palette.node_border, 1))
    painter.drawRect(QRectF(0.5, 0.5, width - 1, height - 1))
    if blocks:
        margin = 6.0
        left, top = min(x for _, x, _ in blocks), min(y for _, _, y in blocks)
        span_x = max(x for _, x, _ in blocks) - left + NODE_WIDTH
        span_y = max(y for _, _, y in blocks) - top
        sx = (width - 2 * margin) / span_x
        box_w = NODE_WIDTH * sx
        rows = span_y / ROW + 1
        box_h = min(height * 0.42, (height - 2 * margin) / rows * 0.7, box_w * 1.2)
        sy = (height - 2 * margin - box_h) / span_y if span_y else 0.0
        y0 = margin if span_y else (height - box_h) / 2
        rects = [QRectF(margin + (x - left) * sx, y0 + (y - top) * sy, box_w, box_h) for _, x, y in blocks]
        painter.setPen(QPen(palette.muted, 1.2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for source, target in wires:
            a, b = rects[source], rects[target]
            start, end = QPointF(a.right(), a.center().y()), QPointF(b.left(), b.center().y())
            bend = max(4.0, abs(end.x() - start.x()) / 2)
            path = QPainterPath(start)
            path.cubicTo(start + QPointF(bend, 0), end - QPointF(bend, 0), end)
            painter.drawPath(path)
        corner = min(3.0, box_h / 4)
        for (kind, _, _), box in zip(blocks, rects):
            spec = CATALOG.get(kind)
            painter.setPen(QPen(palette.node_border, 1))
            painter.setBrush(palette.node_body)
            painter.drawRoundedRect(box, corner, corner)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(category_color(spec.category if spec else "", palette.dark))
            painter.drawRoundedRect(QRectF(box.x(), box.y(), box.width(), box.height() * 0.45), corner, corner)
    painter.end()
    return pixmap


def thumbnail(path: Path, data: dict, width: int = 150, height: int = 64,
              qpalette: QPalette | None = None, ratio: float = 1.0) -> QPixmap:
    """The cached thumbnail of the document at ``path`` (``data``: its parsed JSON); drawn again when the file,
    the size or the theme changed."""
    palette = CanvasPalette.from_palette(qpalette)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = 0
    key = (str(path), stamp, width, height, ratio, palette.dark, palette.background.rgb())
    if key not in _cache:
        _cache[key] = render(data, width, height, palette, ratio)
    return _cache[key]


def clear_cache() -> None:
    _cache.clear()
