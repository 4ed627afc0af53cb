"""``Experiment``: plans the variants, keeps the experiment folder and its study, runs the trials in worker
processes (threads split so workers x threads <= cores; one trial per GPU on CUDA) and writes the trials table.

The folder ``<runs>/<document>/experiments/<name>-<time>/`` holds definition.json, the study (study.journal),
trials.csv, best.json and the trials' run folders (runs/). The same experiment started again resumes there.
"""
from __future__ import annotations

import hashlib
import json
import os
import queue as queue_module
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable

from ..document import Document
from ..training.config import TrainingConfig, higher_is_better
from ..training.runs import default_root
from .definition import ExperimentError, ExperimentSpec, experiment_from_data
from .locks import FOLDER_LOCK, FileLock, hold_sweep
from ..worker_processes import worker_context
from .events import ExperimentFinished, TrialFinished, TrialStarted, WorkerExited
from .study import (JOURNAL, TrialRecord, check_journal, fail_stale, load_study, open_storage, prepare_study, records,
                    shown_url)
from .table import write_best, write_trials
from .variants import Plan, apply_values, plan_experiment
from .worker import WorkerArgs, worker_main

DEFINITION = "definition.json"
EXPERIMENTS = "experiments"


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


@dataclass
class ExperimentResult:
    status: str  # completed | stopped | failed
    message: str
    folder: Path
    trials: list[TrialRecord] = field(default_factory=list)
    best: TrialRecord | None = None

    @property
    def exit_code(self) -> int:
        """As ``train``: 0 done (at least one trial trained), 1 every trial failed, 130 stopped."""
        if self.status == "stopped":
            return 130
        return 0 if self.status == "completed" else 1


