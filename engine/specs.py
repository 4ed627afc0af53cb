"""The vocabulary of the block catalog: tensor kinds, port shapes, parameters, ports and block specs.

Everything here is plain data; the catalog entries in ``engine.blocks`` are instances of ``BlockSpec``.
"""
from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping


class TensorKind(str, enum.Enum):
    """What flows along an edge. The value is the word a learner reads in diagnostics."""

    TOKENS = "token ids"
    SEQUENCE = "a feature sequence"
    VECTOR = "a vector"
    STATE = "a recurrent state"

    @property
    def layout(self) -> str:
        return {
            TensorKind.TOKENS: "[batch, time]",
            TensorKind.SEQUENCE: "[batch, time, features]",
            TensorKind.VECTOR: "[batch, features]",
            TensorKind.STATE: "recurrent state",
        }[self]


@dataclass(frozen=True)
class StateInfo:
    """Identity of a recurrent state, so that only a compatible recurrent block may start from it."""

    cell: str  # "lstm", "gru", "rnn"
    layers: int
    directions: int
    hidden: int

    def describe(self) -> str:
        """E.g. "LSTM state (h, c) [2, B, 64]": the first axis counts layers times directions, as in PyTorch."""
        parts = " (h, c)" if self.cell == "lstm" else ""
        return f"{self.cell.upper()} state{parts} [{self.layers * self.directions}, B, {self.hidden}]"


@dataclass(frozen=True)
class PortShape:
    """The inferred shape of one port.

    ``time`` names the input block whose time axis (and so whose lengths) a sequence carries.
    ``activation`` records the last activation applied, so heads compute a numerically sound loss.
    """

    kind: TensorKind
    features: int | None = None
    vocab: int | None = None
    time: str | None = None
    state: StateInfo | None = None
    activation: str | None = None

    def with_(self, **changes: Any) -> "PortShape":
        return replace(self, **changes)

    def describe(self, time_label: str = "T") -> str:
        if self.kind is TensorKind.TOKENS:
            return f"[B, {time_label}]"
        if self.kind is TensorKind.SEQUENCE:
            return f"[B, {time_label}, {self.features}]"
        if self.kind is TensorKind.VECTOR:
            return f"[B, {self.features}]"
        return self.state.describe() if self.state else "state"


INT64_MAX = 2**63 - 1  # whole numbers must fit torch's int64 (seeds, sizes); larger ones are refused
INT64_MIN = -(2**63)
_SHOWN = 40  # characters of a refused value quoted in a message (a 400-digit number is cut)


