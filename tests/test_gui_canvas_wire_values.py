"""View ▸ Wire values (Shift+W): the keyboard's way to what hovering a wire shows. For the selected blocks or
wires, every connected wire's ports, shape and a run's latest statistics (or why there are none) appear in a
popup beside the selection, which Esc closes; with nothing selected the status bar says what to do."""
from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from gui.canvas.wire_values import MAX_WIRES, NO_RUN, NOT_TRAINED, NOTHING_SELECTED
from test_gui_canvas import names  # noqa: F401  (shared fixture)
from test_gui_window import no_leaked_windows, window  # noqa: F401  (shared fixtures)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
STATS = {"mean": 0.0213, "std": 0.41, "min": -0.99, "max": 0.98, "saturated": 0.18, "squash": "tanh"}


def view_action(window, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_a_selected_blocks_wires_show_their_live_statistics_in_a_popup_esc_closes(names):
    graph, scene, view = names.graph, names.scene, names.view
    embedding, bigru, attention = (graph.by_name(n).id for n in ("embedding", "bigru", "attention"))
    into = next(e for e in graph.edges if e.dst == bigru)
    out = next(e for e in graph.edges if e.src == bigru)
    scene.set_live_values({f"{embedding}:{into.src_port}": STATS,
                           f"{bigru}:{out.src_port}": {**STATS, "mean": -0.5, "saturated": None}}, step=340)
    scene.select_nodes([bigru])

    popup = view.show_wire_values()
    assert popup is not None and popup.isVisible() and view.wire_values is popup
    text = popup.text()
    for edge, other in ((into, "embedding → bigru"), (out, "bigru → attention")):
        live = scene.live_value_text(edge)
        assert live and live.endswith("step 340")
        assert f"{other}\n{scene.edge_item(edge).hover_text()}" in text  # what a hover shows, word for word
        assert live in text
    assert "mean 0.0213" in text and "mean -0.5" in text and "18 % saturated (tanh)" in text
    assert NO_RUN not in text and len(text.split("\n\n")) == 2  # only the block's own two wires
    # beside the selection, on the screen the view is on
    corner = view.viewport().mapFromGlobal(popup.pos())
    assert view.viewport().rect().contains(corner)

    QTest.keyClick(popup, Qt.Key.Key_Escape)
    QApplication.processEvents()
    assert not shiboken6.isValid(popup) and view.wire_values is None  # closed and freed

    # the wires of a block the shown run never trained, and a canvas with no run at all, say so
    scene.select_nodes([attention])
    text = view.show_wire_values().text()
    assert text.count(NOT_TRAINED) == 1 and "mean -0.5" in text  # its input was trained, its output not
    view.wire_values.close()
    scene.set_live_values(None)
    scene.select_nodes([bigru])
    text = view.show_wire_values().text()
    assert text.count(NO_RUN) == 2 and "mean" not in text
    view.wire_values.close()


def test_a_selected_wire_alone_and_a_big_selection_are_shown(names):
    graph, scene, view = names.graph, names.scene, names.view
    wire = graph.edges[0]
    scene.clearSelection()
    scene.edge_item(wire).setSelected(True)
    text = view.show_wire_values().text()
    assert text.startswith("chars → embedding\n") and "\n\n" not in text
    view.wire_values.close()
    view.select_all()
    text = view.show_wire_values().text()
    assert text.count(NO_RUN) == len(graph.edges) <= MAX_WIRES  # each wire once, though two blocks hold it
    view.wire_values.close()


def test_with_nothing_selected_the_status_bar_says_what_to_do(names):
    names.scene.clearSelection()
    assert names.view.show_wire_values() is None and names.view.wire_values is None
    assert names.messages[-1] == NOTHING_SELECTED


def test_the_view_menu_action_has_its_key_in_the_shortcut_sheet_and_uses_the_status_bar(window):
    assert window.open_file(EXAMPLES / "names.json")
    action = view_action(window, "Wire values")
    assert action.shortcut().toString() == "Shift+W"
    window.scene.clearSelection()
    action.trigger()
    assert window.statusBar().currentMessage() == NOTHING_SELECTED
    window.scene.select_nodes([window.graph.by_name("dense").id])
    QTest.qWaitForWindowActive(window)
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_W, Qt.KeyboardModifier.ShiftModifier)  # the key, not quick add
    assert window.view.quick_add is None
    assert "attention → dense" in window.view.wire_values.text()
    window.view.wire_values.close()
    sheet = window.show_shortcuts()
    rows = {(where, name): keys for where, name, keys in sheet.rows}
    sheet.close()
    assert rows[("View", "Wire values")] == "Shift+W"
    keys = [k for (_, name), k in rows.items() if name != "Wire values"]
    assert not any("Shift+W" == k or "Shift+W" in k.split(", ") for k in keys)  # no other action has the key
