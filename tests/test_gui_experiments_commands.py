"""Apply best as one undo step (a kind swap, block parameters, data and training settings; undo restores the
document exactly, the canvas follows), and the experiment section edits: values read from what a user types are
the Param's, refused with its reason, and a variable is added, replaced and removed as plain data."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QUndoStack

from engine.document import load_document
from engine.experiments import ExperimentError, applied
from engine.settings import param_for
from gui.commands import DocumentSections, SetSectionCommand
from gui.experiments import ApplyValuesCommand
from gui.experiments.variables import (default_range, default_values, parse_values, variable_problem, with_settings,
                                       with_variable, without_variable)
from test_experiments_support import tiny_adding

VALUES = {"rnn.kind": "gru", "rnn.hidden_size": 12, "training.lr": 0.02, "data.options.length": 7}


@pytest.fixture
def document(tmp_path):
    return load_document(tiny_adding(tmp_path, [{"path": "rnn.kind", "values": ["rnn", "gru"]}]))


def test_apply_best_is_one_step_that_undo_restores_exactly(qtbot, document):
    from gui.analysis import AnalysisModel
    from gui.canvas import GraphScene

    stack, sections = QUndoStack(), DocumentSections()
    scene = GraphScene(document.graph, stack, AnalysisModel(document.graph))
    announced = []
    sections.changed.connect(announced.append)
    before = document.dumps()
    rnn = document.graph.by_name("rnn")
    wiring = sorted((e.src, e.dst) for e in document.graph.edges)
    target = applied(document, VALUES)
    stack.push(ApplyValuesCommand(document, target, sections, "Apply best trial"))
    assert stack.count() == 1
    assert document.dumps() == target.dumps()  # exactly what the engine's applied() says, experiment kept
    swapped = document.graph.by_name("rnn")
    assert (swapped.id, swapped.kind, swapped.params["hidden_size"], swapped.pos) == (rnn.id, "gru", 12, rnn.pos)
    assert sorted((e.src, e.dst) for e in document.graph.edges) == wiring
    assert document.training["lr"] == 0.02 and document.data["options"]["length"] == 7
    assert document.experiment is not None and sorted(announced) == ["data", "training"]
    assert scene.node_item(rnn.id).spec.id == "gru"  # the canvas follows the graph's events
    assert len(scene.edge_items()) == len(wiring)
    stack.undo()
    assert document.dumps() == before and scene.node_item(rnn.id).spec.id == "rnn"
    stack.redo()
    assert document.dumps() == target.dumps()
    stack.undo()
    assert json.loads(document.dumps()) == json.loads(before)


def test_applying_what_the_document_has_leaves_no_step(document):
    stack = QUndoStack()
    stack.push(ApplyValuesCommand(document, applied(document, {"rnn.kind": "rnn"}), DocumentSections(), "Apply"))
    assert stack.count() == 0


def test_section_edits_add_replace_and_remove_variables(document):
    section = with_variable(None, {"path": "rnn.hidden_size", "values": [4, 8]})
    assert section == {"version": 1, "name": "experiment", "strategy": "grid",
                       "variables": [{"path": "rnn.hidden_size", "values": [4, 8]}]}
    section = with_variable(section, {"path": "training.lr", "low": 0.001, "high": 0.1, "log": True})
    assert section["strategy"] == "tpe"  # a range needs a search
    section = with_variable(section, {"path": "rnn.hidden_size", "values": [16]})
    assert [v["path"] for v in section["variables"]] == ["rnn.hidden_size", "training.lr"]
    assert section["variables"][0]["values"] == [16]
    with pytest.raises(ExperimentError, match="a grid needs a list of values"):
        with_settings(section, strategy="grid")
    assert with_settings(section, budget=None, repeats=3)["repeats"] == 3
    assert without_variable(without_variable(section, "training.lr"), "rnn.hidden_size") is None

    stack, sections = QUndoStack(), DocumentSections()
    stack.push(SetSectionCommand(document, "experiment", section, sections))
    assert document.experiment == section
    stack.undo()
    assert document.experiment["variables"] == [{"path": "rnn.kind", "values": ["rnn", "gru"]}]


def test_first_values_and_ranges_come_from_the_param(document):
    size = param_for(document, "rnn.hidden_size")
    assert default_values(size, 32) == [16, 32, 64]
    assert default_values(size, 1) == [1, 2]  # half of 1 is not a size
    assert default_values(param_for(document, "training.lr"), 0.001) == [0.0005, 0.001, 0.002]
    assert default_values(param_for(document, "training.shuffle"), True) == [False, True]
    assert default_range(param_for(document, "training.lr"), 0.001) == {"low": 0.0001, "high": 0.01, "log": True}
    assert default_range(size, 32) == {"low": 16, "high": 64, "step": 1}
    assert variable_problem(document, {"path": "rnn.hidden_size", "values": [4, 0]}).startswith("rnn.hidden_size: ")
    assert variable_problem(document, {"path": "rnn.nope", "values": [4]}).startswith("rnn.nope: ")
    assert variable_problem(document, {"path": "rnn.kind", "values": ["gru", "lstm"]}) is None


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-2**40, max_value=2**40), min_size=1, max_size=5, unique=True))
def test_typed_values_are_the_params_or_refused_with_its_reason(tmp_path_factory, numbers):
    document = load_document(tiny_adding(tmp_path_factory.mktemp("d"), [{"path": "rnn.kind", "values": ["rnn"]}]))
    param = param_for(document, "rnn.hidden_size")
    text = ", ".join(str(n) for n in numbers)
    bad = next((n for n in numbers if param.problem(n)), None)
    if bad is None:
        assert parse_values(param, "rnn.hidden_size", text) == numbers
    else:
        with pytest.raises(ExperimentError) as err:
            parse_values(param, "rnn.hidden_size", text)
        assert str(err.value) == f"rnn.hidden_size: {param.problem(bad)}, got {bad}"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=30))
def test_any_typed_text_is_read_or_refused_in_one_line_naming_the_setting(tmp_path_factory, text):
    document = load_document(tiny_adding(tmp_path_factory.mktemp("d"), [{"path": "rnn.kind", "values": ["rnn"]}]))
    param = param_for(document, "training.lr")
    try:
        values = parse_values(param, "training.lr", text)
    except ExperimentError as err:
        assert str(err).startswith("training.lr: ") and "\n" not in str(err)
    else:
        assert values and all(param.problem(v) is None for v in values)