@dataclass(frozen=True)
class Param:
    """One setting of a block, a dataset or the trainer: type, default, range or choices, help, and when it applies.

    ``type`` is int, float, bool, str or list (a list of ``items``, drawn from ``choices`` when given).
    ``when`` maps other settings to the values under which this one applies, e.g. {"optimizer": ("sgd",)}:
    plain data, so forms grey the row out and the CLI can say why. ``nullable`` allows None ("none").
    """

    name: str
    type: type  # int, float, bool, str or list
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    label: str | None = None
    when: Any = ()  # {setting: allowed values}; stored as a tuple of (setting, values) pairs so Params hash
    nullable: bool = False
    min_open: bool = False  # the minimum itself is not allowed (a learning rate must be above 0)
    items: type = str  # list: the type of each item
    size: int | None = None  # list: exactly this many items
    total: float | None = None  # list of numbers: they add up to this (split fractions add up to 1)
    prefix: str | None = None  # text: must start with this (validation metrics start with "val_")
    pattern: str | None = None  # text: a regular expression the whole text matches (as data, for forms too)
    pattern_help: str = ""  # what ``pattern`` means, for the message: "one character, or tab"
    suggestions: tuple[str, ...] = ()  # text: values a form offers; others are allowed
    hint: str | None = None  # what a form may offer beyond the type: "file", "column", "columns"

    def __post_init__(self) -> None:
        when = self.when.items() if isinstance(self.when, Mapping) else (self.when or ())
        pairs = tuple((str(k), tuple(v) if isinstance(v, (list, tuple, set, frozenset)) else (v,)) for k, v in when)
        object.__setattr__(self, "when", pairs)
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    @property
    def conditions(self) -> dict[str, tuple]:
        """``when`` as a mapping: setting -> the values under which this parameter applies."""
        return dict(self.when)

    def applies(self, values: Mapping[str, Any]) -> bool:
        """Whether this setting matters given the other ``values`` (a setting not in ``values`` does not limit it)."""
        return all(values[k] in allowed for k, allowed in self.when if k in values)

    def when_text(self) -> str:
        """E.g. "only when optimizer is sgd or rmsprop"; empty for a setting that always applies."""
        parts = [f"{k} is {' or '.join(str(v) for v in allowed)}" for k, allowed in self.when]
        return "only when " + " and ".join(parts) if parts else ""

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed for this parameter, or None when it is. Never raises."""
        if value is None:
            return None if self.nullable else f"must be {self.describe_type()}, not none"
        if self.type is list:
            return self._list_problem(value)
        problem = _scalar_problem(value, self.type, self.choices, self.min, self.max, self.min_open, self.prefix,
                                  self.suggestions)
        if problem is None and self.pattern is not None and isinstance(value, str) \
                and not re.fullmatch(self.pattern, value, re.DOTALL):
            problem = f"must be {self.pattern_help or 'text matching ' + self.pattern}"
        return problem

    def _list_problem(self, value: Any) -> str | None:
        if isinstance(value, str) and self.items is str and self.choices is None:
            value = [v.strip() for v in value.split(",") if v.strip()]  # older documents: "a,b" for ["a", "b"]
        if not isinstance(value, (list, tuple)):
            return f"must be a list of {_TYPE_WORDS[self.items][1]}"
        if self.size is not None and len(value) != self.size:
            return f"must hold {self.size} values"
        for item in value:
            problem = _scalar_problem(item, self.items, None, self.min, self.max, self.min_open, None, ())
            if problem:
                return f"{shown(item)}: {problem}"
            if self.choices is not None and item not in self.choices:
                return f"may only hold {', '.join(self.choices)}; {shown(item)} is not one of them"
        if self.items is str and len(set(map(repr, value))) != len(value):  # probes, columns: a set
            return "must not repeat a value"
        if self.total is not None and not math.isclose(sum(value), self.total, abs_tol=1e-6):
            return f"must add up to {_num(self.total)}"
        return None

    def describe_type(self) -> str:
        """The kind of value, in words: "a whole number", "a list of text", ..."""
        if self.type is list:
            return f"a list of {_TYPE_WORDS[self.items][1]}"
        return _TYPE_WORDS.get(self.type, ("a value",))[0]

    def describe(self) -> str:
        """One line for help texts: type, range or choices, default and when it applies."""
        if self.choices is not None:
            kind = ("some of " if self.type is list else "one of ") + "|".join(self.choices)
        else:
            kind = self.describe_type()
            low = None if self.min is None else (">" if self.min_open else ">=") + " " + _num(self.min)
            high = None if self.max is None else "<= " + _num(self.max)
            bounds = ", ".join(b for b in (low, high) if b)
            kind += f" ({bounds})" if bounds else ""
        if self.nullable:
            kind += " or none"
        text = f"{kind}; default {format_value(self.default)}"
        return text + (f"; {self.when_text()}" if self.when else "")


_TYPE_WORDS = {int: ("a whole number", "whole numbers"), float: ("a number", "numbers"),
               bool: ("true or false", "true/false values"), str: ("text", "text"), list: ("a list", "lists")}


def _scalar_problem(value, kind, choices, low, high, low_open, prefix, suggestions) -> str | None:
    if kind is bool:
        return None if isinstance(value, bool) else "must be true or false"
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return "must be a whole number"
        if not INT64_MIN <= value <= INT64_MAX:  # torch and numpy cannot hold it
            return f"must be at {'most' if value > 0 else 'least'} {INT64_MAX if value > 0 else INT64_MIN}"
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "must be a number"
        try:
            finite = math.isfinite(value)
        except OverflowError:  # an int too large for a float (a 400-digit number)
            return "is too large: must be a finite number"
        if not finite:
            return "must be a finite number"
    if kind is str:
        if not isinstance(value, str):
            return "must be text"
        if prefix and not value.startswith(prefix):
            examples = " or ".join(suggestions[:2]) if suggestions else prefix + "..."
            return f"must start with {prefix}, such as {examples}"
    if choices is not None and value not in choices:
        return "must be one of " + ", ".join(choices)
    if kind in (int, float):  # exact comparisons: Python compares big ints and floats without converting
        if low is not None and (value <= low if low_open else value < low):
            return f"must be {'greater than' if low_open else 'at least'} {_num(low)}"
        if high is not None and value > high:
            return f"must be at most {_num(high)}"
    return None


def shown(value: Any) -> str:
    """``repr(value)`` cut to a readable length, for messages that quote a refused value."""
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN - 3] + "..."


def one_line(text: str) -> str:
    """``text`` with every character that is not printable (newline, carriage return, tab, NUL, U+2028 ...) written
    as its escape: an error message stays one line whatever file name, column or document text it quotes."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def format_value(value: Any) -> str:
    """A value as a user types it on the command line: none, true/false, 0.001, a,b."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(format_value(v) for v in value)
    return str(value)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Port:
    """An input or output of a block. ``kinds`` lists the tensor kinds an input accepts."""

    name: str
    kinds: tuple[TensorKind, ...]
    help: str = ""
    optional: bool = False

    @property
    def kind(self) -> TensorKind:
        return self.kinds[0]


class ShapeError(Exception):
    """Raised by a shape rule: ``port`` is the offending input port (or None for the block)."""

    def __init__(self, port: str | None, message: str):
        super().__init__(message)
        self.port = port
        self.message = message


ShapeRule = Callable[[Mapping[str, Any], Mapping[str, PortShape]], dict[str, PortShape]]
Builder = Callable[[Mapping[str, Any], Mapping[str, PortShape]], Any]


@dataclass(frozen=True)
class HeadSpec:
    """What an output head adds: its task, so the trainer knows the loss, metrics and targets."""

    task: str  # "classification", "regression", "labelling", "language_model"


@dataclass(frozen=True)
class BlockSpec:
    """One catalog entry: everything the editor, shape checker and compiler know of a block kind.

    ``lengths_of`` names the input ports whose sequence lengths the module receives, in order, after
    its inputs. ``shape`` infers output shapes from parameters and input shapes (raising ShapeError);
    ``build`` makes the torch module. ``legacy_ids`` lets documents that use an old id still load.
    """

    id: str
    title: str
    category: str
    description: str
    params: tuple[Param, ...]
    inputs: tuple[Port, ...]
    outputs: tuple[Port, ...]
    shape: ShapeRule
    build: Builder
    lengths_of: tuple[str, ...] = ()
    head: HeadSpec | None = None
    version: int = 1
    legacy_ids: tuple[str, ...] = ()
    name_prefix: str = ""
    key_params: tuple[str, ...] = field(default=())

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def input(self, name: str) -> Port:
        for p in self.inputs:
            if p.name == name:
                return p
        raise KeyError(name)

    def output(self, name: str) -> Port:
        for p in self.outputs:
            if p.name == name:
                return p
        raise KeyError(name)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    @property
    def is_input(self) -> bool:
        return not self.inputs

    @property
    def prefix(self) -> str:
        return self.name_prefix or self.id
