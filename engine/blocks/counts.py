"""Trainable parameter counts of every block kind, by closed formula: no torch, nothing built.

``parameter_count(kind, params, ins)`` equals ``sum(p.numel() for p in built.parameters())`` for the module the
catalog builds (tests/test_perf_counts.py checks that for every kind over many parameter combinations), so
the shape check, the Model summary and the memory check work before torch is loaded. A kind added to the
catalog without a formula here is still counted right: built on torch's meta device (allocating nothing).
"""
from __future__ import annotations

from typing import Callable, Mapping

from ..specs import PortShape
from . import get_spec

# Kinds whose modules hold no parameters at all.
PARAMETER_FREE = frozenset({"token_input", "feature_input", "dropout", "pooling", "concat", "add",
                            "classification_head", "regression_head", "labelling_head", "language_model_head"})

_GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}  # weight blocks per layer: i,f,g,o / r,z,n / one


def _recurrent(cell: str, features: int, hidden: int, layers: int, directions: int) -> int:
    """nn.LSTM / nn.GRU / nn.RNN: per layer and direction W_ih [g*H, in], W_hh [g*H, H], b_ih and b_hh [g*H]."""
    gates = _GATES[cell]
    total = 0
    for layer in range(layers):
        width = features if layer == 0 else hidden * directions  # upper layers read both directions
        total += directions * gates * hidden * (width + hidden + 2)
    return total


def _features(ins: Mapping[str, PortShape], port: str) -> int:
    return ins[port].features


def _attention(query: int, memory: int) -> int:
    """nn.MultiheadAttention(E, kdim=M, vdim=M): q, k, v projections with one 3E bias, out projection E*E + E
    (with M == E torch stores one [3E, E] matrix instead: the same count)."""
    return query * query + 2 * query * memory + 3 * query + query * query + query


_RULES: dict[str, Callable[[Mapping, Mapping[str, PortShape]], int]] = {
    "embedding": lambda p, ins: p["vocab_size"] * p["dim"],
    "lstm": lambda p, ins: _recurrent("lstm", _features(ins, "input"), p["hidden_size"], p["layers"], 1),
    "gru": lambda p, ins: _recurrent("gru", _features(ins, "input"), p["hidden_size"], p["layers"], 1),
    "rnn": lambda p, ins: _recurrent("rnn_" + p["nonlinearity"], _features(ins, "input"), p["hidden_size"],
                                     p["layers"], 1),
    "bidirectional": lambda p, ins: _recurrent(p["cell"], _features(ins, "input"), p["hidden_size"], p["layers"], 2),
    "self_attention": lambda p, ins: _attention(_features(ins, "input"), _features(ins, "input")),
    "cross_attention": lambda p, ins: _attention(_features(ins, "query"), _features(ins, "memory")),
    # a scoring layer F -> units with bias, then units -> 1 without
    "attention_pooling": lambda p, ins: _features(ins, "input") * p["units"] + 2 * p["units"],
    "dense": lambda p, ins: (_features(ins, "input") + 1) * p["units"],
    "layer_norm": lambda p, ins: 2 * _features(ins, "input"),  # scale and shift per feature
    "conv1d": lambda p, ins: (_features(ins, "input") * p["kernel_size"] + 1) * p["filters"],
}


def parameter_count(kind: str, params: Mapping, ins: Mapping[str, PortShape]) -> int:
    """Trainable parameters of a ``kind`` block (current or legacy id) with valid ``params`` and these input
    shapes."""
    spec = get_spec(kind)
    for known in (spec.id, *spec.legacy_ids):  # a renamed kind keeps the formula of its old id
        if known in PARAMETER_FREE:
            return 0
        if known in _RULES:
            return int(_RULES[known](params, ins))
    return built_count(spec.id, params, ins)


def has_formula(kind: str) -> bool:
    """Whether ``kind`` is counted without torch (every kind of the catalog is: a test checks it)."""
    spec = get_spec(kind)
    return any(k in PARAMETER_FREE or k in _RULES for k in (spec.id, *spec.legacy_ids))


def built_count(kind: str, params: Mapping, ins: Mapping[str, PortShape]) -> int:
    """The count of the module torch builds on the meta device (nothing allocated, initialisation skipped)."""
    import torch
    from torch.overrides import TorchFunctionMode

    class SkipMetaInit(TorchFunctionMode):
        # Some meta initialisers (normal_, used by nn.Embedding) go through torch's Python reference kernels,
        # whose first use imports torch._dynamo: seconds. Modes are per thread: other builds are unaffected.
        _INIT = frozenset({"normal_", "uniform_", "fill_", "zero_", "copy_", "trunc_normal_", "orthogonal_"})

        def __torch_function__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if getattr(func, "__name__", "") in self._INIT:
                target = args[0] if args else kwargs.get("tensor")
                if isinstance(target, torch.Tensor) and target.is_meta:
                    return target
            return func(*args, **kwargs)

    with torch.device("meta"), SkipMetaInit():
        module = get_spec(kind).build(dict(params), dict(ins))
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
