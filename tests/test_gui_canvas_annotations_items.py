"""Comments and frames on the canvas, used as a person would: typed in place, moved with what they hold,
resized, renamed, coloured, deleted; every action is exactly one undo step that undo and redo replay."""
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from engine.annotations import Comment, Frame
from gui.canvas.note_items import CommentItem, FrameItem, comment_colors
from gui.canvas.style import CanvasPalette

from test_gui_canvas import Canvas, empty, names, no_leaked_popups  # noqa: F401  (shared fixtures)


def at(canvas, scene_point: QPointF) -> QPoint:
    return canvas.view.mapFromScene(scene_point)


def end_edit(canvas, key=Qt.Key.Key_Escape) -> None:
    """The key that ends an edit; the edit is committed just after the key's event."""
    QTest.keyClick(canvas.view.viewport(), key)
    QApplication.processEvents()


def type_text(canvas, text: str) -> None:
    for ch in text:
        if ch == "\n":
            QTest.keyClick(canvas.view.viewport(), Qt.Key.Key_Return)
        else:
            QTest.keyClicks(canvas.view.viewport(), ch)


def test_a_new_comment_is_typed_in_place_and_is_one_undo_step(empty):
    notes = empty.graph.annotations
    comment_id = empty.view.add_comment(QPointF(100, 50))
    assert empty.view.editing_text()
    type_text(empty, "Embeds the\ncharacters")  # letters, Delete and Tab are text now, not canvas keys
    assert empty.view.quick_add is None
    end_edit(empty)  # Esc commits
    assert not empty.view.editing_text()
    assert notes.note(comment_id) == Comment(comment_id, "Embeds the\ncharacters", (100.0, 50.0))
    assert empty.stack.count() == 1 and empty.stack.command(0).text() == "Add comment"
    item = empty.scene.note_item(comment_id)
    assert item.text == "Embeds the\ncharacters" and item.height > 2 * 10  # two lines tall
    empty.stack.undo()
    assert not notes.notes and empty.scene.note_item(comment_id) is None
    empty.stack.redo()
    assert notes.note(comment_id).text == "Embeds the\ncharacters"


def test_a_comment_left_empty_is_not_kept_and_leaves_no_step(empty):
    empty.view.add_comment(QPointF(0, 0))
    end_edit(empty)
    assert not empty.graph.annotations.notes and empty.stack.count() == 0 and not empty.scene.note_items()


def test_double_click_edits_a_comment_a_click_elsewhere_commits_and_emptying_deletes_it(empty):
    notes = empty.graph.annotations
    comment_id = empty.view.add_comment(QPointF(100, 100), text="old")
    assert empty.stack.count() == 1 and not empty.view.editing_text()
    item = empty.scene.note_item(comment_id)
    QTest.mouseDClick(empty.view.viewport(), Qt.MouseButton.LeftButton, pos=at(empty, item.sceneBoundingRect().center()))
    assert empty.view.editing_text()
    type_text(empty, "new text")  # the old text was selected: typing replaces it
    QTest.mouseClick(empty.view.viewport(), Qt.MouseButton.LeftButton, pos=at(empty, QPointF(600, 400)))
    QApplication.processEvents()
    assert notes.note(comment_id).text == "new text"
    assert empty.stack.count() == 2 and empty.stack.command(1).text() == "Edit comment"
    item.start_edit()
    QTest.keyClick(empty.view.viewport(), Qt.Key.Key_Delete)
    end_edit(empty)
    assert comment_id not in notes.notes and empty.stack.count() == 3
    assert empty.stack.command(2).text() == "Delete comment"
    empty.stack.undo()
    assert notes.note(comment_id).text == "new text"
    empty.stack.undo()
    assert notes.note(comment_id).text == "old"


def test_comment_text_is_shown_as_plain_text_never_html(empty):
    comment_id = empty.view.add_comment(QPointF(0, 0), text="<b>bold</b> <img src='x'>")
    item = empty.scene.note_item(comment_id)
    assert item._doc.toPlainText() == "<b>bold</b> <img src='x'>"


def framed(names):
    """A frame put around the first two blocks of the names example (Ctrl+G's action)."""
    first, second = list(names.graph.nodes)[:2]
    names.scene.select_nodes([first, second])
    frame_id = names.view.add_frame()
    return frame_id, [first, second]


