"""Atomic file writes for documents and recovery files: a crash, a full disk or a kill mid-write never leaves
a half-written file, the file keeps its permissions, and a symbolic link stays a link to the file it names.
"""
from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

STALE_AFTER_S = 60.0  # a temporary file older than this belongs to a killed save, not to a running one
_TEMP_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"


def write_atomic(path: str | os.PathLike, payload: bytes) -> None:
    """Writes ``payload`` to a temporary file beside the target and renames it over the target.

    The target is the file a symbolic link points to (the link is kept). An existing file keeps its mode; a
    new one gets the default mode under the umask, as ``open`` gives. Temporary files of this target that a
    killed save left behind (``.<name>.<8 characters>.tmp``, older than a minute) are removed.
    """
    target = Path(os.path.realpath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None
    # A new file is created as open() would (0o666 under the umask); over an existing file, privately until
    # its own mode is set, so a 0600 document is never readable by others while it is being written.
    fd, tmp = _create_temporary(target, 0o600 if mode is not None else 0o666)
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            handle = os.fdopen(fd, "wb")
        except BaseException:
            os.close(fd)
            raise
        with handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    _sync_folder(target.parent)


def temporary_pattern(target: Path) -> re.Pattern[str]:
    """File names of temporaries for ``target`` (also those ``tempfile.mkstemp`` made in earlier versions)."""
    return re.compile(rf"\.{re.escape(target.name)}\.[a-z0-9_]{{8}}\.tmp")


def remove_stale_temporaries(target: Path, older_than_s: float = STALE_AFTER_S) -> list[Path]:
    """Removes ``target``'s temporary files older than ``older_than_s``; returns them. Never raises for I/O."""
    pattern = temporary_pattern(target)
    removed = []
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISREG(info.st_mode) and now - info.st_mtime > older_than_s:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue  # gone already, or not ours to remove: the save itself matters more
    return removed


def _create_temporary(target: Path, mode: int) -> tuple[int, str]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        suffix = "".join(secrets.choice(_TEMP_CHARS) for _ in range(8))
        tmp = str(target.parent / f".{target.name}.{suffix}.tmp")
        try:
            return os.open(tmp, flags, mode), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary file name beside {target}")


def _sync_folder(folder: Path) -> None:
    """Makes the rename itself durable; some systems cannot open or sync a folder, which is not an error."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
