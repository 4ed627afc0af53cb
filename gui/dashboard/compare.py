"""The dashboard's Compare tab: several runs (experiment trials, or runs picked in the Runs dock) overlaid, one
colour per run in every plot: loss or a metric, a block's gradient norm, ‖∂L/∂h_t‖ per time step, gate means.
"""
from __future__ import annotations

import threading

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..plotting import color, drop_stale, finite, key_html, new_plot, positive, set_text, symbol_curve
from ..theme import pg
from .compared import CompareSet, read_run
from .plot_grid import PlotGrid
from .plots import PlotPanel
from ..wrapping_label import WrappingLabel

STEP_AXIS = "training step (batches)"
NOTHING = "nothing to compare: select runs in the Runs dock, or trials in the Experiments dock"
POLL_MS = 1000  # trial logs are flushed at epoch ends: once a second is live enough


class ComparePlot(PlotPanel):
    """One overlay plot. ``history`` is the panel's CompareSet (PlotPanel needs only its ``version``); each
    subclass draws one curve per run, coloured by the run's place in the set, and says why when it has none."""

    def __init__(self, title: str, left: str, bottom: str, log_y: bool = False):
        super().__init__(title)
        self.history = CompareSet()
        self.plot = new_plot(left, bottom, log_y=log_y)
        self.layout_widget.addItem(self.plot)
        self.track(self.plot)
        self.plot.legend_off = True  # the tab's key above the plots names the runs (one colour each in every plot)
        self.log_y = log_y
        self.curves: dict[tuple, pg.PlotDataItem] = {}
        self.empty = pg.TextItem(NOTHING, color="#888", anchor=(0.5, 0.5))  # grey reads on both themes
        self.plot.addItem(self.empty)
        # What csv_table saves, the data as drawn: the header, and (run label, series, xs, ys) per curve; the
        # rows are built only when saving (building them at every drawing cost more than the drawing).
        self.header: list[str] = []
        self.drawn: list[tuple[str, str, np.ndarray, np.ndarray]] = []
        self.note = QLabel("")  # runs left out of this plot (a long title would push the legend off the plot)
        self.note.setStyleSheet("color: #888;")  # grey reads on both themes
        self.note.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the tab
        self._bar.insertWidget(2, self.note, 1)  # after the choices, in the room left before the buttons

    def curve(self, key: tuple, index: int, label: str | None, dashed: bool = False) -> pg.PlotDataItem:
        """The curve ``key`` (created on first use; ``label`` is its legend entry, None for none) in run
        ``index``'s colour."""
        item = self.curves.get(key)
        if item is None:
            item = self.curves[key] = (symbol_curve(self.plot, name=label, symbol="o", symbolSize=6,
                                                    symbolBrush=color(index)) if dashed else self.plot.plot(name=label))
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        item.setPen(pg.mkPen(color(index), width=1.5 if dashed else 2, style=style))
        return item

    def finish(self, keep: set, xs, ys, empty: str | None, title: str = "", left_out=(), **follow) -> None:
        """Removes curves of runs no longer compared, then either says ``empty`` in the middle of the plot or
        fits the ranges to the data (``xs``, ``ys``: every value drawn); notes the runs ``left_out``."""
        drop_stale(self.plot, self.curves, keep)
        set_text(self.plot, title=title)
        left_out = list(left_out) if empty is None else []
        names = ", ".join(r.label for r in left_out)
        self.note.setText("" if not left_out else f"left out: {names}" if len(left_out) == 1
                          else f"left out: {len(left_out)} runs")
        self.note.setToolTip(f"Nothing of this recorded in: {names}" if names else "")
        self.empty.setVisible(empty is not None)
        for side in ("left", "bottom"):  # an empty plot has no scale: its (0, 1) range read as log ticks 2 to 8
            self.plot.getAxis(side).setStyle(showValues=empty is None)
        if empty is not None:
            self.empty.setText(empty)
            self.empty.setTextWidth(max(160.0, self.plot.getViewBox().width() * 0.9))  # wrapped, inside the plot
            self.empty.setPos(0.5, 0.5)
            self.plot._followed = None
            self.plot.setRange(xRange=(0, 1), yRange=(0, 1), padding=0)
            return
        self.follow(self.plot, xs, ys, log_y=self.log_y, **follow)

    def csv_table(self, history):
        """One row per point: run, series (where the header has that column), x, y."""
        with_series = "series" in self.header
        rows = [[label] + ([series] if with_series else []) + [x, y] for label, series, xs, ys in self.drawn
                for x, y in zip(np.asarray(xs).tolist(), np.asarray(ys).tolist())]
        return self.header, rows

    # ------------------------------------------------------------------ what an empty plot says
    @staticmethod
    def missing(runs: CompareSet, found: bool, what: str, none_text: str) -> str | None:
        """None when there is something to draw; else why not: no runs, a record still to come, or none."""
        if not runs.loaded():
            reading = len(runs.pending())
            if reading:
                return f"reading {reading} run log{'s' if reading > 1 else ''}…"
            return "; ".join(runs.errors()) or NOTHING
        if found:
            return None
        return f"waiting for the first {what}…" if runs.waiting() else none_text

    @staticmethod
    def not_shared(what: str, with_data) -> str:
        """No block in common: which run has which (blocks are matched by name)."""
        have = "; ".join(f"{r.label} has {', '.join(keys) or 'none'}" for r, keys in with_data)
        return f"no {what} in common (blocks are matched by name): {have}"


