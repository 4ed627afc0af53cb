"""The dashboard's panels on finished runs: history and smoothing, CSV/PNG saving, the runs list and overlay,
reopening a run, export with verification, the forecast of the try panel, and the data panel's one-click fix.
"""
from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from engine.training import StepMetrics, Trainer, TrainingConfig
from gui.dashboard.history import Ema, RunHistory, smooth
from gui.plotting import stable_bounds
from test_gui_dash_support import make_window, release, small_example


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """One finished run of adding_rnn and one of adding_lstm, written by the engine (run directories)."""
    root = tmp_path_factory.mktemp("studio")
    out = {}
    for name in ("adding_rnn", "adding_lstm"):
        document = small_example(name, root, samples=200, length=12)
        trainer = Trainer(document, TrainingConfig(epochs=2, batch_size=32, max_steps_per_epoch=3))
        result = trainer.run()
        assert result.status == "completed", result.message
        out[name] = result.run_dir
    return root, out


@pytest.fixture
def window(qtbot, runs):
    root, _ = runs
    window = make_window(small_example("adding_lstm", root, samples=200, length=12))
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    yield window
    release(window)


def test_smoothing_is_the_debiased_moving_average():
    ema = Ema(0.9)
    assert ema(1.0) == pytest.approx(1.0)
    assert ema(2.0) == pytest.approx((0.9 * 0.1 + 0.1 * 2.0) / (1 - 0.81))
    assert smooth([3.0, float("nan"), 3.0]).tolist()[::2] == [3.0, 3.0]
    assert stable_bounds(0.0, 37.0) == (0.0, 40.0) and stable_bounds(0.0, 41.0) == (0.0, 60.0)
    assert stable_bounds(-2.3, 0.4, log=True) == (-3, 1)


def test_history_reopens_a_run_directory_with_every_step(runs):
    _, dirs = runs
    history = RunHistory.from_run_dir(dirs["adding_lstm"])
    assert len(history.steps) == 6 and len(history.epochs) == 2
    assert history.finished.status == "completed" and history.started.blocks == ["lstm", "dense"]
    assert "lstm" in history.gates and history.time_grads["lstm"].norms.shape == (12,)
    assert history.smoothed["loss"][0] == pytest.approx(history.loss[0])
    header, rows = history.table("grad_norms")
    assert header == ["step", "global_norm", "lstm", "dense"] and len(rows) == 6
    with pytest.raises(ValueError, match="no metrics.jsonl"):
        RunHistory.from_run_dir(dirs["adding_lstm"] / "checkpoints")


def test_a_late_metric_lines_up_with_the_steps():
    history = RunHistory()
    for i, metrics in enumerate([{}, {"mae": 0.5}]):
        history.add(StepMetrics(1, i + 1, 2, 1.0, metrics, 0.01, 10.0, 1.0, 1.0, {}, False, i + 1))
    assert history.step_metrics["mae"][1] == 0.5 and np.isnan(history.step_metrics["mae"][0])
    first = history.array(history.loss)
    history.add(StepMetrics(1, 3, 3, 2.5, {}, 0.01, 10.0, 1.0, 1.0, {}, False, 3))
    assert first.tolist() == [1.0, 1.0] and history.array(history.loss).tolist() == [1.0, 1.0, 2.5]


