"""The typed events a training run emits, and the EventStream a consumer drains at its own pace.

The stream never blocks the trainer: undrained probe events of one kind and block are replaced by the
newest, and step metrics are thinned when far behind. The run log (metrics.jsonl) keeps every event.
"""
from __future__ import annotations

import json
import math
import threading
from collections import deque
from dataclasses import dataclass, field, fields
from typing import Any

from ..lazy import numpy as np  # imported when an event holds arrays


@dataclass
class RunStarted:
    run_dir: str | None
    config: dict
    device: str
    epochs: int
    steps_per_epoch: int
    blocks: list[str]  # blocks with parameters, in graph order: the keys of StepMetrics.grad_norms
    world_size: int = 1
    data_info: dict = field(default_factory=dict)


@dataclass
class StepMetrics:
    epoch: int  # 1-based
    step: int  # 1-based within the epoch
    steps_per_epoch: int
    loss: float
    metrics: dict[str, float]
    lr: float
    samples_per_sec: float
    eta_s: float
    grad_norm: float  # global norm before clipping
    grad_norms: dict[str, float]  # per block, before clipping
    clip: bool  # whether clipping changed the gradients this step
    global_step: int = 0


@dataclass
class EpochMetrics:
    epoch: int
    train: dict[str, float]
    val: dict[str, float]
    lr: float
    duration_s: float
    best: bool = False  # this epoch improved the monitored metric (best checkpoint written)


@dataclass
class GateProbe:
    step: int  # global step
    block: str
    layer: int
    direction: str  # "forward" or "backward"
    gates: dict[str, np.ndarray]  # gate -> [T, units] for the first probe sample
    means: dict[str, float]  # gate -> mean over the probe batch's real steps and units
    cell_state: np.ndarray | None  # LSTM: [T, units]
    length: int  # real steps of the probe sample (T)


@dataclass
class AttentionProbe:
    step: int
    block: str
    weights: np.ndarray  # first probe sample: [Tq, Tk] (heads averaged) or [T] for attention pooling
    # What the weights are over (issue 10): the model inputs along each axis and the first sample's token ids
    # over its real steps (None for numeric inputs: label steps by index); the lengths say how many rows and
    # columns of ``weights`` are real (the rest is the batch's padding). Pooling has no query axis.
    query_input: str | None = None  # cross-attention: the decoder's input; self-attention: the sequence's own
    query_tokens: list[int] | None = None
    query_length: int | None = None
    key_input: str | None = None  # the sequence attended over (cross-attention: the encoder's input)
    key_tokens: list[int] | None = None
    key_length: int | None = None
    head: str | None = None  # the head whose target is shown (its class names are in the data meta)
    target: list[int] | int | None = None  # the sample's class index, or its target ids over the real steps
    prediction: list[int] | int | None = None  # the model's answer in the probe's forward (seq2seq: teacher-forced)


@dataclass
class TimeGradProbe:
    step: int
    block: str
    norms: np.ndarray  # [T]: ||dL/dh_t|| over the probe batch, recurrence included
    cuts: list[int] = field(default_factory=list)  # truncated BPTT: steps where a chunk starts (its gradient stops)


@dataclass
class HiddenStateProbe:
    """The hidden state of a recurrent block (any cell) on the first probe sample, with that sample's input."""

    step: int
    block: str
    states: np.ndarray  # [T, units]: the top layer's output (a bidirectional block: forward units, then backward)
    length: int  # real steps of the probe sample (T)
    input_name: str | None = None  # the model input that runs along this block's time axis
    tokens: list[int] | None = None  # its token ids, when that input holds tokens (the vocabulary is in the data meta)
    values: np.ndarray | None = None  # [T, features] its values, when that input holds numbers


@dataclass
class ActivationProbe:
    """Statistics of every wired block output on the probe batch (what the canvas shows on a hovered edge).

    ``stats`` maps "<node id>:<output port>" to {"mean", "std", "min", "max": float, "saturated": float | None,
    "squash": "tanh" | "sigmoid" | None}: over every probe sample and unit, real (unpadded) time steps only;
    std divides by n; saturated is the share of values with |x| > 0.99 (tanh) or x < 0.01 or x > 0.99 (sigmoid).
    """

    step: int  # global step
    stats: dict[str, dict]


@dataclass
class RunFinished:
    status: str  # "completed" | "stopped" | "early_stopped" | "failed"
    message: str
    block: str | None  # the block a failure points at, if any
    best: dict | None  # {"epoch": n, "metric": name, "value": v}
    test: dict[str, float] | None
    duration_s: float
    run_dir: str | None = None


EVENT_TYPES = {cls.__name__: cls for cls in
               (RunStarted, StepMetrics, EpochMetrics, GateProbe, AttentionProbe, TimeGradProbe, HiddenStateProbe,
                RunFinished)}
EVENT_TYPES[ActivationProbe.__name__] = ActivationProbe


