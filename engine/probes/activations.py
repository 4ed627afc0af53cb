"""The activations probe: mean, std, min, max and saturation of every wired block output on the probe batch.

Forward hooks on the compiled module's block submodules summarise each output the moment it is produced
(nothing is kept), over real time steps only; the canvas shows the numbers when an edge is hovered.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..specs import TensorKind

SATURATION = 0.99  # tanh: |x| > 0.99 is saturated; sigmoid: x < 0.01 or x > 0.99 (within 1 % of its bounds)
SIGMOID_LOW = 0.01  # written out: 1 - 0.99 is 0.010000000000000009 in floating point
_TANH_CELLS = ("lstm", "gru", "rnn_tanh")
_SEQUENCE_KINDS = (TensorKind.SEQUENCE, TensorKind.TOKENS)


@dataclass(frozen=True)
class PortTap:
    """Where one wired output port's tensor appears in the compiled module, and how to summarise it."""

    key: str  # "<node id>:<port>": the key of ActivationProbe.stats
    source: str  # the block's submodule name, or the model input's name for an input block
    index: int | None  # position in the submodule's output tuple (multi-output blocks); None: the output itself
    time: str | None  # the model input whose lengths mask the time axis (dim 1); None: no time axis
    squash: str | None  # "tanh" | "sigmoid" | None
    is_input: bool = False


def port_key(node_id: str, port: str) -> str:
    return f"{node_id}:{port}"


def squash_of(graph, node_id: str, port: str) -> str | None:
    """Which squashing produced this port's values: "tanh", "sigmoid" or None.

    Dense / Conv1D with a tanh or sigmoid activation; the hidden outputs (``sequence``, ``last``) of LSTM, GRU
    and tanh RNN cells, a bidirectional block's only when its directions are concatenated (a sum or product of
    two units is no unit of the cell); ``state`` of GRU and tanh RNN cells (an LSTM's holds the unbounded cell
    state too). Dropout (identity on the probe batch, which runs in eval mode) and last/max pooling pass their
    input's squashing on. Attention weights and everything else: None.
    """
    node = graph.nodes[node_id]
    kind, p = node.kind, node.params
    if kind in ("dense", "conv1d"):
        return p.get("activation") if p.get("activation") in ("tanh", "sigmoid") else None
    if kind in ("lstm", "gru", "rnn", "bidirectional"):
        cell = {"rnn": "rnn_" + str(p.get("nonlinearity", "tanh")), "bidirectional": p.get("cell")}.get(kind, kind)
        if cell not in _TANH_CELLS:
            return None
        if port == "state":
            return "tanh" if cell != "lstm" else None
        if kind == "bidirectional" and p.get("merge", "concat") != "concat":
            return None
        return "tanh"
    if kind == "dropout" or (kind == "pooling" and p.get("mode") in ("last", "max")):
        edge = graph.edge_into(node_id, node.spec.inputs[0].name)
        return squash_of(graph, edge.src, edge.src_port) if edge is not None else None
    return None


def activation_ports(graph, report) -> list[PortTap]:
    """One tap per output port that has a wire (what an edge on the canvas carries), in graph order.

    ``report`` is the graph's ShapeReport (``CompiledModel.report``): its shapes say which ports run along time
    and whose lengths mask them. Token inputs are left out: ids are not activations."""
    wired = {(e.src, e.src_port) for e in graph.edges}
    taps = []
    for node_id, node in graph.nodes.items():
        spec = node.spec
        for index, port in enumerate(spec.outputs):
            if (node_id, port.name) not in wired:
                continue
            shape = report.shapes.get((node_id, port.name))
            if shape is None or shape.kind is TensorKind.TOKENS:
                continue
            time = (node.name if spec.is_input else shape.time) if shape.kind in _SEQUENCE_KINDS else None
            taps.append(PortTap(port_key(node_id, port.name), node.name,
                                None if len(spec.outputs) == 1 else index, time,
                                squash_of(graph, node_id, port.name), spec.is_input))
    return taps


def port_stats(values: Tensor, lengths: Tensor | None = None, squash: str | None = None) -> dict | None:
    """{"mean", "std", "min", "max", "saturated", "squash"} of ``values`` over every sample and unit.

    With ``lengths`` ([B]), axis 1 is time and only the real steps ``t < lengths[b]`` count: padding must not
    pull the mean towards zero. ``std`` is the population standard deviation (divides by n), in float64.
    ``saturated`` is the share of values saturated by ``squash`` (see SATURATION), None without squashing.
    None when nothing is left to summarise (or the values are not numbers)."""
    if not values.dtype.is_floating_point:
        return None
    x = values.detach()
    if lengths is not None and x.dim() >= 2:
        steps = x.shape[1]
        real = torch.arange(steps, device=x.device).unsqueeze(0) < lengths.to(x.device).unsqueeze(1)
        x = x[real]  # [real steps of every sample, ...]
    x = x.reshape(-1).double()
    if not x.numel():
        return None
    parts = [x.mean(), x.std(correction=0), x.min(), x.max()]
    if squash == "tanh":
        parts.append((x.abs() > SATURATION).double().mean())
    elif squash == "sigmoid":
        parts.append(((x < SIGMOID_LOW) | (x > SATURATION)).double().mean())
    values = torch.stack(parts).tolist()  # one transfer from the device, not one per number
    return {"mean": values[0], "std": values[1], "min": values[2], "max": values[3],
            "saturated": values[4] if squash in ("tanh", "sigmoid") else None,
            "squash": squash if squash in ("tanh", "sigmoid") else None}


class ActivationRecorder:
    """Context manager: while a forward pass of ``module`` runs, summarises each tapped output as it appears.

    Only the summaries are kept, never the tensors. ``stats`` maps each tap's key to port_stats()."""

    def __init__(self, module: nn.Module, taps: list[PortTap], lengths: dict[str, Tensor]):
        self.module, self.taps, self.lengths = module, taps, lengths
        self.stats: dict[str, dict] = {}
        self._handles = []

    def _summarise(self, tap: PortTap, value) -> None:
        if tap.index is not None:
            value = value[tap.index] if isinstance(value, (tuple, list)) else None
        if not isinstance(value, Tensor):
            return
        stats = port_stats(value, self.lengths.get(tap.time) if tap.time else None, tap.squash)
        if stats is not None:
            self.stats[tap.key] = stats

    def record_inputs(self, inputs: dict[str, Tensor]) -> None:
        """The input blocks' ports: their values are the batch itself (no submodule produces them)."""
        for tap in self.taps:
            if tap.is_input and tap.source in inputs:
                self._summarise(tap, inputs[tap.source])

    def __enter__(self) -> "ActivationRecorder":
        children = dict(self.module.named_children())
        by_source: dict[str, list[PortTap]] = {}
        for tap in self.taps:
            if not tap.is_input and tap.source in children:
                by_source.setdefault(tap.source, []).append(tap)
        for source, taps in by_source.items():
            def on_output(mod, args, output, taps=taps):
                for tap in taps:
                    self._summarise(tap, output)

            self._handles.append(children[source].register_forward_hook(on_output))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
