"""Shared setup for the training-side window tests: the studio window with its training half, small example runs."""
from __future__ import annotations

import gc
import tempfile
import time
from pathlib import Path


from engine.document import load_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def make_window(document):
    """The studio's main window showing ``document``, with its training half (``window.training``).

    Settings and crash-recovery files go beside the document (a test's tmp_path), and the unsaved-changes
    question is answered "discard" so that closing never waits on a dialog."""
    from PySide6.QtCore import QSettings

    from gui.main_window import MainWindow

    folder = Path(document.path).parent if document.path else None
    if folder is None or folder.resolve() == EXAMPLES.resolve():  # never write settings into the examples
        folder = Path(tempfile.mkdtemp(prefix="rnn-studio-test-"))
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, recovery_dir=folder / "recovery")
    window.ask_unsaved = lambda *args: "discard"
    window.show_error = lambda *args: None
    window.set_document(document)
    return window


def release(window) -> None:
    """Test teardown: no training thread left behind, and nothing unsaved, so that closing and deleting the
    window asks nothing and emits no late "modified" signals into a half-deleted window."""
    window.training.shutdown()
    window.undo_stack.setClean()


def small_example(name: str, tmp_path, samples: int = 256, length: int = 20):
    """An example document saved under tmp_path (so runs go to tmp_path/runs) with a small adding dataset."""
    document = load_document(EXAMPLES / f"{name}.json")
    document.data = {**document.data, "options": {"length": length, "samples": samples}}
    document.path = Path(tmp_path) / f"{name}.json"
    return document


def settings(window, **values) -> None:
    """Sets the training panel's widgets (as a user would) from keyword values."""
    panel = window.training.training_panel
    config = panel.config().to_dict()
    config.update(values)
    panel.set_config(config)


def wait_until(qtbot, predicate, timeout: float = 30.0) -> None:
    qtbot.waitUntil(predicate, timeout=int(timeout * 1000))


class LatencyProbe:
    """Measures how late a 10 ms QTimer fires: the event loop's latency while something else runs."""

    def __init__(self, interval_ms: int = 10):
        from PySide6.QtCore import QTimer

        self.interval = interval_ms / 1000
        self.delays: list[float] = []
        self._last = None
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def start(self) -> None:
        # The studio freezes its heap once torch is loaded (gui.torch_loader), so that a full garbage collection
        # scans only later objects. This process also holds every earlier test's objects (~500,000: 0.5-0.9 s
        # per full collection measured under load), which no window has: measure with them frozen as well.
        gc.collect()
        gc.freeze()
        self._last = time.perf_counter()
        self.timer.start()

    def stop(self) -> None:
        # Left frozen: gc.unfreeze() would also thaw the heap conftest froze at the start of the session, and
        # every later GUI test's teardown collection would scan it all again (0.4-0.6 s each, measured).
        self.timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.delays.append(max(0.0, now - self._last - self.interval))
        self._last = now

    def percentile(self, q: float) -> float:
        ordered = sorted(self.delays)
        if not ordered:
            return 0.0
        return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]
