"""The scene's half for the canvas annotations (a mixin of GraphScene): items that follow ``graph.annotations``
(comments, frames, reroute points) and the edits made on them, each turned into one undo command."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QTimer

from engine.annotations import MAX_POINTS, MAX_SIZE, MAX_TEXT, MAX_TITLE, Comment, Frame, Note
from engine.graph import Edge

from ..canvas_commands import EditNoteCommand, RemoveNotesCommand, SetPointsCommand
from .note_items import CommentItem, FrameItem
from .reroute_item import RerouteItem


class AnnotationsMixin:
    """Needs ``graph``, ``undo_stack``, ``_edges``, ``_nodes``, ``_notes``, ``_retired`` and ``nodes_rect``."""

    # ------------------------------------------------------------ queries
    def note_item(self, note_id: str) -> CommentItem | FrameItem | None:
        return self._notes.get(note_id)

    def note_items(self) -> list[CommentItem | FrameItem]:
        return list(self._notes.values())

    def reroute_items(self) -> list[RerouteItem]:
        return [r for item in self._edges.values() for r in item.reroutes]

    def selected_note_ids(self) -> list[str]:
        """Selected comments and frames in document order."""
        chosen = {i.note_id for i in self.selectedItems() if isinstance(i, (CommentItem, FrameItem))}
        return [note_id for note_id in self.graph.annotations.notes if note_id in chosen]

    def selected_points(self) -> list[tuple[Edge, int]]:
        """Selected reroute points as (edge, index)."""
        return [(i.edge, i.index) for i in self.selectedItems() if isinstance(i, RerouteItem)]

    def select_items(self, node_ids=(), note_ids=()) -> None:
        """Selects exactly these blocks and comments/frames (one selectionChanged)."""
        wanted = [self._nodes[i] for i in node_ids if i in self._nodes] + \
                 [self._notes[i] for i in note_ids if i in self._notes]
        self.blockSignals(True)
        try:
            for item in self.selectedItems():
                if item not in wanted:
                    item.setSelected(False)
            for item in wanted:
                item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def content_rect(self, node_ids=None, note_ids=None) -> QRectF:
        """What framing shows: the blocks, comments, frames and reroute points (all, or the given ones)."""
        rect = self.nodes_rect(node_ids)
        notes = self._notes.values() if note_ids is None else [self._notes[i] for i in note_ids if i in self._notes]
        for item in notes:
            rect = rect.united(item.sceneBoundingRect())
        if node_ids is None and note_ids is None:
            for item in self.reroute_items():
                rect = rect.united(item.sceneBoundingRect())
        return rect


    # ------------------------------------------------------------ annotations -> items
    def _on_note_added(self, note: Note) -> None:
        item = CommentItem(note) if isinstance(note, Comment) else FrameItem(note)
        self._notes[note.id] = item
        self.addItem(item)

    def _on_note_removed(self, note: Note) -> None:
        item = self._notes.pop(note.id, None)
        if item is not None:
            if item.editor is not None:
                item.editor._done = True  # gone: its text has nowhere to go
            self.retire(item)

    def retire(self, item) -> None:
        """Removes ``item`` from the scene but frees it only after the current event (an editor's Esc may
        remove the very comment whose editor is handling the key)."""
        if item.scene() is self:
            self.removeItem(item)
        self._retired.append(item)
        if len(self._retired) == 1:
            QTimer.singleShot(0, self, self._retired.clear)

    def _on_note_changed(self, note: Note) -> None:
        item = self._notes.get(note.id)
        if item is not None:
            item.sync(note)

    def _on_points_changed(self, edge: Edge) -> None:
        """Puts the wire's reroute handles where the model's points are: existing handles are moved, extra
        ones retired (this may run inside a handle's own mouse event), missing ones added."""
        item = self._edges.get(edge)
        if item is None:
            return
        points = self.graph.annotations.points(edge)
        while len(item.reroutes) > len(points):
            self.retire(item.reroutes.pop())
        for index, point in enumerate(points):
            if index < len(item.reroutes):
                if (item.reroutes[index].pos().x(), item.reroutes[index].pos().y()) != point:
                    item.reroutes[index].setPos(*point)
            else:
                reroute = RerouteItem(item, index, point)
                item.reroutes.append(reroute)
                self.addItem(reroute)
        item.update_path()

    # ------------------------------------------------------------ annotation edits from the items
    def note_edited(self, note_id: str, text: str) -> None:
        """An in-place edit ended: one undo step (an emptied comment is deleted)."""
        note = self.graph.annotations.notes.get(note_id)
        if note is None:
            return
        notes = self.graph.annotations
        # cut to what a document may hold, so that what is saved always loads again
        text = text[:MAX_TEXT] if isinstance(note, Comment) else text[:MAX_TITLE]
        if isinstance(note, Comment):
            if not text.strip():
                self.undo_stack.push(RemoveNotesCommand(notes, [note_id]))
            else:
                self.undo_stack.push(EditNoteCommand(notes, note_id, "Edit comment", text=text))
        else:
            self.undo_stack.push(EditNoteCommand(notes, note_id, f"Rename frame to '{text}'", title=text))

    def note_resized(self, note_id: str, size: tuple[float, float]) -> None:
        note = self.graph.annotations.notes.get(note_id)
        size = (min(size[0], MAX_SIZE), min(size[1], MAX_SIZE))
        if isinstance(note, Comment):
            command = EditNoteCommand(self.graph.annotations, note_id, "Resize comment", width=size[0])
        elif isinstance(note, Frame):
            command = EditNoteCommand(self.graph.annotations, note_id, "Resize frame",
                                      rect=(note.rect[0], note.rect[1], size[0], size[1]))
        else:
            return
        if command.isObsolete():
            return
        self.undo_stack.push(command)

    def add_point(self, edge: Edge, pos: QPointF) -> None:
        """Adds a reroute point at ``pos`` on the wire, between the points it lies between (one step)."""
        item = self._edges.get(edge)
        if item is None:
            return
        points = list(self.graph.annotations.points(edge))
        if len(points) >= MAX_POINTS:
            self.statusMessage.emit(f"A wire holds at most {MAX_POINTS} reroute points")
            return
        stops = [item.source.anchor(), *[QPointF(*p) for p in points], item.target.anchor()]
        # the stretch nearest the click: where the new point goes in the order
        best = min(range(len(stops) - 1), key=lambda k: _segment_distance(pos, stops[k], stops[k + 1]))
        points.insert(best, (pos.x(), pos.y()))
        self.undo_stack.push(SetPointsCommand(self.graph.annotations, edge, points))

    def remove_points(self, points: list[tuple[Edge, int]]) -> None:
        by_edge: dict[Edge, set[int]] = {}
        for edge, index in points:
            by_edge.setdefault(edge, set()).add(index)
        notes = self.graph.annotations
        commands = [SetPointsCommand(notes, e, [p for k, p in enumerate(notes.points(e)) if k not in drop])
                    for e, drop in by_edge.items()]
        if len(commands) == 1:
            self.undo_stack.push(commands[0])
        elif commands:
            self.undo_stack.beginMacro(f"Delete {len(points)} reroute points")
            for command in commands:
                self.undo_stack.push(command)
            self.undo_stack.endMacro()


def _segment_distance(p: QPointF, a: QPointF, b: QPointF) -> float:
    """Distance from ``p`` to the straight segment a-b (enough to tell which stretch of a wire was clicked)."""
    dx, dy = b.x() - a.x(), b.y() - a.y()
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((p.x() - a.x()) * dx + (p.y() - a.y()) * dy) / length))
    return ((p.x() - a.x() - t * dx) ** 2 + (p.y() - a.y() - t * dy) ** 2) ** 0.5