def test_runs_are_listed_overlaid_and_reopened_in_the_dashboard(qtbot, window, runs):
    _, dirs = runs
    c = window.training
    panel = c.runs_panel
    assert set(dirs.values()) <= set(panel.runs)
    rows = {panel.table.item(r, 0).text(): r for r in range(panel.table.rowCount())}
    row = rows[f"adding_rnn/{dirs['adding_rnn'].name}"]
    assert panel.table.item(row, 1).text() == "completed"
    header = [panel.table.horizontalHeaderItem(c).text() for c in range(panel.table.columnCount())]
    # the metrics right after the run and its status (in a narrow dock they were out of sight past the settings)
    assert header[:3] == ["Run", "Status", "val_loss"] and header[-3:] == ["Duration (s)", "Epochs", "Settings"]
    assert "optimizer=adam" in panel.table.item(row, header.index("Settings")).text()
    val_loss = header.index("val_loss")
    assert float(panel.table.item(row, val_loss).text()) == pytest.approx(
        panel.history(dirs["adding_rnn"]).summary()["val_loss"], rel=1e-3)
    # Sorting by a metric ranks the runs by its number; the selection still names the right runs.
    panel.table.sortItems(val_loss)
    values = [panel.table.item(r, val_loss).number for r in range(panel.table.rowCount())]
    assert values == sorted(values)
    panel.select_runs(dirs.values())
    assert set(panel.overlaid) == set(dirs.values())
    assert not panel.grab().isNull()  # paints (an attribute shadowing a Qt method crashed here once)
    assert len([i for i in panel.plot.listDataItems()]) == 4  # train and validation of each run
    panel.select_runs([dirs["adding_rnn"]])
    with qtbot.waitSignal(panel.openRequested):
        history = panel.open_selected()
    assert c.history is history and c.dashboard.history is history
    c.dashboard.redraw(force=True)
    assert len(c.dashboard.loss.raw.getData()[0]) == 6
    # A plain RNN has no gates: clicking it brings its hidden state forward, its gradient curve highlighted.
    assert c.dashboard.show_block("rnn") and c.dashboard.current_panel() is c.dashboard.hidden
    assert c.dashboard.grad_norms.highlight == "rnn" and not c.dashboard.show_block("last_step")


def test_runs_of_one_document_are_named_by_their_folder_alone(qtbot, runs):
    from gui.training.runs_panel import RunsPanel

    _, dirs = runs
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.add_run(dirs["adding_rnn"])
    assert [panel.table.item(r, 0).text() for r in range(panel.table.rowCount())] == [dirs["adding_rnn"].name]
    assert panel.table.item(0, 0).toolTip() == str(dirs["adding_rnn"])  # the whole path on hover
    panel.add_run(dirs["adding_lstm"])  # another document's run: each is named with its document
    names = {panel.table.item(r, 0).text() for r in range(panel.table.rowCount())}
    assert names == {f"adding_rnn/{dirs['adding_rnn'].name}", f"adding_lstm/{dirs['adding_lstm'].name}"}


def test_the_runs_table_reads_each_logs_summary_and_open_reads_all_of_it(qtbot, runs):
    """Listing a folder of runs parsed every step of every log (0.56 s for three runs, before the window's first
    paint); the table needs the start, the epochs and the end."""
    from gui.training.runs_panel import RunsPanel

    root, dirs = runs
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_root(root / "runs")
    listed = panel.history(dirs["adding_rnn"], summary_only=True)
    full = RunHistory.from_run_dir(dirs["adding_rnn"])
    assert listed.steps == [] and len(full.steps) == 6  # the table's copy has no steps
    assert listed.summary() == full.summary() and listed.finished.status == full.finished.status
    panel.select_runs([dirs["adding_rnn"]])
    opened = panel.open_selected()
    assert opened.steps == full.steps and opened.summary() == full.summary()
    assert panel.history(dirs["adding_rnn"], summary_only=True) is opened  # the whole log serves the row too


