"""ONNX export through the optional ``onnx`` extra: the torch.export program of the packing-free model, converted.

Dynamic batch and time carry over; onnxruntime, when installed, reloads the file to check it.
"""
from __future__ import annotations

import importlib.util
import json
import os
import secrets
from pathlib import Path
from typing import Any

import torch

from ..atomic_file import remove_stale_temporaries
from ..compiler import CompiledModel
from .common import METADATA_FILE, ExportError, compare, metadata_json, quiet, sample_batches
from .pt2 import export_program

INSTALL_HINT = ("ONNX export needs the optional packages onnx and onnxscript (and onnxruntime to check the file). "
                "Install them with:  pip install 'rnn-studio[onnx]'   (from a checkout: pip install -e '.[onnx]')")


def missing_packages() -> list[str]:
    missing = []
    for name in ("onnx", "onnxscript"):
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules, or a broken install
            found = False
        if not found:
            missing.append(name)
    return missing


def have_onnxruntime() -> bool:
    try:
        return importlib.util.find_spec("onnxruntime") is not None
    except (ImportError, ValueError):
        return False


def name_dynamic_dims(onnx_model, model: CompiledModel) -> None:
    """Renames torch.export's symbols (s61, s38…) to batch and time_<input> wherever they appear, so a runtime's
    model viewer shows what each dimension means."""
    import onnx_ir as ir

    graph = onnx_model.graph
    names: dict[str, str] = {}
    for value, spec in zip(graph.inputs[0::2], model.inputs):
        for dim, meaning in zip(value.shape or (), ("batch", f"time_{spec.name}")):
            if isinstance(dim, ir.SymbolicDim) and dim.value:
                names.setdefault(dim.value, meaning)
    values = list(graph.inputs) + list(graph.outputs) + [v for node in graph.all_nodes() for v in node.outputs]
    for value in values:
        if value.shape is not None and any(isinstance(d, ir.SymbolicDim) and d.value in names for d in value.shape):
            value.shape = ir.Shape([ir.SymbolicDim(names[d.value]) if isinstance(d, ir.SymbolicDim) and d.value in names
                                    else d for d in value.shape])


def to_onnx(model: CompiledModel, metadata: dict[str, Any], out_path: Path) -> tuple[float | None, list[str]]:
    """Writes ``out_path``; returns onnxruntime's max abs difference (None without onnxruntime) and warnings."""
    missing = missing_packages()
    if missing:
        raise ExportError(f"{INSTALL_HINT}\n(missing: {', '.join(missing)})")
    program = export_program(model)
    input_names = [name for spec in model.inputs for name in (spec.name, f"{spec.name}_lengths")]
    output_names = [head.name for head in model.heads]
    with quiet():
        try:
            onnx_program = torch.onnx.export(program, dynamo=True, input_names=input_names,
                                             output_names=output_names, verbose=False)
        except Exception as err:  # noqa: BLE001 - the converter raises many types; the message is what matters
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ExportError(f"the ONNX converter failed: {first}") from None
        name_dynamic_dims(onnx_program.model, model)
        onnx_program.model.metadata_props[METADATA_FILE] = metadata_json(metadata)
        _save(onnx_program, out_path, model)
    if not have_onnxruntime():
        return None, ["onnxruntime is not installed, so the ONNX file was not reloaded and checked "
                      "(pip install onnxruntime)"]
    import onnxruntime

    session = onnxruntime.InferenceSession(str(out_path), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]

    def run(*args: torch.Tensor):
        return [torch.from_numpy(a) for a in session.run(None, {n: t.numpy() for n, t in zip(names, args)})]

    return compare(model.module.eval(), run, sample_batches(model)), []


def _save(onnx_program, out_path: Path, model: CompiledModel) -> None:
    """Saved beside ``out_path`` under a temporary name, then renamed over it: a full disk leaves an earlier export
    there whole. A model over 1.5 GB is saved directly: ONNX then writes its weights to a second file named after
    the first, which a rename would leave pointing at the temporary name."""
    size = sum(t.numel() * t.element_size() for t in model.module.state_dict().values())
    if size > 1.5 * 2**30:
        onnx_program.save(str(out_path))
        return
    target = Path(os.path.realpath(out_path))
    remove_stale_temporaries(target)
    tmp = target.parent / f".{target.name}.{secrets.token_hex(4)}.tmp"
    try:
        onnx_program.save(str(tmp))
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_metadata(path: str | Path) -> dict[str, Any]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    props = {p.key: p.value for p in model.metadata_props}
    return json.loads(props[METADATA_FILE])
