"""Multi-process training under ``torchrun``: process group from the environment, gloo on CPU, NCCL on GPU.

Each process trains on its share of every global batch (DistributedSampler); only rank 0 writes files.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls, device_kind: str) -> "DistContext":
        """Joins the process group torchrun describes (WORLD_SIZE, RANK, LOCAL_RANK, MASTER_ADDR/PORT)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        local = int(os.environ.get("LOCAL_RANK", "0"))  # the rank itself comes from the process group
        created = False
        if not dist.is_initialized():
            backend = "nccl" if device_kind == "cuda" else "gloo"
            if backend == "nccl":
                torch.cuda.set_device(local)
            dist.init_process_group(backend=backend)
            created = True
        return cls(dist.get_rank(), dist.get_world_size(), local, created)

    def device(self, kind: str) -> torch.device:
        if kind == "cuda":
            return torch.device("cuda", self.local_rank if self.enabled else torch.cuda.current_device())
        return torch.device("cpu")

    def sum(self, values: list[float], device) -> list[float]:
        """Sums a list of floats over all processes (identity when alone)."""
        if not self.enabled or not values:
            return values
        t = torch.tensor(values, dtype=torch.float64 if device.type == "cpu" else torch.float32, device=device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.tolist()

    def any(self, flag: bool, device) -> bool:
        if not self.enabled:
            return flag
        t = torch.tensor([1.0 if flag else 0.0], device=device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return bool(t.item() > 0)

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.initialized_here and dist.is_initialized():
            dist.destroy_process_group()


def reduce_tracker(ctx: DistContext, tracker, device) -> None:
    """Replaces each process's metric sums by the sums over all processes."""
    if not ctx.enabled:
        return
    sums, counts = tracker.state()
    keys = [(h, m) for h in sorted(sums) for m in sorted(sums[h])]
    # Every process has the same heads; metric names appear after the first batch on all of them.
    flat = [sums[h][m] for h, m in keys] + [counts[h] for h in sorted(counts)]
    reduced = ctx.sum(flat, device)
    for (h, m), v in zip(keys, reduced):
        sums[h][m] = v
    for h, v in zip(sorted(counts), reduced[len(keys):]):
        counts[h] = v
