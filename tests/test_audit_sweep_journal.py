"""A damaged study journal in an experiment folder (a sweep killed mid-write, a full disk, a hand edit): the next
sweep of that experiment says which file and line, exits 2 and writes nothing after the damage; a half-written
last record is cut off and the study resumes. Optuna alone raised a bare JSONDecodeError/UnicodeDecodeError
traceback and appended its next record after the damage, so the study could never be read again."""
import pytest

from engine.cli import main
from engine.document import load_document
from engine.experiments import Experiment
from engine.experiments.study import JOURNAL
from test_experiments_support import tiny_adding

SEEDS = [{"path": "training.seed", "values": [0, 1]}]


def _prepared(tmp_path):
    path = tiny_adding(tmp_path, SEEDS)
    experiment = Experiment(load_document(path), out=tmp_path / "out")
    try:
        folder = experiment.prepare()
    finally:
        experiment.release()
    return path, folder / JOURNAL


def _dry_sweep(path, tmp_path, capsys):
    """prepare() as `rnn-studio sweep` runs it, without training: the folder and the study only."""
    experiment = Experiment(load_document(path), out=tmp_path / "out")
    try:
        return experiment, experiment.prepare()
    finally:
        experiment.release()


@pytest.mark.parametrize("damage,line", [
    (lambda raw: raw[:len(raw) // 2] + b"\n" + raw[len(raw) // 2:], "half"),  # a record broken in two
    (lambda raw: raw + b"\x00\x00\x00\x00\n", None),  # NUL bytes: Optuna's json guessed UTF-32
    (lambda raw: raw + b"\xe9t\xe9\n", None),
    (lambda raw: raw + b"[1, 2]\n", None),
    (lambda raw: b"\n" + raw, 1),
])
def test_a_damaged_journal_is_one_line_naming_it_and_exit_2(tmp_path, capsys, monkeypatch, damage, line):
    path, journal = _prepared(tmp_path)
    raw = journal.read_bytes()
    damaged = damage(raw)
    journal.write_bytes(damaged)
    line = {None: damaged.count(b"\n"), "half": raw[:len(raw) // 2].count(b"\n") + 1}.get(line, line)
    monkeypatch.setattr("engine.cli.sweep_command.Experiment.run", lambda *_a, **_k: pytest.fail("trained"))
    code = main(["sweep", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    message = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(message) == 1 and str(journal) in message[0]
    assert f"line {line} of the study is" in message[0]
    assert journal.read_bytes() == damaged  # nothing appended after the damage


def test_a_half_written_last_record_is_cut_off_and_the_study_resumes(tmp_path, capsys):
    path, journal = _prepared(tmp_path)
    raw = journal.read_bytes()
    journal.write_bytes(raw + b'{"op_code": 6, "worker_id": "x", "tri')
    experiment, folder = _dry_sweep(path, tmp_path, capsys)
    assert folder == journal.parent and experiment.repaired
    assert journal.read_bytes().startswith(raw) and journal.read_bytes().endswith(b"\n")
    assert [t.status for t in experiment.trials()] == ["waiting", "waiting"]


@pytest.mark.parametrize("record", [b'{"op_code": 6, "trial_id": 999}', b'{"op_code": 77}', b'{"op_code": 0}'])
def test_a_json_record_optuna_cannot_replay_is_named_too(tmp_path, capsys, record):
    path, journal = _prepared(tmp_path)
    journal.write_bytes(journal.read_bytes() + record + b"\n")
    code = main(["sweep", str(path), "--out", str(tmp_path / "out"), "--yes"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    message = [x for x in err.splitlines() if x.startswith("error:")]
    assert len(message) == 1 and str(journal) in message[0] and "the study cannot be read back (" in message[0]