class CompareCurvesPlot(ComparePlot):
    """Loss or a metric: each run's training curve (smoothed, per step) and its validation points (per epoch)."""

    csv_name = "compare_curves"

    def __init__(self):
        super().__init__("Loss / metric", "loss", STEP_AXIS)
        self.metric = self.add_combo("Loss or metric to overlay: training smoothed per step (solid), "
                                     "validation per epoch (dashed, circles)")

    def draw(self, runs: CompareSet) -> None:
        names = ["loss"] + sorted({n for _, r in runs.loaded() for n in r.history.metric_names})
        self.set_items(self.metric, names)
        name = self.metric.currentText() or "loss"
        set_text(self.plot, name)
        keep, xs, ys, self.drawn = set(), [], [], []
        for i, run in runs.loaded():
            h = run.history
            train = finite(h.array(h.steps), h.array(h.smoothed.get(name, [])))
            val = h.epoch_series("val", name)
            for key, (x, y), dashed in (("train", train, False), ("val", val, True)):
                k = (run.path, run.label, key)
                keep.add(k)
                self.curve(k, i, run.label if key == "train" else None, dashed).setData(x, y)
                xs.append(x)
                ys.append(y)
                self.drawn.append((run.label, "train (smoothed)" if key == "train" else "validation", x, y))
        self.header = ["run", "series", "step", name]
        found = any(len(y) for y in ys)
        empty = self.missing(runs, found, "steps", f"no {name} recorded in these runs")
        self.finish(keep, np.concatenate(xs or [[]]), np.concatenate(ys or [[]]), empty,
                    "── training (smoothed) · ○ validation" if empty is None else "")


class BlockPlot(ComparePlot):
    """A plot of one block chosen among the blocks every run recorded (by name)."""

    what = "block"  # how the empty text names the block kind
    record = "probe"

    def __init__(self, title: str, left: str, bottom: str, log_y: bool, tip: str):
        super().__init__(title, left, bottom, log_y)
        self.block = self.add_combo(tip)

    def keys_of(self, history) -> list[str]:
        raise NotImplementedError

    def choose(self, runs: CompareSet) -> tuple[str | None, str | None, list]:
        """(block, why nothing is drawn or None, runs without records of this kind)."""
        blocks, with_data, without = runs.common(self.keys_of)
        self.set_items(self.block, blocks)
        empty = self.missing(runs, bool(with_data), self.record, self.none_text)
        if empty is None and not blocks:
            empty = self.not_shared(self.what, [(r, self.keys_of(r.history)) for r in with_data])
        return (self.block.currentText() or None) if empty is None else None, empty, without


class CompareGradNormPlot(BlockPlot):
    """The gradient norm of one block over training steps, per run (log y)."""

    csv_name = "compare_gradient_norm"
    none_text = "no gradient norms recorded: the grad_norms probe was off in these runs"
    record = "step"

    def __init__(self):
        super().__init__("Gradient norm of a block", "gradient L2 norm (log)", STEP_AXIS, True,
                         "Block whose gradient norm to overlay (blocks every run has, by name)")

    def keys_of(self, history):
        return [b for b, series in history.block_norms.items() if series]

    def draw(self, runs: CompareSet) -> None:
        block, empty, without = self.choose(runs)
        keep, xs, ys, self.drawn = set(), [], [], []
        for i, run in runs.loaded():
            h = run.history
            if block is None or block not in h.block_norms:
                continue
            series = h.array(h.block_norms[block])
            x, y = positive(h.array(h.steps)[:len(series)], series)
            k = (run.path, run.label)
            keep.add(k)
            self.curve(k, i, run.label).setData(x, y)
            xs.append(x)
            ys.append(y)
            self.drawn.append((run.label, "", x, y))
        self.header = ["run", "step", f"{block} gradient norm"]
        self.finish(keep, np.concatenate(xs or [[]]), np.concatenate(ys or [[]]), empty, block or "", without)


