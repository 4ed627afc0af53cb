"""fit_problems: every graph/data mismatch with the edits that fix it, the same check prepare_data refuses
with, read from cached facts so a graph edit does not load the dataset again."""
import importlib.util
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.data.prepare as prepare_module
from engine.compiler import compile_graph
from engine.data import DataError, Fix, FitProblem, apply_fixes, data_facts, fit_problems, prepare_data
from engine.data.facts import clear_cache
from engine.document import Document, load_document
from engine.graph import Graph

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def example(name: str, **data_changes) -> Document:
    doc = load_document(EXAMPLES / f"{name}.json")
    if "samples" in (doc.data.get("options") or {}):
        doc.data["options"]["samples"] = 200  # the checks read sizes, not amounts: keep generating cheap
    doc.data.update(data_changes)
    return doc


def set_params(doc: Document, block: str, **params) -> None:
    node = doc.graph.by_name(block)
    for name, value in params.items():
        doc.graph.set_param(node.id, name, value)


def refused_by_prepare(doc: Document) -> str:
    """What prepare_data says for the same document (the trainer's path), which must be the first problem."""
    with pytest.raises(DataError) as caught:
        prepare_data(doc.data, compile_graph(doc.graph), doc.path.parent)
    return str(caught.value)


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_every_example_fits_its_data(name):
    assert fit_problems(example(name)) == []


def test_more_dense_units_than_classes_is_a_problem_fixed_to_the_class_count():
    doc = example("digits")
    set_params(doc, "dense", units=64)  # trains today: loss starts at ln 64 and Try it lists 64 classes
    message = ("field 'digit' of dataset 'digits' has 10 classes, but the Dense before head 'digit' has 64 units: "
               "set units to 10")
    assert fit_problems(doc) == [FitProblem("dense", message, (Fix.set_param("dense", "units", 10),))]
    assert refused_by_prepare(doc) == message
    set_params(doc, "dense", units=4)
    assert fit_problems(doc)[0].message.endswith("has 4 units: set units to 10")


def test_two_class_data_sets_units_to_2_for_multiclass_and_1_for_binary():
    doc = example("sentiment")
    set_params(doc, "sentiment", mode="multiclass")
    set_params(doc, "dense", units=64, activation="sigmoid")
    [problem] = fit_problems(doc)
    assert problem.message == ("field 'label' of dataset 'sentiment' has 2 classes, but the Dense before head "
                               "'sentiment' has 64 units: set units to 2")
    # sigmoid scores are no multiclass scores: the fix swaps the activation too, so the graph is valid after it
    assert problem.fixes == (Fix.set_param("dense", "units", 2), Fix.set_param("dense", "activation", "softmax"))
    apply_fixes(doc, problem.fixes)
    assert fit_problems(doc) == [] and compile_graph(doc.graph).heads[0].input_shape.features == 2

    set_params(doc, "sentiment", mode="binary")
    set_params(doc, "dense", units=64, activation="softmax")
    [problem] = fit_problems(doc)
    assert problem.message == ("head 'sentiment' is binary (one score: yes or no), but the Dense before head "
                               "'sentiment' has 64 units: set units to 1")
    apply_fixes(doc, problem.fixes)
    assert doc.graph.by_name("dense").params["units"] == 1 and fit_problems(doc) == []


def test_a_binary_head_on_ten_classes_becomes_multiclass():
    doc = example("digits")
    set_params(doc, "digit", mode="binary")
    set_params(doc, "dense", units=1, activation="sigmoid")
    [problem] = fit_problems(doc)
    assert problem == FitProblem("digit", "head 'digit' is binary but field 'digit' has 10 labels; set the head's "
                                          "mode to multiclass",
                                 (Fix.set_param("digit", "mode", "multiclass"), Fix.set_param("dense", "units", 10),
                                  Fix.set_param("dense", "activation", "softmax")))
    assert refused_by_prepare(doc) == problem.message
    apply_fixes(doc, problem.fixes)
    assert fit_problems(doc) == []


def test_a_small_vocabulary_fixes_the_input_and_its_embedding():
    doc = example("seq2seq")
    set_params(doc, "source", vocab_size=5)
    set_params(doc, "source_embedding", vocab_size=5)
    [problem] = fit_problems(doc)
    assert problem.block == "source"
    assert problem.message == ("field 'source' of dataset 'reverse' has a vocabulary of 13 tokens, but input block "
                               "'source' has vocab_size 5: set vocab_size (and the embedding's) to at least 13")
    assert problem.fixes == (Fix.set_param("source", "vocab_size", 13),
                             Fix.set_param("source_embedding", "vocab_size", 13))
    assert refused_by_prepare(doc) == problem.message
    apply_fixes(doc, problem.fixes)
    assert fit_problems(doc) == []


