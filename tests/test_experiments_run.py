"""Running an experiment: trials are ordinary run folders trained by worker processes; the table holds each one's
values, status and metrics; a failed or killed trial is recorded and the others go on; stop keeps finished trials
and the same experiment started again resumes without training them twice."""
import csv
import math
import statistics
import threading

from engine.document import load_document
from engine.experiments import Experiment, TrialFinished, TrialStarted, read_best, read_trials
from engine.training import Run
from test_experiments_support import tiny_adding

KINDS = [{"path": "rnn.kind", "values": ["rnn", "gru"]}, {"path": "rnn.hidden_size", "values": [4, 8]}]


def test_two_workers_run_every_trial_once_as_ordinary_runs(tmp_path):
    doc = load_document(tiny_adding(tmp_path, KINDS))
    events = []
    result = Experiment(doc, workers=2, out=tmp_path / "out").run(events.append)
    assert (result.status, result.exit_code) == ("completed", 0)
    folder = result.folder
    assert folder.parent == tmp_path / "out" / "tiny" / "experiments" and folder.name.startswith("tiny-")
    rows = read_trials(folder)
    assert [(r["rnn.kind"], r["rnn.hidden_size"], r["status"]) for r in rows] == [
        ("rnn", "4", "completed"), ("rnn", "8", "completed"), ("gru", "4", "completed"), ("gru", "8", "completed")]
    assert {e.worker for e in events if isinstance(e, TrialStarted)} == {0, 1}
    for row in rows:
        run = Run(row["run_dir"])
        status = run.read_status()
        assert status["status"] == "completed" and run.path.parent.parent == folder / "runs"
        assert float(row["objective"]) == status["best"]["value"]  # the monitored metric, exactly
        assert run.read_document().graph.by_name("rnn").kind == row["rnn.kind"]
        assert float(row["test_loss"]) == run.read_evaluation()["metrics"]["loss"]
        assert int(row["best_epoch"]) == status["best"]["epoch"] and float(row["duration_s"]) > 0
    best = min(rows, key=lambda r: float(r["objective"]))
    assert read_best(folder)["label"] == best["label"] and result.best.label == best["label"]

    again = Experiment(load_document(doc.path), workers=2, out=tmp_path / "out").run()
    assert again.folder == folder and again.status == "completed"
    assert len(list((folder / "runs" / "tiny").iterdir())) == 4  # resumed: nothing trained twice


def test_a_diverging_trial_is_recorded_as_failed_and_the_others_go_on(tmp_path):
    path = tiny_adding(tmp_path, [{"path": "training.lr", "values": [0.01, 1e12]}])
    doc = load_document(path)
    doc.training.update(clip="none", optimizer="sgd")
    doc.graph.set_param(doc.graph.by_name("rnn").id, "nonlinearity", "relu")
    result = Experiment(doc, out=tmp_path / "out").run()
    rows = {r["training.lr"]: r for r in read_trials(result.folder)}
    assert rows["0.01"]["status"] == "completed" and result.exit_code == 0
    assert rows["1000000000000.0"]["status"] == "failed"
    failed = rows["1000000000000.0"]
    assert failed["message"].startswith("the loss became nan at epoch 1, step ") and "block 'dense'" in failed["message"]
    assert failed["objective"] == "" and Run(failed["run_dir"]).read_status()["status"] == "failed"


def test_repeats_give_the_mean_and_std_of_the_seeds(tmp_path):
    doc = load_document(tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "values": [4]}], repeats=2))
    result = Experiment(doc, out=tmp_path / "out").run()
    (trial,) = result.trials
    values = [Run(d).read_status()["best"]["value"] for d in trial.run_dirs]
    seeds = [Run(d).read_config()["seed"] for d in trial.run_dirs]
    assert seeds == [0, 1] and len(values) == 2
    assert math.isclose(trial.value, statistics.mean(values), rel_tol=1e-12)
    assert math.isclose(trial.value_std, statistics.stdev(values), rel_tol=1e-12)


