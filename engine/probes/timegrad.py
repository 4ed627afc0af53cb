"""Per-time-step gradient norms ||dL/dh_t|| of a recurrent block: the vanishing-gradient view.

The fused layer hides h_t from autograd, so on the probe batch only the block's top layer is unrolled
step by step from its weights; the block's output gradients are pulled back through that unrolled copy.
"""
from __future__ import annotations

import torch
from torch import Tensor

from ..blocks.recurrent_modules import merge_directions
from .gates import LayerRecord, layer_weights


def _step(cell: str, nonlinearity: str, xp_t: Tensor, h: Tensor, c: Tensor | None, w_hh: Tensor, b_hh: Tensor):
    hp = h @ w_hh.t() + b_hh
    if cell == "lstm":
        i, f, g, o = (xp_t + hp).chunk(4, dim=-1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c
    if cell == "gru":
        xr, xz, xn = xp_t.chunk(3, dim=-1)
        hr, hz, hn = hp.chunk(3, dim=-1)
        r, z = torch.sigmoid(xr + hr), torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return (1 - z) * n + z * h, None
    pre = xp_t + hp
    return (torch.tanh(pre) if nonlinearity == "tanh" else torch.relu(pre)), None


def unroll_direction(rnn, cell: str, record: LayerRecord, direction: int, lengths: Tensor):
    """Recomputes one direction step by step. Returns (hs: list of [B, H] per t, each a graph node; the
    output sequence [B, T, H]; final h [B, H]; final c or None)."""
    w_ih, w_hh, b_ih, b_hh = (w.detach() for w in layer_weights(rnn, record.layer, direction))
    x = record.inputs.detach()
    steps = x.shape[1]
    # A leaf that requires grad, so autograd records the unrolled steps (weights stay detached).
    xp = (x @ w_ih.t() + b_ih).requires_grad_(True)
    valid = (torch.arange(steps, device=x.device).unsqueeze(0) < lengths.to(x.device).unsqueeze(1)).unsqueeze(-1)
    h = record.h0[direction].detach()
    c = record.c0[direction].detach() if record.c0[direction] is not None else (
        torch.zeros_like(h) if cell == "lstm" else None)
    nonlinearity = getattr(rnn, "nonlinearity", "tanh")
    hs: list[Tensor | None] = [None] * steps
    order = range(steps - 1, -1, -1) if direction else range(steps)
    for t in order:
        h_new, c_new = _step(cell, nonlinearity, xp[:, t], h, c, w_hh, b_hh)
        h = torch.where(valid[:, t], h_new, h)
        if c is not None:
            c = torch.where(valid[:, t], c_new, c)
        hs[t] = h
    seq = torch.stack(hs, dim=1) * valid
    return hs, seq, h, c


def time_gradient_norms(block, cell: str, top: LayerRecord, lengths: Tensor,
                        grads: tuple[Tensor | None, Tensor | None, Tensor | None]) -> Tensor:
    """[T] norms of the total derivative dL/dh_t of the block's top layer (directions together).

    ``grads`` are dL/d(sequence output), dL/d(last), dL/d(state) of the block, any of them None."""
    rnn = block.rnn
    dirs = 2 if rnn.bidirectional else 1
    g_seq, g_last, g_state = grads
    with torch.enable_grad():
        parts = [unroll_direction(rnn, cell, top, d, lengths) for d in range(dirs)]
        hs_all = [h for p in parts for h in p[0]]
        if dirs == 1:
            seq = parts[0][1]
            last = parts[0][2]
        else:
            seq = merge_directions(parts[0][1], parts[1][1], block.merge)
            last = merge_directions(parts[0][2], parts[1][2], block.merge)
        surrogate = seq.new_zeros(())
        if g_seq is not None:
            surrogate = surrogate + (seq * g_seq.detach()).sum()
        if g_last is not None:
            surrogate = surrogate + (last * g_last.detach()).sum()
        if g_state is not None:
            # The state holds every layer; only the top layer's entries depend on the unrolled copy.
            finals_h = torch.stack([p[2] for p in parts])
            surrogate = surrogate + (finals_h * g_state[0, -dirs:].detach()).sum()
            if cell == "lstm":
                finals_c = torch.stack([p[3] for p in parts])
                surrogate = surrogate + (finals_c * g_state[1, -dirs:].detach()).sum()
        if not surrogate.requires_grad:
            return torch.zeros(top.inputs.shape[1])
        grads_h = torch.autograd.grad(surrogate, hs_all, allow_unused=True)
    steps = top.inputs.shape[1]
    # Padded steps only carry a finished sequence's final state along: they are not time steps of it.
    valid = torch.arange(steps, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)
    valid = valid.to(top.inputs.device, top.inputs.dtype)
    total = torch.zeros(steps, device=top.inputs.device)
    for index, g in enumerate(grads_h):
        if g is not None:
            total[index % steps] += (g.pow(2).sum(-1) * valid[:, index % steps]).sum()
    return total.sqrt().cpu()
