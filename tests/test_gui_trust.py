"""Nothing the user sets is lost: training settings and the data binding are undoable document edits that
Save writes; another document resets every panel; bundled examples are never overwritten; each studio's
unsaved work is recoverable after a crash, and a live studio's never counts as crashed; quitting after
Discard prints no traceback."""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QStyle

from engine.document import load_document
from gui.main_window import MainWindow
from test_gui_dash_support import small_example
from test_gui_dash_training import studio  # noqa: F401 - the shared window fixture

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ROOT = EXAMPLES.parent


def test_a_training_setting_is_an_undoable_edit_that_save_writes(studio):
    window = studio(samples=120, length=10)
    panel = window.training.training_panel
    epochs = panel.editors["epochs"].widget  # the spin box
    assert epochs.value() == 25 and not window.isWindowModified()
    epochs.setValue(5)  # a finished edit (arrows, or Enter after typing) commits one value
    assert window.document.training["epochs"] == 5
    assert window.isWindowModified() and window.undo_stack.undoText() == "Set training.epochs = 5"
    assert window.save()
    assert json.loads(Path(window.document.path).read_text())["training"]["epochs"] == 5
    assert not window.isWindowModified()
    window.undo_stack.undo()
    assert window.document.training["epochs"] == 25 and epochs.value() == 25  # the editor follows the document
    assert window.isWindowModified()
    window.undo_stack.redo()
    assert epochs.value() == 5 and not window.isWindowModified()


def test_choosing_a_dataset_is_an_undoable_edit_and_a_new_document_has_none(studio):
    window = studio(samples=120, length=10)
    data = window.training.data_panel
    window.undo_stack.setClean()
    assert data.choose_dataset("sine")
    assert window.document.data["dataset"] == "sine" and window.isWindowModified()
    assert window.document.data["options"] == {o.name: o.default for o in data.spec.options}
    assert window.undo_stack.undoText() == "Use dataset sine"
    window.undo_stack.undo()
    assert window.document.data["dataset"] == "adding" and data.dataset.currentData() == "adding"
    assert data.option_widgets["length"].value() == 10

    assert window.new_document()  # answered "discard" by the test window
    assert window.document.data == {} and data.dataset.currentData() is None
    assert "no data" in data.status.text() and not data.apply_button.isEnabled()


def test_opening_another_document_resets_every_training_panel(studio, qtbot, tmp_path):
    window = studio(samples=120, length=10)
    c = window.training
    c.training_panel.set_config({**window.document.training, "epochs": 1, "batch_size": 32,
                                 "max_steps_per_epoch": 2})
    with qtbot.waitSignal(c.runFinished, timeout=90000):
        c.start()
    qtbot.waitUntil(lambda: c.try_panel.session is not None, timeout=60000)
    assert c.history is not None and "completed" in c.training_panel.message.text()
    assert c.training_panel.progress_text.text() != "idle"
    results = c.dashboard.results  # the finished run's test metrics, beside the baselines
    assert results.table.rowCount() >= 3 and results.table.item(0, 0).text() == "loss"
    # A regression run: no confusion matrix, and no empty plot with made-up class axes either.
    assert results.title.text().endswith("no confusion matrix: this run has no classifier")
    assert not results.confusion_side.isVisibleTo(results)

    other = small_example("adding_rnn", tmp_path, samples=100, length=8)
    window.set_document(other)
    assert c.history is None and c.dashboard.history is None
    assert c.dashboard.header.text() == "No run yet: Training ▸ Start (F5) to train."  # it has data, no run
    assert c.training_panel.progress_text.text() == "idle" and c.training_panel.message.text() == ""
    assert c.try_panel.session is None and c.try_panel.output.toPlainText() == ""
    assert c.dashboard.results.table.rowCount() == 0
    assert c.data_panel.option_widgets["length"].value() == 8


