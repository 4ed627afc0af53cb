"""The Trainer: a small loop with hooks that trains a document's model and streams typed events.

Runs in any thread; ``pause``/``resume``/``stop`` are flags checked between steps, so the model is
always consistent. Failures (NaN, out of memory, bad data) end the run with a message, not a traceback.
"""
from __future__ import annotations

import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

from ..compiler import CompileError, compile_graph
from ..document import Document, loads
from ..losses import MetricTracker, TargetError
from .checkpoints import load_checkpoint
from .config import ConfigError, TrainingConfig
from .distributed import DistContext, reduce_tracker
from .evaluate import evaluate_split
from .events import EpochMetrics, EventStream, RunFinished, RunStarted, StepMetrics
from .hooks import CheckpointHook, EarlyStoppingHook, Hook, Monitor
from .logits import LogitTaps
from .optim import make_optimizer, make_scheduler, step_scheduler
from .rundir import RunDir, new_run_dir
from .steps import StepRunner


class TrainingFailure(Exception):
    """Ends a run with status "failed"; ``block`` names the block it points at."""

    def __init__(self, message: str, block: str | None = None, input_error: bool = False):
        super().__init__(message)
        self.block = block
        self.input_error = input_error


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


class Trainer:
    def __init__(self, document: Document, config: TrainingConfig | None = None, run_root=None,
                 events: EventStream | None = None, data=None, write_run_dir: bool = True):
        # A snapshot: the GUI may keep editing its document while this trains.
        self.document = loads(document.dumps(), where=str(document.path or "<document>"))
        self.document.path = document.path
        self._config, self._config_dict = config, document.training
        self.run_root = run_root
        self.events = events or EventStream()
        self.data = data
        self.write_run_dir = write_run_dir
        self.hooks: list[Hook] = []
        self._stop_reason: str | None = None
        self._running = threading.Event()
        self._running.set()
        self.run_dir: RunDir | None = None
        self.global_step = 0
        self.model: nn.Module | None = None

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
    def is_main(self) -> bool:
        return self.dist.is_main

    def emit(self, event) -> None:
        if not self.is_main:
            return
        if self.run_dir is not None:
            self.run_dir.log(event)
        self.events.emit(event)

    def _call(self, name: str, *args) -> None:
        for hook in self.hooks:
            getattr(hook, name)(self, *args)

    # ------------------------------------------------------------------ run
    def run(self) -> RunResult:
        started = time.perf_counter()
        self.dist = DistContext()
        self.epoch_history: list[EpochMetrics] = []
        result = None
        try:
            self._setup()
            status = self._train()
            message = {"completed": "training completed",
                       "stopped": "stopped by the user; the last checkpoint is kept",
                       "early_stopped": f"stopped early: {self.monitor.name} did not improve for "
                                        f"{self.config.early_stopping} epochs"}[status]
            result = RunResult(status, message)
        except TrainingFailure as err:
            result = RunResult("failed", str(err), err.block, input_error=err.input_error)
        except (ConfigError, CompileError, TargetError) as err:
            result = RunResult("failed", str(err), input_error=True)
        except Exception as err:  # noqa: BLE001 - every failure becomes a message, with the trace in the log
            result = self._classify(err)
        result.test = self._final_evaluation(result) if self.model is not None else None
        result.run_dir = self.run_dir.path if self.run_dir else None
        result.best = self.monitor.summary() if hasattr(self, "monitor") else None
        result.epochs = list(self.epoch_history)
        self.emit(RunFinished(result.status, result.message, result.block, result.best, result.test,
                              time.perf_counter() - started, str(result.run_dir) if result.run_dir else None))
        self._call("on_run_end", result)
        if self.run_dir is not None:
            self.run_dir.status(status=result.status, message=result.message, block=result.block,
                                epoch=len(self.epoch_history), step=self.global_step, best=result.best)
            self.run_dir.close()
        if hasattr(self, "taps"):
            self.taps.remove()
        self.dist.close()
        return result

    def _classify(self, err: Exception) -> RunResult:
        if type(err).__name__ == "DataError":
            return RunResult("failed", f"data error: {err}", input_error=True)
        text = str(err)
        if isinstance(err, torch.cuda.OutOfMemoryError) or "out of memory" in text.lower():
            return RunResult("failed", f"out of memory on {getattr(self, 'device', 'the device')} with batch size "
                                       f"{getattr(self, 'config', self._config).batch_size}: lower the batch size, the hidden sizes or the "
                                       "sequence length (tbptt)")
        trace = traceback.format_exc()
        if self.run_dir is not None:
            self.run_dir.write_text("error.txt", trace)
        print(trace, file=sys.stderr)  # a bug, not bad input: keep the trace where a developer looks
        return RunResult("failed", f"unexpected error: {type(err).__name__}: {text}")

    # ------------------------------------------------------------------ setup
    def _setup(self) -> None:
        from ..probes.grad_norms import BlockGradNorms  # probes import the training events: import late
        from ..probes.hook import ProbeHook

        self.config = self._config or TrainingConfig.from_dict(self._config_dict)
        cfg = self.config
        kind = cfg.device
        if kind == "auto":
            kind = "cuda" if torch.cuda.is_available() else "cpu"
        if kind == "cuda" and not torch.cuda.is_available():
            raise TrainingFailure("training.device is cuda but no CUDA device is available: use auto or cpu",
                                  input_error=True)
        self.dist = DistContext.from_env(kind)
        self.device = self.dist.device(kind)
        if cfg.batch_size % self.dist.world_size:
            raise ConfigError("batch_size", f"{cfg.batch_size} does not split evenly over "
                                            f"{self.dist.world_size} processes")
        torch.manual_seed(cfg.seed)
        self.compiled = compile_graph(self.document.graph)
        self.inner_module = self.compiled.module.to(self.device)
        if self.data is None:
            if not self.document.data:
                raise TrainingFailure("the document has no data binding: set its \"data\" section (dataset, "
                                      "inputs, targets) before training", input_error=True)
            from ..data import prepare_data  # the data part is imported only when a run needs it

            base = self.document.path.parent if self.document.path else None
            self.data = prepare_data(self.document.data, self.compiled, base_dir=base)
        self.model = self.inner_module
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.model = DistributedDataParallel(self.inner_module, device_ids=ids)
        self.taps = LogitTaps(self.compiled, self.document.graph, self.inner_module)
        self.grad_norms = BlockGradNorms(self.inner_module)
        self.optimizer = make_optimizer(cfg, self.inner_module)
        self.scheduler = make_scheduler(cfg, self.optimizer)
        self.monitor = Monitor(cfg.monitor)
        self.steps = StepRunner(self)
        if self.is_main and self.write_run_dir:
            self.run_dir = RunDir(new_run_dir(self.document.path, self.run_root))
            self.run_dir.write_text("document.json", self.document.dumps())
            self.run_dir.write("config.json", cfg.to_dict())
            meta = getattr(self.data, "meta", None)
            self.run_dir.write("data_meta.json", meta.to_dict() if hasattr(meta, "to_dict") else {})
            self.run_dir.status(status="running", epoch=0, step=0)
        builtin: list[Hook] = [ProbeHook(cfg.probes, cfg.probe_budget, cfg.probe_batch), CheckpointHook()]
        if cfg.early_stopping:
            builtin.append(EarlyStoppingHook(cfg.early_stopping))
        self.hooks = builtin + self.hooks

    def probe_batch(self, size: int):
        from ..probes.recorder import ProbeBatch

        for split in ("val", "train"):
            if len(getattr(self.data, split, ()) or ()) == 0:
                continue
            for batch in self.data.loader(split, size, shuffle=False, seed=self.config.seed):
                return ProbeBatch.from_batch(batch, size, self.device)
        raise TrainingFailure("the data has no samples to train on", input_error=True)

    def probe_loss(self, outputs, batch) -> torch.Tensor:
        self.taps.clear()  # the probe forward's logits would be stale here; use the outputs
        return self.steps.loss(outputs, batch, use_taps=False)[0]

    # ------------------------------------------------------------------ loop
    def _loader(self, split: str, epoch: int):
        per_rank = self.config.batch_size // self.dist.world_size
        dataset = getattr(self.data, split)
        sampler = None
        if self.dist.enabled and split == "train":
            from torch.utils.data.distributed import DistributedSampler

            sampler = DistributedSampler(dataset, self.dist.world_size, self.dist.rank,
                                         shuffle=self.config.shuffle, seed=self.config.seed)
            sampler.set_epoch(epoch)
        return self.data.loader(split, per_rank, shuffle=self.config.shuffle and sampler is None,
                                seed=self.config.seed + epoch, sampler=sampler)

    def _steps_in(self, loader) -> int:
        try:
            n = len(loader)
        except TypeError:
            n = 0
        cap = self.config.max_steps_per_epoch
        return min(n, cap) if cap and n else (cap or n)

    def _train(self) -> str:
        cfg = self.config
        steps_per_epoch = self._steps_in(self._loader("train", 1))
        info = getattr(self.data, "info", None)
        self.emit(RunStarted(str(self.run_dir.path) if self.run_dir else None, cfg.to_dict(), str(self.device),
                             cfg.epochs, steps_per_epoch, list(self.grad_norms.blocks), self.dist.world_size,
                             info.to_dict() if hasattr(info, "to_dict") else dict(info or {})))
        self._call("on_run_start")
        total_steps = cfg.epochs * steps_per_epoch  # 0 while unknown (a loader without len())
        train_seconds, train_steps = 0.0, 0
        for epoch in range(1, cfg.epochs + 1):
            epoch_start = time.perf_counter()
            tracker = MetricTracker(self.compiled.heads)
            self.inner_module.train()
            loader = self._loader("train", epoch)
            steps = self._steps_in(loader) or steps_per_epoch
            for step, batch in enumerate(loader, 1):
                if cfg.max_steps_per_epoch and step > cfg.max_steps_per_epoch:
                    break
                if self._wait_if_paused():
                    break
                t0 = time.perf_counter()
                outcome = self.steps.train_step(batch.to(self.device), tracker)
                self.global_step += 1
                dt = time.perf_counter() - t0
                train_seconds += dt
                train_steps += 1
                eta = (total_steps - self.global_step) * train_seconds / train_steps if total_steps else 0.0
                metrics = StepMetrics(epoch, step, steps, outcome.loss, outcome.metrics,
                                      self.optimizer.param_groups[0]["lr"], outcome.samples / max(dt, 1e-9),
                                      max(eta, 0.0), outcome.grad_norm,
                                      outcome.grad_norms if "grad_norms" in cfg.probes else {},
                                      outcome.clipped, self.global_step)
                self.emit(metrics)
                self._call("on_step_end", metrics)
                if self.dist.any(self._stop_reason is not None, self.device):
                    self._stop_reason = self._stop_reason or "stopped"
                    break
            if self._stop_reason == "stopped" and epoch == 1 and train_steps == 0:
                return "stopped"
            if not steps_per_epoch:
                steps_per_epoch = steps = step if train_steps else 0
                total_steps = cfg.epochs * steps_per_epoch
            reduce_tracker(self.dist, tracker, self.device)
            val = evaluate_split(self, "val") if len(getattr(self.data, "val", ()) or ()) else {}
            # Without a validation split the monitored metric is read from the training metrics.
            improved = self.monitor.update(val or tracker.values(), epoch)
            step_scheduler(self.scheduler, cfg, val, self.monitor)
            epoch_metrics = EpochMetrics(epoch, tracker.values(), val, self.optimizer.param_groups[0]["lr"],
                                         time.perf_counter() - epoch_start, improved)
            self.epoch_history.append(epoch_metrics)
            self.emit(epoch_metrics)
            self._call("on_epoch_end", epoch_metrics)
            if self.run_dir is not None:
                self.run_dir.flush()
                self.run_dir.status(status="running", epoch=epoch, step=self.global_step,
                                    best=self.monitor.summary())
            if self._stop_reason is not None:
                return self._stop_reason
        return "completed"

    def _wait_if_paused(self) -> bool:
        """Blocks while paused (between steps: the model is consistent); True when asked to stop."""
        while not self._running.wait(0.1):
            pass
        return self._stop_reason is not None and not self.dist.enabled

    def _final_evaluation(self, result: RunResult) -> dict | None:
        """Test metrics of the best checkpoint (else the current weights), written to evaluation.json."""
        if result.status == "failed" and not self.epoch_history:
            return None
        try:
            if self.run_dir is not None and self.run_dir.best_path.exists():
                load_checkpoint(self.inner_module, self.run_dir.best_path, self.device)
            has_test = len(getattr(self.data, "test", ()) or ()) > 0
            test = evaluate_split(self, "test") if has_test else {}
            if self.run_dir is not None:
                from .baselines import baselines

                self.run_dir.write("evaluation.json", {"split": "test" if has_test else None, "metrics": test,
                                                       "best": self.monitor.summary(),
                                                       "baselines": baselines(self) if has_test else {}})
            return test
        except Exception as err:  # noqa: BLE001 - the run's own status matters more than its evaluation
            if self.run_dir is not None:
                self.run_dir.write_text("error.txt", f"final evaluation failed: {err}\n{traceback.format_exc()}")
            return None

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]
