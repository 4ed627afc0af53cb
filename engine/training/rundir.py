"""The run directory: ``<document dir>/runs/<stem>/<YYYYmmdd-HHMMSS>/`` and the files inside it.

Holds document.json, config.json, data_meta.json, metrics.jsonl, checkpoints/, evaluation.json, status.json.
"""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from .events import event_to_dict


def new_run_dir(document_path: str | Path | None, run_root: str | Path | None = None) -> Path:
    """A fresh directory; ``run_root`` replaces ``<document dir>/runs``. A second run in the same second
    gets a ``-2`` suffix rather than sharing a directory."""
    stem = Path(document_path).stem if document_path else "untitled"
    if run_root is None:
        base = Path(document_path).resolve().parent if document_path else Path.cwd()
        run_root = base / "runs"
    parent = Path(run_root) / stem
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
    (candidate / "checkpoints").mkdir()
    return candidate


def write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


class RunDir:
    """Writes one run's files. ``log(event)`` appends every event to metrics.jsonl and flushes at epoch ends."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.checkpoints = self.path / "checkpoints"
        self.best_path = self.checkpoints / "best.safetensors"
        self.last_path = self.checkpoints / "last.safetensors"
        self._log = open(self.path / "metrics.jsonl", "a", encoding="utf-8")

    def write(self, name: str, data: Any) -> None:
        write_json(self.path / name, data)

    def write_text(self, name: str, text: str) -> None:
        (self.path / name).write_text(text, encoding="utf-8")

    def log(self, event) -> None:
        self._log.write(json.dumps(event_to_dict(event), ensure_ascii=False, default=str) + "\n")

    def flush(self) -> None:
        self._log.flush()

    def status(self, **fields: Any) -> None:
        self.write("status.json", {"updated": time.strftime("%Y-%m-%dT%H:%M:%S"), **fields})

    def close(self) -> None:
        if not self._log.closed:
            self._log.close()
