"""The runs panel: every run of the document's folder with its settings, duration and final metrics (a
sortable column each); select several to overlay their curves here and in the dashboard's Compare tab (labelled by
the settings that differ between them), or reopen one in the dashboard from its log.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QLabel, QSplitter, QTableWidget,
                               QTableWidgetItem, QToolButton, QVBoxLayout, QWidget)

from engine.training.runs import Run, RunError, find_runs

from ..dashboard.compared import run_labels
from ..dashboard.history import RunHistory, status_words
from ..first_paint import after_first_paint, waiting
from ..lazy_widget import LazyWidget, made_on_use
from ..plain_text import plain
from ..plotting import color, finite, key_html, no_si_prefix
from ..theme import pg, plot_colors
from ..wheel_guard import WheelSafeComboBox
from ..wrapping_label import WrappingLabel, wrapping_tooltip

# The metrics come right after the run and its status: in a 300 px dock they were past Duration, Epochs and the
# long Settings, out of sight.
LEAD_COLUMNS, TRAIL_COLUMNS = ("Run", "Status"), ("Duration (s)", "Epochs", "Settings")
FIXED_COLUMNS = LEAD_COLUMNS + TRAIL_COLUMNS
PATH_ROLE = Qt.ItemDataRole.UserRole
OVERLAY_FROM_HEIGHT = 360  # px of dock from which the overlay plot (140 px at least) shows under the table


def settings_text(config: dict) -> str:
    keys = ("optimizer", "lr", "batch_size", "epochs", "clip", "schedule")
    return ", ".join(f"{k}={config[k]}" for k in keys if k in config)


def metric_order(name: str) -> tuple:
    """Validation metrics first, then test, then training ones; loss before the others within each."""
    return (not name.startswith("val_"), not name.startswith("test_"), not name.endswith("loss"), name)


class NumberItem(QTableWidgetItem):
    """A cell that sorts by its number (text cells sort as text): 10 after 9, missing values last."""

    def __init__(self, value: float | None, text: str | None = None):
        super().__init__(text if text is not None else ("" if value is None else f"{value:.4g}"))
        self.number = value

    def __lt__(self, other) -> bool:
        mine, theirs = self.number, getattr(other, "number", None)
        if mine is None or theirs is None:
            return mine is not None and theirs is None
        return mine < theirs


class RunsPanel(QWidget):
    openRequested = Signal(object)  # RunHistory to show in the dashboard
    runsSelected = Signal(list)  # [(label, run folder)] whenever the user's selection changes (not to nothing)
    compareRequested = Signal(list)  # [(label, run folder)]: show them in the dashboard's Compare tab now

    def __init__(self, parent=None):
        super().__init__(parent)
        self.root: Path | None = None
        self.runs: list[Path] = []
        self.session_runs: list[Path] = []  # finished in this window or opened by hand, for this document
        self._document = None
        self._cache: dict[Path, tuple[float, RunHistory, bool]] = {}  # mtime, history, whether a summary only
        self._watched = None  # the widget whose height decides whether the overlay fits (fit_height)
        self.table = QTableWidget(0, len(FIXED_COLUMNS))
        self.table.setHorizontalHeaderLabels(FIXED_COLUMNS)
        self.table.setSortingEnabled(True)  # click a column (a metric) to rank the runs by it
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self.draw_overlay)
        self._filling = False
        self._selected: list = []  # what runsSelected last carried
        self._selection_timer = QTimer(self)  # a drag over ten rows announces one selection, not ten
        self._selection_timer.setSingleShot(True)
        self._selection_timer.setInterval(30)
        self._selection_timer.timeout.connect(self._announce_selection)
        self.table.itemSelectionChanged.connect(lambda: self._filling or self._selection_timer.start())
        self.table.doubleClicked.connect(lambda _index: self.open_selected())
        self.metric_choice = WheelSafeComboBox()
        self.metric_choice.addItems(["loss"])
        self.metric_choice.setToolTip("Curve of the selected runs to overlay below: smoothed training curve per "
                                      "step, validation per epoch")
        self.metric_choice.currentIndexChanged.connect(lambda _i: self.draw_overlay())
        # Short labels on tool buttons (a push button is at least 80 px wide), the whole story in the tooltips: the
        # dock is about 300 px wide on a 1280 px screen, where "Open in dashboard", "Compare in dashboard" and the
        # rest in one row were cut off at its right edge.
        refresh = _button("Refresh")
        refresh.setToolTip("List this document's runs again (new runs are listed as they start)")
        refresh.clicked.connect(self.refresh)
        open_button = _button("Open")
        open_button.setToolTip("Open the selected run in the dashboard (double-click a row)")
        open_button.clicked.connect(self.open_selected)
        add_button = _button("Add…")
        add_button.setToolTip("Add a run folder from elsewhere (another document's, a copied one) to this list")
        add_button.clicked.connect(self.browse)
        compare_button = _button("Compare")
        compare_button.setToolTip("Overlay the selected runs in the dashboard's Compare tab: loss, a block's "
                                  "gradient norm, ‖∂L/∂h_t‖ per time step, gate means (Ctrl+Return in the table)")
        compare_button.clicked.connect(self.compare_selected)
        self.compare_action = QAction("Compare in dashboard", self.table)
        self.compare_action.setShortcut(QKeySequence("Ctrl+Return"))
        self.compare_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.compare_action.triggered.connect(self.compare_selected)
        open_action = QAction("Open in dashboard", self.table)
        open_action.triggered.connect(self.open_selected)
        self.table.addActions([open_action, self.compare_action])  # right-click menu, and the shortcut
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        bar = QHBoxLayout()
        for widget in (open_button, compare_button, refresh, add_button):
            bar.addWidget(widget)
        bar.addStretch(1)
        self.plot_slot = LazyWidget(self._make_plot)  # made when first shown or drawn on (gui.lazy_widget)
        self.plot_slot.setMinimumHeight(140)  # below that its axes' ticks run into each other
        self.message = plain(QLabel(""))
        overlay = QWidget()  # the overlay's choice sits with the overlay
        overlay_bar = QHBoxLayout(overlay)
        overlay_bar.setContentsMargins(0, 2, 0, 0)
        overlay_bar.addWidget(QLabel("Overlay:"))
        overlay_bar.addWidget(self.metric_choice, 1)
        self.below = below = QWidget()  # the overlay: left out of a short dock (see fit_height)
        below_layout = QVBoxLayout(below)
        below_layout.setContentsMargins(0, 0, 0, 0)
        below_layout.addWidget(overlay)
        self.key = WrappingLabel("")  # each overlaid run's colour and label
        self.key.setToolTip("Solid: training loss or metric (smoothed, per step); dashed with circles: validation "
                            "per epoch")
        below_layout.addWidget(self.key)
        below_layout.addWidget(self.plot_slot, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(below)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

    # ------------------------------------------------------------------ a short dock
    def fit_height(self, height: int) -> None:
        """In a dock shorter than OVERLAY_FROM_HEIGHT the table takes it all: beside the overlay's 140 px plot it
        showed one run of a 1280x720 window's Runs dock while a run trained. The dashboard's Compare tab (the
        Compare button, Ctrl+Return) overlays the selected runs there."""
        self.below.setVisible(height >= OVERLAY_FROM_HEIGHT)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        viewport = self.parentWidget()  # the dock's scroll area sizes this panel to at least its viewport
        if viewport is not None and viewport is not self._watched:
            viewport.installEventFilter(self)
            self._watched = viewport
            self.fit_height(viewport.height())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if watched is self._watched and event.type() == QEvent.Type.Resize:
            self.fit_height(event.size().height())
        return False

    @staticmethod
    def _make_plot():
        widget = pg.PlotWidget(background=plot_colors().background)
        plot = widget.getPlotItem()
        plot.setLabel("left", "loss")
        plot.setLabel("bottom", "training step (batches)")
        plot.showGrid(x=True, y=True, alpha=0.2)
        no_si_prefix(plot)
        return widget  # no legend in it: the key above names the runs (a legend inside covered the curves)

    plot_widget = made_on_use("plot_slot")
    plot = made_on_use("plot_slot", lambda widget: widget.getPlotItem())

    # ------------------------------------------------------------------ listing
    def set_document(self, document, root: Path | None = None) -> None:
        """Lists the runs in ``root`` (the document's); another document's runs of this session go."""
        if document is not self._document:
            self.session_runs = []
        self._document = document
        self.set_root(root)

    def set_root(self, root: Path | None) -> None:
        self.root = Path(root) if root else None
        if waiting():  # launching: the window paints first (a folder of 31 runs took 0.13 s before it)
            after_first_paint(self, self.refresh)
        else:
            self.refresh()

    def refresh(self) -> None:
        found = [run.path for run in find_runs(self.root)] if self.root else []
        # Runs of this session stay listed even when they live elsewhere (an unsaved document's runs).
        extra = [p for p in self.session_runs if p not in found and Run(p).events().exists()]
        self.runs = found + extra
        self._fill()

    def add_run(self, run_dir, history: RunHistory | None = None) -> None:
        """A run just finished in this session (its directory may lie outside ``root``)."""
        path = Path(run_dir)
        if path not in self.session_runs:
            self.session_runs.append(path)
        if history is not None:
            self._cache[path] = (self._mtime(path), history, False)
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
            return Run(path).events().stat().st_mtime
        except OSError:
            return 0.0

    def history(self, path: Path, summary_only: bool = False) -> RunHistory | None:
        """The run's history from metrics.jsonl, cached until the file changes. ``summary_only``: enough for its
        row (start, epochs, end): the table reads only those lines of each log, the overlay and Open all of it."""
        mtime = self._mtime(path)
        cached = self._cache.get(path)
        if cached and cached[0] == mtime and (summary_only or not cached[2]):
            return cached[1]
        try:
            history = RunHistory.from_run_dir(path, summary_only=summary_only)
        except (OSError, ValueError) as err:
            self.message.setText(str(err))
            return None
        self._cache[path] = (mtime, history, summary_only)
        return history

    def _fill(self) -> None:
        """One row per run: its name and status, one sortable column per final metric of any listed run, then its
        duration, epochs and settings. A run is named by its folder alone while all listed runs are one document's."""
        rows = []
        for path in self.runs:
            history, run = self.history(path, summary_only=True), Run(path)
            try:
                config, written = run.read_config(), run.read_status()
            except RunError:
                config, written = {}, {}
            status = (written.get("status", "?"), written.get("message", ""))  # why, for its tooltip
            summary = history.summary() if history else {}
            rows.append((path, history, config, status, {k: v for k, v in summary.items()
                                                          if isinstance(v, (int, float))}))
        metrics = sorted({name for *_, summary in rows for name in summary}, key=metric_order)
        self.table.setSortingEnabled(False)  # filling a sorted table moves rows under the hand
        self._filling = True  # a refilled table loses its selection: the Compare tab keeps what it shows
        self.table.clear()
        self.table.setColumnCount(len(FIXED_COLUMNS) + len(metrics))
        self.table.setHorizontalHeaderLabels([*LEAD_COLUMNS, *metrics, *TRAIL_COLUMNS])
        one_document = len({path.parent for path, *_ in rows}) <= 1
        self.table.setRowCount(len(rows))
        for row, (path, history, config, status, summary) in enumerate(rows):
            finished = history.finished if history else None
            cells = [QTableWidgetItem(path.name if one_document else f"{path.parent.name}/{path.name}"),
                     QTableWidgetItem(status_words(finished.status if finished else status[0])),
                     *(NumberItem(summary.get(name)) for name in metrics),
                     NumberItem(finished.duration_s if finished else None,
                                f"{finished.duration_s:.1f}" if finished else "—"),
                     NumberItem(len(history.epochs) if history else None),
                     QTableWidgetItem(settings_text(config))]
            cells[0].setData(PATH_ROLE, str(path))
            for col, item in enumerate(cells):
                item.setToolTip(str(path) if col == 0 else wrapping_tooltip(status[1]) if col == 1 and not finished
                                and status[1] else item.text())
                self.table.setItem(row, col, item)
        self.table.setSortingEnabled(True)
        self.table.resizeColumnsToContents()
        self._filling = False
        self.draw_overlay()

    def row_of(self, path: Path) -> int:
        """The table row showing run ``path`` (rows move when the table is sorted), or -1."""
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and Path(item.data(PATH_ROLE)) == Path(path):
                return row
        return -1

    # ------------------------------------------------------------------ overlay and reopening
    def selected_runs(self) -> list[Path]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [Path(self.table.item(r, 0).data(PATH_ROLE)) for r in rows if self.table.item(r, 0) is not None]

    def select_runs(self, paths) -> None:
        wanted = {Path(p) for p in paths}
        self.table.clearSelection()
        mode = self.table.selectionMode()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for path in self.runs:
            if path in wanted and self.row_of(path) >= 0:
                self.table.selectRow(self.row_of(path))
        self.table.setSelectionMode(mode)

    def compare_runs(self) -> list[tuple[str, Path]]:
        """The selected runs as (label, folder): labelled by the settings that differ between them (``lr=0.01``),
        else by their names."""
        paths = self.selected_runs()
        return list(zip(run_labels(paths), paths))

    def _announce_selection(self) -> None:
        runs = self.compare_runs()
        if runs and runs != self._selected:
            self._selected = runs
            self.runsSelected.emit(runs)

    def compare_selected(self) -> list[tuple[str, Path]]:
        runs = self.compare_runs()
        if not runs:
            self.message.setText("select runs to compare (Ctrl+click or Shift+click adds rows)")
            return runs
        self._selected = runs
        self.compareRequested.emit(runs)
        return runs

    def draw_overlay(self) -> None:
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
        self.overlaid = []
        labels = dict(zip([p for p, _ in histories], run_labels([p for p, _ in histories])))
        self.key.setText(key_html([labels[p] for p, _ in histories], one_per_line=True))
        if not histories and not self.plot_slot.made:
            return  # nothing to draw on a plot not made yet
        self.plot.clear()
        self.plot.setLabel("left", metric)
        for i, (path, history) in enumerate(histories):
            label = labels[path]
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


def _button(text: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    return button

