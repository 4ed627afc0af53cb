"""Torch modules behind the recurrent blocks: fused nn.RNN / nn.LSTM / nn.GRU over packed sequences.

Each returns (output sequence, final hidden vector, final state). The state is one tensor,
[2, layers*dirs, B, H] for an LSTM (h and c stacked) and [1, layers*dirs, B, H] otherwise, so that
every block output is a plain Tensor and the compiled graph stays scriptable.
"""
from __future__ import annotations

from typing import Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

MERGE_MODES = ("concat", "sum", "mean", "multiply")


def merge_directions(forward: Tensor, backward: Tensor, mode: str) -> Tensor:
    if mode == "concat":
        return torch.cat([forward, backward], dim=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mean":
        return (forward + backward) * 0.5
    return forward * backward


class _RecurrentBase(nn.Module):
    """Shared packing, merging and state handling; subclasses say how to call their fused layer."""

    def __init__(self, rnn: nn.Module, hidden: int, bidirectional: bool, merge: str):
        super().__init__()
        self.rnn = rnn
        self.hidden = hidden
        self.bidirectional = bidirectional
        self.merge = merge

    def _merge_sequence(self, out: Tensor) -> Tensor:
        if not self.bidirectional:
            return out
        return merge_directions(out[..., : self.hidden], out[..., self.hidden :], self.merge)

    def _last_hidden(self, h_n: Tensor) -> Tensor:
        # h_n: [layers*dirs, B, H]; the top layer's forward (and backward) direction.
        if not self.bidirectional:
            return h_n[-1]
        return merge_directions(h_n[-2], h_n[-1], self.merge)

    def _pack(self, x: Tensor, lengths: Tensor):
        return pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)

    def _unpack(self, packed_out: PackedSequence, total_length: int) -> Tensor:
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=total_length)
        return out


class LSTMBlock(_RecurrentBase):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float,
                 bidirectional: bool = False, merge: str = "concat"):
        rnn = nn.LSTM(input_size, hidden, layers, batch_first=True,
                      dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        super().__init__(rnn, hidden, bidirectional, merge)

    def forward(self, x: Tensor, lengths: Tensor, initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        packed = self._pack(x, lengths)
        if initial_state is None:
            packed_out, (h_n, c_n) = self.rnn(packed)
        else:
            packed_out, (h_n, c_n) = self.rnn(packed, (initial_state[0].contiguous(), initial_state[1].contiguous()))
        out = self._unpack(packed_out, x.size(1))
        return self._merge_sequence(out), self._last_hidden(h_n), torch.stack([h_n, c_n])


class GRUBlock(_RecurrentBase):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float,
                 bidirectional: bool = False, merge: str = "concat"):
        rnn = nn.GRU(input_size, hidden, layers, batch_first=True,
                     dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        super().__init__(rnn, hidden, bidirectional, merge)

    def forward(self, x: Tensor, lengths: Tensor, initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        packed = self._pack(x, lengths)
        if initial_state is None:
            packed_out, h_n = self.rnn(packed)
        else:
            packed_out, h_n = self.rnn(packed, initial_state[0].contiguous())
        out = self._unpack(packed_out, x.size(1))
        return self._merge_sequence(out), self._last_hidden(h_n), h_n.unsqueeze(0)


class RNNBlock(_RecurrentBase):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float,
                 bidirectional: bool = False, merge: str = "concat", nonlinearity: str = "tanh"):
        rnn = nn.RNN(input_size, hidden, layers, nonlinearity=nonlinearity, batch_first=True,
                     dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        super().__init__(rnn, hidden, bidirectional, merge)

    def forward(self, x: Tensor, lengths: Tensor, initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        packed = self._pack(x, lengths)
        if initial_state is None:
            packed_out, h_n = self.rnn(packed)
        else:
            packed_out, h_n = self.rnn(packed, initial_state[0].contiguous())
        out = self._unpack(packed_out, x.size(1))
        return self._merge_sequence(out), self._last_hidden(h_n), h_n.unsqueeze(0)


def make_recurrent(cell: str, input_size: int, hidden: int, layers: int, dropout: float,
                   bidirectional: bool = False, merge: str = "concat") -> _RecurrentBase:
    """``cell`` is one of "lstm", "gru", "rnn_tanh", "rnn_relu"."""
    if cell == "lstm":
        return LSTMBlock(input_size, hidden, layers, dropout, bidirectional, merge)
    if cell == "gru":
        return GRUBlock(input_size, hidden, layers, dropout, bidirectional, merge)
    nonlinearity = cell.split("_", 1)[1] if "_" in cell else "tanh"
    return RNNBlock(input_size, hidden, layers, dropout, bidirectional, merge, nonlinearity)
