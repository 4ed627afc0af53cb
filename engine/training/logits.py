"""Taps the pre-activation output of a Dense block that feeds a head with softmax or sigmoid, so the
loss is computed from logits (log-softmax, BCE-with-logits) instead of from saturated probabilities.
"""
from __future__ import annotations

from torch import Tensor, nn

from ..compiler import CompiledModel


class LogitTaps:
    def __init__(self, compiled: CompiledModel, graph, module: nn.Module):
        self.values: dict[str, Tensor] = {}
        self._handles = []
        for head in compiled.heads:
            if head.input_shape.activation not in ("softmax", "sigmoid"):
                continue
            edge = next(iter(graph.in_edges(head.node_id)), None)
            source = graph.node(edge.src) if edge is not None else None
            if source is None or source.kind != "dense":
                continue  # e.g. pooled probabilities: the loss falls back to clamped logs
            dense = getattr(module, source.name, None)
            if dense is None or not hasattr(dense, "linear"):
                continue

            def keep(mod, args, output, head_name=head.name):
                self.values[head_name] = output

            self._handles.append(dense.linear.register_forward_hook(keep))

    def take(self, head_name: str) -> Tensor | None:
        return self.values.pop(head_name, None)

    def clear(self) -> None:
        self.values.clear()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
