"""The experiment half of the window: Vary… dialogs, the Experiments dock (variables, run control, trial table,
objective plot), Apply best as one undo step; ExperimentController is what the window creates."""
from .commands import ApplyValuesCommand, SetGraphCommand, set_graph_data
from .controller import ExperimentController
from .panel import ExperimentsPanel
from .trials import ObjectivePlot, TrialTable


def __getattr__(name: str):
    if name == "VaryDialog":  # imported on first use: it brings engine.experiments (and Optuna)
        from .vary_dialog import VaryDialog

        return VaryDialog
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = ["ApplyValuesCommand", "ExperimentController", "ExperimentsPanel", "ObjectivePlot", "SetGraphCommand",
           "TrialTable", "VaryDialog", "set_graph_data"]
