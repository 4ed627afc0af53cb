"""The trial table (one row per trial from trials.csv, live statuses over it, numbers sorted as numbers) and the
plot of the objective against one variable (pyqtgraph; categories on a labelled axis, log x for log ranges).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from engine.experiments import ExperimentSpec

from ..lazy_widget import LazyWidget, made_on_use
from ..plotting import color, no_si_prefix
from ..theme import pg, plot_colors
from ..wheel_guard import WheelSafeComboBox
from ..wrapping_label import wrapping_tooltip

KEY = Qt.ItemDataRole.UserRole + 7
TRIAL = Qt.ItemDataRole.UserRole + 8
_FIXED = {"trial", "slot", "label", "status", "objective", "objective_std", "best_epoch", "duration_s", "run_dir",
          "message"}


def number(text: Any) -> float | None:
    """A cell of trials.csv as a number, None when it is empty or text."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if not math.isnan(value) else None


def shown_number(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) and not float(value).is_integer() else f"{value:g}"


class SortItem(QTableWidgetItem):
    """Sorts by its key: numbers as numbers (before text), empty cells last."""

    def __init__(self, text: str, key: Any = None):
        super().__init__(text)
        value = number(text) if key is None else key
        self.setData(KEY, (0, float(value), "") if isinstance(value, (int, float)) else (1 if text else 2, 0.0, text))

    def __lt__(self, other: QTableWidgetItem) -> bool:
        mine, theirs = self.data(KEY), other.data(KEY)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return tuple(mine) < tuple(theirs)


def metric_columns(rows: list[dict[str, str]]) -> list[str]:
    """The final metrics of trials.csv (train_/val_ of the best epoch, test_), without their *_std twins."""
    names = [k for k in (rows[0] if rows else {}) if k not in _FIXED and not k.endswith("_std")]
    return [n for n in names if "." not in n and n.split("_", 1)[0] in ("train", "val", "test")]


class TrialTable(QTableWidget):
    """``show_trials(spec, monitor, rows, live)``: rows are trials.csv's dicts of text; ``live`` maps a running
    trial's number to what it does now ("epoch 2/5"). The selection survives refreshes; ``selectedTrials(list)``."""

    selectedTrials = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(0, 0, parent)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)  # trial order until a header is clicked
        self.setAlternatingRowColors(True)
        self.verticalHeader().setVisible(False)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.setToolTip("Every trial: click a header to sort; select rows to overlay those trials in the "
                        "dashboard's Compare view")
        self.rows: list[dict[str, str]] = []
        self.columns: list[str] = []
        self._filling = False
        self.itemSelectionChanged.connect(self._on_selection)

    def show_trials(self, spec: ExperimentSpec, monitor: str, rows: list[dict[str, str]],
                    live: dict[int, str] | None = None) -> None:
        live = live or {}
        keep = set(self.selected_trials())
        self.rows = rows
        labels = spec.labels()
        metrics = metric_columns(rows)
        self.columns = ["trial", "status", *(v.path for v in spec.variables), "objective", *metrics, "best_epoch",
                        "duration_s"]
        headers = ["#", "status", *(labels[v.path] for v in spec.variables), monitor, *metrics, "best epoch",
                   "time (s)"]
        self._filling = True
        sort_column, order = self.horizontalHeader().sortIndicatorSection(), self.horizontalHeader().sortIndicatorOrder()
        self.setSortingEnabled(False)
        try:
            self.clear()
            self.setColumnCount(len(headers))
            self.setHorizontalHeaderLabels(headers)
            for i, path in enumerate(v.path for v in spec.variables):
                self.horizontalHeaderItem(2 + i).setToolTip(path)
            self.setRowCount(len(rows))
            for r, row in enumerate(rows):
                trial = int(number(row.get("trial")) or 0)
                status = row.get("status", "")
                if trial in live and status in ("running", "waiting"):
                    status = f"running ({live[trial]})"
                for c, column in enumerate(self.columns):
                    item = self._cell(column, row, status)
                    item.setData(TRIAL, trial)
                    if row.get("message"):
                        item.setToolTip(wrapping_tooltip(row["message"]))
                    self.setItem(r, c, item)
                if trial in keep:
                    self._add_row_to_selection(r)
        finally:
            self.setSortingEnabled(True)
            if 0 <= sort_column < self.columnCount():
                self.sortItems(sort_column, order)
            self._filling = False

    @staticmethod
    def _cell(column: str, row: dict[str, str], status: str) -> QTableWidgetItem:
        if column == "status":
            return SortItem(status)
        text = row.get(column, "")
        value = number(text)
        if column == "objective" and value is not None:
            std = number(row.get("objective_std"))
            return SortItem(shown_number(value) + (f" ± {std:.2g}" if std else ""), value)
        if value is not None and column not in ("trial", "best_epoch"):
            std = number(row.get(f"{column}_std"))
            return SortItem(shown_number(value) + (f" ± {std:.2g}" if std else ""), value)
        return SortItem(text)

    def clear_trials(self) -> None:
        self.rows, self.columns = [], []
        self.clear()
        self.setRowCount(0)
        self.setColumnCount(0)

    def selected_trials(self) -> list[int]:
        rows = sorted({index.row() for index in self.selectedIndexes()})
        return [self.item(r, 0).data(TRIAL) for r in rows if self.item(r, 0) is not None]

    def select_trials(self, trials: list[int]) -> None:
        wanted = set(trials)
        self._filling = True  # one selectedTrials for the whole change, not one per row
        try:
            self.clearSelection()
            for r in range(self.rowCount()):
                if self.item(r, 0) is not None and self.item(r, 0).data(TRIAL) in wanted:
                    self._add_row_to_selection(r)
        finally:
            self._filling = False
        self._on_selection()

    def _add_row_to_selection(self, r: int) -> None:
        # selectRow() would replace the selection (extended selection without a modifier key)
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        self.selectionModel().select(self.model().index(r, 0), flags)

    def row_of(self, trial: int) -> dict[str, str] | None:
        return next((row for row in self.rows if number(row.get("trial")) == trial), None)

    def _on_selection(self) -> None:
        if not self._filling:
            self.selectedTrials.emit(self.selected_trials())


