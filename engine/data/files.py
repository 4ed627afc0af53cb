"""The user's own files: CSV time series, CSV/TSV text classification and plain text for a character LM.
A bad file gives one DataError naming the file, the row (as numbered in a spreadsheet: header = 1) and column.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from ..lazy import torch  # imported at first use: the window and shape checks start without it

from ..specs import shown
from .base import DataError, LoadContext, Table
from .builtin import lm_table
from .series import windows

SNIPPET = 20  # characters of a cell quoted in an error message
NAMED = 40  # characters of a column name a message quotes, and how many names it lists (a header may hold texts)


def resolve(path_option, ctx: LoadContext, dataset: str) -> Path:
    if not path_option:
        raise DataError(f"dataset '{dataset}' needs the option 'path': the file to read")
    path = Path(str(path_option))
    try:
        path = path.expanduser()
    except RuntimeError:  # "~someone/..." for a user this machine does not have
        raise DataError(f"{_named(path)}: no such file (there is no user {path.parts[0][1:]!r} whose home "
                        f"folder '~' could mean)") from None
    if not path.is_absolute() and ctx.base_dir is not None:
        path = Path(ctx.base_dir) / path
    try:
        if path.is_dir():
            raise DataError(f"{_named(path)}: is a folder, not a file: choose a file inside it")
        if path.exists() and not path.is_file():  # reading a pipe or /dev/zero would never end
            raise DataError(f"{_named(path)}: is not a regular file (a device, pipe or socket): choose a file")
        if not path.is_file():
            raise DataError(f"{_named(path)}: no such file")
    except OSError as err:  # pathlib answers False only for a few errors: a name too long, a folder not searchable
        raise _unreadable(path, err) from None
    return path


def _named(path: Path) -> str:
    """The path for a message: only its start and end where it is too long to read (a hostile option)."""
    text = str(path)
    return text if len(text) <= 200 else f"{text[:100]}…{text[-80:]}"


def _unreadable(path: Path, err: OSError) -> DataError:
    if isinstance(err, PermissionError):
        return DataError(f"{_named(path)}: permission denied: the file cannot be read by this user")
    reason = (err.strerror or type(err).__name__).lower()  # an I/O error, a file on a vanished network drive, ...
    return DataError(f"{_named(path)}: cannot be read ({reason})")


def _read_bytes(path: Path, limit: int = -1) -> bytes:
    """The file's bytes (its first ``limit`` ones where given); a DataError naming why it cannot be read."""
    try:
        if limit < 0:
            return path.read_bytes()
        with path.open("rb") as file:
            return file.read(limit)
    except IsADirectoryError:
        raise DataError(f"{_named(path)}: is a folder, not a file: choose a file inside it") from None
    except FileNotFoundError:
        raise DataError(f"{_named(path)}: no such file") from None
    except OSError as err:
        raise _unreadable(path, err) from None


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a byte-order mark is dropped); undecodable bytes and NUL bytes name their
    row and column."""
    raw = _read_bytes(path)
    _refuse_empty_or_utf16(path, raw)
    nul = raw.find(b"\x00")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        if 0 <= nul < err.start:
            raise _nul_error(path, raw, nul) from None
        row, where = _place(path, raw, err.start)
        raise DataError(f"{path.name}, row {row}, {where}: byte 0x{raw[err.start]:02x} is not UTF-8 text; "
                        f"save the file as UTF-8") from None
    if nul >= 0:
        raise _nul_error(path, raw, nul)
    return text


def _refuse_empty_or_utf16(path: Path, raw: bytes) -> None:
    if not raw.strip():
        raise DataError(f"{path.name}: the file is empty")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(f"{path.name}, row 1: the file is UTF-16 text (it starts with a UTF-16 byte-order mark); "
                        f"save it as UTF-8")


def _nul_error(path: Path, raw: bytes, at: int) -> DataError:
    # NUL bytes mean a binary file or UTF-16 text; the csv module would read them as characters of a cell.
    row, where = _place(path, raw, at)
    return DataError(f"{path.name}, row {row}, {where}: a NUL byte (0x00): this is not a text file (or it is "
                     f"UTF-16); save it as UTF-8 text")


def _place(path: Path, raw: bytes, at: int) -> tuple[int, str]:
    """(row, 'column ...' or 'character n') of byte offset ``at``."""
    line_start = raw.rfind(b"\n", 0, at) + 1
    row = raw.count(b"\n", 0, at) + 1
    prefix = raw[line_start:at].decode("utf-8", errors="replace")
    return row, _csv_column(path, raw, prefix)


def _csv_column(path: Path, raw: bytes, prefix: str) -> str:
    """Names the CSV column in which a bad byte sits, when the header can be read; else the character."""
    if path.suffix.lower() in (".csv", ".tsv", ".tab"):
        header_line = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        delimiter = _delimiter(path, None)
        clean = [(text.splitlines() or [""])[0].replace("\x00", "") for text in (header_line, prefix)]
        try:
            header = next(csv.reader([clean[0]], delimiter=delimiter), [])
            index = len(next(csv.reader([clean[1]], delimiter=delimiter), [""])) - 1
        except csv.Error:  # a stray quote or carriage return: fall back to the character
            index, header = -1, []
        if 0 <= index < len(header) and clean[1] == prefix:
            return f"column '{_cut(header[index].strip())}'"
    return f"character {len(prefix) + 1}"


def _delimiter(path: Path, option) -> str:
    if option:
        delimiter = "\t" if option in ("tab", "\\t") else str(option)
        if len(delimiter) != 1 or delimiter in "\"\r\n":
            raise DataError(f"option 'delimiter' must be one character (or 'tab'), not {option!r}")
        return delimiter
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


class _Lines:
    """The file's lines for csv.reader, counting where the next unread line starts (csv reads no further
    than it needs, so before each record this is where the record begins)."""

    def __init__(self, text: str):
        self.pos = 0
        self._lines = iter(io.StringIO(text, newline=""))

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.pos += len(line)
        return line


def _stop(text: str, pos: int, delimiter: str) -> int:
    """Where the unquoted cell starting at ``pos`` ends: its delimiter, the end of its line, or of the text."""
    ends = [i for i in (text.find(delimiter, pos), text.find("\n", pos), text.find("\r", pos)) if i >= 0]
    return min(ends) if ends else len(text)


def _cells(text: str, start: int, delimiter: str):
    """(start, end, closed) of each cell of the record at offset ``start``, scanned the way the csv module
    reads it (a quote opens a cell only at its start; "" inside is a quote). Uses str.find, so a huge cell
    costs no Python loop per character."""
    pos, n = start, len(text)
    while True:
        if pos < n and text[pos] == '"':
            search = pos + 1
            while True:
                close = text.find('"', search)
                if close < 0:
                    yield pos, n, False
                    return
                if text.startswith('"', close + 1):
                    search = close + 2
                    continue
                break
            end = _stop(text, close + 1, delimiter)
        else:
            end = _stop(text, pos, delimiter)
        yield pos, end, True
        if end >= n or text[end] in "\r\n":
            return
        pos = end + 1


def _column_name(header: list[str] | None, index: int) -> str:
    if header is not None and index < len(header):
        return f"column '{_cut(header[index])}'"
    return f"column {index + 1}"


def _cut(name: str) -> str:
    return name if len(name) <= NAMED else name[:NAMED] + "…"


def _columns(header: list[str]) -> str:
    """The header's column names for a message, each cut, at most NAMED of them."""
    listed = ", ".join(_cut(name) for name in header[:NAMED])
    return listed if len(header) <= NAMED else f"{listed}, … ({len(header):,} columns)"


