"""The attention probe says what its weights are over: the inputs along both axes with the first probe sample's
token ids (compared with the batch's own ids), how many rows and columns are real, and the sample's target and
the model's answer; all of it survives the run log's JSON round trip."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from engine.compiler import compile_graph
from engine.data import prepare_data
from engine.document import load_document
from engine.probes.recorder import ProbeBatch, run_probes
from engine.training.events import AttentionProbe, event_from_dict, event_to_dict
from test_training_support import chain, one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _loss(outputs, batch):
    return outputs[0].float().square().mean()


def _shortest_first(batch) -> ProbeBatch:
    """The batch with its shortest source first, so that the probe sample has padding to leave out."""
    order = torch.argsort(batch.lengths["source"], stable=True)
    pick = lambda d: {k: v[order] for k, v in d.items()}  # noqa: E731
    return ProbeBatch(pick(batch.inputs), pick(batch.lengths), pick(batch.targets), len(order))


def test_cross_attention_probe_carries_the_decoder_and_encoder_tokens_target_and_prediction():
    document = load_document(EXAMPLES / "seq2seq_long_attention.json")
    document.data["options"]["samples"] = 64
    torch.manual_seed(0)
    compiled = compile_graph(document.graph)
    data = prepare_data(document.data, compiled)
    batch = _shortest_first(next(iter(data.loader("train", 16, shuffle=False, seed=0))))
    events = run_probes(compiled.module, batch, _loss, 4, {"attention"}, compiled.heads)
    [probe] = [e for e in events if isinstance(e, AttentionProbe)]
    source_length, target_length = int(batch.lengths["source"][0]), int(batch.lengths["target"][0])
    assert source_length < batch.inputs["source"].shape[1]  # the sample is padded: the probe must cut it
    assert (probe.step, probe.block, probe.query_input, probe.key_input) == (4, "attention", "target", "source")
    assert probe.key_tokens == batch.inputs["source"][0, :source_length].tolist()
    assert probe.query_tokens == batch.inputs["target"][0, :target_length].tolist()
    assert (probe.query_length, probe.key_length) == (target_length, source_length)
    assert probe.head == "output"
    assert probe.target == batch.targets["output"][0, :target_length].tolist()
    assert probe.target[:-1] == list(reversed(probe.key_tokens))  # the reverse task: the source backwards, <eos>
    output = compiled.module(batch.inputs["source"], batch.lengths["source"], batch.inputs["target"],
                             batch.lengths["target"])
    assert probe.prediction == output[0, :target_length].argmax(-1).tolist()
    real = probe.weights[:target_length]
    np.testing.assert_allclose(real[:, :source_length].sum(-1), 1.0, atol=1e-5)
    assert np.all(real[:, source_length:] == 0)  # padded keys get no weight

    again = event_from_dict(event_to_dict(probe))
    for name in ("query_input", "query_tokens", "query_length", "key_input", "key_tokens", "key_length", "head",
                 "target", "prediction"):
        assert getattr(again, name) == getattr(probe, name), name
    np.testing.assert_allclose(again.weights, probe.weights, rtol=1e-5)


def test_pooling_probe_has_a_key_axis_only_and_the_class_of_the_sample():
    graph = chain([("token_input", {"vocab_size": 12}), ("embedding", {"vocab_size": 12, "dim": 8}),
                   ("lstm", {"hidden_size": 6}), ("attention_pooling", {"units": 5}),
                   ("dense", {"units": 3, "activation": "softmax"}), ("classification_head", {"mode": "multiclass"})],
                  names=["name", "embedding", "lstm", "pool", "dense", "language"])
    torch.manual_seed(0)
    compiled = compile_graph(graph)
    tokens = torch.tensor([[4, 2, 9, 0, 0], [1, 2, 3, 4, 5]])
    lengths = torch.tensor([3, 5])
    batch = ProbeBatch({"name": tokens}, {"name": lengths}, {"language": torch.tensor([2, 0])}, 2)
    [probe] = [e for e in run_probes(compiled.module, batch, _loss, 1, {"attention"}, compiled.heads)
               if isinstance(e, AttentionProbe)]
    assert (probe.query_input, probe.query_tokens, probe.query_length) == (None, None, None)
    assert (probe.key_input, probe.key_tokens, probe.key_length) == ("name", [4, 2, 9], 3)
    probabilities = compiled.module(tokens, lengths)
    assert (probe.head, probe.target, probe.prediction) == ("language", 2, int(probabilities[0].argmax()))


def test_self_attention_over_numbers_labels_by_step_without_tokens():
    graph = chain([("feature_input", {"features": 2}), ("self_attention", {"heads": 1}), ("pooling", {"mode": "mean"}),
                   ("dense", {"units": 1}), ("regression_head", {})],
                  names=["series", "attention", "pool", "dense", "value"])
    torch.manual_seed(0)
    compiled = compile_graph(graph)
    values = torch.randn(2, 6, 2)
    batch = ProbeBatch({"series": values}, {"series": torch.tensor([4, 6])}, {"value": torch.zeros(2, 1)}, 2)
    [probe] = [e for e in run_probes(compiled.module, batch, _loss, 1, {"attention"}, compiled.heads)
               if isinstance(e, AttentionProbe)]
    assert (probe.query_input, probe.key_input) == ("series", "series")
    assert (probe.query_tokens, probe.key_tokens, probe.query_length, probe.key_length) == (None, None, 4, 4)
    assert probe.target is None and probe.prediction is None
