"""Datasets, tokenizers, scalers and batching: the data part of RNN Studio (see docs/ARCHITECTURE.md).

``prepare_data(document.data, compiled_model)`` gives split, batched data checked against the model;
``fit_problems(document)`` lists the same mismatches (with fixes) without preparing anything.
"""
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
