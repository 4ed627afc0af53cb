"""The run folder, known in one place: the names of its files, ``Run(path)`` to find and read them, and
``find_runs(root)``. The writer (rundir.RunDir), export, inference and the window all take the names from here.
"""
from __future__ import annotations

import functools
import glob
import json
import os
import socket
from pathlib import Path
from typing import Any

DOCUMENT = "document.json"  # the document snapshot the run trained
CONFIG = "config.json"  # TrainingConfig.to_dict()
DATA_META = "data_meta.json"  # DataMeta.to_dict(): vocabulary, labels, scaling, tokenization
EVENTS = "metrics.jsonl"  # every event, one JSON object a line
STATUS = "status.json"  # status running|completed|stopped|early_stopped|failed, message, epoch, step, best,
#                          pid, host and boot of the writing process (read_status adds "interrupted")
EVALUATION = "evaluation.json"  # the best checkpoint on the test split, with baselines
ERROR = "error.txt"  # the trace of an unexpected error
CHECKPOINTS = "checkpoints"
CHECKPOINT_SUFFIX = ".safetensors"
CHECKPOINT_NAMES = ("best", "last")
TEMP_SUFFIX = ".tmp"  # atomic writes go to <name>.tmp first; a leftover one is stale
RUNS_FOLDER = "runs"  # <document dir>/runs/<document stem>/<YYYYmmdd-HHMMSS>/


class RunError(ValueError):
    """A run folder or one of its files that cannot be read; the message names the file."""


def default_root(document_path: str | Path | None) -> Path:
    """Where a document's runs go unless told otherwise: ``<document dir>/runs`` (the working directory's
    ``runs`` for a document that has no file yet)."""
    base = Path(document_path).resolve().parent if document_path else Path.cwd()
    return base / RUNS_FOLDER


