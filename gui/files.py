"""Recent files (QSettings) and crash recovery: an autosave of each window's unsaved work every minute,
offered back at the next start if that studio did not close cleanly."""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QSettings, QStandardPaths, QTimer

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
    """Writes the unsaved document to ``<dir>/recovery-<id>.json`` every minute while it has unsaved changes.

    Each window has its own file and holds a lock file beside it while it lives (QLockFile: the process id
    inside tells a live owner from a dead one). The file is removed when the work is saved or the window
    closes normally, so a file whose lock nobody holds means a studio ended without closing: a crash. A
    second studio never offers the first one's live work, and closing one never deletes another's file.
    """

    def __init__(self, directory: Path, snapshot, parent: QObject | None = None, interval_ms: int = AUTOSAVE_MS):
        super().__init__(parent)
        self.directory = Path(directory)
        self._snapshot = snapshot  # () -> (Document, modified: bool)
        self.id = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self._lock: QLockFile | None = None
        self._claimed: list[QLockFile] = []  # locks of crashed records this window has taken over
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave)
        self.timer.start()

    @property
    def file(self) -> Path:
        return self.directory / f"recovery-{self.id}.json"

    def _hold_lock(self) -> bool:
        if self._lock is None:
            try:
                self.directory.mkdir(parents=True, exist_ok=True)
            except OSError:
                return False
            lock = QLockFile(str(self.file.with_suffix(".lock")))
            lock.setStaleLockTime(0)  # only a dead owner makes a lock stale, never its age
            if not lock.tryLock(0):
                return False
            self._lock = lock
        return True

    def autosave(self) -> bool:
        """Writes the recovery file if there is unsaved work; returns whether it wrote one."""
        document, modified = self._snapshot()
        if document is None or not modified or not self._hold_lock():
            return False
        record = {"saved_at": time.time(), "original": str(document.path) if document.path else None,
                  "pid": os.getpid(), "document": json.loads(document.dumps())}
        try:
            write_atomic(self.file, json.dumps(record, ensure_ascii=False).encode("utf-8"))
        except (OSError, ValueError):
            return False  # a full disk must not interrupt the user; the next tick tries again
        return True

    def discard(self) -> None:
        """This window's work is saved or closed: its recovery file goes (never another window's)."""
        self.file.unlink(missing_ok=True)
        if self._lock is not None:
            self._lock.unlock()  # removes the lock file
            self._lock = None

    def pending_records(self) -> list[tuple[Path, dict]]:
        """Records left by studios that ended without closing (newest first); live studios' are skipped."""
        found = []
        for path in self._candidates():
            lock = QLockFile(str(path.with_suffix(".lock")))
            lock.setStaleLockTime(0)
            if not lock.tryLock(0):
                continue  # a live studio holds it: its work is not crashed work
            lock.unlock()
            try:
                record = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(record, dict) and "document" in record:
                found.append((path, record))
        found.sort(key=lambda item: item[1].get("saved_at", 0) if isinstance(item[1].get("saved_at"), (int, float))
                   else 0, reverse=True)
        return found

    def _candidates(self) -> list[Path]:
        try:
            paths = list(self.directory.glob("recovery-*.json"))
        except OSError:
            return []
        legacy = self.directory / "recovery.json"  # written by studios before per-window files
        return [p for p in paths if p != self.file] + ([legacy] if legacy.is_file() else [])

    def pending(self) -> dict | None:
        """The newest record left by a studio that did not close, or None."""
        records = self.pending_records()
        return records[0][1] if records else None

    def forget(self, path: Path) -> None:
        """A crashed record was restored or declined: it is not offered again."""
        Path(path).unlink(missing_ok=True)
        Path(path).with_suffix(".lock").unlink(missing_ok=True)

    @staticmethod
    def restore(record: dict) -> Document:
        """The document kept in ``record``, pointing at its original file (if it had one)."""
        document = loads(json.dumps(record["document"]), "recovered document")
        original = record.get("original")
        document.path = Path(original) if isinstance(original, str) and original else None
        return document


__all__ = ["AUTOSAVE_MS", "DocumentError", "MAX_RECENT", "Recovery", "RecentFiles", "default_recovery_dir"]
