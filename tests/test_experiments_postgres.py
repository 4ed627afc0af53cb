"""A study shared through a real PostgreSQL server (started here with pgserver): two sweeps started at once, as on
two machines, run exactly the budget between them and no trial twice."""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from test_experiments_support import tiny_adding

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def postgres_url():
    pgserver = pytest.importorskip("pgserver", reason="pgserver is not installed")
    folder = tempfile.mkdtemp(prefix="pg", dir="/tmp")  # a short path: the server's socket lives in it
    try:
        server = pgserver.get_server(folder, cleanup_mode="delete")
    except Exception as err:  # noqa: BLE001 - whatever stops the server from starting
        pytest.skip(f"pgserver could not start a PostgreSQL server: {type(err).__name__}: {err}")
    yield server.get_uri()
    server.cleanup()


def test_two_sweeps_share_one_study_and_run_exactly_the_budget(tmp_path, postgres_url):
    import optuna

    from engine.experiments.study import with_driver

    budget = 4
    path = tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "low": 2, "high": 16},
                                  {"path": "training.lr", "low": 1e-3, "high": 1e-1, "log": True}],
                       strategy="random", budget=budget, name="shared")
    command = [sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())", "sweep", str(path),
               "--storage", postgres_url, "--workers", "1"]
    machines = [subprocess.Popen(command + ["--out", str(tmp_path / f"machine{i}")], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(2)]
    outputs = [m.communicate(timeout=240) for m in machines]
    assert [m.returncode for m in machines] == [0, 0], outputs

    url = with_driver(postgres_url)
    (summary,) = optuna.get_all_study_summaries(url)
    study = optuna.load_study(study_name=summary.study_name, storage=url)
    trials = study.get_trials()
    assert len(trials) == budget
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert sorted(t.user_attrs["slot"] for t in trials) == list(range(budget))
    run_dirs = [d for t in trials for d in t.user_attrs["run_dirs"]]
    assert len(set(run_dirs)) == budget
    trained = [p for i in range(2) for p in (tmp_path / f"machine{i}").rglob("status.json")]
    assert sorted(map(str, (p.parent for p in trained))) == sorted(run_dirs)  # each trial trained on one machine
    assert {json.loads((Path(d) / "status.json").read_text())["status"] for d in run_dirs} == {"completed"}
    # both machines wrote the whole table
    for i in range(2):
        (table,) = (tmp_path / f"machine{i}").rglob("trials.csv")
        assert len(table.read_text().splitlines()) == budget + 1


def test_an_unreachable_storage_is_one_line_naming_the_url(tmp_path, capsys):
    from engine.cli import main

    path = tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "values": [4]}])
    url = "postgresql://user:secret@127.0.0.1:1/nowhere"
    assert main(["sweep", str(path), "--storage", url, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: postgresql://user:***@127.0.0.1:1/nowhere: cannot open the study storage: ")
    assert "\n" not in err and "secret" not in err
