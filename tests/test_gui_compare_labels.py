"""What the Compare tab reads from run folders a user may have edited or a trainer is still writing: labels from
the settings that differ (config.json, document.json, broken ones included), and logs read on in pieces.
"""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.training import EpochMetrics, StepMetrics, TimeGradProbe
from engine.training.events import RunFinished, event_to_dict
from engine.training.runs import RunError
from gui.dashboard.compared import CompareSet, differing_labels, run_labels, run_settings, shown
from gui.dashboard.history import RunHistory

values = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.text(max_size=30),
                   st.floats(allow_nan=True, allow_infinity=True), st.lists(st.integers(0, 9), max_size=3))
paths = st.sampled_from(["lstm.kind", "lstm.hidden_size", "training.lr", "training.seed", "data.options.length",
                         "data.seed", "rnn.dropout", "x.lr"])
setting_dicts = st.one_of(st.none(), st.dictionaries(paths, values, max_size=6))


@settings(max_examples=150, deadline=None)
@given(st.lists(setting_dicts, min_size=1, max_size=5))
def test_labels_are_one_per_run_unique_and_never_fail(all_settings):
    names = [f"doc/2026-{i}" for i in range(len(all_settings))]
    labels = differing_labels(names, all_settings)
    assert len(labels) == len(names) and len(set(labels)) == len(labels)
    for name, s, label in zip(names, all_settings, labels):
        if s is None:
            assert label == name  # nothing to read: the run's name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(1e-5, 1.0), min_size=2, max_size=4, unique=True), st.integers(1, 64))
def test_the_one_setting_that_differs_names_each_run(lrs, hidden):
    all_settings = [{"lstm.kind": "lstm", "lstm.hidden_size": hidden, "training.lr": lr} for lr in lrs]
    labels = differing_labels([f"doc/{i}" for i in range(len(lrs))], all_settings)
    if len({f"{lr:.4g}" for lr in lrs}) == len(lrs):
        assert labels == [f"lr={lr:.4g}" for lr in lrs]
    else:  # equal once shown with 4 digits: the names keep them apart
        assert len(set(labels)) == len(labels)


def test_labels_read_like_an_experiments_and_clashing_names_keep_their_path():
    grid = [{"lstm.kind": k, "data.options.length": n, "training.lr": 0.01} for k, n in (("rnn", 10), ("gru", 50))]
    assert differing_labels(["a", "b"], grid) == ["kind=rnn, length=10", "kind=gru, length=50"]
    clash = [{"x.lr": 1, "training.lr": 0.5}, {"x.lr": 2, "training.lr": 0.25}]
    assert differing_labels(["a", "b"], clash) == ["x.lr=1, training.lr=0.5", "x.lr=2, training.lr=0.25"]
    assert differing_labels(["a", "b"], [{"training.lr": 0.1}] * 2) == ["a", "b"]  # nothing differs
    assert shown(True) == "true" and shown(None) == "none" and shown(1 / 3) == "0.3333" and len(shown("x" * 99)) == 24


def test_run_files_broken_or_missing_fall_back_to_the_name(tmp_path):
    good, broken, empty = (tmp_path / "doc" / name for name in ("t1", "t2", "t3"))
    for folder in (good, broken, empty):
        folder.mkdir(parents=True)
    document = {"graph": {"nodes": [{"id": "n1", "kind": "lstm", "name": "lstm", "params": {"hidden_size": 8}}]},
                "data": {"dataset": "adding", "options": {"length": 10}, "inputs": {"sequence": "x"}}}
    (good / "document.json").write_text(json.dumps(document))
    (good / "config.json").write_text(json.dumps({"lr": 0.01, "epochs": 2}))
    (broken / "config.json").write_bytes(b"\xff\xfe{not json")
    (broken / "document.json").write_text('{"graph": {"nodes": "nonsense"}, "data": [1, 2]}')
    assert run_settings(good) == {"lstm.kind": "lstm", "lstm.hidden_size": 8, "data.dataset": "adding",
                                  "data.options.length": 10, "training.lr": 0.01, "training.epochs": 2}
    assert run_settings(broken) == {} and run_settings(empty) is None
    assert run_labels([good, broken, empty]) == ["doc/t1", "doc/t2", "doc/t3"]


