"""The document's experiment section: what it may hold, the exact message for what it may not, format 1 documents
upgraded (no experiment, saved as format 2), and save -> load -> save giving the same bytes."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.document import EXPERIMENT_VERSION, FORMAT_VERSION, DocumentError, load_document, loads, save_document
from engine.experiments import ExperimentError, ExperimentSpec, Variable, experiment_from_data
from test_experiments_support import EXAMPLES

GRID = {"version": 1, "name": "kinds", "strategy": "grid",
        "variables": [{"path": "rnn.kind", "values": ["rnn", "gru"]}, {"path": "training.lr", "values": [0.01]}]}


def document_text(experiment, version=2):
    doc = json.loads((EXAMPLES / "adding_rnn.json").read_text())
    doc["version"] = version
    doc["experiment"] = experiment
    return json.dumps(doc)


def test_an_experiment_needs_format_2_and_the_newest_format_is_3():
    assert EXPERIMENT_VERSION == 2 and FORMAT_VERSION == 3  # 3: the canvas section (comments, frames, points)


def test_the_section_round_trips_byte_for_byte(tmp_path):
    doc = loads(document_text(GRID))
    assert doc.experiment == GRID
    path = tmp_path / "a.json"
    save_document(doc, path)
    first = path.read_bytes()
    save_document(load_document(path), path)
    assert path.read_bytes() == first
    assert json.loads(first)["experiment"] == GRID and json.loads(first)["version"] == 2


def test_a_format_1_document_loads_unchanged_and_is_upgraded_when_it_gets_an_experiment(tmp_path):
    text = (EXAMPLES / "adding_rnn.json").read_text()
    assert json.loads(text)["version"] == 1
    doc = loads(text)
    assert doc.experiment is None
    assert doc.dumps() == text  # without an experiment it stays format 1: older studios still read it
    doc.experiment = GRID
    data = json.loads(doc.dumps())
    assert data["version"] == 2 and data["experiment"] == GRID
    assert {k: v for k, v in data.items() if k not in ("version", "experiment")} == \
        {k: v for k, v in json.loads(text).items() if k != "version"}
    again = loads(doc.dumps())
    assert again.experiment == GRID and again.dumps() == doc.dumps()
    again.experiment = None
    assert again.dumps() == text


def test_an_experiment_key_in_a_format_1_file_was_not_part_of_it():
    doc = loads(document_text({"anything": 1}, version=1))
    assert doc.experiment is None and doc.left_out == {"experiment": 2}
    assert loads(document_text(GRID)).left_out == {}


def test_a_sweep_of_a_format_1_file_with_an_experiment_names_the_version_to_set():
    from engine.experiments import Experiment

    with pytest.raises(ExperimentError) as caught:
        Experiment(loads(document_text(GRID, version=1)))
    assert caught.value.where == "version"
    assert str(caught.value).endswith('needs format version 2 or later (set "version": 2)')


@pytest.mark.parametrize("experiment, path, message", [
    ({**GRID, "strategy": "bayes"}, "$.experiment.strategy", "must be one of grid, random, tpe, got 'bayes'"),
    ({**GRID, "variables": []}, "$.experiment.variables", "must be a list of at least one variable"),
    ({**GRID, "variables": [{"path": "rnn.kind", "values": []}]}, "$.experiment.variables[0].values",
     "rnn.kind: the list of values is empty: give at least one"),
    ({**GRID, "variables": [{"path": "training.lr", "low": 0.1, "high": 0.01}]}, "$.experiment.variables[0]",
     "training.lr: low (0.1) must be below high (0.01)"),
    ({**GRID, "strategy": "tpe", "variables": [{"path": "training.lr", "low": 0, "high": 1, "log": True}]},
     "$.experiment.variables[0].low", "training.lr: a log-scale range must start above 0, got 0"),
    ({**GRID, "variables": [{"path": "training.lr", "low": 0.001, "high": 0.1}]}, "$.experiment.variables[0]",
     "training.lr: a grid needs a list of values; a range (low, high) is for random or tpe"),
    ({**GRID, "repeats": 0}, "$.experiment.repeats", "must be a whole number of at least 1, got 0"),
    ({**GRID, "version": 7}, "$.experiment.version",
     "the experiment uses version 7, written by a newer RNN Studio; this one reads up to 1: please update"),
    ({**GRID, "variables": [GRID["variables"][0], GRID["variables"][0]]}, "$.experiment.variables[1].path",
     "rnn.kind: is varied twice"),
])
def test_a_bad_section_is_refused_naming_its_json_path(experiment, path, message):
    with pytest.raises(DocumentError) as err:
        loads(document_text(experiment), where="doc.json")
    assert str(err.value) == f"doc.json: {path}: {message}"


def test_spec_to_data_round_trips_and_labels_name_trials():
    spec = experiment_from_data({**GRID, "strategy": "tpe", "budget": 5,
                                 "variables": [{"path": "training.lr", "low": 1e-4, "high": 1e-2, "log": True},
                                               {"path": "rnn.kind", "values": ["rnn", "gru"]}]})
    assert spec == experiment_from_data(spec.to_data())
    assert spec.variables[0] == Variable("training.lr", None, 1e-4, 1e-2, True)
    assert spec.label({"training.lr": 0.00123456, "rnn.kind": "gru"}) == "lr=0.001235, kind=gru"
    clash = ExperimentSpec((Variable("a.dropout", (0.1,)), Variable("b.dropout", (0.2,))))
    assert clash.label({"a.dropout": 0.1, "b.dropout": 0.2}) == "a.dropout=0.1, b.dropout=0.2"


json_values = st.recursive(st.none() | st.booleans() | st.integers(-10, 10) | st.floats(allow_nan=False,
                           allow_infinity=False) | st.text(max_size=5),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                               st.sampled_from(["path", "values", "low", "high", "log", "step", "x"]), inner,
                               max_size=4), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({"strategy": st.sampled_from(["grid", "random", "tpe", "x"]),
                              "variables": st.lists(json_values, max_size=3)},
                             optional={"budget": json_values, "repeats": json_values, "name": json_values}))
def test_any_section_is_read_or_refused_with_an_experiment_error(raw):
    try:
        spec = experiment_from_data(raw)
    except ExperimentError as err:
        assert str(err).startswith("$.experiment") and "\n" not in str(err)
    else:
        assert experiment_from_data(spec.to_data()) == spec


ODD_TEXT = st.one_of(st.text(alphabet="ab.\n\r\t\x0b\x85\u2028\x00", max_size=8),
                     st.integers(300, 5000).map(lambda n: "p" * n))


@settings(max_examples=150, deadline=None)
@given(path=ODD_TEXT, key=st.sampled_from(["values", "low", "x"]) | ODD_TEXT,
       value=st.sampled_from([[], [1, 1], "a", [0.1], 5]) | ODD_TEXT)
def test_a_variable_with_odd_text_is_refused_on_one_short_line(path, key, value):
    # Its path began every message unquoted, and an unknown key was put in the JSON path as it was: a newline in
    # either split the one line `check`, `sweep` and the window show.
    for strategy in ("grid", "tpe"):
        try:
            experiment_from_data({"strategy": strategy, "variables": [{"path": path, key: value}]})
        except ExperimentError as err:
            assert len(str(err).splitlines()) == 1 and len(str(err)) < 500, str(err)


def test_trial_labels_show_text_values_on_one_short_line():
    spec = experiment_from_data({"variables": [{"path": "data.options.path", "values": ["a\nb.csv", "c" * 300]}]})
    assert spec.label({"data.options.path": "a\nb.csv"}) == "path=a\\nb.csv"
    assert spec.label({"data.options.path": "c" * 300}) == "path=" + "c" * 39 + "…"
