"""Training settings that only some models can take: the monitored metric must be one the model reports, truncated
BPTT needs a language model, teacher forcing below 1 needs an encoder-decoder. One set of rules for the trainer
(which refuses before the run folder is made) and ``rnn-studio check`` (which refuses what train would).

``model`` is a CompiledModel or an engine.data.checks.ModelView: both list ``inputs`` and ``heads``.
"""
from __future__ import annotations

from ..losses import metric_names
from ..specs import TensorKind, shown
from .config import ConfigError, TrainingConfig


def decoder_input(model) -> tuple[int, str] | None:
    """(head index, decoder input name) of an encoder-decoder: a per-step head whose time axis is a token input
    read by a decoder, next to a second input; None for other models."""
    tokens = {i.name for i in model.inputs if i.kind is TensorKind.TOKENS}
    for index, head in enumerate(model.heads):
        if (head.task in ("labelling", "language_model") and head.input_shape is not None
                and head.time_source in tokens and len(model.inputs) > 1):
            return index, head.time_source
    return None


def validation_metrics(model) -> list[str]:
    """Every metric a validation pass of ``model`` reports, as the monitor names it (``val_`` + key)."""
    heads = [h for h in model.heads if h.input_shape is not None]
    keys = ["loss"]
    for head in heads:
        prefix = "" if len(heads) == 1 else head.name + "/"
        keys += ([prefix + "loss"] if prefix else []) + [prefix + m for m in metric_names(head)]
    if decoder_input(model) is not None:
        keys.append("free_running_accuracy")
    return ["val_" + k for k in keys]


def setting_problems(config: TrainingConfig, model) -> list[ConfigError]:
    """What ``config`` asks of ``model`` that it cannot give, one ConfigError per setting."""
    problems = []
    metrics = validation_metrics(model)
    if model.heads and config.monitor not in metrics:
        problems.append(ConfigError("monitor", f"{shown(config.monitor)} is not a validation metric of this model "
                                               f"(it has {', '.join(metrics)})"))
    if config.tbptt and (len(model.inputs) != 1 or not any(h.task == "language_model" for h in model.heads)):
        problems.append(ConfigError("tbptt", "truncated BPTT applies to language models with one input; set it to 0"))
    if (config.teacher_forcing < 1.0 or config.teacher_forcing_schedule != "constant") and decoder_input(model) is None:
        problems.append(ConfigError("teacher_forcing", "below 1 (or a schedule) needs an encoder-decoder: a per-step "
                                                       "head whose time axis is a token input read by a decoder, next "
                                                       "to a second input"))
    return problems
