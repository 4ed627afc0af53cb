"""TrainingController: the training half of the window. It owns the Data, Training, Runs and Try-it panels,
the dashboard, their docks, the training worker and the Training menu's actions; the window creates it.

It follows the document the window gives it (set_document), starts runs on a snapshot, shows progress and
faults, shows the plots of a block clicked on the canvas, and stops a run before the window closes.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QObject, QStandardPaths, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QMainWindow, QMenu, QScrollArea

from engine.document import DocumentError
from engine.training.config import ConfigError, TrainingConfig
from engine.training.events import ActivationProbe, RunFinished, StepMetrics
from engine.training.runs import Run, default_root, latest_trained_run

from ..commands import DocumentSections, MacroCommand, SetParamCommand, SetSectionCommand
from ..dashboard import DashboardWidget, RunHistory
from ..dashboard.history import ending
from ..dock_tabs import hide_stray_tab_bars
from ..plain_text import ask, plain
from ..start_page import is_bundled_example
from ..torch_loader import torch_needed
from .data_panel import DataPanel
from .fit_model import FitModel
from .runs_panel import RunsPanel
from .settings_panel import TrainingPanel
from .try_panel import TryPanel
from .worker import TrainingWorker


DASHBOARD_TITLE = "Dashboard"


class TrainingController(QObject):
    """``history`` is the live (or reopened) run on display; ``docks`` maps data, training, runs, try and
    dashboard to their dock widgets (the window places them); ``actions`` the Training menu's actions."""

    runFinished = Signal(object)  # RunFinished, after the panels were updated
    dashboardShown = Signal()  # a run, a reopened run or runs to compare came to the front (the window makes room)

    def __init__(self, window: QMainWindow, undo_stack: QUndoStack,
                 select_block: Callable[[str], None] | None = None):
        super().__init__(window)
        self.window = window
        self.undo_stack = undo_stack
        self._select_block = select_block or (lambda _block_id: None)
        self.sections = DocumentSections(self)  # announces undoable changes of the data and training sections
        self.fit = FitModel(self.sections, self)  # whether the graph and its data agree (Problems, Data dock)
        self.dashboard = DashboardWidget()
        self.training_panel = TrainingPanel(undo_stack, self.sections)
        self.runs_panel = RunsPanel()
        self.data_panel = DataPanel(undo_stack, self.sections, self.fit)
        self.data_panel.fixRequested.connect(self.apply_fixes)
        self.try_panel = TryPanel()
        self.worker = TrainingWorker(self)
        self.history: RunHistory | None = None
        self.run_root: Path | None = None  # None: <document dir>/runs (or the app data folder if unsaved)
        self.data_override = None  # a prepared data object for the next runs (tests, previews)
        self.confirm_close = self._ask_close  # replaced in tests: the question is modal
        self.last_finished: RunFinished | None = None
        self._document = None
        self._graph = None
        self._scene = None
        self._live_source = None  # (document, graph the run trained) of the run whose wire statistics may show
        self._layout_before_focus = None  # the window's dock state while the dashboard is in focus mode
        self.worker.eventsReady.connect(self._on_events)
        self.worker.runFinished.connect(self._on_finished)
        self.worker.stateChanged.connect(self._on_state)
        self.worker.failed.connect(lambda text: self.training_panel.show_message(text, error=True))
        self.training_panel.startRequested.connect(self.start)
        self.training_panel.pauseToggled.connect(self.toggle_pause)
        self.training_panel.stopRequested.connect(self.stop)
        self.runs_panel.openRequested.connect(self.show_history)
        self.runs_panel.runsSelected.connect(self._compare_runs)
        self.runs_panel.compareRequested.connect(self.show_compare)
        self.docks = {key: self._dock(title, widget, key, scroll=widget is not self.training_panel)
                      for key, title, widget in (
            ("data", "Data", self.data_panel), ("training", "Training", self.training_panel),
            ("runs", "Runs", self.runs_panel), ("try", "Try it", self.try_panel),
            ("dashboard", DASHBOARD_TITLE, self.dashboard))}
        self.actions = self._make_actions()
        self.state_label = plain(QLabel(""))  # the run's state, always in sight in the status bar
        window.statusBar().addPermanentWidget(self.state_label)
        self._on_state("idle")
        app = QApplication.instance()
        if app is not None:  # quitting by any path stops a run first (a running QThread must not be destroyed)
            app.aboutToQuit.connect(self.shutdown)

    def _compare_runs(self, runs: list) -> None:
        self.dashboard.compare.set_runs(runs)  # the Compare tab is made at its first use, not when connecting

    def _dock(self, title: str, widget, key: str, scroll: bool = True) -> QDockWidget:
        dock = QDockWidget(title, self.window)
        dock.setObjectName(f"dock_{key}")  # saveState/restoreState find docks by object name
        if not scroll:  # the panel scrolls its own long part and keeps its buttons in sight
            dock.setWidget(widget)
            return dock
        # A panel's minimum size must not force the window larger than a small screen: it scrolls instead.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # panels shrink to the dock
        scroll.setWidget(widget)
        dock.setWidget(scroll)
        return dock

    def _make_actions(self) -> dict[str, QAction]:
        actions = {}
        for key, text, shortcut, slot in (
                ("start", "&Start training", "F5", self.start),
                ("pause", "&Pause / resume", "F6", self.toggle_pause),
                ("stop", "S&top", "Shift+F5", self.stop),
                ("export", "&Export model…", "Ctrl+E", self.open_export),
                ("focus", "&Dashboard focus mode", "F11", self.toggle_dashboard_focus)):
            action = QAction(text, self.window)
            action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(slot)
            self.window.addAction(action)  # shortcuts work wherever the focus is in the window
            actions[key] = action
        return actions

    def fill_menu(self, menu: QMenu) -> None:
        """The Training menu: run control, export and the training docks' toggles."""
        menu.addActions([self.actions[k] for k in ("start", "pause", "stop")])
        menu.addSeparator()
        menu.addAction(self.actions["export"])
        menu.addSeparator()
        for dock in self.docks.values():
            menu.addAction(dock.toggleViewAction())

    def toggle_dashboard_focus(self) -> None:
        """Focus mode: the dashboard leaves the dock area as its own window covering the studio's, so every
        plot gets the room it needs (as MATLAB's training progress window); again to dock it back."""
        dock = self.docks["dashboard"]
        if dock.isFloating():
            dock.setWindowTitle(DASHBOARD_TITLE)
            dock.setFloating(False)
            if self._layout_before_focus is not None:
                # Docking back alone appends the dashboard behind its tab group's other docks and lets the strip
                # take another height: the layout from before focus mode puts it back where it was, in front.
                self.window.restoreState(self._layout_before_focus)
                self._layout_before_focus = None
                hide_stray_tab_bars(self.window)
            dock.show()
            dock.raise_()
            return
        self._layout_before_focus = self.window.saveState()
        # The window covering the studio's has no menu: its title says the way back
        dock.setWindowTitle(f"{DASHBOARD_TITLE} — focus mode: {self.actions['focus'].shortcut().toString()} docks it back")
        dock.show()
        dock.setFloating(True)
        dock.setGeometry(self.window.geometry())
        dock.raise_()
        dock.activateWindow()

    def open_export(self) -> None:
        with torch_needed(self.window, "export"):  # the export formats import torch: not when the window starts
            from .export_dialog import ExportDialog
        ExportDialog(self, self.window).open()

    # ------------------------------------------------------------------ document and canvas
    def set_document(self, document, scene=None) -> None:
        """Follows ``document`` (and its canvas scene): every panel shows it, nothing of the previous one."""
        if self._graph is not None:
            self._graph.events.changed.disconnect(self._on_graph_changed)
            self._graph = None
        if self._scene is not None:
            try:
                self._scene.selectionChanged.disconnect(self._on_selection)
            except (RuntimeError, TypeError):  # the old scene was already deleted
                pass
        self._document, self._scene = document, scene
        if scene is not None:
            scene.selectionChanged.connect(self._on_selection)
        if document is None:
            return
        self._graph = document.graph
        self._graph.events.changed.connect(self._on_graph_changed)
        if not self.worker.is_running:  # the live run keeps its plots; its document stays on screen
            self.history = None
            self.last_finished = None
            self.dashboard.set_history(None)
            self.training_panel.reset()
        self.training_panel.set_document(document)
        for panel in (self.data_panel, self.try_panel):
            panel.set_document(document)
        root = self.runs_root()
        self.runs_panel.set_document(document, root)
        latest = latest_trained_run(getattr(document, "path", None), root)
        self.try_panel.offer_run(latest.path if latest is not None else None)
        self.dashboard.describe_document(bool(getattr(document, "data", None)), latest is not None)
        self.fit.set_document(document)
        self._show_live_values()

    def focus_setting(self, path: str) -> None:
        """Brings the dock that holds setting ``path`` forward with its editor focused (``training.<name>``, or
        ``data``/``data.options.<name>``: the Data dock's editor for a data problem)."""
        section, _, name = path.partition(".")
        if section in ("training", "data"):
            dock = self.docks[section]
            dock.show()
            dock.raise_()
        if section == "training":
            self.training_panel.focus_setting(name)
        elif section == "data":
            editor = self.data_panel.focus_setting(name)
            area = self.docks["data"].widget()  # the Data dock scrolls: bring the editor into sight
            if isinstance(area, QScrollArea):
                QTimer.singleShot(0, lambda: area.ensureWidgetVisible(editor, 0))

    def apply_fixes(self, fixes, text: str = "Fit the graph to the data") -> int:
        """Applies the fixes of fit problems as one undo step: block parameters through SetParamCommand,
        data binding entries through one SetSectionCommand. Returns how many edits it made."""
        document = self._document
        if document is None or not fixes:
            return 0
        graph, macro, data = document.graph, MacroCommand(text), copy.deepcopy(document.data)
        count = 0
        for fix in fixes:
            if fix.kind == "param":
                node = graph.by_name(fix.block)
                if node is not None and node.params.get(fix.param) != fix.value:
                    SetParamCommand(graph, node.id, fix.param, fix.value, parent=macro)
                    count += 1
            else:
                place = data
                for key in fix.path[:-1]:
                    place = place.setdefault(key, {})
                place[fix.path[-1]] = copy.deepcopy(fix.value)
                count += 1
        if data != document.data:
            SetSectionCommand(document, "data", data, self.sections, parent=macro)
        if count:
            self.undo_stack.push(macro)
        return count

    def _on_graph_changed(self) -> None:
        if self.worker.is_running:
            self.training_panel.show_snapshot_notice(True)

    def _on_selection(self) -> None:
        scene, graph = self._scene, self._graph
        try:
            ids = scene.selected_node_ids()
        except RuntimeError:  # the scene was deleted with its document
            return
        if len(ids) == 1 and graph is not None and ids[0] in graph.nodes and self.history is not None:
            if self.dashboard.show_block(graph.nodes[ids[0]].name):
                self.docks["dashboard"].raise_()  # in case it sits behind another tabified dock
        edges = scene.selected_edges() if not ids else []
        live = scene.live_value_text(edges[0]) if len(edges) == 1 else None
        if live:  # a clicked wire says what a hover says: the tensor's latest numbers, in the status bar
            self.window.statusBar().showMessage(live, 15000)

    # ------------------------------------------------------------------ run control
    @property
    def document(self):
        return self._document

    def default_run_root(self) -> Path | None:
        """Where the document's runs and experiments go: None for the engine's default, ``runs`` beside the
        document; the application's data folder for an unsaved document or a bundled example (the install's
        examples folder is not the user's: it may be read-only, and others would see these runs there)."""
        if self.run_root is not None:
            return Path(self.run_root)
        path = getattr(self._document, "path", None)
        if path is not None and not is_bundled_example(path):
            return None
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(base or Path.home() / ".rnn-studio") / "runs"

    def runs_root(self) -> Path | None:
        """The folder whose runs the Runs dock lists and Try it offers (None: an unsaved document's, which are
        listed as they finish)."""
        root = self.default_run_root()
        path = getattr(self._document, "path", None)
        if root is None and path is not None:
            return default_root(Path(path).resolve())
        return root if path is not None else None

    def start(self) -> bool:
        """Starts training a snapshot of the document with the document's settings."""
        document = self._document
        if document is None or self.worker.is_running:
            return False
        try:
            config = TrainingConfig.from_dict(document.training)
        except (ConfigError, TypeError) as err:
            self.training_panel.show_message(str(err), error=True)
            return False
        if self.fit.problems:  # known before anything loads: say so instead of failing a run
            first = self.fit.problems[0]
            more = f" (and {len(self.fit.problems) - 1} more)" if len(self.fit.problems) > 1 else ""
            text = f"Not started: {first.message}{more}. See Problems" + (" (Fix applies the change)."
                                                                          if first.fixes else ".")
            self.training_panel.show_message(text, error=True)
            self.window.statusBar().showMessage(text, 10000)
            return False
        name = Path(document.path).stem if document.path else "untitled"
        self.history = RunHistory(name)
        self.dashboard.set_history(self.history)
        self.training_panel.show_message("")
        self.training_panel.show_snapshot_notice(False)
        self.last_finished = None
        self._bring_dashboard_forward()
        started = self.worker.start(document, config, run_root=self.default_run_root(), data=self.data_override,
                                    cuda_index=self.training_panel.cuda_index())
        # The wires show this run's statistics from its first probe on, measured on the trainer's snapshot.
        self._live_source = (document, self.worker.trainer.document.graph) if started else None
        self._show_live_values()
        return started

    def toggle_pause(self) -> None:
        if self.worker.state == "paused":
            self.worker.resume()
        else:
            self.worker.pause()

    def pause(self) -> None:
        self.worker.pause()

    def resume(self) -> None:
        self.worker.resume()

    def stop(self) -> None:
        self.worker.stop()

    def show_compare(self, runs) -> None:
        """Overlays ``runs`` [(label, run folder)] in the dashboard's Compare tab and brings it forward."""
        self.dashboard.compare.set_runs(runs)
        self.dashboard.show_compare()
        self._bring_dashboard_forward()

    def _bring_dashboard_forward(self) -> None:
        self.docks["dashboard"].show()
        self.docks["dashboard"].raise_()  # the window may keep it tabbed behind other docks
        self.dashboardShown.emit()

    def show_history(self, history: RunHistory) -> None:
        """Shows a reopened run (only when no run is in progress: the live run keeps the dashboard)."""
        if self.worker.is_running:
            self.training_panel.show_message("a run is in progress: stop it to look at another run", error=True)
            return
        self.history = history
        self.dashboard.set_history(history)
        if history.run_dir is not None and Run(history.run_dir).weights() is not None:
            self.try_panel.set_run(history.run_dir)  # the run looked at is the one to try
        self._live_source = self._reopened_source(history)
        self._show_live_values()
        self._bring_dashboard_forward()

    # ------------------------------------------------------------------ live values on the canvas's wires
    def _reopened_source(self, history: RunHistory):
        """(document, the run's snapshot graph) when a reopened run was trained from the open document's file;
        None otherwise (another document's numbers must not appear on this one's wires)."""
        document = self._document
        if history.run_dir is None or document is None or document.path is None:
            return None
        run = Run(history.run_dir)
        try:
            source = run.read_status().get("document")
            if not source or Path(source).resolve() != Path(document.path).resolve():
                return None
            return document, run.read_document().graph
        except (OSError, ValueError, DocumentError):  # an unreadable snapshot: its numbers cannot be placed on wires
            return None

    def _show_live_values(self) -> None:
        """Hands the shown run's latest wire statistics to the canvas (hovering an edge shows them) when that
        run trained this document; otherwise the wires show none."""
        scene, history, source = self._scene, self.history, self._live_source
        probe = history.activations if history is not None else None
        if scene is None:
            return
        try:
            if probe is None or source is None or source[0] is not self._document:
                scene.set_live_values(None)
            else:
                scene.set_live_values(probe.stats, probe.step, source[1])
        except RuntimeError:  # the scene was deleted with its document
            pass

    # ------------------------------------------------------------------ worker signals
    def _on_events(self, events: list) -> None:
        if self.history is None:
            return
        self.history.add_all(events)
        if any(isinstance(e, ActivationProbe) for e in events):
            self._show_live_values()
        step = next((e for e in reversed(events) if isinstance(e, StepMetrics)), None)
        if step is not None and self.history.started is not None:
            self.training_panel.update_progress(step, self.history.started.epochs)

    def _on_state(self, state: str) -> None:
        self.training_panel.set_state(state)
        self.dashboard.set_paused(state == "paused")
        self.state_label.setText({"running": "Training…", "paused": "Paused (F6 resumes)",
                                  "stopping": "Stopping…"}.get(state, ""))
        self.state_label.setStyleSheet("background: #ffe08a; color: #5a4500; padding: 0 6px;"
                                       if state == "paused" else "")
        running = state in ("running", "paused", "stopping")
        self.actions["start"].setEnabled(not running)
        self.actions["pause"].setEnabled(state in ("running", "paused"))
        self.actions["stop"].setEnabled(state in ("running", "paused"))
        if state in ("paused", "stopping"):
            self.window.statusBar().showMessage(f"training {state}", 3000)

    def _on_finished(self, event: RunFinished) -> None:
        self.last_finished = event
        failed = event.status == "failed"
        where = f" (block '{event.block}')" if event.block else ""
        words, message = ending(event.status, event.message)
        text = f"Run {words}{where}: {message}"
        self.training_panel.show_message(text, error=failed)
        self.training_panel.finish_progress(event.status)
        self.window.statusBar().showMessage(text, 10000)
        if failed and event.block and self._graph is not None:
            node = self._graph.by_name(event.block)
            if node is not None:
                self._select_block(node.id)  # point at the block whose gradient blew up
        self.dashboard.redraw(force=True)
        if event.run_dir and self.history is not None:
            self.history.run_dir = Path(event.run_dir)
            self.dashboard.results.show_run(event.run_dir)
        if event.run_dir:
            self.runs_panel.add_run(event.run_dir, self.history)
            self.try_panel.set_run(event.run_dir)
        self.runFinished.emit(event)

    # ------------------------------------------------------------------ closing the window
    def _ask_close(self) -> bool:
        return ask(self.window, "Training in progress", "A run is in progress. Stop it and close the window?\n"
                                                        "The last checkpoint and the run log are kept.")

    def may_close(self) -> bool:
        """Asked by the window before it closes: False keeps it open (the user wants the run to go on)."""
        return not self.worker.is_running or self.confirm_close()

    def shutdown(self) -> None:
        """Stops a run and waits for its thread and the panels' background work, starting none after it (the
        window closes, the application quits or a test ends: a QThread still running at exit aborts)."""
        if self.worker.is_running:
            self.worker.stop()
            self.worker.wait(60000)
        for call in (self.data_panel.background, self.fit.background, self.try_panel.loader,
                     self.try_panel.work):
            call.close(60000)
