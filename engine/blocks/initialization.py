"""Weight initialisation schemes of the recurrent, dense and embedding blocks (their ``init`` parameter).

"default" leaves PyTorch's own initialisation untouched (and draws no random numbers), so documents written
before the option existed build, and train, exactly as they did. "keras" starts every block as Keras 3's
layers do by default, which learns markedly faster on the sentiment example (benchmarks/bench_keras.py).
"""
from __future__ import annotations

import torch
from torch import nn

from .options import (GATED_INITS, INIT_HELP, IRNN_INPUT_STD, KERAS_EMBEDDING_LIMIT,  # noqa: F401 (re-exported)
                      LAYER_INITS, RECURRENT_INITS)


def gates_of(rnn: nn.RNNBase) -> int:
    """How many gate blocks the stacked weight matrices hold: LSTM 4 (i, f, g, o), GRU 3 (r, z, n), RNN 1."""
    return {"LSTM": 4, "GRU": 3}.get(rnn.mode, 1)


@torch.no_grad()
def init_recurrent(rnn: nn.RNNBase, scheme: str, forget_bias: bool = False) -> None:
    """Applies ``scheme`` to every layer and direction of ``rnn``; ``forget_bias`` sets an LSTM's forget gate bias to 1."""
    if scheme not in RECURRENT_INITS:
        raise ValueError(f"unknown recurrent init '{scheme}' (known: {', '.join(RECURRENT_INITS)})")
    gates, hidden = gates_of(rnn), rnn.hidden_size
    if scheme == "identity" and gates != 1:
        raise ValueError(f"identity recurrent weights need a plain RNN, not an {rnn.mode}: choose orthogonal")
    for name, weight in rnn.named_parameters():
        if scheme == "default":
            break
        if name.startswith("bias"):
            weight.zero_()
        elif name.startswith("weight_ih"):
            if scheme == "identity":
                weight.normal_(0.0, IRNN_INPUT_STD)
            else:
                nn.init.xavier_uniform_(weight)
        elif name.startswith("weight_hh"):
            if scheme == "keras":
                # Keras draws its recurrent kernel [hidden, gates*hidden] as one orthogonal matrix (orthonormal
                # rows); torch stores the transpose, so orthogonal_ on it gives the same (orthonormal columns).
                nn.init.orthogonal_(weight)
                continue
            if scheme == "xavier":
                nn.init.xavier_uniform_(weight)
            # one square matrix per gate: each is orthogonal (or the identity) on its own
            for block in weight.split(hidden, dim=0):
                if scheme == "orthogonal":
                    nn.init.orthogonal_(block)
                elif scheme == "identity":
                    block.copy_(torch.eye(hidden, dtype=block.dtype))
    if scheme == "keras" and rnn.mode == "LSTM":
        forget_bias = True  # Keras's unit_forget_bias
    if forget_bias:
        if rnn.mode != "LSTM":
            raise ValueError(f"a forget-gate bias needs an LSTM, not an {rnn.mode}")
        # PyTorch adds bias_ih and bias_hh; together the forget slice (the second block) becomes exactly 1.
        for name, bias in rnn.named_parameters():
            if name.startswith("bias_ih"):
                bias[hidden:2 * hidden] = 1.0
            elif name.startswith("bias_hh"):
                bias[hidden:2 * hidden] = 0.0


@torch.no_grad()
def init_linear(linear: nn.Linear, scheme: str) -> None:
    """Dense blocks: "xavier" and "keras" = Glorot uniform weights and zero bias (Keras's default); "default" =
    PyTorch's."""
    if scheme not in LAYER_INITS:
        raise ValueError(f"unknown init '{scheme}' (known: {', '.join(LAYER_INITS)})")
    if scheme in ("xavier", "keras"):
        nn.init.xavier_uniform_(linear.weight)
        if linear.bias is not None:
            linear.bias.zero_()


@torch.no_grad()
def init_embedding(embedding: nn.Embedding, scheme: str) -> None:
    """Embeddings: "xavier" = Glorot uniform rows; "keras" = uniform(-0.05, 0.05) (Keras's default); the padding
    row stays zero either way."""
    if scheme not in LAYER_INITS:
        raise ValueError(f"unknown init '{scheme}' (known: {', '.join(LAYER_INITS)})")
    if scheme != "default":
        if scheme == "keras":
            nn.init.uniform_(embedding.weight, -KERAS_EMBEDDING_LIMIT, KERAS_EMBEDDING_LIMIT)
        else:
            nn.init.xavier_uniform_(embedding.weight)
        if embedding.padding_idx is not None:
            embedding.weight[embedding.padding_idx].zero_()
