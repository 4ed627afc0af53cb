"""Hostile values anywhere in a document are refused at load with the JSON path of the first one, in one line.

Non-finite numbers (NaN/Infinity constants, 1e400), whole numbers beyond int64 (seeds, a 400-digit float
parameter, a 5,000-digit version), lone surrogates, deep nesting, odd ids and positions; `check` exits 2.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cli import main
from engine.document import DocumentError, loads

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))
SENTIMENT_TEXT = next(p for p in EXAMPLES if p.stem == "sentiment").read_text(encoding="utf-8")
WHOLE = "whole numbers must lie between -2^63 and 2^63 - 1"


def with_raw(path: list, raw: str) -> str:
    """The sentiment example as JSON text with the value at ``path`` replaced by the literal text ``raw``."""
    data = json.loads(SENTIMENT_TEXT)
    target = data
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = "@@RAW@@"
    return json.dumps(data, indent=2).replace('"@@RAW@@"', raw)


def refusal(text: str) -> DocumentError:
    started = time.process_time()
    with pytest.raises(DocumentError) as caught:
        loads(text, "model.json")
    assert time.process_time() - started < 1.0  # refused up front, not after building anything large
    err = caught.value
    assert len(str(err).splitlines()) == 1 and str(err) == f"model.json: {err.json_path}: {err.message}"
    return err


HOSTILE = [
    # (where in the sentiment example, the JSON literal written there, the path reported, the message)
    (["graph", "nodes", 3, "pos", 0], "NaN", "$.graph.nodes[3].pos[0]", "must be a finite number, not NaN"),
    (["graph", "nodes", 3, "pos", 1], "-Infinity", "$.graph.nodes[3].pos[1]", "must be a finite number, "
                                                                               "not -Infinity"),
    (["graph", "nodes", 0, "pos", 0], "1e400", "$.graph.nodes[0].pos[0]", "must be a finite number, not 1e400"),
    (["training", "lr"], "Infinity", "$.training.lr", "must be a finite number, not Infinity"),
    (["graph", "nodes", 2, "params", "dropout"], "1" + "0" * 399, "$.graph.nodes[2].params.dropout",
     f"is a whole number of 400 digits: {WHOLE}"),
    (["version"], "9" * 5000, "$.version", f"is a whole number of 5,000 digits: {WHOLE}"),
    (["graph", "nodes", 1, "id"], "7" * 5000, "$.graph.nodes[1].id", f"is a whole number of 5,000 digits: {WHOLE}"),
    (["data", "seed"], str(2**63), "$.data.seed", f"is 9223372036854775808: {WHOLE}"),
    (["training", "seed"], str(-2**63 - 1), "$.training.seed", f"is -9223372036854775809: {WHOLE}"),
    (["training", "epochs"], "-" + "1" * 30, "$.training.epochs", f"is a whole number of 30 digits: {WHOLE}"),
    (["description"], '"films \\ud800"', "$.description", "contains a lone surrogate (\\ud800), which is not "
                                                         "text: remove it"),
    (["graph", "nodes", 2, "name"], '"lstm\\udfff"', "$.graph.nodes[2].name", "contains a lone surrogate "
                                                                              "(\\udfff), which is not text: remove it"),
    (["data", "options"], '{"max_vocab": 5, "\\udc00x": 1}', '$.data.options["\\udc00x"]',
     "contains a lone surrogate (\\udc00), which is not text: remove it"),
    (["training", "schedule"], "[" * 70 + "]" * 70, "$.training.schedule" + "[0]" * 62,
     "is nested more than 64 levels deep"),
    (["graph", "nodes", 1, "id"], '""', "$.graph.nodes[1].id", "must be 1 to 64 characters long"),
    (["graph", "nodes", 1, "id"], json.dumps("n" * 65), "$.graph.nodes[1].id", "must be 1 to 64 characters long"),
    (["graph", "nodes", 1, "pos", 1], "1e12", "$.graph.nodes[1].pos[1]", "is 1e+12, too far from the canvas: "
                                                                         "positions lie between -1e+09 and 1e+09"),
    (["graph", "nodes", 2, "kind"], '"lstm\\n\\u0000"', "$.graph.nodes[2].kind", "unknown block kind 'lstm\\n\\x00'"),
    (["graph", "nodes", 2, "params"], '{"hidden\\nsize": 3}', '$.graph.nodes[2].params["hidden\\nsize"]',
     "LSTM has no parameter 'hidden\\nsize'"),
]


@pytest.mark.parametrize("where,raw,json_path,message", HOSTILE, ids=[h[2] + " " + h[1][:12] for h in HOSTILE])
def test_hostile_values_are_refused_with_the_path_of_the_first(where, raw, json_path, message):
    err = refusal(with_raw(where, raw))
    assert (err.json_path, err.message) == (json_path, message)


def test_the_first_bad_value_in_document_order_is_the_one_reported():
    text = with_raw(["training", "lr"], "NaN").replace('"description": ', '"description": 1e999, "d": ')
    assert refusal(text).json_path == "$.description"


def test_the_int64_bounds_themselves_load():
    text = with_raw(["training", "seed"], str(2**63 - 1))
    assert loads(text.replace('"dataset"', f'"low": {-2**63}, "dataset"')).training["seed"] == 2**63 - 1


def test_a_lone_surrogate_is_refused_at_load_not_when_saving():
    text = with_raw(["description"], '"\\ud83d"')  # half of an emoji's pair
    assert refusal(text).json_path == "$.description"
    assert "😀" in loads(with_raw(["description"], '"\\ud83d\\ude00"')).dumps()  # a whole pair is text


def test_values_built_in_python_are_checked_as_well():
    # Clipboard data is parsed with plain json (NaN allowed) and Python may hold any int.
    from engine.document import graph_from_data

    data = json.loads(SENTIMENT_TEXT)["graph"]
    data["nodes"][1]["pos"] = [float("nan"), 0.0]
    with pytest.raises(DocumentError) as caught:
        graph_from_data(data, where="clipboard", path="$")
    assert (caught.value.json_path, caught.value.message) == ("$.nodes[1].pos[0]", "must be a finite number, not nan")
    data["nodes"][1]["pos"] = [0.0, 0.0]
    data["nodes"][2]["params"]["hidden_size"] = 10**5000
    with pytest.raises(DocumentError) as caught:
        graph_from_data(data, where="clipboard", path="$")
    assert caught.value.message == f"is a whole number of about 5,001 digits: {WHOLE}"


def test_a_file_name_with_a_newline_still_gives_one_line():
    err = DocumentError("odd\nname.json", "$.version", "must be a positive whole number")
    assert str(err) == "odd\\nname.json: $.version: must be a positive whole number"


@pytest.mark.parametrize("where,raw,json_path,message", HOSTILE[::3], ids=[h[2] for h in HOSTILE[::3]])
def test_check_prints_one_line_and_exits_2(tmp_path, capsys, where, raw, json_path, message):
    path = tmp_path / "model.json"
    path.write_text(with_raw(where, raw), encoding="utf-8")
    code = main(["check", str(path)])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert err == f"error: {path}: {json_path}: {message}\n"


def test_a_real_check_process_prints_one_line_and_no_traceback(tmp_path):
    path = tmp_path / "hostile.json"
    path.write_text(with_raw(["graph", "nodes", 0, "id"], "9" * 5000), encoding="utf-8")
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))",
                          "check", str(path)], capture_output=True, text=True, cwd=root, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(root)})
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"error: {path}: $.graph.nodes[0].id: is a whole number of 5,000 digits: {WHOLE}\n"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_pipe_or_device_is_refused_before_reading_it(tmp_path, capsys):
    # Reading a named pipe waited forever for a writer, and /dev/zero read until memory ran out (MemoryError).
    pipe = tmp_path / "model.json"
    os.mkfifo(pipe)
    for path in (pipe, Path("/dev/zero")):
        if not path.exists():
            continue
        assert main(["check", str(path)]) == 2
        assert capsys.readouterr().err == (f"error: {path}: not a regular file (a device, pipe or socket): open a "
                                           f".json document\n")
