"""Short versions of the example documents train out of the box: their data binding and training settings
work together, the loss goes down, and where it is cheap they beat the simple baseline."""
import json
from pathlib import Path

import pytest

from engine.data import dataset_spec, missing_package
from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from test_training_support import one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Per example: smaller data (options merged into the binding) and a shorter schedule.
SHORT = {
    "adding_lstm": ({"length": 10, "samples": 400}, {"epochs": 3, "lr": 0.01}),
    "adding_rnn": ({"length": 10, "samples": 600}, {"epochs": 2}),
    "digits": ({}, {"epochs": 2, "lr": 0.01}),
    "names": ({"per_language": 40}, {"epochs": 3, "lr": 0.01}),
    "sentiment": ({"max_length": 30}, {"epochs": 1, "max_steps_per_epoch": 12}),
    "forecast": ({}, {"epochs": 8, "lr": 0.01}),
    "seq2seq": ({"samples": 600, "max_length": 6}, {"epochs": 3, "lr": 0.01}),
    "charlm": ({"max_chars": 12000, "length": 48}, {"epochs": 2, "max_steps_per_epoch": 4, "tbptt": 24}),
    "vanishing_gradients": ({"length": 10, "samples": 400}, {"epochs": 3, "lr": 0.01}),
    "exploding_gradients": ({"length": 10, "samples": 400}, {"epochs": 2}),
    "tune_names": ({"per_language": 40}, {"epochs": 3, "lr": 0.01}),
}


def _short(name, tmp_path):
    doc = load_document(EXAMPLES / f"{name}.json")
    assert doc.data.get("dataset"), f"{name} has no data binding"
    assert doc.training, f"{name} has no training settings"
    missing = missing_package(dataset_spec(doc.data["dataset"]))
    if missing:
        pytest.skip(f"dataset of {name} needs the optional package {missing} (pip install 'rnn-studio[datasets]')")
    options, overrides = SHORT[name]
    doc.data = {**doc.data, "options": {**doc.data.get("options", {}), **options}}
    config = TrainingConfig.from_dict(doc.training).replace(**overrides)
    return Trainer(doc, config, run_root=tmp_path).run()


def test_every_example_has_a_short_version():
    from test_lesson_examples import SHORT as LESSON_SHORT  # the lessons' examples are trained there
    from test_examples_lessons import SHORT as EXPERIMENT_SHORT  # the lesson experiments are trained there

    assert {p.stem for p in EXAMPLES.glob("*.json")} == set(SHORT) | set(LESSON_SHORT) | set(EXPERIMENT_SHORT)


@pytest.mark.parametrize("name", sorted(SHORT))
def test_example_trains(name, tmp_path):
    result = _short(name, tmp_path)
    assert result.status in ("completed", "early_stopped"), result.message
    epochs = result.epochs
    assert epochs and all(e.train["loss"] == e.train["loss"] for e in epochs)  # no NaN
    if len(epochs) > 1:
        assert epochs[-1].train["loss"] < epochs[0].train["loss"]
    evaluation = json.loads((result.run_dir / "evaluation.json").read_text())
    baselines = next(iter(evaluation["baselines"].values()))
    metrics = evaluation["metrics"]
    if name in ("digits", "names"):
        assert metrics["accuracy"] > baselines["majority_accuracy"] + 0.2
    if name == "forecast":
        assert metrics["mse"] < baselines["constant_mean_mse"]
    if name == "charlm":
        assert "unigram_perplexity" in baselines and metrics["perplexity"] < 1000
