"""Epoch time of the Trainer with every probe on against a bare hand-written PyTorch loop, in one process.

Same model (examples/adding_lstm.json), same data, same optimizer and clipping; both run a validation
pass per epoch. Prints median epoch times (wall clock and this process's CPU time, which other
processes on a shared machine disturb less) and their ratios (the target is <= 1.05).

    .venv/bin/python benchmarks/bench_probe_overhead.py [--epochs 4] [--length 50] [--device cpu]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.compiler import compile_graph  # noqa: E402
from engine.document import load_document  # noqa: E402
from engine.training import Hook, Trainer, TrainingConfig  # noqa: E402
from engine.training.config import PROBES  # noqa: E402


@dataclass
class Batch:
    inputs: dict
    lengths: dict
    targets: dict
    size: int

    def to(self, device):
        move = lambda d: {k: v.to(device) for k, v in d.items()}  # noqa: E731
        return Batch(move(self.inputs), move(self.lengths), move(self.targets), self.size)


class AddingData:
    """The adding problem, pre-generated, with the data contract's loader()."""

    def __init__(self, samples: int, length: int, seed: int = 0):
        g = torch.Generator().manual_seed(seed)
        values = torch.rand(samples, length, generator=g)
        marks = torch.zeros(samples, length)
        for i in range(samples):
            marks[i, torch.randperm(length, generator=g)[:2]] = 1.0
        x = torch.stack([values, marks], dim=-1)
        y = (values * marks).sum(1, keepdim=True)
        cut = samples * 8 // 10
        self.splits = {"train": (x[:cut], y[:cut]), "val": (x[cut:], y[cut:]), "test": (x[cut:], y[cut:])}
        self.train, self.val, self.test = (range(len(self.splits[s][0])) for s in ("train", "val", "test"))
        self.length = length

    def loader(self, split, batch_size, shuffle=False, seed=0, sampler=None):
        x, y = self.splits[split]
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)) if shuffle else torch.arange(len(x))
        for start in range(0, len(x), batch_size):
            idx = order[start:start + batch_size]
            yield Batch({"sequence": x[idx]}, {"sequence": torch.full((len(idx),), self.length)}, {"sum": y[idx]},
                        len(idx))


def _clocks() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def bare_loop(doc, data: AddingData, epochs: int, batch_size: int, device) -> list[tuple[float, float]]:
    """What one writes by hand: forward, MSE, backward, clip, step, log the loss; a validation pass."""
    torch.manual_seed(0)
    model = compile_graph(doc.graph).module.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    times = []
    for epoch in range(1, epochs + 1):
        wall, cpu = _clocks()
        model.train()
        for batch in data.loader("train", batch_size, shuffle=True, seed=epoch):
            batch = batch.to(device)
            out = model(batch.inputs["sequence"], batch.lengths["sequence"])
            loss = torch.nn.functional.mse_loss(out, batch.targets["sum"])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            loss.item()
        model.eval()
        with torch.no_grad():
            total = 0.0
            for batch in data.loader("val", batch_size):
                batch = batch.to(device)
                out = model(batch.inputs["sequence"], batch.lengths["sequence"])
                total += torch.nn.functional.mse_loss(out, batch.targets["sum"], reduction="sum").item()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return times


class EpochClock(Hook):
    """Wall and CPU time of each epoch, measured like the bare loop (training + validation)."""

    def __init__(self):
        self.times, self._start = [], None

    def on_run_start(self, trainer):
        self._start = _clocks()

    def on_epoch_end(self, trainer, metrics):
        wall, cpu = _clocks()
        self.times.append((wall - self._start[0], cpu - self._start[1]))
        self._start = _clocks()


def trainer_run(doc, data: AddingData, epochs: int, batch_size: int, device, probes) -> tuple[list, dict]:
    config = TrainingConfig(epochs=epochs, batch_size=batch_size, lr=1e-3, clip="norm", clip_value=1.0,
                            device=device, probes=probes)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(doc, config, run_root=tmp, data=data)
        clock = EpochClock()
        trainer.add_hook(clock)
        result = trainer.run()
        events = trainer.events.drain()
        probe_hook = next(h for h in trainer.hooks if type(h).__name__ == "ProbeHook")
        stats = {"probe_runs": probe_hook.runs, "probe_seconds": probe_hook.probe_seconds,
                 "events": len(events), "status": result.status}
    return clock.times, stats


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--samples", type=int, default=2560)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1: steadier timings)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    doc = load_document(ROOT / "examples" / "adding_lstm.json")
    data = AddingData(args.samples, args.length)
    bare, full = [], []
    stats = {}
    for round_ in range(args.rounds):  # interleaved, alternating who goes first: drifting load hits both
        for which in ((0, 1) if round_ % 2 == 0 else (1, 0)):
            if which == 0:
                bare += bare_loop(doc, data, args.epochs, args.batch_size, args.device)[1:]  # skip warm-up
            else:
                times, stats = trainer_run(doc, data, args.epochs, args.batch_size, args.device,
                                           list(PROBES))
                full += times[1:]
    print(f"device {args.device}, {args.threads} thread(s), adding problem length {args.length}, "
          f"{len(data.train)} train samples, batch {args.batch_size}")
    for index, clock in ((0, "wall"), (1, "cpu")):
        bare_s = statistics.median(t[index] for t in bare)
        full_s = statistics.median(t[index] for t in full)
        print(f"{clock:4s}: bare PyTorch loop {bare_s:.3f} s/epoch, Trainer with all probes {full_s:.3f} s/epoch "
              f"-> ratio {full_s / bare_s:.3f}  (target <= 1.05; {len(bare)} epochs each)")
    print(f"last Trainer run: {stats['probe_runs']} probe runs, {stats['probe_seconds']:.3f} s in probes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
