"""Tiny in-test datasets that follow the data contract (Batch, PreparedData.loader), and small graphs.

The trainer tests use them so that they need no dataset files and stay fast.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch

from engine.graph import Graph


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Tiny models train as fast on one thread, and a busy machine does not oversubscribe its cores."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@dataclass
class Batch:
    inputs: dict
    lengths: dict
    targets: dict
    size: int = 0

    def to(self, device):
        move = lambda d: {k: v.to(device) for k, v in d.items()}  # noqa: E731
        return Batch(move(self.inputs), move(self.lengths), move(self.targets), self.size)


@dataclass
class SynthData:
    """Samples are dicts {"inputs": {...}, "lengths": {...}, "targets": {...}} of unbatched tensors."""

    train: list
    val: list
    test: list
    meta: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def loader(self, split, batch_size, shuffle=False, seed=0, sampler=None):
        samples = getattr(self, split)
        if sampler is not None:
            order = list(iter(sampler))
        elif shuffle:
            order = torch.randperm(len(samples), generator=torch.Generator().manual_seed(seed)).tolist()
        else:
            order = list(range(len(samples)))
        batches = []
        for start in range(0, len(order), batch_size):
            group = [samples[i] for i in order[start:start + batch_size]]
            batches.append(collate(group))
        return batches


def collate(group) -> Batch:
    def stack(part):
        out = {}
        for key in group[0][part]:
            values = [s[part][key] for s in group]
            if values[0].dim() == 0:
                out[key] = torch.stack(values)
            else:
                out[key] = torch.nn.utils.rnn.pad_sequence(values, batch_first=True)
        return out
    return Batch(stack("inputs"), stack("lengths"), stack("targets"), len(group))


def split3(samples, n_val, n_test):
    return samples[n_val + n_test:], samples[:n_val], samples[n_val:n_val + n_test]


def adding_data(n=256, steps=12, seed=0, n_val=32, n_test=32) -> SynthData:
    """The adding problem: sum the two marked values of a sequence (target [1])."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        values = torch.rand(steps, generator=g)
        marks = torch.zeros(steps)
        a, b = torch.randperm(steps, generator=g)[:2].tolist()
        marks[a] = marks[b] = 1.0
        x = torch.stack([values, marks], dim=1)
        samples.append({"inputs": {"sequence": x}, "lengths": {"sequence": torch.tensor(steps)},
                        "targets": {"sum": (values * marks).sum().reshape(1)}})
    return SynthData(*split3(samples, n_val, n_test))


def token_class_data(n=240, vocab=12, classes=3, seed=0, n_val=60, n_test=60, binary=False) -> SynthData:
    """Variable-length token sequences; the label is the most frequent of the tokens 1..classes."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        length = int(torch.randint(3, 10, (1,), generator=g))
        tokens = torch.randint(1, vocab, (length,), generator=g)
        counts = torch.bincount(tokens, minlength=vocab)[1:classes + 1]
        label = int(counts.argmax())
        target = torch.tensor(float(label > 0)) if binary else torch.tensor(label)
        samples.append({"inputs": {"tokens": tokens}, "lengths": {"tokens": torch.tensor(length)},
                        "targets": {"label": target}})
    return SynthData(*split3(samples, n_val, n_test))


def lm_data(n=96, steps=24, vocab=8, seed=0, n_val=16, n_test=16) -> SynthData:
    """Counting sequences modulo vocab-1 (tokens 1..vocab-1): the next token is predictable."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        length = int(torch.randint(steps // 2, steps + 1, (1,), generator=g))
        start = int(torch.randint(0, vocab - 1, (1,), generator=g))
        seq = (torch.arange(length + 1) + start) % (vocab - 1) + 1
        samples.append({"inputs": {"chars": seq[:-1]}, "lengths": {"chars": torch.tensor(length)},
                        "targets": {"next": seq[1:]}})
    return SynthData(*split3(samples, n_val, n_test))


def chain(kinds_params, names=None) -> Graph:
    """A straight chain of blocks: [(kind, params), ...] connected first output -> first input."""
    graph = Graph()
    previous = None
    for index, (kind, params) in enumerate(kinds_params):
        name = names[index] if names else None
        node = graph.add_node(kind, name=name, params=params)
        if previous is not None:
            graph.connect(previous.id, previous.spec.outputs[0].name, node.id, node.spec.inputs[0].name)
        previous = node
    return graph


def test_collate_pads_and_keeps_lengths():
    data = token_class_data(n=10, n_val=2, n_test=2)
    batch = data.loader("train", 4)[0]
    assert batch.inputs["tokens"].shape[0] == 4 and batch.size == 4
    assert batch.inputs["tokens"].shape[1] == int(batch.lengths["tokens"].max())
