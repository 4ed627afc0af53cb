"""The activations probe: per wired output port, mean/std/min/max over real steps and the saturated share."""
import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.compiler import compile_graph
from engine.document import Document
from engine.graph import Graph
from engine.probes.activations import activation_ports, port_stats, squash_of
from engine.probes.recorder import ProbeBatch, run_probes
from engine.training import Trainer, TrainingConfig
from engine.training.events import (ActivationProbe, AttentionProbe, EventStream, StepMetrics, event_from_dict,
                                    event_to_dict, read_events)
from test_training_support import adding_data, chain, one_torch_thread  # noqa: F401


def _model():
    """features(2) -> dense(3, tanh) -> lstm(4) -last-> dense(1) -> regression, with known dense weights."""
    graph = chain([("feature_input", {"features": 2}), ("dense", {"units": 3, "activation": "tanh"}),
                   ("lstm", {"hidden_size": 4})], names=["x", "squash", "lstm"])
    lstm = graph.by_name("lstm")
    out = graph.add_node("dense", name="out", params={"units": 1, "activation": "none"})
    head = graph.add_node("regression_head", name="y", params={})
    graph.connect(lstm.id, "last", out.id, "input")
    graph.connect(out.id, "output", head.id, "input")
    torch.manual_seed(0)
    compiled = compile_graph(graph)
    weight = torch.tensor([[2.0, -1.0], [0.5, 0.25], [4.0, 0.0]])
    bias = torch.tensor([0.1, -0.2, 0.0])
    with torch.no_grad():
        compiled.module.squash.linear.weight.copy_(weight)
        compiled.module.squash.linear.bias.copy_(bias)
    return graph, compiled, weight.double().numpy(), bias.double().numpy()


def _batch(padding: float = 0.0):
    x = torch.tensor([[[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [0.7, 0.8]],
                      [[-0.5, 0.9], [1.0, 1.0], [padding, padding], [padding, padding]]])
    lengths = torch.tensor([4, 2])
    return ProbeBatch({"x": x}, {"x": lengths}, {"y": torch.zeros(2, 1)}, 2)


def _probe(graph, compiled, batch, which=frozenset({"activations"})):
    taps = activation_ports(graph, compiled.report)
    events = run_probes(compiled.module, batch, lambda outs, b: outs[0].pow(2).mean(), 7, set(which), taps=taps)
    (probe,) = [e for e in events if isinstance(e, ActivationProbe)]
    return probe


def _hand(values: np.ndarray) -> dict:
    return {"mean": values.mean(), "std": values.std(), "min": values.min(), "max": values.max()}


def test_stats_equal_a_hand_computation_over_real_steps_only():
    graph, compiled, weight, bias = _model()
    probe = _probe(graph, compiled, _batch())
    x_id, dense_id, lstm_id, out_id = (graph.by_name(n).id for n in ("x", "squash", "lstm", "out"))
    assert probe.step == 7
    assert set(probe.stats) == {f"{x_id}:sequence", f"{dense_id}:output", f"{lstm_id}:last", f"{out_id}:output"}
    real = np.array([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6], [0.7, 0.8], [-0.5, 0.9], [1.0, 1.0]])  # 4 + 2 steps
    dense = np.tanh(real @ weight.T + bias)
    for key, values, squash in ((f"{x_id}:sequence", real, None), (f"{dense_id}:output", dense, "tanh")):
        stats = probe.stats[key]
        for name, expected in _hand(values).items():
            assert stats[name] == pytest.approx(expected, abs=1e-6), (key, name)
        assert stats["squash"] == squash
    # tanh(4 * x) of the third unit: |.| > 0.99 needs |4 x| > 2.647, i.e. x of 0.7 and 1.0 only (2 of 18 values)
    assert probe.stats[f"{dense_id}:output"]["saturated"] == pytest.approx(np.mean(np.abs(dense) > 0.99))
    assert np.sum(np.abs(dense) > 0.99) == 2 and probe.stats[f"{x_id}:sequence"]["saturated"] is None
    lstm_last = probe.stats[f"{lstm_id}:last"]
    assert lstm_last["squash"] == "tanh" and -1 < lstm_last["min"] <= lstm_last["max"] < 1


