"""TorchScript export: ``torch.jit.script`` of the compiled module, with the metadata as an extra file.

Tracing is only a fallback (it freezes the code path of the sample inputs); the reload check uses torch alone.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from ..compiler import CompiledModel
from .common import METADATA_FILE, compare, metadata_json, quiet, sample_batches, write_saved

TRACE_WARNING = ("TorchScript: scripting failed ({reason}); the model was traced instead. A traced model replays "
                 "only the operations the sample inputs took: Python control flow (branches and loops that depend "
                 "on the data) is frozen, and tensors computed from sizes may be baked in as constants. It was "
                 "checked on batches of two lengths, but check it on your own inputs.")


def to_torchscript(model: CompiledModel, metadata: dict[str, Any], out_path: Path) -> tuple[float, list[str]]:
    """Writes ``out_path``; returns the reload check's max abs difference and any warnings."""
    notes: list[str] = []
    module = model.module.eval()
    batches = sample_batches(model)
    with quiet():
        try:
            scripted = torch.jit.script(module)
        except Exception as err:  # noqa: BLE001 - any scripting failure means: fall back to tracing
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            notes.append(TRACE_WARNING.format(reason=reason))
            with torch.no_grad():
                scripted = torch.jit.trace(module, batches[0], check_trace=False)
        extra = {METADATA_FILE: metadata_json(metadata)}
        # Through Python file objects: torch's own path handling refuses file names that are not valid UTF-8.
        write_saved(out_path, lambda buffer: torch.jit.save(scripted, buffer, _extra_files=extra))
        with open(out_path, "rb") as handle:
            reloaded = torch.jit.load(handle, map_location="cpu")
        reloaded.eval()
        diff = compare(module, reloaded, batches)
    return diff, notes


def read_metadata(path: str | Path) -> dict[str, Any]:
    """The metadata stored in a TorchScript file written by the studio."""
    extra = {METADATA_FILE: ""}
    with quiet():
        torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    return json.loads(extra[METADATA_FILE])
