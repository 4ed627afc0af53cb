"""What a model must match in a dataset, as a few numbers per field (kind, features, vocabulary, classes),
read once per binding and cached, so checking the graph against its data after every edit loads nothing.
"""
from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

from ..lazy import torch  # imported at first use: the window and shape checks start without it

from .base import BINARY, CLASS, SEQUENCE, STEP_CLASSES, TOKENS, VALUE, DataError, LoadContext
from .files import resolve
from .registry import options_for

CACHE_SIZE = 8  # bindings remembered: the current one and a few the user switched between


@dataclass(frozen=True)
class FieldFacts:
    """One dataset field as the model sees it. ``fitted``: its vocabulary (or, for per-step classes, its
    label list) is cut to the model's token input vocab_size at prepare time (option max_vocab unset)."""

    name: str
    role: str  # "input" or "target"
    kind: str  # a field kind; a text field is TOKENS here
    width: int | None = None  # SEQUENCE: features per step; VALUE: values per sample
    vocab: int | None = None  # TOKENS: ids the data uses (vocabulary size, or the largest id + 1)
    classes: int | None = None  # CLASS, BINARY, STEP_CLASSES: number of classes
    time: str | None = None  # STEP_CLASSES: the input field whose time axis it follows
    fitted: bool = False

    def size(self, value: int | None, cap: int | None) -> int | None:
        """``value`` (vocab or classes) as prepare_data will produce it under the model's cap."""
        if value is None or not self.fitted or not cap:
            return value
        return min(value, cap)


@dataclass(frozen=True)
class DataFacts:
    """The fields of one binding's dataset; ``key`` identifies the binding (and file) they were read from."""

    dataset: str
    task: str
    fields: dict[str, FieldFacts] = field(default_factory=dict)
    has_max_vocab: bool = False  # the dataset has option max_vocab (a way to shrink its vocabulary)
    key: str = ""


def _width(values) -> int:
    """Features of a SEQUENCE/VALUE field: the last axis (a tensor, or the first sample of a list)."""
    first = values if isinstance(values, torch.Tensor) else torch.as_tensor(values[0])
    return int(first.shape[-1]) if first.dim() > (1 if isinstance(values, torch.Tensor) else 0) else 1


def _max_id(values) -> int:
    if isinstance(values, torch.Tensor):
        return int(values.max()) if values.numel() else 0
    return max((int(torch.as_tensor(v).max()) for v in values if len(v)), default=0)


def facts_of(loaded, key: str = "") -> DataFacts:
    """Facts of a prepare.Loaded (a dataset read and tokenized)."""
    spec, table, kinds = loaded.spec, loaded.table, loaded.kinds
    fitted = "max_vocab" in loaded.options and loaded.options["max_vocab"] is None
    fields = {}
    for f in spec.fields:
        kind, values = kinds[f.name], table.columns[f.name]
        width = vocab = classes = None
        if kind in (SEQUENCE, VALUE):
            width = _width(values)
        elif kind == TOKENS:
            vocab = len(loaded.vocab_of[f.name]) if f.name in loaded.vocab_of else _max_id(values) + 1
        elif kind in (CLASS, BINARY, STEP_CLASSES):
            classes = len(table.labels.get(f.name, [])) or (2 if kind == BINARY else _max_id(values) + 1)
        fields[f.name] = FieldFacts(f.name, f.role, kind, width, vocab, classes, f.time,
                                    fitted and kind in (TOKENS, STEP_CLASSES))
    return DataFacts(spec.name, spec.task, fields, "max_vocab" in loaded.options, key)


def binding_key(binding: dict, base_dir=None) -> str:
    """What the facts depend on: the binding without its block mapping, the folder, and the file's identity
    (size and modification time), so saving a new version of the file reads it again."""
    relevant = {k: v for k, v in binding.items() if k not in ("inputs", "targets", "bucketing")}
    stamp = None
    path = (binding.get("options") or {}).get("path") if isinstance(binding.get("options"), dict) else None
    if path:
        try:
            found = resolve(path, LoadContext(0, Path(base_dir) if base_dir else None), str(binding.get("dataset")))
            info = found.stat()
            stamp = [str(found), info.st_size, info.st_mtime_ns]
        except (DataError, OSError):
            stamp = "unreadable"
    return json.dumps([relevant, str(base_dir or ""), stamp], sort_keys=True, default=repr)


_cache: OrderedDict[str, DataFacts | DataError] = OrderedDict()
_lock = threading.Lock()


def data_facts(binding: dict, base_dir=None) -> DataFacts:
    """The facts of ``binding``'s dataset, read (without a model) once per binding and file version; raises
    the DataError that prepare_data would raise for it (also remembered, so a broken file is read once)."""
    from .prepare import load_fields, open_binding  # prepare checks with these facts: import it late

    spec, seed, fractions = open_binding(binding)  # cheap, and never cached: a package may get installed
    options = options_for(spec, binding.get("options"))
    key = binding_key(binding, base_dir)
    with _lock:
        known = _cache.get(key)
        if known is not None:
            _cache.move_to_end(key)
    if known is None:
        try:
            known = facts_of(load_fields(spec, options, seed, fractions, base_dir), key)
        except DataError as err:
            known = err
        with _lock:
            _cache[key] = known
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    if isinstance(known, DataError):
        raise DataError(str(known))
    return known


def clear_cache() -> None:
    with _lock:
        _cache.clear()
