"""Moving a mixed selection (blocks, comments, frames, reroute points) as one undo step, and what a frame
carries along: the blocks, comments, frames and reroute points whose centre lies inside it."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QUndoCommand

from engine.annotations import MAX_SIZE

from ..canvas_commands import EditNoteCommand, SetPointsCommand
from ..commands import MacroCommand, MoveNodesCommand
from .node_item import NodeItem
from .note_items import CommentItem, FrameItem
from .reroute_item import RerouteItem
from .style import metrics

FRAME_MARGIN = 20.0  # room around the framed blocks


def item_center(item) -> QPointF:
    return item.sceneBoundingRect().center() if not isinstance(item, RerouteItem) else item.pos()


def holds(rect: QRectF, item) -> bool:
    """Whether a frame with scene rectangle ``rect`` holds ``item``: the one membership rule (its centre inside)."""
    return rect.contains(item_center(item))


def frame_rect_around(content: QRectF) -> tuple[float, float, float, float]:
    """The rectangle (x, y, width, height) of a frame that holds ``content`` with its margin and title band."""
    top = metrics().title_height + metrics().padding + FRAME_MARGIN / 2
    width = min(content.width() + 2 * FRAME_MARGIN, MAX_SIZE)
    height = min(content.height() + top + FRAME_MARGIN, MAX_SIZE)
    return round(content.left() - FRAME_MARGIN), round(content.top() - top), round(width), round(height)


def carried_by(scene, frames, moving) -> list:
    """Items that move with ``frames`` (their centre inside one) and are not in ``moving`` already.

    Membership is geometric, decided when the move starts: a block dragged into a frame joins it, one dragged
    out leaves it, and a frame pasted with its blocks holds them again."""
    rects = [f.scene_rect() for f in frames]
    if not rects:
        return []
    candidates = [*scene.node_items(), *scene.note_items(), *scene.reroute_items()]
    return [i for i in candidates if i not in moving and i not in frames
            and any(holds(r, i) for r in rects)]


def move_command(scene, moves: dict) -> QUndoCommand | None:
    """One undo command for items moved from ``old`` to ``new`` (``moves``: item -> (old QPointF, new QPointF)).

    Blocks alone give a MoveNodesCommand as before; with comments, frames or points it is a macro of a
    MoveNodesCommand, EditNoteCommands (position) and SetPointsCommands (one per wire)."""
    moves = {i: (a, b) for i, (a, b) in moves.items() if a != b}
    if not moves:
        return None
    graph, notes = scene.graph, scene.graph.annotations
    nodes = {i.node_id: ((a.x(), a.y()), (b.x(), b.y())) for i, (a, b) in moves.items() if isinstance(i, NodeItem)}
    others = [i for i in moves if not isinstance(i, NodeItem)]
    if not others:
        return MoveNodesCommand(graph, nodes)
    macro = MacroCommand(_text(moves))
    if nodes:
        MoveNodesCommand(graph, nodes, macro)
    wires = {}
    for item in others:
        new = moves[item][1]
        if isinstance(item, CommentItem):
            EditNoteCommand(notes, item.note_id, parent=macro, pos=(new.x(), new.y()))
        elif isinstance(item, FrameItem):
            EditNoteCommand(notes, item.note_id, parent=macro, rect=(new.x(), new.y(), item.width, item.height))
        elif isinstance(item, RerouteItem):
            wires.setdefault(item.edge, []).append(item)
    for edge, moved in wires.items():
        points = list(notes.points(edge))
        for item in moved:
            if item.index < len(points):
                points[item.index] = (moves[item][1].x(), moves[item][1].y())
        SetPointsCommand(notes, edge, points, parent=macro)
    return macro


def _text(moves: dict) -> str:
    items = list(moves)
    if len(items) == 1:
        return {CommentItem: "Move comment", FrameItem: "Move frame", RerouteItem: "Move reroute point"}[type(items[0])]
    frames = [i for i in items if isinstance(i, FrameItem)]
    if len(frames) == 1:
        return f"Move frame '{frames[0].title}' and {len(items) - 1} item{'s' if len(items) != 2 else ''}"
    return f"Move {len(items)} items"
