"""Probes: gradient norms per block, exact gate activations, attention weights and per-step gradients.

They run as a trainer hook (ProbeHook) on a fixed probe batch, on a schedule that bounds their cost.
"""
from .gates import GRU_GATES, LSTM_GATES, gate_activations, layer_records
from .grad_norms import BlockGradNorms
from .hook import ProbeHook
from .recorder import ProbeBatch, run_probes

__all__ = ["GRU_GATES", "LSTM_GATES", "gate_activations", "layer_records", "BlockGradNorms", "ProbeHook",
           "ProbeBatch", "run_probes"]