def test_an_explicit_max_vocab_above_the_input_is_a_problem_that_names_the_option():
    doc = example("sentiment")
    doc.data["options"]["max_vocab"] = 20000
    set_params(doc, "tokens", vocab_size=50)
    set_params(doc, "embedding", vocab_size=50)
    [problem] = fit_problems(doc)
    size = problem.fixes[0].value
    assert 50 < size <= 20000
    assert problem.message.endswith(f"has vocab_size 50: set vocab_size (and the embedding's) to at least {size}, "
                                    f"or cap it with option 'max_vocab'")
    doc.data["options"]["max_vocab"] = None  # unset, the vocabulary is cut to the input block: nothing to fix
    assert fit_problems(doc) == []


def test_features_per_step_and_regression_units():
    doc = example("adding_lstm")
    set_params(doc, "sequence", features=3)
    set_params(doc, "dense", units=4)
    assert fit_problems(doc) == [
        FitProblem("sequence", "field 'sequence' of dataset 'adding' has 2 features per step, but input block "
                               "'sequence' has features = 3: set it to 2", (Fix.set_param("sequence", "features", 2),)),
        FitProblem("dense", "field 'sum' of dataset 'adding' has 1 value(s) per sample, but the Dense before head "
                            "'sum' has 4 units: set units to 1", (Fix.set_param("dense", "units", 1),)),
    ]
    assert refused_by_prepare(doc) == fit_problems(doc)[0].message


def _copy_model(units: int) -> Graph:
    g = Graph()
    chain = [("token_input", "symbols", {"vocab_size": 11}), ("embedding", "emb", {"vocab_size": 11, "dim": 4}),
             ("gru", "gru", {"hidden_size": 4}), ("dense", "dense", {"units": units}), ("labelling_head", "recall", {})]
    nodes = [g.add_node(k, name=n, params=p) for k, n, p in chain]
    for a, b in zip(nodes, nodes[1:]):
        g.connect(a.id, a.spec.outputs[0].name, b.id, b.spec.inputs[0].name)
    return g


def test_per_step_classes_need_at_least_one_unit_per_class():
    doc = Document(graph=_copy_model(units=5), data={"dataset": "copy", "options": {"samples": 50}})
    [problem] = fit_problems(doc)
    assert problem == FitProblem("dense", "field 'recall' of dataset 'copy' has 11 classes, but the Dense before "
                                          "head 'recall' has 5 units: set units to 11",
                                 (Fix.set_param("dense", "units", 11),))
    # A rounded-up vocabulary is fine for per-step classes: the spare scores are never targets
    assert fit_problems(Document(graph=_copy_model(units=16), data=doc.data)) == []


def test_a_decoder_that_reads_its_predictions_back_refuses_more_units_than_its_vocabulary():
    """Free-running validation feeds each predicted id into the decoder's token input: an id past its
    vocab_size indexed past the embedding table in the middle of training (IndexError)."""
    doc = example("seq2seq")
    set_params(doc, "dense", units=64)
    message = ("input block 'target' (vocab_size 16) reads back the ids head 'output' predicts, but the Dense "
               "before head 'output' has 64 units: set units to 16")
    assert fit_problems(doc) == [FitProblem("dense", message, (Fix.set_param("dense", "units", 16),))]
    assert refused_by_prepare(doc) == message
    set_params(doc, "dense", units=16)
    assert fit_problems(doc) == []
    doc = example("charlm")  # generation feeds the predicted character back the same way
    set_params(doc, "dense", units=100)
    assert [p.message for p in fit_problems(doc)] == [
        "input block 'chars' (vocab_size 96) reads back the ids head 'next_char' predicts, but the Dense before "
        "head 'next_char' has 100 units: set units to 96"]


def test_a_mapping_that_names_no_block_or_no_field_is_fixed_by_the_automatic_mapping():
    doc = example("adding_lstm", inputs={"x": "sequence"})
    assert fit_problems(doc) == [FitProblem(None, "data.inputs: the model has no input block 'x'; it has sequence",
                                            (Fix.set_data(("inputs",), {"sequence": "sequence"}),))]
    doc = example("adding_lstm", targets={"sum": "total"})
    [problem] = fit_problems(doc)
    assert problem.message == "data.targets: block 'sum' maps to 'total', which is no target field of dataset " \
                              "'adding'; its target fields are sum"
    apply_fixes(doc, problem.fixes)
    assert doc.data["targets"] == {"sum": "sum"} and fit_problems(doc) == []