class Experiment:
    """One experiment of a document. ``plan()`` checks without training; ``run(on_event)`` blocks (call it from a
    thread to stay responsive) and may be paused, resumed and stopped from any thread."""

    def __init__(self, document: Document, spec: ExperimentSpec | None = None, *, workers: int = 1,
                 trials: int | None = None, storage: str | None = None, out: str | Path | None = None,
                 epochs: int | None = None, max_steps: int | None = None, allow_many: bool = False,
                 threads: int | None = None):
        if spec is None:
            needed = document.left_out.get("experiment")
            if document.experiment is None and needed is not None:
                raise ExperimentError("version", "the file's experiment section was left out: it needs format "
                                                 f"version {needed} or later (set \"version\": {needed})")
            if document.experiment is None:
                raise ExperimentError("experiment", "the document has no experiment section: add variables first")
            spec = experiment_from_data(document.experiment)
        if trials is not None:
            spec = replace(spec, budget=trials)
        for name, value in (("--workers", workers), ("--trials", trials), ("--epochs", epochs),
                            ("--max-steps", max_steps), ("threads", threads)):
            if value is not None and value < 1:
                raise ExperimentError(name, f"must be at least 1, got {value}")
        self.document, self.spec, self.workers = document, spec, workers
        self.storage, self.epochs, self.max_steps, self.allow_many = storage, epochs, max_steps, allow_many
        self.threads = threads  # torch threads per worker; None: cores // workers
        self.root = Path(out) if out is not None else default_root(document.path)
        self.stem = Path(document.path).stem if document.path else "untitled"
        self.monitor = TrainingConfig.from_dict(document.training).monitor
        self.maximize = higher_is_better(self.monitor)
        self.folder: Path | None = None
        self._plan: Plan | None = None
        self._ctx = worker_context()  # fork server (torch imported once) or spawn; never a plain fork of this process
        self._running = self._ctx.Event()
        self._running.set()
        self._stop = self._ctx.Event()
        self._procs: dict[int, Any] = {}
        self._lock = None  # the folder's sweep lock while prepared (locks.py)
        self.repaired = False  # prepare cut off the study journal's half-written last record

    # ------------------------------------------------------------------ plan and folder
    def plan(self) -> Plan:
        """Every variant materialized and analysed (cached); ExperimentError for bad input."""
        if self._plan is None:
            self._plan = plan_experiment(self.document, self.spec, allow_many=self.allow_many)
        return self._plan

    def definition(self) -> dict[str, Any]:
        base = self.document.to_data()
        base.pop("experiment", None)
        data = {"experiment": self.spec.to_data(), "document": base, "epochs": self.epochs,
                "max_steps": self.max_steps}
        key = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        return {"key": key, "document_path": str(self.document.path) if self.document.path else None,
                "monitor": self.monitor, "maximize": self.maximize, **data}

    def experiments_dir(self) -> Path:
        return self.root / self.stem / EXPERIMENTS

    def find_folder(self) -> Path | None:
        """The newest folder of this very experiment (same definition), to resume; None if there is none."""
        key = self.definition()["key"]
        parent = self.experiments_dir()
        for folder in sorted(parent.glob(f"{self.spec.name}-*"), reverse=True) if parent.is_dir() else ():
            try:
                definition = json.loads((folder / DEFINITION).read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue  # unreadable: not this experiment's folder
            if isinstance(definition, dict) and definition.get("key") == key:
                return folder
        return None

    @property
    def study_name(self) -> str:
        return f"{self.stem}-{self.spec.name}-{self.definition()['key'][:12]}"

    def prepare(self) -> Path:
        """Plans, then finds (resume) or creates the folder and the study with one queued trial per slot."""
        plan = self.plan()
        definition = self.definition()
        parent = self.experiments_dir()
        try:
            parent.mkdir(parents=True, exist_ok=True)
            with FileLock(parent / FOLDER_LOCK):  # two sweeps started at once join one folder
                folder = self.find_folder()
                if folder is None:
                    folder = self._new_folder(definition)
                self.release()
                self._lock, alone = hold_sweep(folder)
        except OSError as err:  # a name too long, a file where a folder should be, no permission
            reason = err.strerror or str(err)
            if isinstance(err, (NotADirectoryError, FileExistsError)):
                blocker = next((p for p in [parent, *parent.parents] if p.is_file()), None)
                reason = f"{blocker} is a file, not a folder" if blocker is not None else reason
            raise ExperimentError(str(parent), f"cannot write the experiment folder here ({reason})") from None
        slots = [dict(v.values) for v in plan.variants[:plan.trials]] if self.spec.strategy == "grid" \
            else [{} for _ in range(plan.trials)]
        try:
            if self.storage is None:  # the journal file: refused when damaged, a half-written last record cut off
                self.repaired = check_journal(folder / JOURNAL, repair=alone)
            storage = open_storage(self.storage, folder)
            study = prepare_study(storage, self.study_name, self.spec, self.maximize, slots, definition)
            if self.storage is None and alone:  # no other sweep of this folder is alive: "running" trials are stale
                fail_stale(study, self.spec.strategy == "grid")
        except ExperimentError:
            self.release()
            raise
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, AssertionError) as err:
            self.release()
            if self.storage is not None:
                raise
            # Lines that are JSON but not records Optuna can replay (edited by hand, mixed with another file):
            # Optuna raises KeyError for a missing field and AssertionError for an unknown op_code.
            raise ExperimentError(str(folder / JOURNAL), f"the study cannot be read back ({type(err).__name__}: "
                                                          f"{err}): move the experiment folder aside to start "
                                                          f"afresh (the trials' run folders stay where they are)"
                                  ) from None
        self.folder = folder
        self._lock.shared()  # from now on other sweeps of this folder may join (and must not fail our trials)
        self._study = study
        return folder

    def _new_folder(self, definition: dict[str, Any]) -> Path:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        folder, n = self.experiments_dir() / f"{self.spec.name}-{stamp}", 1
        while True:
            try:
                folder.mkdir()
                break
            except FileExistsError:
                n += 1
                folder = self.experiments_dir() / f"{self.spec.name}-{stamp}-{n}"
        from ..training.rundir import write_json

        write_json(folder / DEFINITION, definition)
        return folder

    def release(self) -> None:
        """Leaves the folder's sweeps (``run`` does it when it ends; call it after a ``prepare`` never run)."""
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    # ------------------------------------------------------------------ control (any thread)
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def stop(self) -> None:
        """Workers stop after their current step, record the trial as stopped (queued again) and exit."""
        self._stop.set()
        self._running.set()

    def abort(self) -> None:
        """Ends the worker processes at once (a second Ctrl-C); their trials are queued again on the next run."""
        self.stop()
        for proc in list(self._procs.values()):
            if proc.is_alive():
                proc.terminate()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------------ reading
    def trials(self) -> list[TrialRecord]:
        """Every slot's trial, as the study holds it now (prepare() first)."""
        return records(self._study)

    def best(self, trials: list[TrialRecord] | None = None) -> TrialRecord | None:
        done = [t for t in (trials if trials is not None else self.trials())
                if t.status == "completed" and t.value is not None]
        if not done:
            return None
        return (max if self.maximize else min)(done, key=lambda t: t.value)

    def sorted_trials(self, trials: list[TrialRecord] | None = None) -> list[TrialRecord]:
        """Completed trials best first, then the others by slot."""
        trials = trials if trials is not None else self.trials()
        done = sorted((t for t in trials if t.status == "completed" and t.value is not None),
                      key=lambda t: -t.value if self.maximize else t.value)
        return done + [t for t in trials if t not in done]

    def write_table(self) -> list[TrialRecord]:
        trials = self.trials()
        write_trials(self.folder, self.spec, self.monitor, trials)
        write_best(self.folder, self.monitor, self.best(trials))
        return trials

    # ------------------------------------------------------------------ running
    def _worker_plan(self, waiting: int) -> list[tuple[int, int | None]]:
        """(threads, cuda device) per worker: workers x threads <= cores; on CUDA one worker per GPU."""
        count = max(1, min(self.workers, waiting))
        share = self.threads or max(1, cores() // count)
        config = TrainingConfig.from_dict(self.document.training)
        if config.device != "cpu" and gpu_driver_present():
            import torch  # here only where a GPU may be: this process needs no torch otherwise (about 2 s)

            if torch.cuda.is_available():
                count = min(count, torch.cuda.device_count())
                return [(share, i) for i in range(count)]
        return [(share, None) for _ in range(count)]

    def _args(self, index: int, threads: int, cuda: int | None) -> WorkerArgs:
        return WorkerArgs(index, self.document.dumps(), str(self.document.path) if self.document.path else None,
                          self.spec.to_data(), self.study_name, self.storage, str(self.folder),
                          str(self.folder / "runs"), threads, cuda, self.epochs, self.max_steps)

    def run(self, on_event: Callable[[Any], None] | None = None) -> ExperimentResult:
        """Runs every queued trial; blocks until they are done or the experiment is stopped."""
        if self.folder is None:
            self.prepare()
        emit = on_event or (lambda event: None)
        waiting = sum(t.status == "waiting" for t in self.trials())
        # One queue per worker: a worker killed while writing holds its queue's lock for good, and with one
        # shared queue every other worker would then block on its next message (the experiment would hang).
        self._queues: dict[int, Any] = {}
        control = (self._running, self._stop)
        layout = self._worker_plan(waiting)
        current: dict[int, int] = {}  # worker -> the trial number it trains
        exited: set[int] = set()
        if waiting:
            for index, (threads, cuda) in enumerate(layout):
                self._start(index, self._args(index, threads, cuda), control)
        respawns = waiting
        while True:
            if self._drain(emit, current, exited):
                continue
            dead = [i for i, p in self._procs.items() if not p.is_alive() and i not in exited]
            if not dead and all(i in exited for i in self._procs):
                break
            for index in dead:
                self._drain(emit, current, exited, only=index)  # what it said before it died
                if index in exited:
                    continue
                code = self._procs[index].exitcode
                exited.add(index)
                self._crashed(index, current.pop(index, None), code, emit)
                if not self.stopping and respawns > 0 and any(t.status == "waiting" for t in self.trials()):
                    respawns -= 1
                    new = max(self._procs) + 1
                    threads, cuda = layout[index % len(layout)]
                    self._start(new, self._args(new, threads, cuda), control)
            time.sleep(0.05)
        for proc in self._procs.values():
            proc.join(timeout=5)
        try:
            return self._finish(emit)
        finally:
            self.release()

    def _start(self, index: int, args: WorkerArgs, control) -> None:
        queue = self._queues[index] = self._ctx.Queue()
        proc = self._ctx.Process(target=worker_main, args=(args, queue, control), name=f"rnn-studio-worker-{index}",
                                 daemon=True)  # never outlives the experiment (a stuck worker would keep it)
        proc.start()
        self._procs[index] = proc

    def _drain(self, emit, current, exited, only: int | None = None) -> bool:
        """Handles every message waiting in the workers' queues (or in worker ``only``'s); whether there was any."""
        got = False
        for index, queue in list(self._queues.items()):
            if only is not None and index != only:
                continue
            while True:
                try:
                    event = queue.get_nowait()
                except (queue_module.Empty, OSError, EOFError, ValueError):
                    break  # empty, or a dead worker's queue that cannot be read any more
                got = True
                self._handle(event, emit, current, exited)
        return got

    def _handle(self, event, emit, current, exited) -> None:
        if isinstance(event, TrialStarted) and event.slot >= 0:
            current[event.worker] = event.number
        elif isinstance(event, TrialFinished):
            current.pop(event.worker, None)
            self.write_table()
        elif isinstance(event, WorkerExited):
            exited.add(event.worker)
        emit(event)

    def _crashed(self, worker: int, number: int | None, code: int | None, emit) -> None:
        """A worker process that died: its trial is failed with the reason (or queued again when stopping)."""
        if number is None:
            return
        from optuna.trial import TrialState

        from .study import requeue
        from .worker import trial_frozen

        frozen = trial_frozen(self._study, number)
        if frozen.state != TrialState.RUNNING:
            return
        stopped = self.stopping
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        message = "stopped: the worker was ended" if stopped else f"the worker process died ({how})"
        storage = self._study._storage  # noqa: SLF001
        storage.set_trial_user_attr(frozen._trial_id, "status", "stopped" if stopped else "failed")  # noqa: SLF001
        storage.set_trial_user_attr(frozen._trial_id, "message", message)  # noqa: SLF001
        self._study.tell(number, state=TrialState.FAIL, skip_if_finished=True)
        if stopped:
            requeue(self._study, frozen, self.spec.strategy == "grid")
        a = frozen.user_attrs
        emit(TrialFinished(worker, number, a.get("slot", number), a.get("label", ""),
                           "stopped" if stopped else "failed", None, message))
        self.write_table()

    def _finish(self, emit) -> ExperimentResult:
        trials = self.write_table()
        counts: dict[str, int] = {}
        for t in trials:
            counts[t.status] = counts.get(t.status, 0) + 1
        best = self.best(trials)
        left = sum(not t.finished for t in trials)
        if left and self.stopping:
            status, message = "stopped", f"{len(trials) - left} of {len(trials)} trials finished; run " \
                                         "the same experiment again to resume"
        elif left:  # a shared study: other machines hold the rest
            status, message = "completed", f"this machine is done; {left} trials are still running elsewhere"
        elif best is None:
            status, message = "failed", "no trial trained successfully"
        else:
            status, message = "completed", f"{len(trials)} trials finished"
        where = f" (storage {shown_url(self.storage)})" if self.storage else ""
        emit(ExperimentFinished(status, message + where, str(self.folder), counts,
                                None if best is None else {"number": best.number, "label": best.label,
                                                           "value": best.value, "values": best.values}))
        return ExperimentResult(status, message, self.folder, trials, best)


def applied(document: Document, values: dict[str, Any]) -> Document:
    """A copy of ``document`` with a trial's values set and its experiment section kept: "Apply best" as plain
    data (the window sets the graph, data and training sections from it as one undoable step)."""
    copy = apply_values(document, values)
    copy.experiment = document.experiment
    return copy


def open_experiment(folder: str | Path, storage: str | None = None):
    """The study of an experiment folder (to read its trials without the document): (definition, records)."""
    folder = Path(folder)
    definition = json.loads((folder / DEFINITION).read_text(encoding="utf-8"))
    spec = experiment_from_data(definition["experiment"])
    stem = Path(definition["document_path"]).stem if definition.get("document_path") else "untitled"
    name = f"{stem}-{spec.name}-{definition['key'][:12]}"
    return definition, records(load_study(open_storage(storage, folder), name, spec))


def gpu_driver_present() -> bool:
    """False only where torch certainly sees no GPU: Linux without NVIDIA's or AMD's (ROCm) kernel driver."""
    if not sys.platform.startswith("linux"):
        return True
    return os.path.exists("/proc/driver/nvidia/gpus") or os.path.exists("/dev/kfd")
