"""DashboardWidget: the live plots in tabs, redrawn by one ~10 Hz timer from the latest RunHistory.

Only visible panels redraw, and only when the history changed; a burst of events costs one drawing. A tab's plots
are made the first time it is shown or one of its panels is asked for: the 27 pyqtgraph plots of all the tabs took
0.25-0.35 s, which the window's launch paid before its first paint for a dashboard nobody had looked at yet.
"""
from __future__ import annotations

import html
import importlib
import time
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSizePolicy, QSplitter, QStyle, QTabWidget, QVBoxLayout,
                               QWidget)

from ..lazy_widget import LazyWidget
from ..wrapping_label import WrappingLabel
from .history import RunHistory, ending
from .plot_grid import PlotGrid

# the tabs of one panel: key, title, (module, class)
SINGLE = (("gates", "Gates", (".panels", "GatePanel")),
          ("hidden", "Hidden state", (".hidden", "HiddenStatePanel")),
          ("attention", "Attention", (".attention", "AttentionPanel")),
          ("results", "Results", (".results", "ResultsPanel")),
          ("compare", "Compare", (".compare", "ComparePanel")))
LIVE = ("loss", "metric_panel", "lr", "grad_norms", "time_grads", "gates", "hidden", "attention")  # drawn from history


def _panel(page: str, name: str) -> property:
    """The panel ``name`` of tab ``page``, made (with its tab's other plots) at the first access."""
    def get(self):
        self.pages[page].ensure()
        return self._made[name]
    return property(get, doc=f"the {name} panel of the {page} tab (made on first use)")


def _paused_banner() -> QFrame:
    """The yellow sign beside the run's header line while a run is paused. It shares the header's row, one line
    high, so that the plots under it keep their height (a band of its own pushed them past a 1280x720 dock's
    edge). The pause sign is the style's icon: the font glyph (U+23F8) is missing from common Linux fonts."""
    banner = QFrame()
    banner.setObjectName("pausedBanner")
    banner.setStyleSheet("#pausedBanner { background: #ffe08a; } QLabel { color: #5a4500; font-weight: bold; }")
    icon = QLabel()
    size = banner.fontMetrics().height()
    icon.setPixmap(banner.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause).pixmap(size, size))
    text = QLabel("Paused — F6 resumes, Shift+F5 stops")
    text.setToolTip("The run waits. F6 (Training ▸ Pause / resume) goes on, Shift+F5 (Training ▸ Stop) stops it.")
    layout = QHBoxLayout(banner)
    layout.setContentsMargins(6, 0, 6, 0)
    layout.addWidget(icon)
    layout.addWidget(text)
    banner.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
    return banner


