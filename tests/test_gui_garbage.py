"""Garbage collection never runs in a background thread once a window exists: an unreachable Qt object is
destroyed in the GUI thread (gui.garbage), however much the trainer's thread allocates."""
from __future__ import annotations

import gc
import threading

from PySide6.QtCore import QObject

from engine.document import Document
from gui.garbage import collect_in_gui_thread
from test_gui_dash_support import make_window, release


class _Tracked(QObject):
    died_in: list[str] = []

    def __init__(self):
        super().__init__()
        self.cycle = self  # only the collector can free it

    def __del__(self):
        _Tracked.died_in.append(threading.current_thread().name)


def test_cyclic_qt_garbage_dies_in_the_gui_thread_not_in_a_busy_worker(qtbot):
    window = make_window(Document())
    qtbot.addWidget(window)
    assert not gc.isenabled()  # the collector (installed by the window; here by conftest first) collects
    _Tracked.died_in.clear()
    _Tracked()

    def allocate():  # far past every generation's threshold, as a training loop does
        kept = [[] for _ in range(200_000)]
        assert len(kept) == 200_000

    worker = threading.Thread(target=allocate, name="busy-worker")
    worker.start()
    worker.join()
    assert _Tracked.died_in == []
    qtbot.waitUntil(lambda: bool(_Tracked.died_in), timeout=5000)  # the collector's 1 s timer
    assert _Tracked.died_in == [threading.current_thread().name]
    assert collect_in_gui_thread() is collect_in_gui_thread()  # one collector per process
    release(window)


def test_torch_compile_does_not_collect_in_the_export_thread(qtbot):
    import torch._dynamo

    window = make_window(Document())
    qtbot.addWidget(window)
    assert torch._dynamo.config.run_gc_after_compile is False
    release(window)
