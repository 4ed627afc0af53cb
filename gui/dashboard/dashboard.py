"""DashboardWidget: the live plots in tabs, redrawn by one ~10 Hz timer from the latest RunHistory.

Only visible panels redraw, and only when the history changed; a burst of events costs one drawing.
"""
from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from .compare import ComparePanel
from .hidden import HiddenStatePanel
from .history import RunHistory
from .panels import AttentionPanel, CurvePanel, GatePanel, GradNormPanel, LearningRatePanel, TimeGradPanel
from .results import ResultsPanel


class DashboardWidget(QWidget):
    """Tabs: Curves (loss, metric, learning rate), Gradients (per block, per time step), Gates, Hidden state,
    Attention, Results, and Compare (``compare``: several runs overlaid, fed by ``compare.set_runs``)."""

    blockShown = Signal(str)

    def __init__(self, parent=None, redraw_ms: int = 100):
        super().__init__(parent)
        self.history: RunHistory | None = None
        self.draw_seconds = 0.0  # time spent redrawing (the latency benchmark reports it)
        self.header = QLabel("No run yet: choose data, then Training ▸ Start.")
        self.header.setWordWrap(True)
        self.paused = QLabel("⏸  Paused — the run waits. F6 (Training ▸ Pause / resume) goes on, Shift+F5 stops it.")
        self.paused.setStyleSheet("background: #ffe08a; color: #5a4500; padding: 4px; font-weight: bold;")
        self.paused.setVisible(False)
        self.loss = CurvePanel()
        self.metric_panel = CurvePanel(metric_choice=True)
        self.lr = LearningRatePanel()
        self.grad_norms = GradNormPanel()
        self.time_grads = TimeGradPanel()
        self.gates = GatePanel()
        self.attention = AttentionPanel()
        self.tabs = QTabWidget()
        curves = QWidget()
        grid = QGridLayout(curves)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.loss, 0, 0)
        grid.addWidget(self.metric_panel, 0, 1)
        grid.addWidget(self.lr, 1, 0, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 1)
        self.tabs.addTab(curves, "Curves")
        gradients = QSplitter(Qt.Orientation.Horizontal)
        gradients.addWidget(self.grad_norms)
        gradients.addWidget(self.time_grads)
        self.tabs.addTab(gradients, "Gradients")
        self.tabs.addTab(self.gates, "Gates")
        self.hidden = HiddenStatePanel()
        self.tabs.addTab(self.hidden, "Hidden state")
        self.tabs.addTab(self.attention, "Attention")
        self.results = ResultsPanel()
        self.tabs.addTab(self.results, "Results")
        self.compare = ComparePanel()  # runs or experiment trials side by side (set_runs); not the live run's
        index = self.tabs.addTab(self.compare, "Compare")
        self.tabs.setTabToolTip(index, "Runs side by side: select runs in the Runs dock or trials in the "
                                "Experiments dock (loss, a block's gradient norm, ‖∂L/∂h_t‖ per step, gate means)")
        self.tabs.currentChanged.connect(lambda _i: self.redraw())
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.header)
        layout.addWidget(self.paused)
        layout.addWidget(self.tabs, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(max(redraw_ms // 3, 10))  # three panels share a tab at most
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    @property
    def panels(self):
        return [self.loss, self.metric_panel, self.lr, self.grad_norms, self.time_grads, self.gates, self.hidden,
                self.attention]

    def set_paused(self, paused: bool) -> None:
        """A paused run is plain to see: a banner over the plots (the plots keep what they showed)."""
        self.paused.setVisible(paused)

    def set_history(self, history: RunHistory | None) -> None:
        self.history = history
        self.results.show_run(history.run_dir if history is not None else None)
        for panel in self.panels:
            panel.history = history
        self.redraw(force=True)

    def redraw(self, force: bool = False) -> int:
        """Draws every visible panel whose data changed (all panels when ``force``); returns how many drew."""
        started = time.perf_counter()
        drawn = 0
        for panel in self.panels:
            if panel.isVisible() or force:
                drawn += panel.refresh(force=force)
        if self.compare.isVisible():  # its own runs, not the history: drawn when seen (and on its timer)
            drawn += self.compare.refresh(force=force)
        self._set_header()
        self.draw_seconds += time.perf_counter() - started
        return drawn

    def _tick(self) -> None:
        """One stale visible panel per tick, the one drawn longest ago: the drawing work of a refresh is
        spread over several short event-loop turns instead of one long one (the window stays responsive),
        and each panel still redraws about every ``redraw_ms``."""
        started = time.perf_counter()
        stale = [p for p in self.panels if p.isVisible() and p.stale()]
        if stale:
            min(stale, key=lambda p: p.drawn_at).refresh()
        self._set_header()
        self.draw_seconds += time.perf_counter() - started

    def _set_header(self) -> None:
        text = self.header_text()
        if text != self.header.text():
            self.header.setText(text)

    def header_text(self) -> str:
        history = self.history
        if history is None:
            return "No run yet: choose data, then Training ▸ Start."
        parts = [f"<b>{history.name}</b>"]
        if history.started is not None:
            parts.append(f"device {history.started.device}")
        step = history.last_step
        if step is not None:
            parts.append(f"epoch {step.epoch}, step {step.step}/{step.steps_per_epoch}, loss {step.loss:.4g}")
        if history.finished is not None:
            f = history.finished
            parts.append(f"<b>{f.status}</b>: {f.message}")
        return " · ".join(parts)

    def show_compare(self) -> None:
        """Brings the Compare tab to the front (the runs it shows come from ``compare.set_runs``)."""
        self.tabs.setCurrentWidget(self.compare)

    def show_block(self, name: str) -> bool:
        """Brings the plots of block ``name`` forward (gates, attention or its gradient curve)."""
        history = self.history
        if history is None:
            return False
        if name in history.gates:
            self.gates.select(name)
            self.tabs.setCurrentWidget(self.gates)
        elif name in history.hidden:  # a plain RNN: no gates, its hidden state
            self.hidden.select(name)
            self.tabs.setCurrentWidget(self.hidden)
        elif name in history.attention:
            self.attention.select(name)
            self.tabs.setCurrentWidget(self.attention)
        elif name in history.block_norms or name in history.time_grads:
            self.tabs.setCurrentIndex(1)
        else:
            return False
        self.grad_norms.highlight = name
        self.grad_norms.refresh(force=True)
        self.blockShown.emit(name)
        return True
