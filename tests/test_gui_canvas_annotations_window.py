"""The annotation actions in the window: keys and menu entries, the shortcut sheet, saving and reopening."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from test_gui_window import no_leaked_windows, window  # noqa: F401  (shared fixtures)

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def edit_action(window, text):
    edit = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    return next(a for a in edit.actions() if a.text().replace("&", "") == text)


def test_keys_add_a_comment_and_frame_the_selection_and_the_sheet_lists_them(window, qtbot, tmp_path):
    assert window.open_file(EXAMPLES / "names.json")
    view, scene = window.view, window.scene

    first, second = list(window.graph.nodes)[:2]
    scene.select_nodes([first, second])
    QTest.qWaitForWindowActive(window)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    (frame_id,) = scene.selected_note_ids()
    assert window.graph.annotations.note(frame_id).title == "Frame" and window.isWindowModified()

    QTest.mouseMove(view.viewport(), QPoint(200, 150))
    QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)
    assert view.editing_text()
    QTest.keyClicks(view.viewport(), "Try a GRU")
    QTest.keyClick(view.viewport(), Qt.Key.Key_Escape)
    QApplication.processEvents()
    (comment,) = window.graph.annotations.comments()
    assert comment.text == "Try a GRU" and window.undo_stack.count() == 2
    edge = window.graph.edges[0]
    scene.add_point(edge, QPointF(10, 20))

    path = tmp_path / "annotated.json"
    window.ask_path = lambda save: str(path)
    assert window.save_as()
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["version"] == 3 and data["canvas"]["comments"][0]["text"] == "Try a GRU"
    assert data["canvas"]["frames"][0]["id"] == frame_id and data["graph"]["edges"][0]["points"] == [[10.0, 20.0]]
    assert window.open_file(path)
    assert window.scene.note_item(frame_id) is not None and window.scene.note_item(comment.id).text == "Try a GRU"
    assert [r.pos() for r in window.scene.edge_item(edge).reroutes] == [QPointF(10, 20)]

    sheet = window.show_shortcuts()  # last: on the offscreen platform no window is active after it closes
    rows = {(where, action): keys for where, action, keys in sheet.rows}
    sheet.close()
    assert rows[("Edit", "Add comment")] == "Shift+C"
    assert rows[("Edit", "Put selection in a frame")] == "Ctrl+G"
    assert ("Canvas", "Add a reroute point to a wire") in rows and ("Canvas", "Delete a reroute point") in rows
    assert edit_action(window, "Add comment").toolTip().startswith("A text note")


def test_while_a_comment_is_typed_the_windows_keys_edit_its_text(window):
    assert window.open_file(EXAMPLES / "names.json")
    QTest.qWaitForWindowActive(window)
    view = window.view
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ShiftModifier)
    QTest.keyClicks(view.viewport(), "hello")
    QTest.keyClick(view.viewport(), Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)  # the text, not the blocks
    QTest.keyClicks(view.viewport(), "X")
    assert window.scene.note_item("c1").editor.toPlainText() == "X" and window.scene.selected_node_ids() == []
    QTest.keyClick(view.viewport(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # the typing, not the stack
    assert window.scene.note_item("c1").editor.toPlainText() == "hello" and window.undo_stack.count() == 1
    QTest.keyClick(view.viewport(), Qt.Key.Key_Escape)
    QApplication.processEvents()
    assert window.graph.annotations.note("c1").text == "hello" and window.undo_stack.count() == 1
