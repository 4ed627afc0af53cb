"""The dashboard's Compare tab on real runs: one curve per run named by its label, ‖∂L/∂h_t‖ and gate means equal
to what the runs recorded, blocks matched by name (and why nothing is drawn when they do not match), logs that
grow while a trial runs, the Runs dock's selection feeding it, saving, the dark theme and a 1280x720 window.
"""
from __future__ import annotations

import csv
import shutil

import pytest
from PySide6.QtCore import Qt

from engine.experiments.variants import apply_values
from engine.training import GateProbe, StepMetrics, TimeGradProbe, Trainer, TrainingConfig
from engine.training.events import read_events
from gui.dashboard import ComparePanel, DashboardWidget
from gui.dashboard.compare import NOTHING
from gui.plotting import color
from gui.dashboard.history import RunHistory
from gui.training.runs_panel import RunsPanel
from test_gui_dash_support import small_example

PROBES = ["grad_norms", "gates", "time_grads"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three real runs: adding_lstm, the same document with its block swapped to a plain RNN (still named
    'lstm'), and adding_rnn (block 'rnn'); one epoch of three steps each, every probe on."""
    root = tmp_path_factory.mktemp("compare")
    lstm = small_example("adding_lstm", root, samples=96, length=12)
    documents = {"lstm": lstm, "swapped": apply_values(lstm, {"lstm.kind": "rnn"}),
                 "rnn": small_example("adding_rnn", root, samples=96, length=12)}
    out = {}
    for key, document in documents.items():
        config = TrainingConfig(epochs=1, batch_size=16, max_steps_per_epoch=3, probes=PROBES, probe_budget=0.5)
        result = Trainer(document, config, run_root=root / "runs").run()
        assert result.status == "completed", result.message
        out[key] = result.run_dir
    return root / "runs", out


def events_of(run_dir, kind):
    return [e for e in read_events(run_dir / "metrics.jsonl") if isinstance(e, kind)]


def legend_labels(plot) -> list[str]:
    return [label.text for _, label in plot.plot.legend.items]


def curve_data(plot) -> dict[str, tuple]:
    """Legend label -> (x, y) of each labelled curve, as given (not the log10 a log axis draws)."""
    return {item.name(): (item.xData, item.yData) for item in plot.plot.listDataItems() if item.name()}


def compare(qtbot, panel, runs) -> None:
    """``panel.set_runs(runs)`` and wait until their logs are read (in a background thread)."""
    with qtbot.waitSignal(panel.loaded, timeout=30000):
        panel.set_runs(runs)


@pytest.fixture
def panel(qtbot):
    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    return panel


def test_one_curve_per_run_named_by_its_label_with_the_recorded_numbers(qtbot, panel, runs):
    _, dirs = runs
    panel.set_runs([("kind=lstm", dirs["lstm"]), ("kind=rnn", dirs["swapped"])])
    assert panel.curves.empty.textItem.toPlainText() == "reading 2 run logs…"  # off the GUI thread
    qtbot.waitUntil(lambda: not panel.busy(), timeout=30000)
    assert panel.labels() == ["kind=lstm", "kind=rnn"]
    for plot in (panel.curves, panel.grad_norm, panel.time_grads):
        assert legend_labels(plot) == ["kind=lstm", "kind=rnn"], plot.title
        assert not plot.empty.isVisible()
    colours = {item.opts["pen"].color().name() for item in panel.time_grads.plot.listDataItems()}
    assert len(colours) == 2  # one colour per run
    # Loss: each run's smoothed training curve (per step) and its validation point (per epoch, no legend entry).
    for label, key in (("kind=lstm", "lstm"), ("kind=rnn", "swapped")):
        history = RunHistory.from_run_dir(dirs[key])
        xs, ys = curve_data(panel.curves)[label]
        assert xs.tolist() == [1.0, 2.0, 3.0] and ys == pytest.approx(history.smoothed["loss"])
    assert len(panel.curves.plot.listDataItems()) == 4
    # ‖∂L/∂h_t‖: the block both runs have by name, the latest TimeGradProbe of each run, x = 1..T.
    assert [panel.time_grads.block.itemText(i) for i in range(panel.time_grads.block.count())] == ["lstm"]
    for label, key in (("kind=lstm", "lstm"), ("kind=rnn", "swapped")):
        latest = events_of(dirs[key], TimeGradProbe)[-1]
        xs, ys = curve_data(panel.time_grads)[label]
        assert xs.tolist() == list(range(1, 13)) and ys == pytest.approx(latest.norms.astype(float))
    panel.time_grads.normalise.click()
    latest = events_of(dirs["swapped"], TimeGradProbe)[-1].norms.astype(float)
    assert curve_data(panel.time_grads)["kind=rnn"][1] == pytest.approx(latest / latest[-1])
    assert curve_data(panel.time_grads)["kind=rnn"][1][-1] == pytest.approx(1.0)
    # Gradient norm of a block over steps: the per-block norms of the StepMetrics.
    blocks = [panel.grad_norm.block.itemText(i) for i in range(panel.grad_norm.block.count())]
    assert blocks == ["lstm", "dense"]
    steps = events_of(dirs["lstm"], StepMetrics)
    assert curve_data(panel.grad_norm)["kind=lstm"][1] == pytest.approx([s.grad_norms["lstm"] for s in steps])
    # Gate means: only the LSTM has gates; the plain RNN is left out and the title says so.
    gates = panel.gates
    assert gates.block.currentText() == "lstm" and legend_labels(gates) == ["kind=lstm"]
    gates.gate.setCurrentText("forget")
    probes = [e for e in events_of(dirs["lstm"], GateProbe) if e.layer == 0 and e.direction == "forward"]
    xs, ys = curve_data(gates)["kind=lstm"]
    assert xs.tolist() == [p.step for p in probes] and ys == pytest.approx([p.means["forget"] for p in probes])
    assert gates.note.text() == "left out: kind=rnn" and gates.note.toolTip().endswith("recorded in: kind=rnn")
    assert panel.time_grads.note.text() == ""  # both runs are in that plot


def test_a_run_without_the_block_shows_why_nothing_is_drawn(qtbot, panel, runs):
    _, dirs = runs
    compare(qtbot, panel, [("lstm", dirs["lstm"]), ("rnn", dirs["rnn"])])
    plot = panel.time_grads
    assert plot.empty.isVisible() and not plot.plot.listDataItems()
    assert not plot.plot.getAxis("left").style["showValues"]  # no scale to read: no ticks (log 2 to 8 were)
    assert panel.grad_norm.plot.getAxis("left").style["showValues"]
    assert plot.empty.textItem.toPlainText() == ("no recurrent block in common (blocks are matched by name): "
                                                 "lstm has lstm; rnn has rnn")
    assert panel.grad_norm.block.currentText() == "dense"  # what they do share is still compared
    assert len(panel.grad_norm.plot.listDataItems()) == 2
    compare(qtbot, panel, [])
    assert all(p.empty.textItem.toPlainText() == NOTHING for p in panel.panels)
    assert all(not p.plot.listDataItems() for p in panel.panels)  # no lines of the earlier runs
    compare(qtbot, panel, [("lost", dirs["lstm"].parent / "no-such-run")])
    assert panel.message.isVisible() and "no-such-run" in panel.message.text()
    assert "no metrics.jsonl" in panel.curves.empty.textItem.toPlainText()
    assert not panel.poll() and panel.message.isVisible()  # a failed run is not read again until it changes


def test_a_growing_log_is_read_on_while_the_tab_is_visible(qtbot, panel, runs, tmp_path):
    """A running trial: its log grows (the last line may be half written); the tab picks up the rest."""
    _, dirs = runs
    live = tmp_path / "live"
    shutil.copytree(dirs["lstm"], live)
    text = (dirs["lstm"] / "metrics.jsonl").read_bytes()
    lines = text.split(b"\n")
    first = b"\n".join(lines[:4]) + b"\n" + lines[4][:10]  # RunStarted + steps, then a line cut short
    (live / "metrics.jsonl").write_bytes(first)
    compare(qtbot, panel, [("live", live)])
    history = panel.runs.runs[0].history
    assert len(history.steps) < 3 and history.finished is None
    assert panel.timer.isActive()
    with open(live / "metrics.jsonl", "ab") as handle:
        handle.write(text[len(first):])
    qtbot.waitUntil(lambda: panel.runs.runs[0].history.finished is not None, timeout=5000)
    assert panel.runs.runs[0].history is history  # read on, not read again
    whole = RunHistory.from_run_dir(dirs["lstm"])
    assert history.loss == whole.loss and len(history.epochs) == 1
    assert curve_data(panel.curves)["live"][1] == pytest.approx(whole.smoothed["loss"])
    panel.hide()
    assert not panel.timer.isActive()  # only while visible


def test_compare_plots_save_csv_and_png(qtbot, panel, runs, tmp_path):
    _, dirs = runs
    compare(qtbot, panel, [("kind=lstm", dirs["lstm"]), ("kind=rnn", dirs["swapped"])])
    path = panel.time_grads.save_csv(str(tmp_path / "t.csv"))
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    step = events_of(dirs["lstm"], TimeGradProbe)[-1].step
    assert rows[0][:2] == ["t", f"kind=lstm (step {step})"] and len(rows) == 13
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(events_of(dirs["lstm"], TimeGradProbe)[-1].norms)
    path = panel.curves.save_csv(str(tmp_path / "c.csv"))
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    smoothed = RunHistory.from_run_dir(dirs["lstm"]).smoothed["loss"]
    assert rows[0] == ["run", "series", "step", "loss"]
    assert [float(r[3]) for r in rows[1:] if r[:2] == ["kind=lstm", "train (smoothed)"]] == pytest.approx(smoothed)
    assert len([r for r in rows if r[1] == "validation"]) == 2  # one epoch of each run
    png = panel.gates.save_png(str(tmp_path / "g.png"))
    assert open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    # The tab's key is not in a saved image: the plot's own legend is, beside the data, while it is taken.
    curves, seen = panel.curves, []
    grab = curves.layout_widget.grab

    def spying_grab():
        legend = curves.plot.outside_legend
        seen.append((legend.isVisible(), [label.text for _, label in legend.items],
                     curves.plot.getAxis("right").width()))
        return grab()

    curves.layout_widget.grab = spying_grab
    curves.save_png(str(tmp_path / "c.png"))
    ((visible, labels, column),) = seen
    assert visible and labels == ["kind=lstm", "kind=rnn"] and column > 40
    assert not curves.plot.outside_legend.isVisible() and curves.plot.getAxis("right").width() <= 8  # back after


def test_runs_dock_selection_feeds_the_compare_tab(qtbot, runs):
    root, dirs = runs
    runs_panel, dashboard = RunsPanel(), DashboardWidget()
    for widget in (runs_panel, dashboard):
        qtbot.addWidget(widget)
        widget.resize(1000, 600)
        widget.show()
    # The training controller connects these (see the report): selection feeds, the button brings it forward.
    runs_panel.runsSelected.connect(dashboard.compare.set_runs)
    runs_panel.compareRequested.connect(lambda runs: (dashboard.compare.set_runs(runs), dashboard.show_compare()))
    runs_panel.set_root(root)
    table = runs_panel.table
    rows = [runs_panel.row_of(dirs["lstm"]), runs_panel.row_of(dirs["swapped"])]
    with qtbot.waitSignal(runs_panel.runsSelected) as blocker:
        for k, row in enumerate(rows):  # a click, then a Ctrl+click: what a user does
            rect = table.visualRect(table.model().index(row, 0))
            modifier = Qt.KeyboardModifier.ControlModifier if k else Qt.KeyboardModifier.NoModifier
            qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())
    assert {label for label, _ in blocker.args[0]} == {"kind=lstm", "kind=rnn"}
    assert sorted(dashboard.compare.labels()) == ["kind=lstm", "kind=rnn"]
    assert set(runs_panel.overlaid) == {dirs["lstm"], dirs["swapped"]}  # the dock's own overlay still works
    # Its key (not a legend over the curves) gives each run's colour, the one its curves have.
    drawn = {item.name(): item.opts["pen"].color().name() for item in runs_panel.plot.listDataItems()}
    for i, path in enumerate(runs_panel.overlaid):
        label = {dirs["lstm"]: "kind=lstm", dirs["swapped"]: "kind=rnn"}[path]
        assert f"color:{color(i)}'><b>━━</b></span>&nbsp;{label}" in runs_panel.key.text()
        assert drawn[f"{label} train"] == color(i)
    assert runs_panel.plot.legend is None
    assert runs_panel.key.text().count("<br>") == 1  # one run per line in the narrow dock
    assert dashboard.current_panel() is not dashboard.compare
    runs_panel.activateWindow()  # shortcuts go to the active window
    qtbot.waitUntil(runs_panel.isActiveWindow, timeout=3000)
    table.setFocus()
    with qtbot.waitSignal(runs_panel.compareRequested):
        qtbot.keyClick(table, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dashboard.current_panel() is dashboard.compare
    qtbot.waitUntil(lambda: not dashboard.compare.busy(), timeout=30000)
    dashboard.redraw()
    assert sorted(legend_labels(dashboard.compare.time_grads)) == ["kind=lstm", "kind=rnn"]
    runs_panel.refresh()  # a refilled table drops its selection; the Compare tab keeps what it shows
    qtbot.wait(60)
    assert sorted(dashboard.compare.labels()) == ["kind=lstm", "kind=rnn"]


def test_dark_theme_and_a_1280x720_window(qtbot, runs):
    from PySide6.QtWidgets import QMainWindow

    from gui.theme import DARK, apply_theme

    _, dirs = runs
    window = QMainWindow()
    dashboard = DashboardWidget()
    window.setCentralWidget(dashboard)
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    try:
        apply_theme("dark", window)
        dashboard.show_compare()
        compare(qtbot, dashboard.compare, [("kind=lstm", dirs["lstm"]), ("kind=rnn", dirs["swapped"])])
        for plot in dashboard.compare.panels:
            assert plot.layout_widget.backgroundBrush().color().name() == DARK.background
            view = plot.plot.getViewBox().sceneBoundingRect()
            assert view.width() > 150 and view.height() > 60, plot.title  # room for the data beside the legend
        assert not dashboard.compare.grab().isNull()
    finally:
        apply_theme("light", window)


def test_a_1280_px_strip_shows_the_four_plots_in_one_row_with_their_tools_folded(qtbot, runs):
    """The docked strip of a 1280x720 screen (about 1,240 x 260 px): the four toolbars side by side needed
    1,721 px, so the tab stayed in two rows of plots 110 px high. Folded into a ⋯ menu each, they fit one row,
    and every plot (axes, data, legend) lies inside its panel."""
    _, dirs = runs
    panel = ComparePanel()
    qtbot.addWidget(panel)
    panel.resize(1240, 260)
    panel.show()
    compare(qtbot, panel, [("kind=lstm", dirs["lstm"]), ("kind=rnn", dirs["swapped"]), ("rnn", dirs["rnn"])])
    qtbot.waitUntil(lambda: panel.grid.wide, timeout=2000)
    plots = panel.panels
    assert len({plot.y() for plot in plots}) == 1  # one row
    for plot in plots:
        assert plot.compact and plot.more_button.isVisible() and not plot.freeze_button.isVisible()
        assert plot.width() >= plot.minimumSizeHint().width(), plot.title
        assert plot.plot.width() <= plot.layout_widget.width() + 1, plot.title  # nothing clipped at the right
        # No legend in the plot (it took a quarter of it): the tab's key names the runs, one colour each.
        assert not plot.plot.outside_legend.isVisible() and plot.plot.getAxis("right").width() <= 8, plot.title
        assert plot.plot.getViewBox().width() > 0.6 * plot.width(), plot.title
    key = panel.key.text()
    assert panel.key.isVisible() and panel.key.geometry().bottom() < panel.grid.y()  # above the plots
    for i, label in enumerate(("kind=lstm", "kind=rnn", "rnn")):
        assert f"color:{color(i)}'><b>━━</b></span>&nbsp;{label}" in key
        curve = next(c for c in plots[0].curves.values() if c.name() == label)
        assert curve.opts["pen"].color().name() == color(i)  # the colour the key gives it
    assert plots[-1].geometry().right() < panel.width()
    # The menu's Freeze is the button's: one state.
    menu = plots[0].more_button.menu()
    freeze = next(a for a in menu.actions() if a.text() == "Freeze")
    freeze.trigger()
    assert plots[0].frozen and plots[0].freeze_button.isChecked()
    plots[0].freeze_button.setChecked(False)
    assert not plots[0].frozen and not freeze.isChecked()
    # Given the width, the buttons come back; given the height too, two rows.
    panel.resize(2000, 260)
    qtbot.waitUntil(lambda: not plots[0].compact, timeout=2000)
    assert panel.grid.wide and plots[0].freeze_button.isVisible() and not plots[0].more_button.isVisible()
    # Made narrow again, the tab follows (held at the width of its unfolded row, it could not shrink).
    panel.resize(1240, 260)
    qtbot.waitUntil(lambda: plots[0].compact, timeout=2000)
    assert panel.width() == 1240 and panel.grid.wide
    panel.resize(1240, 700)
    qtbot.waitUntil(lambda: not panel.grid.wide, timeout=2000)
    assert not any(plot.compact for plot in plots)
