"""Training: the configuration dataclass, the Session and the Trainer loop with hooks, typed events and run folders.

See docs/ARCHITECTURE.md, "Training contract".
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports

# Each name is imported on first use (PEP 562): the settings schema (config) and events load without torch.
_WHERE = {
    **dict.fromkeys(("ConfigError", "TrainingConfig"), ".config"),
    **dict.fromkeys(("ActivationProbe", "AttentionProbe", "EpochMetrics", "EventStream", "GateProbe", "RunFinished",
                     "RunStarted", "StepMetrics", "TimeGradProbe", "event_from_dict", "event_to_dict", "read_events"),
                    ".events"),
    "Hook": ".hooks",
    **dict.fromkeys(("RunResult", "Trainer"), ".loop"),
    **dict.fromkeys(("Run", "RunError", "find_runs"), ".runs"),
    **dict.fromkeys(("Session", "TrainingFailure", "open_session"), ".session"),
}


__getattr__ = exports(__name__, _WHERE, globals())  # PEP 562: each name imported at first use


if TYPE_CHECKING:
    from .config import ConfigError, TrainingConfig
    from .events import (ActivationProbe, AttentionProbe, EpochMetrics, EventStream, GateProbe, RunFinished,
                         RunStarted, StepMetrics, TimeGradProbe, event_from_dict, event_to_dict, read_events)
    from .hooks import Hook
    from .loop import RunResult, Trainer
    from .runs import Run, RunError, find_runs
    from .session import Session, TrainingFailure, open_session

__all__ = ["ConfigError", "TrainingConfig", "ActivationProbe", "AttentionProbe", "EpochMetrics", "EventStream",
           "GateProbe", "RunFinished", "RunStarted", "StepMetrics", "TimeGradProbe", "event_from_dict", "event_to_dict",
           "read_events", "Hook", "RunResult", "Trainer", "TrainingFailure", "Run", "RunError", "find_runs",
           "Session", "open_session"]
