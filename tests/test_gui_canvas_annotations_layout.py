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


def block_membership(canvas) -> dict[str, set[str]]:
    """{frame id: ids of the blocks whose centre lies inside it}: what a drag of the frame's title carries."""
    notes = canvas.graph.annotations
    return {f.id: {n for n in canvas.graph.nodes if QRectF(*f.rect).contains(block_rect(canvas, n).center())}
            for f in notes.notes.values() if isinstance(f, Frame)}


def frame_around(canvas, node_ids) -> tuple[float, float, float, float]:
    rect = united(block_rect(canvas, n) for n in node_ids).adjusted(-30, -60, 30, 30)
    return rect.x(), rect.y(), rect.width(), rect.height()


def lay_out_and_check_membership(canvas) -> None:
    """Auto-layout, then: each frame holds exactly the blocks it held, no two blocks overlap, one undo step
    that undo and redo replay exactly."""
    before, held = document_state(canvas), block_membership(canvas)
    canvas.view.auto_layout()
    assert canvas.stack.count() == 1 and canvas.stack.command(0).text() == "Auto-layout"
    assert block_membership(canvas) == held
    rects = [block_rect(canvas, n) for n in canvas.graph.nodes]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:]), "blocks overlap"
    items_follow_the_model(canvas)
    after = document_state(canvas)
    canvas.stack.undo()
    assert document_state(canvas) == before and block_membership(canvas) == held
    items_follow_the_model(canvas)
    canvas.stack.redo()
    assert document_state(canvas) == after and block_membership(canvas) == held
    items_follow_the_model(canvas)


def test_a_block_laid_out_between_a_frames_blocks_stays_out_of_the_frame(names):
    # the chain is chars -> embedding -> bigru -> attention -> dense -> language, one block per column: a
    # frame around embedding and attention, refitted, would span bigru's column at bigru's row
    ids = scatter(names)
    names.graph.move(ids["attention"], (2300.0, 100.0))  # beside embedding; bigru stays far below
    names.graph.annotations.add(Frame("f1", "Pair", frame_around(names, [ids["embedding"], ids["attention"]])))
    assert block_membership(names) == {"f1": {ids["embedding"], ids["attention"]}}
    lay_out_and_check_membership(names)


def test_interleaved_frames_and_an_empty_frame_keep_exactly_their_blocks(names):
    ids = scatter(names)
    graph, notes = names.graph, names.graph.annotations
    graph.move(ids["attention"], (2300.0, 100.0))
    graph.move(ids["dense"], (2400.0, 500.0))
    notes.add(Frame("odd", "Odd", frame_around(names, [ids["embedding"], ids["attention"]])))
    notes.add(Frame("even", "Even", frame_around(names, [ids["bigru"], ids["dense"]])))
    notes.add(Frame("ideas", "Ideas", (-100.0, -100.0, 400.0, 300.0)))  # empty, where the layout starts
    notes.add(Comment("c1", "todo", (-50.0, -40.0)))  # the empty frame's comment goes where it goes
    assert block_membership(names) == {"odd": {ids["embedding"], ids["attention"]},
                                       "even": {ids["bigru"], ids["dense"]}, "ideas": set()}
    lay_out_and_check_membership(names)
    ideas = QRectF(*notes.note("ideas").rect)
    assert ideas.size() == QRectF(-100.0, -100.0, 400.0, 300.0).size()
    assert ideas.contains(names.scene.note_item("c1").sceneBoundingRect().center())


def test_an_inner_frame_is_kept_clear_of_the_outer_frames_other_block(names):
    ids = scatter(names)
    notes = names.graph.annotations
    names.graph.move(ids["attention"], (2300.0, 100.0))  # embedding and attention side by side, bigru below
    notes.add(Frame("outer", "Model", frame_around(names, [ids[n] for n in ("embedding", "bigru", "attention")])))
    notes.add(Frame("inner", "Pair", frame_around(names, [ids["embedding"], ids["attention"]])))
    assert block_membership(names) == {"outer": {ids["embedding"], ids["bigru"], ids["attention"]},
                                       "inner": {ids["embedding"], ids["attention"]}}
    lay_out_and_check_membership(names)
    assert QRectF(*notes.note("outer").rect).contains(QRectF(*notes.note("inner").rect))


def test_frames_sharing_a_block_are_laid_out_in_one_step(names):
    # neither frame holds the other: moving one moves the other's shared block, so the passes are bounded
    ids = scatter(names)
    for k, name in enumerate(("chars", "bigru", "dense")):  # one row, far from the rest
        names.graph.move(ids[name], (3000.0 + 300 * k, 3000.0))
    notes = names.graph.annotations
    notes.add(Frame("left", "Left", frame_around(names, [ids["chars"], ids["bigru"]])))
    notes.add(Frame("right", "Right", frame_around(names, [ids["bigru"], ids["dense"]])))
    assert block_membership(names) == {"left": {ids["chars"], ids["bigru"]}, "right": {ids["bigru"], ids["dense"]}}
    lay_out_and_check_membership(names)


def test_a_frame_drawn_wide_around_laid_out_blocks_is_refitted_when_a_block_would_land_in_it(names):
    # embedding is where the layout puts it already, so its frame would stay as drawn: reaching over the next
    # column, where the layout brings bigru. Refitted around embedding alone it is clear: nothing else moves.
    ids = scatter(names)
    graph = names.graph
    graph.move(ids["embedding"], (270.0, 0.0))
    x, y, width, height = frame_around(names, [ids["embedding"]])
    graph.annotations.add(Frame("f1", "Wide", (x, y, width + 300, height)))
    assert block_membership(names) == {"f1": {ids["embedding"]}}
    lay_out_and_check_membership(names)
    assert graph.node(ids["embedding"]).pos == (270.0, 0.0)
    assert graph.annotations.note("f1").rect[2] < width
