"""The Results tab: after a run, its test metrics beside the baselines a model must beat (the run's
evaluation.json), and for classifiers the confusion matrix with the label names on both axes."""
from __future__ import annotations

import html

import numpy as np
from PySide6.QtGui import QCursor, QFontMetrics
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QSplitter, QTableWidget, QTableWidgetItem, QToolTip, QVBoxLayout,
                               QWidget)

from engine.training.runs import Run, RunError

from ..plotting import no_si_prefix
from ..theme import pg, plot_colors
from ..wheel_guard import WheelSafeComboBox
from ..wrapping_label import WrappingLabel

# Each baseline of evaluation.json: the metric it is a value of, and what it does.
BASELINES = {"majority_accuracy": ("accuracy", "always the most common class"),
             "unigram_perplexity": ("perplexity", "letter frequencies only"),
             "constant_mean_mse": ("mse", "always the training mean"),
             "constant_median_mae": ("mae", "always the training median"),
             "last_value_mse": ("mse", "repeat the last value"),
             "last_value_mae": ("mae", "repeat the last value")}


def metric_rows(evaluation: dict) -> list[tuple[str, str, str]]:
    """(metric, test value, what the baselines get on it) for the table: each baseline beside the metric it
    measures ("0.75: always the most common class" beside accuracy); one the metrics lack gets its own row."""
    metrics = {name: value for name, value in (evaluation.get("metrics") or {}).items()
               if isinstance(value, (int, float))}
    beside: dict[str, list[str]] = {}
    alone = []
    for head, values in (evaluation.get("baselines") or {}).items():
        for name, value in (values or {}).items() if isinstance(values, dict) else ():
            if not isinstance(value, (int, float)):
                continue
            metric, words = BASELINES.get(name, (name, name))
            key = next((k for k in (f"{head}/{metric}", metric) if k in metrics), None)  # "head/metric": several heads
            if key is None:
                alone.append((f"baseline ({head})", f"{value:.4g}", words))
            else:
                beside.setdefault(key, []).append(f"{value:.4g}: {words}")
    return [(name, f"{value:.4g}", "; ".join(beside.get(name, []))) for name, value in metrics.items()] + alone


class ResultsPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = WrappingLabel("Results appear here when a run ends: test metrics, baselines, confusion matrix.")
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Metric (test split)", "Value", "Baseline"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.head = WheelSafeComboBox()
        self.head.currentIndexChanged.connect(lambda _i: self._draw_confusion())
        self.plot_widget = pg.PlotWidget(background=plot_colors().background)
        self.plot = self.plot_widget.getPlotItem()
        self.plot.invertY(True)
        self.plot.setLabel("left", "true class")
        self.plot.setLabel("bottom", "predicted class")
        no_si_prefix(self.plot)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.cells: list[pg.TextItem] = []
        self.confusion: dict = {}
        self._shown: tuple[np.ndarray, list[str]] | None = None  # the matrix drawn and its labels
        # Counts show where a cell has room for them (twelve languages in a short dock overlapped into a smear);
        # the cell under the mouse always tells its count.
        view = self.plot.getViewBox()
        view.sigResized.connect(self._fit_counts)
        view.sigRangeChanged.connect(self._fit_counts)
        self.plot_widget.scene().sigMouseMoved.connect(self._hover)
        self.confusion_side = right = QWidget()  # shown for runs with a classifier only
        column = QVBoxLayout(right)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.addWidget(QLabel("Confusion matrix of"))
        row.addWidget(self.head, 1)
        column.addLayout(row)
        column.addWidget(self.plot_widget, 1)
        split = QSplitter()
        split.addWidget(self.table)
        split.addWidget(right)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(split, 1)
        self.show_run(None)

    def show_run(self, run_dir) -> bool:
        """Shows the evaluation of the run in ``run_dir`` (None, or a run without one: says so)."""
        evaluation = {}
        if run_dir is not None:
            try:
                evaluation = Run(run_dir).read_evaluation()
            except (RunError, OSError, ValueError):
                evaluation = {}
        rows = metric_rows(evaluation)
        self.table.setRowCount(len(rows))
        for r, cells in enumerate(rows):
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.confusion = evaluation.get("confusion") or {}
        if run_dir is None:
            self.title.setText("Results appear here when a run ends: test metrics, baselines, confusion matrix.")
        elif not evaluation:
            self.title.setText("This run has no evaluation (it was stopped before the end, or has no test split).")
        else:  # a regression or forecasting run: no empty plot with made-up axes, it says so
            self.title.setText(f"<b>{html.escape(Run(run_dir).name)}</b> · the best checkpoint on the "
                               f"{html.escape(str(evaluation.get('split') or 'no'))} split"
                               + ("" if self.confusion else " · no confusion matrix: this run has no classifier"))
        self.confusion_side.setVisible(bool(self.confusion))
        self.head.blockSignals(True)
        self.head.clear()
        self.head.addItems(list(self.confusion))
        self.head.blockSignals(False)
        self.head.setEnabled(bool(self.confusion))
        self._draw_confusion()
        return bool(evaluation)

    def _draw_confusion(self) -> None:
        for cell in self.cells:
            self.plot.removeItem(cell)
        self.cells = []
        data = self.confusion.get(self.head.currentText())
        self._shown = None
        if not data:
            self.image.clear()
            self.plot.setTitle("no classifier in this run" if self.head.count() == 0 else "")
            return
        matrix = np.asarray(data["matrix"], dtype=np.float64)
        labels = list(data["labels"])
        self._shown = (matrix, labels)
        rows = matrix.sum(axis=1, keepdims=True)
        share = np.divide(matrix, rows, out=np.zeros_like(matrix), where=rows > 0)  # recall per true class
        self.image.setImage(share, levels=(0.0, 1.0))
        self.image.setRect(0, 0, matrix.shape[1], matrix.shape[0])
        ticks = [(i + 0.5, label) for i, label in enumerate(labels)]
        self.plot.getAxis("bottom").setTicks([ticks])
        self.plot.getAxis("left").setTicks([ticks])
        self.plot.setTitle(f"{int(np.trace(matrix))} of {int(matrix.sum())} right · colour: share of each true class")
        if len(labels) <= 15:  # the counts, where they are readable
            for i in range(matrix.shape[0]):
                for j in range(matrix.shape[1]):
                    cell = pg.TextItem(str(int(matrix[i, j])), color="w" if share[i, j] < 0.6 else "k",
                                       anchor=(0.5, 0.5))
                    cell.setPos(j + 0.5, i + 0.5)
                    self.plot.addItem(cell)
                    self.cells.append(cell)
        self.plot.setRange(xRange=(0, matrix.shape[1]), yRange=(0, matrix.shape[0]), padding=0.02)
        self._fit_counts()

    def counts_fit(self) -> bool:
        """Whether a cell, as drawn now, has room for the widest count."""
        if not self.cells:
            return False
        width, height = self.plot.getViewBox().viewPixelSize()  # one pixel in cells
        if not (width > 0 and height > 0):
            return False
        metrics = QFontMetrics(self.cells[0].textItem.font())
        widest = max(metrics.horizontalAdvance(cell.textItem.toPlainText()) for cell in self.cells)
        return 1 / height >= metrics.height() and 1 / width >= widest + 4

    def _fit_counts(self, *_args) -> None:
        fit = self.counts_fit()
        for cell in self.cells:
            cell.setVisible(fit)

    def cell_text(self, row: int, column: int) -> str | None:
        """What the cell of true class ``row`` and predicted class ``column`` says on hover."""
        if self._shown is None:
            return None
        matrix, labels = self._shown
        if not (0 <= row < matrix.shape[0] and 0 <= column < matrix.shape[1]):
            return None
        total = int(matrix[row].sum())
        count = int(matrix[row, column])
        share = f" ({count / total:.0%} of the {total})" if total else ""
        return f"true {labels[row]}, predicted {labels[column]}: {count}{share}"

    def _hover(self, scene_pos) -> None:
        point = self.plot.getViewBox().mapSceneToView(scene_pos)
        text = self.cell_text(int(np.floor(point.y())), int(np.floor(point.x())))
        if text is None:
            QToolTip.hideText()
        else:
            QToolTip.showText(QCursor.pos(), text, self.plot_widget)
