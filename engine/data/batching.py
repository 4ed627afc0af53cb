"""Batches: padded column storage, split datasets, and a loader that groups variable-length samples by
length (sort within buckets, shuffle the batches) so padding wastes little compute; a sampler hook for DDP.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch.utils.data import Dataset

BUCKET_BATCHES = 50  # batches per bucket: large enough to sort well, small enough to keep batches varied


@dataclass
class Batch:
    """One batch: ``inputs``/``lengths`` keyed by graph input block, ``targets`` by head block."""

    inputs: dict[str, Tensor]
    lengths: dict[str, Tensor]
    targets: dict[str, Tensor]
    size: int = 0
    index: Tensor | None = field(default=None, repr=False)  # rows of the split this batch holds

    def to(self, device, non_blocking: bool = False) -> "Batch":
        move = lambda d: {k: v.to(device, non_blocking=non_blocking) for k, v in d.items()}  # noqa: E731
        return Batch(move(self.inputs), move(self.lengths), move(self.targets), self.size, self.index)


@dataclass
class Column:
    """One field for all samples: ``data`` [N, ...] padded along time when ``lengths`` ([N]) is set."""

    data: Tensor
    lengths: Tensor | None = None

    @classmethod
    def from_values(cls, values, dtype, pad) -> "Column":
        if isinstance(values, Tensor):
            return cls(values.to(dtype))
        if values and isinstance(values[0], list):
            # Token id lists: one flat tensor scattered through a mask is much faster than a tensor per sample.
            lengths = torch.tensor([len(v) for v in values], dtype=torch.long)
            steps = int(lengths.max()) if len(lengths) else 0
            data = torch.full((len(values), steps), pad, dtype=dtype)
            data[torch.arange(steps).unsqueeze(0) < lengths.unsqueeze(1)] = torch.tensor(
                list(itertools.chain.from_iterable(values)), dtype=dtype)
            return cls(data, lengths)
        items = [torch.as_tensor(v, dtype=dtype) for v in values]
        if items and items[0].dim() == 0:
            return cls(torch.stack(items))
        lengths = torch.tensor([len(v) for v in items], dtype=torch.long)
        return cls(torch.nn.utils.rnn.pad_sequence(items, batch_first=True, padding_value=pad), lengths)

    def length_of(self, rows: Tensor) -> Tensor:
        if self.lengths is not None:
            return self.lengths[rows]
        steps = self.data.shape[1] if self.data.dim() > 1 else 1
        return torch.full((len(rows),), steps, dtype=torch.long)

    def take(self, rows: Tensor, steps: int | None = None) -> Tensor:
        out = self.data[rows]
        return out[:, :steps] if steps is not None and out.dim() > 1 else out


class SplitDataset(Dataset):
    """The samples of one split. ``dataset[i]`` is a dict {"inputs", "lengths", "targets"} of unpadded tensors."""

    def __init__(self, columns: dict[str, Column], rows: Tensor, inputs: dict[str, str], targets: dict[str, str],
                 time_of: dict[str, str]):
        self.columns, self.rows = columns, rows
        self.input_map, self.target_map = inputs, targets  # block name -> field
        self.time_of = time_of  # per-step target field -> the input field whose lengths it follows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> dict:
        batch = self.batch(torch.tensor([int(i)]))
        one = lambda d: {k: v[0] for k, v in d.items()}  # noqa: E731
        return {"inputs": one(batch.inputs), "lengths": one(batch.lengths), "targets": one(batch.targets)}

    def lengths(self, field_name: str | None = None) -> Tensor:
        """Sequence lengths of every sample (of ``field_name``, or the longest input) for bucketing and info."""
        names = [field_name] if field_name else list(self.input_map.values())
        per_field = [self.columns[f].length_of(self.rows) for f in names]
        return torch.stack(per_field).max(0).values if per_field else torch.ones(len(self.rows), dtype=torch.long)

    def variable_length(self) -> bool:
        return any(self.columns[f].lengths is not None for f in self.input_map.values())

    def batch(self, positions: Tensor) -> Batch:
        rows = self.rows[positions]
        inputs, lengths, field_steps = {}, {}, {}
        for block, name in self.input_map.items():
            column = self.columns[name]
            length = column.length_of(rows)
            steps = int(length.max()) if column.lengths is not None and len(rows) else None
            inputs[block] = column.take(rows, steps)
            lengths[block] = length
            field_steps[name] = steps
        targets = {}
        for block, name in self.target_map.items():
            column = self.columns[name]
            steps = field_steps.get(self.time_of.get(name)) if name in self.time_of else None
            if steps is None and column.lengths is not None and len(rows):
                steps = int(column.length_of(rows).max())
            targets[block] = column.take(rows, steps)
        return Batch(inputs, lengths, targets, len(rows), rows)


class BatchLoader:
    """Iterates Batches of one split in an order fixed by (shuffle, seed, sampler); has a length."""

    def __init__(self, dataset: SplitDataset, batch_size: int, shuffle: bool = False, seed: int = 0, sampler=None,
                 bucketing: bool = True):
        if int(batch_size) < 1:
            raise ValueError(f"batch_size must be at least 1, not {batch_size}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.seed, self.sampler = shuffle, int(seed), sampler
        # Buckets only when the order is ours to choose: a sampler's order (DDP) is kept as it is.
        self.bucketing = bucketing and shuffle and sampler is None and dataset.variable_length()
        self._batches: list[Tensor] | None = None

    def plan(self) -> list[Tensor]:
        """The positions of each batch, in order (computed once per loader)."""
        if self._batches is None:
            self._batches = self._plan()
        return self._batches

    def _plan(self) -> list[Tensor]:
        n, size = len(self.dataset), self.batch_size
        g = torch.Generator().manual_seed(self.seed)
        if self.sampler is not None:
            order = torch.tensor(list(iter(self.sampler)), dtype=torch.long)
        elif self.shuffle:
            order = torch.randperm(n, generator=g)
        else:
            order = torch.arange(n)
        if not self.bucketing:
            return list(order.split(size))
        return bucketed(order, self.dataset.lengths(), size, g)

    def __len__(self) -> int:
        return len(self.plan())

    def __iter__(self):
        for positions in self.plan():
            yield self.dataset.batch(positions)


def bucketed(order: Tensor, lengths: Tensor, batch_size: int, generator: torch.Generator,
             bucket_batches: int = BUCKET_BATCHES) -> list[Tensor]:
    """Cuts the (shuffled) order into buckets of ``bucket_batches`` batches, sorts each bucket by length,
    cuts it into batches, and shuffles the batches, so an epoch still sees the data in a random order."""
    batches: list[Tensor] = []
    batch_size = max(1, min(batch_size, len(order)))  # a batch past the data is all of it (and 1e18 * 50 overflows)
    for bucket in order.split(batch_size * bucket_batches):
        by_length = bucket[torch.argsort(lengths[bucket], stable=True)]
        batches += list(by_length.split(batch_size))
    shuffle = torch.randperm(len(batches), generator=generator).tolist()
    return [batches[i] for i in shuffle]


def padding_fraction(loader: BatchLoader) -> float:
    """Share of padded steps over all input steps the loader's batches hold (0 = no padding)."""
    padded = real = 0
    all_lengths = loader.dataset.lengths()
    for positions in loader.plan():
        lengths = all_lengths[positions]
        padded += int(lengths.max()) * len(positions)
        real += int(lengths.sum())
    return 1.0 - real / padded if padded else 0.0