def test_search_runs_exactly_the_budget_within_the_ranges(tmp_path):
    doc = load_document(tiny_adding(tmp_path, [{"path": "rnn.hidden_size", "low": 4, "high": 12},
                                               {"path": "training.lr", "low": 1e-3, "high": 1e-1, "log": True}],
                                    strategy="random", budget=3, pruning=True))
    result = Experiment(doc, workers=2, out=tmp_path / "out").run()
    assert len(result.trials) == 3 and all(t.status in ("completed", "pruned") for t in result.trials)
    for t in result.trials:
        assert isinstance(t.values["rnn.hidden_size"], int) and 4 <= t.values["rnn.hidden_size"] <= 12
        assert 1e-3 <= t.values["training.lr"] <= 1e-1


def test_stop_keeps_finished_trials_and_the_next_run_resumes(tmp_path):
    doc = load_document(tiny_adding(tmp_path, [{"path": "training.seed", "values": [0, 1, 2, 3]}]))
    doc.training["epochs"] = 3
    experiment = Experiment(doc, workers=1, out=tmp_path / "out")

    def on_event(event):
        if isinstance(event, TrialFinished) and event.status == "completed":
            experiment.stop()
    result = experiment.run(on_event)
    assert (result.status, result.exit_code) == ("stopped", 130)
    done = [t for t in result.trials if t.status == "completed"]
    assert len(done) == 1 and sum(t.status == "waiting" for t in result.trials) == 3
    trained = {d for t in done for d in t.run_dirs}

    resumed = Experiment(doc, workers=1, out=tmp_path / "out").run()
    assert resumed.folder == result.folder and resumed.status == "completed"
    assert [t.status for t in resumed.trials] == ["completed"] * 4
    assert {d for t in resumed.trials if t.slot == done[0].slot for d in t.run_dirs} == trained
    with open(result.folder / "trials.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 4


def test_a_killed_worker_fails_its_trial_and_another_worker_takes_over(tmp_path):
    doc = load_document(tiny_adding(tmp_path, [{"path": "training.seed", "values": [0, 1]}]))
    doc.training["epochs"] = 30  # long enough to be killed while training
    experiment = Experiment(doc, workers=1, out=tmp_path / "out")
    killed = threading.Event()

    def on_event(event):
        if isinstance(event, TrialStarted) and event.slot == 0 and not killed.is_set():
            killed.set()
            experiment._procs[event.worker].kill()
        if isinstance(event, TrialStarted) and event.slot == 1:
            experiment.stop()  # enough: the second trial was handed to a new worker
    result = experiment.run(on_event)
    first = result.trials[0]
    assert first.status == "failed" and first.message == "the worker process died (killed by signal 9)"
    assert result.trials[1].status in ("waiting", "completed")


def test_a_worker_that_raises_unexpectedly_fails_its_trial_instead_of_leaving_it_running(tmp_path, monkeypatch):
    import queue
    import signal

    from engine.experiments import worker

    def broken(*_):
        raise ValueError("step > 0 must hold\nmore")
    monkeypatch.setattr(worker, "suggest", broken)
    monkeypatch.setattr(signal, "signal", lambda *_: None)  # the worker ignores Ctrl-C; not this test process
    doc = load_document(tiny_adding(tmp_path, [{"path": "training.seed", "values": [0]}]))
    experiment = Experiment(doc, out=tmp_path / "out")
    experiment.prepare()
    try:
        events = queue.Queue()
        worker.worker_main(experiment._args(0, 1, None), events, (threading.Event(), threading.Event()))
        trial = experiment.trials()[0]
        assert (trial.status, trial.message) == ("failed", "the worker failed: ValueError: step > 0 must hold")
        finished = [e for e in list(events.queue) if isinstance(e, TrialFinished)]
        assert [(e.status, e.message) for e in finished] == [("failed", trial.message)]
    finally:
        experiment.release()


def test_a_definition_that_is_not_an_object_is_skipped_like_an_unreadable_one(tmp_path):
    doc = load_document(tiny_adding(tmp_path, [{"path": "training.seed", "values": [0]}]))
    experiment = Experiment(doc, out=tmp_path / "out")
    for name, text in (("tiny-20990101-000000", "[]"), ("tiny-20990101-000001", "[" * 5000)):
        stray = experiment.experiments_dir() / name
        stray.mkdir(parents=True)
        (stray / "definition.json").write_text(text)
    assert experiment.find_folder() is None
    try:
        folder = experiment.prepare()
    finally:
        experiment.release()
    assert folder.name.startswith("tiny-") and not folder.name.startswith("tiny-2099")
