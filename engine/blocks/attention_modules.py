"""Torch modules behind the attention blocks. Padded steps are masked out of every softmax.

Each keeps the attention weights of its last eager forward pass in ``last_weights`` (detached), so the
studio can draw them; the compiled, scripted model skips that bookkeeping.
"""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from .layer_modules import valid_mask


class SelfAttention(nn.Module):
    """Multi-head self-attention over a sequence, optionally causal (a step sees only the past)."""

    def __init__(self, features: int, heads: int, causal: bool, dropout: float):
        super().__init__()
        self.attention = nn.MultiheadAttention(features, heads, dropout=dropout, batch_first=True)
        self.causal = causal
        self.last_weights = torch.zeros(0)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        valid = valid_mask(lengths.to(x.device), x.size(1))
        attn_mask: Optional[Tensor] = None  # annotated so that torch.jit.script accepts the Tensor below
        if self.causal:
            steps = x.size(1)
            attn_mask = torch.ones(steps, steps, dtype=torch.bool, device=x.device).triu(1)
        out, weights = self.attention(x, x, x, key_padding_mask=~valid, attn_mask=attn_mask,
                                      need_weights=True)
        if not torch.jit.is_scripting():
            self.last_weights = weights.detach()
        return out * valid.unsqueeze(-1).to(out.dtype)


class AttentionPooling(nn.Module):
    """Additive attention with a learned query: sequence [B, T, F] -> vector [B, F]."""

    def __init__(self, features: int, units: int):
        super().__init__()
        self.project = nn.Linear(features, units)
        self.score = nn.Linear(units, 1, bias=False)
        self.last_weights = torch.zeros(0)

    def forward(self, x: Tensor, lengths: Tensor) -> Tensor:
        valid = valid_mask(lengths.to(x.device), x.size(1))
        scores = self.score(torch.tanh(self.project(x))).squeeze(-1)
        weights = torch.softmax(scores.masked_fill(~valid, float("-inf")), dim=1)
        if not torch.jit.is_scripting():
            self.last_weights = weights.detach()
        return torch.bmm(weights.unsqueeze(1), x).squeeze(1)


class CrossAttention(nn.Module):
    """A query sequence attends over a memory (key/value) sequence of another length."""

    def __init__(self, query_features: int, memory_features: int, heads: int, dropout: float):
        super().__init__()
        self.attention = nn.MultiheadAttention(query_features, heads, dropout=dropout, batch_first=True,
                                               kdim=memory_features, vdim=memory_features)
        self.last_weights = torch.zeros(0)

    def forward(self, query: Tensor, memory: Tensor, query_lengths: Tensor, memory_lengths: Tensor) -> Tensor:
        memory_valid = valid_mask(memory_lengths.to(memory.device), memory.size(1))
        out, weights = self.attention(query, memory, memory, key_padding_mask=~memory_valid,
                                      need_weights=True)
        if not torch.jit.is_scripting():
            self.last_weights = weights.detach()
        query_valid = valid_mask(query_lengths.to(query.device), query.size(1))
        return out * query_valid.unsqueeze(-1).to(out.dtype)
