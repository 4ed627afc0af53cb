"""The runs the Compare view overlays (CompareSet: label, run folder and RunHistory each, following growing logs)
and the labels that tell them apart (run_labels: the settings that differ). Plain Python, no Qt.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.training.runs import Run, RunError

from .history import RunHistory

CACHE_SIZE = 32  # histories kept for runs no longer compared (re-selecting one costs nothing)


@dataclass
class ComparedRun:
    label: str
    path: Path
    history: RunHistory | None  # None when the log cannot be read (``error`` says why)
    error: str = ""


class CompareSet:
    """The compared runs in order (run i is drawn in colour i in every plot). ``version`` changes whenever the
    selection or any run's history changes, so the plots redraw only then (PlotPanel reads it)."""

    def __init__(self, cache_size: int = CACHE_SIZE):
        self.runs: list[ComparedRun] = []
        self._generation = 0
        self._cache: OrderedDict[Path, tuple[tuple[int, int], RunHistory]] = OrderedDict()
        self.cache_size = cache_size

    @property
    def version(self) -> tuple:
        return self._generation, tuple(r.history.version if r.history else -1 for r in self.runs)

    def set_runs(self, runs) -> None:
        """``runs``: (label, run folder) pairs. Logs are read once and cached by path; a grown log is read on."""
        self.runs = []
        for label, path in runs:
            path = Path(path)
            history, error = self._load(path)
            self.runs.append(ComparedRun(str(label), path, history, error))
        self._generation += 1

    def poll(self) -> bool:
        """Reads what unfinished runs appended to their logs; True when anything changed."""
        changed = False
        for run in self.runs:
            if run.history is not None and run.history.finished is not None:
                continue  # a finished run's log does not grow
            before = (id(run.history), run.history.version if run.history else -1, run.error)
            run.history, run.error = self._load(run.path)
            changed |= before != (id(run.history), run.history.version if run.history else -1, run.error)
        return changed

    @staticmethod
    def _stat(path: Path) -> tuple[int, int]:
        info = Run(path).events().stat()
        return info.st_size, info.st_mtime_ns

    def _load(self, path: Path) -> tuple[RunHistory | None, str]:
        """The run's history: cached while its log is unchanged, read on where it grew, read anew when it was
        replaced (shorter, or rewritten with the same size)."""
        try:
            stat = self._stat(path)
            cached = self._cache.get(path)
            if cached is not None:
                (size, mtime), history = cached
                if stat[0] > size:
                    history.read_log()
                elif stat != (size, mtime):
                    history = RunHistory.from_log(path)
            else:
                history = RunHistory.from_log(path)
        except FileNotFoundError:
            self._cache.pop(path, None)
            return None, f"{path}: no metrics.jsonl in this run folder (not a run, or it never started)"
        except (OSError, ValueError) as err:  # RunError is a ValueError naming the file
            self._cache.pop(path, None)
            return None, str(err) if isinstance(err, RunError) else f"{Run(path).events()}: {err.strerror or err}"

        self._cache[path] = (stat, history)
        self._cache.move_to_end(path)
        while len(self._cache) > max(self.cache_size, len(self.runs) + 1):
            self._cache.popitem(last=False)
        return history, ""

    # ------------------------------------------------------------------ queries for the plots
    def loaded(self) -> list[tuple[int, ComparedRun]]:
        """(colour index, run) of every run whose log could be read."""
        return [(i, r) for i, r in enumerate(self.runs) if r.history is not None]

    def common(self, keys_of) -> tuple[list[str], list[ComparedRun], list[ComparedRun]]:
        """The keys (block names) that ``keys_of(history)`` gives for every run that recorded any, in the first
        such run's order; and the runs with and without records of that kind (the latter are left out)."""
        with_data, without = [], []
        for _, run in self.loaded():
            (with_data if keys_of(run.history) else without).append(run)
        if not with_data:
            return [], with_data, without
        shared = set(keys_of(with_data[0].history))
        for run in with_data[1:]:
            shared &= set(keys_of(run.history))
        return [k for k in keys_of(with_data[0].history) if k in shared], with_data, without

    def waiting(self) -> bool:
        """Some run is still under way (not finished): what it has not recorded yet may still come."""
        return any(r.history.finished is None for _, r in self.loaded())

    def errors(self) -> list[str]:
        return [r.error for r in self.runs if r.error]


