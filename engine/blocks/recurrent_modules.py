"""Torch modules behind the recurrent blocks: fused nn.RNN / nn.LSTM / nn.GRU over packed sequences.

Each returns (output sequence, final hidden vector, final state). The state is one tensor,
[2, layers*dirs, B, H] for an LSTM (h and c stacked) and [1, layers*dirs, B, H] otherwise, so that
every block output is a plain Tensor and the compiled graph stays scriptable.

Recurrent weight dropout (DropConnect, Merity et al. 2017) drops entries of the hidden-to-hidden matrices once
per forward pass and still runs the fused kernel: the dropped matrices are handed to the same nn.LSTM / nn.GRU /
nn.RNN through ``torch.func.functional_call``. In evaluation mode it does nothing, and in a scripted (TorchScript)
model not even in training mode.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from .initialization import init_recurrent
from .options import MERGE_MODES  # noqa: F401 (re-exported)


def merge_directions(forward: Tensor, backward: Tensor, mode: str) -> Tensor:
    if mode == "concat":
        return torch.cat([forward, backward], dim=-1)
    if mode == "sum":
        return forward + backward
    if mode == "mean":
        return (forward + backward) * 0.5
    return forward * backward


class _RecurrentBase(nn.Module):
    """Shared packing, merging and state handling, and the call of a one-state layer (GRU, RNN)."""

    def __init__(self, rnn: nn.Module, hidden: int, bidirectional: bool, merge: str, weight_drop: float = 0.0):
        super().__init__()
        self.rnn = rnn
        self.hidden = hidden
        self.bidirectional = bidirectional
        self.merge = merge
        self.weight_drop = float(weight_drop)

    def _drops_weights(self) -> bool:
        # A scripted model (the TorchScript export) runs without it even in training mode: its DropConnect goes
        # through torch.func, which TorchScript cannot compile, and train() on the loaded file raised "This Python
        # function is annotated to be ignored". Its other dropout still applies; the Python export keeps all of it.
        if torch.jit.is_scripting():
            return False
        return self.training and self.weight_drop > 0.0

    @torch.jit.unused
    def _call_dropped(self, x: Tensor, lengths: Tensor, hx):
        """The fused layer with one DropConnect mask per hidden-to-hidden matrix, shared by all time steps.

        Unused by TorchScript: scripted and exported models run in evaluation mode, where nothing is dropped.
        """
        dropped: Dict[str, Tensor] = {
            name: torch.nn.functional.dropout(getattr(self.rnn, name), self.weight_drop, True)
            for name in self.rnn._flat_weights_names if name.startswith("weight_hh")}
        packed_out, state = torch.func.functional_call(self.rnn, dropped, (self._pack(x, lengths), hx))
        return self._unpack(packed_out, x.size(1)), state

    def _merge_sequence(self, out: Tensor) -> Tensor:
        if not self.bidirectional:
            return out
        return merge_directions(out[..., : self.hidden], out[..., self.hidden :], self.merge)

    def _last_hidden(self, h_n: Tensor) -> Tensor:
        # h_n: [layers*dirs, B, H]; the top layer's forward (and backward) direction.
        if not self.bidirectional:
            return h_n[-1]
        return merge_directions(h_n[-2], h_n[-1], self.merge)

    # GRU and RNN: one state tensor (the LSTM block overrides both methods for its (h, c) pair)
    @torch.jit.unused
    def _dropped(self, x, lengths, hx):
        # type: (Tensor, Tensor, Optional[Tensor]) -> Tuple[Tensor, Tensor]
        return self._call_dropped(x, lengths, hx)

    def forward(self, x: Tensor, lengths: Tensor, initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        if self._drops_weights():
            hx: Optional[Tensor] = None
            if initial_state is not None:
                hx = initial_state[0].contiguous()
            out, h_n = self._dropped(x, lengths, hx)
        else:
            packed = self._pack(x, lengths)
            if initial_state is None:
                packed_out, h_n = self.rnn(packed)
            else:
                packed_out, h_n = self.rnn(packed, initial_state[0].contiguous())
            out = self._unpack(packed_out, x.size(1))
        return self._merge_sequence(out), self._last_hidden(h_n), h_n.unsqueeze(0)

    def _pack(self, x: Tensor, lengths: Tensor):
        return pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)

    def _unpack(self, packed_out: PackedSequence, total_length: int) -> Tensor:
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=total_length)
        return out


class LSTMBlock(_RecurrentBase):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float,
                 bidirectional: bool = False, merge: str = "concat", weight_drop: float = 0.0):
        rnn = nn.LSTM(input_size, hidden, layers, batch_first=True,
                      dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        super().__init__(rnn, hidden, bidirectional, merge, weight_drop)

    @torch.jit.unused
    def _dropped(self, x, lengths, hx):
        # type: (Tensor, Tensor, Optional[Tuple[Tensor, Tensor]]) -> Tuple[Tensor, Tuple[Tensor, Tensor]]
        # (a type comment: TorchScript cannot resolve an unused method's postponed annotations)
        return self._call_dropped(x, lengths, hx)

    def forward(self, x: Tensor, lengths: Tensor, initial_state: Optional[Tensor] = None) -> Tuple[Tensor, Tensor, Tensor]:
        if self._drops_weights():
            hx: Optional[Tuple[Tensor, Tensor]] = None
            if initial_state is not None:
                hx = (initial_state[0].contiguous(), initial_state[1].contiguous())
            out, (h_n, c_n) = self._dropped(x, lengths, hx)
        else:
            packed = self._pack(x, lengths)
            if initial_state is None:
                packed_out, (h_n, c_n) = self.rnn(packed)
            else:
                packed_out, (h_n, c_n) = self.rnn(packed, (initial_state[0].contiguous(),
                                                           initial_state[1].contiguous()))
            out = self._unpack(packed_out, x.size(1))
        return self._merge_sequence(out), self._last_hidden(h_n), torch.stack([h_n, c_n])


class GRUBlock(_RecurrentBase):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float,
                 bidirectional: bool = False, merge: str = "concat", weight_drop: float = 0.0):
        rnn = nn.GRU(input_size, hidden, layers, batch_first=True,
                     dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        super().__init__(rnn, hidden, bidirectional, merge, weight_drop)


class RNNBlock(_RecurrentBase):
    def __init__(self, input_size: int, hidden: int, layers: int, dropout: float,
                 bidirectional: bool = False, merge: str = "concat", nonlinearity: str = "tanh",
                 weight_drop: float = 0.0):
        rnn = nn.RNN(input_size, hidden, layers, nonlinearity=nonlinearity, batch_first=True,
                     dropout=dropout if layers > 1 else 0.0, bidirectional=bidirectional)
        super().__init__(rnn, hidden, bidirectional, merge, weight_drop)



def make_recurrent(cell: str, input_size: int, hidden: int, layers: int, dropout: float,
                   bidirectional: bool = False, merge: str = "concat", *, init: str = "default",
                   forget_bias: bool = False, weight_drop: float = 0.0) -> _RecurrentBase:
    """``cell`` is one of "lstm", "gru", "rnn_tanh", "rnn_relu"; ``init`` one of initialization.RECURRENT_INITS."""
    block: _RecurrentBase
    if cell == "lstm":
        block = LSTMBlock(input_size, hidden, layers, dropout, bidirectional, merge, weight_drop)
    elif cell == "gru":
        block = GRUBlock(input_size, hidden, layers, dropout, bidirectional, merge, weight_drop)
    else:
        nonlinearity = cell.split("_", 1)[1] if "_" in cell else "tanh"
        block = RNNBlock(input_size, hidden, layers, dropout, bidirectional, merge, nonlinearity, weight_drop)
    init_recurrent(block.rnn, init, forget_bias and cell == "lstm")
    return block
