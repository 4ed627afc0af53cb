"""The Trainer learns, is reproducible, stops cleanly on request or failure, and writes its run directory."""
import json
import math
import threading
import time

import pytest
import torch

from engine.compiler import compile_graph
from engine.data import DataError
from engine.document import Document
from engine.training import (EpochMetrics, GateProbe, Hook, RunFinished, RunStarted, StepMetrics, TimeGradProbe,
                             Trainer, TrainingConfig, read_events)
from engine.training.checkpoints import load_checkpoint
from test_training_support import adding_data, chain, one_torch_thread, token_class_data  # noqa: F401


def adding_doc(cell="lstm", hidden=16):
    graph = chain([("feature_input", {"features": 2}), (cell, {"hidden_size": hidden}), ("pooling", {"mode": "last"}),
                   ("dense", {"units": 1, "activation": "none"}), ("regression_head", {"loss": "mse"})],
                  names=["sequence", "rec", "pool", "dense", "sum"])
    return Document(graph=graph)


def classifier_doc(activation="softmax"):
    graph = chain([("token_input", {"vocab_size": 12}), ("embedding", {"vocab_size": 12, "dim": 8}),
                   ("gru", {"hidden_size": 16}), ("pooling", {"mode": "mean"}),
                   ("dense", {"units": 3, "activation": activation}), ("classification_head", {"mode": "multiclass"})],
                  names=["tokens", "embedding", "gru", "pool", "dense", "label"])
    return Document(graph=graph)


def run(doc, tmp_path, data, hooks=(), **config):
    trainer = Trainer(doc, TrainingConfig(**{"epochs": 2, "batch_size": 32, "lr": 0.01, **config}),
                      run_root=tmp_path, data=data)
    for hook in hooks:
        trainer.add_hook(hook)
    return trainer, trainer.run()


def test_two_cpu_runs_with_one_seed_give_identical_curves(tmp_path):
    curves = []
    for _ in range(2):
        trainer, result = run(adding_doc(), tmp_path, adding_data(n=160), epochs=2, seed=7)
        events = trainer.events.drain()
        curves.append([(e.loss, e.grad_norm) for e in events if isinstance(e, StepMetrics)])
        assert result.status == "completed"
    assert curves[0] == curves[1] and len(curves[0]) == 6
    _, other = run(adding_doc(), tmp_path, adding_data(n=160), epochs=1, seed=8)
    assert other.epochs[0].train["loss"] != pytest.approx(curves[0][0][0], abs=0)


def test_classifier_learns_beyond_majority_and_run_dir_is_complete(tmp_path):
    trainer, result = run(classifier_doc(), tmp_path, token_class_data(), epochs=12, lr=0.02)
    assert result.status == "completed", result.message
    first, last = result.epochs[0], result.epochs[-1]
    assert last.train["loss"] < 0.7 * first.train["loss"]
    evaluation = json.loads((result.run_dir / "evaluation.json").read_text())
    majority = evaluation["baselines"]["label"]["majority_accuracy"]
    assert result.test["accuracy"] > majority + 0.15
    names = {p.name for p in result.run_dir.iterdir()}
    assert {"document.json", "config.json", "data_meta.json", "metrics.jsonl", "checkpoints", "evaluation.json",
            "status.json"} <= names
    assert json.loads((result.run_dir / "status.json").read_text())["status"] == "completed"
    assert TrainingConfig.from_dict(json.loads((result.run_dir / "config.json").read_text())).lr == 0.02
    # Weights-only checkpoints load into a freshly compiled model and reproduce the test metrics.
    fresh = compile_graph(classifier_doc().graph).module
    load_checkpoint(fresh, result.run_dir / "checkpoints" / "best.safetensors")
    best = trainer.inner_module.state_dict()
    assert all(torch.equal(best[k], v) for k, v in fresh.state_dict().items())


