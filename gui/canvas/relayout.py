"""Auto-layout of the whole canvas as one undo step: the blocks go where engine.layout puts them, and the
annotations follow them (frames refitted around their blocks, comments carried with their frame, reroute
points of moved wires dropped), so the layout never leaves a frame around empty canvas. Every frame keeps
exactly the blocks it held: where the layout would put another block inside a frame, the frame's blocks move
up or down together until it is clear (see _keep_frames_apart)."""
from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QUndoCommand

from ..canvas_commands import EditNoteCommand, SetPointsCommand
from ..commands import LayoutCommand, MacroCommand
from .moves import FRAME_MARGIN, frame_rect_around, holds
from .node_item import NodeItem
from .note_items import CommentItem, FrameItem

GAP = FRAME_MARGIN  # the clearance kept between a frame moved aside and what it was moved away from


def layout_command(scene, positions: dict[str, tuple[float, float]]) -> QUndoCommand:
    """The command moving the blocks to ``positions`` and tidying the annotations: a plain LayoutCommand when
    no frame, comment or reroute point is affected, else a macro "Auto-layout" of it and the note edits.

    Membership is the rule a drag uses (moves.holds: the centre inside the frame), taken before anything
    moves, and kept: ``positions`` are adjusted so that no frame ends up holding a block it did not hold. A
    frame holding no block stays where it is, and so do the comments in it, unless a block would land in it;
    comments outside every frame stay too (they annotate a place, not a block)."""
    graph, notes = scene.graph, scene.graph.annotations
    members = _members(scene)
    positions, lifts, refit = _keep_frames_apart(scene, members, positions)
    layout = LayoutCommand(graph, positions)
    shifts = {node_id: QPointF(new[0] - old[0], new[1] - old[1]) for node_id, (old, new) in layout.moves.items()}
    _, frames, comments = _fit(scene, members, shifts, lifts, refit)
    wires = [e for e in notes.edges_with_points(graph.edges)
             if not shifts.get(e.src, QPointF()).isNull() or not shifts.get(e.dst, QPointF()).isNull()]
    if not frames and not comments and not wires:
        return layout
    macro = MacroCommand("Auto-layout")
    macro.adopt(layout)
    for note_id, rect in frames.items():
        EditNoteCommand(notes, note_id, parent=macro, rect=rect)
    for note_id, pos in comments.items():
        EditNoteCommand(notes, note_id, parent=macro, pos=pos)
    # the layout routes its wires anew: points placed for the old positions would bend them through nowhere
    for edge in wires:
        SetPointsCommand(notes, edge, (), parent=macro)
    return macro


def _members(scene) -> dict[FrameItem, list]:
    """{frame: the blocks, comments and frames it holds now}, innermost frame first (an outer frame is fitted
    around the inner ones, so they are fitted before it)."""
    frame_items = [i for i in scene.note_items() if isinstance(i, FrameItem)]
    frame_items.sort(key=lambda f: f.width * f.height)
    candidates = [*scene.node_items(), *scene.note_items()]
    return {f: [i for i in candidates if i is not f and holds(f.scene_rect(), i)] for f in frame_items}


def _keep_frames_apart(scene, members, positions) -> tuple[dict, dict, set]:
    """(positions, {blockless frame: vertical lift}, {frames to refit even if their blocks stay}) such that no
    frame, once fitted, holds a block it did not hold.

    The layered layout puts a chain a -> b -> c in one row, so a frame around a and c, refitted, would hold b
    and from then on carry it. Where a frame holds such an outsider, the frame's own blocks move together,
    straight up or down (they keep their columns, so the flow and the layout within the group stay as they
    are), by the least distance that clears the frame of every other block and every unrelated frame; a
    frame with no block is lifted the same way, and one drawn wider than its blocks is refitted first (which
    may be enough). A place is always found (past the last obstacle), so each move settles its frame, and an
    outer frame's move carries the frames inside it along: nested frames usually settle in one pass,
    innermost first. Frames that share blocks without one holding the other can undo each other's moves, so
    the passes are bounded, and such a tangle may be left holding an outsider."""
    graph = scene.graph
    items = {i.node_id: i for i in scene.node_items()}
    where = {n: tuple(positions.get(n, graph.node(n).pos)) for n in items}
    blocks = {f: {i.node_id for i in inside if isinstance(i, NodeItem)} for f, inside in members.items()}
    lifts: dict[FrameItem, int] = {}
    refit: set[FrameItem] = set()
    for _ in range(2 * len(members) + 2):
        settled = True
        for frame, group in blocks.items():
            shifts = _shifts(graph, where)
            rects = _fit(scene, members, shifts, lifts, refit)[0]
            boxes = {n: items[n].sceneBoundingRect().translated(shifts[n]) for n in items}
            if not any(rects[frame].contains(boxes[n].center()) for n in boxes if n not in group):
                continue
            settled = False
            obstacles = [boxes[n] for n in boxes if n not in group]
            obstacles += [rects[f] for f, b in blocks.items() if f is not frame and not b & group]
            if not group:
                lifts[frame] = lifts.get(frame, 0) + _free_offset(rects[frame], obstacles)
                continue
            # its blocks move, so it and the frames within it are refitted, not kept as drawn: the rectangle
            # to clear is the refitted one, and a move by dy moves that rectangle by exactly dy
            refit |= {f for f, b in blocks.items() if b and b <= group}
            dy = _free_offset(_fit(scene, members, shifts, lifts, refit)[0][frame], obstacles)
            for n in group:
                where[n] = (where[n][0], where[n][1] + dy)
        if settled:
            break
    return {n: p for n, p in where.items() if n in positions or p != graph.node(n).pos}, lifts, refit