class ObjectivePlot(QWidget):
    """The objective of every completed trial against the chosen variable; clicking points selects their trials
    (``pointsSelected(list)``), ``highlight(trials)`` marks the selected ones."""

    pointsSelected = Signal(list)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.variable = WheelSafeComboBox()
        self.variable.setToolTip("The variable on the x axis")
        self.variable.currentIndexChanged.connect(lambda *_: self.redraw())
        self.plot_slot = LazyWidget(self._make_plot)  # made when first shown or drawn on (gui.lazy_widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.variable)
        layout.addWidget(self.plot_slot, 1)
        self.spec: ExperimentSpec | None = None
        self.monitor = ""
        self.rows: list[dict[str, str]] = []
        self.selected: set[int] = set()
        self.categories: list[str] = []

    def _make_plot(self):
        plot = pg.PlotWidget(background=plot_colors().background)
        plot.showGrid(x=True, y=True, alpha=0.25)
        no_si_prefix(plot.getPlotItem())
        plot.scatter = pg.ScatterPlotItem(size=10, pen=pg.mkPen(None))
        plot.scatter.sigClicked.connect(self._clicked)
        plot.addItem(plot.scatter)
        plot.setToolTip("Objective against the chosen variable: one point per completed trial (click to select it "
                        "in the table)")
        return plot

    plot = made_on_use("plot_slot")
    scatter = made_on_use("plot_slot", lambda plot: plot.scatter)

    def set_trials(self, spec: ExperimentSpec, monitor: str, rows: list[dict[str, str]]) -> None:
        paths = [v.path for v in spec.variables]
        if self.spec is None or [v.path for v in self.spec.variables] != paths:
            current = self.variable.currentText()
            self.variable.blockSignals(True)
            self.variable.clear()
            self.variable.addItems(paths)
            if current in paths:
                self.variable.setCurrentText(current)
            self.variable.blockSignals(False)
        self.spec, self.monitor, self.rows = spec, monitor, rows
        self.redraw()

    def points(self) -> list[tuple[float, float, int]]:
        """(x, objective, trial) of every plotted point (x: the category's index for categorical variables)."""
        var = next((v for v in self.spec.variables if v.path == self.variable.currentText()), None) \
            if self.spec is not None else None
        if var is None:
            return []
        done = [r for r in self.rows if r.get("status") == "completed" and number(r.get("objective")) is not None]
        numeric = all(number(r.get(var.path)) is not None and r.get(var.path) not in ("True", "False")
                      for r in done) and (var.is_range or all(
                          isinstance(v, (int, float)) and not isinstance(v, bool) for v in var.values))
        self.categories = [] if numeric else ([str(v) for v in var.values] if not var.is_range else [])
        out = []
        for r in done:
            text = r.get(var.path, "")
            if numeric:
                x = number(text)
            else:
                if text not in self.categories:
                    self.categories.append(text)
                x = float(self.categories.index(text))
            out.append((x, number(r["objective"]), int(number(r["trial"]))))
        return out

    def redraw(self) -> None:
        points = self.points()
        if not points and not self.plot_slot.made:
            return  # nothing to draw on a plot not made yet
        var = next((v for v in self.spec.variables if v.path == self.variable.currentText()), None) \
            if self.spec is not None else None
        log = bool(var is not None and var.log and not self.categories)
        item = self.plot.getPlotItem()
        item.setLogMode(x=log, y=False)
        axis = item.getAxis("bottom")
        axis.setTicks([list(enumerate(self.categories))] if self.categories else None)
        item.setLabel("bottom", self.variable.currentText())
        item.setLabel("left", self.monitor)
        spots = []
        for x, y, trial in points:
            chosen = trial in self.selected
            spots.append({"pos": (math.log10(x) if log and x > 0 else x, y), "data": trial,
                          "brush": pg.mkBrush(color(1) if chosen else color(0)),
                          "size": 14 if chosen else 9})
        self.scatter.setData(spots)

    def clear_trials(self) -> None:
        self.spec, self.rows = None, []
        self.variable.clear()
        if self.plot_slot.made:
            self.scatter.setData([])

    def highlight(self, trials: list[int]) -> None:
        self.selected = set(trials)
        self.redraw()

    def _clicked(self, _item, points, *_args) -> None:
        self.pointsSelected.emit([int(p.data()) for p in points])
