"""Recent files (QSettings) and crash recovery: an autosave of unsaved work every minute, offered back at
the next start if the studio did not close cleanly."""
from __future__ import annotations

import json
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer

from engine.document import Document, DocumentError, loads, write_atomic

MAX_RECENT = 10
AUTOSAVE_MS = 60_000


class RecentFiles:
    """The most recently opened or saved documents, newest first, that still exist."""

    KEY = "recent_files"

    def __init__(self, settings: QSettings):
        self.settings = settings

    def paths(self) -> list[Path]:
        raw = self.settings.value(self.KEY, [])
        if isinstance(raw, str):  # QSettings returns a lone string for one-element lists on some backends
            raw = [raw]
        return [Path(p) for p in raw or [] if Path(p).is_file()]

    def add(self, path: Path) -> None:
        path = Path(path).resolve()
        paths = [path] + [p for p in self.paths() if p.resolve() != path]
        self.settings.setValue(self.KEY, [str(p) for p in paths[:MAX_RECENT]])

    def clear(self) -> None:
        self.settings.setValue(self.KEY, [])


def default_recovery_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".rnn-studio") / "recovery"


class Recovery(QObject):
    """Writes the unsaved document to ``<dir>/recovery.json`` every minute while it has unsaved changes.

    The file is removed when the work is saved or the window closes normally, so a file found at start-up
    means the last session ended without closing: a crash.
    """

    def __init__(self, directory: Path, snapshot, parent: QObject | None = None, interval_ms: int = AUTOSAVE_MS):
        super().__init__(parent)
        self.directory = Path(directory)
        self._snapshot = snapshot  # () -> (Document, modified: bool)
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    @property
    def file(self) -> Path:
        return self.directory / "recovery.json"

    def autosave(self) -> bool:
        """Writes the recovery file if there is unsaved work; returns whether it wrote one."""
        document, modified = self._snapshot()
        if document is None or not modified:
            return False
        record = {"saved_at": time.time(), "original": str(document.path) if document.path else None,
                  "document": json.loads(document.dumps())}
        try:
            write_atomic(self.file, json.dumps(record, ensure_ascii=False).encode("utf-8"))
        except OSError:
            return False  # a full disk must not interrupt the user; the next tick tries again
        return True

    def discard(self) -> None:
        self.file.unlink(missing_ok=True)

    def pending(self) -> dict | None:
        """The recovery record left by a session that did not close, or None."""
        try:
            record = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) and "document" in record else None

    @staticmethod
    def restore(record: dict) -> Document:
        """The document kept in ``record``, pointing at its original file (if it had one)."""
        document = loads(json.dumps(record["document"]), "recovered document")
        document.path = Path(record["original"]) if record.get("original") else None
        return document


__all__ = ["AUTOSAVE_MS", "DocumentError", "MAX_RECENT", "Recovery", "RecentFiles", "default_recovery_dir"]