class DashboardWidget(QWidget):
    """Tabs: Curves (loss, metric, learning rate), Gradients (per block, per time step), Gates, Hidden state,
    Attention, Results, and Compare (``compare``: several runs overlaid, fed by ``compare.set_runs``).
    ``pages`` maps each tab's key to its LazyWidget; ``current_panel()`` is the panel of the tab in front."""

    blockShown = Signal(str)

    loss = _panel("curves", "loss")
    metric_panel = _panel("curves", "metric_panel")
    lr = _panel("curves", "lr")
    grad_norms = _panel("gradients", "grad_norms")
    time_grads = _panel("gradients", "time_grads")
    gates = _panel("gates", "gates")
    hidden = _panel("hidden", "hidden")
    attention = _panel("attention", "attention")
    results = _panel("results", "results")
    compare = _panel("compare", "compare")  # runs or experiment trials side by side (set_runs); not the live run's

    def __init__(self, parent=None, redraw_ms: int = 100):
        super().__init__(parent)
        self.history: RunHistory | None = None
        self.draw_seconds = 0.0  # time spent redrawing (the latency benchmark reports it)
        self._made: dict[str, QWidget] = {}
        self.document_state: tuple[bool, bool] | None = None  # (has data, has runs): see describe_document
        self.header = WrappingLabel(self.header_text())
        self.paused = _paused_banner()
        self.paused.setVisible(False)
        self.tabs = QTabWidget()
        self.pages: dict[str, LazyWidget] = {}
        for key, title, build in (("curves", "Curves", self._build_curves),
                                  ("gradients", "Gradients", self._build_gradients),
                                  *((key, title, self._single_builder(key, *where)) for key, title, where in SINGLE)):
            self.pages[key] = LazyWidget(build)
            index = self.tabs.addTab(self.pages[key], title)
        self.tabs.setTabToolTip(index, "Runs side by side: select runs in the Runs dock or trials in the "
                                "Experiments dock (loss, a block's gradient norm, ‖∂L/∂h_t‖ per step, gate means)")
        self.tabs.currentChanged.connect(lambda _i: self.redraw())
        self.tabs.currentChanged.connect(self._size_to_current_tab)
        self._size_to_current_tab()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        header_row = QHBoxLayout()
        header_row.setContentsMargins(0, 0, 0, 0)
        header_row.addWidget(self.paused)
        header_row.addWidget(self.header, 1)
        layout.addLayout(header_row)
        layout.addWidget(self.tabs, 1)
        self.timer = QTimer(self)
        self.timer.setInterval(max(redraw_ms // 3, 10))  # three panels share a tab at most
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    # ------------------------------------------------------------ the tabs' plots, made on first use
    def _made_panel(self, name: str, panel: QWidget) -> QWidget:
        """Registers a new panel and gives it what the panels made earlier already show."""
        self._made[name] = panel
        if name in LIVE:
            panel.history = self.history
            if self.history is not None:
                panel.refresh(force=True)
        elif name == "results" and self.history is not None:
            panel.show_run(self.history.run_dir)
        return panel

    def _single_builder(self, name: str, module: str, class_name: str) -> Callable[[], QWidget]:
        return lambda: self._made_panel(name, getattr(importlib.import_module(module, __package__), class_name)())

    def _build_curves(self) -> QWidget:
        from .panels import CurvePanel, LearningRatePanel

        plots = [self._made_panel("loss", CurvePanel()),
                 self._made_panel("metric_panel", CurvePanel(metric_choice=True)),
                 self._made_panel("lr", LearningRatePanel())]
        # loss and metric side by side, the learning rate under them (or beside them, narrower, in a short strip)
        return PlotGrid(plots, [(0, 0, 1, 1), (0, 1, 1, 1), (1, 0, 1, 2)], row_stretch=(3, 1), wide_stretch=(3, 3, 2))

    def _build_gradients(self) -> QWidget:
        from .panels import GradNormPanel, TimeGradPanel

        gradients = QSplitter(Qt.Orientation.Horizontal)
        gradients.addWidget(self._made_panel("grad_norms", GradNormPanel()))
        gradients.addWidget(self._made_panel("time_grads", TimeGradPanel()))
        return gradients

    def _size_to_current_tab(self, _index: int = 0) -> None:
        """The tabs ask for the room of the tab in front only: a QTabWidget asks for the largest minimum of all
        its pages, so the Compare tab's two rows of plots made the Curves tab scroll in a short dock too."""
        current = self.tabs.currentWidget()
        for page in self.pages.values():
            policy = QSizePolicy.Policy.Preferred if page is current else QSizePolicy.Policy.Ignored
            page.setSizePolicy(policy, policy)

    def current_panel(self) -> QWidget | None:
        """The tab in front: its panel (its page's content for the two tabs of several panels), made if needed."""
        for key, page in self.pages.items():
            if page is self.tabs.currentWidget():
                content = page.ensure()
                return self._made.get(key, content)
        return None

    def show_tab(self, key: str) -> None:
        self.tabs.setCurrentWidget(self.pages[key])

    @property
    def panels(self):
        """The live panels made so far (a tab never shown has none to draw)."""
        return [self._made[name] for name in LIVE if name in self._made]

    def set_paused(self, paused: bool) -> None:
        """A paused run is plain to see: a sign before the header line (the plots keep what they showed)."""
        self.paused.setVisible(paused)

    def set_history(self, history: RunHistory | None) -> None:
        self.history = history
        if "results" in self._made:
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
        # the Compare tab draws its own runs, not the history: when seen (and on its timer), once made
        if "compare" in self._made and self.compare.isVisible():
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

    def describe_document(self, has_data: bool, has_runs: bool) -> None:
        """What the open document has, for the header to say while no run is on display: a document with data
        and runs of its own was told "No run yet: choose data". Until told, the header assumes nothing."""
        self.document_state = (bool(has_data), bool(has_runs))
        self._set_header()

    def header_text(self) -> str:
        history = self.history
        if history is None:
            if self.document_state is None:
                return "No run yet: choose data, then Training ▸ Start."
            has_data, has_runs = self.document_state
            if has_runs:
                return "No run on display: open one in the Runs dock, or Training ▸ Start (F5) to train."
            if has_data:
                return "No run yet: Training ▸ Start (F5) to train."
            return "No run yet: choose data (Data dock), then Training ▸ Start (F5)."
        parts = [f"<b>{html.escape(history.name)}</b>"]  # rich text: a document named "<i>" stays a name
        if history.started is not None:
            parts.append(f"device {history.started.device}")
        step = history.last_step
        if step is not None:
            parts.append(f"epoch {step.epoch}, step {step.step}/{step.steps_per_epoch}, loss {step.loss:.4g}")
        if history.finished is not None:
            f = history.finished
            words, message = ending(f.status, f.message)
            parts.append(f"<b>{words}</b>: {html.escape(message)}")
        return " · ".join(parts)

    def show_compare(self) -> None:
        """Brings the Compare tab to the front (the runs it shows come from ``compare.set_runs``)."""
        self.show_tab("compare")

    def show_block(self, name: str) -> bool:
        """Brings the plots of block ``name`` forward (gates, attention or its gradient curve)."""
        history = self.history
        if history is None:
            return False
        if name in history.gates:
            self.gates.select(name)
            self.show_tab("gates")
        elif name in history.hidden:  # a plain RNN: no gates, its hidden state
            self.hidden.select(name)
            self.show_tab("hidden")
        elif name in history.attention:
            self.attention.select(name)
            self.show_tab("attention")
        elif name in history.block_norms or name in history.time_grads:
            self.show_tab("gradients")
        else:
            return False
        self.grad_norms.highlight = name
        self.grad_norms.refresh(force=True)
        self.blockShown.emit(name)
        return True
