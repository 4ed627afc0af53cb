"""Canvas annotations: comments, frames and the reroute points of wires, with their change events.

Layout only, like block positions: ``graph.annotations`` holds them, the document saves them (format 3), and the
compiler, shape analysis and exports never read them. Qt-free; ``annotations_from_data`` is the strict reader.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Iterable

from .events import Signal

if TYPE_CHECKING:  # graph.py imports this module
    from .graph import Edge

MAX_COORDINATE = 1e9  # as engine.document: a position beyond this is a broken file, not a layout
MAX_SIZE = 1e6  # a frame or comment wider or taller than this is no layout either
MIN_SIZE = 40.0  # smaller than this cannot be grabbed or read
MAX_TEXT = 20_000  # characters of one comment
MAX_TITLE = 200  # characters of a frame title (one line)
MAX_ID_LENGTH = 64
MAX_NOTES = 10_000  # comments and frames in one document
MAX_POINTS = 64  # reroute points on one wire
FRAME_COLORS = ("grey", "blue", "green", "yellow", "orange", "red", "purple")  # the gui picks the shades
COMMENT_WIDTH = 220.0  # a new comment's width; its height follows its text


@dataclass(frozen=True)
class Comment:
    """A text note: ``pos`` is its top-left corner, ``width`` where its text wraps (the height follows)."""

    id: str
    text: str
    pos: tuple[float, float]
    width: float = COMMENT_WIDTH

    def __post_init__(self) -> None:  # floats: saving writes 1.0 for every position, loaded or typed
        object.__setattr__(self, "pos", (float(self.pos[0]), float(self.pos[1])))
        object.__setattr__(self, "width", float(self.width))


@dataclass(frozen=True)
class Frame:
    """A titled rectangle ``rect`` = (x, y, width, height). Its members are the blocks, comments and frames
    whose centre lies inside it at the time it moves: geometry, not a stored list (a block dragged into it
    joins it, one dragged out leaves it)."""

    id: str
    title: str
    rect: tuple[float, float, float, float]
    color: str = "grey"

    def __post_init__(self) -> None:
        object.__setattr__(self, "rect", tuple(float(v) for v in self.rect))


Note = Comment | Frame


class AnnotationError(ValueError):
    """Malformed annotation data: ``json_path`` names the place, ``message`` the problem."""

    def __init__(self, json_path: str, message: str):
        super().__init__(f"{json_path}: {message}")
        self.json_path, self.message = json_path, message


@dataclass
class AnnotationEvents:
    added: Signal = field(default_factory=Signal)  # (Note)
    removed: Signal = field(default_factory=Signal)  # (Note)
    changed: Signal = field(default_factory=Signal)  # (new Note) text, title, colour or geometry changed
    points_changed: Signal = field(default_factory=Signal)  # (Edge) the wire's reroute points changed


class Annotations:
    """The comments and frames of a canvas (in document order) and the reroute points of its wires.

    Points are keyed by ``Edge`` (a value: the same ports give the same key). The points of a disconnected
    wire are kept, so undoing the disconnection brings the wire back with its shape; only the points of
    existing edges are saved."""

    def __init__(self) -> None:
        self.notes: dict[str, Note] = {}
        self._points: dict[Edge, tuple[tuple[float, float], ...]] = {}
        self._next = 1
        self.events = AnnotationEvents()

    # ------------------------------------------------------------ queries
    def note(self, note_id: str) -> Note:
        try:
            return self.notes[note_id]
        except KeyError:
            raise KeyError(f"there is no comment or frame with id '{note_id}'") from None

    def comments(self) -> list[Comment]:
        return [n for n in self.notes.values() if isinstance(n, Comment)]

    def frames(self) -> list[Frame]:
        return [n for n in self.notes.values() if isinstance(n, Frame)]

    def points(self, edge: Edge) -> tuple[tuple[float, float], ...]:
        return self._points.get(edge, ())

    def edges_with_points(self, edges: Iterable[Edge]) -> list[Edge]:
        return [e for e in edges if self._points.get(e)]

    def is_empty(self, edges: Iterable[Edge] = ()) -> bool:
        """Nothing to save: no comment, no frame and no points on any of ``edges``."""
        return not self.notes and not self.edges_with_points(edges)

    def fresh_id(self, prefix: str) -> str:
        while f"{prefix}{self._next}" in self.notes:
            self._next += 1
        note_id = f"{prefix}{self._next}"
        self._next += 1
        return note_id

    # ------------------------------------------------------------ changes (each announced)
    def add(self, note: Note) -> Note:
        if note.id in self.notes:
            raise ValueError(f"the id '{note.id}' is taken")
        self.notes[note.id] = note
        self.events.added.emit(note)
        return note

    def remove(self, note_id: str) -> Note:
        note = self.notes.pop(self.note(note_id).id)
        self.events.removed.emit(note)
        return note

    def update(self, note_id: str, **changes: Any) -> Note:
        """Replaces fields of a note (``text``, ``pos``, ``width``, ``title``, ``rect``, ``color``)."""
        old = self.note(note_id)
        new = replace(old, **changes)
        if new != old:
            self.notes[note_id] = new
            self.events.changed.emit(new)
        return new

    def set_points(self, edge: Edge, points: Iterable[Iterable[float]]) -> None:
        points = tuple((float(x), float(y)) for x, y in points)
        if points != self.points(edge):
            if points:
                self._points[edge] = points
            else:
                self._points.pop(edge, None)
            self.events.points_changed.emit(edge)

    def restore_order(self, note_ids: list[str]) -> None:
        """Puts notes back in a remembered document order (undo of a deletion), announcing nothing."""
        if set(note_ids) == set(self.notes):
            ordered = [(i, self.notes[i]) for i in note_ids]
            self.notes.clear()
            self.notes.update(ordered)

    def copy(self) -> "Annotations":
        """A copy with no listeners (notes and point tuples are immutable)."""
        clone = Annotations()
        clone.notes, clone._points, clone._next = dict(self.notes), dict(self._points), self._next
        return clone


# ------------------------------------------------------------ document data
def note_to_data(note: Note) -> dict[str, Any]:
    if isinstance(note, Comment):
        return {"id": note.id, "text": note.text, "pos": list(note.pos), "width": note.width}
    return {"id": note.id, "title": note.title, "rect": list(note.rect), "color": note.color}


def annotations_to_data(notes: Iterable[Note]) -> dict[str, Any]:
    """The document's "canvas" section: {"comments": [...], "frames": [...]} (each in document order)."""
    notes = list(notes)
    return {"comments": [note_to_data(n) for n in notes if isinstance(n, Comment)],
            "frames": [note_to_data(n) for n in notes if isinstance(n, Frame)]}


