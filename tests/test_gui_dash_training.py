"""Training from the window: a short run on an example feeds every plot, pause/resume/stop, a diverging run
reports the NaN and names the block, closing during a run asks and stops it, and the window stays responsive.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from gui.commands import SetParamCommand
from test_gui_dash_support import LatencyProbe, make_window, release, settings, small_example

# The benchmark (benchmarks/bench_ui_latency.py) measures against the 50 ms target; the test machine is
# shared by many jobs, so the test allows more before it calls the window blocked.
UI_BUDGET_S = 0.25


@pytest.fixture
def studio(qtbot, tmp_path):
    windows = []

    def make(example="adding_lstm", **kw):
        window = make_window(small_example(example, tmp_path, **kw))
        qtbot.addWidget(window)
        window.resize(1300, 850)
        window.show()
        window.training.confirm_close = lambda: True
        windows.append(window)
        return window
    yield make
    for window in windows:  # a failed test must not leave a training thread behind
        release(window)


def test_short_run_from_the_window_feeds_every_plot_and_trains_a_snapshot(qtbot, studio):
    window = studio("adding_lstm")
    c, graph = window.training, window.document.graph
    lstm = graph.by_name("lstm")
    settings(window, epochs=2, batch_size=32, max_steps_per_epoch=4)
    with qtbot.waitSignal(c.runFinished, timeout=90000) as finished:
        c.actions["start"].trigger()
        assert not c.actions["start"].isEnabled() and c.training_panel.stop_button.isEnabled()
        c.pause()  # held before its first step, so that the edit below surely happens during the run
        # An edit during the run: the window says the run trains a snapshot; the run does not see it.
        window.undo_stack.push(SetParamCommand(graph, lstm.id, "hidden_size", 8))
        assert c.training_panel.notice.isVisible()
        c.resume()
    event = finished.args[0]
    assert event.status == "completed", event.message
    h = c.history
    assert len(h.steps) == 8 and len(h.epochs) == 2 and set(h.block_norms) == {"lstm", "dense"}
    c.dashboard.redraw(force=True)
    board = c.dashboard
    xs, ys = board.loss.raw.getData()
    assert list(xs) == h.steps and np.allclose(ys, h.loss)
    assert board.loss.val.getData()[1].tolist() == pytest.approx([e.val["loss"] for e in h.epochs])
    assert set(board.grad_norms.curves) == {"lstm", "dense"}
    assert board.grad_norms.clip_line.isVisible() and board.grad_norms.clip_line.value() == pytest.approx(0.0)
    legend = [label.text for _sample, label in board.grad_norms.plot.legend.items]
    assert "clip threshold (1)" in legend  # named beside the plot, not written over the norms
    # The gates of the snapshot's 64 units, over the 20 steps of the probe sample (the edit said 8).
    assert board.gates.heat.matrix.shape == (64, 20)
    assert board.gates.cell.matrix.shape == (64, 20)
    assert len(board.time_grads.curves[("lstm", "latest")].getData()[0]) == 20
    snapshot = json.loads((c.runs_panel.runs[0] / "document.json").read_text())
    assert [n["params"]["hidden_size"] for n in snapshot["graph"]["nodes"] if n["name"] == "lstm"] == [64]
    assert graph.nodes[lstm.id].params["hidden_size"] == 8
    # Clicking the block on the canvas brings its gate plots forward.
    window.scene.select_nodes([lstm.id])
    window.scene.selectionChanged.emit()
    assert board.current_panel() is board.gates and board.gates.block.currentText() == "lstm"
    assert "completed" in c.training_panel.message.text()
    qtbot.waitUntil(c.actions["start"].isEnabled, timeout=5000)  # idle once the worker's thread has ended
    progress = c.training_panel.progress_text.text()
    assert progress == "epoch 2/2 · step 4/4 · done"  # its speed and ETA end with it
    assert c.training_panel.progress.value() == c.training_panel.progress.maximum() == 8


@pytest.mark.alone  # its latency probe measures wall time
def test_pause_resume_and_stop_and_the_window_stays_responsive(qtbot, studio):
    window = studio("adding_lstm")
    c = window.training
    settings(window, epochs=200, batch_size=16, early_stopping=0)  # must still be running when paused
    c.start()
    qtbot.waitUntil(lambda: c.history is not None and len(c.history.steps) >= 2, timeout=60000)
    # While it trains at full speed (past its setup), the event loop serves a 10 ms timer on time.
    probe = LatencyProbe()
    probe.start()
    qtbot.wait(1500)
    probe.stop()
    assert len(probe.delays) > 20 and probe.percentile(99) < UI_BUDGET_S, f"p99 {probe.percentile(99) * 1000:.0f} ms"
    c.actions["pause"].trigger()
    assert c.worker.state == "paused" and c.training_panel.pause_button.text() == "Resume"
    # Paused is plain to see: a banner over the plots and the state in the status bar.
    assert c.dashboard.paused.isVisible() and c.state_label.text().startswith("Paused")
    qtbot.wait(400)  # the step in flight finishes and is drained
    c.worker.drain()
    paused_at = len(c.history.steps)
    qtbot.wait(600)
    c.worker.drain()
    assert len(c.history.steps) == paused_at, "a paused run kept training"
    c.actions["pause"].trigger()
    assert c.worker.state == "running" and not c.dashboard.paused.isVisible()
    qtbot.waitUntil(lambda: len(c.history.steps) > paused_at, timeout=30000)
    with qtbot.waitSignal(c.runFinished, timeout=30000) as finished:
        c.actions["stop"].trigger()
    assert finished.args[0].status == "stopped"
    qtbot.waitUntil(lambda: c.worker.state == "idle", timeout=30000)
    assert c.training_panel.start_button.isEnabled()


def test_absurd_learning_rate_reports_the_nan_naming_a_block_and_leaves_the_graph_alone(qtbot, studio):
    window = studio("adding_rnn")
    c = window.training
    graph_before = window.document.dumps()
    settings(window, optimizer="sgd", lr=1e12, clip="none", epochs=3, batch_size=32)
    with qtbot.waitSignal(c.runFinished, timeout=90000) as finished:
        c.start()
    event = finished.args[0]
    assert event.status == "failed" and event.block in ("rnn", "dense")
    assert "lower the learning rate" in event.message
    shown = c.training_panel.message.text()
    assert f"block '{event.block}'" in shown and "lower the learning rate" in shown
    after = json.loads(window.document.dumps())
    before = json.loads(graph_before)
    assert after["graph"] == before["graph"]
    # The block the failure names is selected on the canvas, and the window can start again.
    assert [window.document.graph.nodes[i].name for i in window.scene.selected_node_ids()] == [event.block]
    qtbot.waitUntil(lambda: c.worker.state == "idle", timeout=30000)
    assert c.actions["start"].isEnabled()


def test_closing_during_a_run_asks_first_then_stops_it(qtbot, studio):
    window = studio("adding_lstm")
    c = window.training
    settings(window, epochs=200, batch_size=16, early_stopping=0)  # must still be running when paused
    c.start()
    qtbot.waitUntil(lambda: c.history is not None and bool(c.history.steps), timeout=60000)
    asked = []
    c.confirm_close = lambda: asked.append("no") or False
    assert not window.close()
    assert asked == ["no"] and c.worker.is_running
    c.confirm_close = lambda: asked.append("yes") or True
    assert window.close()
    assert asked == ["no", "yes"] and not c.worker.is_running
    assert c.last_finished is not None and c.last_finished.status == "stopped"


def test_settings_errors_are_shown_not_raised(qtbot, studio):
    window = studio("adding_lstm")
    c = window.training
    lr = c.training_panel.editors["lr"]
    lr.widget.setText("fast")
    lr.widget.editingFinished.emit()
    assert c.training_panel.message.text().startswith("training.lr: ")
    assert window.document.training["lr"] == 0.002 and not window.isWindowModified()
    # A document whose stored settings are broken is refused at Start with the setting named.
    window.document.training = {**window.document.training, "lr": float("nan")}
    assert c.start() is False
    assert "training.lr" in c.training_panel.message.text() and not c.worker.is_running


def test_a_data_error_stops_the_run_with_a_message_naming_the_file(qtbot, studio, tmp_path):
    window = studio("adding_lstm")
    c = window.training
    window.document.data = {"dataset": "csv_series", "options": {"path": "missing.csv"}}
    with qtbot.waitSignal(c.runFinished, timeout=60000) as finished:
        c.start()
    event = finished.args[0]
    assert event.status == "failed" and "missing.csv" in event.message
    assert "missing.csv" in c.training_panel.message.text()


def test_device_selector_lists_what_torch_sees(studio):
    import torch

    window = studio("adding_lstm")
    panel = window.training.training_panel
    values = [panel.device.itemData(i) for i in range(panel.device.count())]
    assert values == ["auto", "cpu"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    panel.device.setCurrentIndex(1)
    panel.device.activated.emit(1)
    assert window.document.training["device"] == "cpu" and panel.cuda_index() is None
