"""The Optuna study behind an experiment: its storage (a journal file in the experiment folder, or a database URL
shared by many machines), the planned trial slots, claiming a slot atomically, and reading trials back as records.

Every trial of the budget is enqueued once, when the study is created; workers only ever claim a waiting trial
(never create one), so however many processes or machines share the study, exactly the budget runs, none twice.
"""
from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.trial import TrialState

from .definition import ExperimentError, ExperimentSpec

optuna.logging.set_verbosity(logging.WARNING)
JOURNAL = "study.journal"
FINISHED = ("completed", "failed", "pruned", "impossible")  # a slot with one of these is done; "stopped" is not


def shown_url(url: str) -> str:
    """The URL without its password: it is printed and written to files."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def open_storage(storage: str | None, folder: Path):
    """The Optuna storage: a journal file in ``folder`` (safe for several processes), or the database ``storage``
    names. ExperimentError naming the URL when it cannot be reached."""
    if storage is None:
        from optuna.storages.journal import JournalFileBackend

        return optuna.storages.JournalStorage(JournalFileBackend(str(folder / JOURNAL)))
    for attempt in range(5):
        try:
            return optuna.storages.RDBStorage(with_driver(storage), engine_kwargs={"pool_pre_ping": True})
        except Exception as err:  # noqa: BLE001 - sqlalchemy/driver errors of every kind: unreachable, bad URL
            text = str(err)
            # Two machines creating the tables of an empty database at once: one loses; the tables now exist.
            if attempt < 4 and ("duplicate key" in text or "already exists" in text):
                time.sleep(0.5)
                continue
            reason = text.strip().splitlines()[0] if text.strip() else type(err).__name__
            raise ExperimentError(shown_url(storage), f"cannot open the study storage: {reason}") from None


def check_journal(path: Path, repair: bool) -> bool:
    """Refuses a damaged study journal before Optuna reads it (Optuna raises a bare JSONDecodeError or
    UnicodeDecodeError, and appends its next record after the damage, so the study could never be read again).

    A last record without its line end is what a sweep killed while writing (or a full disk) leaves: with
    ``repair`` (no other sweep of the folder is alive) it is cut off, as Optuna itself would skip it, and True is
    returned. Any other line that is not a JSON record is an ExperimentError naming the file and the line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as err:
        raise ExperimentError(str(path), f"cannot read the study ({err.strerror or err})") from None
    end = raw.rfind(b"\n") + 1
    for number, line in enumerate(raw[:end].split(b"\n")[:-1], start=1):
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as err:
            reason = "not UTF-8 text" if isinstance(err, UnicodeDecodeError) else "not a JSON record"
            raise ExperimentError(str(path), f"line {number} of the study is damaged ({reason}), so its trials "
                                             f"cannot be read back: move the experiment folder aside to start "
                                             f"afresh (the trials' run folders stay where they are)") from None
        if not isinstance(record, dict) or not isinstance(record.get("op_code"), int):
            raise ExperimentError(str(path), f"line {number} of the study is not an Optuna journal record, so its "
                                             f"trials cannot be read back: move the experiment folder aside to "
                                             f"start afresh (the trials' run folders stay where they are)")
    if end < len(raw) and repair:
        with open(path, "r+b") as f:
            f.truncate(end)
        return True
    return False


def with_driver(url: str) -> str:
    """``postgresql://`` with the driver that is installed: SQLAlchemy 2.1 picks psycopg 3 by default, while
    psycopg2-binary is the one pip installs everywhere."""
    import importlib.util

    scheme, sep, rest = url.partition("://")
    if scheme in ("postgresql", "postgres") and importlib.util.find_spec("psycopg") is None \
            and importlib.util.find_spec("psycopg2") is not None:
        return f"postgresql+psycopg2{sep}{rest}"
    return url


def sampler_for(spec: ExperimentSpec, worker: int = 0):
    seed = spec.seed + 1000 * worker  # workers must not draw the same random points
    if spec.strategy == "tpe":
        budget = spec.budget or 20
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=max(3, budget // 3), constant_liar=True)
    return optuna.samplers.RandomSampler(seed=seed)


def pruner_for(spec: ExperimentSpec):
    if spec.pruning:
        return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=3)
    return optuna.pruners.NopPruner()


def load_study(storage, name: str, spec: ExperimentSpec, worker: int = 0) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=storage, sampler=sampler_for(spec, worker),
                             pruner=pruner_for(spec))


