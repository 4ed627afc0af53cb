"""The JSON document: malformed files give one DocumentError naming the JSON path; saving is atomic.

Also save -> load -> save byte-identity for every example, and old block ids (legacy_ids) still loading.
"""
from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path

import pytest

import engine.document as document
from engine import CATALOG, Graph, analyze, compile_graph
from engine.document import Document, DocumentError, load_document, loads, save_document

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))
SENTIMENT = next(p for p in EXAMPLES if p.stem == "sentiment")


def sentiment_data():
    return json.loads(SENTIMENT.read_text(encoding="utf-8"))


def error_for(data) -> DocumentError:
    text = data if isinstance(data, str) else json.dumps(data)
    with pytest.raises(DocumentError) as caught:
        loads(text, "model.json")
    return caught.value


def edited(change):
    data = sentiment_data()
    change(data)
    return data


def set_in(path, value):
    def change(data):
        *parents, last = path
        target = data
        for key in parents:
            target = target[key]
        target[last] = value
    return change


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_save_load_save_is_byte_identical(path, tmp_path):
    original = path.read_bytes()
    doc = load_document(path)
    assert doc.path == path
    save_document(doc, tmp_path / "a.json")
    assert (tmp_path / "a.json").read_bytes() == original  # the examples are stored in canonical form
    save_document(load_document(tmp_path / "a.json"), tmp_path / "b.json")
    assert (tmp_path / "b.json").read_bytes() == original


def test_round_trip_keeps_positions_sections_and_text(tmp_path):
    doc = load_document(SENTIMENT)
    doc.description = "Critiques de films — positives ou négatives"
    doc.graph.move(doc.graph.by_name("lstm").id, (12.25, -3.5))
    doc.training = {"epochs": 3, "lr": 0.001}
    save_document(doc, tmp_path / "doc.json")
    again = load_document(tmp_path / "doc.json")
    assert again.description == doc.description and again.training == doc.training and again.data == doc.data
    assert again.graph.by_name("lstm").pos == (12.25, -3.5)
    assert [(n.id, n.kind, n.name, n.params) for n in again.graph] == [(n.id, n.kind, n.name, n.params)
                                                                       for n in doc.graph]
    assert again.graph.edges == doc.graph.edges
    assert "négatives" in (tmp_path / "doc.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("change,json_path,message", [
    (set_in(["format"], "keras"), "$.format", 'this is not an RNN Studio document (expected "format": "rnn-studio")'),
    (set_in(["version"], 99), "$.version", "the file uses format 99, written by a newer RNN Studio; this one "
                                           "reads up to format 3: please update"),
    (set_in(["version"], "1"), "$.version", "must be a positive whole number"),
    (set_in(["description"], 5), "$.description", "must be text"),
    (set_in(["graph"], []), "$.graph", "must be an object"),
    (set_in(["graph", "nodes"], {}), "$.graph.nodes", "must be a list"),
    (lambda d: d["graph"].pop("edges"), "$.graph.edges", "is missing"),
    (set_in(["graph", "nodes", 2, "params"], [1]), "$.graph.nodes[2].params", "must be an object"),
    (set_in(["graph", "nodes", 2, "pos"], [0, "x"]), "$.graph.nodes[2].pos", "must be two numbers [x, y]"),
    (set_in(["graph", "nodes", 2, "pos"], [0, float("nan")]), "$.graph.nodes[2].pos[1]", "must be a finite number, "
                                                                                         "not NaN"),
    (set_in(["graph", "nodes", 2, "id"], 3), "$.graph.nodes[2].id", "must be text"),
    (set_in(["graph", "nodes", 2, "kind"], "transformer"), "$.graph.nodes[2].kind", "unknown block kind "
                                                                                    "'transformer'"),
    (set_in(["graph", "nodes", 2, "params", "units"], 3), "$.graph.nodes[2].params.units", "LSTM has no "
                                                                                           "parameter 'units'"),
    (set_in(["graph", "nodes", 2, "id"], "n1"), "$.graph.nodes[2].id", "the id 'n1' is used twice"),
    (set_in(["graph", "nodes", 2, "name"], "tokens"), "$.graph.nodes[2].name", "another block is already "
                                                                               "called 'tokens'"),
    (set_in(["graph", "nodes", 2, "name"], "my lstm"), "$.graph.nodes[2].name", "'my lstm' is not a valid name: "
     "use letters, digits and _, not starting with a digit"),
    (set_in(["graph", "edges", 1, "to"], ["n99", "input"]), "$.graph.edges[1].to", "no block has the id 'n99'"),
    (set_in(["graph", "edges", 1, "to"], ["n3", "inp"]), "$.graph.edges[1].to", "LSTM 'lstm' has no input 'inp' "
                                                                                "(its inputs: input, initial_state)"),
    (set_in(["graph", "edges", 1, "from"], ["n2", "vectors"]), "$.graph.edges[1].from", "Embedding 'embedding' "
     "has no output 'vectors' (its outputs: sequence)"),
    (set_in(["graph", "edges", 1, "from"], "n2"), "$.graph.edges[1].from", "must be a list"),
    (set_in(["graph", "edges", 1, "from"], ["n2"]), "$.graph.edges[1].from", "must be [block id, port name]"),
    (lambda d: d["graph"]["edges"].append(copy.deepcopy(d["graph"]["edges"][1])), "$.graph.edges[4]",
     "input 'input' of LSTM 'lstm' is already connected"),
    (set_in(["training"], [1]), "$.training", "must be an object"),
])
def test_malformed_documents_name_the_json_path(change, json_path, message):
    err = error_for(edited(change))
    assert (err.where, err.json_path, err.message) == ("model.json", json_path, message)
    assert str(err) == f"model.json: {json_path}: {message}"
    assert err.__cause__ is None and (err.__context__ is None or err.__suppress_context__)  # one error, no chain