# ---------------------------------------------------------------------- labels
def run_settings(path) -> dict[str, Any] | None:
    """Everything a run was set up with, flat: ``<block>.kind``, ``<block>.<param>``, ``data.<key>``,
    ``data.options.<name>`` (from its document.json) and ``training.<field>`` (from its config.json, which
    holds the settings it really trained with). None when neither file can be read."""
    run, flat = Run(path), {}
    document, config = _json(run.document()), _json(run.config())
    graph = document.get("graph") if isinstance(document, dict) else None
    for node in (graph.get("nodes") if isinstance(graph, dict) else None) or []:
        if isinstance(node, dict) and isinstance(node.get("name"), str):
            flat[f"{node['name']}.kind"] = node.get("kind")
            params = node.get("params")
            for key, value in (params.items() if isinstance(params, dict) else ()):
                flat[f"{node['name']}.{key}"] = value
    data = document.get("data") if isinstance(document, dict) else None
    for key, value in (data.items() if isinstance(data, dict) else ()):
        if key == "options" and isinstance(value, dict):
            flat.update({f"data.options.{name}": v for name, v in value.items()})
        elif key not in ("inputs", "targets"):  # the wiring of fields to blocks, not a setting to compare
            flat[f"data.{key}"] = value
    for key, value in (config.items() if isinstance(config, dict) else ()):
        flat[f"training.{key}"] = value
    return flat if isinstance(document, dict) or isinstance(config, dict) else None


def _json(path: Path) -> Any:
    """A run file's JSON as plain data (the raw snapshot: no document checks), None when unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # missing, unreadable, not UTF-8 or not JSON: the label falls back to the name
        return None


def shown(value: Any) -> str:
    """A value as a label shows it: 4 significant digits, lower-case booleans, ``none``, at most 24 characters."""
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, float):
        text = f"{value:.4g}" if math.isfinite(value) else str(value)
    elif value is None:
        text = "none"
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, separators=(",", ":"), default=str)
    return text if len(text) <= 24 else text[:23] + "…"


def _order(path: str) -> tuple:
    """Kinds of blocks first, then block parameters, data, training: how an experiment's variables read."""
    if path.startswith("training."):
        return (3,)
    if path.startswith("data."):
        return (2,)
    return (0,) if path.endswith(".kind") else (1,)


def differing_labels(names: list[str], settings: list[dict[str, Any] | None]) -> list[str]:
    """One label per run: ``kind=gru, length=50`` — the settings (present in every run that has settings) whose
    values differ, named by their last part (the whole path where two would clash), else the run's name. Labels
    that would still be equal (the same settings run twice) get the run's name after them."""
    known = [s for s in settings if s is not None]
    keys: list[str] = []
    if len(known) > 1:
        shared = set(known[0]).intersection(*known[1:])
        keys = [k for k in known[0] if k in shared
                and len({json.dumps(s[k], sort_keys=True, default=str) for s in known}) > 1]
        keys.sort(key=_order)  # stable: the document's order within each group
    shorts = [k.rsplit(".", 1)[-1] for k in keys]
    short = {k: s if shorts.count(s) == 1 else k for k, s in zip(keys, shorts)}
    labels = [", ".join(f"{short[k]}={shown(s[k])}" for k in keys) if s is not None and keys else name
              for name, s in zip(names, settings)]
    return [f"{label} ({name})" if label != name and labels.count(label) > 1 else label
            for label, name in zip(labels, names)]


def run_labels(paths) -> list[str]:
    """Labels for runs compared together (see ``differing_labels``); the name is ``<document stem>/<time>``."""
    paths = [Path(p) for p in paths]
    return differing_labels([Run(p).name for p in paths], [run_settings(p) for p in paths])