def test_event_log_keeps_every_event_with_the_contract_fields(tmp_path):
    trainer, result = run(adding_doc(), tmp_path, adding_data(n=160), epochs=2)
    logged = read_events(result.run_dir / "metrics.jsonl")
    kinds = [type(e) for e in logged]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert kinds.count(StepMetrics) == 6 and kinds.count(EpochMetrics) == 2
    started = logged[0]
    assert started.blocks == ["rec", "dense"] and started.steps_per_epoch == 3 and started.epochs == 2
    step = next(e for e in logged if isinstance(e, StepMetrics))
    assert set(step.grad_norms) == {"rec", "dense"} and step.grad_norm > 0 and step.samples_per_sec > 0
    assert step.grad_norm == pytest.approx(math.sqrt(sum(v * v for v in step.grad_norms.values())), rel=1e-5)
    gates = [e for e in logged if isinstance(e, GateProbe)]
    assert gates and set(gates[0].gates) == {"input", "forget", "cell", "output"}
    assert gates[0].gates["forget"].shape == (gates[0].length, 16)
    assert any(isinstance(e, TimeGradProbe) and e.norms.shape == (12,) for e in logged)
    finished = logged[-1]
    assert finished.status == "completed" and finished.test == pytest.approx(result.test)


class CorruptGradient(Hook):
    def __init__(self, block, at_step):
        self.block, self.at_step = block, at_step

    def on_after_backward(self, trainer):
        if trainer.global_step + 1 == self.at_step:
            getattr(trainer.inner_module, self.block).linear.weight.grad[0, 0] = float("inf")


def test_exploding_gradient_fails_the_run_naming_the_block(tmp_path):
    trainer, result = run(adding_doc(), tmp_path, adding_data(n=160), hooks=[CorruptGradient("dense", 2)])
    assert result.status == "failed" and result.block == "dense"
    assert "'dense'" in result.message and "step 2" in result.message
    assert result.exit_code == 1
    finished = [e for e in trainer.events.drain() if isinstance(e, RunFinished)][0]
    assert finished.status == "failed" and finished.block == "dense"


def test_diverging_loss_fails_with_a_message(tmp_path):
    _, result = run(adding_doc(cell="rnn"), tmp_path, adding_data(n=160), optimizer="sgd", lr=1e12, clip="none",
                    epochs=3)
    assert result.status == "failed"
    assert "lower the learning rate" in result.message and result.block in ("rec", "dense")


class PauseThenStop(Hook):
    def __init__(self):
        self.paused_steps = None

    def on_step_end(self, trainer, metrics):
        if trainer.global_step == 2:
            trainer.pause()
            seen = trainer.global_step

            def later():
                time.sleep(0.3)
                self.paused_steps = trainer.global_step - seen  # nothing ran while paused
                trainer.resume()
            threading.Thread(target=later).start()
        if trainer.global_step == 4:
            trainer.stop()


def test_pause_resume_and_stop_leave_a_consistent_last_checkpoint(tmp_path):
    hook = PauseThenStop()
    trainer, result = run(adding_doc(), tmp_path, adding_data(n=320), hooks=[hook], epochs=5, batch_size=16)
    assert hook.paused_steps == 0
    assert result.status == "stopped" and result.exit_code == 130
    assert trainer.global_step == 4
    fresh = compile_graph(adding_doc().graph).module
    load_checkpoint(fresh, result.run_dir / "checkpoints" / "last.safetensors")
    assert all(torch.isfinite(v).all() for v in fresh.state_dict().values())


def test_early_stopping_on_a_flat_validation_metric(tmp_path):
    # With a learning rate this small the float32 weights cannot change: val_loss never improves.
    _, result = run(adding_doc(), tmp_path, adding_data(n=160), optimizer="sgd", momentum=0.0, lr=1e-30,
                    epochs=10, early_stopping=2)
    assert result.status == "early_stopped" and len(result.epochs) == 3
    assert result.best["epoch"] == 1 and "val_loss" in result.message


def test_step_schedule_halves_the_learning_rate(tmp_path):
    _, result = run(adding_doc(), tmp_path, adding_data(n=96, n_val=32, n_test=32), epochs=3, schedule="step",
                    step_size=1, gamma=0.5, lr=0.01)
    assert [e.lr for e in result.epochs] == pytest.approx([0.005, 0.0025, 0.00125])


