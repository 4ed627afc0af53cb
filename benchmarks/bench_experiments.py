"""Experiment throughput: the same 8 short trials (the adding problem, seeds 0-7) with 2 worker processes against 1
(one after another), as trials per hour, and the per-trial overhead (process start, compile, data, run folder).

Measured cold and warm. Cold: the whole `rnn-studio sweep` command, timed from its start to its exit; it starts the
fork server that the workers come from (engine/worker_processes.py) first, which imports torch beside it. Warm: in
this process once the fork server runs, as the window's experiments are (it starts the server when a document with
an experiment opens).
Warm, sequential is measured twice: one worker with every core (workers x threads <= cores) and one worker with
one thread. Overhead = (the sweep's wall time - the time its epochs trained) / trials, one worker; the time until
the first trial starts is printed on its own. Targets: ratio >= 1.6 on 2 cores, overhead < 3 s on CPU.

    .venv/bin/python benchmarks/bench_experiments.py [--trials 8] [--length 50] [--samples 3200] [--epochs 2]
                                                     [--device cpu|cuda]

With --device cuda every trial trains on a GPU and the engine gives each worker its own GPU (one trial per GPU):
"2 workers" then means min(2, GPUs) workers, which the report states.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.document import loads  # noqa: E402
from engine.experiments import Experiment, TrialStarted, cores, warm_up  # noqa: E402
from engine.training import Run  # noqa: E402


def document(folder: Path, trials: int, length: int, samples: int, epochs: int, device: str = "cpu"):
    data = json.loads((ROOT / "examples" / "adding_lstm.json").read_text())
    data["version"] = 2
    data["data"]["options"] = {"length": length, "samples": samples}
    data["training"].update(epochs=epochs, early_stopping=0, probes=[], device=device)
    for node in data["graph"]["nodes"]:
        if node["name"] == "lstm":
            node["params"]["hidden_size"] = 32
    data["experiment"] = {"name": "bench", "variables": [{"path": "training.seed", "values": list(range(trials))}]}
    path = folder / "bench.json"
    path.write_text(json.dumps(data))
    doc = loads(path.read_text())
    doc.path = path
    return doc


def sweep(doc, workers: int, out: Path, threads: int | None = None) -> dict:
    experiment = Experiment(doc, workers=workers, out=out, threads=threads)
    experiment.prepare()
    first: list[float] = []
    started = time.perf_counter()
    result = experiment.run(lambda e: first.append(time.perf_counter()) if isinstance(e, TrialStarted)
                            and not first else None)
    wall = time.perf_counter() - started
    assert result.status == "completed", result.message
    trained = sum(e.duration_s for t in result.trials for d in t.run_dirs for e in Run(d).read_events()
                  if type(e).__name__ == "EpochMetrics")
    return {"workers": workers, "threads": threads or cores() // workers, "wall_s": wall, "trials": len(result.trials),
            "train_s": trained,
            "process_start_s": first[0] - started if first else None,
            "trials_per_hour": 3600 * len(result.trials) / wall}


def cold(doc, workers: int, out: Path) -> dict:
    """The whole ``rnn-studio sweep`` command in a new process, timed from its start to its exit: its imports, the
    fork server's (beside them), the trials and the table."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import sys; from engine.cli import main; sys.exit(main())", "sweep",
                    str(doc.path), "--workers", str(workers), "--out", str(out)], check=True, capture_output=True,
                   cwd=ROOT)
    wall = time.perf_counter() - started
    runs = [d for d in out.rglob("*") if (d / "metrics.jsonl").is_file()]
    trained = sum(e.duration_s for d in runs for e in Run(d).read_events() if type(e).__name__ == "EpochMetrics")
    trials = len(runs)  # one run per trial: the bench experiment has no repeats
    return {"workers": workers, "threads": cores() // workers, "wall_s": wall, "trials": trials, "train_s": trained,
            "process_start_s": None, "trials_per_hour": 3600 * trials / wall}


def report(label: str, rows: list[dict]) -> None:
    print(label)
    for r in rows:
        print(f"  {r['workers']} worker(s) x {r['threads']} thread(s): {r['wall_s']:.1f} s wall, "
              f"{r['trials_per_hour']:.0f} trials/hour (epochs trained {r['train_s']:.1f} s of it"
              + (f"; first trial started after {r['process_start_s']:.1f} s)" if r["process_start_s"] else ")"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--length", type=int, default=50)
    parser.add_argument("--samples", type=int, default=3200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    args = parser.parse_args()
    if args.device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: torch sees no GPU here")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        doc = document(tmp, args.trials, args.length, args.samples, args.epochs, args.device)
        cold_single, cold_two = cold(doc, 1, tmp / "cold-one"), cold(doc, 2, tmp / "cold-two")
        started = time.perf_counter()
        warm_up()  # what the window does when a document with an experiment opens
        (tmp / "w").mkdir()
        # waits for the server's imports
        sweep(document(tmp / "w", 1, args.length, 64, 1, args.device), 1, tmp / "warm-up")
        server_s = time.perf_counter() - started
        one = sweep(doc, 1, tmp / "one")  # workers x threads <= cores: one worker gets every core
        single = sweep(doc, 1, tmp / "single", threads=1)  # the conservative baseline: one thread, one trial at a time
        two = sweep(doc, 2, tmp / "two")
    if args.device == "cuda":
        import torch

        gpus = torch.cuda.device_count()
        where = f"{gpus} GPU(s) ({torch.cuda.get_device_name(0)}): '2 workers' are {min(2, gpus)}, one per GPU"
    else:
        where = f"{cores()} cores"
    print(f"{args.trials} trials: adding problem, LSTM 32, length {args.length}, {args.samples} samples, "
          f"{args.epochs} epochs, device {args.device}; {where}")
    report("cold (the whole `rnn-studio sweep` command, imports included):",
           [cold_single, cold_two])
    print(f"  throughput 2 workers / 1: {cold_two['trials_per_hour'] / cold_single['trials_per_hour']:.2f}x")
    report(f"warm (the window's experiments once the fork server runs; it took {server_s:.1f} s to start):",
           [one, single, two])
    print(f"  throughput 2 workers / 1: {two['trials_per_hour'] / single['trials_per_hour']:.2f}x against 1 worker "
          f"with one thread, {two['trials_per_hour'] / one['trials_per_hour']:.2f}x against 1 worker with every core "
          "(target >= 1.6)")
    for label, r in (("cold, the whole command", cold_single), ("warm", single)):
        print(f"  per-trial overhead, {label}: {(r['wall_s'] - r['train_s']) / r['trials']:.2f} s (target < 3 s): "
              "wall minus training, per trial, one worker")


if __name__ == "__main__":
    main()
