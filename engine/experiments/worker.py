"""One worker process of an experiment: it claims waiting trials from the study until none is left, trains each
with the normal Trainer (a normal run directory per repeat) and tells the study how it went.

It ignores Ctrl-C (the parent owns it and sets the stop flag); a failed trial is recorded and the next one starts.
"""
from __future__ import annotations

import math
import signal
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..training import Hook
from .definition import ExperimentSpec, experiment_from_data
from .events import TrialEpoch, TrialFinished, TrialStarted, WorkerExited


@dataclass(frozen=True)
class WorkerArgs:
    """Everything a worker needs, as plain data (a spawned process receives it pickled)."""

    index: int
    document_text: str
    document_path: str | None
    spec: dict
    study_name: str
    storage: str | None  # a database URL, or None for the journal in ``folder``
    folder: str
    run_root: str
    threads: int
    cuda_device: int | None = None
    epochs: int | None = None
    max_steps: int | None = None


def suggest(trial, spec: ExperimentSpec, document) -> dict[str, Any]:
    """The trial's values: fixed for an enqueued grid trial, drawn by the sampler for search."""
    from ..settings import param_for
    from .variants import is_kind_path

    values = {}
    for var in spec.variables:
        if not var.is_range:
            values[var.path] = trial.suggest_categorical(var.path, list(var.values))
        elif not is_kind_path(var.path) and param_for(document, var.path).type is int:
            values[var.path] = trial.suggest_int(var.path, int(var.low), int(var.high), log=var.log,
                                                 step=int(var.step) if var.step else 1)
        else:
            values[var.path] = trial.suggest_float(var.path, var.low, var.high, log=var.log, step=var.step)
    return values


class _TrialHook(Hook):
    """Reports each epoch to the parent and to Optuna (pruning), and obeys the parent's pause and stop flags."""

    def __init__(self, args: WorkerArgs, queue, control, trial, number: int, repeat: int, prune: bool):
        self.args, self.queue, self.control, self.trial = args, queue, control, trial
        self.number, self.repeat, self.prune = number, repeat, prune
        self.pruned = False

    def on_run_start(self, trainer) -> None:
        self.run_dir = str(trainer.run_dir.path) if trainer.run_dir is not None else None
        # slot -1: the same trial, now with its run folder (the window overlays runs by folder)
        self.queue.put(TrialStarted(self.args.index, self.number, -1, "", {}, self.repeat, self.run_dir))

    def on_step_end(self, trainer, metrics) -> None:
        running, stop = self.control
        while not running.wait(0.2) and not stop.is_set():
            pass  # paused between steps: the model stays consistent
        if stop.is_set():
            trainer.stop()

    def on_epoch_end(self, trainer, metrics) -> None:
        try:
            value = trainer.monitor.value(metrics.val or metrics.train)
        except Exception:  # noqa: BLE001 - a wrong monitor fails the run by itself
            value = None
        self.queue.put(TrialEpoch(self.args.index, self.number, self.repeat, metrics.epoch, trainer.config.epochs,
                                  trainer.monitor.name, value, self.run_dir))
        if self.prune and value is not None and math.isfinite(value):
            self.trial.report(value, metrics.epoch)
            if self.trial.should_prune():
                self.pruned = True
                trainer.stop()


