"""``rnn-studio sweep FILE``: runs the document's experiment (its variants as ordinary runs in worker processes)
with a progress line per worker and a final table sorted by the objective.

Exit codes as ``train``: 0 done, 1 every trial failed, 2 bad document/experiment/storage, 130 stopped (Ctrl-C).
"""
from __future__ import annotations

import signal
import sys
import threading

from ..document import DocumentError, load_document
from ..experiments import (Experiment, ExperimentError, ExperimentFinished, TrialEpoch, TrialFinished, TrialStarted,
                           WorkerExited, format_table)
from ..training.config import ConfigError
from . import path_argument


def add_arguments(parser) -> None:
    parser.add_argument("file", help="an RNN Studio document (.json) with an experiment section")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (torch threads are split so "
                                                                "workers x threads <= cores; one per GPU on CUDA)")
    parser.add_argument("--trials", type=int, help="the trial budget (default: the experiment's; a grid runs all)")
    parser.add_argument("--storage", metavar="URL", help="an Optuna database URL (postgresql://..., mysql://...) "
                                                         "shared by sweeps on several machines")
    parser.add_argument("--out", metavar="DIR", type=path_argument, help="experiment folders under DIR/<document>/experiments/ instead "
                                                     "of <document dir>/runs/")
    parser.add_argument("--epochs", type=int, help="override the epochs of every trial")
    parser.add_argument("--max-steps", type=int, help="at most this many steps per epoch (quick sweeps)")
    parser.add_argument("--dry-run", action="store_true", help="list the trials and the skipped combinations, "
                                                               "train nothing")
    parser.add_argument("--yes", action="store_true", help="run more than 500 trials")


class Progress:
    """One line per worker event: which trial it started, each epoch's monitored metric, how it ended."""

    def __init__(self, total: int, stream=None):
        self.total, self.stream = total, stream or sys.stderr
        self.labels: dict[int, str] = {}

    def __call__(self, event) -> None:
        if isinstance(event, TrialStarted) and event.slot >= 0:
            self.labels[event.number] = event.label
            self._line(event.worker, f"trial {event.number} ({event.slot + 1}/{self.total}) {event.label}: started")
        elif isinstance(event, TrialEpoch):
            value = "n/a" if event.value is None else f"{event.value:.4g}"
            repeat = f" repeat {event.repeat + 1}" if event.repeat else ""
            self._line(event.worker, f"trial {event.number}{repeat} epoch {event.epoch}/{event.epochs}  "
                                     f"{event.monitor} {value}")
        elif isinstance(event, TrialFinished):
            value = "" if event.value is None else f" {event.value:.4g}"
            note = f": {event.message}" if event.message and event.status != "completed" else ""
            self._line(event.worker, f"trial {event.number} {event.label} {event.status}{value} "
                                     f"({event.duration_s:.0f}s){note}")
        elif isinstance(event, WorkerExited) and event.reason != "done":
            self._line(event.worker, f"exited: {event.reason}")

    def _line(self, worker: int, text: str) -> None:
        self.stream.write(f"[worker {worker}] {text}\n")
        self.stream.flush()


def _dry_run(experiment: Experiment) -> int:
    plan = experiment.plan()
    spec = plan.spec
    runs = f" x {spec.repeats} repeats = {plan.runs} runs" if spec.repeats > 1 else ""
    print(f"{spec.strategy}: {plan.trials} trials{runs}; objective {experiment.monitor} "
          f"({'higher' if experiment.maximize else 'lower'} is better)")
    if spec.strategy == "grid":
        for i, variant in enumerate(plan.variants[:plan.trials]):
            print(f"  {i + 1:>3}. {variant.label}")
    else:
        for var in spec.variables:
            space = ", ".join(map(str, var.values)) if not var.is_range else \
                f"{var.low} .. {var.high}{' (log)' if var.log else ''}"
            print(f"  {var.path}: {space}")
    for _, label, reason in plan.skipped:
        print(f"  skipped {label}: {reason}")
    if plan.left_out:
        print(f"  note: {plan.left_out}")
    return 0


def run(args) -> int:
    try:
        document = load_document(args.file)
        experiment = Experiment(document, workers=args.workers, trials=args.trials, storage=args.storage,
                                out=args.out, epochs=args.epochs, max_steps=args.max_steps, allow_many=args.yes)
        if args.dry_run:
            return _dry_run(experiment)
        plan = experiment.plan()
        for _, label, reason in plan.skipped:
            print(f"skipped {label}: {reason}", file=sys.stderr)
        if plan.left_out:
            print(f"note: {plan.left_out}", file=sys.stderr)
        folder = experiment.prepare()
    except (DocumentError, ExperimentError, ConfigError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted while preparing: nothing was trained", file=sys.stderr)
        return 130
    print(f"experiment folder: {folder}", file=sys.stderr)
    if experiment.repaired:
        print(f"note: {folder / 'study.journal'}: its last record was cut short (a sweep killed while writing it) "
              f"and was dropped", file=sys.stderr)
    presses = []

    def on_sigint(signum, frame) -> None:
        presses.append(1)
        if len(presses) == 1:
            print("\nstopping: workers finish their step and keep every finished trial (Ctrl-C again to abort)...",
                  file=sys.stderr)
            experiment.stop()
        else:
            print("aborting the workers...", file=sys.stderr)
            experiment.abort()

    previous = signal.signal(signal.SIGINT, on_sigint) if threading.current_thread() is threading.main_thread() \
        else None
    progress = Progress(plan.trials)
    finished: list[ExperimentFinished] = []
    try:
        result = experiment.run(lambda e: finished.append(e) if isinstance(e, ExperimentFinished) else progress(e))
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    out = sys.stdout if result.exit_code in (0, 130) else sys.stderr
    print(format_table(experiment.spec, experiment.monitor, experiment.sorted_trials(result.trials)), file=out)
    print(f"{result.status}: {finished[-1].message if finished else result.message}", file=out)
    if result.best is not None:
        print(f"best: trial {result.best.number} ({result.best.label}) {experiment.monitor} {result.best.value:.4g}",
              file=out)
    print(f"trials table: {folder / 'trials.csv'}", file=out)
    return result.exit_code
