"""Training: the configuration dataclass, the Session and the Trainer loop with hooks, typed events and run folders.

See docs/ARCHITECTURE.md, "Training contract".
"""
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
