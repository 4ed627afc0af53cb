"""The runs panel: every run of the document's folder with its settings, duration and final metrics; select
several to overlay their curves, or reopen one in the dashboard from its run directory's metrics.jsonl.
"""
from __future__ import annotations

import json
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton,
                               QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from ..dashboard.history import RunHistory
from ..plotting import color, finite, no_si_prefix

COLUMNS = ("Run", "Status", "Duration", "Epochs", "Settings", "Final metrics")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def settings_text(config: dict) -> str:
    keys = ("optimizer", "lr", "batch_size", "epochs", "clip", "schedule")
    return ", ".join(f"{k}={config[k]}" for k in keys if k in config)


def metrics_text(summary: dict) -> str:
    order = sorted(summary, key=lambda k: (not k.startswith("val_"), not k.startswith("test_"), k))
    return ", ".join(f"{k}={v:.4g}" for k, v in ((k, summary[k]) for k in order) if isinstance(v, (int, float)))


def find_runs(root: Path) -> list[Path]:
    """Run directories under ``root`` (= <document dir>/runs): <stem>/<timestamp>/metrics.jsonl, newest first."""
    if not root.is_dir():
        return []
    runs = [p.parent for p in root.glob("*/*/metrics.jsonl")]
    return sorted(runs, key=lambda p: (p.name, p.parent.name), reverse=True)


class RunsPanel(QWidget):
    openRequested = Signal(object)  # RunHistory to show in the dashboard

    def __init__(self, parent=None):
        super().__init__(parent)
        self.root: Path | None = None
        self.runs: list[Path] = []
        self.session_runs: list[Path] = []  # finished in this window or opened by hand
        self._cache: dict[Path, tuple[float, RunHistory]] = {}
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.draw_overlay)
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.metric_choice = QComboBox()
        self.metric_choice.addItems(["loss"])
        self.metric_choice.setToolTip("Curve to overlay: smoothed training curve per step, validation per epoch")
        self.metric_choice.currentIndexChanged.connect(lambda _i: self.draw_overlay())
        refresh = QPushButton("Refresh")
        refresh.clicked.connect(self.refresh)
        open_button = QPushButton("Open in dashboard")
        open_button.clicked.connect(self.open_selected)
        add_button = QPushButton("Add run folder…")
        add_button.clicked.connect(self.browse)
        bar = QHBoxLayout()
        for widget in (refresh, open_button, add_button, QLabel("overlay:"), self.metric_choice):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("left", "loss")
        self.plot.setLabel("bottom", "training step (batches)")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        no_si_prefix(self.plot)
        self.plot.addLegend(offset=(-5, 5), labelTextSize="8pt")
        self.message = QLabel("")
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.plot_widget)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

    # ------------------------------------------------------------------ listing
    def set_document(self, document) -> None:
        path = getattr(document, "path", None)
        self.set_root(Path(path).resolve().parent / "runs" if path else None)

    def set_root(self, root: Path | None) -> None:
        self.root = Path(root) if root else None
        self.refresh()

    def refresh(self) -> None:
        found = find_runs(self.root) if self.root else []
        # Runs of this session stay listed even when they live elsewhere (an unsaved document's runs).
        extra = [p for p in self.session_runs if p not in found and (p / "metrics.jsonl").exists()]
        self.runs = found + extra
        self._fill()

    def add_run(self, run_dir, history: RunHistory | None = None) -> None:
        """A run just finished in this session (its directory may lie outside ``root``)."""
        path = Path(run_dir)
        if path not in self.session_runs:
            self.session_runs.append(path)
        if history is not None:
            self._cache[path] = (self._mtime(path), history)
        if path not in self.runs:
            self.runs.insert(0, path)
        self._fill()

    def browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run directory (with metrics.jsonl)")
        if folder:
            self.add_run(folder)

    @staticmethod
    def _mtime(path: Path) -> float:
        try:
            return (path / "metrics.jsonl").stat().st_mtime
        except OSError:
            return 0.0

    def history(self, path: Path) -> RunHistory | None:
        """The run's history from metrics.jsonl, cached until the file changes."""
        mtime = self._mtime(path)
        cached = self._cache.get(path)
        if cached and cached[0] == mtime:
            return cached[1]
        try:
            history = RunHistory.from_run_dir(path)
        except (OSError, ValueError) as err:
            self.message.setText(str(err))
            return None
        self._cache[path] = (mtime, history)
        return history

    def _fill(self) -> None:
        self.table.setRowCount(len(self.runs))
        for row, path in enumerate(self.runs):
            history = self.history(path)
            config = _read_json(path / "config.json")
            status = _read_json(path / "status.json").get("status", "?")
            finished = history.finished if history else None
            duration = f"{finished.duration_s:.1f} s" if finished else "—"
            values = (f"{path.parent.name}/{path.name}", finished.status if finished else status, duration,
                      str(len(history.epochs)) if history else "?", settings_text(config),
                      metrics_text(history.summary()) if history else "")
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                item.setToolTip(str(path) if col == 0 else text)
                self.table.setItem(row, col, item)
        self.table.resizeColumnsToContents()
        self.draw_overlay()

    # ------------------------------------------------------------------ overlay and reopening
    def selected_runs(self) -> list[Path]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.runs[r] for r in rows if r < len(self.runs)]

    def select_runs(self, paths) -> None:
        wanted = {Path(p) for p in paths}
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for row, path in enumerate(self.runs):
            if path in wanted:
                self.table.selectRow(row)
        self.table.setSelectionMode(mode)

    def draw_overlay(self) -> None:
        self.plot.clear()
        histories = [(p, self.history(p)) for p in self.selected_runs()]
        histories = [(p, h) for p, h in histories if h is not None]
        names = ["loss"] + sorted({n for _, h in histories for n in h.metric_names})
        if [self.metric_choice.itemText(i) for i in range(self.metric_choice.count())] != names:
            current = self.metric_choice.currentText()
            self.metric_choice.blockSignals(True)
            self.metric_choice.clear()
            self.metric_choice.addItems(names)
            self.metric_choice.setCurrentText(current if current in names else "loss")
            self.metric_choice.blockSignals(False)
        metric = self.metric_choice.currentText() or "loss"
        self.plot.setLabel("left", metric)
        self.overlaid = []
        for i, (path, history) in enumerate(histories):
            label = f"{path.parent.name}/{path.name}"
            pen = pg.mkPen(color(i), width=2)
            self.plot.plot(*finite(history.steps, history.smoothed.get(metric, [])), pen=pen, name=f"{label} train")
            xs, ys = history.epoch_series("val", metric)
            self.plot.plot(xs, ys, pen=pg.mkPen(color(i), width=1.5, style=Qt.PenStyle.DashLine), symbol="o",
                           symbolSize=6, symbolBrush=color(i), name=f"{label} val")
            self.overlaid.append(path)

    def open_selected(self) -> RunHistory | None:
        runs = self.selected_runs()
        if not runs:
            self.message.setText("select a run to open")
            return None
        history = self.history(runs[0])
        if history is not None:
            self.openRequested.emit(history)
        return history