class CompareTimeGradPlot(BlockPlot):
    """‖∂L/∂h_t‖ per time step of one recurrent block, the latest probe of each run: the vanishing-gradient
    figure (a plain RNN's curve falls towards t = 1, an LSTM's stays up)."""

    csv_name = "compare_gradient_per_time_step"
    what = "recurrent block"
    none_text = "no ‖∂L/∂h_t‖ recorded: no recurrent block, or the time_grads probe was off"

    def __init__(self):
        super().__init__("‖∂L/∂h_t‖ per time step", "‖∂loss/∂h_t‖ (log)", "time step t", True,
                         "Recurrent block whose gradient per time step to overlay (blocks every run has, by name)")
        self.normalise = QCheckBox("normalise")
        self.normalise.setToolTip("Divide each curve by its value at the last time step, so that runs with "
                                  "different losses compare by how the gradient decays back through time")
        self.normalise.toggled.connect(lambda _on: self.refresh(force=True))
        self.controls.addWidget(self.normalise)
        self.columns: list[tuple[str, np.ndarray]] = []

    def keys_of(self, history):
        return list(history.time_grads)

    @staticmethod
    def normalised(norms: np.ndarray) -> np.ndarray:
        """``norms`` divided by the last step's value (the last finite positive one where that is zero)."""
        usable = np.flatnonzero(np.isfinite(norms) & (norms > 0))
        return norms / norms[usable[-1]] if usable.size else norms

    def csv_table(self, history):
        """Time step t, then one column per run (as drawn: normalised when the box is ticked)."""
        longest = max((len(n) for _, n in self.columns), default=0)
        return (["t"] + [name for name, _ in self.columns],
                [[t + 1] + [float(n[t]) if t < len(n) else "" for _, n in self.columns] for t in range(longest)])

    def draw(self, runs: CompareSet) -> None:
        block, empty, without = self.choose(runs)
        keep, ys, self.columns, longest = set(), [], [], 0
        normalise = self.normalise.isChecked()
        set_text(self.plot, "‖∂loss/∂h_t‖ ÷ last step (log)" if normalise else "‖∂loss/∂h_t‖ (log)")
        for i, run in runs.loaded():
            norms = run.history.latest_time_grad(block) if block else None
            if norms is None:
                continue
            norms = self.normalised(norms) if normalise else norms
            k = (run.path, run.label)
            keep.add(k)
            self.curve(k, i, run.label).setData(*positive(np.arange(1, len(norms) + 1), norms))
            ys.append(norms)
            longest = max(longest, len(norms))
            self.columns.append((f"{run.label} (step {run.history.time_grads[block].step})", norms))
        title = f"{block} · latest probe of each run" if block else ""
        self.finish(keep, [1, max(longest, 2)], np.concatenate(ys or [[]]), empty, title, without, x0=1,
                    exact_x=True)


class CompareGatePlot(BlockPlot):
    """The mean activation of one gate of one recurrent block over training, per run."""

    csv_name = "compare_gate_means"
    what = "gated block"
    none_text = "no gates recorded: no LSTM or GRU, or the gates probe was off (a plain RNN has no gates)"

    def __init__(self):
        super().__init__("Gate means", "mean activation", STEP_AXIS, False,
                         "Gated recurrent block (LSTM, GRU) whose gate means to overlay (blocks every run has)")
        self.gate = self.add_combo("Gate to overlay (GRU and LSTM gates differ: a run without it is left out)")

    def keys_of(self, history):
        return [b for b, hist in history.gates.items() if hist.means]

    def draw(self, runs: CompareSet) -> None:
        block, empty, without = self.choose(runs)
        gates: list[str] = []
        for _, run in runs.loaded():
            hist = run.history.gates.get(block) if block else None
            gates += [g for g in (hist.means if hist else {}) if g not in gates]
        self.set_items(self.gate, gates)
        gate = self.gate.currentText()
        keep, xs, ys, lacking, self.drawn = set(), [], [], [], []
        for i, run in runs.loaded():
            x, y = run.history.gate_means(block, gate) if block and gate else ([], [])
            if not len(y):
                if block in run.history.gates:
                    lacking.append(run)
                continue
            k = (run.path, run.label)
            keep.add(k)
            self.curve(k, i, run.label).setData(x, y)
            xs.append(x)
            ys.append(y)
            self.drawn.append((run.label, "", x, y))
        self.header = ["run", "step", f"{block} {gate} gate mean"]
        title = f"{block} · {gate} gate" if block and gate else ""
        self.finish(keep, np.concatenate(xs or [[]]), np.concatenate(ys or [[]]), empty, title, without + lacking)