def test_saving_onto_a_bundled_example_is_refused_with_the_reason(studio, monkeypatch):
    window = studio(samples=120, length=10)
    errors = []
    window.show_error = lambda title, message: errors.append(message)
    example = EXAMPLES / "adding_lstm.json"
    before = example.read_bytes()
    assert not window._write(example)
    assert "bundled example" in errors[0] and "Save As" in errors[0]
    assert example.read_bytes() == before
    window.document.path = example
    assert window._dialog_folder(save=True).resolve() != EXAMPLES.resolve()
    assert window._dialog_folder(save=False).resolve() == EXAMPLES.resolve()
    from PySide6.QtWidgets import QFileDialog

    asked = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: asked.append(args[2]) or ("", ""))
    window._path_dialog(True)  # Save As offers the example's name in the user's folder
    assert Path(asked[0]).name == "adding_lstm.json" and Path(asked[0]).parent == window._dialog_folder(save=True)


CRASHING_STUDIO = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from gui.commands import SetParamCommand
    from gui.main_window import MainWindow
    folder, example, mode = sys.argv[1], sys.argv[2], sys.argv[3]
    window = MainWindow(QSettings(folder + "/settings.ini", QSettings.Format.IniFormat),
                        recovery_dir=__import__("pathlib").Path(folder) / "recovery", install_training=False)
    window.open_file(example)
    lstm = window.graph.by_name("lstm")
    window.undo_stack.push(SetParamCommand(window.graph, lstm.id, "hidden_size", 48))
    assert window.recovery.autosave()
    print("saved", flush=True)
    if mode == "crash":
        os._exit(3)  # no clean shutdown: what a crash leaves behind
    sys.stdin.readline()  # stays alive (with unsaved work) until the test lets it go
    window.undo_stack.setClean()
    window.close()
""")


def _studio_process(tmp_path, mode):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", CRASHING_STUDIO, str(tmp_path), str(EXAMPLES / "adding_lstm.json"),
                                mode], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env=env)
    ready, _, _ = select.select([process.stdout], [], [], 120)  # a stuck studio fails the test, never hangs it
    if not ready:
        process.kill()
        pytest.fail("the studio process did not autosave within 120 s")
    assert process.stdout.readline().strip() == "saved", process.stderr.read()
    return process


def test_a_live_studios_work_is_never_offered_and_a_crashed_ones_is(qtbot, tmp_path, monkeypatch):
    live = _studio_process(tmp_path, "live")
    try:
        crashed = _studio_process(tmp_path, "crash")
        assert crashed.wait(30) == 3
        window = MainWindow(QSettings(str(tmp_path / "mine.ini"), QSettings.Format.IniFormat),
                            recovery_dir=tmp_path / "recovery", install_training=False)
        qtbot.addWidget(window)
        records = window.recovery.pending_records()
        assert len(records) == 1  # the crashed studio's; the live one's is not crashed work
        monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.StandardButton.Yes)
        assert window.offer_recovery()
        assert window.graph.by_name("lstm").params["hidden_size"] == 48 and window.isWindowModified()
        assert window.recovery.pending_records() == []  # taken over: this window's own file keeps it now
        # Closing this window normally removes its own file only: the live studio's stays.
        window.ask_unsaved = lambda: "discard"
        assert window.close()
        left = [p.name for p in (tmp_path / "recovery").glob("recovery-*.json")]
        assert len(left) == 1 and left[0].startswith(f"recovery-{live.pid}-")
    finally:
        live.communicate("\n", timeout=30)
    assert not list((tmp_path / "recovery").glob("recovery-*.json"))  # it closed normally: nothing left


QUITTING_STUDIO = textwrap.dedent("""
    import os, sys
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    app = QApplication([sys.argv[0]])
    app.setOrganizationName("RNN Studio test")
    from gui.app import run_app
    from gui.commands import SetParamCommand

    def quit_discarding():
        window = next(w for w in app.topLevelWidgets() if type(w).__name__ == "MainWindow")
        lstm = window.graph.by_name("lstm")
        window.undo_stack.push(SetParamCommand(window.graph, lstm.id, "hidden_size", 8))
        window.ask_unsaved = lambda: "discard"
        window.close()  # File > Quit, then Discard
    QTimer.singleShot(300, quit_discarding)
    sys.exit(run_app([sys.argv[1]]))
