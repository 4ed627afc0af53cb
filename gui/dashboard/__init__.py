"""The training dashboard's live plots: DashboardWidget (tabs of plot panels redrawn on a timer), the RunHistory
they draw from and the Compare tab (ComparePanel.set_runs: several runs overlaid). Plots only: the training
controller in gui/training owns the docks and the runs.
"""
from __future__ import annotations

from .compare import ComparePanel
from .compared import CompareSet, run_labels
from .dashboard import DashboardWidget
from .history import RunHistory

__all__ = ["ComparePanel", "CompareSet", "DashboardWidget", "RunHistory", "run_labels"]
