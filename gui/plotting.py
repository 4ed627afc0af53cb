"""Plot helpers every panel uses: the colour cycle, finite/positive filters, stable axis bounds, plot
construction (no SI prefixes, cached axes, legend outside the data's way)."""
from __future__ import annotations

import math

from PySide6.QtWidgets import QGraphicsItem

from engine.lazy import numpy as np  # imported at first use: not before the window's first paint

from .theme import pg, plot_colors

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


def color(i: int) -> str:
    """The i-th line colour: the ten of the palette, then further hues (golden-angle steps), never a repeat."""
    if i < len(PALETTE):
        return PALETTE[i]
    hue = ((i - len(PALETTE)) * 0.381966 + 0.05) % 1.0
    return pg.hsvColor(hue, sat=0.75, val=0.8).name()


def drop_stale(plot: pg.PlotItem, curves: dict, keep) -> None:
    """Removes the curves (and their legend entries) whose key is not in ``keep``: a plot shows the run on
    display, never lines left from an earlier run."""
    for key in [k for k in curves if k not in keep]:
        plot.removeItem(curves.pop(key))


def positive(xs, ys) -> tuple[np.ndarray, np.ndarray]:
    """Points a log axis can show: finite and > 0 (a zero gradient norm has no place on a log scale)."""
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    keep = np.isfinite(ys) & (ys > 0)
    return xs[keep], ys[keep]


def finite(xs, ys) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)
    n = min(len(xs), len(ys))
    xs, ys = xs[:n], ys[:n]
    keep = np.isfinite(ys)
    return xs[keep], ys[keep]


def nice_step(span: float) -> float:
    """The 1-2-5 step at or above ``span``."""
    if not math.isfinite(span) or span <= 0:
        return 1.0
    exp = math.floor(math.log10(span))
    for m in (1, 2, 5, 10):
        if span <= m * 10 ** exp * (1 + 1e-9):
            return m * 10 ** exp
    return 10 ** (exp + 1)


def stable_bounds(lo: float, hi: float, log: bool = False) -> tuple[float, float]:
    """Bounds rounded outward to a coarse grid (decades on a log axis): they change only when the data leaves
    them, so the axes are not re-laid out and repainted at every redraw (axis text is the costly part)."""
    if log:
        return math.floor(lo), math.ceil(hi) if math.ceil(hi) > math.floor(lo) else math.floor(lo) + 1
    if math.isclose(lo, hi):
        pad = abs(lo) * 0.5 or 1.0
        lo, hi = lo - pad, hi + pad
    step = nice_step((hi - lo) / 4)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def no_si_prefix(plot: pg.PlotItem) -> None:
    """Shows values as they are (0.001, not 1 with a "(x0.001)" unit): a learning rate is read as written.

    Also caches each axis as a pixmap: axis text is the costly part of a repaint, and with stable ranges
    (see PlotPanel.follow) the axes rarely change while the curves do."""
    for side in ("left", "bottom"):
        axis = plot.getAxis(side)
        axis.enableAutoSIPrefix(False)
        axis.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)


def set_text(plot: pg.PlotItem, label: str | None = None, title: str | None = None, side: str = "left") -> None:
    """Changes an axis label or the title only when it differs: each change re-lays out the plot."""
    if label is not None and getattr(plot, f"_label_{side}", None) != label:
        setattr(plot, f"_label_{side}", label)
        plot.setLabel(side, label)
    if title is not None and getattr(plot, "_title", None) != title:
        plot._title = title
        plot.setTitle(title, size="9pt")


def new_plot(left: str, bottom: str, log_y: bool = False) -> pg.PlotItem:
    plot = pg.PlotItem()
    plot.setLabel("left", left)
    plot.setLabel("bottom", bottom)
    plot.showGrid(x=True, y=True, alpha=0.2)
    no_si_prefix(plot)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    if log_y:
        plot.setLogMode(y=True)
    legend = plot.addLegend(offset=None, labelTextSize="8pt", brush=pg.mkBrush(*plot_colors().legend))
    legend.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)  # text again: paint it once
    place_legend_outside(plot, legend)
    return plot


LEGEND_WIDTH = 165  # room kept right of the data for the legend (its longest label fits), so it never covers a curve


def place_legend_outside(plot: pg.PlotItem, legend: pg.LegendItem) -> None:
    """Puts the legend right of the data area, over an empty right axis that reserves its width."""
    plot.showAxis("right")
    axis = plot.getAxis("right")
    axis.setStyle(showValues=False, tickLength=0)
    axis.setPen(pg.mkPen(None))
    axis.setWidth(LEGEND_WIDTH)
    legend.setParentItem(plot)  # the view box clips what lies outside it; the plot item does not
    legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-2, 24))