def test_padded_steps_do_not_count_whatever_they_hold():
    graph, compiled, _, _ = _model()
    zeros = _probe(graph, compiled, _batch(0.0)).stats
    huge = _probe(graph, compiled, _batch(1000.0)).stats
    assert zeros == huge  # padding of 1000 would saturate every tanh unit and move every statistic
    # the LSTM's last output is a vector (no time axis): all of it counts, the padding never reaches it
    lstm_id = graph.by_name("lstm").id
    sequence = _probe_sequence(graph, compiled)
    assert sequence[f"{lstm_id}:sequence"]["mean"] != 0.0


def _probe_sequence(graph, compiled):
    """The LSTM's sequence port wired too: its padded steps are zeros in the module and must not count."""
    lstm = graph.by_name("lstm")
    pool = graph.add_node("pooling", name="pool", params={"mode": "mean"})
    head = graph.add_node("regression_head", name="y2", params={})
    graph.connect(lstm.id, "sequence", pool.id, "input")
    graph.connect(pool.id, "vector", head.id, "input")
    torch.manual_seed(0)
    compiled = compile_graph(graph)
    batch = _batch()
    stats = _probe(graph, compiled, batch).stats
    with torch.no_grad():
        sequence, _, _ = compiled.module.lstm(compiled.module.squash(batch.inputs["x"]), batch.lengths["x"])
    real = torch.cat([sequence[0, :4], sequence[1, :2]]).double().numpy()
    assert torch.all(sequence[1, 2:] == 0)  # what the mean would have counted
    for name, expected in _hand(real).items():
        assert stats[f"{lstm.id}:sequence"][name] == pytest.approx(expected, abs=1e-6)
    return stats


def test_saturation_counted_exactly_on_crafted_values():
    tanh = torch.tensor([0.995, -0.999, 0.5, 0.99, -0.99, 0.0, 1.0, -1.0], dtype=torch.float64)
    stats = port_stats(tanh, squash="tanh")
    assert stats["saturated"] == 4 / 8 and stats["squash"] == "tanh"  # 0.99 itself is not beyond the rule
    sigmoid = torch.tensor([0.005, 0.995, 0.5, 0.01, 0.99, 0.0, 0.3, 1.0], dtype=torch.float64)
    stats = port_stats(sigmoid, squash="sigmoid")
    assert stats["saturated"] == 4 / 8 and stats["min"] == 0.0 and stats["max"] == 1.0
    assert port_stats(sigmoid)["saturated"] is None and port_stats(torch.tensor([3, 4])) is None
    # with lengths, saturated padding is ignored: one real step each, neither saturated
    padded = torch.tensor([[0.2, 1.0, 1.0], [-0.3, -1.0, -1.0]], dtype=torch.float64)
    stats = port_stats(padded, torch.tensor([1, 1]), "tanh")
    assert stats["saturated"] == 0.0 and stats["mean"] == pytest.approx(-0.05) and stats["std"] == pytest.approx(0.25)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=4), st.integers(1, 3), st.integers(0, 2**16),
       st.sampled_from([None, "tanh", "sigmoid"]))
def test_masked_statistics_match_numpy_on_the_real_steps(lengths, units, seed, squash):
    steps = max(lengths) + 1
    values = torch.rand(len(lengths), steps, units, generator=torch.Generator().manual_seed(seed),
                        dtype=torch.float64) * 2 - 1
    stats = port_stats(values, torch.tensor(lengths), squash)
    real = np.concatenate([values[i, :n].numpy() for i, n in enumerate(lengths)]).reshape(-1)
    for name, expected in _hand(real).items():
        assert stats[name] == pytest.approx(expected, abs=1e-12)
    rule = {"tanh": np.abs(real) > 0.99, "sigmoid": (real < 0.01) | (real > 0.99)}
    assert stats["saturated"] == (None if squash is None else pytest.approx(rule[squash].mean()))


