"""``rnn-studio train FILE``: trains a document headless with a progress bar and writes its run directory.

Ctrl-C stops after the current step and keeps the last checkpoint (press it twice to abort). Exit codes:
0 trained (or stopped early), 1 training failed, 2 bad document/settings/data, 130 stopped by the user.
"""
from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from ..document import DocumentError, load_document
from ..graph import shown
from ..settings import SettingError, assign, inactive_reason
from ..training import EpochMetrics, Hook, StepMetrics, Trainer
from ..training.config import ConfigError, TrainingConfig
from . import path_argument


def add_arguments(parser) -> None:
    parser.add_argument("file", help="an RNN Studio document (.json) with a data binding")
    parser.add_argument("--epochs", type=int, help="override the document's number of epochs")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), help="where to train (default: the document's)")
    parser.add_argument("--seed", type=int, help="random seed (same seed on CPU -> same curves)")
    parser.add_argument("--out", metavar="DIR", type=path_argument, help="write runs under DIR/<document>/<time>/ instead of "
                                                     "<document dir>/runs/")
    parser.add_argument("--batch-size", type=int, help="override the global batch size")
    parser.add_argument("--max-steps", type=int, help="at most this many steps per epoch (quick trials)")
    parser.add_argument("--set", action="append", default=[], metavar="PATH=VALUE", dest="settings",
                        help="change one setting before training (repeatable): training.<field>, data.<key>, "
                             "data.options.<name> or <block>.<param>, e.g. --set training.lr=0.01 "
                             "--set lstm.hidden_size=256")


def _time(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}" if seconds >= 3600 \
        else f"{seconds // 60}:{seconds % 60:02d}"


def _format(metrics: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.4g}" for k, v in metrics.items())


class ProgressBar(Hook):
    """One redrawn line per step on a terminal (at most 10 a second), one line per epoch otherwise."""

    def __init__(self, stream=None, width: int = 24):
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self.width = width
        self._drawn = 0.0

    def on_step_end(self, trainer, m: StepMetrics) -> None:
        if not trainer.is_main or not self.tty:
            return
        now = time.monotonic()
        if now - self._drawn < 0.1 and m.step != m.steps_per_epoch:
            return
        self._drawn = now
        done = int(self.width * m.step / max(m.steps_per_epoch, 1))
        bar = "#" * done + "." * (self.width - done)
        self.stream.write(f"\repoch {m.epoch}/{trainer.config.epochs} [{bar}] {m.step}/{m.steps_per_epoch}  "
                          f"loss {m.loss:.4f}  {m.samples_per_sec:,.0f} samples/s  ETA {_time(m.eta_s)} ")
        self.stream.flush()

    def on_epoch_end(self, trainer, m: EpochMetrics) -> None:
        if not trainer.is_main:
            return
        if self.tty:
            self.stream.write("\r\033[K")
        val = f"  | val {_format(m.val)}" if m.val else ""
        mark = "  *best" if m.best else ""
        self.stream.write(f"epoch {m.epoch}/{trainer.config.epochs}  train {_format(m.train)}{val}  "
                          f"({m.duration_s:.1f}s){mark}\n")
        self.stream.flush()


class CtrlC(Hook):
    """Ctrl-C once the loop runs: the first asks the trainer to stop after the step (it validates and keeps a
    checkpoint); the second aborts at once (KeyboardInterrupt: the trainer writes status "stopped" and keeps the
    last checkpoint); later ones only wait for those few writes. Before the loop (imports, data, compile) Python's
    own KeyboardInterrupt ends start-up at once: the trainer reports it as "stopped", exit 130."""

    def __init__(self):
        self.previous = None

    def on_run_start(self, trainer) -> None:
        if threading.current_thread() is threading.main_thread():  # only the main thread may set handlers
            self.trainer = trainer
            self.previous = signal.signal(signal.SIGINT, self._first)

    def _first(self, signum, frame) -> None:
        print("\nstopping after this step (Ctrl-C again to abort)...", file=sys.stderr)
        signal.signal(signal.SIGINT, self._second)
        self.trainer.stop()

    def _second(self, signum, frame) -> None:
        print("aborting: writing the run's status...", file=sys.stderr)
        signal.signal(signal.SIGINT, self._wait)
        raise KeyboardInterrupt

    def _wait(self, signum, frame) -> None:
        print("still writing the run's status; it takes a moment...", file=sys.stderr)

    def restore(self) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None


def run(args) -> int:
    try:
        doc = load_document(args.file)
        paths = [assign(doc, text)[0] for text in getattr(args, "settings", None) or ()]  # a later --set wins
        for path in dict.fromkeys(paths):  # a setting that has no effect is allowed, but say so
            reason = inactive_reason(doc, path)
            if reason:
                print(f"note: {path} applies {reason}", file=sys.stderr)
        config = TrainingConfig.from_dict(doc.training).replace(
            epochs=args.epochs, device=args.device, seed=args.seed, batch_size=args.batch_size,
            max_steps_per_epoch=args.max_steps)
    except (DocumentError, ConfigError, SettingError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.out:  # a bad --out is a bad argument (exit 2), not a training that failed (exit 1)
        try:
            Path(args.out).mkdir(parents=True, exist_ok=True)
        except OSError as err:
            reason = {FileExistsError: "it is a file, not a folder", NotADirectoryError: "a folder on its way is a file"
                      }.get(type(err), err.strerror or str(err))
            print(f"error: --out {shown(str(args.out), 120)} cannot hold run folders: {reason}", file=sys.stderr)
            return 2
    trainer = Trainer(doc, config, run_root=args.out)
    trainer.add_hook(ProgressBar())
    ctrl_c = CtrlC()
    trainer.add_hook(ctrl_c)
    try:
        result = trainer.run()
    finally:
        ctrl_c.restore()
    if not trainer.is_main:
        return result.exit_code
    out = sys.stdout if result.exit_code in (0, 130) else sys.stderr
    print(f"{result.status}: {result.message}", file=out)
    if result.test:
        print(f"test: {_format(result.test)}", file=out)
    if result.run_dir:
        from ..training.runs import Run

        baselines = Run(result.run_dir).read_evaluation().get("baselines") or {}
        for head, values in baselines.items():
            print(f"baselines ({head}): {_format(values)}", file=out)
        print(f"run directory: {result.run_dir}", file=out)
    return result.exit_code
