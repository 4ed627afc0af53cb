"""While a background thread of the window runs, Python's garbage collector runs in the GUI thread only.

An automatic collection runs in whichever thread happens to allocate past the threshold: in the trainer's
thread, most of the time, during a run. Unreachable Qt objects (a closed dialog, a timer whose slot refers back
to its owner) are then destroyed in that thread, which Qt forbids; it deadlocked the window (seen: the
trainer's collection destroying a QObject waited for the GIL while the GUI thread held it, waiting on that
object's mutex). Every thread the window starts is held (``hold()`` before it starts, ``release()`` once it
ended): while any is, automatic collection is off and pyqtgraph's GarbageCollector collects the generations
that are due on a QTimer of the GUI thread. With none running, Python collects as usual. torch.compile's own
collection after each compile (torch.export and the ONNX export run one in their thread) is turned off.
"""
from __future__ import annotations

import gc
import os
import sys

_collector = None
_held = 0
_DYNAMO_GC = "TORCH_DYNAMO_RUN_GC_AFTER_COMPILE"


def hold() -> None:
    """A background thread is about to start (call in the GUI thread)."""
    global _collector, _held
    _held += 1
    if _held > 1:
        return
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=1.0)  # disables automatic collection, starts its timer
        os.environ.setdefault(_DYNAMO_GC, "0")  # read when torch._dynamo is imported (in the background)...
    else:
        gc.disable()
        _collector.timer.start()
    if "torch._dynamo" in sys.modules:  # ...or set where it was imported already
        sys.modules["torch._dynamo"].config.run_gc_after_compile = False


def release() -> None:
    """A background thread has ended (call in the GUI thread)."""
    global _held
    if _held == 0:
        return
    _held -= 1
    if _held == 0 and _collector is not None:
        _collector.timer.stop()
        _collector.check()  # what came due meanwhile
        gc.enable()


def held() -> int:
    """How many background threads are running now."""
    return _held