def _snippet(text: str, pos: int) -> str:
    cut = text[pos:pos + SNIPPET].splitlines()[0] if text[pos:pos + SNIPPET] else ""
    return cut + ("…" if len(cut) == SNIPPET else "")


def _unclosed_quote(path: Path, text: str, start: int, row: int, header, delimiter: str) -> DataError | None:
    for index, (begin, _end, closed) in enumerate(_cells(text, start, delimiter)):
        if not closed:
            at = row + text.count("\n", start, begin)
            return DataError(f"{path.name}, row {at}, {_column_name(header, index)}: a quote opens here and is "
                             f"never closed ({_snippet(text, begin)}), so the rest of the file would read as one "
                             f"cell: close it with another \" (inside a quoted cell, write \"\" for a quote)")
    return None


def _oversized(path: Path, text: str, start: int, row: int, header, delimiter: str) -> DataError:
    unclosed = _unclosed_quote(path, text, start, row, header, delimiter)
    if unclosed is not None:
        return unclosed
    limit = csv.field_size_limit()
    for index, (begin, end, _closed) in enumerate(_cells(text, start, delimiter)):
        if end - begin > limit:
            at = row + text.count("\n", start, begin)
            return DataError(f"{path.name}, row {at}, {_column_name(header, index)}: a cell of more than "
                             f"{limit:,} characters (it starts {_snippet(text, begin)}): is the delimiter wrong?")
    return DataError(f"{path.name}, row {row}: a cell of more than {limit:,} characters")


