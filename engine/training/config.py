"""The trainer's settings as one dataclass, stored in a document's ``training`` section, and their schema.

Every field is described once in ``TRAINING_PARAMS`` (type, range, choices, help, when it applies); validation,
``from_dict`` and help texts come from it. Errors name the field: ``training.lr: must be ...``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from ..specs import Param, one_line, shown

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop")
SCHEDULES = ("none", "step", "cosine", "plateau")
CLIPS = ("none", "norm", "value")
DEVICES = ("auto", "cpu", "cuda")
PROBES = ("grad_norms", "gates", "attention", "time_grads", "activations")
TEACHER_FORCING_SCHEDULES = ("constant", "linear", "inverse_sigmoid")
MONITORS = ("val_loss", "val_accuracy", "val_mae", "val_mse", "val_perplexity")
# The optimizers multiply float32 tensors by these (Adam by lr / 0.1 at its first step): near the largest float32
# (3.4e38) torch raises "value cannot be converted to type float without overflow" at the first step, a crash
# instead of a message. Not a Param max: the forms keep a line edit for these wide-ranging values.
FLOAT32_FACTORS = ("lr", "weight_decay", "min_lr")
FACTOR_MAX = 1e30

P = Param
TRAINING_PARAMS: tuple[Param, ...] = (
    P("epochs", int, 10, "Passes over the training split", min=1),
    P("batch_size", int, 32, "Samples per step (the global batch: split evenly over processes)", min=1),
    P("optimizer", str, "adam", "How the weights are updated", choices=OPTIMIZERS),
    P("lr", float, 1e-3, "Learning rate: the step size of the optimizer", min=0, min_open=True,
      label="Learning rate"),
    P("momentum", float, 0.9, "SGD / RMSprop momentum", min=0, max=1, when={"optimizer": ("sgd", "rmsprop")}),
    P("weight_decay", float, 0.0, "L2 penalty on the weights", min=0),
    P("schedule", str, "none", "How the learning rate changes over epochs", choices=SCHEDULES),
    P("step_size", int, 10, "Epochs between decays (schedule step)", min=1, when={"schedule": ("step",)}),
    P("gamma", float, 0.5, "Decay factor (step, plateau)", min=0, max=1, min_open=True,
      when={"schedule": ("step", "plateau")}),
    P("plateau_patience", int, 2, "Epochs without improvement before the plateau schedule decays", min=0,
      when={"schedule": ("plateau",)}),
    P("min_lr", float, 0.0, "Lowest learning rate of cosine and plateau", min=0,
      when={"schedule": ("cosine", "plateau")}, label="Lowest learning rate"),
    P("clip", str, "norm", "Gradient clipping: by global norm or value", choices=CLIPS),
    P("clip_value", float, 1.0, "Clipping threshold (max global norm, or max |gradient|)", min=0, min_open=True,
      when={"clip": ("norm", "value")}),
    P("monitor", str, "val_loss", "Validation metric for the best checkpoint, plateau and early stopping",
      prefix="val_", suggestions=MONITORS),
    P("early_stopping", int, 0, "Stop after this many epochs without improvement (0 = off)", min=0),
    P("seed", int, 0, "Random seed (same seed on CPU -> same curves)", min=0),
    P("device", str, "auto", "Where to train: auto picks CUDA when available", choices=DEVICES),
    P("bf16", bool, False, "bfloat16 autocast on CUDA (ignored on CPU)", label="bfloat16 on CUDA"),
    P("tbptt", int, 0, "Truncated BPTT chunk length for language models (0 = whole sequences)", min=0,
      label="Truncated BPTT"),
    P("teacher_forcing", float, 1.0, "Seq2seq: probability the decoder reads the true previous token (in the "
      "first epoch, when a schedule lowers it)", min=0, max=1),
    P("teacher_forcing_schedule", str, "constant", "Scheduled sampling (Bengio et al. 2015): how the teacher-forcing "
      "probability falls over epochs", choices=TEACHER_FORCING_SCHEDULES),
    P("teacher_forcing_end", float, 0.5, "Linear schedule: the probability in the last epoch", min=0, max=1,
      when={"teacher_forcing_schedule": ("linear",)}),
    P("teacher_forcing_k", float, 5.0, "Inverse-sigmoid schedule: k in k / (k + exp(epoch / k)); larger k falls "
      "later", min=1, when={"teacher_forcing_schedule": ("inverse_sigmoid",)}),
    P("shuffle", bool, True, "Shuffle the training split each epoch"),
    P("max_steps_per_epoch", int, 0, "Cap the steps of an epoch (0 = the whole training split)", min=0),
    P("probes", list, PROBES, "What to record while training: gradient norms, gates, attention, per-step "
                              "gradients, activation statistics on the wires", choices=PROBES),
    P("probe_budget", float, 0.03, "Share of training time the gate / gradient probes may use", min=0, max=0.5),
    P("probe_batch", int, 16, "Validation samples of the fixed probe batch", min=1),
)
TRAINING_HELP: dict[str, str] = {p.name: p.help for p in TRAINING_PARAMS}


def higher_is_better(metric: str) -> bool:
    """Whether a monitored metric improves upwards (accuracy) rather than downwards (losses, perplexity)."""
    return metric.split("/")[-1].removeprefix("val_") in ("accuracy",)


def training_param(name: str) -> Param:
    """The Param of one training setting; ConfigError naming the known ones for any other name."""
    for param in TRAINING_PARAMS:
        if param.name == name:
            return param
    raise ConfigError(name, f"is not a training setting (known: {', '.join(p.name for p in TRAINING_PARAMS)})")


class ConfigError(ValueError):
    """A training setting that is not allowed; ``field`` names it."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        # An unknown key is the document's own text: a newline or thousands of characters in it stay out of the line.
        name = str(field_name)
        shown_name = name if name.isprintable() and len(name) <= 64 else shown(name)
        super().__init__(f"training.{shown_name}: {one_line(message)}")


