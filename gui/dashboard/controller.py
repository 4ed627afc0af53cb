"""DashboardController: wires the training worker, the run history and the panels to the main window.

It follows the window's document (documentChanged), starts runs on a snapshot, shows progress and faults,
shows the plots of a block clicked on the canvas, and asks before the window closes during a run.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QMessageBox

from engine.training import ConfigError, RunFinished, StepMetrics

from ..training import TrainingWorker
from .history import RunHistory


class DashboardController(QObject):
    """Owned by the window (``window.dashboard``). ``history`` is the live (or reopened) run on display."""

    runFinished = Signal(object)  # RunFinished, after the panels were updated

    def __init__(self, window, dashboard, training_panel, runs_panel=None, data_panel=None, try_panel=None):
        super().__init__(window)
        self.window = window
        self.dashboard, self.training_panel = dashboard, training_panel
        self.runs_panel, self.data_panel, self.try_panel = runs_panel, data_panel, try_panel
        self.worker = TrainingWorker(self)
        self.history: RunHistory | None = None
        self.run_root: Path | None = None  # None: <document dir>/runs (or the app data folder if unsaved)
        self.data_override = None  # a prepared data object for the next runs (tests, previews)
        self.confirm_close = self._ask_close  # replaced in tests: the question is modal
        self.last_finished: RunFinished | None = None
        self.docks: dict = {}  # set by install_dashboard: data, training, runs, try, dashboard
        self._graph = None
        self._document = None
        self.worker.eventsReady.connect(self._on_events)
        self.worker.runFinished.connect(self._on_finished)
        self.worker.stateChanged.connect(self._on_state)
        self.worker.failed.connect(lambda text: self.training_panel.show_message(text, error=True))
        training_panel.startRequested.connect(self.start)
        training_panel.pauseToggled.connect(self.toggle_pause)
        training_panel.stopRequested.connect(self.stop)
        if hasattr(window, "documentChanged"):
            window.documentChanged.connect(self.set_document)
        window.installEventFilter(self)
        self.set_document(getattr(window, "document", None))
        self._watch_scene(getattr(window, "scene", None))

    # ------------------------------------------------------------------ document and canvas
    def set_document(self, document) -> None:
        if self._graph is not None:
            self._graph.events.changed.disconnect(self._on_graph_changed)
            self._graph = None
        self._document = document
        if document is None:
            return
        self._graph = document.graph
        self._graph.events.changed.connect(self._on_graph_changed)
        if not self.worker.is_running:
            self.training_panel.set_config(document.training)
        for panel in (self.data_panel, self.try_panel, self.runs_panel):
            if panel is not None and hasattr(panel, "set_document"):
                panel.set_document(document)
        self._watch_scene(getattr(self.window, "scene", None))

    def _watch_scene(self, scene) -> None:
        if scene is None or getattr(self, "_scene", None) is scene:
            return
        self._scene = scene
        scene.selectionChanged.connect(self._on_selection)

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
            if self.dashboard.show_block(graph.nodes[ids[0]].name) and "dashboard" in self.docks:
                self.docks["dashboard"].raise_()  # in case it sits behind another tabified dock

    # ------------------------------------------------------------------ run control
    @property
    def document(self):
        return self._document

    def default_run_root(self) -> Path | None:
        if self.run_root is not None:
            return Path(self.run_root)
        if self._document is not None and self._document.path is not None:
            return None  # the Trainer's default: <document dir>/runs
        base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
        return Path(base or Path.home() / ".rnn-studio") / "runs"

    def start(self) -> bool:
        """Starts training a snapshot of the window's document with the panel's settings."""
        document = self._document
        if document is None or self.worker.is_running:
            return False
        try:
            config = self.training_panel.config()
        except ConfigError as err:
            self.training_panel.show_message(str(err), error=True)
            return False
        # The settings belong to the document: saving it keeps what this run used.
        document.training = config.to_dict()
        name = Path(document.path).stem if document.path else "untitled"
        self.history = RunHistory(name)
        self.dashboard.set_history(self.history)
        self.training_panel.show_message("")
        self.training_panel.show_snapshot_notice(False)
        self.last_finished = None
        if "dashboard" in self.docks:
            self.docks["dashboard"].raise_()  # the window may keep it tabbed behind other docks
        return self.worker.start(document, config, run_root=self.default_run_root(), data=self.data_override,
                                 cuda_index=self.training_panel.cuda_index())

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

    def show_history(self, history: RunHistory) -> None:
        """Shows a reopened run (only when no run is in progress: the live run keeps the dashboard)."""
        if self.worker.is_running:
            self.training_panel.show_message("a run is in progress: stop it to look at another run", error=True)
            return
        self.history = history
        self.dashboard.set_history(history)

    # ------------------------------------------------------------------ worker signals
    def _on_events(self, events: list) -> None:
        if self.history is None:
            return
        self.history.add_all(events)
        step = next((e for e in reversed(events) if isinstance(e, StepMetrics)), None)
        if step is not None and self.history.started is not None:
            self.training_panel.update_progress(step, self.history.started.epochs)

    def _on_state(self, state: str) -> None:
        self.training_panel.set_state(state)
        status = getattr(self.window, "statusBar", None)
        if callable(status) and state in ("paused", "stopping"):
            status().showMessage(f"training {state}", 3000)

    def _on_finished(self, event: RunFinished) -> None:
        self.last_finished = event
        failed = event.status == "failed"
        where = f" (block '{event.block}')" if event.block else ""
        text = f"Run {event.status}{where}: {event.message}"
        self.training_panel.show_message(text, error=failed)
        status = getattr(self.window, "statusBar", None)
        if callable(status):
            status().showMessage(text, 10000)
        if failed and event.block and self._graph is not None:
            node = self._graph.by_name(event.block) if hasattr(self._graph, "by_name") else None
            if node is not None and hasattr(self.window, "scene"):
                self.window.scene.select_nodes([node.id])  # point at the block whose gradient blew up
        self.dashboard.redraw(force=True)
        if self.runs_panel is not None and event.run_dir:
            self.runs_panel.add_run(event.run_dir, self.history)
        if self.try_panel is not None and event.run_dir and hasattr(self.try_panel, "set_run"):
            self.try_panel.set_run(event.run_dir)
        self.runFinished.emit(event)

    # ------------------------------------------------------------------ closing the window
    def _ask_close(self) -> bool:
        answer = QMessageBox.question(self.window, "Training in progress",
                                      "A run is in progress. Stop it and close the window?\n"
                                      "The last checkpoint and the run log are kept.")
        return answer == QMessageBox.StandardButton.Yes

    def eventFilter(self, obj, event) -> bool:  # noqa: N802 - Qt override
        if obj is self.window and event.type() == QEvent.Type.Close:
            if self.worker.is_running and not self.confirm_close():
                event.ignore()
                return True
            self.shutdown()
        return super().eventFilter(obj, event)

    def shutdown(self) -> None:
        """Stops a run and waits for its thread and the panels' background work (tests, application exit)."""
        if self.worker.is_running:
            self.worker.stop()
            self.worker.wait(60000)
        for panel in (self.data_panel, self.try_panel):
            for call in (getattr(panel, name, None) for name in ("background", "loader", "work")):
                if call is not None:
                    call.wait(60000)
