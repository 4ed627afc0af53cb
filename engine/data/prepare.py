"""prepare_data: from a document's data binding (and the compiled model) to split, tokenized, scaled,
batched data, checked against the model's input and head blocks, with DataMeta and DataInfo.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch

from ..specs import shown
from .base import (BINARY, CLASS, IGNORE_INDEX, SEQUENCE, STEP_CLASSES, TEXT, TOKENS, VALUE, DataError, DatasetSpec,
                   LoadContext, Table)
from .batching import BatchLoader, Column, SplitDataset
from .binding import resolve_mapping
from .checks import model_problems, model_vocab_cap
from .facts import facts_of
from .registry import dataset_spec, missing_package, options_for
from .tokenizers import Vocabulary, tokenizer

SPLITS = ("train", "val", "test")
_DTYPE = {TOKENS: torch.long, STEP_CLASSES: torch.long, CLASS: torch.long, SEQUENCE: torch.float32,
          VALUE: torch.float32, BINARY: torch.float32}
_PAD = {STEP_CLASSES: IGNORE_INDEX}


@dataclass
class DataMeta:
    """What a trained model needs to be used: vocabularies, label names, scaling. JSON-able via to_dict()."""

    dataset: str
    task: str
    options: dict[str, Any]
    inputs: dict[str, str]  # input block -> field
    targets: dict[str, str]  # head block -> field
    vocab: dict[str, list[str]] = field(default_factory=dict)  # input block -> tokens (index = id)
    special_tokens: dict[str, dict[str, int]] = field(default_factory=dict)
    labels: dict[str, list[str]] = field(default_factory=dict)  # head block -> label names
    scaler: dict | None = None
    feature_names: dict[str, list[str]] = field(default_factory=dict)  # block -> names of its features
    extra: dict[str, Any] = field(default_factory=dict)
    # input block -> how raw text becomes its tokens: {tokenizer: word|char, lowercase, max_length}
    tokenization: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DataInfo:
    """For the GUI's data panel: sizes, the length histogram, vocabulary sizes and class balance."""

    dataset: str
    task: str
    samples: dict[str, int]
    lengths: dict[str, dict[str, Any]]  # input block -> {min, max, mean, edges, counts}
    vocab_size: dict[str, int]
    class_balance: dict[str, dict[str, int]]  # head -> {label: training samples}

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class PreparedData:
    train: SplitDataset
    val: SplitDataset
    test: SplitDataset
    meta: DataMeta
    info: DataInfo
    bucketing: bool = True

    def split(self, name: str) -> SplitDataset:
        if name not in SPLITS:
            raise DataError(f"unknown split '{name}': choose train, val or test")
        return getattr(self, name)

    def loader(self, split: str, batch_size: int, shuffle: bool = False, seed: int = 0, sampler=None) -> BatchLoader:
        return BatchLoader(self.split(split), batch_size, shuffle, seed, sampler, self.bucketing)


def _split_fractions(binding: dict) -> tuple[float, float, float]:
    split = binding.get("split", [0.8, 0.1, 0.1])
    ok = isinstance(split, (list, tuple)) and len(split) == 3 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0 for v in split)
    if not ok or not math.isclose(sum(split), 1.0, abs_tol=1e-6) or split[0] <= 0:
        raise DataError(f"data.split must be three fractions (train, val, test) that add up to 1, not {shown(split)}")
    return float(split[0]), float(split[1]), float(split[2])


def _random_splits(n: int, fractions, seed: int) -> dict[str, list[int]]:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_val, n_test = int(round(n * fractions[1])), int(round(n * fractions[2]))
    n_train = n - n_val - n_test
    return {"train": order[:n_train], "val": order[n_train:n_train + n_val], "test": order[n_train + n_val:]}


