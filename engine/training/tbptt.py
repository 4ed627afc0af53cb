"""Truncated backpropagation through time for language models: long sequences are cut into chunks of
``tbptt`` steps; each recurrent block starts a chunk from its own final state of the previous one, detached.

Hooks inject the carried state as the block's initial state, so the compiled graph needs no change.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..blocks.recurrent_modules import _RecurrentBase


@dataclass
class Chunk:
    inputs: dict[str, Tensor]
    lengths: dict[str, Tensor]
    targets: dict[str, Tensor]
    rows: Tensor  # which rows of the full batch this chunk holds (sequences that have not ended)
    size: int


def chunks(batch, length: int, time_targets: set[str]) -> list[Chunk]:
    """Cuts the batch's time axis into pieces of ``length``; rows whose sequence has ended are left out."""
    lengths = next(iter(batch.lengths.values()))
    total = max(int(lengths.max()), 1)
    out = []
    for start in range(0, total, length):
        stop = start + length
        rows = torch.nonzero(lengths > start).flatten()
        if rows.numel() == 0:
            break
        cut_len = {k: (v[rows] - start).clamp(0, length) for k, v in batch.lengths.items()}
        inputs = {k: v[rows, start:stop] for k, v in batch.inputs.items()}
        targets = {k: (v[rows, start:stop] if k in time_targets else v[rows]) for k, v in batch.targets.items()}
        out.append(Chunk(inputs, cut_len, targets, rows, int(rows.numel())))
    return out


class StateCarrier:
    """While active, every recurrent block without a connected initial state starts from the final state it
    reached on the same rows in the previous chunk. Call ``select(rows)`` before each chunk."""

    def __init__(self, module: nn.Module):
        self.blocks = {n: m for n, m in module.named_children()
                       if isinstance(m, _RecurrentBase) and not m.bidirectional}
        self.states: dict[str, Tensor] = {}
        self._rows: Tensor | None = None
        self._prev_rows: Tensor | None = None
        self._handles = []

    def reset(self) -> None:
        self.states.clear()
        self._prev_rows = None

    def select(self, rows: Tensor) -> None:
        """Rows are a subset of the previous chunk's rows (sequences only end, never start)."""
        if self._prev_rows is not None and self.states:
            position = {int(r): i for i, r in enumerate(self._prev_rows.tolist())}
            index = torch.tensor([position[int(r)] for r in rows.tolist()], dtype=torch.long)
            self.states = {n: s[:, :, index.to(s.device)] for n, s in self.states.items()}
        self._prev_rows = rows

    def __enter__(self) -> "StateCarrier":
        for name, block in self.blocks.items():
            def pre(mod, args, kwargs, name=name):
                if len(args) > 2 or kwargs.get("initial_state") is not None or name not in self.states:
                    return None
                return args, {**kwargs, "initial_state": self.states[name]}

            def post(mod, args, kwargs, output, name=name):
                self.states[name] = output[2].detach()

            self._handles.append(block.register_forward_pre_hook(pre, with_kwargs=True))
            self._handles.append(block.register_forward_hook(post, with_kwargs=True))
        return self

    def __exit__(self, *exc) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        self.reset()
