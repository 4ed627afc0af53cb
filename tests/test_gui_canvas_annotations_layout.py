"""Auto-layout keeps an annotated canvas tidy: each frame ends around the blocks it held, its comments go with
it, stale reroute points go away, and the whole of it is one undo step that undo and redo replay exactly."""
import pytest
from PySide6.QtCore import QRectF

from engine.annotations import Comment, Frame
from gui.canvas.moves import FRAME_MARGIN

from test_gui_canvas import Canvas, empty, names, no_leaked_popups  # noqa: F401  (shared fixtures)

SPOTS = {"chars": (-600, 500), "embedding": (2000, 100), "bigru": (2100, 500), "attention": (300, -700),
         "dense": (900, 900), "language": (-200, -300)}


def scatter(canvas) -> dict[str, str]:
    """Moves the names example's blocks apart (not an undo step) and returns {name: id}."""
    ids = {name: canvas.graph.by_name(name).id for name in SPOTS}
    for name, pos in SPOTS.items():
        canvas.graph.move(ids[name], pos)
    return ids


def block_rect(canvas, node_id) -> QRectF:
    return canvas.scene.node_item(node_id).sceneBoundingRect()


def united(rects) -> QRectF:
    rects = list(rects)
    total = rects[0]
    for rect in rects[1:]:
        total = total.united(rect)
    return total


def document_state(canvas):
    """Everything the layout may touch: block positions, notes (in order) and every wire's points."""
    notes = canvas.graph.annotations
    return ({i: n.pos for i, n in canvas.graph.nodes.items()}, list(notes.notes.items()),
            {e: notes.points(e) for e in canvas.graph.edges})


def items_follow_the_model(canvas) -> None:
    notes = canvas.graph.annotations
    for note in notes.notes.values():
        item = canvas.scene.note_item(note.id)
        if isinstance(note, Frame):
            assert item.scene_rect() == QRectF(*note.rect)
        else:
            assert (item.pos().x(), item.pos().y()) == note.pos
    for edge in canvas.graph.edges:
        assert [(r.pos().x(), r.pos().y()) for r in canvas.scene.edge_item(edge).reroutes] == list(notes.points(edge))


def test_frames_refit_around_their_blocks_comments_follow_points_drop_in_one_step(names):
    ids = scatter(names)
    notes, graph = names.graph.annotations, names.graph
    members = [ids["embedding"], ids["bigru"]]
    blocks = united(block_rect(names, n) for n in members)
    # an "Encoder" frame with a caption above its two blocks, drawn roomy by hand
    notes.add(Frame("f1", "Encoder", (blocks.left() - 60, blocks.top() - 180, blocks.width() + 120,
                                      blocks.height() + 260)))
    notes.add(Comment("c1", "Reads the name", (blocks.left(), blocks.top() - 110)))
    notes.add(Frame("f2", "Ideas", (-3000.0, -3000.0, 400.0, 300.0)))  # holds no block: stays
    notes.add(Comment("c2", "try a GRU", (-2900.0, -2900.0)))  # inside the empty frame: stays with it
    notes.add(Comment("c3", "free note", (5000.0, 5000.0)))  # in no frame: stays
    inner = next(e for e in graph.edges if e.src == ids["embedding"])
    outer = next(e for e in graph.edges if e.src == ids["dense"])
    notes.set_points(inner, [(2200.0, 300.0)])
    notes.set_points(outer, [(1000.0, 700.0), (-100.0, 0.0)])
    before = document_state(names)
    untouched = {i: notes.note(i) for i in ("f2", "c2", "c3")}

    names.view.auto_layout()

    assert names.stack.count() == 1 and names.stack.command(0).text() == "Auto-layout"
    frame = QRectF(*notes.note("f1").rect)
    for node_id in members:
        assert frame.contains(block_rect(names, node_id)), "a block left its frame"
    caption = names.scene.note_item("c1").sceneBoundingRect()
    assert frame.contains(caption)
    moved = united(block_rect(names, n) for n in members)
    assert caption.bottom() <= moved.top(), "the caption no longer sits above its blocks"
    assert not any(caption.intersects(block_rect(names, n)) for n in graph.nodes)
    # fitted with the margin of Ctrl+G's frames, not left at its old size
    assert frame.left() == pytest.approx(moved.left() - FRAME_MARGIN, abs=1)  # whole pixels, as Ctrl+G's
    assert frame.bottom() == pytest.approx(moved.bottom() + FRAME_MARGIN, abs=1)
    assert frame.top() < caption.top() and frame.width() <= moved.width() + 2 * FRAME_MARGIN + 1
    assert frame.height() < blocks.height() + 260  # the blocks now stand side by side: a lower frame
    assert {i: notes.note(i) for i in untouched} == untouched
    assert notes.points(inner) == () and notes.points(outer) == ()
    assert not names.scene.edge_item(inner).reroutes and not names.scene.edge_item(outer).reroutes
    items_follow_the_model(names)
    after = document_state(names)

    names.stack.undo()
    assert document_state(names) == before
    items_follow_the_model(names)
    names.stack.redo()
    assert document_state(names) == after
    items_follow_the_model(names)

    names.view.auto_layout()  # laid out already: nothing moves, no second step
    assert names.stack.count() == 1 and document_state(names) == after


def test_an_outer_frame_is_fitted_around_the_inner_frame_it_holds(names):
    ids = scatter(names)
    notes = names.graph.annotations
    pair = united(block_rect(names, ids[n]) for n in ("embedding", "bigru"))
    inner = pair.adjusted(-40, -60, 40, 40)
    outer = inner.united(block_rect(names, ids["dense"])).adjusted(-80, -80, 80, 80)
    notes.add(Frame("outer", "Model", (outer.x(), outer.y(), outer.width(), outer.height())))
    notes.add(Frame("inner", "Encoder", (inner.x(), inner.y(), inner.width(), inner.height())))

    names.view.auto_layout()

    inner_after, outer_after = QRectF(*notes.note("inner").rect), QRectF(*notes.note("outer").rect)
    assert outer_after.contains(inner_after)
    for name in ("embedding", "bigru"):
        assert inner_after.contains(block_rect(names, ids[name]))
    assert outer_after.contains(block_rect(names, ids["dense"]))
    assert not inner_after.contains(block_rect(names, ids["dense"]).center())


def test_a_canvas_without_annotations_is_laid_out_as_before(names):
    scatter(names)
    names.view.auto_layout()
    assert names.stack.count() == 1 and type(names.stack.command(0)).__name__ == "LayoutCommand"
