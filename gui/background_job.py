"""BackgroundJob: the GUI-thread side of a job that runs in a QThread (a training run, an experiment).

It owns what both share: the state machine the buttons drive (running, paused, stopping, idle), the QTimer that
drains the job's events at a steady rate (the window never waits on the job), and the bookkeeping around the
thread (no garbage collection in it while it runs: gui.garbage). A subclass starts its thread with ``_launch``,
drains its own event source in ``drain`` and says how the job ended in ``_thread_ended``.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QThread, QTimer, Signal

from . import garbage


class BackgroundJob(QObject):
    """``stateChanged(str)``: "running", "paused", "stopping" or "idle". The engine object passed to ``_launch``
    (``control``) is what pause, resume and stop act on: anything with ``pause()``, ``resume()`` and ``stop()``."""

    stateChanged = Signal(str)

    def __init__(self, parent: QObject | None = None, drain_ms: int = 100):
        super().__init__(parent)
        self._control = None
        self._thread: QThread | None = None
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

    def _launch(self, control, thread: QThread) -> None:
        self._control = control
        self._thread = thread
        thread.finished.connect(self._on_thread_finished)
        garbage.hold()  # no collection in the job's thread (gui.garbage)
        thread.start()
        self._timer.start()
        self._set_state("running")

    def pause(self) -> None:
        if self._control is not None and self._state == "running":
            self._control.pause()
            self._set_state("paused")

    def resume(self) -> None:
        if self._control is not None and self._state == "paused":
            self._control.resume()
            self._set_state("running")

    def stop(self) -> None:
        """Asks the job to stop after its current step (a paused job wakes up to stop)."""
        if self._control is not None and self._thread is not None:
            self._control.stop()
            self._set_state("stopping")

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Blocks until the thread ends (closing the window, tests); True if it ended."""
        thread = self._thread
        if thread is None:
            return True
        done = thread.wait(timeout_ms)
        if not done:
            done = self._overdue(thread)
        if done:
            self._on_thread_finished()
        return done

    def _overdue(self, thread: QThread) -> bool:
        """The thread did not end within ``wait``'s time: a subclass may force it; True if it ended then."""
        return False

    def drain(self) -> None:
        """Brings the job's pending events to the GUI thread as signals."""
        raise NotImplementedError

    def _thread_ended(self, thread: QThread) -> None:
        """Called once the thread has ended and its last events were drained, before the state becomes idle."""

    def _ended_idle(self, thread: QThread) -> None:
        """Called once the state is idle."""

    def _on_thread_finished(self) -> None:
        thread = self._thread
        if thread is None:
            return
        self._thread = None
        garbage.release()
        self._timer.stop()
        self.drain()
        self._thread_ended(thread)
        self._set_state("idle")
        self._ended_idle(thread)
        thread.deleteLater()
