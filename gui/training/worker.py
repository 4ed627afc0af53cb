"""The QThread bridge: runs the engine's Trainer on a snapshot of the document and turns its events into signals.

The worker marshals, it never computes (DESIGN.md, 8): the thread only calls ``Trainer.run()``; a QTimer in
the GUI thread drains the EventStream at a steady rate, so the window never waits on training.
"""
from __future__ import annotations

import os
import sys
import time
import traceback
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

from engine.training.config import TrainingConfig
from engine.training.events import EventStream, RunFinished, RunStarted

from ..background_job import BackgroundJob
from ..torch_loader import torch_needed

if TYPE_CHECKING:
    from engine.training import Trainer

GUI_SWITCH_INTERVAL = 0.001  # seconds; see TrainingWorker.start


class _TrainerThread(QThread):
    """Calls ``trainer.run()`` and nothing else; a crash outside the trainer's own handling becomes a message."""

    def __init__(self, trainer: Trainer, cuda_index: int | None, cpu_threads: int | None):
        super().__init__()
        self.trainer = trainer
        self.cuda_index = cuda_index
        self.cpu_threads = cpu_threads
        self.result = None
        self.error: str | None = None

    def run(self) -> None:
        import torch

        threads = torch.get_num_threads()
        try:
            if self.cpu_threads:
                # Measured on 2 cores: with as many OpenMP threads as cores, every repaint of the window
                # stalls the trainer's parallel regions (20 steps/s fell to under 1); one core stays free.
                torch.set_num_threads(self.cpu_threads)
            if self.cuda_index is not None:
                torch.cuda.set_device(self.cuda_index)  # the current CUDA device is per thread
            self.result = self.trainer.run()
        except BaseException as err:  # noqa: BLE001 - an uncaught error must reach the window as text
            self.error = f"{type(err).__name__}: {err}"
            self.trace = traceback.format_exc()
        finally:
            torch.set_num_threads(threads)  # the setting is process-wide: give the rest of the app its cores


class TrainingWorker(BackgroundJob):
    """One run at a time. Signals arrive in the GUI thread, in event order:

    ``runStarted(RunStarted)``, ``eventsReady(list)`` (every drained event, batched per tick),
    ``runFinished(RunFinished)`` (always exactly once per run, also after a crash), ``stateChanged(str)``
    with "running", "paused", "stopping" or "idle"; ``failed(str)`` when the run could not start at all.
    """

    runStarted = Signal(object)
    eventsReady = Signal(list)
    runFinished = Signal(object)
    failed = Signal(str)

    def __init__(self, parent: QObject | None = None, drain_ms: int = 100):
        super().__init__(parent, drain_ms)
        self.trainer: Trainer | None = None
        self.stream: EventStream | None = None
        self._finished_seen = False
        self.started_at = 0.0

    def start(self, document, config: TrainingConfig | None = None, run_root=None, data=None,
              cuda_index: int | None = None, cpu_threads: int | None = -1, hooks=()) -> bool:
        """Snapshots ``document`` now (later edits do not reach the run) and starts training it.

        ``cpu_threads``: torch's CPU threads for the run; -1 = all cores but one (kept for the window).
        ``hooks``: extra trainer hooks (engine.training.Hook), added before the run starts.

        Returns False, after emitting ``failed(message)``, when the run cannot be set up."""
        if self.is_running:
            self.failed.emit("a run is already in progress: stop it before starting another")
            return False
        self.stream = EventStream()
        with torch_needed(None, "training"):  # torch loads in the background from the first paint on
            from engine.training import Trainer
        try:
            # The Trainer copies the document (graph, data binding, settings) in its constructor, here in
            # the GUI thread: from this line on, edits on the canvas cannot change the run.
            self.trainer = Trainer(document, config, run_root=run_root, events=self.stream, data=data)
            for hook in hooks:
                self.trainer.add_hook(hook)
        except Exception as err:  # noqa: BLE001 - a document that cannot be snapshot is the user's to fix
            self.failed.emit(f"cannot start training: {err}")
            return False
        self._finished_seen = False
        # The GIL passes between threads every "switch interval" (5 ms by default); a repaint makes many
        # Python calls, each possibly waiting that long behind the trainer. 1 ms keeps the window fluid.
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, GUI_SWITCH_INTERVAL))
        if cpu_threads == -1:
            cpu_threads = max(1, (os.cpu_count() or 2) - 1)
        self.started_at = time.perf_counter()
        self._launch(self.trainer, _TrainerThread(self.trainer, cuda_index, cpu_threads))
        return True

    def drain(self) -> None:
        if self.stream is None:
            return
        events = self.stream.drain()
        if not events:
            return
        for event in events:
            if isinstance(event, RunStarted):
                self.runStarted.emit(event)
        self.eventsReady.emit(events)
        for event in events:
            if isinstance(event, RunFinished):
                self._finished_seen = True
                self.runFinished.emit(event)

    def _thread_ended(self, thread: _TrainerThread) -> None:
        sys.setswitchinterval(self._switch_interval)
        if not self._finished_seen:
            message = thread.error or "the training thread ended without a result"
            run_dir = str(self.trainer.run_dir.path) if self.trainer and self.trainer.run_dir else None
            event = RunFinished("failed", f"unexpected error: {message}", None, None, None,
                                time.perf_counter() - self.started_at, run_dir)
            self.eventsReady.emit([event])
            self._finished_seen = True
            self.runFinished.emit(event)
