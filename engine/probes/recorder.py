"""Runs every probe on a fixed probe batch: one extra forward/backward outside the training step.

Forward hooks record each recurrent block's input, initial state and fused-layer output; attention
blocks keep their weights; gradients w.r.t. block outputs are taken with autograd.grad (no .grad touched).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import Tensor, nn

from ..blocks.recurrent_modules import _RecurrentBase
from ..training.events import ActivationProbe, GateProbe, HiddenStateProbe, TimeGradProbe
from .activations import ActivationRecorder, PortTap
from .attention import AttentionRecorder, attention_events
from .gates import cell_of, gate_activations, layer_records, layer_weights, unpack
from .timegrad import time_gradient_norms


@dataclass
class _Recording:
    x: Tensor | None = None
    lengths: Tensor | None = None
    initial_state: Tensor | None = None
    outputs: tuple = ()
    fused_output: Tensor | None = None


@dataclass
class ProbeBatch:
    """The slice of a Batch the probes need (Batch itself belongs to engine.data)."""

    inputs: dict[str, Tensor]
    lengths: dict[str, Tensor]
    targets: dict[str, Tensor]
    size: int = 0

    @classmethod
    def from_batch(cls, batch, limit: int, device) -> "ProbeBatch":
        cut = lambda d: {k: v[:limit].to(device) for k, v in d.items()}  # noqa: E731
        inputs = cut(batch.inputs)
        return cls(inputs, cut(batch.lengths), cut(batch.targets), next(iter(inputs.values())).shape[0])


def recurrent_blocks(module: nn.Module) -> dict[str, _RecurrentBase]:
    return {name: m for name, m in module.named_children() if isinstance(m, _RecurrentBase)}


def attention_blocks(module: nn.Module) -> dict[str, nn.Module]:
    return {name: m for name, m in module.named_children() if hasattr(m, "last_weights")}


class ProbeRecorder:
    """Context manager: records recurrent blocks during one forward pass."""

    def __init__(self, module: nn.Module):
        self.blocks = recurrent_blocks(module)
        self.records: dict[str, _Recording] = {name: _Recording() for name in self.blocks}
        self._handles = []

    def __enter__(self) -> "ProbeRecorder":
        for name, block in self.blocks.items():
            record = self.records[name]

            def on_block(mod, args, kwargs, output, record=record):
                record.x, record.lengths = args[0], args[1]
                record.initial_state = args[2] if len(args) > 2 else kwargs.get("initial_state")
                record.outputs = output

            def on_rnn(mod, args, output, record=record):
                record.fused_output = output[0]

            self._handles.append(block.register_forward_hook(on_block, with_kwargs=True))
            self._handles.append(block.rnn.register_forward_hook(on_rnn))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()


def _hx(block: _RecurrentBase, state: Tensor | None):
    if state is None:
        return None
    if isinstance(block.rnn, nn.LSTM):
        return state[0], state[1]
    return state[0]


def _array(t: Tensor) -> np.ndarray:
    return t.detach().float().cpu().numpy()


def run_probes(module: nn.Module, batch: ProbeBatch, loss_fn: Callable[[list, ProbeBatch], Tensor],
               step: int, which: set[str], heads=None, taps: list[PortTap] | None = None) -> list:
    """Events of every enabled probe ("gates", "attention", "time_grads", "activations") on ``batch``; "gates"
    also gives the hidden states of every recurrent block, the plain RNN included. ``heads`` (the compiled model's,
    in output order) let the attention probe name the sample's target and the model's answer. "activations"
    summarises the output ports ``taps`` lists (engine.probes.activations.activation_ports) in the same pass."""
    events: list = []
    was_training = module.training
    module.eval()  # no dropout: gates recomputed layer by layer must see what the fused layer saw
    activations = ActivationRecorder(module, taps if "activations" in which and taps else [], batch.lengths)
    try:
        # cuDNN's RNN backward refuses eval mode; the probe batch is small, the native kernels do fine.
        attention = attention_blocks(module) if "attention" in which else {}
        with torch.backends.cudnn.flags(enabled=False), ProbeRecorder(module) as recorder, \
                AttentionRecorder(attention) as attention_calls, activations:
            with torch.set_grad_enabled("time_grads" in which):
                activations.record_inputs(batch.inputs)
                outputs = loss_inputs = module_forward(module, batch)
                loss = loss_fn(loss_inputs, batch) if "time_grads" in which else None
            grads = _output_grads(recorder, loss) if loss is not None and loss.requires_grad else {}
            for name, block in recorder.blocks.items():
                record = recorder.records[name]
                if record.x is None or not which & {"gates", "time_grads"}:
                    continue
                events += _block_events(name, block, record, step, which, grads.get(name))
                if "gates" in which:
                    events.append(_hidden_states(name, record, batch, step))
        if attention:
            events += attention_events(attention, attention_calls, outputs, batch, step, heads)
        if activations.stats:
            events.append(ActivationProbe(step, activations.stats))
        del outputs
    finally:
        module.train(was_training)
    return events


def module_forward(module: nn.Module, batch: ProbeBatch) -> list[Tensor]:
    args = []
    for name in batch.inputs:
        args += [batch.inputs[name], batch.lengths[name]]
    out = module(*args)
    return list(out) if isinstance(out, tuple) else [out]


def _output_grads(recorder: ProbeRecorder, loss: Tensor) -> dict[str, tuple]:
    targets, owners = [], []
    for name, record in recorder.records.items():
        for index, tensor in enumerate(record.outputs or ()):
            if isinstance(tensor, Tensor) and tensor.requires_grad:
                targets.append(tensor)
                owners.append((name, index))
    if not targets:
        return {}
    values = torch.autograd.grad(loss, targets, allow_unused=True)
    out: dict[str, list] = {}
    for (name, index), value in zip(owners, values):
        out.setdefault(name, [None, None, None])[index] = value
    return {name: tuple(v) for name, v in out.items()}


def _hidden_states(name: str, record: _Recording, batch: ProbeBatch, step: int) -> HiddenStateProbe:
    steps = record.x.shape[1]
    top_output, _ = unpack(record.fused_output, steps)
    length0 = int(record.lengths[0])
    event = HiddenStateProbe(step, name, _array(top_output[0, :length0]), length0)
    source = _time_source(record, batch)
    if source is not None:
        sample = batch.inputs[source][0, :length0]
        event.input_name = source
        if sample.dtype.is_floating_point:
            event.values = _array(sample.reshape(length0, -1))
        else:
            event.tokens = [int(t) for t in sample.tolist()]
    return event


def _time_source(record: _Recording, batch: ProbeBatch) -> str | None:
    """The model input whose time axis the block reads: the one whose lengths tensor reached the block (the
    compiled graph passes it through unchanged), else the only one of the same length and step count."""
    for name, lengths in batch.lengths.items():
        if lengths is record.lengths:
            return name
    steps = record.x.shape[1]
    fits = [name for name, x in batch.inputs.items() if x.shape[1] == steps
            and torch.equal(batch.lengths[name].cpu(), record.lengths.cpu())]
    return fits[0] if len(fits) == 1 else None


def _block_events(name: str, block: _RecurrentBase, record: _Recording, step: int, which: set[str],
                  grads) -> list:
    rnn = block.rnn
    cell = cell_of(rnn)
    steps = record.x.shape[1]
    top_output, _ = unpack(record.fused_output, steps)
    lengths = record.lengths.to(record.x.device)
    layers = layer_records(rnn, record.x.detach(), lengths, _hx(block, record.initial_state), top_output.detach())
    length0 = int(lengths[0])
    events: list = []
    if "gates" in which and cell in ("lstm", "gru"):
        valid = (torch.arange(steps, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)).unsqueeze(-1)
        for layer in layers:
            for direction in range(len(layer.outputs)):
                gates, cells = gate_activations(cell, layer_weights(rnn, layer.layer, direction), layer.inputs,
                                                layer.outputs[direction], layer.h0[direction],
                                                layer.c0[direction], lengths, reverse=bool(direction))
                count = valid.sum().clamp_min(1) * gates[next(iter(gates))].shape[-1]
                means = {g: float((v * valid).sum() / count) for g, v in gates.items()}
                events.append(GateProbe(step, name, layer.layer, "backward" if direction else "forward",
                                        {g: _array(v[0, :length0]) for g, v in gates.items()}, means,
                                        None if cells is None else _array(cells[0, :length0]), length0))
    if "time_grads" in which and grads is not None:
        norms = time_gradient_norms(block, cell, layers[-1], lengths, grads)
        events.append(TimeGradProbe(step, name, norms.numpy()))
    return events
