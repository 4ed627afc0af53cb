"""BackgroundCall: runs one engine function (preparing data, loading a checkpoint) off the GUI thread.

The result or the error message comes back as a signal in the GUI thread; the window never waits on it. A call made
while the launching window waits for its first paint starts after it (gui.first_paint).
"""
from __future__ import annotations

from typing import Any, Callable

from PySide6.QtCore import QObject, QThread, Signal

from .. import garbage
from ..first_paint import after_first_paint, waiting


class _CallThread(QThread):
    ended = Signal(object)  # self; emitted last in run()

    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.result: Any = None
        self.error: str | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except Exception as err:  # noqa: BLE001 - every failure reaches the panel as a message
            self.error = str(err) or type(err).__name__
        self.ended.emit(self)


class BackgroundCall(QObject):
    """``call(fn)`` runs ``fn()`` in a thread; ``done(result)`` or ``failed(message)`` follows. A newer call
    supersedes an older one: the older result is dropped when it arrives."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._threads: list[_CallThread] = []
        self._latest: _CallThread | None = None
        self._closed = False  # after close(): no new thread may start (one left running at exit aborts Qt)
        self._pending: Callable[[], Any] | None = None  # the latest call made before the window's first paint

    @property
    def busy(self) -> bool:
        return self._latest is not None or self._pending is not None

    def call(self, fn: Callable[[], Any]) -> None:
        if self._closed:
            return  # the window is closing: a check scheduled before it is not wanted any more
        if waiting():  # superseded calls never start: only the latest runs once the window has painted
            if self._pending is None:
                after_first_paint(self, self._start_pending)
            self._pending = fn
            return
        self._start(fn)

    def _start_pending(self) -> None:
        fn, self._pending = self._pending, None
        if fn is not None and not self._closed:
            self._start(fn)

    def _start(self, fn: Callable[[], Any]) -> None:
        thread = _CallThread(fn)
        self._threads.append(thread)
        self._latest = thread
        # A bound method of this (GUI-thread) object: the slot runs queued in the GUI thread. A lambda
        # would run in the worker thread, racing the GUI on the thread list and the panels.
        thread.ended.connect(self._finished)
        garbage.hold()  # no collection in this thread (gui.garbage)
        thread.start()

    def _finished(self, thread: _CallThread) -> None:
        if thread not in self._threads:
            return  # already delivered by wait()
        self._threads.remove(thread)
        garbage.release()
        thread.wait()  # "ended" is its last act: this returns at once
        thread.deleteLater()
        if thread is not self._latest:
            return
        self._latest = None
        if thread.error is not None:
            self.failed.emit(thread.error)
        else:
            self.done.emit(thread.result)

    def close(self, timeout_ms: int = 60000) -> bool:
        """Waits for the calls in flight and refuses new ones (closing the window: a QThread still running when
        the application exits aborts it, and a debounced check may fire after the window closed)."""
        self._closed = True
        return self.wait(timeout_ms)

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Blocks until every call ended and delivers the latest result (tests, closing); a call waiting for the
        first paint starts now (none once closed)."""
        self._start_pending()
        ok = all(t.wait(timeout_ms) for t in list(self._threads))
        for thread in list(self._threads):
            self._finished(thread)
        return ok