def log_lines() -> list[bytes]:
    """A small run log: started, five steps with per-block norms, two time-gradient probes, an epoch, finished."""
    from engine.training import RunStarted

    events = [RunStarted(None, {"clip": "none"}, "cpu", 1, 5, ["lstm", "dense"], 1, {})]
    for i in range(1, 6):
        events.append(StepMetrics(1, i, 5, 1.0 / i, {"mae": 0.5 / i}, 0.01, 100.0, 0.0, 2.0 / i,
                                  {"lstm": 1.0 / i, "dense": 0.5}, False, i))
        if i in (1, 5):
            events.append(TimeGradProbe(i, "lstm", np.linspace(0.1, 1.0, 8) * i))
    events += [EpochMetrics(1, {"loss": 0.4}, {"loss": 0.5}, 0.01, 1.0, True),
               RunFinished("completed", "done", None, None, {}, 1.0, None)]
    return [json.dumps(event_to_dict(e)).encode() + b"\n" for e in events]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 10_000), max_size=6))
def test_a_log_read_in_any_pieces_equals_the_whole(cuts):
    """However the trainer's writes are cut (mid-line included), reading on gives what reading it whole does."""
    data = b"".join(log_lines())
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "metrics.jsonl"
        log.write_bytes(b"")
        history, at = None, 0
        for cut in sorted({c % (len(data) + 1) for c in cuts}) + [len(data)]:
            with open(log, "ab") as handle:
                handle.write(data[at:cut])
            at = cut
            if history is None:
                history = RunHistory.from_log(folder)
            else:
                history.read_log()
        whole = RunHistory.from_run_dir(folder)
        assert history.loss == whole.loss and history.steps == [1, 2, 3, 4, 5]
        assert history.block_norms == whole.block_norms and history.finished.status == "completed"
        assert history.latest_time_grad("lstm").tolist() == whole.latest_time_grad("lstm").tolist()
        assert history.latest_time_grad("lstm") == pytest.approx(np.linspace(0.1, 1.0, 8) * 5, rel=1e-5)


def test_a_broken_line_is_named_and_the_compare_tab_says_so(tmp_path):
    lines = log_lines()
    (tmp_path / "metrics.jsonl").write_bytes(b"".join(lines[:3]) + b"{oops\n" + b"".join(lines[3:]))
    with pytest.raises(RunError, match=r"metrics.jsonl: line 4: not a run log"):
        RunHistory.from_log(tmp_path)
    runs = CompareSet()
    runs.set_runs([("broken", tmp_path), ("absent", tmp_path / "nothing")])
    assert [r.history for r in runs.runs] == [None, None]
    assert "line 4: not a run log" in runs.errors()[0] and "no metrics.jsonl" in runs.errors()[1]
    assert not runs.poll()  # unchanged files: not read again (the same error every second helps nobody)
    (tmp_path / "metrics.jsonl").write_bytes(b"".join(lines))  # mended
    assert runs.poll() and runs.runs[0].history.finished is not None
    assert len(runs.errors()) == 1 and "no metrics.jsonl" in runs.errors()[0]  # the absent one still is


def test_a_replaced_log_is_read_anew_and_finished_runs_are_not_polled(tmp_path):
    lines = log_lines()
    log = tmp_path / "metrics.jsonl"
    log.write_bytes(b"".join(lines[:5]))
    runs = CompareSet()
    runs.set_runs([("a", tmp_path)])
    first = runs.runs[0].history
    assert len(first.steps) == 3 and not runs.poll()  # unchanged: nothing read
    log.write_bytes(b"".join(lines[:2]))  # a shorter log: another run wrote this folder
    assert runs.poll() and runs.runs[0].history is not first and len(runs.runs[0].history.steps) == 1
    log.write_bytes(b"".join(lines))
    assert runs.poll() and runs.runs[0].history.finished is not None
    version = runs.version
    log.write_bytes(b"".join(lines) + lines[1])  # a finished run's log is not looked at again
    assert not runs.poll() and runs.version == version
