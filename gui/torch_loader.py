"""PyTorch loads in the background while the user looks at the start page; what needs it sooner waits visibly.

The window starts without torch (the catalog, canvas and shape checks need none). Right after the first paint,
``preload()`` imports torch and the engine's training, data and compile modules in a thread. A GUI action that
needs torch earlier runs inside ``torch_needed(widget)``: a busy cursor and a status-bar message while Python's
import lock makes it wait for the background import (never a silent freeze, never a second import).
"""
from __future__ import annotations

import gc
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import shiboken6

from PySide6.QtCore import QEventLoop, QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from engine.lazy import loaded

from . import garbage

# What the training half needs first: importing it here, off the GUI thread, makes Train / Data / Try it ready.
# torch._dynamo: the first run imports it (through torch.fx and the optimizers); imported here, in the background,
# a Start soon after launch does not import it in the training thread while the window is busy (GIL-starved).
PRELOAD = ("torch", "engine.compiler", "engine.training.loop", "engine.training.session", "engine.data.prepare",
           "engine.inference", "torch._dynamo")


class TorchLoader(QObject):
    """Imports ``PRELOAD`` once, in a daemon thread; ``ready(seconds)`` or ``failed(message)`` on the GUI thread."""

    ready = Signal(float)
    failed = Signal(str)

    def __init__(self, modules: tuple[str, ...] = PRELOAD, parent: QObject | None = None):
        super().__init__(parent)
        self.modules = modules
        self.seconds: float | None = None  # how long the background import took, once done
        self.error: str | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def start(self) -> None:
        """Begins the background import (once; later calls do nothing)."""
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="torch-preload", daemon=True)
        garbage.hold()  # no collection in the import thread (gui.garbage); released on ready / failed
        self.ready.connect(garbage.release)
        self.failed.connect(garbage.release)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until the background import ended (True) or ``timeout`` passed (False)."""
        return self._done.wait(timeout)

    def _run(self) -> None:
        import importlib

        started = time.perf_counter()
        try:
            for name in self.modules:
                importlib.import_module(name)
        except BaseException as err:  # noqa: BLE001 - reported: the action that needs torch shows the error itself
            self.error = f"{type(err).__name__}: {err}"
            self.failed.emit(self.error)  # queued to the GUI thread (this object lives there)...
            self._done.set()  # ...before a wait() returns, so events processed after it deliver the signal
            return
        # Torch and its compiler leave ~300,000 long-lived objects. Every full garbage collection (triggered by
        # allocations in either thread) scanned them all with the GIL held: 0.2-0.9 s measured under load, a
        # stalled window in the middle of a run. Frozen, collections scan only what came after the start.
        gc.freeze()
        self.seconds = time.perf_counter() - started
        self.ready.emit(self.seconds)
        self._done.set()


_LOADER: TorchLoader | None = None


def shared_loader(parent: QObject | None = None) -> TorchLoader:
    """The application's one TorchLoader, created if needed but not started: connect to its signals, then
    start it (with torch already loaded it is done at once, so a signal connected after start can be missed)."""
    global _LOADER
    if _LOADER is None:
        _LOADER = TorchLoader(parent=parent or QApplication.instance())
        _LOADER.ready.connect(_run_pending)
    return _LOADER


def preload(parent: QObject | None = None) -> TorchLoader:
    """The application's one TorchLoader, started (call after the window's first paint)."""
    loader = shared_loader(parent)
    loader.start()
    return loader


def loader() -> TorchLoader | None:
    """The application's TorchLoader, if ``preload`` was called."""
    return _LOADER


def when_torch_loaded(receiver: QObject, callback: Callable[[], None]) -> None:
    """Calls ``callback`` now if torch is loaded, else on the GUI thread once the background import is done
    (never, if ``receiver`` is deleted first or nothing preloads torch)."""
    if loaded("torch"):
        callback()
        return
    _pending.append((receiver, callback))


_pending: list[tuple[QObject, Callable[[], None]]] = []


def _run_pending() -> None:
    waiting, _pending[:] = list(_pending), []
    for receiver, callback in waiting:
        if shiboken6.isValid(receiver):
            callback()


@contextmanager
def torch_needed(widget: QWidget | None = None, what: str = "this") -> Iterator[None]:
    """Runs the body, which imports torch, with a busy cursor and a status message when torch is not loaded yet.

    The body's import waits on Python's import lock for a background import in progress (or imports torch
    itself); the user sees why the window does not respond for that second.
    """
    if loaded("torch") and "engine.compiler" in sys.modules:
        yield
        return
    window = widget.window() if widget is not None else QApplication.activeWindow()
    bar = window.statusBar() if isinstance(window, QMainWindow) else None
    if bar is not None:
        bar.showMessage(f"Loading PyTorch for {what}…")
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    # Paint the message and the cursor before the wait; clicks wait too (no action starts inside another).
    QApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    try:
        yield
    finally:
        QApplication.restoreOverrideCursor()
        if bar is not None and bar.currentMessage().startswith("Loading PyTorch"):
            bar.clearMessage()
