"""Two sweeps of one experiment on one machine: started together they share one folder and study, and a
sweep never takes another live sweep's running trial for a killed one's (only a lone sweep fails stale trials)."""
import threading

from optuna.trial import TrialState

from engine.document import load_document
from engine.experiments import Experiment
from engine.experiments.study import claim
from test_experiments_support import tiny_adding

VARIABLES = [{"path": "training.lr", "values": [0.01, 0.02]}]


def _running(experiment) -> list[int]:
    return [t.number for t in experiment.trials() if t.status == "running"]


def test_a_live_sweeps_running_trial_is_left_alone_and_a_lone_sweep_requeues_a_dead_ones(tmp_path):
    doc = load_document(tiny_adding(tmp_path, VARIABLES))
    first = Experiment(doc, out=tmp_path / "out")
    folder = first.prepare()
    trial = claim(first._study)  # first is training this trial now
    assert trial is not None and _running(first) == [trial.number]

    second = Experiment(load_document(doc.path), out=tmp_path / "out")
    assert second.prepare() == folder  # joins the same folder and study
    assert _running(second) == [trial.number]  # not failed: its sweep is alive

    first.release()  # the first sweep dies (the kernel drops its lock)
    second.release()
    third = Experiment(load_document(doc.path), out=tmp_path / "out")
    assert third.prepare() == folder
    assert _running(third) == []  # alone now: the dead sweep's trial was failed as stopped and queued again
    assert [t.status for t in third.trials()] == ["waiting", "waiting"]  # one row per slot, both to train
    failed = third._study.get_trials(states=(TrialState.FAIL,))
    assert [(t.number, t.user_attrs["status"]) for t in failed] == [(trial.number, "stopped")]
    third.release()


def test_sweeps_started_at_the_same_moment_make_one_folder(tmp_path):
    path = tiny_adding(tmp_path, VARIABLES)
    folders, barrier = [], threading.Barrier(4)

    def prepare():
        experiment = Experiment(load_document(path), out=tmp_path / "out")
        barrier.wait()
        folders.append(experiment.prepare())
        experiment.release()

    threads = [threading.Thread(target=prepare) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(folders) == 4 and len(set(folders)) == 1
    assert len(list(folders[0].parent.glob("tiny-*"))) == 1
