"""torch.export (.pt2) of the model with dynamic batch and time, through the packing-free recurrent twins.

``pack_padded_sequence`` needs concrete lengths, so the exported copy runs each recurrent layer as a masked scan.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch.export import Dim, ExportedProgram

from ..compiler import CompiledModel
from .common import METADATA_FILE, ExportError, compare, metadata_json, quiet, sample_batches, write_saved
from .unpacked import unpacked_copy


def dynamic_shapes(model: CompiledModel) -> dict[str, dict[int, Any]]:
    """One batch dimension shared by all inputs; each input block has its own time dimension."""
    batch = Dim("batch", min=1)
    shapes: dict[str, dict[int, Any]] = {}
    for spec in model.inputs:
        shapes[spec.name] = {0: batch, 1: Dim(f"time_{spec.name}", min=1)}
        shapes[f"{spec.name}_lengths"] = {0: batch}
    return shapes


def export_program(model: CompiledModel) -> ExportedProgram:
    """The exported program of the packing-free copy (same weights); raises ExportError naming the cause."""
    module = unpacked_copy(model.module.eval())
    example = sample_batches(model)[0]
    # No autograd: otherwise every scan also traces and partitions its backward graph (seconds per layer).
    with quiet(), torch.no_grad():
        try:
            return torch.export.export(module, example, dynamic_shapes=dynamic_shapes(model))
        except Exception as err:  # noqa: BLE001 - torch.export raises many types; the message is what matters
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ExportError(f"torch.export could not export this model with dynamic batch and time: {first}") from None


def to_pt2(model: CompiledModel, metadata: dict[str, Any], out_path: Path,
           program: ExportedProgram | None = None) -> tuple[float, list[str]]:
    """Writes ``out_path``; returns the reload check's max abs difference and any warnings."""
    program = program or export_program(model)
    with quiet():
        # In memory first: torch refuses paths that are not valid UTF-8, and its writer aborts the process
        # (std::terminate) when writing to a file fails, e.g. on a full disk.
        write_saved(out_path, lambda buffer: torch.export.save(program, buffer,
                                                               extra_files={METADATA_FILE: metadata_json(metadata)}))
        with open(out_path, "rb") as handle:
            reloaded = torch.export.load(handle).module()
        diff = compare(model.module.eval(), reloaded, sample_batches(model))
    return diff, []


def read_metadata(path: str | Path) -> dict[str, Any]:
    extra = {METADATA_FILE: ""}
    with quiet():
        torch.export.load(str(path), extra_files=extra)
    return json.loads(extra[METADATA_FILE])
