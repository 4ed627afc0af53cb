"""The experiment section as the window edits it, without widgets: a variable's first values or range from its
Param (what Vary… proposes), reading typed values, checking a variable against the document, and the new section
with a variable added, replaced or removed (each the value of one SetSectionCommand).
"""
from __future__ import annotations

import copy
import math
from typing import Any

from engine.document import Document
from engine.experiments import ExperimentError, experiment_from_data
from engine.experiments.variants import check_variable, is_kind_path
from engine.settings import SettingError, parse_value
from engine.specs import Param, format_value, shown

from .panel import describe  # noqa: F401 - part of this module's face; the panel needs it without Optuna


def _round(x: float) -> float:
    return float(f"{x:.3g}")


def default_values(param: Param, current: Any) -> list:
    """A first grid for ``param``: every choice, both truth values, or three numbers around ``current`` (half, it,
    double; for 0 a tenth and a fifth of the range) that the Param allows; otherwise just ``current``."""
    if param.choices is not None and param.type is not list:
        return list(param.choices)
    if param.type is bool:
        return [False, True]
    if param.type in (int, float) and isinstance(current, (int, float)) and not isinstance(current, bool):
        if current == 0:
            span = (param.max - param.min) if param.min is not None and param.max is not None else 1.0
            candidates = [0, span / 10, span / 5]
        else:
            candidates = [current / 2, current, current * 2]
        if param.type is int:
            candidates = [int(round(c)) for c in candidates]
        else:
            candidates = [_round(c) for c in candidates]
        values = []
        for value in candidates:
            if param.problem(value) is None and value not in values:
                values.append(value)
        if values:
            return values
    return [] if current is None and not param.nullable else [current]


def default_range(param: Param, current: Any) -> dict[str, Any]:
    """A first search range for a number: the Param's whole range where it is bounded, else a tenth to ten times
    ``current`` on a log scale (floats) or half to twice it in whole steps (ints)."""
    if param.type not in (int, float):
        raise ExperimentError(param.name, f"is {param.type.__name__}: only numbers take a range")
    value = current if isinstance(current, (int, float)) and not isinstance(current, bool) else param.default
    value = value if isinstance(value, (int, float)) and value else 1
    if param.type is int:
        low = max(int(param.min) + (1 if param.min_open else 0), value // 2) if param.min is not None else value // 2
        high = min(int(param.max), value * 2) if param.max is not None else value * 2
        if high <= low:
            high = low + 1
        return {"low": low, "high": high, "step": 1}
    if param.min is not None and param.max is not None and param.max - param.min <= 10 and not param.min_open:
        return {"low": float(param.min), "high": float(param.max)}
    low, high = _round(abs(value) / 10), _round(abs(value) * 10)
    if param.max is not None:
        high = min(high, float(param.max))
    return {"low": low, "high": high, "log": True}


def format_values(values: list) -> str:
    return ", ".join(format_value(v) for v in values)


def parse_values(param: Param, path: str, text: str) -> list:
    """``"0.001, 0.01"`` as the typed values of ``param``; ExperimentError naming ``path`` and the first value the
    Param refuses (with its reason), an empty list or a value given twice."""
    if param.type is list:
        raise ExperimentError(path, "is a list setting: it cannot be varied (an experiment varies single values)")
    values = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            value = parse_value(param, item, path)
        except SettingError as err:
            raise ExperimentError(path, err.message) from None
        problem = param.problem(value)
        if problem:
            raise ExperimentError(path, f"{problem}, got {shown(value)}")
        if any(type(v) is type(value) and v == value for v in values):
            raise ExperimentError(path, f"{format_value(value)} is listed twice")
        values.append(value)
    if not values:
        raise ExperimentError(path, "the list of values is empty: give at least one")
    return values


def parse_number(param: Param, path: str, text: str, what: str) -> float | int:
    try:
        value = float(text.strip())
    except ValueError:
        raise ExperimentError(path, f"{what} must be a number, got {shown(text.strip())}") from None
    if not math.isfinite(value):
        raise ExperimentError(path, f"{what} must be a finite number, got {shown(text.strip())}")
    return int(value) if param.type is int and value.is_integer() else value


def variable_problem(document: Document, variable: dict[str, Any]) -> str | None:
    """Why ``variable`` (the section's form: path + values, or low/high/log/step) cannot be part of the document's
    experiment (the Param's reason, naming the path), or None."""
    try:
        spec = experiment_from_data({"strategy": "random", "variables": [variable]}, here="variable")
        check_variable(document, spec.variables[0])
    except ExperimentError as err:
        return err.message if err.where.startswith("variable") else str(err)
    return None


EMPTY = {"version": 1, "name": "experiment", "strategy": "grid", "variables": []}


def with_variable(section: dict | None, variable: dict[str, Any]) -> dict[str, Any]:
    """The section with ``variable`` added (or replacing the one of the same path, in its place). A range under
    the grid strategy switches it to tpe (a grid needs lists)."""
    new = copy.deepcopy(section) if section else copy.deepcopy(EMPTY)
    variables = new.setdefault("variables", [])
    for i, old in enumerate(variables):
        if old.get("path") == variable["path"]:
            variables[i] = copy.deepcopy(variable)
            break
    else:
        variables.append(copy.deepcopy(variable))
    if "values" not in variable and new.get("strategy", "grid") == "grid":
        new["strategy"] = "tpe"
    return new


def without_variable(section: dict | None, path: str) -> dict[str, Any] | None:
    """The section without ``path``'s variable; None (no experiment) when it was the last one."""
    if not section:
        return None
    new = copy.deepcopy(section)
    new["variables"] = [v for v in new.get("variables", []) if v.get("path") != path]
    return new if new["variables"] else None


def with_settings(section: dict | None, **settings: Any) -> dict[str, Any] | None:
    """The section with strategy, budget (None: the default), repeats, pruning changed; ExperimentError when the
    result is not a valid section (a grid over a range)."""
    if not section:
        return None
    new = copy.deepcopy(section)
    for key, value in settings.items():
        if value is None:
            new.pop(key, None)
        else:
            new[key] = value
    experiment_from_data(new, here="experiment")
    return new


__all__ = ["EMPTY", "default_range", "default_values", "describe", "format_values", "is_kind_path", "parse_number",
           "parse_values", "variable_problem", "with_settings", "with_variable", "without_variable"]
