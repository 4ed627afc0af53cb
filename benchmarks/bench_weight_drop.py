"""Training-step time of an LSTM with recurrent weight dropout against the same LSTM without, in one process.

Weight dropout must keep the fused kernel, so the target ratio is < 1.10. Steps alternate between the two
models (so a busy neighbour on a shared machine slows both alike); medians of forward + backward + Adam step, in
wall-clock time and in this process's CPU time (which neighbours disturb less; on CUDA only wall time counts).

    .venv/bin/python benchmarks/bench_weight_drop.py [--steps 40] [--hidden 256] [--length 100] [--device cpu]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.blocks.recurrent_modules import make_recurrent  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--length", type=int, default=100)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--cell", default="lstm", choices=("lstm", "gru", "rnn_tanh"))
    parser.add_argument("--rate", type=float, default=0.5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (1: steadier on a shared machine)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    torch.manual_seed(0)
    models = {"plain": make_recurrent(args.cell, 32, args.hidden, 1, 0.0),
              "weight_drop": make_recurrent(args.cell, 32, args.hidden, 1, 0.0, weight_drop=args.rate)}
    optims = {}
    for name, model in models.items():
        model.to(device).train()
        optims[name] = torch.optim.Adam(model.parameters(), lr=1e-3)
    x = torch.randn(args.batch, args.length, 32, device=device)
    lengths = torch.full((args.batch,), args.length)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in models}

    def step(name: str) -> tuple[float, float]:
        if device.type == "cuda":
            torch.cuda.synchronize()
        start, cpu = time.perf_counter(), time.process_time()
        out, last, _ = models[name](x, lengths)
        (out.square().mean() + last.mean()).backward()
        optims[name].step()
        optims[name].zero_grad(set_to_none=True)
        if device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start, time.process_time() - cpu

    for _ in range(3):  # warm-up: allocator, kernels
        for name in models:
            step(name)
    for _ in range(args.steps):
        for name in models:
            times[name].append(step(name))
    print(f"{args.cell} hidden {args.hidden}, length {args.length}, batch {args.batch}, {device}, "
          f"{args.steps} steps each")
    for clock, index in (("wall", 0), ("cpu", 1)):
        plain, dropped = (statistics.median(t[index] for t in times[n]) for n in ("plain", "weight_drop"))
        print(f"  {clock:4}: without {plain * 1000:8.2f} ms/step, weight drop {args.rate:.2f} "
              f"{dropped * 1000:8.2f} ms/step, ratio {dropped / plain:.3f} (target < 1.10)")


if __name__ == "__main__":
    main()
