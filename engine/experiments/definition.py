"""The experiment definition stored in a document's optional ``experiment`` section: variables, strategy, budget.

Plain data in, frozen dataclasses out; ``experiment_from_data`` checks the structure and names the JSON path of the
first problem (what the variables mean for a given document is checked by ``engine.experiments.variants``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..json_values import key_path
from ..specs import one_line, shown

EXPERIMENT_VERSION = 1
STRATEGIES = ("grid", "random", "tpe")
MAX_TRIALS = 500  # more needs --yes (a grid grows fast)
DEFAULT_BUDGET = 20  # random / tpe without a budget
_SCALARS = (str, int, float, bool)
_MAX_WHERE = 200  # a setting path is at most this long (engine.settings): a longer one is quoted, cut


class ExperimentError(ValueError):
    """An experiment that cannot run: ``where`` names the variable, setting or URL at fault (one line)."""

    def __init__(self, where: str, message: str):
        # Both may quote the document's own text (a variable's path, a block name): kept to one line.
        where = str(where)
        if not where.isprintable():
            self.where = shown(where)
        else:  # a long folder path keeps its start and its end, where the folder's own name is
            self.where = where if len(where) <= _MAX_WHERE else f"{where[:100]}…{where[-80:]}"
        self.message = one_line(str(message))
        super().__init__(f"{self.where}: {self.message}" if self.where else self.message)


@dataclass(frozen=True)
class Variable:
    """One setting path with a list of values (a grid, or a choice for search) or a range for search."""

    path: str
    values: tuple | None = None
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None

    @property
    def is_range(self) -> bool:
        return self.values is None

    @property
    def short(self) -> str:
        """The last part of the path: ``lstm.kind`` -> ``kind``, how trials are labelled."""
        return self.path.rsplit(".", 1)[-1]

    def to_data(self) -> dict[str, Any]:
        if self.values is not None:
            return {"path": self.path, "values": list(self.values)}
        data: dict[str, Any] = {"path": self.path, "low": self.low, "high": self.high}
        if self.log:
            data["log"] = True
        if self.step is not None:
            data["step"] = self.step
        return data


@dataclass(frozen=True)
class ExperimentSpec:
    variables: tuple[Variable, ...]
    strategy: str = "grid"
    budget: int | None = None  # grid: None = every combination; random/tpe: DEFAULT_BUDGET
    repeats: int = 1  # seeds per configuration (training.seed + 0, 1, ...): mean ± std
    pruning: bool = False  # Optuna's median pruner on the per-epoch monitored metric
    name: str = "experiment"
    seed: int = 0  # the sampler's seed (random, tpe)
    extra: dict = field(default_factory=dict, compare=False)  # keys a later version may add, kept on save

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": EXPERIMENT_VERSION, "name": self.name, "strategy": self.strategy,
                                "variables": [v.to_data() for v in self.variables]}
        if self.budget is not None:
            data["budget"] = self.budget
        data.update(repeats=self.repeats, pruning=self.pruning, seed=self.seed)
        return data

    def labels(self) -> dict[str, str]:
        """Path -> the name a trial label uses: the last part, or the whole path where two would clash."""
        shorts = [v.short for v in self.variables]
        return {v.path: v.short if shorts.count(v.short) == 1 else v.path for v in self.variables}

    def label(self, values: dict[str, Any]) -> str:
        """``kind=gru, length=50``: a trial named by its values."""
        names = self.labels()
        return ", ".join(f"{_cut(names.get(p, p))}={_shown_value(v)}" for p, v in values.items())


def _shown_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value).lower() if isinstance(value, bool) else _cut(str(value))


def _cut(text: str) -> str:
    """Text in a trial's label, which tables and progress lines show on one line: escaped, at most 40 characters."""
    text = one_line(text)
    return text if len(text) <= 40 else text[:39] + "…"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _named(path: str) -> str:
    """A variable's path as its messages start: an odd or very long one (a hostile document) quoted and cut."""
    return path if path.isprintable() and len(path) <= _MAX_WHERE else shown(path)


