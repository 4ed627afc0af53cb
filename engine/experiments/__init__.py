"""Experiments: variants of a document (a grid or an Optuna search over setting paths and recurrent kinds)
trained as ordinary runs by worker processes, with a trials table. Qt-free; see docs/ARCHITECTURE.md.
"""
from .definition import (EXPERIMENT_VERSION, MAX_TRIALS, STRATEGIES, ExperimentError, ExperimentSpec, Variable,
                         experiment_from_data, experiment_to_data)
from .events import ExperimentFinished, TrialEpoch, TrialFinished, TrialStarted, WorkerExited
from ..worker_processes import warm_up
from .runner import Experiment, ExperimentResult, applied, cores, open_experiment
from .study import TrialRecord
from .table import format_table, read_best, read_trials
from .variants import (RECURRENT_KINDS, Plan, Variant, apply_values, plan_experiment, swap_kind, variable_param,
                       variable_paths, variant_problem)

__all__ = ["EXPERIMENT_VERSION", "MAX_TRIALS", "STRATEGIES", "ExperimentError", "ExperimentSpec", "Variable",
           "experiment_from_data", "experiment_to_data", "ExperimentFinished", "TrialEpoch", "TrialFinished",
           "TrialStarted", "WorkerExited", "Experiment", "ExperimentResult", "applied", "cores", "open_experiment",
           "TrialRecord", "format_table", "read_best", "read_trials", "RECURRENT_KINDS", "Plan", "Variant",
           "apply_values", "plan_experiment", "swap_kind", "variable_param", "variable_paths", "variant_problem",
           "warm_up"]
