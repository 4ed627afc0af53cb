"""Run folders: Run(path) finds every file the trainer writes, reads them (or names the file it cannot read), and
find_runs lists a document's runs newest first."""
from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given, settings, strategies as st

from engine.training import (RunError, RunFinished, RunStarted, Run, Trainer, TrainingConfig, find_runs,
                             runs as runs_module)
from test_training_loop import adding_doc
from test_training_support import adding_data, one_torch_thread  # noqa: F401


def test_a_trained_run_is_found_and_read_through_run(tmp_path):
    config = TrainingConfig(epochs=2, batch_size=32, lr=0.01, probes=[])
    result = Trainer(adding_doc(), config, run_root=tmp_path, data=adding_data(n=96)).run()
    (run,) = find_runs(tmp_path)
    assert run == Run(result.run_dir) and run.name == f"untitled/{result.run_dir.name}"
    assert {p.name for p in run.path.iterdir()} == {"document.json", "config.json", "data_meta.json",
                                                    "metrics.jsonl", "status.json", "evaluation.json", "checkpoints"}
    assert run.read_status()["status"] == "completed" and run.read_status()["epoch"] == 2
    assert run.read_status()["document"] is None and run.source_dir() is None  # an unsaved document, --out
    assert TrainingConfig.from_dict(run.read_config()) == config
    assert run.read_document().graph.by_name("rec").kind == "lstm"
    events = run.read_events()
    assert isinstance(events[0], RunStarted) and isinstance(events[-1], RunFinished)
    assert run.read_evaluation()["metrics"] == pytest.approx(result.test)
    assert run.checkpoint("best").is_file() and run.checkpoint("last").is_file() and run.weights() == run.checkpoint()
    assert Run.of_checkpoint(run.checkpoint("last")) == Run(run.path.resolve())
    assert find_runs(tmp_path, stem="untitled") == [run] and find_runs(tmp_path, stem="other") == []
    # A list of runs reads only the start, the epochs and the end (skipping the steps unparsed): the same events.
    from engine.training.events import SUMMARY_EVENTS, event_to_dict

    wanted = [event_to_dict(e) for e in events if type(e).__name__ in SUMMARY_EVENTS]
    assert [event_to_dict(e) for e in run.read_events(SUMMARY_EVENTS)] == wanted
    assert [e["type"] for e in wanted] == ["RunStarted", "EpochMetrics", "EpochMetrics", "RunFinished"]
    # lines written with their keys in another order are parsed, then kept or left out by their type
    lines = [json.dumps(dict(reversed(list(json.loads(line).items()))))
             for line in run.events().read_text().splitlines()]
    run.events().write_text("\n".join(lines) + "\n")
    assert [event_to_dict(e) for e in run.read_events(SUMMARY_EVENTS)] == wanted


def test_missing_and_broken_files_are_named(tmp_path):
    run = Run(tmp_path / "runs" / "doc" / "20260101-120000")
    run.path.mkdir(parents=True)
    assert run.read_status() == {} and run.weights() is None  # a run that has not written them yet
    with pytest.raises(RunError, match="document.json: missing; this folder is not a run"):
        run.read_document()
    with pytest.raises(RunError, match=r"20260101-120000: no metrics\.jsonl in this run folder"):
        run.read_events()
    run.status().write_text('{"status": "runn', encoding="utf-8")
    with pytest.raises(RunError, match=r"status\.json: not valid JSON \(line 1, column 12"):
        run.read_status()
    run.config().write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(RunError, match=r"config\.json: expected a JSON object, got list"):
        run.read_config()
    with pytest.raises(ValueError, match="a run keeps the checkpoints best and last, not 'middle'"):
        run.checkpoint("middle")
    assert find_runs(tmp_path / "nowhere") == []