class ComparePanel(QWidget):
    """The Compare tab: ``set_runs([(label, run folder)])`` overlays those runs in four plots. Logs are cached by
    path and read on as they grow: while the tab is visible a timer picks up what running trials append. A log
    not read before is read in a background thread (a long run's log takes seconds); ``loaded`` follows."""

    loaded = Signal()  # every log of the compared runs has been read (or has failed to)
    _read = Signal(object, object, object, str)  # from the reading thread: path, stat, history, error

    def __init__(self, parent=None, poll_ms: int = POLL_MS):
        super().__init__(parent)
        self.runs = CompareSet()
        self._reading: set = set()  # paths a thread is reading now
        self._read.connect(self._adopt)  # queued: the thread emits, the GUI thread adopts
        self.curves = CompareCurvesPlot()
        self.grad_norm = CompareGradNormPlot()
        self.time_grads = CompareTimeGradPlot()
        self.gates = CompareGatePlot()
        self.message = WrappingLabel("")
        self.message.setVisible(False)
        self.message.setStyleSheet("color: #d62728;")  # a run that cannot be read: red on both themes
        # One key for the four plots, which draw run i in colour i: a legend in each plot took a quarter of a
        # narrow plot, and labels such as "hidden_size=64, lr=0.003, weight_decay=0.0003" ran over its data.
        self.key = WrappingLabel("")
        self.key.setToolTip("Each run has one colour in every plot of this tab")
        self.key.setVisible(False)
        self.key.setContentsMargins(4, 2, 4, 0)
        for panel in self.panels:
            panel.history = self.runs
        self.grid = PlotGrid(self.panels, [(k // 2, k % 2, 1, 1) for k in range(len(self.panels))])  # 2x2, or 1x4
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.message)
        layout.addWidget(self.key)
        layout.addWidget(self.grid, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.poll)
        self._draw_later = QTimer(self)  # while logs arrive one by one: a drawing every 300 ms, not one per log
        self._draw_later.setSingleShot(True)
        self._draw_later.setInterval(300)
        self._draw_later.timeout.connect(self._draw)

    @property
    def panels(self) -> list[ComparePlot]:
        return [self.curves, self.grad_norm, self.time_grads, self.gates]

    def set_runs(self, runs) -> None:
        """Compares ``runs``: (label, run folder) pairs, drawn in this order (colour i for run i)."""
        self.runs.set_runs(runs, read=False)
        self._changed(now=True)  # the runs shown so far go at once (those not read yet say so)

    def busy(self) -> bool:
        """Some log is still being read."""
        return bool(self._reading or self.runs.pending())

    def _read_pending(self) -> None:
        paths = [p for p in self.runs.pending() if p not in self._reading]
        if not paths:
            return
        self._reading.update(paths)

        def read() -> None:  # in the thread: reads, touches nothing of the panel but a queued signal
            for path in paths:
                try:
                    self._read.emit(path, *read_run(path))
                except RuntimeError:  # the panel was deleted meanwhile: nobody waits for the rest
                    return

        threading.Thread(target=read, name="compare-logs", daemon=True).start()

    def _adopt(self, path, stat, history, error: str) -> None:
        self._reading.discard(path)
        self.runs.adopt(path, stat, history, error)
        self._changed()

    def _changed(self, now: bool = False) -> None:
        self._read_pending()
        errors = self.runs.errors()
        self.message.setText("\n".join(errors))
        self.message.setVisible(bool(errors))
        self.key.setText(key_html(self.labels()))
        self.key.setVisible(bool(self.runs.runs))
        if not self.busy():
            self._draw_later.stop()
            self._draw()
            self.loaded.emit()
        elif now:
            self._draw()
        elif not self._draw_later.isActive():
            self._draw_later.start()

    def _draw(self) -> None:
        if self.isVisible():  # a hidden tab draws when shown (PlotPanel.showEvent sees the new version)
            self.refresh()

    def labels(self) -> list[str]:
        return [r.label for r in self.runs.runs]

    def poll(self) -> bool:
        """Reads what running trials appended; redraws the plots if anything did (the timer calls it)."""
        if self.runs.poll(read=False):
            self._changed()
            return True
        return False

    def refresh(self, force: bool = False) -> int:
        """Redraws the plots whose data changed (every plot with ``force``); returns how many drew."""
        return sum(panel.refresh(force=force) for panel in self.panels)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override: live only while visible
        super().showEvent(event)
        self.poll()
        self.timer.start()

    def hideEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().hideEvent(event)
        self.timer.stop()
