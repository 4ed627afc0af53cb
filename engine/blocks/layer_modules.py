"""Torch modules behind the non-recurrent blocks: embedding, dense, pooling, merge, conv and heads.

Every module that looks along the time axis takes the sequence lengths and ignores padded steps.
"""
from __future__ import annotations

import warnings
from typing import List, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def valid_mask(lengths: Tensor, total: int) -> Tensor:
    """[B, T] boolean mask, True on real (non-padded) steps."""
    steps = torch.arange(total, device=lengths.device)
    return steps.unsqueeze(0) < lengths.unsqueeze(1)


class Identity(nn.Module):
    """Inputs and output heads: the value passes through; heads only add a loss in the trainer."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Dense(nn.Module):
    """A linear layer with an activation, applied to the last axis (so per time step on sequences)."""

    def __init__(self, in_features: int, units: int, activation: str):
        super().__init__()
        self.linear = nn.Linear(in_features, units)
        self.activation = activation

    def forward(self, x: Tensor) -> Tensor:
        y = self.linear(x)
        if self.activation == "relu":
            return torch.relu(y)
        if self.activation == "tanh":
            return torch.tanh(y)
        if self.activation == "sigmoid":
            return torch.sigmoid(y)
        if self.activation == "gelu":
            return F.gelu(y)
        if self.activation == "softmax":
            return torch.softmax(y, dim=-1)
        return y


class SequencePooling(nn.Module):
    """Sequence [B, T, F] -> vector [B, F]: last valid step, mean or max over valid steps."""

    def __init__(self, mode: str):
        super().__init__()
        self.mode = mode

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        lengths = lengths.to(x.device)
        if self.mode == "last":
            index = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, x.size(2))
            return x.gather(1, index).squeeze(1)
        mask = valid_mask(lengths, x.size(1)).unsqueeze(-1)
        if self.mode == "mean":
            total = (x * mask.to(x.dtype)).sum(dim=1)
            return total / lengths.clamp(min=1).unsqueeze(1).to(x.dtype)
        return x.masked_fill(~mask, float("-inf")).max(dim=1).values


class Concat(nn.Module):
    """Concatenates along the feature axis; unconnected optional inputs arrive as None."""

    def forward(self, a: Tensor, b: Tensor, c: Optional[Tensor] = None, d: Optional[Tensor] = None) -> Tensor:
        parts: List[Tensor] = [a, b]
        if c is not None:
            parts.append(c)
        if d is not None:
            parts.append(d)
        return torch.cat(parts, dim=-1)


class Add(nn.Module):
    def forward(self, a: Tensor, b: Tensor, c: Optional[Tensor] = None, d: Optional[Tensor] = None) -> Tensor:
        total = a + b
        if c is not None:
            total = total + c
        if d is not None:
            total = total + d
        return total


# An even kernel with padding="same" pads asymmetrically, which torch does with a copy of the input and says so in
# a UserWarning at the first forward: printed under every `rnn-studio train` of such a model, with nothing to do.
warnings.filterwarnings("ignore", message=r"Using padding='same' with even kernel lengths", category=UserWarning)


class Conv1D(nn.Module):
    """1-D convolution along time with 'same' padding, so lengths are unchanged; pads stay zero."""

    def __init__(self, in_features: int, filters: int, kernel_size: int, activation: str):
        super().__init__()
        self.conv = nn.Conv1d(in_features, filters, kernel_size, padding="same")
        self.activation = activation

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        mask = valid_mask(lengths.to(x.device), x.size(1)).unsqueeze(-1).to(x.dtype)
        y = self.conv((x * mask).transpose(1, 2)).transpose(1, 2)
        if self.activation == "relu":
            y = torch.relu(y)
        elif self.activation == "tanh":
            y = torch.tanh(y)
        elif self.activation == "gelu":
            y = F.gelu(y)
        return y * mask