def open_binding(binding) -> tuple[DatasetSpec, int, tuple[float, float, float]]:
    """The binding's dataset (its package installed), seed and split fractions; DataError naming what is wrong."""
    if not isinstance(binding, dict) or not binding.get("dataset"):
        raise DataError("the data binding needs a \"dataset\": one of the names `rnn-studio datasets` lists")
    spec = dataset_spec(str(binding["dataset"]))
    missing = missing_package(spec)
    if missing:
        raise DataError(f"dataset '{spec.name}' needs the package {missing}, which is not installed: "
                        f"run pip install 'rnn-studio[datasets]'")
    seed = binding.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise DataError(f"data.seed must be a whole number, not {shown(seed)}")
    if seed < 0:  # as `--set data.seed=-1` and the Data dock refuse it (engine.settings.DATA_PARAMS)
        raise DataError(f"data.seed must be at least 0, not {seed}")
    if not isinstance(binding.get("bucketing", True), bool):  # the string "false" would read as true
        raise DataError(f"data.bucketing must be true or false, not {shown(binding['bucketing'])}")
    return spec, seed, _split_fractions(binding)


@dataclass
class Loaded:
    """A dataset read and tokenized, before the model adapts its targets: what checks and batching start from."""

    spec: DatasetSpec
    options: dict[str, Any]
    table: Table
    splits: dict[str, list[int]]
    kinds: dict[str, str]  # field -> kind (TEXT fields are TOKENS by now)
    vocab_of: dict[str, Vocabulary]


def load_fields(spec: DatasetSpec, options: dict, seed: int, fractions, base_dir=None) -> Loaded:
    ctx = LoadContext(seed=seed, base_dir=Path(base_dir) if base_dir else None, split=fractions)
    table = spec.load(options, ctx)
    splits = table.splits or _random_splits(len(table), fractions, seed)
    if not splits["train"]:
        raise DataError(f"dataset '{spec.name}' has no training samples with split {list(fractions)}")
    kinds = {f.name: f.kind for f in spec.fields}
    vocab_of = _tokenize_text(spec, table, kinds, splits["train"])
    return Loaded(spec, options, table, splits, kinds, vocab_of)


def prepare_data(binding: dict, model=None, base_dir=None) -> PreparedData:
    """The data of a document's binding, checked against ``model`` (a CompiledModel) when given: a mismatch
    is a DataError with the message of the first FitProblem that engine.data.checks finds."""
    spec, seed, fractions = open_binding(binding)
    inputs, targets = resolve_mapping(spec, binding, model)
    options = options_for(spec, binding.get("options"))
    if model is not None and "max_vocab" in options and options["max_vocab"] is None:
        # Cap a fitted vocabulary at what the model's token input block can take.
        options["max_vocab"] = model_vocab_cap(model, inputs)
    loaded = load_fields(spec, options, seed, fractions, base_dir)
    table, kinds, vocab_of = loaded.table, loaded.kinds, loaded.vocab_of
    if model is not None:
        problems = model_problems(facts_of(loaded), inputs, targets, model)
        if problems:
            raise DataError(problems[0].message)
    _adapt_targets(table, kinds, targets, model)
    columns = {name: Column.from_values(values, _DTYPE[kinds[name]], _PAD.get(kinds[name], 0))
               for name, values in table.columns.items()}
    time_of = {f.name: f.time for f in spec.fields if f.time}
    datasets = {s: SplitDataset(columns, torch.tensor(loaded.splits[s], dtype=torch.long), inputs, targets, time_of)
                for s in SPLITS}
    meta = _meta(spec, options, table, inputs, targets, vocab_of)
    info = _info(spec, datasets, table, inputs, targets, vocab_of)
    bucketing = binding.get("bucketing", True)
    return PreparedData(datasets["train"], datasets["val"], datasets["test"], meta, info, bool(bucketing))


