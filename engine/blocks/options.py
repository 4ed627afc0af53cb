"""The choices some block parameters offer (init schemes, merge modes), kept free of torch.

The catalog reads them at import; the torch modules that implement them import them from here.
"""
from __future__ import annotations

RECURRENT_INITS = ("default", "xavier", "orthogonal", "identity", "keras")
GATED_INITS = ("default", "xavier", "orthogonal", "keras")  # identity recurrent weights are for plain RNNs (IRNN)
LAYER_INITS = ("default", "xavier", "keras")
IRNN_INPUT_STD = 0.001  # Le et al. 2015: input weights drawn from N(0, 0.001^2), recurrent matrix = identity
KERAS_EMBEDDING_LIMIT = 0.05  # Keras's Embedding default: uniform(-0.05, 0.05)

INIT_HELP = ("How the weights start: PyTorch's default; Xavier/Glorot uniform with zero biases; orthogonal "
             "hidden-to-hidden matrices (Xavier inputs, zero biases); identity hidden-to-hidden matrix with "
             "tiny input weights (IRNN, plain RNN only); keras: as Keras does (Xavier inputs, one orthogonal "
             "matrix over all gates, zero biases, an LSTM's forget-gate bias 1), which learns fastest here.")

MERGE_MODES = ("concat", "sum", "mean", "multiply")  # how a bidirectional block combines its two directions