def _variable(raw: Any, here: str) -> Variable:
    if not isinstance(raw, dict):
        raise ExperimentError(here, "must be an object such as {\"path\": \"lstm.hidden_size\", \"values\": [32, 64]}")
    path = raw.get("path")
    if not isinstance(path, str) or not path:
        raise ExperimentError(f"{here}.path", "must be a setting path such as lstm.hidden_size or training.lr")
    name = _named(path)  # it starts every message below
    unknown = set(raw) - {"path", "values", "low", "high", "log", "step"}
    if unknown:
        raise ExperimentError(key_path(here, sorted(unknown)[0]), f"{name}: is not a variable key (keys: path, "
                                                                  "values, or low, high, log, step)")
    if "values" in raw:
        if {"low", "high", "log", "step"} & set(raw):
            raise ExperimentError(here, f"{name}: give either values or a range (low, high), not both")
        values = raw["values"]
        if not isinstance(values, list):
            raise ExperimentError(f"{here}.values", f"{name}: must be a list of values")
        if not values:
            raise ExperimentError(f"{here}.values", f"{name}: the list of values is empty: give at least one")
        for i, value in enumerate(values):
            if value is not None and not isinstance(value, _SCALARS):
                raise ExperimentError(f"{here}.values[{i}]", f"{name}: must be a number, text, true/false or null, "
                                                             f"got {shown(value)}")
        if len(set(map(repr, values))) != len(values):
            raise ExperimentError(f"{here}.values", f"{name}: a value is listed twice")
        return Variable(path, tuple(values))
    if "low" not in raw or "high" not in raw:
        raise ExperimentError(here, f"{name}: give values (a list) or a range (low and high)")
    low, high, log, step = raw["low"], raw["high"], raw.get("log", False), raw.get("step")
    for key, value in (("low", low), ("high", high)):
        if not _number(value):
            raise ExperimentError(f"{here}.{key}", f"{name}: must be a finite number, got {shown(value)}")
    if not low < high:
        raise ExperimentError(here, f"{name}: low ({low}) must be below high ({high})")
    if not isinstance(log, bool):
        raise ExperimentError(f"{here}.log", f"{name}: must be true or false")
    if log and low <= 0:
        raise ExperimentError(f"{here}.low", f"{name}: a log-scale range must start above 0, got {low}")
    if step is not None and (not _number(step) or step <= 0 or log):
        raise ExperimentError(f"{here}.step", f"{name}: must be a number above 0 (and no log scale)")
    return Variable(path, None, low, high, log, step)


def _whole(raw: dict, key: str, default: Any, low: int, here: str) -> Any:
    value = raw.get(key, default)
    if value is default:
        return value
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ExperimentError(f"{here}.{key}", f"must be a whole number of at least {low}, got {shown(value)}")
    return value


def experiment_from_data(raw: Any, here: str = "$.experiment") -> ExperimentSpec:
    """The section as an ExperimentSpec; ExperimentError naming the JSON path of the first problem."""
    if not isinstance(raw, dict):
        raise ExperimentError(here, "must be an object")
    version = raw.get("version", EXPERIMENT_VERSION)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ExperimentError(f"{here}.version", "must be a positive whole number")
    if version > EXPERIMENT_VERSION:
        raise ExperimentError(f"{here}.version", f"the experiment uses version {version}, written by a newer RNN "
                                                 f"Studio; this one reads up to {EXPERIMENT_VERSION}: please update")
    name = raw.get("name", "experiment")
    if not isinstance(name, str) or not name or len(name) > 64 or not all(c.isalnum() or c in "_-" for c in name):
        raise ExperimentError(f"{here}.name", f"must be 1 to 64 letters, digits, _ or -, got {shown(name)}")
    strategy = raw.get("strategy", "grid")
    if strategy not in STRATEGIES:
        raise ExperimentError(f"{here}.strategy", f"must be one of {', '.join(STRATEGIES)}, got {shown(strategy)}")
    variables = raw.get("variables")
    if not isinstance(variables, list) or not variables:
        raise ExperimentError(f"{here}.variables", "must be a list of at least one variable")
    parsed = tuple(_variable(v, f"{here}.variables[{i}]") for i, v in enumerate(variables))
    paths = [v.path for v in parsed]
    for i, path in enumerate(paths):
        if path in paths[:i]:
            raise ExperimentError(f"{here}.variables[{i}].path", f"{_named(path)}: is varied twice")
    if strategy == "grid":
        for i, var in enumerate(parsed):
            if var.is_range:
                raise ExperimentError(f"{here}.variables[{i}]", f"{_named(var.path)}: a grid needs a list of values; a "
                                                                "range (low, high) is for random or tpe")
    budget = _whole(raw, "budget", None, 1, here)
    repeats = _whole(raw, "repeats", 1, 1, here)
    seed = _whole(raw, "seed", 0, 0, here)
    pruning = raw.get("pruning", False)
    if not isinstance(pruning, bool):
        raise ExperimentError(f"{here}.pruning", "must be true or false")
    known = {"version", "name", "strategy", "variables", "budget", "repeats", "pruning", "seed"}
    extra = {k: v for k, v in raw.items() if k not in known}
    return ExperimentSpec(parsed, strategy, budget, repeats, pruning, name, seed, extra)


def experiment_to_data(spec: ExperimentSpec) -> dict[str, Any]:
    return {**spec.extra, **spec.to_data()}
