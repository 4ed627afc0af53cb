"""The Trainer: the pause/stop flags, the hooks and a short loop over a Session (session.py) built once per run.

Runs in any thread; ``pause``/``resume``/``stop`` are flags checked between steps, so the model is always
consistent. Failures (NaN, out of memory, bad data) end the run with a message, not a traceback; so does a
Ctrl-C (KeyboardInterrupt) in the main thread, which ends it as "stopped" with its status written.
"""
from __future__ import annotations

import contextlib
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..compiler import CompileError
from ..document import Document, loads
from ..events import Signal
from ..losses import MetricTracker, TargetError
from ..specs import one_line
from .checkpoints import load_checkpoint
from .config import ConfigError, TrainingConfig
from .distributed import reduce_tracker
from .evaluate import confusion_matrices, evaluate_split
from .events import EpochMetrics, EventStream, RunFinished, RunStarted, StepMetrics
from .hooks import CheckpointHook, EarlyStoppingHook, Hook
from .optim import step_scheduler
from .runs import EVALUATION, TEMP_SUFFIX
from .session import Session, TrainingFailure, open_session


@dataclass
class RunResult:
    status: str
    message: str
    block: str | None = None
    run_dir: Path | None = None
    best: dict | None = None
    test: dict | None = None
    epochs: list[EpochMetrics] = field(default_factory=list)
    input_error: bool = False  # the document, configuration or data was at fault (not the training)

    @property
    def exit_code(self) -> int:
        if self.status in ("completed", "early_stopped"):
            return 0
        if self.status == "stopped":
            return 130
        return 2 if self.input_error else 1


def _reraise_unless_ctrl_c() -> None:
    """Only the main thread receives Ctrl-C; a KeyboardInterrupt raised in another thread is some code's own
    error, and it travels on as one (the GUI's worker reports it)."""
    if threading.current_thread() is not threading.main_thread():
        raise