def _significant(a: np.ndarray, digits: int = 6) -> np.ndarray:
    """Rounds to significant digits, not decimals: a vanishing gradient of 1e-9 must not log as 0."""
    a = a.astype(np.float64)
    finite = np.isfinite(a) & (a != 0)
    magnitude = np.floor(np.log10(np.abs(np.where(finite, a, 1.0))))
    factor = 10.0 ** (digits - 1 - magnitude)
    return np.where(finite, np.round(a * factor) / factor, a)


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return _significant(value).tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no nan/inf
    if isinstance(value, np.generic):
        return value.item()
    return value


def event_to_dict(event) -> dict[str, Any]:
    out = {"type": type(event).__name__}
    for f in fields(event):
        out[f.name] = _plain(getattr(event, f.name))
    return out


_ARRAY_FIELDS = {"gates", "cell_state", "weights", "norms", "states", "values"}


def _restore(name: str, value: Any) -> Any:
    if isinstance(value, str) and value in ("nan", "inf", "-inf"):
        return float(value)
    if name in _ARRAY_FIELDS and value is not None:
        if isinstance(value, dict):
            return {k: np.asarray(v, dtype=np.float32) for k, v in value.items()}
        return np.asarray(value, dtype=np.float32)
    if isinstance(value, dict):
        return {k: _restore("", v) for k, v in value.items()}
    return value


def event_from_dict(data: dict[str, Any]):
    """Rebuilds an event from a metrics.jsonl line (what the GUI does to reopen a finished run)."""
    cls = EVENT_TYPES[data["type"]]
    names = {f.name for f in fields(cls)}
    return cls(**{k: _restore(k, v) for k, v in data.items() if k in names})


SUMMARY_EVENTS = ("RunStarted", "EpochMetrics", "RunFinished")  # what a list of runs shows: a few lines of a log


def read_events(path, types: tuple[str, ...] | None = None) -> list:
    """Every event of a metrics.jsonl (of ``types`` only, when given). A last line cut short (a process killed
    mid-write) is left out: the run before it still reads; a broken line anywhere else is an error.

    With ``types`` the other lines are skipped by their opening (event_to_dict writes the type first) instead of
    parsed: a list of runs read every step of every run's log, 0.15 s per 1-epoch sentiment run, before the
    window's first paint."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().split("\n")
    wanted = tuple(f'{{"type": "{name}"' for name in types) if types is not None else None
    events = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if wanted is not None and line.startswith('{"type": "') and not line.startswith(wanted):
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # no newline after it: the write never finished
                break
            raise
        if wanted is None or data.get("type") in types:
            events.append(event_from_dict(data))
    return events


def _coalesce_key(event) -> tuple | None:
    if isinstance(event, GateProbe):
        return ("gate", event.block, event.layer, event.direction)
    if isinstance(event, AttentionProbe):
        return ("attention", event.block)
    if isinstance(event, TimeGradProbe):
        return ("time", event.block)
    if isinstance(event, HiddenStateProbe):
        return ("hidden", event.block)
    if isinstance(event, ActivationProbe):
        return ("activations",)  # one picture of the whole model: only the newest matters
    return None


class EventStream:
    """Thread-safe, never-blocking event queue between the trainer (emit) and a consumer (drain)."""

    def __init__(self, max_pending_steps: int = 2000):
        self._lock = threading.Lock()
        self._pending: deque = deque()
        self._probe_slots: set[tuple] = set()  # coalesce keys of undrained probe events
        self._max_steps = max_pending_steps
        self._step_count = 0
        self.dropped = 0  # events replaced or thinned because the consumer was behind

    def emit(self, event) -> None:
        key = _coalesce_key(event)
        with self._lock:
            if key is not None and key in self._probe_slots:
                # Replace the undrained older probe of the same block in place: the newest picture wins.
                for i, old in enumerate(self._pending):
                    if _coalesce_key(old) == key:
                        self._pending[i] = event
                        self.dropped += 1
                        return
            if key is not None:
                self._probe_slots.add(key)
            self._pending.append(event)
            if isinstance(event, StepMetrics):
                self._step_count += 1
                if self._step_count > self._max_steps:
                    self._thin_steps()

    def _thin_steps(self) -> None:
        # Drop every second undrained StepMetrics (never the newest): the curve keeps its shape.
        kept: deque = deque()
        seen = 0
        newest = next(e for e in reversed(self._pending) if isinstance(e, StepMetrics))
        for event in self._pending:
            if isinstance(event, StepMetrics) and event is not newest:
                seen += 1
                if seen % 2 == 0:
                    self.dropped += 1
                    continue
            kept.append(event)
        self._pending = kept
        self._step_count = sum(isinstance(e, StepMetrics) for e in kept)

    def drain(self) -> list:
        with self._lock:
            events = list(self._pending)
            self._pending.clear()
            self._probe_slots.clear()
            self._step_count = 0
        return events
