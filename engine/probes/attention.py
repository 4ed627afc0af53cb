"""The attention probe: each attention block's weights on the first probe sample, with what they are over.

A forward pre-hook records the lengths tensors each attention block receives; the compiled graph passes an
input block's lengths through unchanged, so the tensor itself names the model input along the query axis
(the decoder's input for cross-attention, the sequence's own for self-attention) and along the key axis (the
encoder's input). The event carries those inputs' token ids over the real steps, and the sample's target and
the model's answer, so a view can label both axes and say what the sample was.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ..blocks.attention_modules import AttentionPooling, CrossAttention, SelfAttention
from ..training.events import AttentionProbe


@dataclass
class _Call:
    query: tuple[Tensor, Tensor] | None = None  # (sequence, lengths) the queries come from; None for pooling
    key: tuple[Tensor, Tensor] | None = None  # (sequence, lengths) attended over


def _call_of(module: nn.Module, args: tuple, kwargs: dict) -> _Call:
    values = list(args) + list(kwargs.values())
    if isinstance(module, CrossAttention) and len(values) >= 4:
        query, memory, query_lengths, memory_lengths = values[:4]
        return _Call((query, query_lengths), (memory, memory_lengths))
    if isinstance(module, SelfAttention) and len(values) >= 2:
        return _Call((values[0], values[1]), (values[0], values[1]))
    if isinstance(module, AttentionPooling) and len(values) >= 2:
        return _Call(None, (values[0], values[1]))
    return _Call()  # an attention module of another kind: its weights without labels


class AttentionRecorder:
    """Context manager: remembers what each attention block of ``blocks`` was called with in one forward."""

    def __init__(self, blocks: dict[str, nn.Module]):
        self.blocks = blocks
        self.calls: dict[str, _Call] = {}
        self._handles: list = []

    def __enter__(self) -> "AttentionRecorder":
        for name, block in self.blocks.items():
            def on_call(mod, args, kwargs, name=name):
                self.calls[name] = _call_of(mod, args, kwargs)

            self._handles.append(block.register_forward_pre_hook(on_call, with_kwargs=True))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def input_along(lengths: Tensor, steps: int, inputs: dict[str, Tensor], all_lengths: dict[str, Tensor]) -> str | None:
    """The model input whose time axis a block reads: the one whose lengths tensor reached it, else the only
    one with the same step count and the same lengths."""
    for name, candidate in all_lengths.items():
        if candidate is lengths:
            return name
    fits = [name for name, x in inputs.items() if x.dim() >= 2 and x.shape[1] == steps
            and torch.equal(all_lengths[name].cpu(), lengths.cpu())]
    return fits[0] if len(fits) == 1 else None


def _axis(side: tuple[Tensor, Tensor] | None, batch) -> tuple[str | None, list[int] | None, int | None]:
    """(input name, token ids over the real steps or None for numbers, real steps) of the first sample."""
    if side is None:
        return None, None, None
    sequence, lengths = side
    length = int(lengths[0])
    name = input_along(lengths, sequence.shape[1], batch.inputs, batch.lengths)
    if name is None:
        return None, None, length
    sample = batch.inputs[name][0, :length]
    tokens = None if sample.dtype.is_floating_point else [int(t) for t in sample.tolist()]
    return name, tokens, length


def _answer(head, output: Tensor, target: Tensor):
    """(target, prediction) of the first sample: a class index each, or ids over the real target steps."""
    task = getattr(head, "task", None)
    first, out = target[0], output[0].detach()
    if target.dim() == 2 and not target.is_floating_point():  # per step; -100 marks padding
        real = first != -100
        predicted = out.argmax(-1)[:first.shape[0]] if out.dim() == 2 else None
        return ([int(t) for t in first[real].tolist()],
                None if predicted is None else [int(t) for t in predicted[real].tolist()])
    if target.dim() != 1 or task == "regression":
        return None, None
    binary = target.is_floating_point() or (head is not None and head.params.get("mode") == "binary")
    if binary:
        activation = getattr(getattr(head, "input_shape", None), "activation", None)
        threshold = 0.5 if activation == "sigmoid" else 0.0  # a probability after a sigmoid, else a logit
        return int(round(float(first))), (int(float(out.reshape(-1)[0]) > threshold) if head is not None else None)
    return int(first), (int(out.argmax(-1)) if out.dim() == 1 else None)


def _target_and_prediction(outputs: list[Tensor], batch, heads) -> tuple:
    """The sample's target and the model's answer on the probe forward, for the first head the data gives a
    target for (every head when ``heads`` is None and the model has one output and one target)."""
    if heads is None:
        if len(outputs) != 1 or len(batch.targets) != 1:
            return None, None, None
        name, target = next(iter(batch.targets.items()))
        return (name,) + _answer(None, outputs[0], target)
    for head, output in zip(heads, outputs):
        if head.name in batch.targets:
            return (head.name,) + _answer(head, output, batch.targets[head.name])
    return None, None, None


def attention_events(blocks: dict[str, nn.Module], recorder: AttentionRecorder, outputs: list[Tensor], batch,
                     step: int, heads=None) -> list[AttentionProbe]:
    """One AttentionProbe per attention block that ran: its weights for the first probe sample ([Tq, Tk] over
    the batch's padded width, or [T] for pooling; ``query_length``/``key_length`` say how many are real),
    the inputs along both axes and their token ids over the real steps, and the sample's target/prediction."""
    head, target, prediction = _target_and_prediction(outputs, batch, heads)
    events = []
    for name, block in blocks.items():
        weights = block.last_weights
        if not weights.numel():
            continue
        call = recorder.calls.get(name, _Call())
        query_input, query_tokens, query_length = _axis(call.query, batch)
        key_input, key_tokens, key_length = _axis(call.key, batch)
        events.append(AttentionProbe(step, name, np.asarray(weights[0].detach().float().cpu().numpy()),
                                     query_input=query_input, query_tokens=query_tokens, query_length=query_length,
                                     key_input=key_input, key_tokens=key_tokens, key_length=key_length,
                                     head=head, target=target, prediction=prediction))
    return events
