"""Gradient norms per block and globally, before clipping, every step, without a host sync of its own.

Parameters are grouped by the compiled module's top-level submodule, which is named after its block.
"""
from __future__ import annotations

import torch
from torch import Tensor, nn


class BlockGradNorms:
    def __init__(self, module: nn.Module):
        inner = getattr(module, "module", module) if not hasattr(module, "graph") else module
        self.blocks: list[str] = []
        self.params: list[nn.Parameter] = []
        owner: list[int] = []
        for name, child in inner.named_children():
            params = [p for p in child.parameters() if p.requires_grad]
            if not params:
                continue
            self.blocks.append(name)
            self.params += params
            owner += [len(self.blocks) - 1] * len(params)
        self._owner = torch.tensor(owner, dtype=torch.long)

    def compute(self) -> tuple[Tensor, Tensor]:
        """(global norm, per-block norms [n_blocks]) as device tensors; missing gradients count as zero."""
        grads = [p.grad for p in self.params]
        present = [i for i, g in enumerate(grads) if g is not None]
        device = self.params[0].device if self.params else torch.device("cpu")
        squares = torch.zeros(len(self.blocks), device=device, dtype=torch.float32)
        if present:
            norms = torch._foreach_norm([grads[i] for i in present])
            sq = torch.stack([n.float() for n in norms]).pow(2)
            squares.index_add_(0, self._owner[present].to(device), sq)
        return squares.sum().sqrt(), squares.sqrt()

    def grads(self) -> list[Tensor]:
        return [p.grad for p in self.params if p.grad is not None]
