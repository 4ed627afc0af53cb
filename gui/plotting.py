"""Plot helpers every panel uses: the colour cycle, finite/positive filters, stable axis bounds, plot
construction (no SI prefixes, cached axes, legend outside the data's way)."""
from __future__ import annotations

import html
import math

from PySide6.QtWidgets import QGraphicsItem

from engine.lazy import numpy as np  # imported at first use: not before the window's first paint

from .theme import pg, plot_colors

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
           "#17becf"]


def key_html(labels: list[str], one_per_line: bool = False) -> str:
    """A key for curves drawn in color(i) for label i: each colour as a short thick line, then the label; in a
    row (a wide tab), or one per line (a narrow dock, where a row broke labels in the middle)."""
    separator = "<br>" if one_per_line else "&nbsp;&nbsp; "
    return separator.join(f"<span style='color:{color(i)}'><b>━━</b></span>&nbsp;{html.escape(label)}"
                          for i, label in enumerate(labels))


def color(i: int) -> str:
    """The i-th line colour: the ten of the palette, then further hues (golden-angle steps), never a repeat."""
    if i < len(PALETTE):
        return PALETTE[i]
    hue = ((i - len(PALETTE)) * 0.381966 + 0.05) % 1.0
    return pg.hsvColor(hue, sat=0.75, val=0.8).name()


def symbol_curve(plot: pg.PlotItem, **options) -> pg.PlotDataItem:
    """``plot.plot(**options)`` whose legend shows its symbol's own colour, size and shape from the start:
    pyqtgraph hands a curve's symbol options to its points only with the first data, and the legend drew the
    symbol of a curve still empty (validation before the first epoch ends) grey-blue until it was repainted."""
    curve = plot.plot(**options)
    scatter = curve.scatter
    scatter.setSymbol(curve.opts["symbol"])
    scatter.setSize(curve.opts["symbolSize"])
    scatter.setPen(curve.opts["symbolPen"])
    scatter.setBrush(curve.opts["symbolBrush"])
    return curve


def legend_entry(plot: pg.PlotItem, item, text: str | None) -> None:
    """Lists ``item`` in ``plot``'s legend as ``text``, renamed when ``text`` changed, left out when it is None:
    for what is listed only while it shows (clipping marks, the clip threshold with its value)."""
    legend = plot.legend
    label = legend.getLabel(item)
    if label is not None and label.text != text:
        legend.removeItem(item)
        label = None
    if label is None and text is not None:
        legend.addItem(item, text)


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


def move_in_layout(view: pg.GraphicsLayoutWidget, item, row: int, col: int, rowspan: int = 1,
                   colspan: int = 1) -> None:
    """Moves ``item`` to another cell of ``view``'s layout, within Qt's grid only: pyqtgraph's removeItem takes
    the plot out of the scene, and its axes then forget widths set on them (the column that keeps a legend
    beside the data)."""
    grid = view.ci.layout
    grid.removeItem(item)
    grid.addItem(item, row, col, rowspan, colspan)


def title_never_widens(label: pg.LabelItem) -> None:
    """A plot's title no longer sets the plot's minimum width (a narrow plot in a row of four was pushed past
    its panel's edge, legend and all, by a long title); a title longer than the data area runs over the axes.
    pyqtgraph's LabelItem takes its text's width as its minimum again at every text change and resize, so this
    wraps that step."""
    measure = label.updateMin

    def update_min() -> None:
        measure()
        label.setMinimumWidth(0)

    label.updateMin = update_min
    update_min()


def new_plot(left: str, bottom: str, log_y: bool = False) -> pg.PlotItem:
    plot = pg.PlotItem()
    title_never_widens(plot.titleLabel)
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


LEGEND_WIDTH = 165  # the most room kept right of the data for the legend; fit_legend_column gives it what it needs


def place_legend_outside(plot: pg.PlotItem, legend: pg.LegendItem) -> None:
    """Puts the legend right of the data area, over an empty right axis that reserves its width."""
    plot.showAxis("right")
    axis = plot.getAxis("right")
    axis.setStyle(showValues=False, tickLength=0)
    axis.setPen(pg.mkPen(None))
    axis.setWidth(LEGEND_WIDTH)
    legend.setParentItem(plot)  # the view box clips what lies outside it; the plot item does not
    legend.anchor(itemPos=(1, 0), parentPos=(1, 0), offset=(-2, 24))
    plot.outside_legend = legend
    fit_legend_column(plot)


def fit_legend_column(plot: pg.PlotItem) -> None:
    """Sizes the column right of the data to the legend's widest entry (at most LEGEND_WIDTH): runs named
    "run 1" left 120 px of it empty. None at all for an empty legend or a plot whose ``legend_off`` is set (its
    panel names the curves elsewhere)."""
    legend = getattr(plot, "outside_legend", None)
    if legend is None:
        return
    shown = bool(legend.items) and not getattr(plot, "legend_off", False)  # an empty legend is an empty box
    legend.setVisible(shown)
    width = legend.boundingRect().width() if shown else 0.0
    wanted = int(min(LEGEND_WIDTH, width + 4)) if width else 8
    axis = plot.getAxis("right")
    if abs(axis.maximumWidth() - wanted) > 1:  # the width asked for (its geometry follows at the next layout)
        axis.setWidth(wanted)