class Run:
    """One run folder. The path methods work whether or not the file exists yet; ``read_*`` read them."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Run({str(self.path)!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Run) and self.path == other.path

    def __hash__(self) -> int:
        return hash(self.path)

    @property
    def name(self) -> str:
        """``<document stem>/<time>``: how the window and the CLI show a run."""
        return f"{self.path.parent.name}/{self.path.name}"

    # ------------------------------------------------------------------ paths
    def document(self) -> Path:
        return self.path / DOCUMENT

    def config(self) -> Path:
        return self.path / CONFIG

    def meta(self) -> Path:
        return self.path / DATA_META

    def events(self) -> Path:
        return self.path / EVENTS

    def status(self) -> Path:
        return self.path / STATUS

    def evaluation(self) -> Path:
        return self.path / EVALUATION

    def error(self) -> Path:
        return self.path / ERROR

    def checkpoints(self) -> Path:
        return self.path / CHECKPOINTS

    def checkpoint(self, which: str = "best") -> Path:
        """``checkpoints/best.safetensors`` or ``checkpoints/last.safetensors``."""
        if which not in CHECKPOINT_NAMES:
            raise ValueError(f"a run keeps the checkpoints {' and '.join(CHECKPOINT_NAMES)}, not {which!r}")
        return self.checkpoints() / f"{which}{CHECKPOINT_SUFFIX}"

    def weights(self) -> Path | None:
        """The checkpoint to use: best, else last (a run stopped before validation improved), else None."""
        for which in CHECKPOINT_NAMES:
            if self.checkpoint(which).is_file():
                return self.checkpoint(which)
        return None

    # ------------------------------------------------------------------ reading
    def read_document(self):
        """The document snapshot (engine.document.Document); its ``path`` is the snapshot file."""
        from ..document import loads

        text = _read_text(self.document())
        if text is None:
            raise RunError(f"{self.document()}: missing; this folder is not a run (or the run never started)")
        document = loads(text, where=str(self.document()))
        document.path = self.document()
        return document

    def read_config(self) -> dict[str, Any]:
        return _read_json(self.config())

    def read_meta(self) -> dict[str, Any]:
        return _read_json(self.meta())

    def read_status(self) -> dict[str, Any]:
        """``{}`` while the run has not written one; ``status`` is missing from it then. A run left "running" by
        a process of this machine that no longer exists reads as "interrupted", with a message saying so."""
        status = _read_json(self.status())
        if status.get("status") == "running" and not _still_running(status):
            status = {**status, "status": "interrupted",
                      "message": f"its training process ({status['pid']}) ended before the run finished: it was "
                                 "killed, crashed or the machine stopped; the last checkpoint is kept"}
        return status

    def read_evaluation(self) -> dict[str, Any]:
        return _read_json(self.evaluation())

    def read_events(self, types: tuple[str, ...] | None = None) -> list:
        """Every logged event (engine.training.events), in order; only those of ``types`` (class names) if given."""
        from .events import read_events

        if not self.events().is_file():
            raise RunError(f"{self.path}: no {EVENTS} in this run folder")
        try:
            return read_events(self.events(), types)
        except UnicodeDecodeError as err:  # a ValueError, but its text would quote the bytes
            raise RunError(f"{self.events()}: not a run log (byte {err.start} is not UTF-8 text)") from None
        except RecursionError:  # a line of thousands of nested brackets
            raise RunError(f"{self.events()}: not a run log (nested too deeply)") from None
        except (ValueError, KeyError, TypeError, AttributeError) as err:  # JSONDecodeError is a ValueError
            raise RunError(f"{self.events()}: not a run log ({type(err).__name__}: {err})") from None
        except OSError as err:
            raise RunError(f"{self.events()}: cannot be read ({err.strerror or err})") from None

    def source_dir(self) -> Path | None:
        """The folder of the document the run was started from (where its relative data paths start): named by
        status.json, else the folder above ``runs/`` when the run lies in the default place; None if unknown."""
        source = self.read_status().get("document")
        if isinstance(source, str) and source:
            return Path(source).parent
        runs = self.path.parent.parent
        return runs.parent if runs.name == RUNS_FOLDER else None

    @classmethod
    def of_checkpoint(cls, weights_path: str | Path) -> "Run | None":
        """The run a checkpoint belongs to (``<run>/checkpoints/x.safetensors``), if it lies in one."""
        path = Path(weights_path).resolve()
        run = cls(path.parent.parent)
        return run if path.parent.name == CHECKPOINTS and run.meta().is_file() else None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise RunError(f"{path}: cannot read it ({err})") from None


def _read_json(path: Path) -> dict[str, Any]:
    """A run file's JSON object; ``{}`` when the file is not there (older or unfinished runs)."""
    text = _read_text(path)
    if text is None:
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise RunError(f"{path}: not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    if not isinstance(data, dict):
        raise RunError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def find_runs(root: str | Path, stem: str | None = None) -> list[Run]:
    """The runs under ``root`` (``<document dir>/runs``): ``<stem>/<time>/`` folders with an event log, newest
    first (time names sort in time order; ``-2`` suffixes after their second). ``stem`` keeps one document's."""
    root = Path(root)
    if not root.is_dir():
        return []
    pattern = f"{glob.escape(stem)}/*/{EVENTS}" if stem is not None else f"*/*/{EVENTS}"  # a name may hold [ or *
    runs = [p.parent for p in root.glob(pattern) if p.is_file()]
    return [Run(p) for p in sorted(runs, key=lambda p: (_time_key(p.name), p.parent.name), reverse=True)]


def latest_trained_run(document_path: str | Path | None, root: str | Path | None = None) -> Run | None:
    """The newest run of the document at ``document_path`` (its own name, in ``root``: by default its folder's
    runs) that wrote a checkpoint (best or last); None for a document without a file or without such a run."""
    if not document_path:
        return None
    for run in find_runs(Path(root) if root is not None else default_root(document_path),
                         stem=Path(document_path).stem):
        if run.weights() is not None:
            return run
    return None


def _time_key(name: str) -> tuple:
    """``20260101-120000-10`` sorts after ``...-2`` (numbers compare as numbers); other names by text."""
    parts = name.split("-")
    if len(parts) in (2, 3) and all(part.isdigit() for part in parts):
        return (parts[0], parts[1], int(parts[2]) if len(parts) == 3 else 1)
    return (name, "", 0)


@functools.cache
def boot_id() -> str | None:
    """This boot of the machine (Linux): a pid written before a restart names nothing of now, or a stranger.
    Read once: a process lives within one boot, and every status written and read asks for it."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip() or None
    except OSError:
        return None


def _still_running(status: dict[str, Any]) -> bool:
    """Whether the process that wrote a "running" status may still be training: unknown (True) for another
    machine, an older run without a pid, or a platform without signal 0; False after a restart of this one."""
    pid, host = status.get("pid"), status.get("host")
    if type(pid) is not int or not 0 < pid < 2**31 or host != socket.gethostname() or os.name != "posix":
        return True
    boot, now = status.get("boot"), boot_id()
    if isinstance(boot, str) and now is not None and boot != now:
        return False  # written before the machine restarted
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists (another user's: PermissionError), or cannot tell
    return True

