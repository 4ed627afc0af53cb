"""Time to analyze and compile a 200-block graph (target: under 100 ms), as a script printing numbers.

The graph mixes every common block: recurrent layers (with residual Adds), attention, dense, norm, pooling.
"Cold" clears the parameter-count cache first, as after opening a document; "warm" is a re-compile.

    .venv/bin/python benchmarks/bench_compile.py [--blocks 200] [--repeats 7] [--hidden 32]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import Graph, analyze, compile_graph  # noqa: E402
from engine.shapes import _count_cached  # noqa: E402

PATTERN = [  # repeated along a trunk; each (kind, params) reads the trunk and replaces it
    ("lstm", {"layers": 1}), ("layer_norm", {}), ("gru", {"layers": 1}), ("dropout", {"rate": 0.1}),
    ("self_attention", {"heads": 4}), ("dense", {"activation": "relu"}), ("conv1d", {"kernel_size": 3}),
    ("rnn", {}),
]


def build_graph(blocks: int, hidden: int) -> Graph:
    g = Graph()
    tokens = g.add_node("token_input", name="tokens", params={"vocab_size": 1000})
    emb = g.add_node("embedding", name="embedding", params={"vocab_size": 1000, "dim": hidden})
    g.connect(tokens.id, "tokens", emb.id, "tokens")
    trunk = (emb.id, "sequence")
    i = 0
    while len(g) < blocks - 3:
        kind, params = PATTERN[i % len(PATTERN)]
        sized = {**params}
        if kind in ("lstm", "gru", "rnn"):
            sized["hidden_size"] = hidden
        elif kind == "dense":
            sized["units"] = hidden
        elif kind == "conv1d":
            sized["filters"] = hidden
        node = g.add_node(kind, params=sized)
        g.connect(trunk[0], trunk[1], node.id, "input")
        out = (node.id, node.spec.outputs[0].name)
        if kind in ("lstm", "gru", "rnn"):  # a residual connection, as deep recurrent stacks use
            add = g.add_node("add")
            g.connect(trunk[0], trunk[1], add.id, "a")
            g.connect(*out, add.id, "b")
            out = (add.id, "output")
        trunk = out
        i += 1
    pool = g.add_node("pooling", params={"mode": "mean"})
    dense = g.add_node("dense", params={"units": 2, "activation": "softmax"})
    head = g.add_node("classification_head")
    g.connect(trunk[0], trunk[1], pool.id, "input")
    g.connect(pool.id, "vector", dense.id, "input")
    g.connect(dense.id, "output", head.id, "input")
    return g


def median_ms(fn, repeats: int, before=None) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds (CPU time is less disturbed by other processes)."""
    wall, cpu = [], []
    for _ in range(repeats):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--hidden", type=int, default=32)
    args = parser.parse_args()
    torch.set_num_threads(1)
    graph = build_graph(args.blocks, args.hidden)
    report = analyze(graph)
    assert report.ok, [d.message for d in report.diagnostics]
    compile_graph(graph)  # warm up imports and torch's first-call paths once
    model = compile_graph(graph)

    analyze_cold = median_ms(lambda: analyze(graph), args.repeats, _count_cached.cache_clear)
    analyze_warm = median_ms(lambda: analyze(graph), args.repeats)
    compile_cold = median_ms(lambda: compile_graph(graph), args.repeats, _count_cached.cache_clear)
    compile_warm = median_ms(lambda: compile_graph(graph), args.repeats)
    fx_only = median_ms(lambda: compile_graph(graph, report), args.repeats)

    print(f"graph: {len(graph)} blocks, {len(graph.edges)} connections, {report.total_params:,} parameters, "
          f"{len(model.code.splitlines())} lines of generated code (hidden {args.hidden})")
    rows = [("analyze (shapes, diagnostics, parameter counts), cold cache", analyze_cold),
            ("analyze, warm cache", analyze_warm),
            ("compile_graph (analyze + build modules + fx), cold cache", compile_cold),
            ("compile_graph, warm cache", compile_warm),
            ("compile_graph given a report (build modules + fx only)", fx_only)]
    print(f"{'':58}{'wall ms':>9}{'CPU ms':>9}")
    for label, (wall, cpu) in rows:
        print(f"{label:58}{wall:9.1f}{cpu:9.1f}")
    wall, cpu = compile_cold
    print(f"target < 100 ms for a {len(graph)}-block compile (cold, median of {args.repeats}): "
          f"wall {wall:.1f} ms ({'meets' if wall < 100 else 'misses'}), CPU {cpu:.1f} ms "
          f"({'meets' if cpu < 100 else 'misses'}); load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
