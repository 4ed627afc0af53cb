"""Variants of a document: the experiment's values applied to a copy (a recurrent block's kind swapped in place),
each checked with ``analyze`` before anything trains; impossible combinations are listed with the reason.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from ..blocks import get_spec
from ..document import Document, loads
from ..settings import SettingError, param_for, set_setting, setting_paths
from ..shapes import analyze
from ..specs import Param, shown
from ..training.config import ConfigError, TrainingConfig
from .definition import DEFAULT_BUDGET, MAX_TRIALS, ExperimentError, ExperimentSpec, Variable

RECURRENT_KINDS = ("rnn", "gru", "lstm", "bidirectional")
_CORNERS = 256  # search spaces: at most this many corner combinations are checked before training
# Every grid combination becomes a document copy, analysed before anything trains (about 4 ms and 32 kB each):
# beyond this many, even with --yes, planning alone would take minutes and gigabytes, and the trials years.
MAX_PLANNED = 10_000


def is_kind_path(path: str) -> bool:
    return path.endswith(".kind") and path.count(".") in (1, 2) and (path.count(".") == 1 or
                                                                      path.startswith("graph."))


def variable_paths(document: Document) -> list[str]:
    """Every path an experiment may vary in this document: the setting paths and ``<block>.kind`` of each
    recurrent block (what the window's Vary... offers)."""
    kinds = [f"{n.name}.kind" for n in document.graph.nodes.values() if n.kind in RECURRENT_KINDS]
    return setting_paths(document) + kinds


def variable_param(document: Document, path: str) -> Param:
    """The Param describing a variable's values (a kind path: a choice of recurrent kinds); ExperimentError
    naming the path when it names nothing."""
    if is_kind_path(path):
        node = document.graph.by_name(path.split(".")[-2])
        if node is None or node.kind not in RECURRENT_KINDS:
            raise ExperimentError(path, "names no recurrent block (only their kind can be varied)")
        return Param("kind", str, node.kind, "The recurrent block's kind", choices=RECURRENT_KINDS)
    try:
        return param_for(document, path)
    except SettingError as err:
        raise ExperimentError(err.path, err.message) from None


def copy_document(document: Document) -> Document:
    copy = loads(document.dumps(), where=str(document.path or "<document>"))
    copy.path = document.path
    return copy


def swap_kind(document: Document, block: str, kind: str, path: str | None = None) -> None:
    """Replaces block ``block`` by a ``kind`` recurrent block with the same id, name, position and wiring,
    keeping every parameter both kinds share. ExperimentError when the kind cannot take its connections."""
    where = path or f"{block}.kind"
    graph = document.graph
    node = graph.by_name(block)
    if node is None:
        names = ", ".join(n.name for n in graph.nodes.values()) or "none"
        raise ExperimentError(where, f"there is no block called {block!r} (blocks: {names})")
    if node.kind not in RECURRENT_KINDS:
        raise ExperimentError(where, f"{node.label} is not a recurrent block: only {', '.join(RECURRENT_KINDS)} "
                                     "blocks can swap their kind")
    if kind not in RECURRENT_KINDS:
        raise ExperimentError(where, f"{shown(kind)} is not a recurrent kind (kinds: {', '.join(RECURRENT_KINDS)})")
    if node.kind == kind:
        return
    spec = get_spec(kind)
    ins = [(e.src, e.src_port, e.dst_port) for e in graph.in_edges(node.id)]
    outs = [(e.src_port, e.dst, e.dst_port) for e in graph.out_edges(node.id)]
    inputs, outputs = {p.name for p in spec.inputs}, {p.name for p in spec.outputs}
    for _, _, port in ins:
        if port not in inputs:
            raise ExperimentError(where, f"{kind}: a {spec.title} block has no input {port!r} to take what "
                                         f"{node.label} receives there")
    for port, _, _ in outs:
        if port not in outputs:
            raise ExperimentError(where, f"{kind}: a {spec.title} block has no output {port!r} that {node.label} "
                                         "feeds on")
    names = {p.name for p in spec.params}
    params = {k: v for k, v in node.params.items() if k in names}
    if kind == "bidirectional" and node.kind in ("lstm", "gru"):
        params["cell"] = node.kind  # a bidirectional twin of the same cell
    node_id, name, pos = node.id, node.name, node.pos
    graph.remove_node(node_id)
    graph.add_node(kind, name=name, params=params, pos=pos, node_id=node_id)
    for src, src_port, port in ins:
        graph.connect(src, src_port, node_id, port)
    for port, dst, dst_port in outs:
        graph.connect(node_id, port, dst, dst_port)


def apply_values(document: Document, values: dict[str, Any]) -> Document:
    """A copy of ``document`` with ``values`` ({path: value}) set, kind swaps first (a block's other parameters
    then apply to its new kind); the copy has no experiment section. ExperimentError / SettingError otherwise."""
    copy = copy_document(document)
    copy.experiment = None
    ordered = sorted(values.items(), key=lambda item: not is_kind_path(item[0]))
    for path, value in ordered:
        if is_kind_path(path):
            swap_kind(copy, path.split(".")[-2], value, path)
        else:
            set_setting(copy, path, value)
    return copy


def variant_problem(document: Document) -> str | None:
    """Why this variant cannot train (its first shape error or bad training setting), else None."""
    report = analyze(document.graph)
    for diagnostic in report.diagnostics:
        if diagnostic.severity == "error":
            node = document.graph.nodes.get(diagnostic.node_id) if diagnostic.node_id else None
            return f"{node.label}: {diagnostic.message}" if node is not None else diagnostic.message
    try:
        TrainingConfig.from_dict(document.training)
    except ConfigError as err:
        return str(err)
    return None


def check_variable(document: Document, var: Variable) -> None:
    """Refuses a path that names nothing and any value or range end its setting does not allow."""
    if is_kind_path(var.path):
        if var.is_range:
            raise ExperimentError(var.path, "a kind is chosen from a list of values, not a range")
        for kind in var.values:
            swap_kind(copy_document(document), var.path.split(".")[-2], kind, var.path)
        return
    try:
        param = param_for(document, var.path)
    except SettingError as err:
        raise ExperimentError(err.path, err.message) from None
    if var.is_range:
        if param.type not in (int, float):
            raise ExperimentError(var.path, f"is {param.type.__name__}: give a list of values, not a range")
        ends = (var.low, var.high)
        if param.type is int and not all(float(v).is_integer() for v in ends):
            raise ExperimentError(var.path, f"is a whole number: the range needs whole ends, got {var.low} to "
                                            f"{var.high}")
        _check_step(var, param.type is int)
        candidates = [int(v) if param.type is int else float(v) for v in ends]
    else:
        candidates = list(var.values)
    for value in candidates:
        problem = param.problem(value)
        if problem:
            raise ExperimentError(var.path, f"{problem}, got {shown(value)}")


def _check_step(var: Variable, whole: bool) -> None:
    """A range's step: a whole number of at least 1 for a whole-number setting, and never wider than the range."""
    step = var.step
    if step is None:
        return
    if whole and not (float(step).is_integer() and step >= 1):
        raise ExperimentError(var.path, f"is a whole number: the range's step must be a whole number of at least 1, "
                                        f"got {shown(step)}")
    if not 0 < step <= (var.high - var.low) * (1 + 1e-9):  # 0.3 - 0.1 is a hair below a step of 0.2
        raise ExperimentError(var.path, f"the range's step must be above 0 and no wider than the range "
                                        f"({shown(var.low)} to {shown(var.high)}), got {shown(step)}")


@dataclass
class Variant:
    values: dict[str, Any]
    label: str
    document: Document = field(repr=False, compare=False)


@dataclass
class Plan:
    """What an experiment will run: ``variants`` (grid: every trial; search: the checked corners), ``skipped``
    [(values, label, reason)] and ``trials`` (how many trials the budget runs)."""

    spec: ExperimentSpec
    variants: list[Variant]
    skipped: list[tuple[dict[str, Any], str, str]]
    trials: int

    @property
    def runs(self) -> int:
        return self.trials * self.spec.repeats

    @property
    def left_out(self) -> str | None:
        """What a grid's budget leaves out, said once before anything trains (a budget of 4 on a 3 x 4 grid ran
        one kind at every length, and nothing said so); None when the plan runs every combination."""
        if self.spec.strategy != "grid" or self.trials >= len(self.variants):
            return None
        return (f"the budget runs the first {self.trials} of the grid's {len(self.variants)} combinations, in order "
                f"(the last variable changes fastest); a random or tpe strategy samples them instead")


def _corner_values(var: Variable) -> tuple:
    if not var.is_range:
        return var.values
    low, high = var.low, var.high
    return (low, high)


def _typed(document: Document, values: dict[str, Any]) -> dict[str, Any]:
    """Range ends of whole-number settings as ints (JSON may give 16.0)."""
    out = {}
    for path, value in values.items():
        if isinstance(value, float) and not is_kind_path(path) and param_for(document, path).type is int:
            value = int(value)
        out[path] = value
    return out


def plan_experiment(document: Document, spec: ExperimentSpec, *, allow_many: bool = False) -> Plan:
    """Checks every variable, materializes the variants and analyses each before anything trains.

    Grid: every combination. Search (random, tpe): every combination of listed values with each range at its
    ends. A value that makes every combination impossible is bad input (ExperimentError naming it); other
    impossible combinations are skipped with their reason. More than MAX_TRIALS trials need ``allow_many``."""
    for var in spec.variables:
        check_variable(document, var)
    # Counted before any is made: a few long lists multiply to billions, which list() would never finish.
    count = math.prod(len(_corner_values(v)) for v in spec.variables)
    if spec.strategy == "grid":  # with a budget, what counts against MAX_TRIALS is the trials run (below)
        _refuse_many(f"the grid has {count:,} combinations,", count, allow_many or spec.budget is not None,
                     "narrow it, set a budget, or pass --yes to run them all")
    combos = itertools.product(*(_corner_values(v) for v in spec.variables))
    if spec.strategy != "grid":
        combos = itertools.islice(combos, _CORNERS)
    variants, skipped = [], []
    for combo in combos:
        values = _typed(document, dict(zip((v.path for v in spec.variables), combo)))
        label = spec.label(values)
        try:
            variant = apply_values(document, values)
            problem = variant_problem(variant)
        except (ExperimentError, SettingError) as err:
            problem = str(err)
        if problem:
            skipped.append((values, label, problem))
        else:
            variants.append(Variant(values, label, variant))
    if not variants:
        reason = skipped[0][2] if skipped else "no combination"
        raise ExperimentError("experiment", f"every combination is impossible ({skipped[0][1]}: {reason})")
    for var in spec.variables:  # a value no combination can use is a mistake in the definition
        for value in _corner_values(var):
            # A search checks only its first _CORNERS combinations: a value in none of them is left to its trials.
            reasons = [s[2] for s in skipped if s[0][var.path] == value]
            if reasons and not any(v.values[var.path] == value for v in variants):
                raise ExperimentError(var.path, f"{shown(value)} is impossible in every combination: {reasons[0]}")
    if spec.strategy == "grid":
        trials = len(variants) if spec.budget is None else min(spec.budget, len(variants))
    else:
        trials = spec.budget or DEFAULT_BUDGET
    if spec.repeats == 1:
        _refuse_many(f"{trials:,} trials are", trials, allow_many, "lower the budget or pass --yes")
    else:  # each repeat is a whole run: repeats of 10**18 would never end
        runs = trials * spec.repeats
        _refuse_many(f"{trials:,} trials of {spec.repeats:,} repeats ({runs:,} runs) are", runs, allow_many,
                     "lower the budget or the repeats, or pass --yes")
    return Plan(spec, variants, skipped, trials)


def _refuse_many(what: str, count: int, allow_many: bool, advice: str) -> None:
    """More than MAX_TRIALS needs ``allow_many``; more than MAX_PLANNED is refused even then (each trial is queued
    in the study up front, each grid combination materialized: a huge budget or grid would never start)."""
    if count > MAX_PLANNED:
        raise ExperimentError("experiment", f"{what} more than any sweep can plan ({MAX_PLANNED:,}, even with --yes): "
                                            "narrow the grid or lower the budget")
    if count > MAX_TRIALS and not allow_many:
        raise ExperimentError("experiment", f"{what} more than {MAX_TRIALS}: {advice}")


__all__ = ["MAX_PLANNED", "RECURRENT_KINDS", "Plan", "Variant", "apply_values", "check_variable", "copy_document",
           "is_kind_path", "plan_experiment", "swap_kind", "variable_param", "variable_paths", "variant_problem"]