def test_plots_save_png_and_csv(window, runs, tmp_path):
    _, dirs = runs
    c = window.training
    c.show_history(RunHistory.from_run_dir(dirs["adding_lstm"]))
    c.dashboard.redraw(force=True)
    loss_csv = c.dashboard.loss.save_csv(str(tmp_path / "loss.csv"))
    with open(loss_csv, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0][:3] == ["step", "loss", "lr"] and len(rows) == 7
    assert float(rows[1][1]) == pytest.approx(c.history.loss[0])
    c.dashboard.show_tab("gates")
    c.dashboard.redraw(force=True)
    gates_csv = c.dashboard.gates.save_csv(str(tmp_path / "gates.csv"))
    with open(gates_csv, newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["unit"] + [f"t{t}" for t in range(1, 13)] and len(rows) == 65
    png = c.dashboard.gates.save_png(str(tmp_path / "gates.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    from PySide6.QtGui import QImage

    image, plots = QImage(png), c.dashboard.gates.layout_widget
    assert (image.width(), image.height()) == (plots.width() * plots.devicePixelRatio(),
                                               plots.height() * plots.devicePixelRatio())  # no toolbar in it
    # A model without attention says so in the Attention tab (no empty plot with an odd axis).
    c.dashboard.show_tab("attention")
    c.dashboard.redraw(force=True)
    assert c.dashboard.attention.heat.empty.isVisible()
    assert c.dashboard.attention.heat.empty.textItem.toPlainText().startswith("no attention here")
    assert c.dashboard.attention.heat.plot.viewRange()[0] == pytest.approx([0, 1])


def test_frozen_plot_keeps_its_picture_until_thawed(window, runs):
    _, dirs = runs
    c = window.training
    c.show_history(RunHistory.from_run_dir(dirs["adding_lstm"]))
    loss = c.dashboard.loss
    loss.freeze_button.setChecked(True)
    before = loss.draw_count
    c.history.add(StepMetrics(3, 1, 3, 0.5, {}, 0.001, 1.0, 0.0, 1.0, {}, False, 7))
    c.dashboard.redraw()
    assert loss.draw_count == before
    loss.freeze_button.setChecked(False)
    assert loss.draw_count == before + 1 and len(loss.raw.getData()[0]) == 7


def test_export_dialog_exports_the_run_to_torchscript_and_shows_the_verification(qtbot, window, runs, tmp_path):
    from gui.training.export_dialog import ExportDialog

    _, dirs = runs
    c = window.training
    c.runs_panel.select_runs([dirs["adding_lstm"]])
    dialog = ExportDialog(c, window)
    assert dialog.run_dir == dirs["adding_lstm"]
    dialog.set_format("torchscript")
    dialog.path.setText(str(tmp_path / "adding.pt"))
    with qtbot.waitSignal(dialog.background.done, timeout=120000):
        dialog.export()
    assert dialog.report.ok and (tmp_path / "adding.pt").exists()
    assert "verified" in dialog.result_label.text() and "max abs difference" in dialog.result_label.text()


def test_try_panel_plots_each_regression_prediction_against_its_target(qtbot, window, runs):
    _, dirs = runs
    panel = window.training.try_panel
    with qtbot.waitSignal(panel.loader.done, timeout=60000):
        panel.set_run(dirs["adding_lstm"])
    assert panel.session.task == "regression"
    with qtbot.waitSignal(panel.work.done, timeout=60000):
        panel.run_forecast()
    _perfect, points = panel.plot.listDataItems()  # a regression: each prediction against its target
    actual, predicted = points.getData()
    assert len(actual) == len(predicted) == 20  # the 10% validation split of 200 samples
    assert "MAE" in panel.output.toPlainText()
    panel.run_sample()  # a regression model has no classes: said, not raised
    assert "classifiers" in panel.message.text()


def test_data_panel_finds_a_feature_mismatch_and_fixes_it_in_one_undo_step(qtbot, window):
    from gui.commands import SetParamCommand

    graph, fit = window.document.graph, window.training.fit
    source = graph.by_name("sequence")
    with qtbot.waitSignal(fit.updated, timeout=60000):  # every edit is checked against the data
        window.undo_stack.push(SetParamCommand(graph, source.id, "features", 3))
    panel = window.training.data_panel
    assert panel.dataset.currentData() == "adding" and panel.option_widgets["samples"].value() == 200
    assert panel.problems and "2 features per step" in panel.problems[0].message
    assert panel.fix_button.isVisible()
    assert any("2 features per step" in m and "Fix: set features of 'sequence' to 2" in m
               for m in window.problems.messages())  # the Problems dock lists it too, with its fix
    qtbot.waitUntil(lambda: "samples: train 160, val 20, test 20" in panel.stats.text(), timeout=60000)
    assert panel.plots_slot.isVisibleTo(panel)  # checked data: its plots are there
    info = panel.info
    panel._clear_stats()
    assert not panel.plots_slot.isVisibleTo(panel)  # no data checked: no empty plots on made-up axes
    panel.info = info
    panel._show_stats(info)
    assert panel.plots_slot.isVisibleTo(panel)
    with qtbot.waitSignal(fit.updated, timeout=60000):
        assert panel.fix_all() == 1
    assert graph.nodes[source.id].params["features"] == 2 and not panel.problems
    assert "fits" in panel.status.text()
    assert window.problems.messages() == ["No problems: the model is ready to train"]
    window.undo_stack.undo()
    assert graph.nodes[source.id].params["features"] == 3


def test_a_zoomed_plot_keeps_the_users_view_until_fit(window, runs):
    _, dirs = runs
    c = window.training
    c.show_history(RunHistory.from_run_dir(dirs["adding_lstm"]))
    loss = c.dashboard.loss
    loss.refresh(force=True)
    assert loss.plot.viewRange()[0][1] >= 6  # the x range holds every step
    loss.plot.setXRange(2, 3, padding=0)
    loss.plot.getViewBox().sigRangeChangedManually.emit([True, True])  # what a wheel zoom emits
    c.history.add(StepMetrics(3, 1, 3, 0.5, {}, 0.001, 1.0, 0.0, 1.0, {}, False, 7))
    loss.refresh()
    assert loss.plot.viewRange()[0] == pytest.approx([2, 3])
    loss.fit()
    assert loss.following and loss.plot.viewRange()[0][1] >= 7


def test_the_loss_on_a_log_axis_shows_every_positive_value_and_leaves_out_zero(window, runs):
    """After its first drop a loss that falls from 1.4 to 3e-4 is a flat line on a linear axis: the log box puts
    it on decades; a 0 (which a log axis cannot place) is left out, not drawn at -inf."""
    import math

    _, dirs = runs
    c = window.training
    history = RunHistory.from_run_dir(dirs["adding_lstm"])
    c.show_history(history)
    loss = c.dashboard.loss
    loss.refresh(force=True)
    c.history.add(StepMetrics(3, 1, 7, 0.0, {}, 0.001, 1.0, 0.0, 1.0, {}, False, 7))
    loss.log_box.setChecked(True)
    values = [v for v in c.history.loss if v > 0]
    low, high = loss.plot.viewRange()[1]
    assert low <= math.log10(min(values)) and high >= math.log10(max(values)) and high - low < 6  # decades
    x, y = loss.raw.getData()
    assert len(y) == len(values) and np.all(np.isfinite(y))
    loss.log_box.setChecked(False)
    low, high = loss.plot.viewRange()[1]
    assert low <= 0.0 <= high and len(loss.raw.getData()[1]) == len(c.history.loss)


def test_a_new_document_brings_its_settings_data_and_runs(window, runs, tmp_path):
    _, dirs = runs
    other = small_example("adding_rnn", tmp_path, samples=300, length=15)
    other.training = {"epochs": 7, "lr": 0.02, "optimizer": "sgd"}
    window.set_document(other)
    c = window.training
    config = c.training_panel.config()
    assert (config.epochs, config.lr, config.optimizer) == (7, 0.02, "sgd")
    assert c.data_panel.option_widgets["length"].value() == 15
    assert c.runs_panel.root == tmp_path / "runs" and c.runs_panel.runs == []
    assert c.document is other


def test_the_gradient_norm_plot_marks_every_step_where_clipping_acted(qtbot):
    from engine.training import RunStarted
    from gui.dashboard.panels import GradNormPanel

    history = RunHistory("clip")
    history.add(RunStarted("clip", {"clip": "norm", "clip_value": 1.0}, "cpu", 1, 6, ["rnn"], 1, {}))
    norms = [0.5, 3.0, 0.8, 12.0, 40.0, 0.9]
    for i, norm in enumerate(norms):
        history.add(StepMetrics(1, i + 1, 6, 1.0, {}, 0.01, 10.0, 0.0, norm, {"rnn": norm}, norm > 1.0, i + 1))
    panel = GradNormPanel()
    qtbot.addWidget(panel)
    panel.history = history
    panel.refresh(force=True)
    xs, ys = panel.clipped_marks.getOriginalDataset()  # the axis is log10: the data as given
    assert list(xs) == [2, 4, 5] and list(ys) == [3.0, 12.0, 40.0]
    assert "clipped" in [label.text for _, label in panel.plot.legend.items]


def test_the_per_step_gradient_plot_marks_where_truncated_bptt_cuts(qtbot):
    from engine.training import TimeGradProbe
    from gui.dashboard.panels import TimeGradPanel

    history = RunHistory("tbptt")
    history.add(TimeGradProbe(5, "gru", np.linspace(0.1, 1.0, 9), cuts=[3, 6]))
    panel = TimeGradPanel()
    qtbot.addWidget(panel)
    panel.history = history
    panel.refresh(force=True)
    # chunks start at the 4th and the 7th step: the lines fall between t = 3 and 4, and 6 and 7
    assert [line.value() for line in panel.cut_lines] == [3.5, 6.5]
    history.add(TimeGradProbe(9, "gru", np.linspace(0.1, 1.0, 9)))
    panel.refresh(force=True)
    assert panel.cut_lines == []  # a probe without cuts (whole sequences) clears them


def test_a_plain_rnn_shows_its_hidden_state_with_the_input_values_along_time(window, runs):
    _, dirs = runs
    c = window.training
    c.show_history(RunHistory.from_run_dir(dirs["adding_rnn"]))
    board = c.dashboard
    assert board.show_block("rnn") and board.current_panel() is board.hidden  # no gates: its states
    board.hidden.refresh(force=True)
    states, strip = board.hidden.heat.matrix, board.hidden.strip.matrix
    assert states is not None and strip is not None
    assert strip.shape == (2, states.shape[1])  # value and marker of the adding problem, step by step


def test_legends_sit_beside_the_data_never_over_it(qtbot, window, runs):
    _, dirs = runs
    c = window.training
    c.show_history(RunHistory.from_run_dir(dirs["adding_lstm"]))
    board = c.dashboard
    for index in (0, 1, 2):  # Curves, Gradients, Gates
        board.tabs.setCurrentIndex(index)
        board.redraw(force=True)
        QApplication.processEvents()
    for plot in (board.loss.plot, board.metric_panel.plot, board.grad_norms.plot, board.gates.means):
        assert plot.legend.items
        # (the Gates tab was made just now: its layout settles in the next events)
        qtbot.waitUntil(lambda: not plot.legend.sceneBoundingRect().intersects(plot.vb.sceneBoundingRect()))


def test_a_tabs_plots_are_made_when_it_is_first_shown_and_draw_the_run_already_open(qtbot, window, runs):
    """The launch does not pay for plots nobody has looked at: a tab's panels are made when it is first shown
    (or asked for), and a tab made after a run was opened draws that run at once."""
    _, dirs = runs
    board = window.training.dashboard
    assert "gates" not in board._made and "compare" not in board._made  # noqa: SLF001 - what was made so far
    window.training.show_history(RunHistory.from_run_dir(dirs["adding_lstm"]))
    assert "gates" not in board._made  # noqa: SLF001 - showing a run does not make hidden tabs
    window.training.docks["dashboard"].show()
    window.training.docks["dashboard"].raise_()
    board.show_tab("gates")
    qtbot.waitUntil(lambda: "gates" in board._made)  # noqa: SLF001 - made once shown
    assert board.current_panel() is board.gates and board.gates.history is board.history
    assert board.gates.draw_count >= 1 and board.gates.block.currentText() == "lstm"


def test_the_data_plots_stack_in_a_narrow_dock_and_stand_side_by_side_in_a_wide_one(qtbot):
    from gui.training.data_panel import StatsPlots

    plots = StatsPlots()
    qtbot.addWidget(plots)
    plots.resize(300, 400)
    plots.show()
    qtbot.waitUntil(lambda: plots.stacked is True)
    hist, balance = plots.hist_plot.sceneBoundingRect(), plots.balance_plot.sceneBoundingRect()
    assert balance.top() >= hist.bottom() - 1 and max(hist.right(), balance.right()) <= 301  # nothing cut off
    plots.resize(900, 250)
    qtbot.waitUntil(lambda: plots.stacked is False)
    qtbot.waitUntil(lambda: plots.balance_plot.sceneBoundingRect().left() >= plots.hist_plot.sceneBoundingRect().right() - 1)
    assert plots.minimumHeight() == StatsPlots.PLOT_HEIGHT


def _sample_centre(sample) -> str:
    """The colour at the centre of a legend entry's sample (its symbol), painted on white."""
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(20, 20, QImage.Format.Format_RGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    sample.paint(painter)
    painter.end()
    return image.pixelColor(10, 10).name()


def test_a_legend_shows_each_symbols_own_colour_before_the_curve_has_points(qtbot):
    """Before the first epoch ended the legend drew 'train (epoch)' and 'validation (epoch)' with grey-blue
    squares, and kept them so until something repainted it."""
    from gui.dashboard.panels import CurvePanel

    panel = CurvePanel()
    qtbot.addWidget(panel)
    samples = {label.text: sample for sample, label in panel.plot.legend.items}
    assert _sample_centre(samples["train (epoch)"]) == "#2ca02c"
    assert _sample_centre(samples["validation (epoch)"]) == "#ff7f0e"


def test_try_it_offers_the_documents_latest_run_and_tries_a_run_opened_from_the_runs_dock(qtbot, window, runs):
    """Reopened with a trained run beside it, Try it said 'Train a model (or open a run)', and opening a run in
    the Runs dock did not load it either."""
    from PySide6.QtCore import Qt

    _, dirs = runs
    trying = window.training.try_panel
    assert trying.offered == dirs["adding_lstm"] and trying.offer_button.isVisibleTo(trying)
    assert dirs["adding_lstm"].name in trying.offer_button.text()
    with qtbot.waitSignal(trying.loader.done, timeout=60000):
        qtbot.mouseClick(trying.offer_button, Qt.MouseButton.LeftButton)
    assert trying.session.run_dir.resolve() == dirs["adding_lstm"].resolve()
    assert not trying.offer_button.isVisibleTo(trying)
    with qtbot.waitSignal(trying.loader.done, timeout=60000):
        window.training.show_history(RunHistory.from_run_dir(dirs["adding_rnn"]))
    assert trying.session.run_dir.resolve() == dirs["adding_rnn"].resolve()


def test_a_short_runs_dock_gives_its_table_the_room_the_overlay_took(qtbot, runs):
    """At 1280x720 while a run trains the Runs dock is about 250 px high: beside the overlay's plot its table
    showed one run. The dashboard's Compare tab still overlays the selected runs."""
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QScrollArea

    from gui.training.runs_panel import RunsPanel

    root, _ = runs
    panel = RunsPanel()
    area = QScrollArea()  # as the dock holds it
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(panel)
    qtbot.addWidget(area)
    panel.set_root(root / "runs")
    area.resize(300, 260)
    area.show()
    qtbot.waitExposed(area)
    qtbot.waitUntil(lambda: not panel.below.isVisible() and panel.table.height() > 150)
    qtbot.waitUntil(lambda: not area.verticalScrollBar().isVisible())  # nothing to scroll to
    area.resize(300, 560)  # a taller dock: the overlay comes back under the table
    qtbot.waitUntil(lambda: panel.below.isVisible())
    assert panel.plot_slot.height() >= 140