@dataclass
class TrainingConfig:
    """The settings one run uses; the defaults and ranges are those of ``TRAINING_PARAMS`` (a test holds them equal)."""

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
    teacher_forcing_schedule: str = "constant"  # constant | linear | inverse_sigmoid, over epochs
    teacher_forcing_end: float = 0.5  # linear: the probability in the last epoch
    teacher_forcing_k: float = 5.0  # inverse_sigmoid: k / (k + exp(i / k)) at epoch i (0-based)
    shuffle: bool = True
    max_steps_per_epoch: int = 0  # 0 = the whole training split (short runs for tests and previews)
    probes: list[str] = field(default_factory=lambda: list(PROBES))
    probe_budget: float = 0.03  # fraction of training time the scheduled probes may use
    probe_batch: int = 16  # samples of the fixed probe batch (from the validation split)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def teacher_forcing_at(self, epoch: int) -> float:
        """The teacher-forcing probability of ``epoch`` (1-based) under the schedule (Bengio et al. 2015)."""
        start, i = self.teacher_forcing, max(epoch, 1) - 1
        if self.teacher_forcing_schedule == "linear":
            share = i / (self.epochs - 1) if self.epochs > 1 else 0.0
            return start + (self.teacher_forcing_end - start) * min(share, 1.0)
        if self.teacher_forcing_schedule == "inverse_sigmoid":
            k = self.teacher_forcing_k
            return start * k / (k + math.exp(min(i / k, 700.0)))
        return start

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "TrainingConfig":
        if data is not None and not isinstance(data, dict):
            raise ConfigError("*", f"the training section must map setting names to values, got {shown(data)}")
        data = dict(data or {})
        known = [f.name for f in fields(cls)]
        for key in data:
            if key not in known:
                raise ConfigError(str(key), f"is not a training setting (known: {', '.join(known)})")
        config = cls(**data)
        config.validate()
        return config

    def replace(self, **changes: Any) -> "TrainingConfig":
        merged = self.to_dict()
        merged.update({k: v for k, v in changes.items() if v is not None})
        return TrainingConfig.from_dict(merged)

    def validate(self) -> None:
        """Raises ConfigError for the first field (in field order) its Param refuses."""
        for param in TRAINING_PARAMS:
            value = getattr(self, param.name)
            problem = param.problem(value)
            if problem:
                raise ConfigError(param.name, f"{problem}, got {shown(value)}")
            if param.name in FLOAT32_FACTORS and value > FACTOR_MAX:
                raise ConfigError(param.name, f"must be at most 1e30 (the optimizer computes in 32-bit floats), "
                                              f"got {shown(value)}")
