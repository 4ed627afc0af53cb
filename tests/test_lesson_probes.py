"""Hidden-state probes for every recurrent block (the plain RNN included) with the sample's input along the time
axis, and the cut marks of truncated BPTT on the per-step gradient event."""
from __future__ import annotations

import numpy as np
import torch

from engine.compiler import compile_graph
from engine.document import Document
from engine.probes.recorder import ProbeBatch, run_probes
from engine.training import Trainer, TrainingConfig
from engine.training.events import HiddenStateProbe, TimeGradProbe, event_from_dict, event_to_dict
from test_training_support import chain, lm_data, one_torch_thread  # noqa: F401


def _loss(outputs, batch):
    return outputs[0].float().square().mean()


def test_plain_rnn_hidden_states_equal_a_step_by_step_run_and_carry_the_tokens():
    graph = chain([("token_input", {"vocab_size": 9}), ("embedding", {"vocab_size": 9, "dim": 4}),
                   ("rnn", {"hidden_size": 5}), ("dense", {"units": 9}), ("language_model_head", {})],
                  names=["chars", "embedding", "rnn", "dense", "next"])
    torch.manual_seed(0)
    module = compile_graph(graph).module
    tokens = torch.tensor([[3, 1, 4, 1, 5, 0], [2, 7, 0, 0, 0, 0]])
    lengths = torch.tensor([5, 2])
    batch = ProbeBatch({"chars": tokens}, {"chars": lengths}, {}, 2)
    [event] = [e for e in run_probes(module, batch, _loss, 7, {"gates"}) if isinstance(e, HiddenStateProbe)]
    rnn = module.rnn.rnn
    h = torch.zeros(5)
    expected = []
    with torch.no_grad():
        for token in tokens[0, :5]:
            x = module.embedding.weight[token]
            h = torch.tanh(rnn.weight_ih_l0 @ x + rnn.bias_ih_l0 + rnn.weight_hh_l0 @ h + rnn.bias_hh_l0)
            expected.append(h.clone())
    assert (event.step, event.block, event.length, event.input_name) == (7, "rnn", 5, "chars")
    np.testing.assert_allclose(event.states, torch.stack(expected).numpy(), atol=1e-6)
    assert event.tokens == [3, 1, 4, 1, 5] and event.values is None
    again = event_from_dict(event_to_dict(event))
    assert again.tokens == event.tokens and again.states.shape == (5, 5) and again.input_name == "chars"


def test_bidirectional_block_on_values_gives_both_directions_and_the_value_strip():
    graph = chain([("feature_input", {"features": 2}), ("bidirectional", {"cell": "gru", "hidden_size": 3}),
                   ("dense", {"units": 1}), ("regression_head", {})], names=["series", "both", "dense", "y"])
    module = compile_graph(graph).module
    x = torch.randn(3, 4, 2)
    batch = ProbeBatch({"series": x}, {"series": torch.tensor([4, 3, 2])}, {}, 3)
    [event] = [e for e in run_probes(module, batch, _loss, 1, {"gates"}) if isinstance(e, HiddenStateProbe)]
    with torch.no_grad():
        full, _ = module.both.rnn(x[:1])
    np.testing.assert_allclose(event.states, full[0].numpy(), atol=1e-6)  # [T, forward 3 + backward 3]
    np.testing.assert_allclose(event.values, x[0].numpy(), rtol=0, atol=0)
    assert event.tokens is None
    back = event_from_dict(event_to_dict(event))
    np.testing.assert_allclose(back.values, event.values, rtol=1e-5)


def test_no_hidden_states_without_the_gates_probe():
    graph = chain([("feature_input", {"features": 1}), ("rnn", {"hidden_size": 3}), ("dense", {"units": 1}),
                   ("regression_head", {})], names=["x", "rnn", "dense", "y"])
    module = compile_graph(graph).module
    batch = ProbeBatch({"x": torch.randn(2, 3, 1)}, {"x": torch.tensor([3, 3])}, {}, 2)
    assert not [e for e in run_probes(module, batch, _loss, 1, {"time_grads"}) if isinstance(e, HiddenStateProbe)]


def test_tbptt_run_marks_its_chunk_cuts_on_the_per_step_gradients(tmp_path, one_torch_thread):  # noqa: F811
    graph = chain([("token_input", {"vocab_size": 8}), ("embedding", {"vocab_size": 8, "dim": 8}),
                   ("lstm", {"hidden_size": 8}), ("dense", {"units": 8}), ("language_model_head", {})],
                  names=["chars", "embedding", "rec", "dense", "next"])
    trainer = Trainer(Document(graph=graph), TrainingConfig(epochs=1, batch_size=16, tbptt=4, probe_budget=0.5,
                                                            max_steps_per_epoch=2),
                      run_root=tmp_path, data=lm_data())
    assert trainer.run().status == "completed"
    grads = [e for e in trainer.events.drain() if isinstance(e, TimeGradProbe)]
    assert grads
    for event in grads:
        assert event.cuts == list(range(4, len(event.norms), 4)) and event.cuts
    plain = TimeGradProbe(1, "rec", np.ones(3, dtype=np.float32))
    assert plain.cuts == [] and event_from_dict(event_to_dict(grads[0])).cuts == grads[0].cuts
