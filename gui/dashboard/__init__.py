"""The training dashboard in the window: live plots of a run, and install_dashboard(window) that adds the
data, training, dashboard, runs and try-it docks and the Training menu to the main window.
"""