def test_frame_selection_surrounds_the_selected_blocks_as_one_step(names):
    frame_id, inside = framed(names)
    frame = names.graph.annotations.note(frame_id)
    assert isinstance(frame, Frame) and frame.title == "Frame" and names.stack.count() == 1
    rect = QRectF(*frame.rect)
    for node_id in inside:
        assert rect.contains(names.scene.node_item(node_id).sceneBoundingRect())
    others = [n for n in names.graph.nodes if n not in inside]
    assert not any(rect.contains(names.scene.node_item(n).sceneBoundingRect().center()) for n in others)
    assert names.scene.selected_note_ids() == [frame_id]
    names.stack.undo()
    assert not names.graph.annotations.notes and names.scene.note_item(frame_id) is None


def test_nothing_selected_nothing_framed(names):
    names.scene.clearSelection()
    assert names.view.add_frame() is None and names.stack.count() == 0
    assert names.messages[-1] == "Nothing to frame: select some blocks first"


def test_dragging_a_frame_by_its_title_moves_its_blocks_and_comments_as_one_step(names):
    frame_id, inside = framed(names)
    item = names.scene.note_item(frame_id)
    comment_id = names.view.add_comment(item.sceneBoundingRect().center(), text="inside")
    outside = [n for n in names.graph.nodes if n not in inside]
    before = {n: names.graph.node(n).pos for n in names.graph.nodes}
    comment_before = names.graph.annotations.note(comment_id).pos
    names.scene.clearSelection()
    title = QPointF(item.pos().x() + 60, item.pos().y() + item.title_height() / 2)
    start = at(names, title)
    names.drag(start, start + QPoint(40, 30))
    dx, dy = 40 / names.view.zoom, 30 / names.view.zoom
    frame = names.graph.annotations.note(frame_id)
    assert frame.rect[0] == pytest.approx(item.pos().x()) and names.scene.selected_note_ids() == [frame_id]
    for n in inside:
        assert names.graph.node(n).pos == pytest.approx((before[n][0] + dx, before[n][1] + dy), abs=1.01)
    for n in outside:
        assert names.graph.node(n).pos == before[n]
    moved = names.graph.annotations.note(comment_id).pos
    assert moved == pytest.approx((comment_before[0] + dx, comment_before[1] + dy), abs=1.01)
    assert names.stack.count() == 3 and names.stack.command(2).text().startswith("Move frame 'Frame' and 3 items")
    names.stack.undo()
    assert {n: names.graph.node(n).pos for n in names.graph.nodes} == before
    assert names.graph.annotations.note(comment_id).pos == comment_before
    assert names.scene.node_item(inside[0]).pos() == QPointF(*before[inside[0]])  # the items follow the model


def test_a_block_dragged_out_of_a_frame_leaves_it(names):
    frame_id, inside = framed(names)
    leaving = names.scene.node_item(inside[0])
    names.scene.clearSelection()
    centre = at(names, QPointF(leaving.pos().x() + 20, leaving.pos().y() + 8))  # its title band
    names.drag(centre, centre + QPoint(0, 500))
    assert not QRectF(*names.graph.annotations.note(frame_id).rect).contains(leaving.sceneBoundingRect().center())
    stays = names.graph.node(inside[0]).pos
    names.scene.select_items((), [frame_id])
    names.view.nudge_selection(10, 0)  # the arrow keys move the frame with what is inside it now
    assert names.graph.node(inside[0]).pos == stays
    assert names.graph.node(inside[1]).pos[0] == pytest.approx(names.scene.node_item(inside[1]).pos().x())


def test_resizing_renaming_and_colouring_a_frame_are_one_step_each(names):
    frame_id, _ = framed(names)
    notes, item = names.graph.annotations, names.scene.note_item(frame_id)
    old = notes.note(frame_id)
    corner = at(names, item.mapToScene(item.grip_rect().center()))
    names.drag(corner, corner + QPoint(80, 40))
    resized = notes.note(frame_id)
    assert resized.rect[:2] == old.rect[:2] and resized.rect[2] > old.rect[2] + 60 and resized.rect[3] > old.rect[3] + 25
    assert names.stack.command(names.stack.count() - 1).text() == "Resize frame"
    title = at(names, QPointF(item.pos().x() + 30, item.pos().y() + item.title_height() / 2))
    QTest.mouseDClick(names.view.viewport(), Qt.MouseButton.LeftButton, pos=title)
    assert names.view.editing_text()
    type_text(names, "Encoder")
    end_edit(names, Qt.Key.Key_Return)
    assert notes.note(frame_id).title == "Encoder" and item.title == "Encoder"
    menu = names.view.context_menu(item.mapToScene(QPointF(30, 5)))
    colours = next(a.menu() for a in menu.actions() if a.text() == "Colour")
    next(a for a in colours.actions() if a.text() == "Blue").trigger()
    menu.deleteLater()
    assert notes.note(frame_id).color == "blue" and item.color == "blue"
    texts = [names.stack.command(i).text() for i in range(names.stack.count())]
    assert texts == ["Add frame", "Resize frame", "Rename frame to 'Encoder'", "Colour frame blue"]
    for _ in range(3):
        names.stack.undo()
    assert notes.note(frame_id) == old
    for _ in range(3):
        names.stack.redo()
    assert (notes.note(frame_id).title, notes.note(frame_id).color) == ("Encoder", "blue")


