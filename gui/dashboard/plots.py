"""Plot building blocks of the dashboard: a panel with a toolbar (freeze, fit, PNG, CSV) around pyqtgraph plots.

Panels draw from a RunHistory when the dashboard's timer asks and the history changed; never per event.
"""
from __future__ import annotations

import csv
import math
import time
from contextlib import contextmanager

import numpy as np
from PySide6.QtGui import QFontMetricsF
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QMenu, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)

from ..plotting import fit_legend_column, no_si_prefix, stable_bounds
from ..theme import pg, plot_colors
from ..wheel_guard import WheelSafeComboBox
from .history import RunHistory


LOG_LABEL_ORDER = (1, 2, 5, 3, 4, 6, 7, 8, 9)  # which labels of a decade a log axis keeps first: 1-2-5, then the rest


def readable_log_labels(axis: pg.AxisItem) -> None:
    """A log axis labels what it has room for: the decades, then 2 and 5 (then 3, 4, ...) of each decade where
    a label stays clear of those already given. pyqtgraph labels every 2..9 of a decade once it labels one: over
    a decade or two of a short plot "0.9 0.8 0.7 0.6" and "0.09 0.08" were drawn over each other. No effect
    while the axis is linear. (Set on the axis itself, as gui.plotting.title_never_widens does a title.)"""
    view: dict = {}
    tick_values, log_strings = axis.tickValues, axis.logTickStrings

    def values_of(low: float, high: float, size: float):
        levels = tick_values(low, high, size)
        low, high = sorted((low * axis.scale, high * axis.scale))
        # pyqtgraph's own levels (a spacing) label every value; its log level (spacing None) is the 1..9 of each
        # decade, decades included: those are labelled here when no level of its own has them
        view.update(low=low, high=high, size=size,
                    decades={round(v) for spacing, vs in levels if spacing is not None for v in vs})
        return levels

    def strings_of(values, scale, spacing):
        texts = log_strings(values, scale, spacing)
        if spacing is not None or not view or view["high"] <= view["low"]:
            return texts
        pixels = view["size"] / (view["high"] - view["low"])  # per decade
        metrics = QFontMetricsF(axis.style.get("tickFont") or axis.font())
        vertical = axis.orientation in ("left", "right")

        def extent(text: str) -> float:  # half the room a label takes along the axis, and a margin
            return (metrics.height() * 0.65 if vertical else metrics.horizontalAdvance(text) / 2 + 4)

        taken = [(float(d), extent("10")) for d in view["decades"]]
        shown: list[str | None] = [None] * len(values)
        digit = [int(round(10 ** (v - math.floor(v + 1e-9)))) for v in values]
        for j in sorted(range(len(values)), key=lambda j: (LOG_LABEL_ORDER.index(min(max(digit[j], 1), 9)), j)):
            value, half = float(values[j]), extent(texts[j])
            if round(value) in view["decades"] and math.isclose(value, round(value), abs_tol=1e-6):
                continue  # a level of pyqtgraph's labels it
            if all(abs(value - t) * pixels >= half + other for t, other in taken):
                shown[j] = texts[j]
                taken.append((value, half))
        return shown

    axis.tickValues = values_of
    axis.logTickStrings = strings_of


