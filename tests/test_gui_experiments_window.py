"""Experiments in the window: Vary… from a real context menu adds a variable as one undo step, the dialog refuses
bad values with the Param's reason, a real experiment runs from the dock's Start to the end with the table holding
trials.csv's numbers, Stop and closing leave no worker process, Apply best is one exact undo step, bad input is one
line in the dock and a Problems entry, and reopening the document shows the earlier trials."""
from __future__ import annotations

import json
import multiprocessing

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu, QScrollArea

from engine.document import load_document
from engine.experiments import read_trials
from gui.experiments.trials import shown_number
from gui.lazy_widget import LazyWidget
from test_experiments_support import tiny_adding
from test_gui_dash_support import LatencyProbe, make_window, release

SIZES = [{"path": "rnn.hidden_size", "values": [4, 8]}]
UI_BUDGET_S = 0.25  # as for a single run (test_gui_dash_training): the window is never blocked longer


@pytest.fixture
def studio(qtbot, tmp_path):
    windows = []

    def make(variables=None, **experiment):
        path = tiny_adding(tmp_path, variables or SIZES, **experiment)
        raw = json.loads(path.read_text())
        raw["training"].update(epochs=1, max_steps_per_epoch=3)
        if variables == []:
            raw.pop("experiment")
        path.write_text(json.dumps(raw))
        window = make_window(load_document(path))
        qtbot.addWidget(window)
        window.resize(1280, 720)
        window.show()
        # as a user sees it before clicking anything: the plots in sight made (gui.lazy_widget, next event-loop turns)
        qtbot.waitUntil(lambda: all(w.made for w in window.findChildren(LazyWidget) if w.isVisible()))
        window.training.confirm_close = lambda: True
        window.experiments.confirm = lambda *_: True
        windows.append(window)
        return window
    yield make
    for window in windows:
        window.experiments.shutdown()
        release(window)


def answer(values: str | None = None, ranged: dict | None = None):
    """A run_dialog that types into the Vary dialog as a user would, then presses OK."""
    def run(dialog):
        if ranged is not None:
            dialog.as_range.setChecked(True)
            for key, text in ranged.items():
                getattr(dialog, key).setText(text)
        elif values is not None:
            dialog.values.setText(values)
        run.problem = dialog.check()
        run.prefilled = dialog.values.text()
        dialog.accept()
        return dialog.result() == dialog.DialogCode.Accepted
    return run


def context_menu_choose(widget, text: str) -> list[str]:
    """Right-clicks ``widget`` (a real QContextMenuEvent) and chooses ``text`` in the popup; the entries seen."""
    seen = []

    def pick():
        menu = QApplication.activePopupWidget()
        seen.extend(a.text() for a in menu.actions())
        menu.hide()
        next(a for a in menu.actions() if a.text() == text).trigger()
    QTimer.singleShot(50, pick)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, QPoint(2, 2), widget.mapToGlobal(QPoint(2, 2)))
    QApplication.sendEvent(widget, event)
    return seen