def test_a_run_whose_process_is_gone_reads_as_interrupted_and_a_live_one_as_running(tmp_path):
    import json
    import os
    import socket
    import subprocess
    import sys

    run = Run(tmp_path / "runs" / "doc" / "20260101-120000")
    run.path.mkdir(parents=True)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()  # reaped: its pid names no process now

    def status(**fields):
        run.status().write_text(json.dumps({"status": "running", "epoch": 3, **fields}), encoding="utf-8")
        return run.read_status()

    here = socket.gethostname()
    gone = status(pid=ended.pid, host=here)
    assert gone["status"] == "interrupted" and gone["epoch"] == 3
    assert gone["message"].startswith(f"its training process ({ended.pid}) ended before the run finished")
    assert status(pid=os.getpid(), host=here)["status"] == "running"  # this process: still training
    if runs_module.boot_id() is not None:  # Linux: a pid from before a restart names nothing of now
        assert status(pid=os.getpid(), host=here, boot="an-earlier-boot")["status"] == "interrupted"
        assert status(pid=os.getpid(), host=here, boot=runs_module.boot_id())["status"] == "running"
    assert status(pid=ended.pid, host="another-machine")["status"] == "running"  # cannot tell from here
    assert status()["status"] == "running"  # written before runs recorded their process
    for odd in (True, -1, 0, 2**40, "12", None):
        assert status(pid=odd, host=here)["status"] == "running"
    # What a training writes names its process.
    from engine.training.rundir import RunDir

    (tmp_path / "written").mkdir()
    writer = RunDir(tmp_path / "written")
    writer.status(status="running", epoch=0, step=0)
    writer.close()
    run = writer.run
    written = json.loads(run.status().read_text(encoding="utf-8"))
    assert written["pid"] == os.getpid() and written["host"] == here and run.read_status()["status"] == "running"
    assert written["boot"] == runs_module.boot_id()


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=60))
def test_any_status_file_reads_as_an_object_or_a_named_error(content):
    with tempfile.TemporaryDirectory() as folder:
        run = Run(folder)
        run.status().write_bytes(content)
        try:
            assert isinstance(run.read_status(), dict)
        except RunError as err:
            assert str(err).startswith(str(run.status()))


stamps = st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2030, 1, 1)).map(
    lambda t: t.strftime("%Y%m%d-%H%M%S"))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(stamps, st.integers(1, 12)), min_size=1, max_size=8, unique=True), st.randoms())
def test_runs_are_listed_newest_first_with_suffixes_in_number_order(names, rng):
    """A second run in the same second is <time>-2, then -3 ... -10: they come after their first, in order."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        shuffled = list(names)
        rng.shuffle(shuffled)
        for stamp, n in shuffled:
            path = root / "doc" / (stamp if n == 1 else f"{stamp}-{n}")
            path.mkdir(parents=True)
            (path / runs_module.EVENTS).write_text("")
        (root / "doc" / "not-a-run").mkdir()  # no event log: not listed
        found = [run.path.name for run in find_runs(root)]
    expected = [stamp if n == 1 else f"{stamp}-{n}" for stamp, n in sorted(names, reverse=True)]
    assert found == expected


@settings(max_examples=40, deadline=None)
@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="/\\\x00"), min_size=1,
               max_size=12).filter(lambda name: name not in (".", "..")))
@example("a[1]")
@example("*")
@example("x?")
def test_a_documents_runs_are_found_whatever_its_name_holds(name):
    """A document named 'a[1]' or 'x*' is a glob pattern if put in one as it is: its runs went unlisted."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for stem in (name, name + "x", "other"):
            path = root / stem / "20260101-000000"
            path.mkdir(parents=True)
            (path / runs_module.EVENTS).write_text("")
        assert [run.path.parent.name for run in find_runs(root, stem=name)] == [name]


def test_an_event_log_cut_short_by_a_killed_process_still_reads(tmp_path):
    config = TrainingConfig(epochs=1, batch_size=32, probes=[])
    result = Trainer(adding_doc(), config, run_root=tmp_path, data=adding_data(n=96)).run()
    run = Run(result.run_dir)
    whole = run.events().read_text(encoding="utf-8")
    count = len(run.read_events())
    run.events().write_text(whole + '{"type": "StepMetrics", "epoch": 2, "ste', encoding="utf-8")
    assert len(run.read_events()) == count  # the unfinished line is left out
    lines = whole.splitlines()
    run.events().write_text("\n".join(lines[:1] + ['{"type": "Step'] + lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(RunError, match=r"metrics\.jsonl: not a run log \(JSONDecodeError"):
        run.read_events()


def test_the_latest_trained_run_is_the_newest_with_a_checkpoint(tmp_path):
    from engine.training.runs import CHECKPOINTS, latest_trained_run

    doc = tmp_path / "a[1].json"  # a name that would be a glob pattern
    runs = tmp_path / "runs" / "a[1]"
    for name, checkpoint in (("20260101-090000", "best"), ("20260102-090000", "last"), ("20260103-090000", None)):
        (runs / name / CHECKPOINTS).mkdir(parents=True)
        (runs / name / runs_module.EVENTS).write_text("")
        if checkpoint:
            (runs / name / CHECKPOINTS / f"{checkpoint}.safetensors").write_bytes(b"")
    assert latest_trained_run(doc) == Run(runs / "20260102-090000")  # the newest is still without one
    assert latest_trained_run(None) is None and latest_trained_run(tmp_path / "other.json") is None
