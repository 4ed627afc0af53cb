"""The first rows of a data file, read from its head only: what the Data dock previews when a file is chosen.
Reading a 40 MB CSV whole (engine.data.files.read_table) took 7 s, on the window's thread. The preview shows
what the head holds; reading the file for training checks every row and names a bad one."""
from __future__ import annotations

import csv
import io
from pathlib import Path

from .base import DataError
from .files import _delimiter, _named, _nul_error, _read_bytes, _refuse_empty_or_utf16, _unreadable

HEAD_BYTES = 256 * 1024
TABLE_SUFFIXES = (".csv", ".tsv", ".tab")


def _head(path: Path) -> str:
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # a pipe or /dev/zero: never ends
            raise DataError(f"{_named(path)}: is not a regular file (a device, pipe or socket): choose a file")
    except OSError as err:
        raise _unreadable(path, err) from None
    raw = _read_bytes(path, HEAD_BYTES + 1)
    if len(raw) > HEAD_BYTES:  # whole lines only: a cut line would show as a short last row
        raw = raw[:raw.rfind(b"\n", 0, HEAD_BYTES) + 1] or raw[:HEAD_BYTES]
    _refuse_empty_or_utf16(path, raw)
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _nul_error(path, raw, nul)
    return raw.decode("utf-8-sig", errors="replace")  # a bad byte shows as �; the full read names its place


def preview_rows(path: Path, rows: int = 20, delimiter=None) -> tuple[list[str], list[list[str]]]:
    """(header, up to ``rows`` rows) of a CSV/TSV file, or (["text"], its first lines) of any other file."""
    path = Path(path)
    text = _head(path)
    if path.suffix.lower() not in TABLE_SUFFIXES:
        return ["text"], [[line] for line in text.splitlines()[:rows]]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, delimiter))
    header: list[str] | None = None
    shown: list[list[str]] = []
    try:
        for cells in reader:
            if header is None:
                header = [h.strip() for h in cells]
            elif any(c.strip() for c in cells):
                shown.append(cells)
                if len(shown) >= rows:
                    break
    except csv.Error as err:  # a stray quote, a huge cell: the rows before it are shown
        if header is None:
            raise DataError(f"{path.name}, row 1 (header): not valid CSV ({err})") from None
    if not header or not any(header):
        raise DataError(f"{path.name}, row 1 (header): the header row has no column names")
    return header, shown