def test_vary_from_the_inspectors_context_menu_is_one_undo_step(studio):
    window = studio([])
    c, doc = window.experiments, window.document
    rnn = doc.graph.by_name("rnn")
    window.scene.select_nodes([rnn.id])
    form = window.inspector.form_params
    c.run_dialog = run = answer()  # OK on the prefilled values: half, the current size, double
    seen = context_menu_choose(form.rows["hidden_size"].label, "Vary…")
    assert "Vary…" in seen and "Vary kind…" in seen  # a recurrent block also offers its kind
    size = rnn.params["hidden_size"]
    assert run.prefilled == f"{size // 2}, {size}, {size * 2}"
    assert doc.experiment["variables"] == [{"path": "rnn.hidden_size", "values": [size // 2, size, size * 2]}]
    assert c.panel.variables.rowCount() == 1 and c.panel.variables.item(0, 0).text() == "rnn.hidden_size"
    assert window.undo_stack.count() == 1 and window.is_modified()

    c.run_dialog = answer()  # the kind: every recurrent kind prefilled
    context_menu_choose(form.editor("hidden_size").widget, "Vary kind…")  # the editor's menu has it too
    assert doc.experiment["variables"][1] == {"path": "rnn.kind", "values": ["rnn", "gru", "lstm", "bidirectional"]}
    # The canvas block menu offers it too (CanvasView.block_menu_hooks).
    menu = window.view.context_menu(window.scene.node_item(rnn.id).center())
    assert [a.text() for a in menu.actions() if a.text()][-1] == "Vary kind…"
    menu.deleteLater()
    c.add_block_entries(empty := QMenu(), [doc.graph.by_name("dense").id])
    assert not empty.actions()  # a dense block has no kind to vary
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    ctrl_z = next(a for a in edit.actions() if a.shortcut().toString() == "Ctrl+Z")  # offscreen has no key focus
    ctrl_z.trigger()
    assert [v["path"] for v in doc.experiment["variables"]] == ["rnn.hidden_size"]
    ctrl_z.trigger()
    assert doc.experiment is None and c.panel.variables.rowCount() == 0 and not window.is_modified()

    # Training and data settings: the forms forward their rows' Vary… with the setting path.
    c.run_dialog = answer(ranged={"low": "0.0001", "high": "0.1"})
    more = window.training.training_panel.basics
    context_menu_choose(more.rows["lr"].label, "Vary…")
    assert doc.experiment["strategy"] == "tpe"  # a range needs a search: the grid became tpe in the same step
    assert doc.experiment["variables"] == [{"path": "training.lr", "low": 0.0001, "high": 0.1, "log": True}]
    c.run_dialog = answer("10, 20")
    context_menu_choose(window.training.data_panel.options_form.rows["length"].label, "Vary…")
    assert doc.experiment["variables"][1] == {"path": "data.options.length", "values": [10, 20]}
    c.run_dialog = answer("1, 2")
    context_menu_choose(window.training.data_panel.settings_form.rows["seed"].label, "Vary…")
    assert doc.experiment["variables"][2] == {"path": "data.seed", "values": [1, 2]}
    assert window.undo_stack.count() == 3


def test_the_vary_dialog_refuses_values_with_the_params_reason(studio, qtbot):
    from gui.experiments import VaryDialog

    window = studio([])
    doc = window.document
    param = doc.graph.by_name("rnn").spec.param("hidden_size")
    dialog = VaryDialog(doc, "rnn.hidden_size", param, 32)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    dialog.values.setText("16, 0, 64")
    assert dialog.message.text() == f"rnn.hidden_size: {param.problem(0)}, got 0" and not ok.isEnabled()
    dialog.values.setText("16, lots")
    assert dialog.message.text().startswith("rnn.hidden_size: must be a whole number") and not ok.isEnabled()
    dialog.values.setText("16, 16")
    assert "listed twice" in dialog.message.text()
    dialog.values.setText(" ")
    assert "empty" in dialog.message.text()
    dialog.as_range.setChecked(True)
    dialog.low.setText("64")
    dialog.high.setText("16")
    assert "rnn.hidden_size" in dialog.message.text() and "below" in dialog.message.text() and not ok.isEnabled()
    dialog.low.setText("8")
    assert dialog.message.text() == "" and ok.isEnabled()
    assert dialog.variable() == {"path": "rnn.hidden_size", "low": 8, "high": 16, "step": 1}
    # A text setting has no range; a kind has its choices.
    optimizer = window.training.training_panel.basics.params["optimizer"]
    kind = VaryDialog(doc, "training.optimizer", optimizer, "adam")
    qtbot.addWidget(kind)
    assert not kind.as_range.isEnabled() and kind.variable()["values"] == list(optimizer.choices)


def test_bad_input_is_one_line_naming_the_variable_and_a_problems_entry(studio):
    window = studio([{"path": "nope.hidden_size", "values": [4]}])
    c = window.experiments
    assert not c.start()
    text = c.panel.message.text()
    assert text.startswith("nope.hidden_size: ") and "\n" not in text and "no block" in text
    assert f"Experiment: {text}" in window.problems.messages()

    window.undo_stack.push(__import__("gui.commands", fromlist=["SetSectionCommand"]).SetSectionCommand(
        window.document, "experiment", {"version": 1, "variables": [{"path": "rnn.hidden_size", "values": [4, 0]}]},
        c.sections))
    with_problem = []
    c.experimentFinished.connect(with_problem.append)
    assert not c.start()  # every value is checked against its Param before anything starts
    assert c.worker.wait(60000)
    assert c.panel.message.text().startswith("rnn.hidden_size: ") and "got 0" in c.panel.message.text()
    entry = [m for m in window.problems.messages() if m.startswith("Experiment: rnn.hidden_size")]
    assert entry and not multiprocessing.active_children()
    item = next(window.problems.list.item(i) for i in range(window.problems.list.count())
                if window.problems.list.item(i).text() == entry[0])
    assert item.data(Qt.ItemDataRole.UserRole) == window.document.graph.by_name("rnn").id  # it selects the block

    asked = []
    c.confirm = lambda title, text: asked.append(text) or False
    big = [{"path": "training.seed", "values": list(range(30))}, {"path": "data.options.length", "values": [5, 6]},
           {"path": "training.lr", "values": [0.1, 0.01, 0.001, 0.0001, 0.002, 0.003, 0.004, 0.005, 0.006]}]
    window.document.experiment = {"version": 1, "variables": big}
    assert not c.start() and asked == ["Train 540 trials? That is more than 500."] and not c.worker.is_running


@pytest.mark.alone  # its latency probe measures wall time
def test_an_experiment_runs_from_start_to_end_and_apply_best_is_one_exact_undo_step(studio, qtbot):
    window = studio()
    c, doc = window.experiments, window.document
    probe = LatencyProbe()
    with qtbot.waitSignal(c.experimentFinished, timeout=120000) as done:
        probe.start()
        qtbot.mouseClick(c.panel.start_button, Qt.MouseButton.LeftButton)
        assert not c.panel.start_button.isEnabled() and c.panel.stop_button.isEnabled()
        assert not c.actions["start"].isEnabled()
    probe.stop()
    assert len(probe.delays) > 20 and probe.percentile(99) < UI_BUDGET_S, f"p99 {probe.percentile(99) * 1000:.0f} ms"
    result = done.args[0]
    assert result.status == "completed", c.panel.message.text()
    if window.isVisible():  # starting made room for the table and plot, as a run does for the dashboard
        assert c.dock.height() >= 0.45 * window.height()
    # The run buttons stay in sight however the settings below them are scrolled (a low dock scrolls them).
    for area in c.panel.findChildren(QScrollArea):
        area.verticalScrollBar().setValue(area.verticalScrollBar().maximum())
    qtbot.wait(50)
    for button in (c.panel.start_button, c.panel.stop_button):  # wholly in sight, not cut by the scrolling
        assert button.visibleRegion().boundingRect().height() == button.height()
    rows = read_trials(c.folder)
    table = c.panel.table
    assert table.rowCount() == 2 == len(rows)
    headers = [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())]
    assert headers[:4] == ["#", "status", "hidden_size", "val_loss"] and headers[-2:] == ["best epoch", "time (s)"]
    shown = {table.item(r, 0).text(): [table.item(r, i).text() for i in range(table.columnCount())]
             for r in range(table.rowCount())}
    for row in rows:
        cells = shown[row["trial"]]
        assert cells[1] == "completed" and cells[2] == row["rnn.hidden_size"]
        assert cells[3] == shown_number(float(row["objective"]))  # the real objective of trials.csv
        assert cells[headers.index("test_loss")] == shown_number(float(row["test_loss"]))
        assert cells[headers.index("best epoch")] == row["best_epoch"]
    assert c.panel.progress.value() == 2 and c.panel.progress_text.text().startswith("2 of 2 trials finished")
    # Sorting by the objective sorts numbers as numbers.
    table.sortItems(3, Qt.SortOrder.DescendingOrder)
    objectives = [float(r["objective"]) for r in rows]
    assert table.item(0, 3).text() == shown_number(max(objectives))
    assert sorted(x for x, _, _ in c.panel.plot.points()) == [4.0, 8.0]

    # Selecting rows overlays those trials in the dashboard's Compare view (labelled by their values).
    board = window.training.dashboard
    table.selectAll()
    by_label = {r["label"]: r["run_dir"] for r in rows}
    assert sorted((run.label, str(run.path)) for run in board.compare.runs.runs) == sorted(by_label.items())
    assert board.current_panel() is board.compare
    # The dashboard is a tab beside the Experiments dock: the table stays in front, so more trials can be picked,
    # and the status bar says where the overlay is; Ctrl+Return in the table brings it forward.
    dashboard_dock = window.training.docks["dashboard"]
    assert dashboard_dock in window.tabifiedDockWidgets(c.dock)
    in_sight = lambda widget: not widget.visibleRegion().isEmpty()  # noqa: E731 - a tab behind is moved away
    assert in_sight(table) and not in_sight(board)
    assert "overlaid in Dashboard ▸ Compare" in window.statusBar().currentMessage()
    c.compare_action.trigger()
    qtbot.waitUntil(lambda: in_sight(board) and not in_sight(table))
    c.dock.raise_()

    # Apply best: exactly the best trial's values, one undo step; Ctrl+Z restores the document exactly.
    before, steps = doc.dumps(), window.undo_stack.count()
    best = min(rows, key=lambda r: float(r["objective"]))
    assert c.panel.apply_button.isEnabled()
    qtbot.mouseClick(c.panel.apply_button, Qt.MouseButton.LeftButton)
    assert window.undo_stack.count() == steps + 1
    assert doc.graph.by_name("rnn").params["hidden_size"] == int(best["rnn.hidden_size"])
    after = json.loads(doc.dumps())
    expected = json.loads(before)
    for node in expected["graph"]["nodes"]:
        if node["name"] == "rnn":
            node["params"]["hidden_size"] = int(best["rnn.hidden_size"])
    assert after == expected
    window.undo_stack.undo()
    assert doc.dumps() == before
    window.undo_stack.redo()
    assert json.loads(doc.dumps()) == expected
    assert not c.apply_best()  # again: nothing to change, said where it is seen whichever tab is in front
    assert window.statusBar().currentMessage().startswith("The document already has the best trial's values")
    window.undo_stack.undo()

    # Reopening the document shows the trials, with the room a running experiment gets (in the strip's first
    # quarter three rows showed); Start resumes (nothing trains twice).
    window.fit_docks()
    qtbot.waitUntil(lambda: c.dock.height() < window.height() * 0.3)
    window.set_document(load_document(doc.path))
    assert window.experiments.panel.table.rowCount() == 2 and c.folder == result.folder
    qtbot.waitUntil(lambda: c.dock.height() >= window.height() * 0.45)  # half, less the tab bar
    with qtbot.waitSignal(c.experimentFinished, timeout=60000) as again:
        c.start()
    assert again.args[0].folder == result.folder
    assert len(list((result.folder / "runs" / "tiny").iterdir())) == 2


def test_stop_midway_and_closing_during_a_run_leave_no_worker_process(studio, qtbot):
    window = studio([{"path": "training.seed", "values": [0, 1, 2]}])
    window.document.training.update(epochs=40, max_steps_per_epoch=0)
    c = window.experiments
    c.start()
    qtbot.waitUntil(lambda: any("epoch" in v for v in c.live.values()), timeout=60000)
    c.actions["pause"].trigger()  # F8: the workers hold; again to go on
    assert c.worker.state == "paused" and c.panel.pause_button.text() == "Resume"
    c.actions["pause"].trigger()
    assert c.worker.state == "running" and c.panel.pause_button.text() == "Pause"
    assert "running (epoch" in c.panel.table.item(0, 1).text() or any(
        "running (epoch" in c.panel.table.item(r, 1).text() for r in range(c.panel.table.rowCount()))
    with qtbot.waitSignal(c.experimentFinished, timeout=60000) as stopped:
        qtbot.mouseClick(c.panel.stop_button, Qt.MouseButton.LeftButton)
    assert stopped.args[0].status == "stopped" and not multiprocessing.active_children()
    assert all(not p.is_alive() for p in c.worker.experiment._procs.values())

    c.start()  # resumes; closing the window asks, "no" keeps it running, "yes" stops it and closes
    c.confirm = lambda *_: False
    assert not window.close() and c.worker.is_running
    c.confirm = lambda *_: True
    assert window.close()
    assert not c.worker.is_running and not multiprocessing.active_children()


def test_an_experiment_document_opens_on_its_experiment_and_says_how_many_trials_it_will_train(studio):
    window = studio([{"path": "rnn.hidden_size", "values": [4, 8]}, {"path": "rnn.kind", "values": ["rnn", "gru", "lstm"]}])
    c = window.experiments
    assert c.panel.progress_text.text() == "no trials yet: 6 to train"
    assert c.panel.progress.text() == "0 / 6 trials"
    assert c.dock.isVisible()  # in front of the Problems tab it shares
