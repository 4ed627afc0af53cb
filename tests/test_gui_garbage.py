"""While the window's background threads run, garbage collection never runs in them: an unreachable Qt object
is destroyed in the GUI thread (gui.garbage), however much the trainer's thread allocates."""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from gui import garbage


class _Tracked(QObject):
    died_in: list[str] = []

    def __init__(self):
        super().__init__()
        self.cycle = self  # only the collector can free it

    def __del__(self):
        _Tracked.died_in.append(threading.current_thread().name)


_kept: list = []


def _allocate():  # far past every generation's threshold, as a training loop does (kept: they count)
    _kept.extend([] for _ in range(200_000))


def test_cyclic_qt_garbage_dies_in_the_gui_thread_not_in_a_busy_worker(qtbot):
    assert gc.isenabled() and garbage.held() == 0
    garbage.hold()
    try:
        assert not gc.isenabled()
        _Tracked.died_in.clear()
        _Tracked()
        worker = threading.Thread(target=_allocate, name="busy-worker")
        worker.start()
        worker.join()
        assert _Tracked.died_in == []
        qtbot.waitUntil(lambda: bool(_Tracked.died_in), timeout=5000)  # the collector's 1 s timer
        assert _Tracked.died_in == [threading.current_thread().name]
    finally:
        _kept.clear()
        garbage.release()
    assert gc.isenabled() and garbage.held() == 0  # no thread running: Python collects as usual


def test_every_background_thread_of_the_window_is_held_while_it_runs(qtbot):
    from gui.training.background import BackgroundCall

    call = BackgroundCall()
    started = threading.Event()
    go = threading.Event()

    def work():
        started.set()
        go.wait(5)
        return 42

    with qtbot.waitSignal(call.done, timeout=10000):
        call.call(work)
        started.wait(5)
        assert garbage.held() == 1 and not gc.isenabled()
        go.set()
    assert garbage.held() == 0 and gc.isenabled()


def test_torch_compile_does_not_collect_in_an_export_thread(qtbot):
    import torch._dynamo

    garbage.hold()
    garbage.release()
    assert torch._dynamo.config.run_gc_after_compile is False
