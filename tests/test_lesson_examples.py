"""The lesson examples: each trains a few steps out of the box (short versions of their data and schedule), the
comparisons they teach show in their settings, and the generated tagging data means what its tags say."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings, strategies as st

from engine.data import dataset_spec, missing_package
from engine.data.base import LoadContext
from engine.data.synthetic import repeats
from engine.document import load_document
from engine.shapes import analyze
from engine.training import Trainer, TrainingConfig
from test_training_support import one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Per lesson example: smaller data (options merged into the binding) and a shorter schedule.
SHORT = {
    "seq2seq_long_attention": ({"samples": 96}, {"epochs": 1, "max_steps_per_epoch": 2, "batch_size": 16}),
    "seq2seq_long_plain": ({"samples": 96}, {"epochs": 1, "max_steps_per_epoch": 2, "batch_size": 16}),
    "adding_gru": ({"length": 10, "samples": 400}, {"epochs": 2, "lr": 0.01}),
    "adding_irnn": ({"length": 10, "samples": 400}, {"epochs": 2}),
    "copy_rnn": ({"samples": 300}, {"epochs": 2}),
    "copy_lstm": ({"samples": 300}, {"epochs": 2}),
    "repeats_unidirectional": ({"samples": 300}, {"epochs": 2}),
    "repeats_bidirectional": ({"samples": 300}, {"epochs": 2}),
    "co2": ({}, {"epochs": 1, "max_steps_per_epoch": 10}),
    "co2_unscaled": ({}, {"epochs": 1, "max_steps_per_epoch": 10}),
    "exploding_unclipped": ({}, {"epochs": 1, "max_steps_per_epoch": 20}),
    "exploding_clipped": ({}, {"epochs": 1, "max_steps_per_epoch": 20}),
    "sentiment_overfit": ({"max_length": 30}, {"epochs": 1, "max_steps_per_epoch": 8}),
    "sentiment_regularized": ({"max_length": 30}, {"epochs": 1, "max_steps_per_epoch": 8}),
}


def _short(name, tmp_path):
    doc = load_document(EXAMPLES / f"{name}.json")
    missing = missing_package(dataset_spec(doc.data["dataset"]))
    if missing:
        pytest.skip(f"dataset of {name} needs the optional package {missing}")
    options, overrides = SHORT[name]
    doc.data = {**doc.data, "options": {**doc.data.get("options", {}), **options}}
    config = TrainingConfig.from_dict(doc.training).replace(**overrides)
    return Trainer(doc, config, run_root=tmp_path).run()


@pytest.mark.parametrize("name", sorted(set(SHORT) - {"exploding_unclipped"}))
def test_lesson_example_trains(name, tmp_path, one_torch_thread):  # noqa: F811
    result = _short(name, tmp_path)
    assert result.status in ("completed", "early_stopped"), result.message
    assert result.epochs and all(e.train["loss"] == e.train["loss"] for e in result.epochs)  # no NaN
    evaluation = json.loads((result.run_dir / "evaluation.json").read_text())
    assert evaluation["metrics"]


def test_exploding_example_blows_up_and_names_the_block(tmp_path, one_torch_thread):  # noqa: F811
    result = _short("exploding_unclipped", tmp_path)
    assert result.status == "failed"
    assert "blew up" in result.message or "the loss became" in result.message
    assert "lower the learning rate or clip gradients" in result.message


def test_each_comparison_differs_only_in_what_it_teaches():
    def load(name):
        return json.loads((EXAMPLES / f"{name}.json").read_text())

    def without(doc, *paths):
        for path in paths:
            target = doc
            *parents, last = path
            for key in parents:
                target = target[key]
            del target[last]
        return doc

    a, b = load("exploding_unclipped"), load("exploding_clipped")
    assert (a["training"]["clip"], b["training"]["clip"]) == ("none", "norm")
    assert without(a, ("description",), ("training", "clip")) == without(b, ("description",), ("training", "clip"))
    a, b = load("co2"), load("co2_unscaled")
    assert (a["data"]["options"]["scaler"], b["data"]["options"]["scaler"]) == ("standard", "none")
    assert a["graph"] == b["graph"] and a["training"] == b["training"]
    a, b = load("copy_rnn"), load("copy_lstm")
    assert a["data"] == b["data"] and a["training"] == b["training"]
    a, b = load("repeats_unidirectional"), load("repeats_bidirectional")
    assert a["data"] == b["data"] and a["training"] == b["training"]


def test_adding_gru_states_the_parameter_counts_of_all_three():
    counts = {name: analyze(load_document(EXAMPLES / f"{name}.json").graph).total_params
              for name in ("adding_rnn", "adding_lstm", "adding_gru")}
    description = load_document(EXAMPLES / "adding_gru.json").description
    for count in counts.values():
        assert f"{count:,}" in description
    assert counts["adding_rnn"] < counts["adding_gru"] < counts["adding_lstm"]


def _brute_force_tags(tokens):
    return [int(tokens[t] in tokens[t + 1:]) for t in range(len(tokens))]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31), symbols=st.integers(2, 26), low=st.integers(1, 12), extra=st.integers(0, 8))
def test_repeat_tags_say_whether_the_symbol_comes_again(seed, symbols, low, extra):
    table = repeats({"samples": 5, "symbols": symbols, "min_length": low, "max_length": low + extra},
                    LoadContext(seed=seed))
    for tokens, tags in zip(table.columns["tokens"], table.columns["tags"]):
        assert low <= len(tokens) <= low + extra and len(tags) == len(tokens)
        assert 1 <= int(tokens.min()) and int(tokens.max()) <= symbols
        assert tags.tolist() == _brute_force_tags(tokens.tolist())
    assert table.vocab["tokens"][1:3] == ["a", "b"] and table.labels["tags"] == ["last", "again"]


def test_repeat_options_that_cannot_work_are_refused():
    from engine.data.base import DataError

    with pytest.raises(DataError, match=r"option 'min_length' \(9\) is larger than 'max_length' \(4\)"):
        repeats({"samples": 5, "symbols": 4, "min_length": 9, "max_length": 4}, LoadContext(seed=0))
    assert torch.equal(repeats({"samples": 3, "symbols": 4, "min_length": 5, "max_length": 5},
                               LoadContext(seed=1)).columns["tokens"][0],
                       repeats({"samples": 3, "symbols": 4, "min_length": 5, "max_length": 5},
                               LoadContext(seed=1)).columns["tokens"][0])  # the seed decides the data