def prepare_study(storage, name: str, spec: ExperimentSpec, maximize: bool,
                  slots: list[dict[str, Any]], definition: dict) -> optuna.Study:
    """Creates the study and enqueues one waiting trial per slot (``slots[i]``: the fixed values of grid trials,
    {} for search); a study that exists already (another machine, or a resumed run) is loaded as it is.
    Creating is atomic in the storage, so of two machines starting at once exactly one enqueues."""
    try:
        study = optuna.create_study(study_name=name, storage=storage, direction="maximize" if maximize else
                                    "minimize", sampler=sampler_for(spec), pruner=pruner_for(spec))
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage, sampler=sampler_for(spec), pruner=pruner_for(spec))
        deadline = time.monotonic() + 60
        while "slots" not in study.user_attrs:  # the machine that created it is still queueing the trials
            if time.monotonic() > deadline:
                raise ExperimentError(name, "the study exists but its trials were never queued (the sweep that "
                                            "created it was stopped while creating it): delete the study")
            time.sleep(0.2)
        return study
    for slot, values in enumerate(slots):
        study.enqueue_trial(values, user_attrs={"slot": slot}, skip_if_exists=False)
    study.set_user_attr("definition", definition)
    study.set_user_attr("slots", len(slots))  # set last: a machine that sees it knows the queue is complete
    return study


def claim(study: optuna.Study) -> optuna.Trial | None:
    """Takes one waiting trial (atomic across processes and machines: Optuna's own queue pop), or None when
    none is left. Unlike ``study.ask`` it never creates a trial beyond the budget."""
    storage = study._storage  # noqa: SLF001 - the storage API is public; the study keeps no other handle
    for frozen in storage.get_all_trials(study._study_id, deepcopy=False, states=(TrialState.WAITING,)):  # noqa: SLF001
        try:
            if not storage.set_trial_state_values(frozen._trial_id, state=TrialState.RUNNING):  # noqa: SLF001
                continue
        except optuna.exceptions.UpdateFinishedTrialError:
            continue
        return optuna.Trial(study, frozen._trial_id)  # noqa: SLF001
    return None


def requeue(study: optuna.Study, frozen, grid: bool) -> None:
    """Puts an interrupted trial's slot back in the queue (its values for a grid, a fresh draw for search)."""
    study.enqueue_trial(dict(frozen.params) if grid else {}, user_attrs={"slot": frozen.user_attrs.get("slot")},
                        skip_if_exists=False)


def fail_stale(study: optuna.Study, grid: bool) -> int:
    """Trials left RUNNING by a killed sweep (local storage: no other process can be running them) are marked
    failed as "stopped" and their slots queued again. Returns how many."""
    stale = [t for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))]
    for frozen in stale:
        study._storage.set_trial_user_attr(frozen._trial_id, "status", "stopped")  # noqa: SLF001
        study._storage.set_trial_user_attr(frozen._trial_id, "message", "interrupted: the sweep was killed")  # noqa: SLF001
        study.tell(frozen.number, state=TrialState.FAIL, skip_if_finished=True)
        requeue(study, frozen, grid)
    return len(stale)


@dataclass
class TrialRecord:
    """One trial as the table shows it."""

    number: int
    slot: int
    values: dict[str, Any]
    status: str  # waiting | running | completed | failed | pruned | impossible | stopped
    value: float | None = None
    value_std: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    best_epoch: int | None = None
    duration_s: float | None = None
    run_dirs: list[str] = field(default_factory=list)
    message: str = ""
    label: str = ""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


_STATES = {TrialState.WAITING: "waiting", TrialState.RUNNING: "running", TrialState.COMPLETE: "completed",
           TrialState.PRUNED: "pruned", TrialState.FAIL: "failed"}


def records(study: optuna.Study) -> list[TrialRecord]:
    """Every slot's current trial: a finished attempt wins over a stopped one; the latest attempt otherwise."""
    by_slot: dict[int, TrialRecord] = {}
    for t in study.get_trials(deepcopy=False):
        a = t.user_attrs
        status = a.get("status") or _STATES.get(t.state, "failed")
        if t.state in (TrialState.WAITING, TrialState.RUNNING):
            status = _STATES[t.state]
        record = TrialRecord(t.number, int(a.get("slot", t.number)), dict(a.get("values") or t.params), status,
                             t.value if t.state == TrialState.COMPLETE else a.get("value"), a.get("value_std"),
                             dict(a.get("metrics") or {}), a.get("best_epoch"), a.get("duration_s"),
                             list(a.get("run_dirs") or []), a.get("message", ""), a.get("label", ""))
        old = by_slot.get(record.slot)
        if old is None or not old.finished:
            by_slot[record.slot] = record
    return [by_slot[slot] for slot in sorted(by_slot)]
