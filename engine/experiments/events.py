"""What an experiment reports while it runs: plain, picklable dataclasses sent by the worker processes to the
process running ``Experiment.run`` (the CLI prints them, the window turns them into signals).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TrialStarted:
    worker: int
    number: int  # Optuna's trial number
    slot: int  # 0 .. trials-1: the place in the budget
    label: str  # "kind=gru, length=50"
    values: dict[str, Any]
    repeat: int = 0  # 0 .. repeats-1
    run_dir: str | None = None


@dataclass(frozen=True)
class TrialEpoch:
    worker: int
    number: int
    repeat: int
    epoch: int
    epochs: int
    monitor: str
    value: float | None  # the monitored metric this epoch
    run_dir: str | None = None


@dataclass(frozen=True)
class TrialFinished:
    worker: int
    number: int
    slot: int
    label: str
    status: str  # completed | failed | pruned | impossible | stopped
    value: float | None
    message: str = ""
    run_dirs: tuple[str, ...] = ()
    duration_s: float = 0.0


@dataclass(frozen=True)
class WorkerExited:
    worker: int
    reason: str  # "done" (no trial left), "stopped", or what ended it
    trials: int = 0  # trials it finished


@dataclass(frozen=True)
class ExperimentFinished:
    status: str  # completed | stopped | failed
    message: str
    folder: str
    counts: dict[str, int] = field(default_factory=dict)  # status -> trials
    best: dict[str, Any] | None = None
