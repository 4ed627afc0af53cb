"""``export_model``: the one code path behind ``rnn-studio export`` and the studio's export menu.

Compiles the document's graph, loads the checkpoint strictly, writes the format, reloads it and compares outputs.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from .. import __version__
from ..compiler import CompileError, compile_graph
from ..document import FORMAT_VERSION, Document
from .common import (FORMATS, TOLERANCE, ExportError, ExportReport, build_metadata, default_weights, load_weights,
                     read_data_meta, run_dir_of, stat_of)
from .names import check_block_names


def default_output(document: Document, fmt: str) -> Path:
    """``<document stem>.<suffix>`` beside the document (or in the working directory for an unsaved one)."""
    base = Path(document.path) if document.path else Path("model")
    return base.with_suffix(FORMATS[fmt][0])


def export_model(document: Document, weights_path: str | Path | None, fmt: str, out_path: str | Path | None = None,
                 run_dir: str | Path | None = None, tolerance: float = TOLERANCE) -> ExportReport:
    """Exports ``document``'s model with ``weights_path`` (None: the latest run's best checkpoint) as ``fmt``.

    Raises ExportError for what the user must fix (invalid graph, missing or mismatching weights, missing extra).
    The report says whether the reloaded file matched the studio model within ``tolerance``.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format '{fmt}': choose one of {', '.join(FORMATS)}")
    check_block_names(document.graph)  # before compiling: torch.fx writes the names into the code it runs
    try:
        model = compile_graph(document.graph)
    except CompileError as err:
        raise ExportError(str(err)) from None
    if weights_path is not None:
        weights = Path(weights_path)
    elif run_dir is not None:  # `--run R` alone: that run's model (it took the latest run's and R's vocabulary)
        from ..training.runs import Run

        found = stat_of(Path(run_dir), "the run folder")
        if found is None or not stat.S_ISDIR(found.st_mode):
            raise ExportError(f"{run_dir}: no such run folder")
        weights = Run(run_dir).weights()
        if weights is None:
            raise ExportError(f"{run_dir}: no checkpoint in this folder (a run writes one after its first epoch): "
                              f"give a run's folder, or --weights CHECKPOINT")
    else:
        weights = default_weights(document.path)
    load_weights(model, weights)
    run = Path(run_dir) if run_dir is not None else run_dir_of(weights)
    data_meta = read_data_meta(run)
    metadata = build_metadata(model, data_meta or {}, FORMAT_VERSION, __version__, document.description)
    out = Path(out_path) if out_path is not None else default_output(document, fmt)
    found = stat_of(out, "the output path")
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise ExportError(f"{out}: is a folder: give the path of the file to write")
    if fmt == "python" and out.suffix != ".py":
        raise ExportError(f"{out}: the Python export writes an importable module: give a path ending in .py")
    if fmt == "python" and (out.stem in sys.stdlib_module_names or out.stem.split(".")[0] == "torch"):
        # beside a script, `import torch` (or pathlib, typing, ...) would import this file instead
        raise ExportError(f"{out}: a module named '{out.stem}' hides the '{out.stem}' module the exported code "
                          f"imports: choose another name")
    _refuse_own_files(out, fmt, document, weights)
    blocker = next((p for p in [out.parent, *out.parent.parents] if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ExportError(f"{out}: {blocker} is a file, not a folder")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"{out.parent}: cannot create the output folder ({err.strerror or err})") from None

    try:
        diff, notes, files = _write(model, metadata, fmt, out, document)
    except OSError as err:
        raise ExportError(f"{err.filename or out}: cannot write the file ({err.strerror or err})") from None
    except RuntimeError as err:  # torch's archive writers: "open file failed with strerror: <reason>"
        if "open file failed" not in str(err):
            raise
        reason = str(err).rsplit("strerror:", 1)[-1].strip() or "cannot open it"
        raise ExportError(f"{out}: cannot write the file ({reason})") from None
    ok = diff is not None and diff <= tolerance
    if data_meta is None:  # a run writes it before its first step: this folder is incomplete
        notes = [*notes, f"{run} has no data_meta.json: the export holds no vocabulary, label names or scaling, "
                         f"so text and predictions cannot be mapped to the model's ids and units"]
    return ExportReport(out, fmt, diff, tolerance, ok, notes, files)


def _refuse_own_files(out: Path, fmt: str, document: Document, weights: Path) -> None:
    """An export never writes over the document or the checkpoint it is made from (``-o model.json`` would have
    replaced the document with a model file)."""
    from .python_code import weights_path_for

    written = [out, weights_path_for(out)] if fmt == "python" else [out]
    inputs = [(Path(document.path), "the document being exported")] if document.path else []
    inputs.append((weights, "the checkpoint being exported"))
    for target in written:
        found = stat_of(target, "the output path")
        for source, what in inputs:
            same = stat_of(source, what)
            if found is not None and same is not None and os.path.samestat(found, same):
                raise ExportError(f"{target}: is {what}; writing the export there would replace it: give "
                                  f"another output path")


def _write(model, metadata, fmt: str, out: Path, document: Document):
    """Writes and verifies one format; returns (max abs difference or None, warnings, files written)."""
    if fmt == "torchscript":
        from .torchscript import to_torchscript
        return (*to_torchscript(model, metadata, out), [out])
    if fmt == "pt2":
        from .pt2 import to_pt2
        return (*to_pt2(model, metadata, out), [out])
    if fmt == "onnx":
        from .onnx import to_onnx
        return (*to_onnx(model, metadata, out), [out])
    from .python_code import to_python
    source = document.path.name if document.path else "an unsaved document"
    return to_python(model, metadata, out, source)


def export_run(run_dir: str | Path, fmt: str, out_path: str | Path | None = None,
               document_path: str | Path | None = None) -> ExportReport:
    """Exports the model a run trained, from the run's own document snapshot and best (else last) checkpoint,
    so later edits of the document cannot mismatch the weights. ``document_path`` names the file the export
    is named after and placed beside by default (the run's source document)."""
    from ..document import DocumentError
    from ..training.runs import Run, RunError

    run = Run(run_dir)
    try:
        snapshot = run.read_document()
    except (RunError, DocumentError) as err:
        raise ExportError(str(err)) from None
    snapshot.path = Path(document_path) if document_path else None
    weights = run.weights()
    if weights is None:
        raise ExportError(f"{run.path}: this run has no checkpoint yet (one is written after each epoch)")
    return export_model(snapshot, weights, fmt, out_path, run_dir=run.path)
