"""Checks that a dataset fits the compiled model before training: kinds, feature counts, vocabulary and
class counts, and per-step targets on the right time axis; each failure says which block to change.
"""
from __future__ import annotations

import torch

from ..specs import TensorKind
from .base import BINARY, CLASS, SEQUENCE, STEP_CLASSES, TOKENS, VALUE, DataError


def _width(values) -> int:
    """Features of a SEQUENCE/VALUE field: the last axis (a tensor, or the first sample of a list)."""
    first = values if isinstance(values, torch.Tensor) else torch.as_tensor(values[0])
    return int(first.shape[-1]) if first.dim() > (1 if isinstance(values, torch.Tensor) else 0) else 1


def _max_id(values) -> int:
    if isinstance(values, torch.Tensor):
        return int(values.max()) if values.numel() else 0
    return max((int(torch.as_tensor(v).max()) for v in values if len(v)), default=0)


def check_against_model(spec, table, kinds, inputs, targets, model, vocab_of) -> None:
    by_input = {i.name: i for i in model.inputs}
    for block, name in inputs.items():
        item, kind = by_input[block], kinds[name]
        if item.kind is TensorKind.TOKENS:
            if kind != TOKENS:
                raise DataError(f"input block '{block}' takes token ids, but field '{name}' of dataset "
                                f"'{spec.name}' is {kind}: use a Feature sequence input block")
            size = len(vocab_of[name]) if name in vocab_of else _max_id(table.columns[name]) + 1
            if item.vocab is not None and size > item.vocab:
                raise DataError(f"field '{name}' of dataset '{spec.name}' has a vocabulary of {size} tokens, but "
                                f"input block '{block}' has vocab_size {item.vocab}: set vocab_size (and the "
                                f"embedding's) to at least {size}, or cap it with option 'max_vocab'")
        else:
            if kind != SEQUENCE:
                raise DataError(f"input block '{block}' takes a feature sequence, but field '{name}' of dataset "
                                f"'{spec.name}' is {kind}: use a Token sequence input block")
            width = _width(table.columns[name])
            if item.features is not None and width != item.features:
                raise DataError(f"field '{name}' of dataset '{spec.name}' has {width} features per step, but input "
                                f"block '{block}' has features = {item.features}: set it to {width}")
    fields = {f.name: f for f in spec.fields}
    for head in model.heads:
        name = targets[head.name]
        kind, shape = kinds[name], head.input_shape
        units = shape.features
        if head.task == "regression":
            if kind != VALUE:
                raise DataError(f"regression head '{head.name}' needs numbers, but field '{name}' holds {kind}")
            width = _width(table.columns[name])
            if units is not None and width != units:
                raise DataError(f"field '{name}' of dataset '{spec.name}' has {width} value(s) per sample, but the "
                                f"Dense before head '{head.name}' has {units} units: set units to {width}")
        elif head.task == "classification":
            if kind not in (CLASS, BINARY):
                raise DataError(f"classification head '{head.name}' needs labels, but field '{name}' holds {kind}")
            classes = len(table.labels.get(name, [])) or _max_id(table.columns[name]) + 1
            if kind == CLASS and units is not None and classes > units:
                raise DataError(f"field '{name}' of dataset '{spec.name}' has {classes} classes, but the Dense "
                                f"before head '{head.name}' has {units} units: set units to {classes}")
        else:  # labelling, language_model: one class per step, on the time axis of an input
            if kind != STEP_CLASSES:
                raise DataError(f"{head.task} head '{head.name}' needs a class at every step, but field '{name}' "
                                f"holds {kind}")
            classes = len(table.labels.get(name, [])) or _max_id(table.columns[name]) + 1
            if units is not None and classes > units:
                raise DataError(f"field '{name}' of dataset '{spec.name}' has {classes} classes, but the Dense "
                                f"before head '{head.name}' has {units} units: set units to {classes}")
            time_field = fields[name].time
            if head.time_source and inputs.get(head.time_source) != time_field:
                raise DataError(f"head '{head.name}' follows the time axis of input block '{head.time_source}', "
                                f"so map that block to field '{time_field}' in data.inputs")