def _final_metrics(result) -> tuple[dict[str, float], int | None]:
    """Every final metric of a run: train_/val_ of its best epoch (else the last) and test_ of the best weights."""
    metrics: dict[str, float] = {}
    best_epoch = (result.best or {}).get("epoch")
    epochs = result.epochs
    chosen = next((e for e in epochs if e.epoch == best_epoch), epochs[-1] if epochs else None)
    if chosen is not None:
        metrics.update({f"train_{k}": v for k, v in chosen.train.items()})
        metrics.update({f"val_{k}": v for k, v in chosen.val.items()})
    metrics.update({f"test_{k}": v for k, v in (result.test or {}).items()})
    return metrics, best_epoch


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def run_trial(args: WorkerArgs, study, trial, spec: ExperimentSpec, base, queue, control) -> str:
    """Trains one trial (its repeats) and tells the study. Returns its status."""
    from optuna.trial import TrialState

    from ..training import Trainer
    from ..training.config import TrainingConfig
    from .variants import apply_values, variant_problem

    started = time.perf_counter()
    slot = trial.user_attrs.get("slot", trial.number)
    values = suggest(trial, spec, base)
    label = spec.label(values)
    trial.set_user_attr("values", values)
    trial.set_user_attr("label", label)
    trial.set_user_attr("worker", args.index)
    queue.put(TrialStarted(args.index, trial.number, slot, label, values))

    def finish(status: str, value=None, message="", run_dirs=(), extra=None) -> str:
        duration = time.perf_counter() - started
        for key, item in {"status": status, "message": message, "run_dirs": list(run_dirs),
                          "duration_s": round(duration, 3), **(extra or {})}.items():
            trial.set_user_attr(key, item)
        if status == "completed":
            study.tell(trial, value)
        else:
            study.tell(trial, state=TrialState.PRUNED if status == "pruned" else TrialState.FAIL)
        if status == "stopped":
            from .study import requeue

            requeue(study, trial_frozen(study, trial.number), spec.strategy == "grid")
        queue.put(TrialFinished(args.index, trial.number, slot, label, status, value, message, tuple(run_dirs),
                                duration))
        return status

    try:
        document = apply_values(base, values)
        problem = variant_problem(document)
    except Exception as err:  # noqa: BLE001 - SettingError / ExperimentError of a drawn combination
        problem = str(err)
    if problem:
        return finish("impossible", message=problem)
    objective, run_dirs, all_metrics, best_epochs = [], [], [], []
    seed_is_varied = any(v.path == "training.seed" for v in spec.variables)
    for repeat in range(spec.repeats):
        config = TrainingConfig.from_dict(document.training)
        if spec.repeats > 1 and not seed_is_varied:
            config = config.replace(seed=config.seed + repeat)
        config = config.replace(epochs=args.epochs, max_steps_per_epoch=args.max_steps)
        trainer = Trainer(document, config, run_root=args.run_root)
        hook = _TrialHook(args, queue, control, trial, trial.number, repeat, spec.pruning and repeat == 0)
        trainer.add_hook(hook)
        result = trainer.run()
        if result.run_dir:
            run_dirs.append(str(result.run_dir))
        if hook.pruned:
            return finish("pruned", message="pruned: its validation metric was below the median of earlier trials",
                          run_dirs=run_dirs)
        if result.status == "stopped":
            return finish("stopped", message=result.message, run_dirs=run_dirs)
        if result.status == "failed":
            where = f" ({result.block})" if result.block and f"'{result.block}'" not in result.message else ""
            return finish("failed", message=f"{result.message}{where}", run_dirs=run_dirs)
        value = (result.best or {}).get("value")
        if value is None or not math.isfinite(value):
            return finish("failed", message="no finite value of the monitored metric", run_dirs=run_dirs)
        objective.append(value)
        metrics, best_epoch = _final_metrics(result)
        all_metrics.append(metrics)
        best_epochs.append(best_epoch)
    keys = [k for k in all_metrics[0] if all(k in m for m in all_metrics)]
    metrics = {k: _mean([m[k] for m in all_metrics]) for k in keys}
    if spec.repeats > 1:
        metrics.update({f"{k}_std": statistics.stdev([m[k] for m in all_metrics]) for k in keys})
    std = statistics.stdev(objective) if len(objective) > 1 else None
    return finish("completed", _mean(objective), run_dirs=run_dirs,
                  extra={"metrics": metrics, "best_epoch": best_epochs[0], "value_std": std})


def trial_frozen(study, number: int):
    return next(t for t in study.get_trials(deepcopy=False) if t.number == number)


def fail_unexpected(args: WorkerArgs, study, trial, queue, err: BaseException) -> str:
    """Records a trial whose worker raised unexpectedly as failed (with the error's first line), not running."""
    from optuna.trial import TrialState

    lines = str(err).strip().splitlines()
    message = f"the worker failed: {type(err).__name__}" + (f": {lines[0]}" if lines else "")
    slot, label = trial.user_attrs.get("slot", trial.number), trial.user_attrs.get("label", "")
    try:
        trial.set_user_attr("status", "failed")
        trial.set_user_attr("message", message)
    except Exception:  # noqa: BLE001 - already finished: its own status stays
        pass
    study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
    queue.put(TrialFinished(args.index, trial.number, slot, label, "failed", None, message))
    return "failed"


def worker_main(args: WorkerArgs, queue, control) -> None:
    """The body of a worker process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent turns Ctrl-C into the stop flag
    import torch

    torch.set_num_threads(args.threads)
    if args.cuda_device is not None:
        torch.cuda.set_device(args.cuda_device)  # one trial per GPU: "cuda" is this worker's device
    from ..document import loads
    from .study import claim, load_study, open_storage

    spec = experiment_from_data(args.spec)
    base = loads(args.document_text, where=args.document_path or "<document>")
    base.path = Path(args.document_path) if args.document_path else None
    study = load_study(open_storage(args.storage, Path(args.folder)), args.study_name, spec, args.index)
    running, stop = control
    done = 0
    reason = "done"
    while True:
        if stop.is_set():
            reason = "stopped"
            break
        trial = claim(study)
        if trial is None:
            break
        try:
            status = run_trial(args, study, trial, spec, base, queue, control)
        except Exception as err:  # noqa: BLE001 - a bug must not leave the trial "running" for good
            status = fail_unexpected(args, study, trial, queue, err)
        done += status != "stopped"
    queue.put(WorkerExited(args.index, reason, done))
