"""``rnn-studio check``: the summary table and total (exit 0), every diagnostic or data mismatch (exit 1), a read
error (exit 2).

Runs the command in-process; tests/test_no_qt_in_engine.py runs it in a fresh interpreter as well.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import analyze
from engine.cli import is_command, main
from engine.document import load_document

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))
SENTIMENT = next(p for p in EXAMPLES if p.stem == "sentiment")


def check(capsys, path):
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_passes_with_a_table_and_total(capsys, path):
    code, out, err = check(capsys, path)
    assert (code, err) == (0, "")
    doc = load_document(path)
    report = analyze(doc.graph)
    lines = out.splitlines()
    assert lines[0].split() == ["Block", "Kind", "Output", "Parameters"]
    assert set(lines[1]) <= {"-", " "}
    rows = lines[2:2 + len(doc.graph)]
    for line, node_id in zip(rows, doc.graph.topological_order()):
        node = doc.graph.node(node_id)
        assert line.startswith(node.name + " ") and node.spec.title in line
        assert report.output_text(node) in line and line.endswith(f"{report.params.get(node_id, 0):,}")
    assert lines[-1] == f"Total parameters: {report.total_params:,}"


def test_sentiment_table_exactly(capsys):
    code, out, _ = check(capsys, SENTIMENT)
    assert code == 0
    assert out == (
        "Block      Kind            Output       Parameters\n"
        "---------  --------------  -----------  ----------\n"
        "tokens     Token sequence  [B, T]       0\n"
        "embedding  Embedding       [B, T, 64]   640,000\n"
        "lstm       LSTM            [B, T, 128]  99,328\n"
        "dense      Dense           [B, 1]       129\n"
        "sentiment  Classification  (head)       0\n"
        "\n"
        "Total parameters: 739,457\n")


def broken_sentiment(tmp_path):
    data = json.loads(SENTIMENT.read_text(encoding="utf-8"))
    data["graph"]["edges"][1]["from"] = ["n1", "tokens"]  # tokens straight into the LSTM
    data["graph"]["nodes"][3]["params"]["units"] = 0
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_an_invalid_graph_prints_every_diagnostic_and_exits_1(capsys, tmp_path):
    path = broken_sentiment(tmp_path)
    code, out, err = check(capsys, path)
    assert code == 1 and err == ""
    assert out.splitlines() == [
        f"{path}: 3 problems:",
        "  - Dense 'dense': 'Units' must be at least 1 (it is 0)",
        "  - LSTM 'lstm' expects a feature sequence but 'tokens' gives token ids: put an Embedding block between them",
        "  - Embedding 'embedding' does not lead to an output head, so nothing would train it: connect its output "
        "onwards or delete it",
    ]


@pytest.mark.parametrize("content,expected", [
    (None, "no such file"),
    ("{not json", "not valid JSON (line 1, column 2: Expecting property name enclosed in double quotes)"),
    ('{"format": "rnn-studio", "version": 7}', "$.version: the file uses format 7, written by a newer RNN Studio"),
    ('{"format": "rnn-studio", "version": 1, "graph": {"nodes": [{"id": "n1"}], "edges": []}}',
     "$.graph.nodes[0].kind: is missing"),
])
def test_an_unreadable_or_malformed_file_prints_the_error_and_exits_2(capsys, tmp_path, content, expected):
    path = tmp_path / "model.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    code, out, err = check(capsys, path)
    assert code == 2 and out == ""
    assert err.startswith(f"error: {path}: ") and expected in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_check_is_a_command_line_action():
    assert is_command(["check", "x.json"]) and is_command(["--help"])
    assert not is_command(["examples/sentiment.json"]) and not is_command([])


def _document(tmp_path, source=SENTIMENT, name="model.json", **changes):
    data = json.loads(source.read_text(encoding="utf-8"))
    for key, value in changes.items():
        data[key] = value
    path = tmp_path / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path, data


def test_a_graph_that_does_not_fit_its_data_exits_1_naming_the_mismatch(capsys, tmp_path):
    source = next(p for p in EXAMPLES if p.stem == "digits")
    data = json.loads(source.read_text(encoding="utf-8"))
    dense = next(n for n in data["graph"]["nodes"] if n["kind"] == "dense")
    dense["params"]["units"] = 64
    path = tmp_path / "digits.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = check(capsys, path)
    assert (code, err) == (1, "")
    assert out.splitlines() == [
        f"{path}: 1 problem:",
        "  - field 'digit' of dataset 'digits' has 10 classes, but the Dense before head 'digit' has 64 units: "
        "set units to 10"]


@pytest.mark.parametrize("training, expected", [
    ({"epohcs": 3}, "training.epohcs: "),
    ({"lr": 1e39}, "training.lr: must be at most 1e30"),
    ({"batch_size": 0}, "training.batch_size: "),
    # settings the model cannot take (train refused them only after an epoch, for the monitor)
    ({"monitor": "val_mse"}, "training.monitor: 'val_mse' is not a validation metric of this model (it has "
                             "val_loss, val_accuracy)"),
    ({"tbptt": 4}, "training.tbptt: truncated BPTT applies to language models with one input"),
    ({"teacher_forcing": 0.5}, "training.teacher_forcing: below 1 (or a schedule) needs an encoder-decoder")])
def test_a_training_setting_train_would_refuse_is_a_problem_for_check_too(capsys, tmp_path, training, expected):
    """check passed a document whose training section train then refused (exit 2 at the start of a run)."""
    data = json.loads(SENTIMENT.read_text(encoding="utf-8"))
    data["training"].update(training)
    path = tmp_path / "sentiment.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = check(capsys, path)
    assert (code, err) == (1, "")
    lines = out.splitlines()
    assert lines[0] == f"{path}: 1 problem:" and lines[1].startswith(f"  - {expected}") and len(lines) == 2
    assert main(["train", str(path), "--epochs", "1"]) == 2  # the same refusal


def test_an_empty_model_with_data_exits_1_as_train_refuses_it(capsys, tmp_path):
    data = json.loads(SENTIMENT.read_text(encoding="utf-8"))
    data["graph"] = {"nodes": [], "edges": []}
    path = tmp_path / "empty.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = check(capsys, path)
    assert (code, err) == (1, "")
    assert out.splitlines() == [f"{path}: 1 problem:",
                                "  - The model is empty: add an input, some blocks and an output head"]


def test_a_document_without_data_exits_1(capsys, tmp_path):
    path, _ = _document(tmp_path, data={})
    code, out, err = check(capsys, path)
    assert (code, err) == (1, "")
    assert out.splitlines() == [f"{path}: 1 problem:", "  - no data: choose a dataset in the Data dock (the "
                                                       "document's \"data\" section is empty)"]


def test_data_that_cannot_be_read_or_installed_is_named(capsys, tmp_path, monkeypatch):
    path, _ = _document(tmp_path, data={"dataset": "csv_text", "options": {"path": "reviews.csv"}})
    (tmp_path / "reviews.csv").write_text('text,label\ngood,1\n"bad,0\nfine,1\n', encoding="utf-8")
    code, out, _ = check(capsys, path)
    assert code == 1 and out.splitlines()[1] == (
        "  - reviews.csv, row 3, column 'text': a quote opens here and is never closed (\"bad,0), so the rest of the "
        "file would read as one cell: close it with another \" (inside a quoted cell, write \"\" for a quote)")
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faker" else real(name, *a))
    code, out, _ = check(capsys, next(p for p in EXAMPLES if p.stem == "names"))
    assert code == 1 and out.splitlines()[1] == ("  - dataset 'names' needs the package Faker, which is not "
                                                 "installed: run pip install 'rnn-studio[datasets]'")