""")


def test_quitting_after_discard_exits_cleanly(tmp_path):
    env = {**os.environ, "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path),
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-X", "faulthandler", "-c", QUITTING_STUDIO,
                           str(EXAMPLES / "adding_lstm.json")], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, f"exit code {done.returncode}: {done.stderr}"
    assert "Traceback" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert load_document(EXAMPLES / "adding_lstm.json").graph.by_name("lstm").params["hidden_size"] == 64


def test_the_gradient_plots_show_only_the_run_on_display_each_line_in_its_own_colour(studio):
    from gui.dashboard.history import RunHistory
    from gui.plotting import color

    from engine.training import RunStarted, StepMetrics, TimeGradProbe

    def run(blocks):
        history = RunHistory("run")
        history.add(RunStarted("run", {"clip": "norm", "clip_value": 1.0}, "cpu", 1, 2, list(blocks), 1, {}))
        history.add(StepMetrics(1, 1, 2, 0.5, {}, 0.001, 1.0, 0.0, 1.0, {b: 0.1 * (i + 1) for i, b in enumerate(blocks)},
                                False, 1))
        for block in blocks:
            history.add(TimeGradProbe(1, block, np.linspace(0.1, 1.0, 5)))
        return history

    board = studio(samples=120, length=10).training.dashboard
    first = [f"rnn_{i}" for i in range(12)]
    board.set_history(run(first))
    board.redraw(force=True)
    assert set(board.grad_norms.curves) == set(first)
    pens = {board.grad_norms.curves[b].opts["pen"].color().name() for b in first}
    assert len(pens) == 12  # twelve blocks, twelve colours (the palette has ten)
    assert len({color(i) for i in range(40)}) == 40
    board.set_history(run(["lstm"]))
    board.redraw(force=True)
    assert set(board.grad_norms.curves) == {"lstm"} and set(board.time_grads.curves) == {("lstm", "latest")}
    legend = [label.text for _, label in board.grad_norms.plot.legend.items]
    assert legend == ["global", "clip threshold (1)", "lstm"]
    board.set_history(None)  # another document: nothing of the last run stays drawn
    board.redraw(force=True)
    assert board.grad_norms.curves == {} and board.time_grads.curves == {}
    assert [label.text for _, label in board.grad_norms.plot.legend.items] == ["global"]
    assert len(board.grad_norms.global_curve.getData()[0] or []) == 0


def test_a_training_setting_the_model_cannot_take_is_a_problem_until_it_is_changed(studio, qtbot):
    """A monitor typed into the Training dock that the model does not report showed "ready to train"."""
    from gui.commands import SetSectionCommand

    window = studio(samples=120, length=10)
    fit, problems = window.training.fit, window.problems
    fit.wait()
    document = window.document

    def set_training(**changes):
        with qtbot.waitSignal(fit.updated, timeout=60000):
            window.undo_stack.push(SetSectionCommand(document, "training", {**document.training, **changes},
                                                     window.training.sections))

    set_training(monitor="val_nonsense")
    assert problems.messages() == ["training.monitor: 'val_nonsense' is not a validation metric of this model "
                                   "(it has val_loss, val_mse, val_mae)"]
    panel, dock = window.training.training_panel, window.training.docks["training"]
    window.training.docks["data"].raise_()  # the Training dock behind another tab: clicking brings it forward

    def focused(name):  # the widget that takes the keys, not the editor around it
        editor = panel.editors[name]
        return window.focusWidget() is editor.stack.currentWidget()

    problems.list.itemClicked.emit(problems.list.item(0))
    assert focused("monitor") and not dock.visibleRegion().isEmpty()
    set_training(tbptt=4)  # in More settings, which opens for it
    assert problems.messages()[1].startswith("training.tbptt: truncated BPTT applies to language models")
    problems.list.itemClicked.emit(problems.list.item(1))
    assert panel.more.isVisible() and focused("tbptt")
    set_training(monitor="val_mae", tbptt=0)
    assert problems.messages() == ["No problems: the model is ready to train"]


def test_a_graph_with_errors_gets_no_setting_problems_its_heads_cannot_answer():
    """A head cut off from its Dense reports no metrics yet: 'val_accuracy' must not be called wrong then."""
    from engine.document import load_document
    from gui.training.fit_model import setting_problems

    document = load_document(Path(__file__).resolve().parent.parent / "examples" / "names.json")
    document.training["monitor"] = "val_accuracy"
    assert setting_problems(document) == []
    head = document.graph.by_name("language")
    document.graph.disconnect(document.graph.edge_into(head.id, "input"))
    assert setting_problems(document) == []
    document.training["monitor"] = "val_mse"
    document.graph.connect(document.graph.by_name("dense").id, "output", head.id, "input")
    assert [p.setting for p in setting_problems(document)] == ["training.monitor"]


def test_problems_say_no_data_until_there_is_and_a_head_mismatch_is_fixed_in_one_click(studio, qtbot):
    from gui.commands import SetParamCommand

    window = studio(samples=120, length=10)
    fit, problems = window.training.fit, window.problems
    fit.wait()
    assert problems.messages() == ["No problems: the model is ready to train"]
    graph = window.document.graph
    dense = graph.by_name("dense")
    with qtbot.waitSignal(fit.updated, timeout=60000):
        window.undo_stack.push(SetParamCommand(graph, dense.id, "units", 3))
    (message,) = problems.messages()
    assert "1 value(s) per sample, but the Dense before head 'sum' has 3 units: set units to 1" in message
    assert message.endswith("Fix: set units of 'dense' to 1") and "ready to train" not in message
    assert problems.fix_all_button.isEnabled()
    problems.list.setCurrentRow(0)
    with qtbot.waitSignal(fit.updated, timeout=60000):
        problems.fix_button.click()
    assert graph.nodes[dense.id].params["units"] == 1
    assert window.undo_stack.undoText() == "Fit the graph to the data"
    assert problems.messages() == ["No problems: the model is ready to train"]

    with qtbot.waitSignal(fit.updated, timeout=60000):
        window.new_document()
    # a new document lists the first steps as information, not as red problems
    assert problems.messages() == ["The canvas is empty: drag blocks from Blocks (or press Tab on the canvas) to "
                                   "build a model", "no data: choose a dataset in the Data dock (the document's "
                                                    "\"data\" section is empty)"]
    assert "ready to train" not in " ".join(problems.messages())
    assert problems.count() == 0 and window.problems_dock.windowTitle() == "Problems"
    info = problems.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(16).toImage()
    assert all(problems.list.item(i).icon().pixmap(16).toImage() == info for i in range(problems.list.count()))


def test_the_settings_form_shows_only_what_the_chosen_optimizer_and_schedule_use(studio):
    window = studio(samples=120, length=10)
    panel = window.training.training_panel
    more = panel.more
    assert not more.rows["momentum"].isVisibleTo(more)  # adam has no momentum setting
    assert not more.rows["step_size"].isVisibleTo(more)  # no schedule: no decay step
    panel.basics.editor("optimizer").widget.setCurrentText("sgd")
    panel.basics.editor("optimizer").widget.activated.emit(0)
    assert window.document.training["optimizer"] == "sgd"
    assert more.rows["momentum"].isVisibleTo(more)  # the form follows the document
    window.undo_stack.undo()
    assert not more.rows["momentum"].isVisibleTo(more)


def test_start_is_refused_while_the_graph_does_not_fit_its_data(studio, qtbot):
    from gui.commands import SetParamCommand

    window = studio(samples=120, length=10)
    c, graph = window.training, window.document.graph
    with qtbot.waitSignal(c.fit.updated, timeout=60000):
        window.undo_stack.push(SetParamCommand(graph, graph.by_name("dense").id, "units", 3))
    assert c.start() is False and not c.worker.is_running
    assert c.training_panel.message.text().startswith("Not started: field 'sum' of dataset 'adding' has 1 ")
    assert "Fix applies the change" in c.training_panel.message.text()


def test_a_data_or_experiment_problem_leads_to_the_dock_where_it_is_fixed(studio, qtbot):
    """Clicking a data error in Problems did nothing: it names no block and no training setting."""
    from gui.commands import SetSectionCommand

    window = studio(samples=120, length=10)
    fit, problems, docks = window.training.fit, window.problems, window.training.docks
    fit.wait()
    data_panel = window.training.data_panel

    def focused(widget):  # the widget that takes the keys, not the editor around it
        stack = getattr(widget, "stack", None)  # a ParamEditor: its spin box, or the line edit of a bad value
        return window.focusWidget() is (stack.currentWidget() if stack is not None else widget)

    def click(row):
        problems.list.itemClicked.emit(problems.list.item(row))
        qtbot.wait(10)  # the Data dock scrolls its editor into sight after the click

    with qtbot.waitSignal(fit.updated, timeout=60000):
        data = window.document.data
        window.undo_stack.push(SetSectionCommand(window.document, "data", {**data, "options": {
            **data["options"], "length": 0}}, window.training.sections))
    (message,) = problems.messages()
    assert message.startswith("data.options.length: ")
    docks["training"].raise_()  # the Data dock behind another tab
    click(0)
    assert not docks["data"].visibleRegion().isEmpty()
    assert focused(data_panel.options_form.editors["length"])

    problems.set_experiment_problems([("an empty list of values for training.lr", None)])
    assert problems.messages()[-1] == "Experiment: an empty list of values for training.lr"
    window.experiments.dock.hide()
    click(problems.list.count() - 1)
    assert window.experiments.dock.isVisible()
    problems.set_experiment_problems([])

    with qtbot.waitSignal(fit.updated, timeout=60000):
        window.new_document()
    docks["runs"].raise_()
    click(1)  # "no data: choose a dataset in the Data dock ..."
    assert not docks["data"].visibleRegion().isEmpty() and focused(data_panel.dataset)


def test_a_bundled_examples_runs_go_to_the_data_folder_not_into_the_install(qtbot, tmp_path, monkeypatch):
    """Training a lesson wrote examples/runs/ inside the install, where every later user saw its runs."""
    import shutil

    from test_gui_dash_support import release, settings

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    before = set((EXAMPLES / "runs").rglob("*")) if (EXAMPLES / "runs").exists() else set()
    document = load_document(EXAMPLES / "adding_rnn.json")
    document.data = {**document.data, "options": {"length": 10, "samples": 120}}  # the path stays the example's
    # make_window would keep the window's settings beside the document: in the examples folder
    window = MainWindow(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat),
                        recovery_dir=tmp_path / "recovery")
    window.ask_unsaved = lambda *args: "discard"
    window.set_document(document)
    qtbot.addWidget(window)
    try:
        c = window.training
        root = c.default_run_root()
        assert root is not None and tmp_path / "data" in root.parents and c.runs_root() == root
        settings(window, epochs=1, max_steps_per_epoch=2, batch_size=16)
        with qtbot.waitSignal(c.runFinished, timeout=90000) as finished:
            c.actions["start"].trigger()
        run_dir = Path(finished.args[0].run_dir)
        assert root in run_dir.parents and run_dir in c.runs_panel.runs
        after = set((EXAMPLES / "runs").rglob("*")) if (EXAMPLES / "runs").exists() else set()
        assert after == before and not (EXAMPLES / "settings.ini").exists()  # nothing written into the examples

        mine = tmp_path / "mine.json"  # the user's own copy: its runs go beside it, as from the command line
        shutil.copy(EXAMPLES / "adding_rnn.json", mine)
        window.open_file(str(mine))
        assert c.default_run_root() is None and c.runs_root() == tmp_path / "runs"
        assert run_dir not in c.runs_panel.runs  # the example's run is not listed as this document's
    finally:
        release(window)
