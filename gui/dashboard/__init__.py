"""The training dashboard's live plots: DashboardWidget (tabs of plot panels redrawn on a timer), the RunHistory
they draw from and the Compare tab (ComparePanel.set_runs: several runs overlaid). Plots only: the training
controller in gui/training owns the docks and the runs.

Each name is imported at its first use (PEP 562), so that importing the window does not import the plot panels
(and pyqtgraph's plot classes) before its first paint.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from engine.lazy import exports

_WHERE = {"ComparePanel": ".compare", "CompareSet": ".compared", "run_labels": ".compared",
          "DashboardWidget": ".dashboard", "RunHistory": ".history"}

__getattr__ = exports(__name__, _WHERE, globals())

if TYPE_CHECKING:
    from .compare import ComparePanel
    from .compared import CompareSet, run_labels
    from .dashboard import DashboardWidget
    from .history import RunHistory

__all__ = ["ComparePanel", "CompareSet", "DashboardWidget", "RunHistory", "run_labels"]
