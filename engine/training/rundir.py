"""Writes a run folder (``<document dir>/runs/<stem>/<YYYYmmdd-HHMMSS>/``): snapshot, settings, event log, status.

File names come from runs.py; every file but the event log is written atomically (a temp file, then a rename).
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable

from .events import event_to_dict
from .runs import CHECKPOINTS, ERROR, STATUS, TEMP_SUFFIX, Run, boot_id, default_root


def new_run_dir(document_path: str | Path | None, run_root: str | Path | None = None) -> Path:
    """A fresh directory; ``run_root`` replaces ``<document dir>/runs``. A second run in the same second
    gets a ``-2`` suffix rather than sharing a directory."""
    stem = Path(document_path).stem if document_path else "untitled"
    parent = Path(run_root if run_root is not None else default_root(document_path)) / stem
    parent.mkdir(parents=True, exist_ok=True)
    name = time.strftime("%Y%m%d-%H%M%S")
    candidate, n = parent / name, 1
    while True:
        try:
            candidate.mkdir()
            break
        except FileExistsError:
            n += 1
            candidate = parent / f"{name}-{n}"
    (candidate / CHECKPOINTS).mkdir()
    return candidate


def atomic_write(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Calls ``write(temp_path)`` and renames the temp file over ``path``: readers see the old file or the new
    one, never half of one. Stale temp files of the folder (a writer killed mid-write) are removed first, and
    this write's own is removed when it is interrupted (an exception or Ctrl-C)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"*{TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
    tmp = path.with_name(path.name + TEMP_SUFFIX)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


class RunDir:
    """Writes one run's files. ``log(event)`` appends every event to the event log, flushed at epoch ends."""

    def __init__(self, path: Path, source: str | Path | None = None):
        """``source``: the document file the run was started from; every status names it (``"document"``), so
        readers find the document's folder (its relative data paths) wherever the run folder lies."""
        self.run = Run(path)
        self.source = str(Path(source).resolve()) if source else None
        self.path = self.run.path
        self.checkpoints = self.run.checkpoints()
        self.best_path = self.run.checkpoint("best")
        self.last_path = self.run.checkpoint("last")
        self._log = open(self.run.events(), "a", encoding="utf-8")

    def write(self, name: str, data: Any) -> None:
        write_json(self.path / name, data)

    def write_text(self, name: str, text: str) -> None:
        atomic_write(self.path / name, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    def log(self, event) -> None:
        self._log.write(json.dumps(event_to_dict(event), ensure_ascii=False, default=str) + "\n")

    def flush(self) -> None:
        self._log.flush()

    def status(self, **fields: Any) -> None:
        # The process and machine that write it: a reader can tell a run still training from one whose process
        # was killed mid-run (Run.read_status says "interrupted" then).
        self.write(STATUS, {"updated": time.strftime("%Y-%m-%dT%H:%M:%S"), "document": self.source,
                            "pid": os.getpid(), "host": socket.gethostname(), "boot": boot_id(), **fields})

    def error(self, text: str) -> None:
        self.write_text(ERROR, text)

    def close(self) -> None:
        if not self._log.closed:
            self._log.close()