def _shifts(graph, where) -> dict[str, QPointF]:
    return {n: QPointF(p[0] - graph.node(n).pos[0], p[1] - graph.node(n).pos[1]) for n, p in where.items()}


def _free_offset(rect: QRectF, obstacles: list[QRectF]) -> int:
    """The least vertical move (whole pixels, down on a tie) after which ``rect``, GAP clear above and below,
    overlaps none of ``obstacles``. Only the obstacles beside it matter, and a free place starts GAP beyond
    one of them, so those are the places tried; the one past the lowest obstacle is always free."""
    beside = [o for o in obstacles if o.left() < rect.right() and rect.left() < o.right()]
    offsets = {0}
    for o in beside:
        offsets.add(math.ceil(o.bottom() + GAP - rect.top()))
        offsets.add(math.floor(o.top() - GAP - rect.bottom()))
    clear = rect.adjusted(0, -GAP, 0, GAP)
    for dy in sorted(offsets, key=lambda d: (abs(d), d < 0)):
        if not any(clear.translated(0, dy).intersects(o) for o in beside):
            return dy
    raise AssertionError("unreachable: the place past the lowest obstacle is free")


def _fit(scene, members, shifts: dict[str, QPointF], lifts, refit) -> tuple[dict, dict, dict]:
    """({frame: its rect after the layout}, {frame id: new rect}, {comment id: new pos}) with the blocks moved
    by ``shifts``: a frame whose blocks move (or in ``refit``) is fitted around them, one with no block is
    moved by its lift in ``lifts``, any other stays as drawn; its comments go with it."""
    rects: dict[FrameItem, QRectF] = {}
    refitted, frames, comments, claimed = set(), {}, {}, set()
    for frame, inside in members.items():
        own_comments = [i for i in inside if isinstance(i, CommentItem) and i not in claimed]
        claimed.update(own_comments)  # a comment belongs to the innermost frame that holds it
        blocks = [i for i in inside if isinstance(i, NodeItem)]
        if not blocks and lifts.get(frame):
            lift = lifts[frame]  # a block would have landed in it: moved aside whole, with its comments
            rects[frame] = frame.scene_rect().translated(0, lift)
            frames[frame.note_id] = rects[frame].getRect()
            for comment in own_comments:
                comments[comment.note_id] = (comment.pos().x(), comment.pos().y() + lift)
            continue
        if frame not in refit and all(shifts.get(b.node_id, QPointF()).isNull() for b in blocks):
            rects[frame] = frame.scene_rect()
            continue  # no block of its own, or none moved: the frame is left as the user drew it
        before = _united(b.sceneBoundingRect() for b in blocks)
        after = _united(b.sceneBoundingRect().translated(shifts.get(b.node_id, QPointF())) for b in blocks)
        content = QRectF(after)
        for comment in own_comments:
            rect = comment.sceneBoundingRect()
            moved = rect.translated(_side_shift(rect.center(), before, after))
            comments[comment.note_id] = (moved.x(), moved.y())
            content = content.united(moved)
        for inner in inside:
            if inner in refitted:
                content = content.united(rects[inner])
        rect = frame_rect_around(content)
        rects[frame] = QRectF(*rect)
        refitted.add(frame)
        if rect != scene.graph.annotations.note(frame.note_id).rect:
            frames[frame.note_id] = rect
    return rects, frames, comments


def _side_shift(centre: QPointF, before: QRectF, after: QRectF) -> QPointF:
    """How a comment moves with its frame's blocks: it keeps its distance to the nearer side of their box
    (left or right, top or bottom), so a caption above the blocks stays above them and a note beside them
    stays beside them however the layout reshapes the group."""
    dx = after.left() - before.left() if centre.x() <= before.center().x() else after.right() - before.right()
    dy = after.top() - before.top() if centre.y() <= before.center().y() else after.bottom() - before.bottom()
    return QPointF(dx, dy)


def _united(rects) -> QRectF:
    total = QRectF()
    for rect in rects:
        total = rect if total.isNull() else total.united(rect)
    return total
