"""Shared test setup: Qt runs offscreen in every test, so the suite needs no display."""
import faulthandler
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


DEADLOCK_EXIT_S = 420  # beyond pytest-timeout's 300 s: only what that could not end


@pytest.fixture(autouse=True)
def _deadlocks_end_the_run(request):
    """A deadlock that holds the GIL (seen: a collection in the trainer's thread destroying a Qt object) stops
    every Python thread, pytest-timeout's too; faulthandler's C watchdog still prints each thread's stack and
    ends the process, so CI fails with the stacks instead of running into its 90-minute limit."""
    # pytest keeps a copy of the terminal's stderr for its own faulthandler: sys.stderr is captured here.
    from _pytest.faulthandler import fault_handler_stderr_fd_key

    fd = request.config.stash.get(fault_handler_stderr_fd_key, None) or sys.__stderr__.fileno()
    faulthandler.dump_traceback_later(DEADLOCK_EXIT_S, exit=True, file=fd)
    yield
    faulthandler.cancel_dump_traceback_later()


@pytest.fixture(autouse=True)
def _empty_clipboard_after_test():
    """Clipboard data copied in a test is cleared while Qt is alive: mime data left behind crashes
    PySide6 when the application object is torn down at interpreter exit."""
    yield
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


@pytest.fixture(scope="session", autouse=True)
def _torch_loaded_as_the_studio_preloads_it():
    """The studio imports torch and its training modules in the background after the first paint
    (gui.torch_loader.PRELOAD); tests build windows directly, so they import the same modules once here."""
    import importlib

    from gui.torch_loader import PRELOAD

    for name in PRELOAD:
        importlib.import_module(name)
