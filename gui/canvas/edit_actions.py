"""The canvas view's editing actions (a mixin of CanvasView): add, nudge, select, delete, copy, cut, paste and
duplicate blocks and notes, and auto-layout; each is one undo step."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QUndoCommand

from engine.annotations import AnnotationError
from engine.blocks import CATALOG
from engine.document import DocumentError
from engine.graph import GraphError
from engine.layout import layered_positions

from ..canvas_commands import RemoveNotesCommand
from ..commands import AddNodeCommand, DisconnectCommand, MacroCommand, RemoveNodesCommand
from .clipboard import clipboard_blocks, copy_blocks
from .node_item import expected_height
from .note_items import CommentItem
from .placement import ESTIMATED_HEIGHT, GAP, POINTED_GAP, free_offset, snapped
from .relayout import layout_command
from .style import GRID, NODE_WIDTH, metrics


class EditActionsMixin:
    def _push(self, command: QUndoCommand) -> None:
        self.graph_scene.undo_stack.push(command)

    def view_center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def add_block(self, kind: str, scene_pos: QPointF | None = None) -> str | None:
        """Adds a block centred on ``scene_pos`` (default the view centre); returns its id."""
        centre = scene_pos if scene_pos is not None else self.view_center()
        m = metrics()
        x, y = centre.x() - NODE_WIDTH / 2, centre.y() - m.title_height
        # Never on top of a block: the palette's double-click near the centre, with room around it.
        x, y = self.clear_spot(kind, x, y, GAP if scene_pos is None else POINTED_GAP)
        if self.snap_to_grid:
            x, y = round(x / GRID) * GRID, round(y / GRID) * GRID
        try:
            command = AddNodeCommand(self.graph_scene.graph, kind, (x, y))
        except GraphError as err:
            self.graph_scene.statusMessage.emit(str(err))
            return None
        self._push(command)
        self.graph_scene.select_nodes([command.node_id])
        self.reveal([command.node_id])
        return command.node_id

    def clear_spot(self, kind: str, x: float, y: float, gap: float = POINTED_GAP) -> tuple[float, float]:
        """(x, y) for a new ``kind`` block's top left: where asked unless it would cover another block (a Tab-added
        LSTM covered the bottom of the one above it), then the nearest place where it does not."""
        height = expected_height(CATALOG[kind]) if kind in CATALOG else ESTIMATED_HEIGHT
        shift = free_offset(self._occupied(), QRectF(x, y, NODE_WIDTH, height), QPointF(), gap=gap)
        if shift.isNull():
            return x, y
        shift = snapped(shift)
        return x + shift.x(), y + shift.y()

    def reveal(self, node_ids, note_ids=()) -> None:
        """Scrolls as little as needed to bring what was just added or pasted into view: a block added by a
        wire dropped at the canvas's edge lay mostly past it, and repeated pastes went on further down."""
        rect = self.graph_scene.content_rect(list(node_ids), list(note_ids))
        if not rect.isNull():
            self.ensureVisible(rect, 40, 40)

    def nudge_selection(self, dx: float, dy: float) -> None:
        """Moves the selected blocks by (dx, dy) as one step (the arrow keys; Shift for bigger steps)."""
        command = self.nudge_command(dx, dy)
        if command is not None:
            self._push(command)

    def select_all(self) -> None:
        self.graph_scene.select_items(list(self.graph_scene.graph.nodes), list(self.graph_scene.graph.annotations.notes))

    def delete_selection(self) -> None:
        scene = self.graph_scene
        ids, edges = scene.selected_node_ids(), scene.selected_edges()
        edges = [e for e in edges if e.src not in ids and e.dst not in ids]  # those go with their blocks
        notes = scene.selected_note_ids()
        points = [(e, k) for e, k in scene.selected_points() if e not in edges and e.src not in ids
                  and e.dst not in ids]  # a wire that goes takes its points along
        if not ids and not edges and not notes:
            if points:
                scene.remove_points(points)
            return
        if ids and not edges and not notes and not points:
            self._push(RemoveNodesCommand(scene.graph, ids))
            return
        if notes and not ids and not edges and not points:
            self._push(RemoveNotesCommand(scene.graph.annotations, notes))
            return
        self.graph_scene.undo_stack.beginMacro("Delete selection")
        try:
            if points:
                scene.remove_points(points)
            macro = MacroCommand("Delete selection")
            for edge in edges:
                DisconnectCommand(scene.graph, edge, macro)
            if ids:
                RemoveNodesCommand(scene.graph, ids, macro)
            if notes:
                RemoveNotesCommand(scene.graph.annotations, notes, macro)
            self._push(macro)
        finally:
            self.graph_scene.undo_stack.endMacro()

    def copy_selection(self) -> int:
        """Copies the selected blocks (with the wires among them and their points) and comments and frames."""
        scene = self.graph_scene
        count = copy_blocks(scene.graph, scene.selected_node_ids(), scene.selected_note_ids())
        if count:
            scene.statusMessage.emit(f"Copied {_count_text(count, scene.selected_node_ids())}")
        return count

    def cut_selection(self) -> int:
        scene = self.graph_scene
        ids, notes = scene.selected_node_ids(), scene.selected_note_ids()
        count = copy_blocks(scene.graph, ids, notes)
        if notes:
            macro = MacroCommand(f"Cut {count} item{'s' if count != 1 else ''}")
            if ids:
                RemoveNodesCommand(scene.graph, ids, macro)
            RemoveNotesCommand(scene.graph.annotations, notes, macro)
            self._push(macro)
        elif count:
            self._push(RemoveNodesCommand(scene.graph, ids, text=f"Cut {count} block(s)"))
        return count

    def paste(self) -> list[str]:
        """Pastes copied blocks, comments and frames (also from another window): offset from the originals on
        each repeated paste, or around the view centre when the originals are out of sight. Selects the
        copies and returns the new block ids."""
        data = clipboard_blocks()
        if not data or (not data.get("nodes") and data.get("canvas") is None):
            self.graph_scene.statusMessage.emit("Nothing to paste: copy some blocks first")
            return []
        return self._paste_data(data, "Paste")

    def duplicate_selection(self) -> list[str]:
        scene = self.graph_scene
        ids, notes = scene.selected_node_ids(), scene.selected_note_ids()
        if not ids and not notes:
            return []
        return self._paste_data(self.selection_data(ids, notes), "Duplicate")

    def _occupied(self) -> list[QRectF]:
        # comments take room; frames do not (a block may well land inside one)
        return [item.sceneBoundingRect() for item in self.graph_scene.node_items()] + \
            [item.sceneBoundingRect() for item in self.graph_scene.note_items() if isinstance(item, CommentItem)]

    def _paste_data(self, data: dict, text: str) -> list[str]:
        """Places the copies on free space: just below their originals when those are in sight (each
        repeated paste further down, as the earlier copies occupy the space), else near the view centre."""
        try:
            command, node_ids, note_ids = self.paste_command(data, text)
        except (AnnotationError, DocumentError, GraphError, KeyError, TypeError, ValueError, IndexError) as err:
            self.graph_scene.statusMessage.emit(f"Cannot paste: {err}")
            return []
        self._push(command)
        ids = node_ids()
        self.graph_scene.select_items(ids, note_ids)
        self.reveal(ids, note_ids)
        return ids

    def auto_layout(self) -> None:
        """Lays the blocks out in layers; frames, their comments and reroute points follow (one step)."""
        graph = self.graph_scene.graph
        if len(graph):
            self._push(layout_command(self.graph_scene, layered_positions(graph)))
            self.frame_all()


def _count_text(count: int, node_ids: list[str]) -> str:
    if len(node_ids) == count:
        return f"{count} block{'s' if count != 1 else ''}"
    return f"{count} item{'s' if count != 1 else ''}"
