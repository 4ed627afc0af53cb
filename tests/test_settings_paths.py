"""Setting paths: ``training.<field>``, ``data.<key>``, ``data.options.<name>`` and ``<block>.<param>`` resolve to their
Param, read defaults, parse typed text and refuse bad paths or values with a SettingError naming the path."""
import math
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from engine.document import load_document
from engine.settings import (DATA_PARAMS, SettingError, assign, get_setting, inactive_reason, param_for, parse_value,
                             set_setting, setting_paths)
from engine.specs import INT64_MAX, Param
from engine.training.config import TRAINING_PARAMS, TrainingConfig

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "adding_lstm.json"


@pytest.fixture
def doc():
    return load_document(EXAMPLE)


def test_paths_resolve_to_the_params_of_each_section(doc):
    assert param_for(doc, "training.lr") is TRAINING_PARAMS[3]
    assert param_for(doc, "data.seed") is DATA_PARAMS[1]
    assert param_for(doc, "data.options.samples").max == 1_000_000
    assert param_for(doc, "lstm.hidden_size") is doc.graph.by_name("lstm").spec.param("hidden_size")
    assert param_for(doc, "graph.lstm.hidden_size") is param_for(doc, "lstm.hidden_size")
    assert param_for(doc, "data.targets.sum").choices == ("sum",)
    paths = setting_paths(doc)
    assert {"training.lr", "data.split", "data.options.length", "lstm.hidden_size", "dense.activation"} <= set(paths)


def test_get_reads_the_document_or_the_default(doc):
    doc.training.pop("momentum", None)
    assert get_setting(doc, "training.momentum") == 0.9
    assert get_setting(doc, "training.epochs") == doc.training["epochs"]
    assert get_setting(doc, "lstm.hidden_size") == 64
    assert get_setting(doc, "data.options.length") == doc.data["options"]["length"]
    assert get_setting(doc, "data.bucketing") is True


def test_set_changes_the_document_without_mutating_the_old_sections(doc):
    training, data = doc.training, doc.data
    set_setting(doc, "training.lr", 0.01)
    set_setting(doc, "data.options.samples", 2000)
    set_setting(doc, "lstm.hidden_size", 256)
    assert doc.training["lr"] == 0.01 and training.get("lr") != 0.01
    assert doc.data["options"]["samples"] == 2000 and data["options"].get("samples") != 2000
    assert doc.graph.by_name("lstm").params["hidden_size"] == 256
    assert TrainingConfig.from_dict(doc.training).lr == 0.01


@pytest.mark.parametrize("path, value, message", [
    ("training.lr", float("nan"), "training.lr: must be a finite number, got nan"),
    ("training.seed", 2 ** 63, "training.seed: must be at most 9223372036854775807, got 9223372036854775808"),
    ("data.options.samples", 10 ** 7, "data.options.samples: must be at most 1000000, got 10000000"),
    ("lstm.hidden_size", 0, "lstm.hidden_size: must be at least 1, got 0"),
    ("data.split", [0.5, 0.1, 0.1], "data.split: must add up to 1, got [0.5, 0.1, 0.1]"),
    ("data.split", [0, 0.5, 0.5], "data.split: must give the training split a share above 0, got [0, 0.5, 0.5]"),
    ("data.dataset", "nope", "data.dataset: must be one of adding, copy, repeats, sine, reverse, sentiment, names, digits, "
                             "sunspots, co2, kjv, csv_series, csv_text, text_file, got 'nope'"),
])
def test_set_refuses_bad_values_naming_the_path(doc, path, value, message):
    before = (dict(doc.training), dict(doc.data), doc.graph.by_name("lstm").params["hidden_size"])
    with pytest.raises(SettingError) as caught:
        set_setting(doc, path, value)
    assert str(caught.value) == message and caught.value.path == path
    assert (doc.training, doc.data, doc.graph.by_name("lstm").params["hidden_size"]) == before


@pytest.mark.parametrize("path, message", [
    ("training.lrate", "training.lrate: is not a training setting (known: epochs, batch_size,"),
    ("gru.hidden_size", "gru.hidden_size: there is no block called 'gru' (blocks: sequence, lstm, last_step, dense, "
                        "sum; sections: training, data)"),
    ("lstm.units", "lstm.units: is not a parameter of LSTM 'lstm' (known: hidden_size, layers, dropout"),
    ("data.options.lenght", "data.options.lenght: is not an option of dataset 'adding' (known: length, samples)"),
    ("training..lr", "training..lr: is not a setting path"),
    ("lr", "lr: block parameters are <block>.<param>"),
    ("data.x.y.z", "data.x.y.z: data settings are data.<key>, data.options.<name>"),
])
def test_bad_paths_name_themselves(doc, path, message):
    with pytest.raises(SettingError) as caught:
        param_for(doc, path)
    assert str(caught.value).startswith(message)


def test_options_need_a_dataset_and_changing_it_keeps_what_still_fits(doc):
    doc.data = {}
    with pytest.raises(SettingError, match=r"^data\.options\.length: the document has no dataset yet"):
        set_setting(doc, "data.options.length", 3)
    doc.data = {"dataset": "adding", "options": {"length": 5000, "samples": 300}, "inputs": {"sequence": "sequence"}}
    set_setting(doc, "data.dataset", "copy")
    assert doc.data["dataset"] == "copy" and "inputs" not in doc.data
    assert doc.data["options"] == {"samples": 300}  # length 5000 is beyond copy's 1000 symbols: dropped