class PlotPanel(QWidget):
    """A titled panel: toolbar + a pyqtgraph layout. Subclasses fill ``self.layout_widget`` and implement
    ``draw(history)`` and ``csv_table(history) -> (header, rows)``."""

    csv_name = "data"

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        self.title = title
        self.frozen = False
        self.history: RunHistory | None = None
        self._drawn = (None, -1)
        self.draw_count = 0
        self.drawn_at = 0.0
        self.following = True  # ranges follow the data until the user zooms or pans (Fit restores it)
        self._tracked: list[pg.PlotItem] = []
        self.layout_widget = pg.GraphicsLayoutWidget()
        self.layout_widget.setBackground(plot_colors().background)
        self.layout_widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.layout_widget.setMinimumSize(220, 110)  # docks may be short: the window scrolls them
        self._bar = QHBoxLayout()
        self._bar.setContentsMargins(2, 0, 2, 0)
        self._bar.addWidget(QLabel(f"<b>{title}</b>"))
        self.controls = QHBoxLayout()
        self._bar.addLayout(self.controls)
        self._bar.addStretch(1)
        self.freeze_button = self._tool("Freeze", "Stop redrawing this plot (training continues)", None)
        self.freeze_button.setCheckable(True)
        self.freeze_button.toggled.connect(self.set_frozen)
        self._tools = [self.freeze_button,
                       self._tool("Fit", "Reset zoom: fit all data (wheel zooms, drag pans)", self.fit),
                       self._tool("PNG", "Save this plot as a PNG image", self.save_png),
                       self._tool("CSV", "Save the data behind this plot as CSV", self.save_csv)]
        self.more_button = self._folded_tools()
        self.compact = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        layout.addLayout(self._bar)
        layout.addWidget(self.layout_widget, 1)

    def _tool(self, text, tip, slot) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if slot is not None:
            button.clicked.connect(lambda _checked=False: slot())
        self._bar.addWidget(button)
        return button

    def _folded_tools(self) -> QToolButton:
        """The four tools as one menu button, shown instead of them where four plots share one row of a
        narrow dock (PlotGrid decides): their 171 px per plot kept a 1280 px screen's Compare tab in two rows."""
        button = QToolButton()
        button.setText("⋯")
        button.setToolTip("Freeze, fit, save as PNG or CSV")
        button.setAutoRaise(True)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        freeze = menu.addAction("Freeze")
        freeze.setCheckable(True)
        freeze.toggled.connect(self.freeze_button.setChecked)  # one state: the button's
        self.freeze_button.toggled.connect(freeze.setChecked)
        menu.addAction("Fit").triggered.connect(lambda _checked=False: self.fit())
        menu.addAction("Save PNG…").triggered.connect(lambda _checked=False: self.save_png())
        menu.addAction("Save CSV…").triggered.connect(lambda _checked=False: self.save_csv())
        button.setMenu(menu)
        button.hide()
        self._bar.addWidget(button)
        return button

    def set_compact(self, on: bool) -> None:
        """Folds the tools into the ⋯ menu (or unfolds them)."""
        if on != self.compact:
            self.compact = on
            for button in self._tools:
                button.setVisible(not on)
            self.more_button.setVisible(on)

    def needed_width(self, compact: bool) -> int:
        """The panel's minimum width with its tools as buttons (``compact`` False) or folded into the ⋯ menu,
        whichever of the two it shows now."""
        spacing = max(self._bar.spacing(), 0)
        tools = sum(b.minimumSizeHint().width() + spacing for b in self._tools)
        more = self.more_button.minimumSizeHint().width() + spacing
        width = self.minimumSizeHint().width()
        if compact == self.compact:
            return width
        return width - tools + more if compact else width - more + tools

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override: a tab that becomes visible catches up
        super().showEvent(event)
        self.refresh()

    def add_combo(self, tip: str) -> QComboBox:
        combo = WheelSafeComboBox()
        combo.setToolTip(tip)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.currentIndexChanged.connect(lambda _i: self.refresh(force=True))
        self.controls.addWidget(combo)
        return combo

    @staticmethod
    def set_items(combo: QComboBox, items: list[str]) -> None:
        """Replaces the choices only when they changed, keeping the user's selection."""
        if [combo.itemText(i) for i in range(combo.count())] == items:
            return
        current = combo.currentText()
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(items)
        if current in items:
            combo.setCurrentIndex(items.index(current))
        combo.blockSignals(False)

    # ------------------------------------------------------------------ drawing
    def set_history(self, history: RunHistory | None) -> None:
        self.history = history
        self.refresh(force=True)

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = frozen
        if not frozen:
            self.refresh(force=True)

    def refresh(self, force: bool = False) -> bool:
        """Redraws when the history changed since the last drawing (and the panel is not frozen)."""
        history = self.history
        if history is None:
            if self._drawn is None:
                return False
            self._drawn = None
            self.draw(RunHistory(""))  # no run on display (another document): empty plots, no old lines
            return True
        if self.frozen and not force:
            return False
        key = (id(history), history.version)
        if not force and key == self._drawn:
            return False
        self._drawn = key
        self.draw(history)
        for plot in self.plots():
            fit_legend_column(plot)  # the legend's entries may have changed
        self.draw_count += 1
        self.drawn_at = time.perf_counter()
        return True

    def stale(self) -> bool:
        """The history changed since the last drawing (and the panel is not frozen)."""
        history = self.history
        return history is not None and not self.frozen and (id(history), history.version) != self._drawn

    def draw(self, history: RunHistory) -> None:
        raise NotImplementedError

    @staticmethod
    def empty_text(history: RunHistory, found, missing: str) -> str:
        """What an empty plot says: ``missing`` once the run is under way without anything ``found`` for it,
        else that the first probe is still to come."""
        started = history.started is not None and bool(history.steps or history.finished is not None)
        return missing if started and not found else "waiting for the first probe…"

    def select(self, block: str) -> None:
        """Shows block ``block`` in a panel with a block chooser (``self.block``), if it is listed there."""
        combo = getattr(self, "block", None)
        index = combo.findText(block) if combo is not None else -1
        if index >= 0:
            combo.setCurrentIndex(index)

    def plots(self) -> list[pg.PlotItem]:
        return [item for item in self.layout_widget.ci.items if isinstance(item, pg.PlotItem)]

    def track(self, plot: pg.PlotItem) -> None:
        """Lets the panel set ``plot``'s range from the data (see follow) until the user zooms or pans it."""
        plot.disableAutoRange()
        readable_log_labels(plot.getAxis("left"))  # the panels' log axes (and a loss plot's log box) are y axes
        plot.getViewBox().sigRangeChangedManually.connect(lambda *_: setattr(self, "following", False))
        self._tracked.append(plot)

    def follow(self, plot: pg.PlotItem, xs, ys, log_y: bool = False, x0: float | None = 0.0,
               exact_x: bool = False) -> None:
        """Sets stable ranges that contain the data (x from ``x0``; exactly the data's x with ``exact_x``, for
        axes of fixed extent such as time steps); the user's zoom wins until Fit."""
        if not self.following:
            return
        xs = np.asarray(xs, dtype=np.float64)
        ys = np.asarray(ys, dtype=np.float64)
        ys = ys[np.isfinite(ys) & (ys > 0)] if log_y else ys[np.isfinite(ys)]
        if xs.size == 0 or ys.size == 0:
            return
        ys = np.log10(ys) if log_y else ys
        x_lo = float(np.nanmin(xs)) if x0 is None else x0
        if exact_x:
            x_range = (x_lo, float(np.nanmax(xs)))
        else:
            x_range = stable_bounds(x_lo, float(np.nanmax(xs)))
            x_range = (max(x_range[0], x_lo), x_range[1])
        y_range = stable_bounds(float(ys.min()), float(ys.max()), log=log_y)
        wanted = (x_range, y_range)
        if getattr(plot, "_followed", None) != wanted:
            plot._followed = wanted
            plot.setRange(xRange=x_range, yRange=y_range, padding=0.02)

    def fit(self) -> None:
        self.following = True
        for plot in self._tracked:
            plot._followed = None
        for plot in self.plots():
            if plot not in self._tracked:
                plot.enableAutoRange()
        self.refresh(force=True)

    # ------------------------------------------------------------------ saving
    def csv_table(self, history: RunHistory) -> tuple[list[str], list[list]]:
        raise NotImplementedError

    def save_png(self, path: str | None = None) -> str | None:
        path = path or QFileDialog.getSaveFileName(self, f"Save {self.title} as PNG", f"{self.csv_name}.png",
                                                   "PNG image (*.png)")[0]
        if not path:
            return None
        with self._legends_beside():
            image = self.layout_widget.grab()  # the plots alone, not the toolbar
        if not image.save(path, "PNG"):
            raise OSError(f"{path}: could not write the image")
        return path

    @contextmanager
    def _legends_beside(self):
        """A saved image stands alone: plots whose panel names the curves elsewhere (the Compare tab's key)
        show their legend beside the data while the image is taken."""
        hidden = [plot for plot in self.plots() if getattr(plot, "legend_off", False)]
        for plot in hidden:
            plot.legend_off = False
            fit_legend_column(plot)
            plot.layout.activate()
        try:
            yield
        finally:
            for plot in hidden:
                plot.legend_off = True
                fit_legend_column(plot)
                plot.layout.activate()

    def save_csv(self, path: str | None = None) -> str | None:
        if self.history is None:
            return None
        path = path or QFileDialog.getSaveFileName(self, f"Save {self.title} data as CSV", f"{self.csv_name}.csv",
                                                   "CSV (*.csv)")[0]
        if not path:
            return None
        header, rows = self.csv_table(self.history)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)
        return path


