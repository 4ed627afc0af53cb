"""``rnn-studio datasets [NAME]``: the built-in datasets (name, task, samples, source), or one dataset's
fields and options; says how to install the packages a dataset needs when they are missing.
"""
from __future__ import annotations

import sys

from .check_command import format_table

INSTALL = "pip install 'rnn-studio[datasets]'"


def add_arguments(parser) -> None:
    parser.add_argument("name", nargs="?", help="show the fields and options of one dataset")


def run(args) -> int:
    from ..data.registry import DATASETS, missing_package
    from ..specs import shown

    if args.name:
        if args.name not in DATASETS:  # quoted: the one error line holds whatever was typed (or pasted)
            print(f"error: unknown dataset {shown(args.name)}; the datasets are {', '.join(DATASETS)}", file=sys.stderr)
            return 2
        print(describe(DATASETS[args.name], missing_package(DATASETS[args.name])))
        return 0
    rows, missing = [], {}
    for spec in DATASETS.values():
        package = missing_package(spec)
        if package:
            missing[spec.name] = package
        rows.append((spec.name + (" *" if package else ""), spec.task, spec.samples, spec.source))
    print(format_table(rows, ("Dataset", "Task", "Samples", "Source")))
    if missing:
        packages = ", ".join(sorted(set(missing.values())))
        print(f"\n* needs {packages}, not installed: run {INSTALL}")
    print("\nrnn-studio datasets NAME shows a dataset's fields and options.")
    return 0


def describe(spec, missing: str | None) -> str:
    lines = [f"{spec.name}: {spec.description}", f"  task: {spec.task}", f"  samples: {spec.samples}",
             f"  source: {spec.source}", f"  licence: {spec.licence}"]
    if missing:
        lines.append(f"  needs {missing}, not installed: run {INSTALL}")
    lines.append("  fields:")
    for f in spec.fields:
        time = f" (per step of {f.time})" if f.time else ""
        lines.append(f"    {f.name:<11} {f.role:<6} {f.kind:<12} {f.description}{time}")
    lines.append("  options:" if spec.options else "  options: none")
    for o in spec.options:
        lines.append(f"    {o.name:<12} = {o.default!r:<10} {o.help}")
    return "\n".join(lines)
