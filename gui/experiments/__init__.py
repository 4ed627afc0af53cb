"""The experiment half of the window: Vary… dialogs, the Experiments dock (variables, run control, trial table,
objective plot), Apply best as one undo step; ExperimentController is what the window creates."""
from .commands import ApplyValuesCommand, SetGraphCommand, set_graph_data
from .controller import ExperimentController
from .panel import ExperimentsPanel
from .trials import ObjectivePlot, TrialTable
from .vary_dialog import VaryDialog

__all__ = ["ApplyValuesCommand", "ExperimentController", "ExperimentsPanel", "ObjectivePlot", "SetGraphCommand",
           "TrialTable", "VaryDialog", "set_graph_data"]