def test_invalid_json_names_line_and_column():
    err = error_for('{\n  "format": "rnn-studio",\n  "version": 1,,\n}')
    assert err.json_path == "" and err.message.startswith("not valid JSON (line 3, column 16:")
    assert error_for("[1, 2]").message == "must be an object"
    assert error_for("[" * 100_000 + "]" * 100_000).message == ("not a document: its JSON is nested thousands of "
                                                                 "levels deep")


def test_unreadable_files(tmp_path):
    with pytest.raises(DocumentError, match="no such file"):
        load_document(tmp_path / "missing.json")
    (tmp_path / "latin1.json").write_bytes('{"description": "café"}'.encode("latin-1"))
    with pytest.raises(DocumentError, match=r"not UTF-8 text \(byte 20\)"):
        load_document(tmp_path / "latin1.json")
    with pytest.raises(DocumentError):
        load_document(tmp_path)  # a folder


def test_invalid_parameter_values_load_and_are_diagnosed_not_refused():
    # The studio opens the file so the learner can fix the value in the inspector.
    doc = loads(json.dumps(edited(set_in(["graph", "nodes", 2, "params", "hidden_size"], 0))))
    assert [d.message for d in analyze(doc.graph).diagnostics] == ["LSTM 'lstm': 'Hidden size' must be at least "
                                                                   "1 (it is 0)"]


def fail_during(monkeypatch, name):
    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(document.os, name, boom)


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, step):
    target = tmp_path / "model.json"
    save_document(load_document(SENTIMENT), target)
    before = target.read_bytes()
    doc = load_document(target)
    doc.description = "changed"
    fail_during(monkeypatch, step)
    with pytest.raises(OSError, match="No space left"):
        save_document(doc, target)
    assert target.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.json"]


def test_a_save_interrupted_mid_write_leaves_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.json"
    save_document(load_document(SENTIMENT), target)
    before = target.read_bytes()
    real_fdopen = os.fdopen

    class HalfWriter:
        def __init__(self, handle):
            self.handle = handle

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, payload):
            self.handle.write(payload[: len(payload) // 2])
            raise KeyboardInterrupt  # the user quits, or the process is killed, half-way

    monkeypatch.setattr(document.os, "fdopen", lambda fd, mode: HalfWriter(real_fdopen(fd, mode)))
    doc = load_document(target)
    doc.description = "x" * 10_000
    with pytest.raises(KeyboardInterrupt):
        save_document(doc, target)
    assert target.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["model.json"]


def test_save_creates_folders_and_remembers_the_path(tmp_path):
    doc = Document(description="empty")
    save_document(doc, tmp_path / "new" / "model.json")
    assert doc.path == tmp_path / "new" / "model.json"
    assert load_document(doc.path).description == "empty"


def test_documents_with_an_old_block_id_still_load(monkeypatch):
    renamed = dataclasses.replace(CATALOG["lstm"], id="long_short_term_memory", legacy_ids=("lstm",), version=2)
    monkeypatch.delitem(CATALOG, "lstm")
    monkeypatch.setitem(CATALOG, renamed.id, renamed)
    doc = load_document(SENTIMENT)
    node = doc.graph.by_name("lstm")
    assert node.kind == "long_short_term_memory" and node.spec is renamed
    assert '"kind": "long_short_term_memory"' in doc.dumps()  # saved under the current id
    assert compile_graph(doc.graph).report.params[node.id] == 99_328


def test_paste_gives_fresh_ids_and_names():
    doc = load_document(SENTIMENT)
    g = doc.graph
    data = g.subgraph_data([g.by_name("embedding").id, g.by_name("lstm").id])
    assert data["edges"] == [{"from": ["n2", "sequence"], "to": ["n3", "input"]}]
    _, id_map = document.graph_from_data(data, into=g, fresh_ids=True)
    assert set(id_map) == {"n2", "n3"} and not set(id_map.values()) & {"n1", "n2", "n3", "n4", "n5"}
    assert [g.node(i).name for i in id_map.values()] == ["embedding_1", "lstm_1"]
    assert g.edge_into(id_map["n3"], "input").src == id_map["n2"]


def test_empty_document_round_trips():
    doc = loads(Document().dumps())
    assert isinstance(doc.graph, Graph) and len(doc.graph) == 0 and doc.data == {} and doc.training == {}
