"""``rnn-studio export FILE --format F``: a trained model to TorchScript, torch.export, ONNX or Python, verified.

Exit 0 when the reloaded file matches the studio model, 1 when it does not, 2 when nothing could be exported.
"""
from __future__ import annotations

import sys

from ..document import DocumentError, load_document
from ..export import FORMATS, ExportError, export_model
from . import path_argument


def add_arguments(parser) -> None:
    parser.add_argument("file", help="an RNN Studio document (.json)")
    parser.add_argument("--format", "-f", choices=list(FORMATS), default="torchscript",
                        help="torchscript (.pt, default), pt2 (torch.export), onnx (needs the onnx extra) or "
                             "python (.py plus weights)")
    parser.add_argument("--weights", "-w", default=None,
                        help="a .safetensors checkpoint (default: the best checkpoint of --run, else of the document's "
                             "latest run)")
    parser.add_argument("--output", "-o", default=None, type=path_argument, help="where to write (default: beside the document)")
    parser.add_argument("--run", default=None,
                        help="the run to export: its best checkpoint (unless --weights) and its data_meta.json "
                             "(vocabulary, labels, scaling) (default: the checkpoint's run, if it lies in one)")


def run(args) -> int:
    try:
        doc = load_document(args.file)
    except DocumentError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    try:
        report = export_model(doc, args.weights, args.format, args.output, run_dir=args.run)
    except ExportError as err:
        print(f"error: {args.file}: {err}", file=sys.stderr)
        return 2
    for note in report.warnings:
        print(f"warning: {note}", file=sys.stderr)
    print(report.summary())
    if not report.ok:
        if report.max_abs_diff is None:
            print("error: the file was written but could not be checked here", file=sys.stderr)
        else:
            print(f"error: the exported model differs from the studio model by {report.max_abs_diff:.3g} "
                  f"(more than {report.tolerance:g}); do not rely on {report.path}", file=sys.stderr)
        return 1
    return 0
