"""Undo commands for the canvas annotations (comments, frames, reroute points), one per action, acting on
``graph.annotations`` only through its methods; the canvas items follow its events (as with gui.commands)."""
from __future__ import annotations

from typing import Any, Iterable

from PySide6.QtGui import QUndoCommand

from engine.annotations import Annotations, Comment, Frame, Note
from engine.graph import Edge

from .commands import MacroCommand, _keep

Points = tuple[tuple[float, float], ...]
_NOTE_ID = 0xA770  # AddNoteCommand and EditNoteCommand: the first text edit of a new comment joins its add


def _what(note: Note) -> str:
    return "comment" if isinstance(note, Comment) else "frame"


class AddNoteCommand(QUndoCommand):
    """Adds a comment or frame. With ``open_edit`` (a new comment whose editor is open) the first text edit
    merges into this step, and removing it right away (nothing was typed) leaves no step at all."""

    def __init__(self, annotations: Annotations, note: Note, open_edit: bool = False,
                 parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        self.annotations, self.note, self.open_edit = annotations, note, open_edit
        self.setText(f"Add {_what(note)}")

    def id(self) -> int:
        return _NOTE_ID if self.open_edit else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not self.open_edit or getattr(other, "note_id", None) != self.note.id:
            return False
        self.open_edit = False  # one merge: later edits are steps of their own
        if isinstance(other, EditNoteCommand) and set(other.changes) == {"text"}:
            self.note = other.new
            return True
        if isinstance(other, RemoveNotesCommand) and other.note_ids == [self.note.id]:
            self.setObsolete(True)  # added and removed again: the document is as before, no step
            return True
        return False

    def redo(self) -> None:
        self.annotations.add(self.note)

    def undo(self) -> None:
        self.annotations.remove(self.note.id)


class RemoveNotesCommand(QUndoCommand):
    """Deletes comments and frames (a frame's blocks stay); undo puts them back in their document order."""

    _ID = _NOTE_ID

    def __init__(self, annotations: Annotations, note_ids: Iterable[str], parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        self.annotations = annotations
        self.note_ids = list(dict.fromkeys(note_ids))
        if not self.note_ids:
            raise ValueError("no comments or frames to delete")
        self.notes = [annotations.note(i) for i in self.note_ids]  # raises KeyError for an unknown id
        self.note_id = self.note_ids[0] if len(self.note_ids) == 1 else None  # what AddNoteCommand merges
        self._order: list[str] = []
        kinds = {_what(n) for n in self.notes}
        self.setText(f"Delete {_what(self.notes[0])}" if len(self.notes) == 1
                     else f"Delete {len(self.notes)} {kinds.pop() + 's' if len(kinds) == 1 else 'notes'}")

    def id(self) -> int:
        return self._ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        return False

    def redo(self) -> None:
        self._order = list(self.annotations.notes)
        for note_id in self.note_ids:
            self.annotations.remove(note_id)

    def undo(self) -> None:
        for note in self.notes:
            self.annotations.add(note)
        self.annotations.restore_order(self._order)


class EditNoteCommand(QUndoCommand):
    """Changes fields of a comment or frame: text, title, colour, position, size (``changes``); ``label`` is
    the undo text."""

    def __init__(self, annotations: Annotations, note_id: str, label: str = "", parent: MacroCommand | None = None,
                 **changes: Any):
        super().__init__()
        _keep(parent, self)
        self.annotations, self.note_id, self.changes = annotations, note_id, changes
        self.old = annotations.note(note_id)
        self.new = type(self.old)(**{**self.old.__dict__, **changes})
        self.setText(label or f"Edit {_what(self.old)}")
        self.setObsolete(self.new == self.old)  # nothing changes: no undo step

    def id(self) -> int:
        return _NOTE_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        return False

    def redo(self) -> None:
        self.annotations.update(self.note_id, **self._fields(self.new))

    def undo(self) -> None:
        self.annotations.update(self.note_id, **self._fields(self.old))

    @staticmethod
    def _fields(note: Note) -> dict[str, Any]:
        return {k: v for k, v in note.__dict__.items() if k != "id"}


class SetPointsCommand(QUndoCommand):
    """Replaces the reroute points of one wire (add, move or delete a point)."""

    def __init__(self, annotations: Annotations, edge: Edge, points: Iterable[Iterable[float]], text: str = "",
                 parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        self.annotations, self.edge = annotations, edge
        self.old: Points = annotations.points(edge)
        self.new: Points = tuple((float(x), float(y)) for x, y in points)
        if not text:
            text = ("Add reroute point" if len(self.new) > len(self.old) else
                    "Delete reroute point" if len(self.new) < len(self.old) else "Move reroute point")
        self.setText(text)
        self.setObsolete(self.new == self.old)

    def redo(self) -> None:
        self.annotations.set_points(self.edge, self.new)

    def undo(self) -> None:
        self.annotations.set_points(self.edge, self.old)


class PastePointsCommand(QUndoCommand):
    """The reroute points of pasted wires: ``points`` maps (source index, port, target index, port) of the
    pasted data's blocks to points; the ids come from ``paste`` (a PasteCommand that redoes first)."""

    def __init__(self, annotations: Annotations, paste, points: dict[tuple[int, str, int, str], Points],
                 parent: MacroCommand | None = None):
        super().__init__()
        _keep(parent, self)
        self.annotations, self.paste, self.points = annotations, paste, points

    def _edges(self) -> dict[Edge, Points]:
        ids = self.paste.node_ids
        return {Edge(ids[a], pa, ids[b], pb): p for (a, pa, b, pb), p in self.points.items()}

    def redo(self) -> None:
        for edge, points in self._edges().items():
            self.annotations.set_points(edge, points)

    def undo(self) -> None:
        for edge in self._edges():
            self.annotations.set_points(edge, ())


def frame_around(annotations: Annotations, rect: tuple[float, float, float, float], title: str = "Frame",
                 color: str = "grey") -> Frame:
    """A new frame (fresh id) with the rectangle ``rect``."""
    return Frame(annotations.fresh_id("f"), title, rect, color)


__all__ = ["AddNoteCommand", "EditNoteCommand", "PastePointsCommand", "RemoveNotesCommand", "SetPointsCommand",
           "frame_around"]