def test_squashing_rules_per_block():
    graph = Graph()
    x = graph.add_node("feature_input", name="x", params={"features": 2})
    made = {}
    for name, kind, params in (("tanh_dense", "dense", {"units": 2, "activation": "tanh"}),
                               ("sig_dense", "dense", {"units": 2, "activation": "sigmoid"}),
                               ("relu_dense", "dense", {"units": 2, "activation": "relu"}),
                               ("gru", "gru", {"hidden_size": 2}), ("lstm", "lstm", {"hidden_size": 2}),
                               ("relu_rnn", "rnn", {"hidden_size": 2, "nonlinearity": "relu"}),
                               ("bi_sum", "bidirectional", {"cell": "gru", "hidden_size": 2, "merge": "sum"}),
                               ("bi_cat", "bidirectional", {"cell": "lstm", "hidden_size": 2}),
                               ("attention", "self_attention", {"heads": 1})):
        made[name] = graph.add_node(kind, name=name, params=params)
        graph.connect(x.id, "sequence", made[name].id, "input")
    drop = graph.add_node("dropout", name="drop", params={"rate": 0.5})
    graph.connect(made["sig_dense"].id, "output", drop.id, "input")
    expect = {("tanh_dense", "output"): "tanh", ("sig_dense", "output"): "sigmoid", ("relu_dense", "output"): None,
              ("gru", "sequence"): "tanh", ("gru", "last"): "tanh", ("gru", "state"): "tanh",
              ("lstm", "last"): "tanh", ("lstm", "state"): None, ("relu_rnn", "sequence"): None,
              ("bi_sum", "sequence"): None, ("bi_sum", "state"): "tanh", ("bi_cat", "sequence"): "tanh",
              ("attention", "sequence"): None}
    for (name, port), squash in expect.items():
        assert squash_of(graph, made[name].id, port) == squash, (name, port)
    assert squash_of(graph, drop.id, "output") == "sigmoid"  # dropout is the identity on the probe batch


def test_event_round_trips_through_json_and_only_the_newest_waits_in_the_stream():
    stats = {"a:output": {"mean": 0.1, "std": 0.2, "min": -1.0, "max": 1.0, "saturated": 0.25, "squash": "tanh"},
             "b:sequence": {"mean": math.nan, "std": math.inf, "min": -math.inf, "max": 3.0, "saturated": None,
                            "squash": None}}
    event = ActivationProbe(12, stats)
    back = event_from_dict(json.loads(json.dumps(event_to_dict(event))))
    assert isinstance(back, ActivationProbe) and back.step == 12
    assert back.stats["a:output"] == stats["a:output"]
    b = back.stats["b:sequence"]
    assert math.isnan(b["mean"]) and b["std"] == math.inf and b["min"] == -math.inf and b["saturated"] is None
    stream = EventStream()
    step = StepMetrics(1, 1, 1, 0.5, {}, 1e-3, 1.0, 0.0, 1.0, {}, False, 1)
    attention = AttentionProbe(1, "attention", np.ones(3))
    stream.emit(ActivationProbe(1, {}))
    stream.emit(step)
    stream.emit(attention)
    stream.emit(event)
    assert stream.drain() == [event, step, attention] and stream.dropped == 1


def test_a_run_logs_activation_probes_also_for_a_model_without_recurrent_blocks(tmp_path):
    graph = chain([("feature_input", {"features": 2}), ("dense", {"units": 5, "activation": "sigmoid"}),
                   ("pooling", {"mode": "last"}), ("dense", {"units": 1}), ("regression_head", {})],
                  names=["sequence", "hidden", "pool", "out", "sum"])
    doc = Document(graph=graph)
    config = TrainingConfig(epochs=1, batch_size=32, probe_batch=8, probe_budget=0.5)
    assert "activations" in config.probes  # on by default
    result = Trainer(doc, config, run_root=tmp_path, data=adding_data(n=96, n_val=16, n_test=16)).run()
    assert result.status == "completed"
    probes = [e for e in read_events(result.run_dir / "metrics.jsonl") if isinstance(e, ActivationProbe)]
    assert probes and probes[0].step == 1
    hidden = graph.by_name("hidden").id
    pool = graph.by_name("pool").id
    assert probes[-1].stats[f"{hidden}:output"]["squash"] == "sigmoid"
    assert probes[-1].stats[f"{pool}:vector"]["squash"] == "sigmoid"  # the last step of sigmoid units
    off = TrainingConfig(epochs=1, batch_size=32, probes=["grad_norms", "gates"])
    result = Trainer(doc, off, run_root=tmp_path, data=adding_data(n=64, n_val=16, n_test=16)).run()
    assert not [e for e in read_events(result.run_dir / "metrics.jsonl") if isinstance(e, ActivationProbe)]
