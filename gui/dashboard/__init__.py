"""The training dashboard in the window: live plots of a run, and install_dashboard(window) that adds the
data, training, dashboard, runs and try-it docks and the Training menu to the main window.
"""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow

from .controller import DashboardController
from .dashboard import DashboardWidget
from .history import RunHistory

__all__ = ["DashboardController", "DashboardWidget", "RunHistory", "install_dashboard"]


def _dock(window: QMainWindow, title: str, widget, area, name: str) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)  # saveState/restoreState find docks by object name
    dock.setWidget(widget)
    window.addDockWidget(area, dock)
    return dock


def install_dashboard(window: QMainWindow) -> DashboardController:
    """Adds the Data, Training, Runs and Try-it docks (right), the Dashboard dock (bottom) and the Training
    menu to ``window`` (a MainWindow with ``document``, ``scene`` and ``documentChanged``); returns the
    controller, also kept as ``window.dashboard``."""
    from ..data_panel import DataPanel
    from ..export_dialog import ExportDialog
    from ..runs_panel import RunsPanel
    from ..training_panel import TrainingPanel
    from ..try_panel import TryPanel

    dashboard = DashboardWidget()
    training = TrainingPanel()
    runs = RunsPanel()
    data = DataPanel(getattr(window, "undo_stack", None))
    trying = TryPanel()
    controller = DashboardController(window, dashboard, training, runs, data, trying)
    runs.openRequested.connect(controller.show_history)
    right = Qt.DockWidgetArea.RightDockWidgetArea
    docks = [_dock(window, "Data", data, right, "dock_data"),
             _dock(window, "Training", training, right, "dock_training"),
             _dock(window, "Runs", runs, right, "dock_runs"),
             _dock(window, "Try it", trying, right, "dock_try")]
    for dock in docks[1:]:
        window.tabifyDockWidget(docks[0], dock)
    docks[1].raise_()
    board = _dock(window, "Dashboard", dashboard, Qt.DockWidgetArea.BottomDockWidgetArea, "dock_dashboard")
    controller.docks = {"data": docks[0], "training": docks[1], "runs": docks[2], "try": docks[3],
                        "dashboard": board}

    menu = window.menuBar().addMenu("&Training")
    actions = {}

    def add(key, text, shortcut, slot):
        action = QAction(text, window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        actions[key] = action
        return action

    add("start", "&Start training", "F5", controller.start)
    add("pause", "&Pause / resume", "F6", controller.toggle_pause)
    add("stop", "S&top", "Shift+F5", controller.stop)
    menu.addSeparator()
    add("export", "&Export model…", "Ctrl+E", lambda: ExportDialog(controller, window).open())
    menu.addSeparator()
    for dock in docks + [board]:
        menu.addAction(dock.toggleViewAction())

    def on_state(state):
        running = state in ("running", "paused", "stopping")
        actions["start"].setEnabled(not running)
        actions["pause"].setEnabled(state in ("running", "paused"))
        actions["stop"].setEnabled(state in ("running", "paused"))

    controller.worker.stateChanged.connect(on_state)
    on_state("idle")
    controller.actions = actions
    app = QApplication.instance()
    if app is not None:  # quitting by any path stops a run first (a running QThread must not be destroyed)
        app.aboutToQuit.connect(controller.shutdown)
    window.dashboard = controller
    return controller
