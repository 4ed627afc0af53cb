"""Shared test setup: Qt runs offscreen in every test, so the suite needs no display."""
import faulthandler
import gc
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

try:
    import fcntl
except ImportError:  # Windows: tests run side by side there
    fcntl = None


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
def _alone_tests_run_alone(request, tmp_path_factory):
    """Under pytest-xdist, a test marked ``alone`` (it measures the window's latency in wall time) runs while no
    other worker runs a test: a neighbour training on the other core made a 10 ms timer 0.5 s late. Other tests
    share a file lock; an ``alone`` test takes it exclusively. It holds a second lock (a turnstile) while it
    waits, which every test passes through first, so a steady stream of shared holders cannot starve it."""
    if "PYTEST_XDIST_WORKER" not in os.environ or fcntl is None:
        yield
        return
    root = tmp_path_factory.getbasetemp().parent  # one folder for all workers of this run
    alone = request.node.get_closest_marker("alone") is not None
    with open(root / "alone.turnstile", "a") as turnstile, open(root / "alone.lock", "a") as lock:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_EX if alone else fcntl.LOCK_SH)
        if not alone:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            fcntl.flock(turnstile, fcntl.LOCK_UN)


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
    gc.freeze()  # as the studio does once torch is loaded: collections skip the startup heap (0.3 s -> ~0)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item):
    """After a GUI test, once pytest-qt has closed its widgets: the widgets it closed are deleted and the test's
    cyclic garbage is collected now. Tests build scenes and views without a parent, so Python owns them and a
    collection destroys them. Left to an automatic collection, that could come in the middle of a later test's
    paint event: full runs segfaulted inside a view's paint (GraphScene.drawBackground, at test 832) in 4 of 7
    runs. The studio itself parents its scenes and views to the window and deletes them with deleteLater."""
    result = yield
    if "qtbot" in item.fixturenames:
        from PySide6.QtCore import QCoreApplication, QEvent

        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        # What survived is alive: frozen, the next test's collection scans only that test's objects. Unfrozen,
        # the heap of every earlier test was scanned again each time (0.5-1 s per GUI test late in a run).
        gc.freeze()
    return result
