"""Exact gate activations of fused nn.LSTM / nn.GRU layers, recomputed from their weights and recorded I/O.

For every time step at once: the previous hidden state is the layer's own output shifted by one step
(the other way for the backward direction), so no Python cell runs in the training path (DESIGN.md, 9).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

LSTM_GATES = ("input", "forget", "cell", "output")
GRU_GATES = ("reset", "update", "candidate")


@dataclass
class LayerRecord:
    """What one layer saw on the probe batch, per direction (index 0 forward, 1 backward)."""

    layer: int
    inputs: Tensor  # [B, T, I]
    outputs: list[Tensor]  # per direction [B, T, H], zero on padded steps
    h0: list[Tensor]  # per direction [B, H]
    c0: list[Tensor | None]  # per direction [B, H] (LSTM) or None


def cell_of(rnn: nn.Module) -> str:
    if isinstance(rnn, nn.LSTM):
        return "lstm"
    if isinstance(rnn, nn.GRU):
        return "gru"
    return "rnn"


def layer_weights(rnn: nn.RNNBase, layer: int, direction: int) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    suffix = f"_l{layer}" + ("_reverse" if direction else "")
    w_ih, w_hh = getattr(rnn, "weight_ih" + suffix), getattr(rnn, "weight_hh" + suffix)
    zeros = torch.zeros(w_ih.shape[0], dtype=w_ih.dtype, device=w_ih.device)
    b_ih = getattr(rnn, "bias_ih" + suffix) if rnn.bias else zeros
    b_hh = getattr(rnn, "bias_hh" + suffix) if rnn.bias else zeros
    return w_ih, w_hh, b_ih, b_hh


def unpack(value, total: int | None = None) -> tuple[Tensor, Tensor | None]:
    """(padded [B, T, F], lengths or None) from a PackedSequence or a batch-first tensor."""
    if isinstance(value, PackedSequence):
        padded, lengths = pad_packed_sequence(value, batch_first=True, total_length=total)
        return padded, lengths
    return value, None


def _single_layer(rnn: nn.RNNBase, layer: int, input_size: int) -> nn.RNNBase:
    """A one-layer copy of ``rnn``'s layer ``layer`` (shares no storage with training)."""
    kwargs = dict(batch_first=True, bidirectional=rnn.bidirectional, bias=rnn.bias)
    if isinstance(rnn, nn.RNN):
        kwargs["nonlinearity"] = rnn.nonlinearity
    copy = type(rnn)(input_size, rnn.hidden_size, 1, **kwargs).to(rnn.weight_hh_l0.device, rnn.weight_hh_l0.dtype)
    with torch.no_grad():
        for direction in range(2 if rnn.bidirectional else 1):
            src = layer_weights(rnn, layer, direction)
            dst = layer_weights(copy, 0, direction)
            for s, d in zip(src, dst):
                d.copy_(s)
    return copy


@torch.no_grad()
def layer_records(rnn: nn.RNNBase, inputs: Tensor, lengths: Tensor, hx, top_output: Tensor) -> list[LayerRecord]:
    """Per-layer inputs and outputs. The top layer's output is the recorded one; lower layers of a stacked
    block are recomputed here, outside the training path, from their own weights."""
    dirs = 2 if rnn.bidirectional else 1
    hidden = rnn.hidden_size
    batch, steps = inputs.shape[0], inputs.shape[1]
    if hx is None:
        h_all = inputs.new_zeros(rnn.num_layers * dirs, batch, hidden)
        c_all = h_all if isinstance(rnn, nn.LSTM) else None
    elif isinstance(hx, tuple):
        h_all, c_all = hx
    else:
        h_all, c_all = hx, None
    records = []
    x = inputs
    for layer in range(rnn.num_layers):
        h0 = [h_all[layer * dirs + d] for d in range(dirs)]
        c0 = [c_all[layer * dirs + d] if c_all is not None else None for d in range(dirs)]
        if layer == rnn.num_layers - 1:
            out = top_output
        else:
            single = _single_layer(rnn, layer, x.shape[-1])
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            state = (torch.stack(h0), torch.stack(c0)) if isinstance(rnn, nn.LSTM) else torch.stack(h0)
            out, _ = pad_packed_sequence(single(packed, state)[0], batch_first=True, total_length=steps)
        records.append(LayerRecord(layer, x, [out[..., d * hidden:(d + 1) * hidden] for d in range(dirs)], h0, c0))
        x = out
    return records


def previous_hidden(out: Tensor, h0: Tensor, lengths: Tensor, reverse: bool) -> Tensor:
    """h_{t-1} for every t (h_{t+1} for the backward direction), h0 where the sequence starts."""
    steps = out.shape[1]
    t = torch.arange(steps, device=out.device).unsqueeze(0)
    if not reverse:
        shifted = torch.cat([h0.unsqueeze(1), out[:, :-1]], dim=1)
        return shifted
    shifted = torch.cat([out[:, 1:], torch.zeros_like(out[:, :1])], dim=1)
    starts = (t + 1 >= lengths.to(out.device).unsqueeze(1)).unsqueeze(-1)  # the first step read backwards
    return torch.where(starts, h0.unsqueeze(1).expand_as(out), shifted)


@torch.no_grad()
def gate_activations(cell: str, weights, x: Tensor, out: Tensor, h0: Tensor, c0: Tensor | None,
                     lengths: Tensor, reverse: bool) -> tuple[dict[str, Tensor], Tensor | None]:
    """All gates [B, T, H] of one layer and direction, and the LSTM cell state [B, T, H] (else None)."""
    w_ih, w_hh, b_ih, b_hh = weights
    h_prev = previous_hidden(out, h0, lengths, reverse)
    xp = x @ w_ih.t() + b_ih
    hp = h_prev @ w_hh.t() + b_hh
    if cell == "gru":
        xr, xz, xn = xp.chunk(3, dim=-1)
        hr, hz, hn = hp.chunk(3, dim=-1)
        r = torch.sigmoid(xr + hr)
        z = torch.sigmoid(xz + hz)
        n = torch.tanh(xn + r * hn)
        return {"reset": r, "update": z, "candidate": n}, None
    i, f, g, o = (xp + hp).chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    cells = _cell_states(i, f, g, c0 if c0 is not None else torch.zeros_like(h0), lengths, reverse)
    return {"input": i, "forget": f, "cell": g, "output": o}, cells


def _cell_states(i: Tensor, f: Tensor, g: Tensor, c0: Tensor, lengths: Tensor, reverse: bool) -> Tensor:
    """c_t = f_t * c_{t-1} + i_t * g_t: elementwise only, on the probe batch."""
    steps = i.shape[1]
    valid = (torch.arange(steps, device=i.device).unsqueeze(0) < lengths.to(i.device).unsqueeze(1)).unsqueeze(-1)
    cells = torch.zeros_like(i)
    c = c0
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for t in order:
        c = torch.where(valid[:, t], f[:, t] * c + i[:, t] * g[:, t], c)
        cells[:, t] = c * valid[:, t]
    return cells
