"""The vocabulary of the block catalog: tensor kinds, port shapes, parameters, ports and block specs.

Everything here is plain data; the catalog entries in ``engine.blocks`` are instances of ``BlockSpec``.
"""
from __future__ import annotations

import enum
import math
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


@dataclass(frozen=True)
class Param:
    """One block parameter: type, default, allowed range or choices, and one line of help."""

    name: str
    type: type  # int, float, bool or str
    default: Any
    help: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    label: str | None = None

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is not allowed for this parameter, or None when it is."""
        if self.type is bool:
            return None if isinstance(value, bool) else "must be true or false"
        if self.type is int and (isinstance(value, bool) or not isinstance(value, int)):
            return "must be a whole number"
        if self.type is float and (isinstance(value, bool) or not isinstance(value, (int, float))):
            return "must be a number"
        if self.type is float and not math.isfinite(value):
            return "must be a finite number"
        if self.type is str and not isinstance(value, str):
            return "must be text"
        if self.choices is not None and value not in self.choices:
            return "must be one of " + ", ".join(self.choices)
        if self.min is not None and value < self.min:
            return f"must be at least {_num(self.min)}"
        if self.max is not None and value > self.max:
            return f"must be at most {_num(self.max)}"
        return None


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