class _FromSession:
    """A Trainer attribute read from its Session (None before the run has opened one)."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, trainer, owner=None):
        if trainer is None:
            return self
        return getattr(trainer.session, self.name) if trainer.session is not None else None


class Trainer:
    # What hooks read (trainer.model, trainer.config, ...) lives in the session.
    config = _FromSession()
    device = _FromSession()
    dist = _FromSession()
    compiled = _FromSession()
    inner_module = _FromSession()
    model = _FromSession()
    optimizer = _FromSession()
    scheduler = _FromSession()
    monitor = _FromSession()
    taps = _FromSession()
    grad_norms = _FromSession()
    steps = _FromSession()
    run_dir = _FromSession()
    lr = _FromSession()

    def __init__(self, document: Document, config: TrainingConfig | None = None, run_root=None,
                 events: EventStream | None = None, data=None, write_run_dir: bool = True):
        # A snapshot: the GUI may keep editing its document while this trains.
        self.document = loads(document.dumps(), where=str(document.path or "<document>"))
        self.document.path = document.path
        self._config = config
        self.run_root = run_root
        self.events = events or EventStream()
        self._data = data
        self.write_run_dir = write_run_dir
        self.hooks: list[Hook] = []
        self.session: Session | None = None
        self.global_step = 0
        self.epoch_history: list[EpochMetrics] = []
        # Every event as it is emitted (main process only): the EventStream and the run's event log listen.
        self.announced = Signal()
        self.announced.connect(self.events.emit)
        self._stop_reason: str | None = None
        self._interrupted = False  # a KeyboardInterrupt ended the run: skip the slow final evaluation
        self._running = threading.Event()
        self._running.set()

    # ------------------------------------------------------------------ control (any thread)
    def add_hook(self, hook: Hook) -> None:
        self.hooks.append(hook)

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self, reason: str = "stopped") -> None:
        if self._stop_reason is None:
            self._stop_reason = reason
        self._running.set()

    @property
    def data(self):
        return self.session.data if self.session is not None else self._data

    @property
    def is_main(self) -> bool:
        return self.session.is_main if self.session is not None else True

    def emit(self, event) -> None:
        if self.is_main:
            self.announced.emit(event)

    def probe_batch(self, size: int):
        return self.session.probe_batch(size)

    def probe_loss(self, outputs, batch) -> torch.Tensor:
        return self.session.probe_loss(outputs, batch)

    def _call(self, name: str, *args) -> None:
        for hook in self.hooks:
            getattr(hook, name)(self, *args)

    # ------------------------------------------------------------------ run
    def run(self) -> RunResult:
        started = time.perf_counter()
        self.epoch_history = []
        try:
            result = self._open_and_train()
        except KeyboardInterrupt:
            _reraise_unless_ctrl_c()
            result = self._interrupt_result("while starting" if self.session is None else "")
        s = self.session
        result.run_dir = s.run_dir.path if s is not None and s.run_dir is not None else None
        result.best = s.monitor.summary() if s is not None else None
        result.epochs = list(self.epoch_history)
        # The status first: what follows may be slow (the evaluation) or cut short by a second Ctrl-C.
        result = self._write_status(result)
        if s is not None and not self._interrupted:
            result = self._guard(result, "during the final evaluation",
                                 lambda: setattr(result, "test", self._final_evaluation(result)))

        def announce():
            self.emit(RunFinished(result.status, result.message, result.block, result.best, result.test,
                                  time.perf_counter() - started, str(result.run_dir) if result.run_dir else None))
            self._call("on_run_end", result)
        try:
            result = self._guard(result, "at the end of the run", announce)
        finally:  # a hook's own error still propagates, but the event log, the taps and the process group close
            if s is not None:
                self._guard(result, "", s.close)
        return result

    def _open_and_train(self) -> RunResult:
        try:
            self.session = open_session(self.document, self._config, run_root=self.run_root, data=self._data,
                                        write_run_dir=self.write_run_dir)
            self._attach()
            status = self._train()
            message = {"completed": "training completed",
                       "stopped": "stopped by the user; " + self._checkpoint_note(),
                       "early_stopped": f"stopped early: {self.monitor.name} did not improve for "
                                        f"{self.config.early_stopping} epochs"}[status]
            return RunResult(status, message)
        except TrainingFailure as err:
            return RunResult("failed", str(err), err.block, input_error=err.input_error)
        except (ConfigError, CompileError, TargetError) as err:
            return RunResult("failed", str(err), input_error=True)
        except Exception as err:  # noqa: BLE001 - every failure becomes a message, with the trace in the log
            return self._classify(err)

    def _attach(self) -> None:
        from ..probes.hook import ProbeHook  # probes import the training events: import late

        cfg = self.config
        if self.run_dir is not None:
            self.announced.connect(self.run_dir.log)
        builtin: list[Hook] = [ProbeHook(cfg.probes, cfg.probe_budget, cfg.probe_batch), CheckpointHook()]
        if cfg.early_stopping:
            builtin.append(EarlyStoppingHook(cfg.early_stopping))
        self.hooks = builtin + self.hooks

    def _classify(self, err: Exception) -> RunResult:
        if type(err).__name__ == "DataError":
            return RunResult("failed", f"data error: {err}", input_error=True)
        text = str(err)
        if isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in text.lower():
            config = self.config or self._config or TrainingConfig.from_dict(self.document.training)
            return RunResult("failed", f"out of memory on {self.device or 'the device'} with batch size "
                                       f"{config.batch_size}: lower the batch size, the hidden sizes or the "
                                       "sequence length (tbptt)")
        trace = traceback.format_exc()
        if isinstance(err, OSError):  # a full disk, a drive gone, a folder made read-only mid-run: not a bug
            place = one_line(str(err.filename).removesuffix(TEMP_SUFFIX)) if err.filename else "a file of the run"
            reason = (err.strerror or type(err).__name__).lower()
            with contextlib.suppress(OSError):  # the same full disk may refuse this too
                if self.run_dir is not None:
                    self.run_dir.error(trace)
            return RunResult("failed", f"cannot write {place} ({reason}); the run stopped there")
        if self.run_dir is not None:
            self.run_dir.error(trace)
        print(trace, file=sys.stderr)  # a bug, not bad input: keep the trace where a developer looks
        return RunResult("failed", f"unexpected error: {type(err).__name__}: {text}")

    # ------------------------------------------------------------------ Ctrl-C
    def _checkpoint_note(self) -> str:
        run_dir = self.run_dir
        if run_dir is not None and not run_dir.run.weights():
            return "no checkpoint was written yet (one is written after each epoch)"
        return "the last checkpoint is kept"

    def _interrupt_result(self, when: str) -> RunResult:
        self._interrupted = True
        if self.session is None:
            return RunResult("stopped", "interrupted by the user while starting: nothing was trained")
        return RunResult("stopped", f"stopped by the user{' ' + when if when else ''} (Ctrl-C); "
                                    + self._checkpoint_note())

    def _guard(self, result: RunResult, when: str, action) -> RunResult:
        """Runs one part of ending a run; a Ctrl-C inside it ends the run as "stopped" (it is never swallowed)
        and the status is written again."""
        try:
            action()
            return result
        except KeyboardInterrupt:
            _reraise_unless_ctrl_c()
            if result.status != "stopped" or not self._interrupted:
                stopped = self._interrupt_result(when)
                result.status, result.message, result.block = stopped.status, stopped.message, None
            return self._write_status(result)

    def _write_status(self, result: RunResult) -> RunResult:
        """status.json, written to the end even when a Ctrl-C arrives inside the write (each write is atomic and
        idempotent, so it is simply written again, as "stopped")."""
        if self.run_dir is None:
            return result
        for _ in range(3):
            try:
                self.run_dir.status(status=result.status, message=result.message, block=result.block,
                                    epoch=len(self.epoch_history), step=self.global_step, best=result.best)
                return result
            except KeyboardInterrupt:
                _reraise_unless_ctrl_c()
                stopped = self._interrupt_result("")
                result.status, result.message, result.block = stopped.status, stopped.message, None
        return result

    # ------------------------------------------------------------------ loop
    def _train(self) -> str:
        s, cfg = self.session, self.config
        steps_per_epoch = s.steps_in(s.loader("train", 1))
        info = getattr(s.data, "info", None)
        self.emit(RunStarted(str(s.run_dir.path) if s.run_dir else None, cfg.to_dict(), str(s.device),
                             cfg.epochs, steps_per_epoch, list(s.grad_norms.blocks), s.dist.world_size,
                             info.to_dict() if hasattr(info, "to_dict") else dict(info or {})))
        self._call("on_run_start")
        total_steps = cfg.epochs * steps_per_epoch  # 0 while unknown (a loader without len())
        train_seconds, train_steps = 0.0, 0
        after_backward = lambda: self._call("on_after_backward")  # noqa: E731
        for epoch in range(1, cfg.epochs + 1):
            epoch_start = time.perf_counter()
            tracker = MetricTracker(s.compiled.heads)
            s.inner_module.train()
            loader = s.loader("train", epoch)
            steps = s.steps_in(loader) or steps_per_epoch
            for step, batch in enumerate(loader, 1):
                if cfg.max_steps_per_epoch and step > cfg.max_steps_per_epoch:
                    break
                if self._wait_if_paused():
                    break
                t0 = time.perf_counter()
                outcome = s.steps.train_step(batch.to(s.device), tracker, after_backward,
                                             f"at epoch {epoch}, step {self.global_step + 1}", epoch=epoch)
                self.global_step += 1
                dt = time.perf_counter() - t0
                train_seconds += dt
                train_steps += 1
                eta = (total_steps - self.global_step) * train_seconds / train_steps if total_steps else 0.0
                metrics = StepMetrics(epoch, step, steps, outcome.loss, outcome.metrics, s.lr,
                                      outcome.samples / max(dt, 1e-9), max(eta, 0.0), outcome.grad_norm,
                                      outcome.grad_norms if "grad_norms" in cfg.probes else {},
                                      outcome.clipped, self.global_step)
                self.emit(metrics)
                self._call("on_step_end", metrics)
                if s.dist.any(self._stop_reason is not None, s.device):
                    self._stop_reason = self._stop_reason or "stopped"
                    break
            if self._stop_reason == "stopped" and epoch == 1 and train_steps == 0:
                return "stopped"
            if not steps_per_epoch:
                steps_per_epoch = steps = step if train_steps else 0
                total_steps = cfg.epochs * steps_per_epoch
            reduce_tracker(s.dist, tracker, s.device)
            val = evaluate_split(s, "val") if s.has("val") else {}
            # Without a validation split the monitored metric is read from the training metrics.
            improved = s.monitor.update(val or tracker.values(), epoch)
            step_scheduler(s.scheduler, cfg, val, s.monitor)
            epoch_metrics = EpochMetrics(epoch, tracker.values(), val, s.lr, time.perf_counter() - epoch_start,
                                         improved)
            self.epoch_history.append(epoch_metrics)
            self.emit(epoch_metrics)
            self._call("on_epoch_end", epoch_metrics)
            if s.run_dir is not None:
                s.run_dir.flush()
                s.run_dir.status(status="running", epoch=epoch, step=self.global_step, best=s.monitor.summary())
            if self._stop_reason is not None:
                return self._stop_reason
        return "completed"

    def _wait_if_paused(self) -> bool:
        """Blocks while paused (between steps: the model is consistent); True when asked to stop."""
        while not self._running.wait(0.1):
            pass
        return self._stop_reason is not None and not self.session.dist.enabled

    def _final_evaluation(self, result: RunResult) -> dict | None:
        """Test metrics of the best checkpoint (else the current weights), written to evaluation.json."""
        if result.status == "failed" and not self.epoch_history:
            return None
        s = self.session
        try:
            if s.run_dir is not None and s.run_dir.best_path.exists():
                load_checkpoint(s.inner_module, s.run_dir.best_path, s.device)
            has_test = s.has("test")
            test = evaluate_split(s, "test") if has_test else {}
            if s.run_dir is not None:
                from .baselines import baselines

                s.run_dir.write(EVALUATION, {"split": "test" if has_test else None, "metrics": test,
                                             "best": s.monitor.summary(),
                                             "baselines": baselines(s) if has_test else {},
                                             "confusion": confusion_matrices(s, "test") if has_test else {}})
            return test
        except Exception as err:  # noqa: BLE001 - the run's own status matters more than its evaluation
            if s.run_dir is not None:
                s.run_dir.error(f"final evaluation failed: {err}\n{traceback.format_exc()}")
            return None
