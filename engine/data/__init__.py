"""Datasets, tokenizers, scalers and batching: the data part of RNN Studio (see docs/ARCHITECTURE.md).

``prepare_data(document.data, compiled_model)`` gives split, batched data checked against the model;
``fit_problems(document)`` lists the same mismatches (with fixes) without preparing anything.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import exports

# Each name is imported on first use (PEP 562): the dataset registry and fit checks load without torch,
# preparing and batching (which need it) load it when they are first used.
_WHERE = {
    **dict.fromkeys(("DataError", "DatasetSpec", "FieldSpec", "OptionSpec"), ".base"),
    **dict.fromkeys(("Batch", "BatchLoader", "SplitDataset", "padding_fraction"), ".batching"),
    **dict.fromkeys(("Fix", "FitProblem", "apply_fixes", "fit_problems"), ".checks"),
    **dict.fromkeys(("DataFacts", "FieldFacts", "data_facts"), ".facts"),
    **dict.fromkeys(("DataInfo", "DataMeta", "PreparedData", "prepare_data"), ".prepare"),
    **dict.fromkeys(("DATASETS", "dataset_spec", "missing_package"), ".registry"),
    "Scaler": ".scaling",
    "Vocabulary": ".tokenizers",
}


__getattr__ = exports(__name__, _WHERE, globals())  # PEP 562: each name imported at first use


if TYPE_CHECKING:
    from .base import DataError, DatasetSpec, FieldSpec, OptionSpec
    from .batching import Batch, BatchLoader, SplitDataset, padding_fraction
    from .checks import Fix, FitProblem, apply_fixes, fit_problems
    from .facts import DataFacts, FieldFacts, data_facts
    from .prepare import DataInfo, DataMeta, PreparedData, prepare_data
    from .registry import DATASETS, dataset_spec, missing_package
    from .scaling import Scaler
    from .tokenizers import Vocabulary

__all__ = ["Batch", "BatchLoader", "DATASETS", "DataError", "DataFacts", "DataInfo", "DataMeta", "DatasetSpec",
           "FieldFacts", "FieldSpec", "Fix", "FitProblem", "OptionSpec", "PreparedData", "Scaler", "SplitDataset",
           "Vocabulary", "apply_fixes", "data_facts", "dataset_spec", "fit_problems", "missing_package",
           "padding_fraction", "prepare_data"]
