"""RunHistory: everything the dashboard plots, accumulated from a run's events (live or from metrics.jsonl).

Plain Python and numpy, no Qt: the plots read it on their own timer; ``version`` tells them whether to redraw.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from dataclasses import dataclass, field

from engine.lazy import numpy as np  # imported at first use: not before the window's first paint
from engine.training import (AttentionProbe, EpochMetrics, GateProbe, RunFinished, RunStarted, StepMetrics,
                             TimeGradProbe)
from engine.training.events import SUMMARY_EVENTS, ActivationProbe, HiddenStateProbe, event_from_dict
from engine.training.runs import Run, RunError


SMOOTHING = 0.9


class Ema:
    """Debiased exponential moving average (TensorBoard's smoothing), one value at a time so that a redraw
    never re-smooths the whole curve; non-finite values are passed through and do not poison the average."""

    def __init__(self, weight: float = SMOOTHING):
        self.weight, self.avg, self.n = weight, 0.0, 0

    def __call__(self, value: float) -> float:
        if not math.isfinite(value):
            return value
        self.n += 1
        self.avg = self.weight * self.avg + (1 - self.weight) * value
        return self.avg / (1 - self.weight ** self.n)


def smooth(values, weight: float = SMOOTHING) -> np.ndarray:
    ema = Ema(weight)
    return np.asarray([ema(float(v)) for v in values], dtype=np.float64)


@dataclass
class GateHistory:
    """The latest gate picture of one recurrent block (per layer/direction) and the gate means over training."""

    latest: dict[tuple[int, str], GateProbe] = field(default_factory=dict)
    mean_steps: list[int] = field(default_factory=list)
    means: dict[str, list[float]] = field(default_factory=dict)


def status_words(status: str) -> str:
    """A run's status as the window shows it: "early_stopped" in words."""
    return {"early_stopped": "stopped early"}.get(status, status)


def ending(status: str, message: str) -> tuple[str, str]:
    """(status in words, message) of a finished run, the message without the words it starts with: the window
    said "early_stopped: stopped early: val_loss did not improve ..."."""
    words = status_words(status)
    return words, message[len(words) + 1:].lstrip() if message.startswith(f"{words}:") else message


class RunHistory:
    """Accumulates one run's events. Per-step series are plain lists (appends are cheap); plots copy them."""

    def __init__(self, name: str = "run"):
        self.name = name
        self.run_dir: Path | None = None  # where the run's folder is, once known (finished, or reopened)
        self.version = 0
        self.started: RunStarted | None = None
        self.finished: RunFinished | None = None
        self.steps: list[int] = []  # global step of each StepMetrics
        self.loss: list[float] = []
        self.lr: list[float] = []
        self.grad_norm: list[float] = []
        self.clipped: list[bool] = []  # whether clipping changed the gradients at each step
        self.samples_per_sec: list[float] = []
        self.step_metrics: dict[str, list[float]] = {}
        self.smoothed: dict[str, list[float]] = {"loss": []}  # "loss" and each step metric, EMA-smoothed
        self._ema: dict[str, Ema] = {"loss": Ema()}
        self.block_norms: dict[str, list[float]] = {}
        self.last_step: StepMetrics | None = None
        self.epochs: list[EpochMetrics] = []
        self.epoch_steps: list[int] = []  # global step at each epoch end (x for validation points)
        self.gates: dict[str, GateHistory] = {}
        self.attention: dict[str, AttentionProbe] = {}
        self.hidden: dict[str, HiddenStateProbe] = {}  # the latest hidden states of each recurrent block
        self.time_grads: dict[str, TimeGradProbe] = {}
        self.first_time_grads: dict[str, TimeGradProbe] = {}
        self._arrays: dict[int, np.ndarray] = {}  # id(series) -> its values as an array (see array())
        self.log_offset = 0  # bytes of metrics.jsonl read so far by read_log (whole lines only)
        self._log_lines = 0
        self.activations: ActivationProbe | None = None  # the latest statistics of every wire (canvas hover)

    # ------------------------------------------------------------------ feeding
    def add_all(self, events) -> None:
        for event in events:
            self.add(event)

    def add(self, event) -> None:
        self.version += 1
        if isinstance(event, StepMetrics):
            self._add_step(event)
        elif isinstance(event, EpochMetrics):
            self.epochs.append(event)
            self.epoch_steps.append(self.steps[-1] if self.steps else 0)
        elif isinstance(event, GateProbe):
            hist = self.gates.setdefault(event.block, GateHistory())
            hist.latest[(event.layer, event.direction)] = event
            if event.layer == 0 and event.direction == "forward":
                hist.mean_steps.append(event.step)
                for gate, value in event.means.items():
                    hist.means.setdefault(gate, []).append(float(value))
        elif isinstance(event, AttentionProbe):
            self.attention[event.block] = event
        elif isinstance(event, HiddenStateProbe):
            self.hidden[event.block] = event
        elif isinstance(event, TimeGradProbe):
            self.first_time_grads.setdefault(event.block, event)
            self.time_grads[event.block] = event
        elif isinstance(event, RunStarted):
            self.started = event
            for block in event.blocks:
                self.block_norms.setdefault(block, [])
        elif isinstance(event, RunFinished):
            self.finished = event
        elif isinstance(event, ActivationProbe):
            self.activations = event

    def _add_step(self, event: StepMetrics) -> None:
        n = len(self.steps)
        self.steps.append(event.global_step or n + 1)
        self.loss.append(float(event.loss))
        self.smoothed["loss"].append(self._ema["loss"](float(event.loss)))
        self.lr.append(float(event.lr))
        self.grad_norm.append(float(event.grad_norm))
        self.clipped.append(bool(event.clip))
        self.samples_per_sec.append(float(event.samples_per_sec))
        for name, value in event.metrics.items():
            # A metric that appears late is padded with NaN so every series lines up with ``steps``.
            self.step_metrics.setdefault(name, [math.nan] * n).append(float(value))
            ema = self._ema.setdefault(name, Ema())
            self.smoothed.setdefault(name, [math.nan] * n).append(ema(float(value)))
        for block, value in event.grad_norms.items():
            series = self.block_norms.setdefault(block, [])
            series.extend([math.nan] * (n - len(series)))
            series.append(float(value))
        self.last_step = event

    # ------------------------------------------------------------------ queries
    def array(self, values: list) -> np.ndarray:
        """``values`` (one of this history's append-only series) as float64, converting only what was appended
        since the last call: a redraw of a 50,000-step curve does not re-convert 50,000 Python floats."""
        key = id(values)
        cached = self._arrays.get(key)
        n = len(values)
        if cached is None or len(cached) > n:
            cached = np.asarray(values, dtype=np.float64)
        elif len(cached) < n:
            cached = np.concatenate([cached, np.asarray(values[len(cached):], dtype=np.float64)])
        self._arrays[key] = cached
        return cached

    @property
    def clip_value(self) -> float | None:
        """The clipping threshold on the global norm, when the run clips by norm."""
        config = self.started.config if self.started else {}
        if config.get("clip") == "norm":
            return float(config.get("clip_value", 1.0))
        return None

    @property
    def metric_names(self) -> list[str]:
        names = [n for n in self.step_metrics if n != "loss"]
        for epoch in self.epochs:
            names += [n for n in list(epoch.train) + list(epoch.val) if n != "loss" and n not in names]
        return names

    def epoch_series(self, split: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """(global step at epoch end, value) of a per-epoch metric of ``split`` ("train" or "val")."""
        xs, ys = [], []
        for x, epoch in zip(self.epoch_steps, self.epochs):
            values = getattr(epoch, split)
            if metric in values:
                xs.append(x)
                ys.append(values[metric])
        return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)

    def recurrent_blocks(self) -> list[str]:
        return list(self.gates) + [b for b in self.time_grads if b not in self.gates]

    def summary(self) -> dict:
        """Final numbers for the runs list: last epoch's train/val metrics, best, test, duration."""
        out: dict = {}
        if self.epochs:
            last = self.epochs[-1]
            out.update({f"train_{k}": v for k, v in last.train.items()})
            out.update({f"val_{k}": v for k, v in last.val.items()})
        if self.finished is not None:
            out.update({f"test_{k}": v for k, v in (self.finished.test or {}).items()})
        return out

    @classmethod
    def from_run_dir(cls, path, summary_only: bool = False) -> "RunHistory":
        """Reopens a finished (or interrupted) run from its metrics.jsonl; ``summary_only``: its start, epochs and
        end, enough for ``summary()`` and a list of runs, without the steps and probes."""
        run = Run(path)
        history = cls(name=f"{run.path.parent.name}/{run.path.name}")
        history.run_dir = run.path
        try:
            events = run.read_events(SUMMARY_EVENTS if summary_only else None)
            history.add_all(events)  # RunError (a ValueError) names a missing or broken log
        except (json.JSONDecodeError, KeyError, TypeError) as err:
            raise ValueError(f"{run.events()}: not a run log ({type(err).__name__}: {err})") from None
        return history

    def latest_time_grad(self, block: str) -> np.ndarray | None:
        """‖∂L/∂h_t‖ per time step of ``block``'s latest TimeGradProbe, or None before its first."""
        probe = self.time_grads.get(block)
        return None if probe is None else np.asarray(probe.norms, dtype=np.float64)

    def gate_means(self, block: str, gate: str) -> tuple[np.ndarray, np.ndarray]:
        """(global step, mean activation) of one gate of ``block`` over training (first layer, forward)."""
        hist = self.gates.get(block)
        values = hist.means.get(gate, []) if hist is not None else []
        steps = hist.mean_steps[:len(values)] if hist is not None else []
        return np.asarray(steps, dtype=np.float64), np.asarray(values, dtype=np.float64)

    # ------------------------------------------------------------------ following a growing log
    @classmethod
    def from_log(cls, path) -> "RunHistory":
        """A run's history read with ``read_log``: later calls of ``read_log`` add what the run appends."""
        run = Run(path)
        history = cls(name=run.name)
        history.run_dir = run.path
        history.read_log()
        return history

    def read_log(self) -> int:
        """Adds the events appended to this run's metrics.jsonl since the last call (all of them the first time)
        and returns how many: a running trial's log grows while it is compared. Only whole lines are read (the
        trainer may be writing the last one); a log shorter than what was read was replaced: the caller reads
        it again into a new history. RunError (a ValueError) names a missing log or a broken line."""
        path = Run(self.run_dir).events()
        try:
            with open(path, "rb") as handle:
                handle.seek(self.log_offset)
                data = handle.read()
        except OSError as err:
            raise RunError(f"{self.run_dir}: no metrics.jsonl in this run folder ({err.strerror})") from None
        added = 0
        for line in data[:data.rfind(b"\n") + 1].split(b"\n")[:-1]:
            if line.strip():
                try:
                    event = event_from_dict(json.loads(line.decode("utf-8")))
                except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as err:
                    raise RunError(f"{path}: line {self._log_lines + 1}: not a run log "
                                   f"({type(err).__name__}: {err})") from None
                self.add(event)
                added += 1
            self._log_lines += 1  # past this line only once it is in: an error leaves the offset before it
            self.log_offset += len(line) + 1
        return added

    # ------------------------------------------------------------------ CSV tables (one per plot)
    def table(self, what: str) -> tuple[list[str], list[list]]:
        """Header and rows of the data behind a plot: steps, epochs, grad_norms."""
        if what == "steps":
            names = list(self.step_metrics)
            header = ["step", "loss", "lr", "grad_norm", "samples_per_sec"] + names
            rows = [[s, self.loss[i], self.lr[i], self.grad_norm[i], self.samples_per_sec[i]]
                    + [self.step_metrics[n][i] if i < len(self.step_metrics[n]) else "" for n in names]
                    for i, s in enumerate(self.steps)]
            return header, rows
        if what == "epochs":
            keys = sorted({f"{split}_{k}" for e in self.epochs for split in ("train", "val")
                           for k in getattr(e, split)})
            header = ["epoch", "step", "lr", "duration_s"] + keys
            rows = []
            for x, e in zip(self.epoch_steps, self.epochs):
                values = {**{f"train_{k}": v for k, v in e.train.items()}, **{f"val_{k}": v for k, v in e.val.items()}}
                rows.append([e.epoch, x, e.lr, e.duration_s] + [values.get(k, "") for k in keys])
            return header, rows
        if what == "grad_norms":
            blocks = list(self.block_norms)
            header = ["step", "global_norm"] + blocks
            rows = [[s, self.grad_norm[i]] + [self.block_norms[b][i] if i < len(self.block_norms[b]) else ""
                                              for b in blocks] for i, s in enumerate(self.steps)]
            return header, rows
        raise KeyError(what)