_COMMENT_KEYS = {"id", "text", "pos", "width"}
_FRAME_KEYS = {"id", "title", "rect", "color"}


def annotations_from_data(data: Any, path: str = "$.canvas") -> list[Note]:
    """The comments then frames of a "canvas" section, checked; raises AnnotationError naming the JSON path."""
    if not isinstance(data, dict):
        raise AnnotationError(path, "must be an object")
    for key in data:
        if key not in ("comments", "frames"):
            raise AnnotationError(path, f"has no section '{_shown(key)}' (it holds comments and frames)")
    notes: list[Note] = []
    ids: set[str] = set()
    for section in ("comments", "frames"):
        raw_list = data.get(section, [])
        here = f"{path}.{section}"
        if not isinstance(raw_list, list):
            raise AnnotationError(here, "must be a list")
        if len(notes) + len(raw_list) > MAX_NOTES:
            raise AnnotationError(here, f"holds more than {MAX_NOTES:,} comments and frames in all")
        for i, raw in enumerate(raw_list):
            note = (_comment if section == "comments" else _frame)(raw, f"{here}[{i}]")
            if note.id in ids:
                raise AnnotationError(f"{here}[{i}].id", f"the id '{_shown(note.id)}' is used twice")
            ids.add(note.id)
            notes.append(note)
    return notes


