"""Live values on wires: after a real run, hovering an edge shows the last ActivationProbe's numbers of the tensor
it carries; edits since the run say so, new wires show none, another run clears them, a reopened run shows its own."""
from __future__ import annotations

import math
import re

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from engine.training.events import ActivationProbe, read_events
from gui.canvas.live_values import format_stats, number
from gui.commands import ConnectCommand, SetParamCommand
from test_gui_dash_support import settings
from test_gui_dash_training import studio  # noqa: F401 - the shared window fixture

PROBES = ["grad_norms", "gates", "attention", "time_grads", "activations"]


def _numbers(text: str) -> dict:
    """{"mean": 0.0213, ...} read back from the live line of a tooltip."""
    found = dict(re.findall(r"\b(mean|std|min|max) (\S+)", text))
    return {k: float(v) for k, v in found.items()}


def _mouse(view, kind, point: QPoint, button=Qt.MouseButton.NoButton) -> None:
    """A real mouse event on the canvas's viewport (through QGraphicsView's own handling, hover included). Sent
    directly rather than through QTest, whose remembered button state earlier tests in the process can leave
    pressed."""
    buttons = button if kind is QEvent.Type.MouseButtonPress else Qt.MouseButton.NoButton
    event = QMouseEvent(kind, QPointF(point), QPointF(view.viewport().mapToGlobal(point)), button, buttons,
                        Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(view.viewport(), event)


def _hover(qtbot, window, item) -> str:
    """Moves the mouse onto the middle of the wire, as a user would, and returns the tooltip it set."""
    view = window.view
    middle = item.wire_path().pointAtPercent(0.5)
    view.centerOn(middle)
    qtbot.wait(50)  # the docks may still be settling after the run
    point = view.mapFromScene(middle)
    _mouse(view, QEvent.Type.MouseMove, QPoint(point.x() + 40, point.y() + 40))  # off the wire first
    _mouse(view, QEvent.Type.MouseMove, point)
    assert item.toolTip(), "the wire never received the hover"
    return item.toolTip()


def test_hovering_a_wire_after_a_run_shows_the_last_probe_of_its_tensor(qtbot, studio):
    window = studio("adding_lstm", samples=96, length=12)
    c, graph, scene = window.training, window.document.graph, window.scene
    settings(window, epochs=1, batch_size=16, probes=PROBES, probe_budget=0.5)
    lstm, pool = graph.by_name("lstm"), graph.by_name("last_step")
    wire = next(e for e in graph.edges if e.src == lstm.id and e.dst == pool.id)
    item = scene.edge_item(wire)
    assert scene.live_value_text(wire) is None and "mean" not in item.hover_text()  # no run yet
    with qtbot.waitSignal(c.runFinished, timeout=90000) as finished:
        c.actions["start"].trigger()
    event = finished.args[0]
    assert event.status == "completed", event.message
    probes = [e for e in read_events(event.run_dir + "/metrics.jsonl") if isinstance(e, ActivationProbe)]
    last = probes[-1]
    stats = last.stats[f"{lstm.id}:{wire.src_port}"]
    text = _hover(qtbot, window, item)
    assert text == item.hover_text()
    ports, live = text.split("\n")
    assert ports == "sequence → input: a feature sequence [B, T, 64]"
    assert live.startswith("[B, T, 64] · mean ") and live.endswith(f" · step {last.step}")
    share = float(re.search(r"([\d.]+) % saturated \(tanh\)", live).group(1))
    assert stats["squash"] == "tanh" and share == pytest.approx(stats["saturated"] * 100, abs=0.5)
    shown = _numbers(live)
    assert set(shown) == {"mean", "std", "min", "max"}
    for name, value in shown.items():  # three significant digits of the run log's numbers
        assert value == pytest.approx(stats[name], rel=5e-3, abs=1e-12), name
    assert "snapshot" not in live
    # Clicking the wire puts the same line in the status bar.
    point = window.view.mapFromScene(item.wire_path().pointAtPercent(0.5))
    _mouse(window.view, QEvent.Type.MouseButtonPress, point, Qt.MouseButton.LeftButton)
    _mouse(window.view, QEvent.Type.MouseButtonRelease, point, Qt.MouseButton.LeftButton)
    assert scene.selected_edges() == [wire] and window.statusBar().currentMessage() == live

    # An edit after the run: the numbers still show, marked as the snapshot's; undo makes them current again.
    window.undo_stack.push(SetParamCommand(graph, graph.by_name("dense").id, "activation", "tanh"))
    assert scene.live_value_text(wire).endswith("from the run's snapshot")
    # A new wire from the same output was never trained: it shows no numbers.
    extra = window.view.add_block("dense")
    window.undo_stack.push(ConnectCommand(graph, lstm.id, "sequence", extra, "input"))
    new_wire = next(e for e in graph.edges if e.dst == extra)
    assert scene.live_value_text(new_wire) is None and "mean" not in scene.edge_item(new_wire).hover_text()
    for _ in range(3):  # the connection, the new block, the activation
        window.undo_stack.undo()
    assert scene.live_value_text(wire) == live

    # Reopening the run from its folder shows its own numbers (from metrics.jsonl) on the same wire.
    c.history = None
    scene.set_live_values(None)
    history = c.runs_panel.history(c.runs_panel.runs[0])
    c.show_history(history)
    assert scene.live_value_text(wire) == live

    # Another run starts: the wires show nothing until its first probe.
    settings(window, epochs=50)
    with qtbot.waitSignal(c.runFinished, timeout=90000):
        assert c.start()
        assert scene.live_value_text(wire) is None
        c.stop()


def test_numbers_are_formatted_for_reading():
    assert [number(v) for v in (0.0213, 0.41, -0.98765, 12.345, 0.0, 4e-5, 123456.0)] == \
        ["0.0213", "0.41", "-0.988", "12.3", "0", "4.00e-05", "1.23e+05"]
    assert [number(v) for v in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]
    stats = {"mean": 0.02, "std": 0.41, "min": -0.99, "max": 0.98, "saturated": 0.18, "squash": "tanh"}
    assert format_stats(stats, "[B, T, 64]", 340) == \
        "[B, T, 64] · mean 0.02 · std 0.41 · min -0.99 · max 0.98 · 18 % saturated (tanh) · step 340"
    assert format_stats({**stats, "saturated": 0.004}, "", 1).endswith("0.4 % saturated (tanh) · step 1")
    assert "saturated" not in format_stats({**stats, "saturated": None, "squash": None}, "[B, 8]", 2)

