"""Attention probes hand over the first probe sample's weights: rows sum to one, padded keys get none."""
import numpy as np
import torch

from engine.compiler import compile_graph
from engine.probes.recorder import ProbeBatch, run_probes
from engine.training.events import AttentionProbe, GateProbe, TimeGradProbe
from test_training_support import chain, one_torch_thread  # noqa: F401


def _probe(graph, which):
    torch.manual_seed(0)
    module = compile_graph(graph).module
    tokens = torch.randint(1, 12, (3, 7))
    lengths = torch.tensor([5, 7, 2])
    batch = ProbeBatch({"tokens": tokens}, {"tokens": lengths}, {}, 3)
    return run_probes(module, batch, lambda outs, b: outs[0].pow(2).mean(), step=3, which=which)


def test_attention_pooling_weights_of_the_first_sample():
    graph = chain([("token_input", {"vocab_size": 12}), ("embedding", {"vocab_size": 12, "dim": 8}),
                   ("bidirectional", {"cell": "gru", "hidden_size": 6}), ("attention_pooling", {"units": 5}),
                   ("dense", {"units": 3, "activation": "softmax"}), ("classification_head", {"mode": "multiclass"})],
                  names=["tokens", "embedding", "bigru", "attention", "dense", "language"])
    events = _probe(graph, {"gates", "attention", "time_grads"})
    (attention,) = [e for e in events if isinstance(e, AttentionProbe)]
    assert attention.block == "attention" and attention.step == 3 and attention.weights.shape == (7,)
    assert np.isclose(attention.weights.sum(), 1.0, atol=1e-5) and np.all(attention.weights[5:] == 0)
    gates = [e for e in events if isinstance(e, GateProbe)]
    assert {(g.direction, g.length) for g in gates} == {("forward", 5), ("backward", 5)}
    assert set(gates[0].gates) == {"reset", "update", "candidate"} and gates[0].cell_state is None
    (time_grads,) = [e for e in events if isinstance(e, TimeGradProbe)]
    assert time_grads.norms.shape == (7,) and time_grads.norms[:2].min() > 0


def test_causal_self_attention_weights_are_lower_triangular():
    graph = chain([("token_input", {"vocab_size": 12}), ("embedding", {"vocab_size": 12, "dim": 8}),
                   ("self_attention", {"heads": 2, "causal": True}), ("dense", {"units": 12}),
                   ("language_model_head", {})], names=["tokens", "embedding", "attention", "dense", "next"])
    events = _probe(graph, {"attention"})
    (attention,) = [e for e in events if isinstance(e, AttentionProbe)]
    weights = attention.weights
    assert weights.shape == (7, 7)
    assert np.allclose(np.triu(weights, 1), 0) and np.allclose(weights[:5].sum(-1), 1.0, atol=1e-5)