def points_from_data(raw: Any, path: str) -> tuple[tuple[float, float], ...]:
    """An edge's "points": a list of at most MAX_POINTS [x, y] canvas positions."""
    if not isinstance(raw, list):
        raise AnnotationError(path, "must be a list of [x, y] positions")
    if len(raw) > MAX_POINTS:
        raise AnnotationError(path, f"has {len(raw):,} points: a wire holds at most {MAX_POINTS}")
    return tuple(_position(p, f"{path}[{i}]") for i, p in enumerate(raw))


def _fields(raw: Any, path: str, keys: set[str], what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise AnnotationError(path, "must be an object")
    for key in raw:
        if key not in keys:
            raise AnnotationError(path, f"a {what} has no field '{_shown(key)}' (its fields: "
                                        f"{', '.join(sorted(keys))})")
    for key in sorted(keys):
        if key not in raw:
            raise AnnotationError(f"{path}.{key}", "is missing")
    note_id = raw["id"]
    if not isinstance(note_id, str) or not 0 < len(note_id) <= MAX_ID_LENGTH:
        raise AnnotationError(f"{path}.id", f"must be text of 1 to {MAX_ID_LENGTH} characters")
    return raw


def _comment(raw: Any, path: str) -> Comment:
    raw = _fields(raw, path, _COMMENT_KEYS, "comment")
    text = _text(raw["text"], f"{path}.text", MAX_TEXT)
    width = _number(raw["width"], f"{path}.width")
    if not MIN_SIZE <= width <= MAX_SIZE:
        raise AnnotationError(f"{path}.width", f"is {width:g}: a comment is {MIN_SIZE:g} to {MAX_SIZE:g} wide")
    return Comment(raw["id"], text, _position(raw["pos"], f"{path}.pos"), width)


def _frame(raw: Any, path: str) -> Frame:
    raw = _fields(raw, path, _FRAME_KEYS, "frame")
    title = _text(raw["title"], f"{path}.title", MAX_TITLE)
    if "\n" in title or "\r" in title:
        raise AnnotationError(f"{path}.title", "must be one line")
    rect = raw["rect"]
    if not isinstance(rect, list) or len(rect) != 4:
        raise AnnotationError(f"{path}.rect", "must be four numbers [x, y, width, height]")
    x, y = _position(rect[:2], f"{path}.rect")
    for axis, name in ((2, "width"), (3, "height")):
        size = _number(rect[axis], f"{path}.rect[{axis}]")
        if not MIN_SIZE <= size <= MAX_SIZE:
            raise AnnotationError(f"{path}.rect[{axis}]", f"is {size:g}: a frame's {name} lies between "
                                                          f"{MIN_SIZE:g} and {MAX_SIZE:g}")
    color = raw["color"]
    if color not in FRAME_COLORS:
        shown = _shown(color) if isinstance(color, str) else type(color).__name__
        raise AnnotationError(f"{path}.color", f"'{shown}' is no frame colour (colours: {', '.join(FRAME_COLORS)})")
    return Frame(raw["id"], title, (x, y, float(rect[2]), float(rect[3])), color)


def _text(value: Any, path: str, limit: int) -> str:
    if not isinstance(value, str):
        raise AnnotationError(path, "must be text")
    if len(value) > limit:
        raise AnnotationError(path, f"is {len(value):,} characters long: at most {limit:,}")
    return value


def _number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise AnnotationError(path, "must be a number")
    return float(value)


def _position(raw: Any, path: str) -> tuple[float, float]:
    if not isinstance(raw, list) or len(raw) != 2:
        raise AnnotationError(path, "must be two numbers [x, y]")
    values = []
    for axis, value in enumerate(raw):
        value = _number(value, f"{path}[{axis}]")
        if abs(value) > MAX_COORDINATE:
            raise AnnotationError(f"{path}[{axis}]", f"is {value:g}, too far from the canvas: positions lie "
                                                     f"between -{MAX_COORDINATE:g} and {MAX_COORDINATE:g}")
        values.append(value)
    return values[0], values[1]


def _shown(text: str, limit: int = 48) -> str:
    from .graph import shown  # graph.py imports this module

    return shown(text, limit)
