"""Trainer hooks: the loop calls them at fixed points and knows nothing of what they do (DESIGN.md, 7).

Checkpoints and early stopping live here; probes are hooks too (engine.probes.hook).
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..specs import shown
from .config import ConfigError, higher_is_better

if TYPE_CHECKING:
    from .events import EpochMetrics, StepMetrics
    from .loop import Trainer


class Hook:
    """Override what you need. ``trainer.stop(reason)`` from a hook ends the run after the current step."""

    def on_run_start(self, trainer: "Trainer") -> None: ...

    def on_after_backward(self, trainer: "Trainer") -> None: ...

    def on_step_end(self, trainer: "Trainer", metrics: "StepMetrics") -> None: ...

    def on_epoch_end(self, trainer: "Trainer", metrics: "EpochMetrics") -> None: ...

    def on_run_end(self, trainer: "Trainer", result) -> None: ...


class Monitor:
    """Tracks the monitored validation metric (``val_loss`` -> val["loss"]) and whether it improved."""

    def __init__(self, name: str):
        self.name = name
        self.key = name.removeprefix("val_")
        self.maximize = higher_is_better(self.key)
        self.best: float | None = None
        self.best_epoch = 0

    def value(self, val: dict[str, float]) -> float:
        if self.key not in val:
            raise ConfigError("monitor", f"{shown(self.name)} is not a validation metric of this model "
                                         f"(it has {', '.join('val_' + k for k in val)})")
        return val[self.key]

    def update(self, val: dict[str, float], epoch: int) -> bool:
        value = self.value(val)
        if not math.isfinite(value):
            return False
        better = self.best is None or (value > self.best if self.maximize else value < self.best)
        if better:
            self.best, self.best_epoch = value, epoch
        return better

    def summary(self) -> dict | None:
        return None if self.best is None else {"epoch": self.best_epoch, "metric": self.name, "value": self.best}


class CheckpointHook(Hook):
    """last.safetensors after every epoch; best.safetensors when the monitored metric improves."""

    def on_epoch_end(self, trainer, metrics) -> None:
        if trainer.run_dir is None:
            return
        from .checkpoints import save_checkpoint  # torch: hooks themselves load without it (the sweep's parent)

        meta = {"epoch": metrics.epoch, "monitor": trainer.monitor.name}
        save_checkpoint(trainer.model, trainer.run_dir.last_path, meta)
        if metrics.best:
            save_checkpoint(trainer.model, trainer.run_dir.best_path, meta)


class EarlyStoppingHook(Hook):
    def __init__(self, patience: int):
        self.patience = patience

    def on_epoch_end(self, trainer, metrics) -> None:
        if metrics.epoch - trainer.monitor.best_epoch >= self.patience:
            trainer.stop("early_stopped")
