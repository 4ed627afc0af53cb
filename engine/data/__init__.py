"""Datasets, tokenizers, scalers and batching: the data part of RNN Studio (see docs/ARCHITECTURE.md).

``prepare_data(document.data, compiled_model)`` gives split, batched data checked against the model.
"""
from .base import DataError, DatasetSpec, FieldSpec, OptionSpec
from .batching import Batch, BatchLoader, SplitDataset, padding_fraction
from .prepare import DataInfo, DataMeta, PreparedData, prepare_data
from .registry import DATASETS, dataset_spec, missing_package
from .scaling import Scaler
from .tokenizers import Vocabulary

__all__ = ["Batch", "BatchLoader", "DATASETS", "DataError", "DataInfo", "DataMeta", "DatasetSpec", "FieldSpec",
           "OptionSpec", "PreparedData", "Scaler", "SplitDataset", "Vocabulary", "dataset_spec", "missing_package",
           "padding_fraction", "prepare_data"]