def test_a_per_step_head_on_the_wrong_time_axis_remaps_the_inputs():
    doc = example("seq2seq", inputs={"source": "target_in", "target": "source"})
    [problem] = fit_problems(doc)
    assert problem.message == ("head 'output' follows the time axis of input block 'target', so map that block to "
                               "field 'target_in' in data.inputs")
    assert problem.fixes == (Fix.set_data(("inputs",), {"source": "target_in", "target": "target_in"}),)


def test_no_binding_and_bad_bindings_are_problems_of_the_data_not_crashes(tmp_path, monkeypatch):
    doc = example("adding_lstm")
    doc.data = {}
    assert fit_problems(doc) == [FitProblem(None, "no data: choose a dataset in the Data dock (the document's "
                                                  "\"data\" section is empty)")]
    doc.data = {"dataset": "csv_text", "options": {"path": "missing.csv"}}
    [problem] = fit_problems(doc, base_dir=tmp_path)
    assert problem.block is None and problem.message == f"{tmp_path / 'missing.csv'}: no such file"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sklearn" else real(name, *a))
    [problem] = fit_problems(example("digits"))
    assert problem.message == ("dataset 'digits' needs the package scikit-learn, which is not installed: run pip "
                               "install 'rnn-studio[datasets]'")


def test_a_graph_edit_does_not_load_the_data_again(monkeypatch):
    clear_cache()
    loads = []
    real = prepare_module.load_fields
    monkeypatch.setattr(prepare_module, "load_fields", lambda *a, **k: loads.append(a[0].name) or real(*a, **k))
    doc = example("digits")
    for units in (64, 10, 32, 10):
        set_params(doc, "dense", units=units)
        assert (fit_problems(doc) == []) == (units == 10)
    assert loads == ["digits"]
    doc.data["seed"] = 3  # a new binding is read once more
    fit_problems(doc)
    fit_problems(doc)
    assert loads == ["digits", "digits"]


def test_facts_read_earlier_are_used_and_a_changed_file_is_read_again(tmp_path, monkeypatch):
    path = tmp_path / "reviews.csv"
    path.write_text("text,label\n" + "".join(f"nice {i},pos\nbad {i},neg\n" for i in range(6)), encoding="utf-8")
    binding = {"dataset": "csv_text", "options": {"path": "reviews.csv"}, "split": [0.5, 0.25, 0.25]}
    facts = data_facts(binding, tmp_path)
    assert facts.fields["label"].classes == 2 and facts.fields["text"].kind == "tokens"
    graph = Graph()
    chain = [("token_input", "text", {"vocab_size": 100}), ("embedding", "emb", {"vocab_size": 100, "dim": 4}),
             ("gru", "gru", {"hidden_size": 4}), ("pooling", "pool", {}), ("dense", "dense", {"units": 2}),
             ("classification_head", "label", {})]
    nodes = [graph.add_node(k, name=n, params=p) for k, n, p in chain]
    for a, b in zip(nodes, nodes[1:]):
        graph.connect(a.id, a.spec.outputs[0].name, b.id, b.spec.inputs[0].name)
    doc = Document(graph=graph, data=binding)
    clear_cache()  # only ``info`` knows the data now
    monkeypatch.setattr(prepare_module, "load_fields", None)  # reading the data again would fail
    assert fit_problems(doc, base_dir=tmp_path, info=facts) == []
    monkeypatch.undo()
    path.write_text("text,label\n" + "".join(f"w{i},{i % 3}\n" for i in range(9)), encoding="utf-8")
    assert [p.message for p in fit_problems(doc, base_dir=tmp_path, info=facts)] == [
        "field 'label' of dataset 'csv_text' has 3 classes, but the Dense before head 'label' has 2 units: set "
        "units to 3"]


EDITS = {"digits": [("rows", "features"), ("dense", "units")],
         "adding_lstm": [("sequence", "features"), ("dense", "units")],
         "seq2seq": [("source", "vocab_size"), ("source_embedding", "vocab_size"), ("dense", "units")],
         "sentiment": [("dense", "units")]}


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(EDITS)), sizes=st.lists(st.integers(2, 40), min_size=3, max_size=3),
       mode=st.sampled_from(["binary", "multiclass"]))
def test_applying_every_fix_leaves_no_problem(name, sizes, mode):
    doc = example(name)
    for (block, param), size in zip(EDITS[name], sizes):
        set_params(doc, block, **{param: size})
    if name == "sentiment":
        set_params(doc, "sentiment", mode=mode)
    problems = fit_problems(doc)
    assert all(p.fixes for p in problems)  # every mismatch of sizes has an edit that fixes it
    apply_fixes(doc, [fix for p in problems for fix in p.fixes])
    assert fit_problems(doc) == []
