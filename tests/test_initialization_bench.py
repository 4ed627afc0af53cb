"""benchmarks/bench_keras.py: its --set parser (user input), its side-by-side table, and a real (two-step) run of
the studio side that skips the Keras side with one line when keras is missing."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_keras  # noqa: E402

NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,12}", fullmatch=True)
VALUES = st.one_of(st.integers(-10**6, 10**6), st.booleans(), st.floats(allow_nan=False, allow_infinity=False),
                   st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True).filter(lambda v: v not in ("true", "false",
                                                                                                     "null")))


@settings(max_examples=60, deadline=None)
@given(block=NAMES, key=NAMES, value=VALUES)
def test_set_parses_block_param_and_json_or_text_value(block, key, value):
    text = value if isinstance(value, str) else json.dumps(value)
    assert bench_keras.parse_setting(f"{block}.{key}={text}") == (block, key, value)


@settings(max_examples=40, deadline=None)
@given(text=st.text(max_size=30).filter(lambda t: "=" not in t or "." not in t.partition("=")[0]))
def test_set_without_block_dot_param_equals_is_one_line_refusal(text):
    with pytest.raises(SystemExit) as refused:
        bench_keras.parse_setting(text)
    message = str(refused.value)
    assert "BLOCK.PARAM=VALUE" in message and "\n" not in message.replace(repr(text), "")


def test_table_shows_both_sides_differences_and_time_ratio():
    studio = [{"val_accuracy": 0.776, "seconds": 20.0}, {"val_accuracy": 0.8, "seconds": 10.0}]
    keras_rows = [{"val_accuracy": 0.771, "seconds": 60.0}]
    lines = bench_keras.table(studio, keras_rows).splitlines()
    assert lines[2] == "| 1 | 77.6 % | 77.1 % | +0.5 points | 20.0 | 60.0 | 3.00 |"
    assert lines[3] == "| 2 | 80.0 % | — | — | 10.0 | — | — |"


def test_studio_side_runs_and_keras_side_skips_when_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(bench_keras, "load_keras", lambda: None)
    out = tmp_path / "rows.json"
    assert bench_keras.main(["--epochs", "1", "--set", "training.max_steps_per_epoch=2", "--set",
                             "lstm.init=keras", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "keras is not installed: Keras side skipped (pip install 'rnn-studio[bench]')" in printed
    rows = json.loads(out.read_text())
    assert rows["keras"] is None and rows["settings"] == ["training.max_steps_per_epoch=2", "lstm.init=keras"]
    (epoch,) = rows["studio"]
    assert 0.0 <= epoch["val_accuracy"] <= 1.0 and epoch["seconds"] > 0


def test_unknown_block_in_set_names_the_blocks():
    with pytest.raises(SystemExit, match=r"no block named 'lstmm' \(blocks: tokens, embedding, lstm, dense, "
                                         r"sentiment\)"):
        bench_keras.main(["--only", "studio", "--set", "lstmm.init=keras"])
