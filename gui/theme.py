"""Light, dark or the system's colours for the whole window: the Qt palette (the canvas follows it), and every
pyqtgraph plot — background, axes, titles and legends — restyled at once and for plots made later.

``pg`` is pyqtgraph imported at its first use (not before the window's first paint) and then given the theme's
colours: every module of the window that plots uses it instead of importing pyqtgraph itself."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QWidget

from engine.lazy import OnFirstUse

THEMES = ("light", "dark", "system")
CHECK_MARK = Path(__file__).resolve().parent.parent / "assets" / "check-dark.svg"
# Fusion draws a check box's frame in the window colour made darker: on a dark window no box showed around a
# check mark, and an unchecked box was dark on dark. In the dark theme the boxes get a frame and a fill.
DARK_INDICATORS = f"""
QCheckBox::indicator, QAbstractItemView::indicator, QGroupBox::indicator {{
    width: 13px; height: 13px; border: 1px solid #8c8f94; border-radius: 2px; background: #1e1f22; }}
QCheckBox::indicator:checked, QAbstractItemView::indicator:checked, QGroupBox::indicator:checked {{
    background: #2f65ca; border-color: #589df6; image: url({CHECK_MARK.as_posix()}); }}
QCheckBox::indicator:disabled, QAbstractItemView::indicator:disabled {{ border-color: #55585d; }}
QCheckBox::indicator:checked:disabled, QAbstractItemView::indicator:checked:disabled {{ background: #3a3d42; }}
QRadioButton::indicator {{ width: 12px; height: 12px; border: 1px solid #8c8f94; border-radius: 7px;
    background: #1e1f22; }}
QRadioButton::indicator:checked {{ background: #589df6; border: 3px solid #1e1f22; outline: none; }}
"""


@dataclass(frozen=True)
class PlotColors:
    background: str
    foreground: str  # axes, ticks and text
    legend: tuple[int, int, int, int]  # the legend's box, slightly transparent over the data


LIGHT = PlotColors("#ffffff", "#404040", (255, 255, 255, 200))
DARK = PlotColors("#1e1f22", "#c8c8c8", (40, 41, 45, 210))
_current = LIGHT


def _configure(pyqtgraph: ModuleType) -> None:
    """The colours pyqtgraph gives new plots' axes and backgrounds: the current theme's."""
    pyqtgraph.setConfigOption("background", _current.background)
    pyqtgraph.setConfigOption("foreground", _current.foreground)


pg = OnFirstUse("pyqtgraph", on_import=_configure)


def plot_colors() -> PlotColors:
    """The colours plots are made with now (gui.plotting reads them for new plots)."""
    return _current


def dark_palette() -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2d30", QPalette.ColorRole.WindowText: "#dfe1e5",
        QPalette.ColorRole.Base: "#1e1f22", QPalette.ColorRole.AlternateBase: "#26282b",
        QPalette.ColorRole.ToolTipBase: "#3c3f41", QPalette.ColorRole.ToolTipText: "#dfe1e5",
        QPalette.ColorRole.Text: "#dfe1e5", QPalette.ColorRole.Button: "#393b40",
        QPalette.ColorRole.ButtonText: "#dfe1e5", QPalette.ColorRole.BrightText: "#ff6b68",
        QPalette.ColorRole.Link: "#589df6", QPalette.ColorRole.Highlight: "#2f65ca",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.PlaceholderText: "#8c8f94",
    }
    for role, color in roles.items():
        palette.setColor(role, QColor(color))
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#6f737a"))
    return palette


def system_is_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def resolve(mode: str) -> str:
    """"light" or "dark" for a chosen mode (system: what the desktop uses)."""
    if mode == "system":
        return "dark" if system_is_dark() else "light"
    return mode if mode in ("light", "dark") else "light"


def apply_theme(mode: str, window: QWidget | None = None) -> str:
    """Applies ``mode`` (light, dark or system) to the application's palette (only when it changes) and to
    every plot inside ``window``; returns light or dark. Plots made later take the colours themselves."""
    global _current
    app = QApplication.instance()
    effective = resolve(mode)
    wanted = DARK if effective == "dark" else LIGHT
    if wanted is not _current and app is not None:
        if effective == "dark":
            app.setStyle("Fusion")  # the native styles ignore a dark palette in places
            app.setPalette(dark_palette())
            app.setStyleSheet(DARK_INDICATORS)
        else:
            app.setPalette(app.style().standardPalette())
            if app.styleSheet() == DARK_INDICATORS:
                app.setStyleSheet("")
    _current = wanted
    if "pyqtgraph" not in sys.modules:  # no plot yet: pyqtgraph takes these colours when it is imported (pg)
        return effective
    import pyqtgraph

    _configure(pyqtgraph)
    if window is not None:  # this window's plots (walking every widget of the application met dying ones)
        for view in window.findChildren(pyqtgraph.GraphicsView):
            style_view(view)
    return effective


def style_view(view: pg.GraphicsView) -> None:
    """Restyles one plot widget (and every plot inside it) with the current colours."""
    colors = _current
    view.setBackground(colors.background)
    for item in view.scene().items():
        if isinstance(item, pg.AxisItem):
            item.setPen(colors.foreground)
            item.setTextPen(colors.foreground)
        elif isinstance(item, pg.LegendItem):
            item.setBrush(pg.mkBrush(*colors.legend))
            item.setLabelTextColor(colors.foreground)
        elif isinstance(item, pg.LabelItem):
            item.setText(item.text, color=colors.foreground)
