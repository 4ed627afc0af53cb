"""The trainer's settings as one dataclass, stored in a document's ``training`` section.

``from_dict`` checks every field and names the bad one (``training.lr: must be ...``); unknown keys are errors.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "cosine", "plateau")
CLIPS = ("none", "norm", "value")
DEVICES = ("auto", "cpu", "cuda")
PROBES = ("grad_norms", "gates", "attention", "time_grads")


class ConfigError(ValueError):
    """A training setting that is not allowed; ``field`` names it."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        super().__init__(f"training.{field_name}: {message}")


@dataclass
class TrainingConfig:
    epochs: int = 10
    batch_size: int = 32  # the global batch: split evenly over processes when distributed
    optimizer: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9  # SGD momentum, RMSprop momentum
    weight_decay: float = 0.0
    schedule: str = "none"
    step_size: int = 10  # epochs between decays (schedule "step")
    gamma: float = 0.5  # decay factor (step, plateau)
    plateau_patience: int = 2  # epochs without improvement before the plateau schedule decays
    min_lr: float = 0.0  # floor for cosine and plateau
    clip: str = "norm"
    clip_value: float = 1.0  # max global norm (clip "norm") or max |gradient| (clip "value")
    monitor: str = "val_loss"  # the validation metric for best checkpoint, plateau and early stopping
    early_stopping: int = 0  # patience in epochs; 0 = off
    seed: int = 0
    device: str = "auto"
    bf16: bool = False  # bfloat16 autocast on CUDA (ignored on CPU)
    tbptt: int = 0  # truncated BPTT chunk length for language models; 0 = whole sequences
    teacher_forcing: float = 1.0  # seq2seq: probability the decoder reads the true previous token
    shuffle: bool = True
    max_steps_per_epoch: int = 0  # 0 = the whole training split (short runs for tests and previews)
    probes: list[str] = field(default_factory=lambda: list(PROBES))
    probe_budget: float = 0.03  # fraction of training time the scheduled probes may use
    probe_batch: int = 16  # samples of the fixed probe batch (from the validation split)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "TrainingConfig":
        data = dict(data or {})
        known = {f.name: f for f in fields(cls)}
        for key in data:
            if key not in known:
                raise ConfigError(key, f"is not a training setting (known: {', '.join(known)})")
        config = cls(**data)
        config.validate()
        return config

    def replace(self, **changes: Any) -> "TrainingConfig":
        merged = self.to_dict()
        merged.update({k: v for k, v in changes.items() if v is not None})
        return TrainingConfig.from_dict(merged)

    def validate(self) -> None:
        def number(name, lo=None, hi=None, integer=False, lo_open=False):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int if integer else (int, float)):
                raise ConfigError(name, f"must be a {'whole ' if integer else ''}number, got {value!r}")
            if lo is not None and (value <= lo if lo_open else value < lo):
                raise ConfigError(name, f"must be {'greater than' if lo_open else 'at least'} {lo}, got {value}")
            if hi is not None and value > hi:
                raise ConfigError(name, f"must be at most {hi}, got {value}")

        def choice(name, choices):
            if getattr(self, name) not in choices:
                raise ConfigError(name, f"must be one of {', '.join(choices)}, got {getattr(self, name)!r}")

        number("epochs", 1, integer=True)
        number("batch_size", 1, integer=True)
        choice("optimizer", OPTIMIZERS)
        number("lr", 0, lo_open=True)
        number("momentum", 0, 1)
        number("weight_decay", 0)
        choice("schedule", SCHEDULES)
        number("step_size", 1, integer=True)
        number("gamma", 0, 1, lo_open=True)
        number("plateau_patience", 0, integer=True)
        number("min_lr", 0)
        choice("clip", CLIPS)
        number("clip_value", 0, lo_open=True)
        if not isinstance(self.monitor, str) or not self.monitor.startswith("val_"):
            raise ConfigError("monitor", f"must name a validation metric such as val_loss or val_accuracy, "
                                         f"got {self.monitor!r}")
        number("early_stopping", 0, integer=True)
        number("seed", 0, integer=True)
        choice("device", DEVICES)
        if not isinstance(self.bf16, bool):
            raise ConfigError("bf16", "must be true or false")
        number("tbptt", 0, integer=True)
        number("teacher_forcing", 0, 1)
        if not isinstance(self.shuffle, bool):
            raise ConfigError("shuffle", "must be true or false")
        number("max_steps_per_epoch", 0, integer=True)
        if not isinstance(self.probes, list) or any(p not in PROBES for p in self.probes):
            raise ConfigError("probes", f"must be a list drawn from {', '.join(PROBES)}, got {self.probes!r}")
        number("probe_budget", 0, 0.5)
        number("probe_batch", 1, integer=True)
