"""The vocabulary of the data part: DataError, dataset and field specs, and the raw Table a loader returns.

A dataset loader gives a Table of whole samples; prepare_data splits, tokenizes, scales and batches it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from ..specs import Param, one_line


class DataError(ValueError):
    """A dataset or data file that cannot be used; the message names the file, row and column when it can.

    Always one line: a newline (or another unprintable character) in a quoted file name, column or binding key is
    written as its escape."""

    def __init__(self, message: str = ""):
        super().__init__(one_line(str(message)))


# Field kinds: what one sample of a field holds.
TOKENS = "tokens"          # [T] int64 token ids, variable length, 0 is padding
SEQUENCE = "sequence"      # [T, F] float32
TEXT = "text"              # a str, tokenized by prepare_data into TOKENS with a vocabulary fitted on train
CLASS = "class"            # int64 scalar: a class index (label names in the table's labels)
BINARY = "binary"          # float32 scalar 0/1
VALUE = "value"            # [F] float32: a regression target
STEP_CLASSES = "step_classes"  # [T] int64 class per step, aligned with an input field; padding is -100

KINDS = (TOKENS, SEQUENCE, TEXT, CLASS, BINARY, VALUE, STEP_CLASSES)
IGNORE_INDEX = -100  # what losses skip (PyTorch's nll_loss default)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a dataset: an input or a target, its kind and, for per-step targets, its time field."""

    name: str
    role: str  # "input" or "target"
    kind: str
    description: str
    time: str | None = None  # STEP_CLASSES: the input field whose lengths it follows


def OptionSpec(name: str, default: Any, help: str, **schema: Any) -> Param:
    """A dataset option: a ``Param`` whose type follows its default (None: nullable text) unless given.

    Kept under its old name so registry entries read as before; ``schema`` takes any other Param field."""
    kind = schema.pop("type", None) or (str if default is None else type(default))
    if isinstance(default, list):
        default = tuple(default)  # Params are hashable
    return Param(name, list if kind is tuple else kind, default, help, nullable=schema.pop("nullable", default is None),
                 **schema)


@dataclass(frozen=True)
class DatasetSpec:
    """A registry entry: what the dataset is, where it comes from, and how to load it."""

    name: str
    task: str  # regression, classification, forecasting, language_model, seq2seq, labelling
    description: str
    source: str
    licence: str
    samples: str  # for the table, e.g. "12,808" or "10,000 (option samples)"
    fields: tuple[FieldSpec, ...]
    options: tuple[Param, ...]  # each has .name, .default, .help (and type, range, choices)
    load: Callable[[dict, "LoadContext"], "Table"]
    package: str | None = None  # the importable module it needs (installed by the datasets extra)
    pip: str | None = None  # the distribution that provides ``package``
    ordered: bool = False  # a time series: split chronologically, never shuffled across the split

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise DataError(f"dataset '{self.name}' has no field '{name}'; its fields are "
                        f"{', '.join(f.name for f in self.fields)}")

    def defaults(self) -> dict:
        return {o.name: list(o.default) if isinstance(o.default, tuple) else o.default for o in self.options}

    def option(self, name: str) -> Param:
        for o in self.options:
            if o.name == name:
                return o
        raise DataError(f"dataset '{self.name}' has no option '{name}'; its options are "
                        f"{', '.join(o.name for o in self.options) or 'none'}")


@dataclass
class LoadContext:
    seed: int
    base_dir: Any = None  # a pathlib.Path: where relative file paths in options are resolved
    split: tuple[float, float, float] = (0.8, 0.1, 0.1)


@dataclass
class Table:
    """Whole samples of one dataset, before splitting. ``columns[field]`` is a list (one item per sample) or,
    for fixed-size fields, a tensor whose first axis is the sample."""

    columns: dict[str, Any]
    labels: dict[str, list[str]] = field(default_factory=dict)  # CLASS/BINARY field -> label names
    vocab: dict[str, list[str]] = field(default_factory=dict)  # TOKENS field -> tokens (index = id)
    feature_names: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)  # goes into DataMeta.extra (e.g. scaler, source)
    # Ordered datasets give their own split: split name -> sample indices (chronological).
    splits: dict[str, list[int]] | None = None

    def __len__(self) -> int:
        first = next(iter(self.columns.values()))
        return len(first)

