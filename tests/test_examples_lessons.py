"""The lesson comparisons shipped as experiment documents, and the two lessons that had to be fixed: co2 adds the
window's last value around its LSTM (it learns the change), the exploding pair differs only in clipping."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from engine.compiler import compile_graph
from engine.data import dataset_spec, missing_package
from engine.document import load_document
from engine.experiments import experiment_from_data
from engine.experiments.variants import plan_experiment
from engine.training import Trainer, TrainingConfig
from test_training_support import one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# experiment document -> (the single lesson document it compares against, the trial labels it plans)
EXPERIMENTS = {
    "copy_experiment": ("copy_rnn", ["kind=rnn, delay=10", "kind=rnn, delay=20", "kind=gru, delay=10",
                                     "kind=gru, delay=20", "kind=lstm, delay=10", "kind=lstm, delay=20"]),
    "repeats_experiment": ("repeats_unidirectional", ["kind=lstm", "kind=bidirectional"]),
    "init_experiment": ("adding_irnn", [f"nonlinearity={unit}, init={init}" for unit in ("tanh", "relu")
                                        for init in ("default", "xavier", "orthogonal", "identity")]),
    "co2_experiment": ("co2", ["scaler=standard", "scaler=minmax", "scaler=none"]),
    "sentiment_experiment": ("sentiment_regularized", None),
}


# Per experiment document: smaller data and a shorter schedule for the short training test (the lessons' single
# documents are trained in test_lesson_examples.py, the other examples in test_training_examples.py).
SHORT = {
    "copy_experiment": ({"samples": 300}, {"epochs": 1, "max_steps_per_epoch": 3}),
    "repeats_experiment": ({"samples": 300}, {"epochs": 1, "max_steps_per_epoch": 3}),
    "sentiment_experiment": ({"max_length": 30}, {"epochs": 1, "max_steps_per_epoch": 3}),
    "init_experiment": ({"length": 10, "samples": 400}, {"epochs": 1, "max_steps_per_epoch": 3}),
    "co2_experiment": ({}, {"epochs": 1, "max_steps_per_epoch": 3}),
}


def _json(name):
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(EXPERIMENTS))
def test_each_experiment_plans_the_comparison_its_lesson_teaches(name):
    single, labels = EXPERIMENTS[name]
    document = load_document(EXAMPLES / f"{name}.json")
    plan = plan_experiment(document, experiment_from_data(document.experiment))
    assert not plan.skipped  # every variant builds
    if labels is not None:
        assert [v.label for v in plan.variants] == labels
    # the baseline trial is the lesson's own model, data and training: the table compares like with like
    base, lesson = _json(name), _json(single)
    if name != "sentiment_experiment":
        assert base["graph"] == lesson["graph"] and base["data"] == lesson["data"]
        assert base["training"] == lesson["training"]


def test_the_overfitting_grid_switches_each_regulariser_off_and_on():
    document = load_document(EXAMPLES / "sentiment_experiment.json")
    plan = plan_experiment(document, experiment_from_data(document.experiment))
    assert len(plan.variants) == 8
    settings = set()
    for variant in plan.variants:
        graph = variant.document.graph
        rate = graph.by_name("dropout_in").params["rate"]
        drop = graph.by_name("lstm").params["weight_drop"]
        settings.add((rate, drop, variant.document.training["weight_decay"]))
        assert variant.document.training["optimizer"] == "adamw"
    assert settings == {(r, w, d) for r in (0.0, 0.5) for w in (0.0, 0.3) for d in (0.0, 0.01)}
    # without any regulariser the trial is sentiment_overfit's model
    overfit = load_document(EXAMPLES / "sentiment_overfit.json").graph
    assert overfit.by_name("lstm").params["hidden_size"] == document.graph.by_name("lstm").params["hidden_size"]


def test_co2_adds_the_windows_last_value_to_what_the_lstm_predicts():
    """With the dense block silenced the model is the persistence forecast, exactly: it learns only the change."""
    document = load_document(EXAMPLES / "co2.json")
    model = compile_graph(document.graph)
    dense = document.graph.by_name("dense").id
    for module_name, block in model.node_of_module.items():
        if block == dense:
            for parameter in model.module.get_submodule(module_name).parameters():
                torch.nn.init.zeros_(parameter)
    torch.manual_seed(0)
    window = torch.randn(5, 52, 1)
    lengths = torch.full((5,), 52)
    out = model.call({"window": window}, {"window": lengths})[0]
    assert torch.equal(out.reshape(5), window[:, -1, 0])


def test_the_scaling_and_clipping_twins_differ_only_in_what_they_teach():
    a, b = _json("co2"), _json("co2_unscaled")
    assert (a["data"]["options"]["scaler"], b["data"]["options"]["scaler"]) == ("standard", "none")
    a["data"]["options"].pop("scaler"), b["data"]["options"].pop("scaler")
    assert a["graph"] == b["graph"] and a["training"] == b["training"] and a["data"] == b["data"]
    a, b = _json("exploding_unclipped"), _json("exploding_clipped")
    assert (a["training"].pop("clip"), b["training"].pop("clip")) == ("none", "norm")
    assert a["graph"] == b["graph"] and a["training"] == b["training"] and a["data"] == b["data"]
    # the pair is the exploding_gradients experiment's seed-0 trials
    sweep = _json("exploding_gradients")
    assert sweep["graph"] == a["graph"] and sweep["data"] == a["data"]
    assert b["training"]["clip_value"] == sweep["training"]["clip_value"] and b["training"]["lr"] == 1.0


@pytest.mark.parametrize("name", sorted(SHORT))
def test_the_first_and_last_trial_of_each_experiment_train(name, tmp_path, one_torch_thread):  # noqa: F811
    document = load_document(EXAMPLES / f"{name}.json")
    missing = missing_package(dataset_spec(document.data["dataset"]))
    if missing:
        pytest.skip(f"dataset of {name} needs the optional package {missing}")
    plan = plan_experiment(document, experiment_from_data(document.experiment))
    options, overrides = SHORT[name]
    for variant in (plan.variants[0], plan.variants[-1]):
        doc = variant.document
        doc.data = {**doc.data, "options": {**doc.data.get("options", {}), **options}}
        config = TrainingConfig.from_dict(doc.training).replace(**overrides)
        result = Trainer(doc, config, run_root=tmp_path / variant.label.replace(", ", "_")).run()
        assert result.status in ("completed", "early_stopped"), (variant.label, result.message)
        assert all(e.train["loss"] == e.train["loss"] for e in result.epochs)  # no NaN
