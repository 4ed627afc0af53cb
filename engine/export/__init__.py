"""Exports trained models out of the studio: TorchScript, torch.export (.pt2), ONNX and standalone Python.

Every export carries the model's metadata (inputs, vocabulary, labels, scaling) and is verified by reloading it.
"""
from .api import default_output, export_model, export_run
from .common import FORMATS, METADATA_FILE, TOLERANCE, ExportError, ExportReport

__all__ = ["FORMATS", "METADATA_FILE", "TOLERANCE", "ExportError", "ExportReport", "default_output", "export_model", "export_run"]
