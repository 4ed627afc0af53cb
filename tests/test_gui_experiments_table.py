"""The trial table and the objective plot from trials.csv rows: numbers sort as numbers, a failed trial's message is
its tooltip, a running trial shows its epoch, the objective shows ± std with repeats, categories sit on a labelled
axis and a log range gets a log x axis; clicking points selects rows."""
from __future__ import annotations

from PySide6 import QtGui
from PySide6.QtCore import Qt

from engine.experiments import experiment_from_data
from gui.experiments import ObjectivePlot, TrialTable

SPEC = experiment_from_data({"strategy": "random", "variables": [
    {"path": "rnn.kind", "values": ["rnn", "gru"]}, {"path": "training.lr", "low": 1e-4, "high": 1e-1, "log": True}]})


def row(trial, status, kind, lr, objective="", std="", message=""):
    return {"trial": str(trial), "slot": str(trial), "label": f"kind={kind}, lr={lr}", "status": status,
            "rnn.kind": kind, "training.lr": str(lr), "objective": str(objective), "objective_std": str(std),
            "test_loss": str(objective), "best_epoch": "1" if objective != "" else "", "duration_s": "2.5",
            "run_dir": f"/runs/{trial}", "message": message}


ROWS = [row(0, "completed", "rnn", 0.01, 10.5, 0.25), row(1, "completed", "gru", 0.001, 9.25),
        row(2, "failed", "gru", 0.1, message="the loss became nan at epoch 1, step 3; block 'rnn'"),
        row(3, "running", "rnn", 0.0001), row(4, "completed", "gru", 0.0005, 100.0)]


def test_numbers_sort_as_numbers_and_failed_rows_say_why(qtbot):
    table = TrialTable()
    qtbot.addWidget(table)
    table.show_trials(SPEC, "val_loss", ROWS, live={3: "epoch 2/5"})
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers == ["#", "status", "kind", "lr", "val_loss", "test_loss", "best epoch", "time (s)"]
    assert [table.item(r, 4).text() for r in range(5)] == ["10.5 ± 0.25", "9.25", "", "", "100"]
    assert table.item(3, 1).text() == "running (epoch 2/5)"
    for column in (1, 4):  # the message as a tooltip that wraps (rich text: a long plain one ran off the screen)
        tip = table.item(2, column).toolTip()
        assert QtGui.Qt.mightBeRichText(tip) and QtGui.QTextDocumentFragment.fromHtml(tip).toPlainText() == \
            ROWS[2]["message"]
    table.sortItems(4, Qt.SortOrder.AscendingOrder)  # 9.25 < 10.5 < 100 (as text "100" < "9.25"), empty last
    assert [table.item(r, 0).text() for r in range(5)][:3] == ["1", "0", "4"]
    table.sortItems(3, Qt.SortOrder.AscendingOrder)
    assert [table.item(r, 3).text() for r in range(5)] == ["0.0001", "0.0005", "0.001", "0.01", "0.1"]
    table.select_trials([4, 0])
    assert sorted(table.selected_trials()) == [0, 4]
    table.show_trials(SPEC, "val_loss", ROWS)  # a refresh keeps the selection
    assert sorted(table.selected_trials()) == [0, 4]


def test_the_plot_puts_categories_on_a_labelled_axis_and_a_log_range_on_a_log_axis(qtbot):
    plot = ObjectivePlot()
    qtbot.addWidget(plot)
    plot.set_trials(SPEC, "val_loss", ROWS)
    assert plot.variable.currentText() == "rnn.kind"
    assert sorted(plot.points()) == [(0.0, 10.5, 0), (1.0, 9.25, 1), (1.0, 100.0, 4)]  # completed trials only
    assert plot.categories == ["rnn", "gru"] and not plot.plot.getPlotItem().ctrl.logXCheck.isChecked()
    plot.variable.setCurrentText("training.lr")
    assert sorted(plot.points()) == [(0.0005, 100.0, 4), (0.001, 9.25, 1), (0.01, 10.5, 0)]
    assert plot.plot.getPlotItem().ctrl.logXCheck.isChecked()
    chosen = []
    plot.pointsSelected.connect(chosen.append)
    spot = next(p for p in plot.scatter.points() if p.data() == 1)
    plot.scatter.sigClicked.emit(plot.scatter, [spot], None)
    assert chosen == [[1]]


def test_the_dock_offers_the_engines_strategies_and_cores_and_the_window_starts_without_optuna():
    import subprocess
    import sys

    import engine.experiments as ex
    from gui.experiments import panel

    assert panel.STRATEGIES == ex.STRATEGIES and panel.cores() == ex.cores()
    code = ("import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
            "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
            "from gui.main_window import MainWindow; w = MainWindow()\n"
            "assert w.experiments is not None and 'optuna' not in sys.modules, 'optuna imported'\n"
            "w.close()\n")  # as quitting does: background checks end before the interpreter does
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]


def test_without_variables_the_dock_says_how_to_begin_and_the_table_comes_back_at_its_share(qtbot):
    from gui.experiments.panel import ExperimentsPanel

    panel = ExperimentsPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 300)
    panel.show_section(None)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.guide.isVisible() and not panel.table.isVisible() and not panel.plot.isVisible()
    assert "Vary…" in panel.guide.text() and panel.guide.width() > 600  # the guide has the room of both
    panel.show_section({"strategy": "grid", "variables": [{"path": "rnn.kind", "values": ["rnn", "gru"]}]})
    qtbot.wait(10)
    assert not panel.guide.isVisible() and panel.table.isVisible() and panel.plot.isVisible()
    table, plot = panel.table.width(), panel.plot.width()
    assert table > 300 and plot > 200 and abs(table / plot - 1.5) < 0.2, (table, plot)  # 3:2, not size hints
    panel.show_section({"strategy": "grid", "variables": []})  # the last variable removed
    assert panel.guide.isVisible() and not panel.table.isVisible()


def test_the_dock_says_what_a_grid_budget_leaves_out(qtbot):
    from gui.experiments.panel import ExperimentsPanel

    panel = ExperimentsPanel()
    qtbot.addWidget(panel)
    note = "the budget runs the first 4 of the grid's 12 combinations, in order"
    panel.show_skipped([({}, "kind=gru", "GRU 'x' is given LSTM state")], note)
    assert panel.skipped.text().splitlines() == [
        "The budget runs the first 4 of the grid's 12 combinations, in order.",
        "Skipped 1 impossible combination(s):", "kind=gru: GRU 'x' is given LSTM state"]
    assert panel.skipped.isVisibleTo(panel)
    panel.show_skipped([])
    assert not panel.skipped.isVisibleTo(panel)