def test_deleting_a_frame_keeps_its_blocks_and_undo_restores_the_document_order(names):
    notes = names.graph.annotations
    notes.add(Comment("c1", "first", (0, -400)))
    frame_id, inside = framed(names)
    notes.add(Comment("c9", "last", (0, -500)))
    names.scene.select_items((), ["c1", frame_id])
    count = len(names.graph)
    names.view.setFocus()
    QTest.keyClick(names.view, Qt.Key.Key_Delete)
    assert list(notes.notes) == ["c9"] and len(names.graph) == count
    names.stack.undo()
    assert list(notes.notes) == ["c1", frame_id, "c9"]


def test_cut_and_paste_bring_a_frame_back_with_its_blocks(names):
    frame_id, inside = framed(names)
    names.scene.select_items(inside, [frame_id])
    assert names.view.cut_selection() == 3
    assert frame_id not in names.graph.annotations.notes and not any(n in names.graph.nodes for n in inside)
    new_ids = names.view.paste()
    (new_frame,) = names.scene.selected_note_ids()
    rect = QRectF(*names.graph.annotations.note(new_frame).rect)
    assert len(new_ids) == 2 and all(rect.contains(names.scene.node_item(n).sceneBoundingRect()) for n in new_ids)
    assert names.stack.command(names.stack.count() - 1).text() == "Paste 3 items"
    names.stack.undo()
    assert new_frame not in names.graph.annotations.notes and not any(n in names.graph.nodes for n in new_ids)


def test_comments_and_frames_follow_the_dark_theme(empty):
    light = CanvasPalette.from_palette(QPalette(QColor("#f0f0f0")))
    dark = CanvasPalette.from_palette(QPalette(QColor("#2b2b2b")))
    (paper_l, _, ink_l), (paper_d, _, ink_d) = comment_colors(light), comment_colors(dark)
    assert paper_l.lightnessF() > 0.8 > 0.3 > ink_l.lightnessF()
    assert paper_d.lightnessF() < 0.35 and ink_d.lightnessF() > 0.8
    empty.view.setPalette(QPalette(QColor("#2b2b2b")))
    empty.view.add_comment(QPointF(0, 0), text="dark")
    empty.graph.annotations.add(Frame("f1", "F", (0, 0, 300, 200), "green"))
    assert empty.scene.canvas_palette.dark
    empty.view.grab()  # paints every item in the dark palette


def test_framing_and_the_minimap_include_comments(names):
    names.view.add_comment(QPointF(5000, 3000), text="far away")
    names.view.frame_all()
    visible = names.view.mapToScene(names.view.viewport().rect()).boundingRect()
    assert names.scene.content_rect().contains(names.scene.note_item("c1").sceneBoundingRect())
    assert names.view.minimap.graph_rect().contains(names.scene.note_item("c1").sceneBoundingRect())
    names.scene.select_items((), ["c1"])
    QTest.keyClick(names.view, Qt.Key.Key_F)
    visible = names.view.mapToScene(names.view.viewport().rect()).boundingRect()
    assert visible.contains(names.scene.note_item("c1").sceneBoundingRect())


def test_items_appear_for_a_loaded_documents_annotations(qtbot):
    from engine.document import loads

    from test_document_canvas_format import annotated

    doc, edge = annotated()
    canvas = Canvas(qtbot, loads(doc.dumps()).graph)
    try:
        assert isinstance(canvas.scene.note_item("c1"), CommentItem)
        assert isinstance(canvas.scene.note_item("f1"), FrameItem)
        assert [r.pos() for r in canvas.scene.edge_item(edge).reroutes] == [QPointF(120, 40), QPointF(180.5, 90)]
    finally:
        canvas.close()
        canvas.view.setScene(None)  # the view outlives this test's scene until qtbot closes it
