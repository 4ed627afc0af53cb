"""File locks that let several sweeps of one experiment on one machine share its folder safely.

A sweep holds a shared lock on ``<folder>/sweep.lock`` while it runs. Only a sweep that gets the lock
exclusively (nobody else is running this experiment) may fail trials left "running" as stale: with another
sweep alive they are that sweep's, not a killed one's. Creating the folder is serialised by a lock on the
experiments directory, so two sweeps started at once join one study instead of each making its own.
Locks are advisory ``flock`` locks, released by the kernel when a process dies; where ``fcntl`` does not
exist (Windows) every sweep counts as alone, the behaviour before these locks.
"""
from __future__ import annotations

import os
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

SWEEP_LOCK = "sweep.lock"
FOLDER_LOCK = ".create.lock"


class FileLock:
    """An advisory lock on one file, kept open while held."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._fd: int | None = None

    def _open(self) -> int:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        return self._fd

    def try_exclusive(self) -> bool:
        """Takes the lock exclusively if nobody holds it; whether it did."""
        if fcntl is None:
            return True
        try:
            fcntl.flock(self._open(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False

    def exclusive(self) -> None:
        if fcntl is not None:
            fcntl.flock(self._open(), fcntl.LOCK_EX)

    def shared(self) -> None:
        """Holds the lock shared (downgrades an exclusive one): others may share it, none may take it alone."""
        if fcntl is not None:
            fcntl.flock(self._open(), fcntl.LOCK_SH)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None

    def __enter__(self) -> "FileLock":
        self.exclusive()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def hold_sweep(folder: Path) -> tuple[FileLock, bool]:
    """Joins the sweeps of ``folder``: returns the held lock and whether this sweep is the only one running it."""
    lock = FileLock(Path(folder) / SWEEP_LOCK)
    alone = lock.try_exclusive()
    if not alone:
        lock.shared()
    return lock, alone
