"""Python's garbage collector runs in the GUI thread only, on a timer, never inside a background thread.

An automatic collection runs in whichever thread happens to allocate past the threshold: in the trainer's
thread, most of the time, during a run. Unreachable Qt objects (a closed dialog, a timer whose slot refers back
to its owner) are then destroyed in that thread, which Qt forbids; it can crash or deadlock the window (a test
window stuck for 90 minutes). pyqtgraph's GarbageCollector disables automatic collection and collects the
generations that are due on a QTimer of the GUI thread instead. torch.compile's own collection after each
compile (torch.export and the ONNX export run one, in the export's background thread) is turned off too.
"""
from __future__ import annotations

import os
import sys

_collector = None
_DYNAMO_GC = "TORCH_DYNAMO_RUN_GC_AFTER_COMPILE"


def collect_in_gui_thread(interval_s: float = 1.0):
    """Installs the collector once per process (call from the GUI thread); returns it."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=interval_s)
        os.environ.setdefault(_DYNAMO_GC, "0")  # read when torch._dynamo is imported (in the background)...
        if "torch._dynamo" in sys.modules:  # ...or set now where it was imported already
            sys.modules["torch._dynamo"].config.run_gc_after_compile = False
    return _collector


def collect_due_now() -> None:
    """Collects the generations that are due, as the timer would (for code that runs no event loop)."""
    if _collector is not None:
        _collector.check()
