"""``rnn-studio check FILE``: the model summary table; a training setting that train would refuse, every
diagnostic of the graph, or every mismatch between the graph and its data (exit 1); or the read error (exit 2)."""
from __future__ import annotations

import sys

from ..document import DocumentError, load_document
from ..shapes import EMPTY_MODEL, analyze


def add_arguments(parser) -> None:
    parser.add_argument("file", help="an RNN Studio document (.json)")


def summary_rows(graph, report) -> list[tuple[str, str, str, str]]:
    """(block, kind, output shape, parameters) for each block in dependency order: what the GUI shows too."""
    rows = []
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        rows.append((node.name, node.spec.title, report.output_text(node), f"{report.params.get(node_id, 0):,}"))
    return rows


def format_table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run(args) -> int:
    try:
        doc = load_document(args.file)
    except DocumentError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    from ..training.config import ConfigError, TrainingConfig

    try:  # what train would refuse, check refuses too: an unknown or out-of-range training setting
        config = TrainingConfig.from_dict(doc.training)
    except ConfigError as err:
        _print_problems(args.file, [str(err)])
        return 1
    report = analyze(doc.graph)
    if not report.ok:
        _print_problems(args.file, [d.message for d in report.diagnostics])
        return 1
    if not len(doc.graph):  # compile_graph refuses it: so does check
        _print_problems(args.file, [EMPTY_MODEL])
        return 1
    from ..data.checks import fit_problems, model_view
    from ..training.model_settings import setting_problems

    problems = [p.message for p in fit_problems(doc)] or [
        str(e) for e in setting_problems(config, model_view(doc.graph, report))]  # the monitor, tbptt, teacher forcing
    if problems:
        _print_problems(args.file, problems)
        return 1
    print(format_table(summary_rows(doc.graph, report), ("Block", "Kind", "Output", "Parameters")))
    print(f"\nTotal parameters: {report.total_params:,}")
    return 0


def _print_problems(file, messages: list[str]) -> None:
    print(f"{file}: {len(messages)} problem{'' if len(messages) == 1 else 's'}:")
    for message in messages:
        print(f"  - {message}")
