"""Auto-layout of the whole canvas as one undo step: the blocks go where engine.layout puts them, and the
annotations follow them (frames refitted around their blocks, comments carried with their frame, reroute
points of moved wires dropped), so the layout never leaves a frame around empty canvas."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QUndoCommand

from ..canvas_commands import EditNoteCommand, SetPointsCommand
from ..commands import LayoutCommand, MacroCommand
from .moves import frame_rect_around, holds
from .node_item import NodeItem
from .note_items import CommentItem, FrameItem


def layout_command(scene, positions: dict[str, tuple[float, float]]) -> QUndoCommand:
    """The command moving the blocks to ``positions`` and tidying the annotations: a plain LayoutCommand when
    no frame, comment or reroute point is affected, else a macro "Auto-layout" of it and the note edits.

    Membership is the rule a drag uses (moves.holds: the centre inside the frame), taken before anything
    moves. A frame holding no block stays where it is, and so do the comments in it; comments outside every
    frame stay too (they annotate a place, not a block)."""
    graph, notes = scene.graph, scene.graph.annotations
    layout = LayoutCommand(graph, positions)
    shifts = {node_id: QPointF(new[0] - old[0], new[1] - old[1]) for node_id, (old, new) in layout.moves.items()}
    frames, comments = _fitted_frames(scene, shifts)
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


def _fitted_frames(scene, shifts: dict[str, QPointF]) -> tuple[dict, dict]:
    """({frame id: new rect}, {comment id: new pos}) for the frames whose blocks move and their comments."""
    frame_items = [i for i in scene.note_items() if isinstance(i, FrameItem)]
    frame_items.sort(key=lambda f: f.width * f.height)  # innermost first: an outer frame fits around it
    candidates = [*scene.node_items(), *scene.note_items()]
    members = {f: [i for i in candidates if i is not f and holds(f.scene_rect(), i)] for f in frame_items}
    new_rects: dict[FrameItem, QRectF] = {}
    frames, comments, claimed = {}, {}, set()
    for frame in frame_items:
        inside = members[frame]
        own_comments = [i for i in inside if isinstance(i, CommentItem) and i not in claimed]
        claimed.update(own_comments)  # a comment belongs to the innermost frame that holds it
        blocks = [i for i in inside if isinstance(i, NodeItem)]
        if not blocks or all(shifts.get(b.node_id, QPointF()).isNull() for b in blocks):
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
            if inner in new_rects:
                content = content.united(new_rects[inner])
        rect = frame_rect_around(content)
        new_rects[frame] = QRectF(*rect)
        if rect != scene.graph.annotations.note(frame.note_id).rect:
            frames[frame.note_id] = rect
    return frames, comments


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
