"""The canvas view's annotation actions (a mixin of CanvasView): add a comment, frame the selection, nudge and
paste mixed selections, and the right-click menus of wires, reroute points, comments and frames."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QCursor, QUndoCommand
from PySide6.QtWidgets import QMenu

from engine.annotations import FRAME_COLORS, Comment, Frame, annotations_from_data, points_from_data

from ..canvas_commands import AddNoteCommand, EditNoteCommand, PastePointsCommand, RemoveNotesCommand, frame_around
from ..commands import DisconnectCommand, MacroCommand, PasteCommand
from .clipboard import selection_data
from .edge_item import EdgeItem
from .moves import carried_by, frame_rect_around, move_command
from .note_items import CommentItem, FrameItem, InlineEditor
from .placement import ESTIMATED_HEIGHT, free_offset, snapped
from .reroute_item import RerouteItem
from .style import GRID, NODE_WIDTH


class AnnotateMixin:
    # ------------------------------------------------------------ queries
    def editing_text(self) -> bool:
        """Whether a comment or frame title is being typed (its keys are then text, not canvas shortcuts)."""
        return isinstance(self.graph_scene.focusItem(), InlineEditor)

    def _cursor_scene_pos(self) -> QPointF:
        inside = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(inside):
            inside = self.viewport().rect().center()
        return self.mapToScene(inside)

    # ------------------------------------------------------------ actions
    def add_comment(self, scene_pos: QPointF | None = None, text: str = "") -> str:
        """Adds a comment at ``scene_pos`` (default: the cursor, or the view centre) and, without ``text``,
        opens it for typing: what is typed joins the same undo step, and a comment left empty goes away."""
        scene = self.graph_scene
        notes = scene.graph.annotations
        where = scene_pos if scene_pos is not None else self._cursor_scene_pos()
        comment = Comment(notes.fresh_id("c"), text, (round(where.x()), round(where.y())))
        self._push(AddNoteCommand(notes, comment, open_edit=not text))
        scene.select_items((), [comment.id])
        if not text:
            self.setFocus()
            scene.note_item(comment.id).start_edit()
        return comment.id

    def add_frame(self, title: str = "Frame") -> str | None:
        """Frames the selected blocks, comments, frames and reroute points (Ctrl+G); returns the frame's id."""
        scene = self.graph_scene
        ids, note_ids = scene.selected_node_ids(), scene.selected_note_ids()
        rect = scene.content_rect(ids, note_ids) if ids or note_ids else QRectF()
        for item in scene.selectedItems():
            if isinstance(item, RerouteItem):
                rect = rect.united(item.sceneBoundingRect())
        if rect.isNull():
            scene.statusMessage.emit("Nothing to frame: select some blocks first")
            return None
        frame = frame_around(scene.graph.annotations, frame_rect_around(rect), title)
        self._push(AddNoteCommand(scene.graph.annotations, frame))
        scene.select_items((), [frame.id])
        return frame.id

    def nudge_command(self, dx: float, dy: float) -> QUndoCommand | None:
        """Moving the selection (and what its frames hold) by (dx, dy) as one command."""
        scene = self.graph_scene
        moving = [i for i in scene.selectedItems() if _movable(i)]
        moving += carried_by(scene, [i for i in moving if isinstance(i, FrameItem)], moving)
        return move_command(scene, {i: (QPointF(i.pos()), i.pos() + QPointF(dx, dy)) for i in moving})

    def selection_data(self, node_ids, note_ids) -> dict:
        return selection_data(self.graph_scene.graph, node_ids, note_ids)

    def paste_command(self, data: dict, text: str):
        """The command pasting ``data`` (blocks, wires with points, comments, frames) on free space; returns
        (command, a function giving the new block ids once pushed, the new note ids). Raises for bad data."""
        scene = self.graph_scene
        notes = scene.graph.annotations
        nodes = data.get("nodes") or []
        pasted = annotations_from_data(data["canvas"], "$.canvas") if data.get("canvas") is not None else []
        if not nodes and not pasted:
            raise ValueError("the clipboard holds no blocks, comments or frames")
        index = {n["id"]: k for k, n in enumerate(nodes)}
        points = {}
        for i, edge in enumerate(data.get("edges") or []):
            if isinstance(edge, dict) and "points" in edge:
                key = (index[edge["from"][0]], edge["from"][1], index[edge["to"][0]], edge["to"][1])
                points[key] = points_from_data(edge["points"], f"$.edges[{i}].points")
        rects = [QRectF(float(n["pos"][0]), float(n["pos"][1]), NODE_WIDTH, ESTIMATED_HEIGHT) for n in nodes]
        rects += [QRectF(*n.rect) if isinstance(n, Frame) else QRectF(n.pos[0], n.pos[1], n.width, 60) for n in pasted]
        group = QRectF()
        for rect in rects:
            group = group.united(rect)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        preferred = QPointF(0.0, group.height() + GRID * 3)
        if not visible.contains(group.center() + preferred):
            preferred = self.view_center() - group.center()
        offset = snapped(free_offset(self._occupied(), group, preferred))
        dx, dy = offset.x(), offset.y()
        if not pasted and not points:  # blocks alone: the plain paste command, as ever
            paste = PasteCommand(scene.graph, data, (dx, dy), text=text)
            return paste, lambda: list(paste.node_ids), []
        shifted = [replace(n, id=notes.fresh_id("f" if isinstance(n, Frame) else "c"),
                           **({"rect": (n.rect[0] + dx, n.rect[1] + dy, n.rect[2], n.rect[3])} if isinstance(n, Frame)
                              else {"pos": (n.pos[0] + dx, n.pos[1] + dy)})) for n in pasted]
        count = len(nodes) + len(shifted)
        macro = MacroCommand(f"{text} {count} item{'s' if count != 1 else ''}")
        paste = None
        if nodes:
            paste = PasteCommand(scene.graph, data, (dx, dy), parent=macro, text=text)
            if points:
                moved = {k: tuple((x + dx, y + dy) for x, y in p) for k, p in points.items()}
                PastePointsCommand(notes, paste, moved, parent=macro)
        for note in shifted:
            AddNoteCommand(notes, note, parent=macro)
        return macro, (lambda: list(paste.node_ids) if paste is not None else []), [n.id for n in shifted]

    # ------------------------------------------------------------ context menus
    def annotation_menu(self, menu: QMenu, scene_pos: QPointF) -> bool:
        """Fills ``menu`` for the wire, reroute point, comment or frame at ``scene_pos``; False if none is there."""
        scene = self.graph_scene
        item = scene._top_item(scene_pos)
        where = QPointF(scene_pos)
        if isinstance(item, RerouteItem):
            menu.addAction("Delete reroute point", lambda: scene.remove_points([(item.edge, item.index)]))
        elif isinstance(item, EdgeItem):
            edge = item.edge
            menu.addAction("Add reroute point", lambda: scene.add_point(edge, where))
            menu.addAction("Disconnect", lambda: self._push(DisconnectCommand(scene.graph, edge)))
        elif isinstance(item, (CommentItem, FrameItem)):
            if item.note_id not in scene.selected_note_ids():
                scene.select_items((), [item.note_id])
            kind = "comment" if isinstance(item, CommentItem) else "frame"
            menu.addAction(f"Edit {kind}" if kind == "comment" else "Rename frame", item.start_edit)
            if isinstance(item, FrameItem):
                colours = menu.addMenu("Colour")
                for name in FRAME_COLORS:
                    action = colours.addAction(name.capitalize(), lambda n=name: self._set_color(item.note_id, n))
                    action.setCheckable(True)
                    action.setChecked(name == item.color)
                menu.addAction("Select contents", lambda: self._select_contents(item))
            menu.addSeparator()
            menu.addAction("Copy", self.copy_selection)
            menu.addAction("Cut", self.cut_selection)
            menu.addAction("Duplicate", self.duplicate_selection)
            menu.addSeparator()
            menu.addAction(f"Delete {kind}" + (" (its blocks stay)" if kind == "frame" else ""),
                           lambda: self._push(RemoveNotesCommand(scene.graph.annotations, [item.note_id])))
        else:
            return False
        return True

    def _set_color(self, note_id: str, color: str) -> None:
        command = EditNoteCommand(self.graph_scene.graph.annotations, note_id, f"Colour frame {color}", color=color)
        if not command.isObsolete():
            self._push(command)

    def _select_contents(self, frame: FrameItem) -> None:
        scene = self.graph_scene
        for item in [frame, *carried_by(scene, [frame], [frame])]:
            item.setSelected(True)


def _movable(item) -> bool:
    from .node_item import NodeItem

    return isinstance(item, (NodeItem, CommentItem, FrameItem, RerouteItem))
