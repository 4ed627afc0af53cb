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
    history: RunHistory | None  # None while its log is being read (``pending``) or when it cannot be (``error``)
    error: str = ""
    pending: bool = False
    seen: tuple[int, int] | None = None  # the log's size and mtime when it failed: polls retry only once it changes


def read_run(path) -> tuple[tuple[int, int] | None, RunHistory | None, str]:
    """Reads a run's whole log (safe in any thread: touches nothing shared): (size and mtime of the log, its
    history, "") or (size and mtime or None, None, why not) in one line naming the file."""
    path = Path(path)
    stat = None
    try:
        stat = _stat(path)
        return stat, RunHistory.from_log(path), ""
    except FileNotFoundError:
        return stat, None, f"{path}: no metrics.jsonl in this run folder (not a run, or it never started)"
    except (OSError, ValueError) as err:  # RunError is a ValueError naming the file
        return stat, None, str(err) if isinstance(err, RunError) else f"{Run(path).events()}: {err.strerror or err}"


def _stat(path: Path) -> tuple[int, int]:
    info = Run(path).events().stat()
    return info.st_size, info.st_mtime_ns


class CompareSet:
    """The compared runs in order (run i is drawn in colour i in every plot). ``version`` changes whenever the
    selection or any run's history changes, so the plots redraw only then (PlotPanel reads it).

    Logs are cached by path: an unchanged log is not read again, a grown one is read on from where it was left
    (cheap: what a second of training appends). A whole log may take seconds (tens of MB of gate probes): with
    ``read=False`` those runs are left ``pending`` for the caller to read off the GUI thread (``read_run``)
    and hand back with ``adopt``."""

    def __init__(self, cache_size: int = CACHE_SIZE):
        self.runs: list[ComparedRun] = []
        self._generation = 0
        self._cache: OrderedDict[Path, tuple[tuple[int, int], RunHistory]] = OrderedDict()
        self.cache_size = cache_size

    @property
    def version(self) -> tuple:
        return self._generation, tuple(r.history.version if r.history else -1 for r in self.runs)

    def set_runs(self, runs, read: bool = True) -> None:
        """``runs``: (label, run folder) pairs, in drawing order."""
        self.runs = [ComparedRun(str(label), Path(path), None) for label, path in runs]
        for run in self.runs:
            self._update(run, read)
        self._generation += 1

    def poll(self, read: bool = True) -> bool:
        """Reads what unfinished runs appended to their logs; True when anything changed."""
        changed = False
        for run in self.runs:
            if run.pending or (run.history is not None and run.history.finished is not None):
                continue  # being read elsewhere; or finished: its log does not grow
            if run.error and self._stat_or_none(run.path) == run.seen:
                continue  # failed, and its log has not changed since: the same error again
            before = (id(run.history), run.history.version if run.history else -1, run.error, run.pending)
            self._update(run, read)
            changed |= before != (id(run.history), run.history.version if run.history else -1, run.error,
                                  run.pending)
        return changed

    def pending(self) -> list[Path]:
        return list(dict.fromkeys(r.path for r in self.runs if r.pending))

    def adopt(self, path, stat: tuple[int, int] | None, history: RunHistory | None, error: str) -> None:
        """Takes a log read elsewhere (``read_run``'s result) into the cache and the runs waiting for it."""
        path = Path(path)
        if history is not None:
            self._keep(path, stat, history)
        for run in self.runs:
            if run.path == path and run.pending:
                run.history, run.error, run.pending, run.seen = history, error, False, stat
        self._generation += 1

    def _update(self, run: ComparedRun, read: bool) -> None:
        """Brings ``run`` up to date from the cache, reading on a grown log; a log not cached, or replaced
        (shorter, or rewritten with the same size), is read whole when ``read``, else left pending."""
        cached = self._cache.get(run.path)
        stat = self._stat_or_none(run.path)
        if cached is not None and stat is not None:
            (size, mtime), history = cached
            if stat == (size, mtime):
                run.history, run.error = history, ""
                self._cache.move_to_end(run.path)
                return
            if stat[0] > size:
                try:
                    history.read_log()
                except (OSError, ValueError) as err:
                    run.history, run.error, run.seen = None, str(err), stat
                    self._cache.pop(run.path, None)
                    return
                run.history, run.error = history, ""
                self._keep(run.path, stat, history)
                return
        if not read:
            run.history, run.error, run.pending = None, "", True
            return
        stat, history, error = read_run(run.path)
        run.history, run.error, run.seen = history, error, stat
        if history is not None:
            self._keep(run.path, stat, history)
        else:
            self._cache.pop(run.path, None)

    @staticmethod
    def _stat_or_none(path: Path) -> tuple[int, int] | None:
        try:
            return _stat(path)
        except OSError:
            return None

    def _keep(self, path: Path, stat, history: RunHistory) -> None:
        self._cache[path] = (stat, history)
        self._cache.move_to_end(path)
        while len(self._cache) > max(self.cache_size, len(self.runs) + 1):
            self._cache.popitem(last=False)

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
        """Some run is still under way (not finished) or being read: what it has not shown yet may still come."""
        return any(r.history.finished is None for _, r in self.loaded()) or any(r.pending for r in self.runs)

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
