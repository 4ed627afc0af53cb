"""Canvas look: tensor-kind and category colours, light/dark palettes derived from QPalette, text metrics.

Sizes come from font metrics (not fixed pixel heights), so text fits at any font size and device pixel ratio.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from PySide6.QtGui import QColor, QFont, QFontMetricsF, QGuiApplication, QPalette

from engine.specs import TensorKind

# One hue per tensor kind: ports and edges of a kind share it, so a learner sees what flows where.
_KIND_HEX = {
    TensorKind.TOKENS: ("#C98A12", "#F2B84B"),  # amber   (light theme, dark theme)
    TensorKind.SEQUENCE: ("#2F7FCC", "#6DB3F2"),  # blue
    TensorKind.VECTOR: ("#2E9A5B", "#63CF8E"),  # green
    TensorKind.STATE: ("#8E5CC9", "#BB94EE"),  # purple
}
# Header band per catalog category; white title text stays readable on each in both themes.
_CATEGORY_HEX = {
    "Inputs": "#23867A",
    "Embedding": "#B9731F",
    "Recurrent": "#4A5FC1",
    "Attention": "#AE4A7E",
    "Layers": "#4F6A7D",
    "Merge": "#24819A",
    "Outputs": "#C0503A",
}

NODE_WIDTH = 168.0  # engine.layout columns are 270 apart: this leaves room for an edge and its shape label
GRID = 10.0  # snapping step; engine.layout's 270 x 170 spacing lies on it
PORT_RADIUS = 5.5
WIRE_WIDTH = 2.2  # scene units: wires thin out with the zoom as blocks do
MIN_ZOOM = 0.1  # the canvas's least zoom
FAR_ZOOM = 0.45  # below this zoom wire labels are unreadable: one item draws the wires, drags mark dots
CORNER = 7.0


def kind_color(kind: TensorKind, dark: bool = False) -> QColor:
    return QColor(_KIND_HEX[kind][1 if dark else 0])


def category_color(category: str, dark: bool = False) -> QColor:
    color = QColor(_CATEGORY_HEX.get(category, "#5A6470"))
    return color.darker(112) if dark else color


@dataclass(frozen=True)
class CanvasPalette:
    """Every colour the canvas paints with, for one theme."""

    dark: bool
    background: QColor
    grid_minor: QColor
    grid_major: QColor
    node_body: QColor
    node_border: QColor
    text: QColor
    muted: QColor
    header_text: QColor
    selection: QColor
    error: QColor
    label_background: QColor
    highlight: QColor
    shadow: QColor

    @classmethod
    def from_palette(cls, palette: QPalette | None = None) -> "CanvasPalette":
        palette = palette if palette is not None else QGuiApplication.palette()
        window = palette.color(QPalette.ColorRole.Window)
        dark = window.lightnessF() < 0.5
        text = palette.color(QPalette.ColorRole.WindowText)
        base = palette.color(QPalette.ColorRole.Base)
        if dark:
            background = window.darker(125)
            body = _mix(base, QColor("#ffffff"), 0.07)
        else:
            background = _mix(window, QColor("#000000"), 0.04)
            body = base if base.lightnessF() > 0.9 else QColor("#ffffff")
        return cls(
            dark=dark,
            background=background,
            grid_minor=_mix(background, text, 0.05),
            grid_major=_mix(background, text, 0.11),
            node_body=body,
            node_border=_mix(body, text, 0.28),
            text=text,
            muted=_mix(text, body, 0.38),
            header_text=QColor("#ffffff"),
            selection=palette.color(QPalette.ColorRole.Highlight) if not dark else QColor("#5AA9FF"),
            error=QColor("#E5484D") if dark else QColor("#D0222B"),
            label_background=_mix(background, body, 0.6),
            highlight=QColor("#F5C542") if dark else QColor("#E09B00"),
            shadow=QColor(0, 0, 0, 110 if dark else 40),
        )


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    """``a`` moved a fraction ``t`` towards ``b``."""
    return QColor.fromRgbF(a.redF() + (b.redF() - a.redF()) * t, a.greenF() + (b.greenF() - a.greenF()) * t,
                           a.blueF() + (b.blueF() - a.blueF()) * t, 1.0)


@dataclass(frozen=True)
class Metrics:
    """Fonts and the line heights they need; node geometry is built from these."""

    title_font: QFont
    body_font: QFont
    small_font: QFont
    title_height: float
    body_height: float
    small_height: float
    padding: float

    def title_metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.title_font)

    def body_metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.body_font)

    def small_metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.small_font)


@lru_cache(maxsize=8)
def _metrics_for(family: str, point_size: float) -> Metrics:
    body = QFont(family)
    body.setPointSizeF(point_size)
    title = QFont(body)
    title.setBold(True)
    small = QFont(body)
    small.setPointSizeF(point_size * 0.88)
    return Metrics(title, body, small,
                   title_height=QFontMetricsF(title).height(),
                   body_height=QFontMetricsF(body).height(),
                   small_height=QFontMetricsF(small).height(),
                   padding=max(4.0, QFontMetricsF(body).height() * 0.35))


_current: Metrics | None = None


def metrics() -> Metrics:
    """Metrics for the application font (cached; ``reset_metrics`` after the font changes)."""
    global _current
    if _current is None:
        font = QGuiApplication.font()
        size = font.pointSizeF() if font.pointSizeF() > 0 else 9.0
        _current = _metrics_for(font.family(), min(max(size, 8.0), 11.0))
    return _current


def reset_metrics() -> None:
    global _current
    _current = None
