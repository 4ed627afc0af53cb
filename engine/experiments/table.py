"""The trials table: ``trials.csv`` (one row per trial: values, status, objective, every final metric, best epoch,
duration, run folders, message), ``best.json``, reading them back, and the text table the CLI prints.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from .definition import ExperimentSpec
from .study import TrialRecord

TRIALS = "trials.csv"
BEST = "best.json"


def trial_rows(spec: ExperimentSpec, monitor: str, trials: list[TrialRecord]) -> tuple[list[str], list[dict]]:
    """The header and the rows of the table (plain values: numbers, text, "" where unknown). ``objective`` is the
    monitored metric (mean over the repeats); the metrics are train_/val_ of the best epoch and test_."""
    metric_names = sorted({k for t in trials for k in t.metrics})
    header = (["trial", "slot", "label", "status"] + [v.path for v in spec.variables] + ["objective", "objective_std"]
              + metric_names + ["best_epoch", "duration_s", "run_dir", "message"])
    rows = []
    for t in trials:
        row: dict[str, Any] = {"trial": t.number, "slot": t.slot, "label": t.label, "status": t.status,
                               "objective": t.value, "objective_std": t.value_std, "best_epoch": t.best_epoch,
                               "duration_s": t.duration_s, "run_dir": ";".join(t.run_dirs), "message": t.message}
        row.update({v.path: t.values.get(v.path) for v in spec.variables})
        row.update(t.metrics)
        rows.append({k: "" if row.get(k) is None else row[k] for k in header})
    return header, rows


def write_trials(folder: Path, spec: ExperimentSpec, monitor: str, trials: list[TrialRecord]) -> Path:
    from ..training.rundir import atomic_write

    header, rows = trial_rows(spec, monitor, trials)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    text = out.getvalue()
    return atomic_write(folder / TRIALS, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_best(folder: Path, monitor: str, best: TrialRecord | None) -> None:
    from ..training.rundir import write_json

    write_json(folder / BEST, None if best is None else {
        "trial": best.number, "label": best.label, "values": best.values, "monitor": monitor, "value": best.value,
        "value_std": best.value_std, "metrics": best.metrics, "best_epoch": best.best_epoch, "run_dirs": best.run_dirs})


def read_trials(folder: str | Path) -> list[dict[str, str]]:
    """trials.csv as dicts of text (the window's table reads it between events)."""
    with open(Path(folder) / TRIALS, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def read_best(folder: str | Path) -> dict | None:
    path = Path(folder) / BEST
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_table(spec: ExperimentSpec, monitor: str, trials: list[TrialRecord], width: int = 60) -> str:
    """The CLI's final table: trial, values, status, objective (± std) and test metrics, in the order given."""
    tests = sorted({k for t in trials for k in t.metrics if k.startswith("test_") and not k.endswith("_std")})
    header = ["#", *spec.labels().values(), "status", monitor, *tests, "epochs", "time"]
    lines = [header]
    for t in trials:
        value = "" if t.value is None else _cell(t.value) + (f" ± {t.value_std:.2g}" if t.value_std else "")
        lines.append([str(t.number), *(_cell(t.values.get(v.path, "")) for v in spec.variables), t.status, value,
                      *(_cell(t.metrics[k]) if k in t.metrics else "" for k in tests),
                      "" if t.best_epoch is None else str(t.best_epoch),
                      "" if t.duration_s is None else f"{t.duration_s:.0f}s"])
    widths = [max(len(row[i]) for row in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in lines]
    failed = [t for t in trials if t.message and t.status not in ("completed",)]
    text += [f"trial {t.number} ({t.label}) {t.status}: {t.message[:width * 3]}" for t in failed]
    return "\n".join(text)
