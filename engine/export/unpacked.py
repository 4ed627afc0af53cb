"""Export-time twins of the recurrent blocks that never pack: a ``scan`` over time with a length mask.

Same parameters (the fused layer stays in ``.rnn``), same outputs on padded batches, dynamic batch and time.
"""
from __future__ import annotations

import copy
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, fx, nn
from torch._higher_order_ops.scan import scan_op

from ..blocks.recurrent_modules import GRUBlock, LSTMBlock, RNNBlock, _RecurrentBase, merge_directions


def reverse_within_lengths(x: Tensor, lengths: Tensor) -> Tensor:
    """Reverses each sequence's valid steps in place and leaves its padding where it is."""
    steps = torch.arange(x.size(1), device=x.device).unsqueeze(0)
    last = (lengths.to(x.device) - 1).unsqueeze(1)
    index = torch.where(steps <= last, last - steps, steps)
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.size(2)))


# One time step per cell, as pure functions of (carry..., inputs at t..., weights...) -> [carry..., output]:
# a step past a sequence's end (valid False) keeps the carry and outputs zeros, exactly as packing does.
def _lstm_step(h: Tensor, c: Tensor, xw: Tensor, valid: Tensor, w_hh: Tensor, b_hh: Tensor) -> List[Tensor]:
    i, f, g, o = (xw + F.linear(h, w_hh, b_hh)).chunk(4, dim=-1)
    c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
    h_new = torch.sigmoid(o) * torch.tanh(c_new)
    return [torch.where(valid, h_new, h), torch.where(valid, c_new, c), torch.where(valid, h_new, 0.0)]


def _gru_step(h: Tensor, c: Tensor, xw: Tensor, valid: Tensor, w_hh: Tensor, b_hh: Tensor) -> List[Tensor]:
    xr, xz, xn = xw.chunk(3, dim=-1)
    hr, hz, hn = F.linear(h, w_hh, b_hh).chunk(3, dim=-1)
    r = torch.sigmoid(xr + hr)
    z = torch.sigmoid(xz + hz)
    h_new = (1 - z) * torch.tanh(xn + r * hn) + z * h
    return [torch.where(valid, h_new, h), c.clone(), torch.where(valid, h_new, 0.0)]


def _rnn_tanh_step(h: Tensor, c: Tensor, xw: Tensor, valid: Tensor, w_hh: Tensor, b_hh: Tensor) -> List[Tensor]:
    h_new = torch.tanh(xw + F.linear(h, w_hh, b_hh))
    return [torch.where(valid, h_new, h), c.clone(), torch.where(valid, h_new, 0.0)]


def _rnn_relu_step(h: Tensor, c: Tensor, xw: Tensor, valid: Tensor, w_hh: Tensor, b_hh: Tensor) -> List[Tensor]:
    h_new = torch.relu(xw + F.linear(h, w_hh, b_hh))
    return [torch.where(valid, h_new, h), c.clone(), torch.where(valid, h_new, 0.0)]


STEPS = {"lstm": _lstm_step, "gru": _gru_step, "rnn_tanh": _rnn_tanh_step, "rnn_relu": _rnn_relu_step}


class UnpackedRecurrent(nn.Module):
    """Runs each layer and direction as a scan; a step past a sequence's length leaves its state unchanged
    and outputs zeros, which is exactly what packing computes. Inference only: no dropout between layers,
    as in the fused layer's eval mode."""

    def __init__(self, block: _RecurrentBase):
        super().__init__()
        self.rnn = block.rnn
        self.hidden = block.hidden
        self.bidirectional = block.bidirectional
        self.merge = block.merge
        self.layers = block.rnn.num_layers
        if isinstance(block, LSTMBlock):
            self.cell = "lstm"
        elif isinstance(block, GRUBlock):
            self.cell = "gru"
        else:
            self.cell = "rnn_" + block.rnn.nonlinearity

    def _weights(self, layer: int, direction: int):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return tuple(getattr(self.rnn, f"{kind}{suffix}") for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    def _start(self, x: Tensor, state: Optional[Tensor], part: int, index: int) -> Tensor:
        if state is None:
            return x.new_zeros(x.size(0), self.hidden)
        return state[part][index].clone()

    def _run(self, x: Tensor, valid: Tensor, h0: Tensor, c0: Tensor, layer: int, direction: int):
        w_ih, w_hh, b_ih, b_hh = self._weights(layer, direction)
        xw = torch.nn.functional.linear(x, w_ih, b_ih).transpose(0, 1)  # [T, B, G*H]: inputs' share, all steps
        # scan_op rather than the public scan(): the public one traces its body with dynamo on every call,
        # which makes export several times slower; a pure step with the weights as explicit inputs needs none.
        h, c, out = scan_op(STEPS[self.cell], [h0, c0], [xw, valid], additional_inputs=(w_hh, b_hh))
        return out.transpose(0, 1), h, c

    def forward(self, x: Tensor, lengths: Tensor, initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        lengths = lengths.to(x.device)
        directions = 2 if self.bidirectional else 1
        steps = torch.arange(x.size(1), device=x.device)
        valid = (steps.unsqueeze(1) < lengths.unsqueeze(0)).unsqueeze(-1)  # [T, B, 1]
        finals_h: List[Tensor] = []
        finals_c: List[Tensor] = []
        layer_input = x
        for layer in range(self.layers):
            outs: List[Tensor] = []
            for direction in range(directions):
                index = layer * directions + direction
                # Separate tensors (clones, not views): scan must not see aliased carries.
                h0 = self._start(x, initial_state, 0, index)
                c0 = self._start(x, initial_state if self.cell == "lstm" else None, 1, index)
                seq = reverse_within_lengths(layer_input, lengths) if direction else layer_input
                out, h, c = self._run(seq, valid, h0, c0, layer, direction)
                outs.append(reverse_within_lengths(out, lengths) if direction else out)
                finals_h.append(h)
                finals_c.append(c)
            layer_input = outs[0] if directions == 1 else torch.cat(outs, dim=-1)
        h_n = torch.stack(finals_h)
        if self.bidirectional:
            sequence = merge_directions(layer_input[..., : self.hidden], layer_input[..., self.hidden :], self.merge)
            last = merge_directions(h_n[-2], h_n[-1], self.merge)
        else:
            sequence, last = layer_input, h_n[-1]
        state = torch.stack([h_n, torch.stack(finals_c)]) if self.cell == "lstm" else h_n.unsqueeze(0)
        return sequence, last, state


def unpacked_copy(module: fx.GraphModule) -> fx.GraphModule:
    """A deep copy whose recurrent blocks are UnpackedRecurrent twins sharing the copy's weights."""
    clone = copy.deepcopy(module)
    for name, child in list(clone.named_children()):
        if isinstance(child, (LSTMBlock, GRUBlock, RNNBlock)):
            setattr(clone, name, UnpackedRecurrent(child))
    return clone.eval()
