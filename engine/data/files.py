"""The user's own files: CSV time series, CSV/TSV text classification and plain text for a character LM.
A bad file gives one DataError naming the file, the row (as numbered in a spreadsheet: header = 1) and column.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

import torch

from .base import DataError, LoadContext, Table
from .builtin import lm_table
from .series import windows


def resolve(path_option, ctx: LoadContext, dataset: str) -> Path:
    if not path_option:
        raise DataError(f"dataset '{dataset}' needs the option 'path': the file to read")
    path = Path(str(path_option)).expanduser()
    if not path.is_absolute() and ctx.base_dir is not None:
        path = Path(ctx.base_dir) / path
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    return path


def read_text(path: Path) -> str:
    """The file decoded as UTF-8 (a byte-order mark is dropped); undecodable bytes name their row and column."""
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path.name}: the file is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line_start = raw.rfind(b"\n", 0, err.start) + 1
        row = raw.count(b"\n", 0, err.start) + 1
        prefix = raw[line_start:err.start].decode("utf-8", errors="replace")
        where = _csv_column(path, raw, prefix)
        raise DataError(f"{path.name}, row {row}, {where}: byte 0x{raw[err.start]:02x} is not UTF-8 text; "
                        f"save the file as UTF-8") from None


def _csv_column(path: Path, raw: bytes, prefix: str) -> str:
    """Names the CSV column in which a bad byte sits, when the header can be read; else the character."""
    if path.suffix.lower() in (".csv", ".tsv", ".tab"):
        header_line = raw.split(b"\n", 1)[0].decode("utf-8", errors="replace")
        delimiter = _delimiter(path, None)
        header = next(csv.reader([header_line], delimiter=delimiter), [])
        index = len(next(csv.reader([prefix], delimiter=delimiter), [""])) - 1
        if 0 <= index < len(header):
            return f"column '{header[index].strip()}'"
    return f"character {len(prefix) + 1}"


def _delimiter(path: Path, option) -> str:
    if option:
        return "\t" if option in ("tab", "\\t") else str(option)
    return "\t" if path.suffix.lower() in (".tsv", ".tab") else ","


def read_table(path: Path, delimiter=None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and (row number, cells) of a CSV/TSV file; rows with a wrong number of cells are an error."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(path, delimiter))
    try:
        header = [h.strip() for h in next(reader)]
        rows = []
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue  # blank line
            if len(cells) != len(header):
                raise DataError(f"{path.name}, row {reader.line_num}: {len(cells)} cells, but the header has "
                                f"{len(header)} columns ({', '.join(header)})")
            rows.append((reader.line_num, cells))
    except csv.Error as err:
        raise DataError(f"{path.name}, row {reader.line_num}: not valid CSV ({err})") from None
    if not rows:
        raise DataError(f"{path.name}: the file has a header row but no data rows")
    return header, rows


def _column(path: Path, header: list[str], name: str) -> int:
    if name not in header:
        raise DataError(f"{path.name}, row 1 (header): no column '{name}'; the columns are {', '.join(header)}")
    return header.index(name)


def _number(path: Path, row: int, column: str, cell: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        what = "is empty" if not cell.strip() else f"has {cell.strip()!r}, which is not a number"
        raise DataError(f"{path.name}, row {row}, column '{column}' {what}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DataError(f"{path.name}, row {row}, column '{column}' has {cell.strip()!r}: numbers must be finite")
    return value


def _names(option) -> list[str] | None:
    if option in (None, "", []):
        return None
    if isinstance(option, str):
        return [c.strip() for c in option.split(",") if c.strip()]
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
            raise DataError(f"{path.name}: target column '{t}' must also be one of the input columns "
                            f"({', '.join(columns)})")
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
            raise DataError(f"{path.name}, row {row}, column '{text_col}' is empty: every sample needs text")
        if not cells[li].strip():
            raise DataError(f"{path.name}, row {row}, column '{label_col}' is empty: every sample needs a label")
        texts.append(cells[ti])
        raw_labels.append(cells[li].strip())
    names = sorted(set(raw_labels), key=_label_key)
    if len(names) < 2:
        raise DataError(f"{path.name}, column '{label_col}': only one label ({names[0]!r}); a classifier needs two or more")
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
