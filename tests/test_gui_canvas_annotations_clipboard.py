"""Comments through the clipboard, mouse gestures on comments (move, resize, rubber band), the stacking order,
and clipboard data fuzzed: it pastes or is refused in one status line, never with a traceback."""
import copy
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QMimeData, QPoint, QPointF
from PySide6.QtGui import QGuiApplication

from engine.annotations import Comment
from gui.canvas import BLOCKS_MIME
from gui.canvas.edge_item import EdgeItem
from gui.canvas.note_items import CommentItem, FrameItem

from test_gui_canvas import empty, names, no_leaked_popups  # noqa: F401  (shared fixtures)


def at(canvas, point: QPointF) -> QPoint:
    return canvas.view.mapFromScene(point)


def test_comments_alone_copy_paste_and_duplicate(empty):
    notes = empty.graph.annotations
    empty.view.add_comment(QPointF(100, 100), text="remember the mask")
    empty.scene.select_items((), ["c1"])
    assert empty.view.copy_selection() == 1 and empty.messages[-1] == "Copied 1 item"
    assert empty.view.paste() == []
    (pasted,) = empty.scene.selected_note_ids()
    assert pasted != "c1" and notes.note(pasted).text == "remember the mask"
    assert notes.note(pasted).pos[1] > notes.note("c1").pos[1]  # below the original, on free space
    assert empty.stack.command(empty.stack.count() - 1).text() == "Paste 1 item"
    empty.view.duplicate_selection()
    assert len(notes.comments()) == 3
    empty.stack.undo()
    empty.stack.undo()
    assert [c.id for c in notes.comments()] == ["c1"]


def test_dragging_and_resizing_a_comment_are_one_step_each(empty):
    notes = empty.graph.annotations
    empty.view.add_comment(QPointF(100, 100), text="a note that is long enough to wrap when narrower")
    item = empty.scene.note_item("c1")
    tall = item.height
    start = at(empty, QPointF(130, 110))
    empty.drag(start, start + QPoint(50, 20))
    moved = notes.note("c1").pos
    assert moved[0] > 130 and empty.stack.command(1).text() == "Move comment"
    corner = at(empty, item.mapToScene(item.grip_rect().center()))
    empty.drag(corner, corner - QPoint(110, 0))
    assert notes.note("c1").width < 140 and item.height > tall  # narrower: the text wraps over more lines
    assert empty.stack.command(2).text() == "Resize comment" and notes.note("c1").pos == moved
    empty.stack.undo()
    assert notes.note("c1").width == 220 and item.height == tall
    empty.stack.undo()
    assert notes.note("c1").pos == (100.0, 100.0)


def test_the_rubber_band_selects_comments_and_frames_with_blocks(names):
    first = list(names.graph.nodes)[0]
    names.scene.select_nodes([first])
    frame_id = names.view.add_frame()
    box = names.scene.note_item(frame_id).sceneBoundingRect()
    names.graph.annotations.add(Comment("c7", "in the band", (box.left() + 10, box.bottom() + 20)))
    names.scene.clearSelection()
    names.drag(at(names, box.topLeft() - QPointF(15, 15)), at(names, box.bottomRight() + QPointF(15, 90)))
    assert names.scene.selected_note_ids() == [frame_id, "c7"] and first in names.scene.selected_node_ids()


def test_frames_draw_behind_wires_and_blocks_and_comments_above_frames(names):
    names.scene.select_nodes(list(names.graph.nodes)[:1])
    frame = names.scene.note_item(names.view.add_frame())
    comment = names.scene.note_item(names.view.add_comment(QPointF(0, 0), text="x"))
    block = names.scene.node_items()[0]
    wire = names.scene.edge_items()[0]
    assert isinstance(frame, FrameItem) and isinstance(comment, CommentItem) and isinstance(wire, EdgeItem)
    assert frame.zValue() < comment.zValue() < wire.zValue() < block.zValue()


VALID = {"nodes": [], "edges": [], "canvas": {"comments": [{"id": "c1", "text": "t", "pos": [0, 0], "width": 100}],
                                              "frames": [{"id": "f1", "title": "F", "rect": [0, 0, 200, 100],
                                                          "color": "red"}]}}
VALUES = st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats() | st.text(max_size=5) \
    | st.lists(st.integers(-5, 5), max_size=5) | st.sampled_from([[0, 0], [1e12, 0], "purple", {}, []])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(section=st.sampled_from(["comments", "frames"]), key=st.sampled_from(["id", "text", "pos", "width", "title",
                                                                             "rect", "color", "extra"]),
       value=VALUES, whole=st.booleans())
def test_fuzzed_clipboard_annotations_paste_or_are_refused_in_one_line(empty, section, key, value, whole):
    data = copy.deepcopy(VALID)
    if whole:
        data["canvas"] = value
    else:
        data["canvas"][section][0][key] = value
    mime = QMimeData()
    mime.setData(BLOCKS_MIME, json.dumps(data).encode("utf-8"))
    QGuiApplication.clipboard().setMimeData(mime)
    before = empty.stack.index()
    empty.messages.clear()
    empty.view.paste()
    if empty.stack.index() == before:
        (message,) = empty.messages
        assert message.startswith(("Cannot paste: $.canvas", "Nothing to paste",
                                   "Cannot paste: the clipboard holds no blocks")) and "\n" not in message
    else:
        assert not empty.messages
        empty.stack.undo()
    assert not empty.graph.annotations.notes


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(points=VALUES | st.lists(VALUES, max_size=3))
def test_fuzzed_points_of_copied_wires_paste_or_are_refused_in_one_line(names, points):
    edge = names.graph.edges[0]
    data = names.graph.subgraph_data([edge.src, edge.dst])
    data["edges"][0]["points"] = points
    mime = QMimeData()
    mime.setData(BLOCKS_MIME, json.dumps(data).encode("utf-8"))
    QGuiApplication.clipboard().setMimeData(mime)
    before, count = names.stack.index(), len(names.graph)
    names.messages.clear()
    new = names.view.paste()
    if names.stack.index() == before:
        (message,) = names.messages
        assert message.startswith("Cannot paste: $.edges[0].points") and "\n" not in message
    else:
        (copied,) = [e for e in names.graph.edges if e.src == new[0] and e.dst == new[1]]
        assert len(names.graph.annotations.points(copied)) == len(points)
        names.stack.undo()
    assert len(names.graph) == count


def test_with_snap_to_grid_a_dragged_comment_lands_on_the_grid(empty):
    empty.view.snap_to_grid = True
    empty.view.add_comment(QPointF(101, 99), text="snap")  # where it was put stays exact
    assert empty.graph.annotations.note("c1").pos == (101.0, 99.0)
    start = at(empty, QPointF(130, 110))
    empty.drag(start, start + QPoint(33, 17))
    x, y = empty.graph.annotations.note("c1").pos
    assert (x % 10, y % 10) == (0.0, 0.0) and (x, y) != (100.0, 100.0)
