"""ExperimentWorker: runs ``Experiment.prepare`` and ``Experiment.run`` in a QThread and brings its events to the
GUI thread: the thread only puts them in a queue, a QTimer drains it (the window never waits on the experiment).
"""
from __future__ import annotations

import queue
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from .. import garbage

if TYPE_CHECKING:
    from engine.experiments import Experiment


class Prepared:
    """Queued once the folder and the study exist (trials.csv lists every trial): ``folder``, ``plan``."""

    def __init__(self, folder, plan):
        self.folder, self.plan = folder, plan


class _ExperimentThread(QThread):
    def __init__(self, experiment: Experiment, events: queue.SimpleQueue):
        super().__init__()
        self.experiment, self.events = experiment, events
        self.result = None
        self.error: str | None = None
        self.error_where: str | None = None

    def run(self) -> None:
        from engine.experiments import ExperimentError

        try:
            folder = self.experiment.prepare()  # plans (every variant analysed) first: bad input ends here
            self.experiment.write_table()  # the table lists every queued trial before the first one trains
            self.events.put(Prepared(folder, self.experiment.plan()))
            if not self.experiment.stopping:
                self.result = self.experiment.run(self.events.put)
        except ExperimentError as err:
            self.error, self.error_where = str(err), err.where
        except Exception as err:  # noqa: BLE001 - an unexpected failure reaches the dock as one line
            self.error = f"{type(err).__name__}: {err}"
            self.trace = traceback.format_exc()
        finally:
            from engine.experiments.gui_support import end_workers

            end_workers(self.experiment)  # nothing outlives the run, however slowly a worker exits


class ExperimentWorker(QObject):
    """One experiment at a time. ``eventsReady(list)`` brings the engine's events (and ``Prepared``) in order;
    ``finished(result, error, where)`` follows exactly once (result: ExperimentResult or None; error: one line or
    ""); ``stateChanged(str)``: running, paused, stopping, idle."""

    eventsReady = Signal(list)
    finished = Signal(object, str, str)
    stateChanged = Signal(str)

    def __init__(self, parent: QObject | None = None, drain_ms: int = 100):
        super().__init__(parent)
        self.experiment: Experiment | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: _ExperimentThread | None = None
        self._state = "idle"
        self._timer = QTimer(self)
        self._timer.setInterval(drain_ms)
        self._timer.timeout.connect(self.drain)

    @property
    def state(self) -> str:
        return self._state

    @property
    def is_running(self) -> bool:
        return self._thread is not None

    def _set_state(self, state: str) -> None:
        if state != self._state:
            self._state = state
            self.stateChanged.emit(state)

    def start(self, experiment: Experiment) -> bool:
        if self._thread is not None:
            return False
        self.experiment = experiment
        self._queue = queue.SimpleQueue()
        self._thread = _ExperimentThread(experiment, self._queue)
        self._thread.finished.connect(self._on_thread_finished)
        garbage.hold()  # no collection in this thread (gui.garbage)
        self._thread.start()
        self._timer.start()
        self._set_state("running")
        return True

    def pause(self) -> None:
        if self.experiment is not None and self._state == "running":
            self.experiment.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self.experiment is not None and self._state == "paused":
            self.experiment.resume()
            self._set_state("running")

    def stop(self) -> None:
        """Workers end after their current step; finished trials are kept, the others stay queued."""
        if self.experiment is not None and self._thread is not None:
            self.experiment.stop()
            self._set_state("stopping")

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Blocks until the experiment's thread ended (closing, tests); if it has not after ``timeout_ms``, the
        worker processes are terminated and it is waited for again. True when it ended."""
        thread = self._thread
        if thread is None:
            return True
        done = thread.wait(timeout_ms)
        if not done and self.experiment is not None:
            self.experiment.abort()
            done = thread.wait(15000)
        if done:
            self._on_thread_finished()
        return done

    def drain(self) -> None:
        events = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if events:
            self.eventsReady.emit(events)

    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        garbage.release()
        self._timer.stop()
        self.drain()
        self._set_state("idle")
        self.finished.emit(thread.result, thread.error or "", thread.error_where or "")
        thread.deleteLater()
