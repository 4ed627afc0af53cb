"""Weights-only checkpoints in safetensors: saving never pickles, loading never unpickles.

A checkpoint holds the model's state_dict (names as in the compiled module) and string metadata.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from .rundir import atomic_write


def _unwrap(module: nn.Module) -> nn.Module:
    return module.module if hasattr(module, "module") and isinstance(module.module, nn.Module) else module


def state_tensors(module: nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the state_dict; tied tensors are cloned so safetensors accepts them."""
    tensors: dict[str, torch.Tensor] = {}
    seen: set[int] = set()
    for name, tensor in _unwrap(module).state_dict().items():
        t = tensor.detach().to("cpu").contiguous()
        ptr = t.untyped_storage().data_ptr() if t.numel() else -len(tensors) - 1
        if ptr in seen:
            t = t.clone()
        seen.add(ptr)
        tensors[name] = t
    return tensors


def save_checkpoint(module: nn.Module, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Writes atomically (temp file, then rename) so a crash or Ctrl-C never leaves half a checkpoint; a temp
    file left by a process killed mid-save is removed by the next save into the same folder."""
    tensors = state_tensors(module)  # before the temp file exists: copying the weights is the slow part on GPU
    text_meta = {k: str(v) for k, v in (metadata or {}).items()}

    def write(tmp: Path) -> None:
        try:
            save_file(tensors, str(tmp), metadata=text_meta)
        except OSError:
            raise
        except Exception as err:  # safetensors' own error type carries the system's refusal as text
            code = re.search(r"os error (\d+)", str(err))
            if code is None:
                raise
            raise OSError(int(code.group(1)), os.strerror(int(code.group(1))), str(path)) from None

    return atomic_write(path, write)


def load_checkpoint(module: nn.Module, path: str | Path, device: str | torch.device = "cpu") -> nn.Module:
    """Loads weights into ``module``; a missing or extra tensor is an error naming it."""
    tensors = load_file(str(path), device=str(device))
    target = _unwrap(module)
    missing, unexpected = target.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        raise ValueError(f"{path}: checkpoint does not fit the model: missing {sorted(missing)}, "
                         f"unexpected {sorted(unexpected)}")
    return module