class Heatmap:
    """A PlotItem showing a matrix as an image with a labelled colour bar; ``show(matrix)`` draws [rows=y, cols=x]."""

    def __init__(self, layout: pg.GraphicsLayout, row: int, col: int, left: str, bottom: str, value: str,
                 cmap: str = "viridis"):
        self.plot = layout.addPlot(row=row, col=col)
        self.plot.setLabel("left", left)
        self.plot.setLabel("bottom", bottom)
        self.plot.invertY(True)  # row 0 at the top, as in a matrix
        no_si_prefix(self.plot)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.bar = pg.ColorBarItem(values=(0, 1), colorMap=cmap, label=value, interactive=False, width=14)
        self.bar.setImageItem(self.image, insert_in=self.plot)
        self.matrix: np.ndarray | None = None
        self.empty = pg.TextItem("waiting for the first probe…", color="#888", anchor=(0.5, 0.5))  # both themes
        self.plot.addItem(self.empty)

    def unit_table(self) -> tuple[list[str], list[list]]:
        """The shown [unit x time] matrix as CSV rows: one row per unit, one column per time step."""
        if self.matrix is None:
            return ["unit"], []
        return (["unit"] + [f"t{t + 1}" for t in range(self.matrix.shape[1])],
                [[u] + [float(v) for v in row] for u, row in enumerate(self.matrix)])

    def set_value_label(self, text: str) -> None:
        if getattr(self, "_value_label", None) != text:
            self._value_label = text
            self.bar.getAxis("left").setLabel(text)

    def show(self, matrix: np.ndarray | None, levels: tuple[float, float] | None = None,
             empty: str = "waiting for the first probe…") -> None:
        """Draws ``matrix``; without one, says ``empty`` in the middle of a plain unit square (no odd axes)."""
        if matrix is None or np.asarray(matrix).size == 0:
            self.image.clear()
            self.matrix = None
            self.empty.setText(empty)
            self.empty.setPos(0.5, 0.5)
            self.empty.setVisible(True)
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        came_from_empty = self.empty.isVisible()
        self.empty.setVisible(False)
        matrix = np.nan_to_num(np.atleast_2d(np.asarray(matrix, dtype=np.float32)), nan=0.0)
        reshaped = self.matrix is not None and self.matrix.shape != matrix.shape  # another run's, another sample's
        self.matrix = matrix
        if levels is None:
            lo, hi = float(matrix.min()), float(matrix.max())
            if lo < 0 < hi:
                hi = max(-lo, hi)
                lo = -hi  # signed data: centre the colour scale on zero
            if math.isclose(lo, hi):
                hi = lo + 1e-6
            levels = (lo, hi)
        self.image.setImage(matrix, autoLevels=False)
        self.bar.setLevels(levels)
        self.image.setRect(0, 0, matrix.shape[1], matrix.shape[0])
        if came_from_empty or reshaped:  # the "waiting" square's (or the last matrix's) range would show a part
            self.plot.setRange(xRange=(0, matrix.shape[1]), yRange=(0, matrix.shape[0]), padding=0)

