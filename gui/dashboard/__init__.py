"""The training dashboard's live plots: DashboardWidget (tabs of plot panels redrawn on a timer) and the
RunHistory they draw from. Plots only: the training controller in gui/training owns the docks and the runs.
"""
from __future__ import annotations

from .dashboard import DashboardWidget
from .history import RunHistory

__all__ = ["DashboardWidget", "RunHistory"]
