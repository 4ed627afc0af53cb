"""ExperimentWorker: runs ``Experiment.prepare`` and ``Experiment.run`` in a QThread and brings its events to the
GUI thread: the thread only puts them in a queue, a QTimer drains it (the window never waits on the experiment).
"""
from __future__ import annotations

import queue
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from ..background_job import BackgroundJob

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


class ExperimentWorker(BackgroundJob):
    """One experiment at a time. ``eventsReady(list)`` brings the engine's events (and ``Prepared``) in order;
    ``finished(result, error, where)`` follows exactly once (result: ExperimentResult or None; error: one line or
    ""); ``stateChanged(str)``: running, paused, stopping, idle. On ``stop()`` the workers end after their current
    step; finished trials are kept, the others stay queued."""

    eventsReady = Signal(list)
    finished = Signal(object, str, str)

    def __init__(self, parent: QObject | None = None, drain_ms: int = 100):
        super().__init__(parent, drain_ms)
        self.experiment: Experiment | None = None
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def start(self, experiment: Experiment) -> bool:
        if self.is_running:
            return False
        self.experiment = experiment
        self._queue = queue.SimpleQueue()
        self._launch(experiment, _ExperimentThread(experiment, self._queue))
        return True

    def _overdue(self, thread: _ExperimentThread) -> bool:
        """The worker processes are terminated and the thread is waited for again."""
        if self.experiment is None:
            return False
        self.experiment.abort()
        return thread.wait(15000)

    def drain(self) -> None:
        events = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                break
        if events:
            self.eventsReady.emit(events)

    def _ended_idle(self, thread: _ExperimentThread) -> None:
        self.finished.emit(thread.result, thread.error or "", thread.error_where or "")
