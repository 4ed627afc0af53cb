"""Forward+backward time of the compiled sentiment model against its hand-written PyTorch twin (target <= 1.02 on
CPU, <= 1.05 on a GPU, where the twin's packed nn.LSTM runs cuDNN's kernel).

Both run in this process with the same weights and batches, in interleaved rounds, so machine load hits
both alike; prints medians of wall-clock and CPU time per step and their ratios. The twin is what one
would write by hand: Embedding -> packed nn.LSTM -> h_n[-1] -> Linear -> sigmoid. On CUDA each timed round
ends with a synchronize (the wall time is the GPU's), and the batches live on the GPU as the trainer's do.

    .venv/bin/python benchmarks/bench_compiled_vs_handwritten.py [--rounds 9] [--steps 5] [--batch 64]
                                                                 [--device auto|cpu|cuda]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.compiler import compile_graph  # noqa: E402
from engine.document import load_document  # noqa: E402


class HandWritten(nn.Module):
    def __init__(self, vocab: int, dim: int, hidden: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True)
        self.dense = nn.Linear(hidden, 1)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        packed = pack_padded_sequence(self.embedding(tokens), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return torch.sigmoid(self.dense(h_n[-1]))


def twin_of(model) -> HandWritten:
    m = model.module
    twin = HandWritten(m.embedding.num_embeddings, m.embedding.embedding_dim, m.lstm.hidden)
    twin.embedding.load_state_dict(m.embedding.state_dict())
    twin.lstm.load_state_dict(m.lstm.rnn.state_dict())
    twin.dense.load_state_dict(m.dense.linear.state_dict())
    return twin


def make_batches(count: int, batch: int, steps: int, vocab: int, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(count):
        lengths = torch.randint(steps // 4, steps + 1, (batch,), generator=gen)
        tokens = torch.randint(1, vocab, (batch, steps), generator=gen)
        tokens[torch.arange(steps).unsqueeze(0) >= lengths.unsqueeze(1)] = 0
        labels = torch.randint(0, 2, (batch, 1), generator=gen).float()
        out.append((tokens, lengths, labels))
    return out


def step(module, batches) -> None:
    for tokens, lengths, labels in batches:
        module.zero_grad(set_to_none=True)
        F.binary_cross_entropy(module(tokens, lengths), labels).backward()


def timed(module, batches) -> tuple[float, float]:
    cuda = batches[0][0].is_cuda
    if cuda:
        torch.cuda.synchronize()
    start, start_cpu = time.perf_counter(), time.process_time()
    step(module, batches)
    if cuda:
        torch.cuda.synchronize()
    n = len(batches)
    return (time.perf_counter() - start) * 1000 / n, (time.process_time() - start_cpu) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=5, help="forward+backward steps per timed round")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--length", type=int, default=60, help="padded sequence length (the example's max)")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="auto: the GPU when there is one")
    args = parser.parse_args()
    if args.device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no GPU here")
    device = torch.device("cuda" if args.device != "cpu" and torch.cuda.is_available() else "cpu")
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    model = compile_graph(load_document(ROOT / "examples" / "sentiment.json").graph)
    twin = twin_of(model).to(device)
    model.module.to(device)
    batches = [tuple(t.to(device) for t in batch)
               for batch in make_batches(args.steps, args.batch, args.length, model.inputs[0].vocab)]
    tokens, lengths, _ = batches[0]
    torch.testing.assert_close(model.module(tokens, lengths), twin(tokens, lengths))  # the same function
    step(model.module, batches[:2])  # warm-up
    step(twin, batches[:2])

    results = {"compiled": [], "hand-written": []}
    for r in range(args.rounds):
        order = [("compiled", model.module), ("hand-written", twin)]
        for name, module in order if r % 2 == 0 else order[::-1]:  # alternate who goes first
            results[name].append(timed(module, batches))

    where = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {args.threads} thread(s)"
    print(f"sentiment model, batch {args.batch}, length {args.length}, {args.rounds} rounds x {args.steps} "
          f"steps, {where}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    medians = {}
    for name, values in results.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        medians[name] = (wall, cpu)
        print(f"  {name:13} forward+backward: {wall:7.2f} ms wall, {cpu:7.2f} ms CPU per step")
    per_round = [c[1] / h[1] for c, h in zip(results["compiled"], results["hand-written"])]
    wall_ratio = medians["compiled"][0] / medians["hand-written"][0]
    cpu_ratio = medians["compiled"][1] / medians["hand-written"][1]
    best = {name: min(v[1] for v in values) for name, values in results.items()}  # least disturbed round
    print(f"ratio compiled / hand-written: wall {wall_ratio:.3f}, CPU {cpu_ratio:.3f} "
          f"(median of per-round CPU ratios {statistics.median(per_round):.3f}, best rounds "
          f"{best['compiled'] / best['hand-written']:.3f}); target <= {1.05 if device.type == 'cuda' else 1.02}")


if __name__ == "__main__":
    main()
