"""Training: the configuration dataclass, the Session and the Trainer loop with hooks, typed events and run folders.

See docs/ARCHITECTURE.md, "Training contract".
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

# Each name is imported on first use (PEP 562): the settings schema (config) and events load without torch.
_WHERE = {
    **dict.fromkeys(("ConfigError", "TrainingConfig"), ".config"),
    **dict.fromkeys(("ActivationProbe", "AttentionProbe", "EpochMetrics", "EventStream", "GateProbe", "RunFinished", "RunStarted",
                     "StepMetrics", "TimeGradProbe", "event_from_dict", "event_to_dict", "read_events"), ".events"),
    "Hook": ".hooks",
    **dict.fromkeys(("RunResult", "Trainer"), ".loop"),
    **dict.fromkeys(("Run", "RunError", "find_runs"), ".runs"),
    **dict.fromkeys(("Session", "TrainingFailure", "open_session"), ".session"),
}


def __getattr__(name: str):
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from .config import ConfigError, TrainingConfig
    from .events import (ActivationProbe, AttentionProbe, EpochMetrics, EventStream, GateProbe, RunFinished, RunStarted, StepMetrics,
                         TimeGradProbe, event_from_dict, event_to_dict, read_events)
    from .hooks import Hook
    from .loop import RunResult, Trainer
    from .runs import Run, RunError, find_runs
    from .session import Session, TrainingFailure, open_session

__all__ = ["ConfigError", "TrainingConfig", "ActivationProbe", "AttentionProbe", "EpochMetrics", "EventStream", "GateProbe",
           "RunFinished", "RunStarted", "StepMetrics", "TimeGradProbe", "event_from_dict", "event_to_dict",
           "read_events", "Hook", "RunResult", "Trainer", "TrainingFailure", "Run", "RunError", "find_runs",
           "Session", "open_session"]