def test_inactive_settings_say_when_they_apply(doc):
    set_setting(doc, "training.optimizer", "adam")
    assert inactive_reason(doc, "training.momentum") == "only when optimizer is sgd or rmsprop"
    set_setting(doc, "training.optimizer", "sgd")
    assert inactive_reason(doc, "training.momentum") is None
    assert inactive_reason(doc, "training.lr") is None


@pytest.mark.parametrize("path, text, value", [
    ("training.lr", "0.01", 0.01), ("training.lr", " 1e-3 ", 0.001), ("training.epochs", "12", 12),
    ("training.epochs", "1e3", 1000), ("training.bf16", "true", True), ("training.shuffle", "off", False),
    ("training.probes", "gates,attention", ["gates", "attention"]), ("training.probes", "none", []),
    ("training.probes", "[gates]", ["gates"]), ("data.options.samples", "2000", 2000),
    ("data.split", "0.6,0.2,0.2", [0.6, 0.2, 0.2]), ("training.optimizer", "sgd", "sgd"),
])
def test_parse_value_types_text_from_the_param(doc, path, text, value):
    parsed = parse_value(param_for(doc, path), text)
    assert parsed == value and type(parsed) is type(value)


def test_parse_value_reads_none_for_nullable_params_only():
    cap = Param("max_vocab", int, None, "cap", nullable=True)
    assert parse_value(cap, "none") is None and parse_value(cap, "") is None and parse_value(cap, "40") == 40
    with pytest.raises(SettingError, match=r"^size: must be a whole number, got 'none'$"):
        parse_value(Param("size", int, 1, "size"), "none")
    with pytest.raises(SettingError, match=r"^training\.lr: must be a number such as 0.01 or 1e-3, got 'fast'$"):
        parse_value(TRAINING_PARAMS[3], "fast", "training.lr")
    with pytest.raises(SettingError, match=r"^n: must fit in 64 bits \(at most 9223372036854775807\)"):
        parse_value(Param("n", int, 1, "n"), "9" * 5000)


def test_assign_reads_path_equals_value(doc):
    assert assign(doc, "training.lr=0.05") == ("training.lr", 0.05)
    assert assign(doc, "dense.activation=tanh") == ("dense.activation", "tanh")
    with pytest.raises(SettingError, match=r"^training\.lr: expected PATH=VALUE"):
        assign(doc, "training.lr")
    with pytest.raises(SettingError, match=r"^training\.lr: must be a finite number, got inf$"):
        assign(doc, "training.lr=Infinity")


any_path = st.sampled_from(setting_paths(load_document(EXAMPLE)) + ["graph.lstm.hidden_size", "data.targets.sum"])
hostile_text = st.one_of(st.text(max_size=40), st.sampled_from(
    ["nan", "-inf", "Infinity", "1e309", "9" * 400, "-" + "9" * 30, "1e6", "0x10", "1_000", "true", "none", "",
     " ", "[", "]", ",", ",,", "gates,,gates", "\x00", "1\n2", "１２", "٣"]))


@settings(max_examples=400, deadline=None)
@given(path=any_path, text=hostile_text)
def test_hostile_text_is_set_or_refused_naming_the_path(path, text):
    doc = load_document(EXAMPLE)
    param = param_for(doc, path)
    try:
        value = parse_value(param, text, path)
        set_setting(doc, path, value)
    except SettingError as err:
        assert err.path == path and str(err).startswith(path + ": ") and "\n" not in str(err)
        return
    stored = get_setting(doc, path)
    assert param.problem(stored) is None
    if param.type is int:
        assert abs(stored) <= INT64_MAX  # fits int64
    if param.type is float:
        assert math.isfinite(stored)
    if path.startswith("training."):
        TrainingConfig.from_dict(doc.training)  # what --set stores, the trainer accepts


@settings(max_examples=200, deadline=None)
@given(path=st.text(max_size=30))
def test_any_path_text_names_a_setting_or_is_refused(path):
    doc = load_document(EXAMPLE)
    try:
        param_for(doc, path)
    except SettingError as err:
        assert "\n" not in str(err)


def test_a_block_named_data_is_reached_through_graph(doc):
    doc.graph.rename(doc.graph.by_name("lstm").id, "data")
    with pytest.raises(SettingError, match=r"^data\.hidden_size: is not a data setting"):
        param_for(doc, "data.hidden_size")
    set_setting(doc, "graph.data.hidden_size", 32)
    assert doc.graph.by_name("data").params["hidden_size"] == 32 and get_setting(doc, "graph.data.hidden_size") == 32


def test_options_that_are_not_a_mapping_are_read_as_defaults(doc):
    doc.data = {"dataset": "adding", "options": [1, 2]}
    assert get_setting(doc, "data.options.length") == 50
    assert inactive_reason(doc, "data.options.length") is None
    set_setting(doc, "data.options.length", 20)
    assert doc.data["options"] == {"length": 20}