def read_table(path: Path, delimiter=None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) of a CSV/TSV file; rows with a wrong number of cells are an error."""
    text = read_text(path)
    sep = _delimiter(path, delimiter)
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=sep)
    header: list[str] | None = None
    rows = []
    while True:
        start, row = lines.pos, reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            if "field larger than field limit" in str(err):
                raise _oversized(path, text, start, row, header, sep) from None
            raise DataError(f"{path.name}, row {row}: not valid CSV ({err})") from None
        if lines.pos >= len(text):  # the last record: an unclosed quote swallows everything up to here
            problem = _unclosed_quote(path, text, start, row, header, sep)
            if problem is not None:
                raise problem
        if header is None:
            header = [h.strip() for h in cells]
            if not any(header):
                raise DataError(f"{path.name}, row {row} (header): the header row has no column names")
            continue
        if not any(c.strip() for c in cells):
            continue  # blank line
        if len(cells) != len(header):
            raise DataError(f"{path.name}, row {row}: {len(cells)} cells, but the header has "
                            f"{len(header)} columns ({_columns(header)})")
        rows.append((row, cells))
    if not rows:
        raise DataError(f"{path.name}: the file has a header row but no data rows")
    return header, rows


def _column(path: Path, header: list[str], name: str) -> int:
    if name not in header:
        raise DataError(f"{path.name}, row 1 (header): no column '{_cut(name)}'; the columns are {_columns(header)}")
    places = [str(i + 1) for i, column in enumerate(header) if column == name]
    if len(places) > 1:  # which one was meant is anyone's guess: taking the first would be silent
        raise DataError(f"{path.name}, row 1 (header): {len(places)} columns are named '{_cut(name)}' (columns "
                        f"{', '.join(places[:NAMED])}): rename all but one")
    return header.index(name)


def _number(path: Path, row: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        what = "is empty" if not cell.strip() else f"has {shown(cell.strip())}, which is not a number"
        raise DataError(f"{path.name}, row {row}, column '{_cut(column)}' {what}") from None
    if value != value or value in (float("inf"), float("-inf")):
        written = cell.strip().lower().lstrip("+-") in ("inf", "infinity")  # else a finite number too large to hold
        reason = "numbers must be finite" if written or value != value else "too large (at most about 1.8e308)"
        raise DataError(f"{path.name}, row {row}, column '{_cut(column)}' has {shown(cell.strip())}: {reason}")
    return value


def _names(option) -> list[str] | None:
    if option in (None, "", []):
        return None
    if isinstance(option, str):  # "a, b"; only commas and blanks name no column: the default, as "" does
        return [c.strip() for c in option.split(",") if c.strip()] or None
    return [str(c) for c in option]


def csv_series(options: dict, ctx: LoadContext) -> Table:
    """Columns of a CSV (rows in time order) as a multivariate series; windows predict the target columns."""
    path = resolve(options.get("path"), ctx, "csv_series")
    header, rows = read_table(path, options.get("delimiter"))
    columns = _names(options.get("columns"))
    if columns is None:  # every column whose first value is a number (a date column is left out)
        columns = [h for h, cell in zip(header, rows[0][1]) if _is_number(cell)]
        if not columns:
            raise DataError(f"{path.name}, row {rows[0][0]}: no column holds numbers; name them in option 'columns'")
    index = [_column(path, header, c) for c in columns]
    targets = _names(options.get("targets")) or columns
    for t in targets:
        if t not in columns:
            _column(path, header, t)  # names a column missing from the file first
            raise DataError(f"{path.name}: target column '{_cut(t)}' must also be one of the input columns "
                            f"({_columns(columns)})")
    values = torch.tensor([[_number(path, r, header[i], cells[i]) for i in index] for r, cells in rows],
                          dtype=torch.float64)
    table = windows(values, window=options["window"], horizon=options["horizon"], split=ctx.split,
                    scaler=options["scaler"], targets=[columns.index(t) for t in targets], names=columns,
                    where=path.name)
    table.extra["file"] = path.name
    return table


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return False


def csv_text(options: dict, ctx: LoadContext) -> Table:
    """A text column and a label column; labels are sorted names, their index is the class."""
    path = resolve(options.get("path"), ctx, "csv_text")
    header, rows = read_table(path, options.get("delimiter"))
    text_col, label_col = str(options["text_column"]), str(options["label_column"])
    ti, li = _column(path, header, text_col), _column(path, header, label_col)
    texts, raw_labels = [], []
    for row, cells in rows:
        if not cells[ti].strip():
            raise DataError(f"{path.name}, row {row}, column '{_cut(text_col)}' is empty: every sample needs text")
        if not cells[li].strip():
            raise DataError(f"{path.name}, row {row}, column '{_cut(label_col)}' is empty: every sample needs a "
                            f"label")
        texts.append(cells[ti])
        raw_labels.append(cells[li].strip())
    names = sorted(set(raw_labels), key=_label_key)
    if len(names) < 2:
        raise DataError(f"{path.name}, column '{_cut(label_col)}': only one label ({shown(names[0])}); a classifier "
                        f"needs two or more")
    lookup = {n: i for i, n in enumerate(names)}
    labels = torch.tensor([lookup[n] for n in raw_labels])
    text_options = {"tokenizer": options["tokenizer"], "lowercase": options["lowercase"],
                    "max_vocab": options.get("max_vocab"), "min_freq": options["min_freq"],
                    "max_length": options.get("max_length")}
    return Table({"text": texts, "label": labels}, labels={"label": names}, extra={"text": {"text": text_options},
                                                                                   "file": path.name})


def _label_key(name: str):
    """Numeric labels sort as numbers (so '0', '1', '10'), others alphabetically."""
    return (0, float(name), "") if _is_number(name) else (1, 0.0, name)


def text_file(options: dict, ctx: LoadContext) -> Table:
    """Plain UTF-8 text for a character language model."""
    path = resolve(options.get("path"), ctx, "text_file")
    text = read_text(path)
    limit = int(options.get("max_chars") or 0)
    table = lm_table(text[:limit] if limit else text, options["length"], path.name, options.get("max_vocab"))
    table.extra["file"] = path.name
    return table