def _tokenize_text(spec: DatasetSpec, table: Table, kinds: dict, train_rows: list[int]) -> dict[str, Vocabulary]:
    """TEXT fields become TOKENS with a vocabulary fitted on the training split only."""
    vocabs: dict[str, Vocabulary] = {}
    for name, kind in list(kinds.items()):
        if name in table.vocab:
            vocabs[name] = Vocabulary(table.vocab[name], ())
        if kind != TEXT:
            continue
        settings = table.extra.get("text", {}).get(name, {})
        split = tokenizer(settings.get("tokenizer", "word"))
        lowercase = bool(settings.get("lowercase", True))
        cap = settings.get("max_length")
        tokens = [split(t, lowercase) for t in table.columns[name]]
        if cap:
            tokens = [t[: int(cap)] for t in tokens]
        max_vocab, min_freq = settings.get("max_vocab"), int(settings.get("min_freq") or 1)
        if max_vocab is not None and int(max_vocab) < 3:
            raise DataError(f"option 'max_vocab' must be at least 3 (<pad>, <unk> and one token), not {max_vocab}")
        vocab = Vocabulary.build((tokens[i] for i in train_rows), max_vocab, min_freq)
        table.columns[name] = [vocab.encode(t) or [vocab.unk_id] for t in tokens]  # an empty text reads as <unk>
        table.vocab[name] = vocab.tokens
        vocabs[name] = vocab
        kinds[name] = TOKENS
    return vocabs


def _adapt_targets(table: Table, kinds: dict, targets: dict, model) -> None:
    """Class targets in the dtype their head needs: 0/1 floats for a binary head, indices for multiclass."""
    if model is None:
        return
    for head in model.heads:
        name = targets.get(head.name)
        if name is None or head.task != "classification":
            continue
        values = torch.as_tensor(table.columns[name])
        binary = head.params.get("mode") == "binary"
        if binary and kinds[name] == CLASS:  # checks.py made sure the field has two classes
            table.columns[name], kinds[name] = values.float(), BINARY
        elif not binary and kinds[name] == BINARY:
            table.columns[name], kinds[name] = values.long(), CLASS


def _meta(spec, options, table, inputs, targets, vocab_of) -> DataMeta:
    meta = DataMeta(spec.name, spec.task, {k: v for k, v in options.items()}, dict(inputs), dict(targets))
    for block, name in inputs.items():
        if name in vocab_of:
            meta.vocab[block] = list(vocab_of[name].tokens)
            meta.special_tokens[block] = {t: i for i, t in enumerate(vocab_of[name].tokens) if t.startswith("<")
                                          and t.endswith(">")}
        if name in table.feature_names:
            meta.feature_names[block] = list(table.feature_names[name])
        settings = table.extra.get("text", {}).get(name) or table.extra.get("chars", {}).get(name)
        if settings:
            meta.tokenization[block] = {k: settings.get(k) for k in ("tokenizer", "lowercase", "max_length")}
    for block, name in targets.items():
        if name in table.labels:
            meta.labels[block] = list(table.labels[name])
        if name in table.feature_names:
            meta.feature_names[block] = list(table.feature_names[name])
    meta.scaler = table.extra.get("scaler")
    meta.extra = {k: v for k, v in table.extra.items() if k not in ("scaler", "text", "chars")}
    return meta


def _info(spec, datasets, table, inputs, targets, vocab_of) -> DataInfo:
    samples = {s: len(d) for s, d in datasets.items()}
    lengths = {}
    everything = torch.cat([d.rows for d in datasets.values()])
    for block, name in inputs.items():
        column = datasets["train"].columns[name]
        values = column.length_of(everything).float()
        if len(values) == 0:
            continue
        low, high = int(values.min()), int(values.max())
        bins = max(1, min(20, high - low + 1))
        counts = torch.histc(values, bins=bins, min=low, max=high + 1 if high == low else high)
        edges = torch.linspace(low, high + 1 if high == low else high, bins + 1)
        lengths[block] = {"min": low, "max": high, "mean": round(float(values.mean()), 3),
                          "edges": [round(float(e), 3) for e in edges], "counts": [int(c) for c in counts]}
    vocab_size = {block: len(vocab_of[name]) for block, name in inputs.items() if name in vocab_of}
    balance = {}
    train = datasets["train"]
    for block, name in targets.items():
        names = table.labels.get(name)
        column = train.columns[name]
        if not names or column.lengths is not None or column.data.dim() != 1:
            continue
        counts = torch.bincount(column.data[train.rows].long(), minlength=len(names))
        balance[block] = {label: int(counts[i]) for i, label in enumerate(names)}
    return DataInfo(spec.name, spec.task, samples, lengths, vocab_size, balance)
