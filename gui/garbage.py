"""While a background thread of the window runs, Python's garbage collector runs in the GUI thread only.

An automatic collection runs in whichever thread happens to allocate past the threshold: in the trainer's
thread, most of the time, during a run. Unreachable Qt objects (a closed dialog, a timer whose slot refers back
to its owner) are then destroyed in that thread, which Qt forbids; it deadlocked the window (seen: the
trainer's collection destroying a QObject waited for the GIL while the GUI thread held it, waiting on that
object's mutex). Every thread the window starts is held (``hold()`` before it starts, ``release()`` once it
ended): while any is, automatic collection is off and a QTimer of the GUI thread collects the generations that
are due (the rule of pyqtgraph's GarbageCollector, whose import would import all of pyqtgraph before the window's
first paint: the first background check starts while the window is built). With none running, Python collects as
usual. torch.compile's own collection after each compile (torch.export and the ONNX export run one in their
thread) is turned off.
"""
from __future__ import annotations

import gc
import os
import sys

_collector = None  # the GUI thread's collection timer, made at the first hold()
_held = 0
_DYNAMO_GC = "TORCH_DYNAMO_RUN_GC_AFTER_COMPILE"


def hold() -> None:
    """A background thread is about to start (call in the GUI thread)."""
    global _collector, _held
    _held += 1
    if _held > 1:
        return
    if _collector is None:
        from PySide6.QtCore import QTimer

        _collector = QTimer()
        _collector.setInterval(1000)
        _collector.timeout.connect(collect_due)
        os.environ.setdefault(_DYNAMO_GC, "0")  # read when torch._dynamo is imported (in the background)...
    gc.disable()
    _collector.start()
    if "torch._dynamo" in sys.modules:  # ...or set where it was imported already
        sys.modules["torch._dynamo"].config.run_gc_after_compile = False


def release() -> None:
    """A background thread has ended (call in the GUI thread)."""
    global _held
    if _held == 0:
        return
    _held -= 1
    if _held == 0 and _collector is not None:
        _collector.stop()
        collect_due()  # what came due meanwhile
        gc.enable()


def collect_due() -> None:
    """Collects each generation whose allocation count passed its threshold, youngest first, as Python would."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in range(3):
        if counts[generation] <= thresholds[generation]:
            break
        gc.collect(generation)


def held() -> int:
    """How many background threads are running now."""
    return _held