def test_bad_inputs_fail_with_clear_messages(tmp_path):
    data = adding_data(n=96)
    for sample in data.train + data.val + data.test:
        sample["targets"] = {"total": sample["targets"]["sum"]}
    _, result = run(adding_doc(), tmp_path, data)
    assert result.status == "failed" and result.exit_code == 2
    assert "no target for head 'sum'" in result.message and "total" in result.message

    class Broken:
        train = val = test = [1]

        def loader(self, *args, **kwargs):
            raise DataError("reviews.csv: row 3, column 'label': empty value")

    _, result = run(adding_doc(), tmp_path, Broken())
    assert result.status == "failed" and "row 3, column 'label'" in result.message and result.exit_code == 2


def test_config_round_trip_and_errors_name_the_field():
    config = TrainingConfig(optimizer="rmsprop", schedule="cosine", clip="value", probes=["gates"])
    assert TrainingConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match=r"training\.lr: must be greater than 0"):
        TrainingConfig.from_dict({"lr": -1})
    with pytest.raises(ValueError, match=r"training\.optimizer: must be one of sgd, adam"):
        TrainingConfig.from_dict({"optimizer": "lbfgs"})
    with pytest.raises(ValueError, match=r"training\.epoch: is not a training setting"):
        TrainingConfig.from_dict({"epoch": 3})


class OutOfMemory(Hook):
    def on_after_backward(self, trainer):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")


def test_out_of_memory_fails_with_advice(tmp_path):
    _, result = run(adding_doc(), tmp_path, adding_data(n=96), hooks=[OutOfMemory()])
    assert result.status == "failed" and result.exit_code == 1
    assert "out of memory" in result.message and "batch size 32" in result.message


def test_monitoring_a_metric_the_model_lacks_names_the_setting(tmp_path):
    _, result = run(adding_doc(), tmp_path, adding_data(n=96), monitor="val_accuracy")
    assert result.status == "failed" and result.exit_code == 2
    assert "training.monitor: 'val_accuracy' is not a validation metric" in result.message
    assert "val_mse" in result.message


def test_regression_baselines_are_the_best_constant_and_the_last_value_computed_by_hand():
    """Each regression metric has its yardstick: the training mean for squared error, the training median for
    absolute error, and for a forecast the input's last real step (padding skipped)."""
    from types import SimpleNamespace

    from test_training_support import SynthData

    from engine.training.baselines import baselines

    g = torch.Generator().manual_seed(3)
    samples = []
    for i in range(60):
        steps = 4 + i % 5  # different lengths: the last real step is not the padded end
        x = torch.randn(steps + 1, 1, generator=g).cumsum(0)
        samples.append({"inputs": {"sequence": x[:-1]}, "lengths": {"sequence": torch.tensor(steps)},
                        "targets": {"next": x[-1]}})
    data = SynthData(samples[20:], samples[:10], samples[10:20])
    graph = chain([("feature_input", {"features": 1}), ("gru", {"hidden_size": 4}), ("pooling", {"mode": "last"}),
                   ("dense", {"units": 1, "activation": "none"}), ("regression_head", {"loss": "mse"})],
                  names=["sequence", "rec", "pool", "dense", "next"])
    session = SimpleNamespace(data=data, config=SimpleNamespace(batch_size=8, seed=0),
                              compiled=compile_graph(graph))
    got = baselines(session)["next"]
    train = torch.cat([s["targets"]["next"] for s in data.train])
    test = torch.cat([s["targets"]["next"] for s in data.test])
    last = torch.cat([s["inputs"]["sequence"][-1] for s in data.test])
    assert got["constant_mean_mse"] == pytest.approx(float((test - train.mean()).pow(2).mean()), rel=1e-6)
    assert got["constant_median_mae"] == pytest.approx(float((test - train.median()).abs().mean()), rel=1e-6)
    assert got["last_value_mse"] == pytest.approx(float((last - test).pow(2).mean()), rel=1e-6)
    assert got["last_value_mae"] == pytest.approx(float((last - test).abs().mean()), rel=1e-6)
