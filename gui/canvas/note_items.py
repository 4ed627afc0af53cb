"""Graphics items of the canvas annotations: a comment (a note whose text wraps at its width) and a frame (a
titled rectangle drawn behind blocks and wires). Both observe ``graph.annotations`` through the scene and never
edit it: double-click edits the text in place, and the scene turns the result into one undo command."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import (QAbstractTextDocumentLayout, QColor, QPainterPath, QPainterPathStroker, QPen,
                           QTextDocument, QTextOption)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsTextItem

from engine.annotations import MIN_SIZE, Comment, Frame

from .style import GRID, CanvasPalette, metrics

FRAME_Z, COMMENT_Z = -10.0, -5.0  # frames behind everything, comments above frames and below wires and blocks
GRIP = 12.0  # the resize corner
BORDER = 6.0  # how far from its outline a frame can be grabbed (its inside lets the rubber band start)
# Frame colours: (light theme, dark theme); the fill is a faint tint, the title band a stronger one.
FRAME_HEX = {
    "grey": ("#8A8F98", "#9AA1AC"), "blue": ("#3D7BD9", "#5B9BF0"), "green": ("#3C9A5F", "#5CC282"),
    "yellow": ("#C9A227", "#E3C24E"), "orange": ("#D9822B", "#F0A050"), "red": ("#D04A4A", "#EE6E6E"),
    "purple": ("#8A5CC9", "#B08AEE"),
}


def frame_color(name: str, dark: bool) -> QColor:
    return QColor(FRAME_HEX.get(name, FRAME_HEX["grey"])[1 if dark else 0])


def frame_colors(name: str, pal: CanvasPalette) -> tuple[QColor, QColor, QColor]:
    """(border, fill, title band) of a frame in the palette's theme."""
    color = frame_color(name, pal.dark)
    fill, band = QColor(color), QColor(color)
    fill.setAlpha(46 if pal.dark else 30)
    band.setAlpha(120 if pal.dark else 90)
    return color, fill, band


def comment_colors(pal: CanvasPalette) -> tuple[QColor, QColor, QColor]:
    """(paper, border, text) of a comment: a pale note in the light theme, a dim one in the dark theme."""
    if pal.dark:
        return QColor("#47422C"), QColor("#7A7148"), QColor("#F1EAD0")
    return QColor("#FFF5C4"), QColor("#D9C77A"), QColor("#3B3520")


class InlineEditor(QGraphicsTextItem):
    """Plain-text editing in place. Esc, a click elsewhere (focus lost) or Ctrl+Enter commits; with
    ``single_line`` Enter commits too. ``on_commit(text)`` is called once, just after the event that ended
    the edit: it removes this editor (and an emptied comment), which Qt cannot do inside the editor's event."""

    def __init__(self, parent: QGraphicsItem, text: str, width: float, on_commit, single_line: bool = False):
        super().__init__(parent)
        self.single_line, self._on_commit, self._done = single_line, on_commit, False
        self.document().setDocumentMargin(0)
        self.setPlainText(text)  # plain text only: nothing in a document is ever read as HTML
        self.setTextWidth(width)
        self.setFont(metrics().body_font)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextEditorInteraction)
        self.setZValue(1)

    def start(self) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        cursor = self.textCursor()
        cursor.select(cursor.SelectionType.Document)
        self.setTextCursor(cursor)

    def commit(self) -> None:
        if not self._done:
            self._done = True
            text = self.toPlainText()
            if self.single_line:
                text = " ".join(text.split())
            self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
            QTimer.singleShot(0, self, lambda: self._on_commit(text))

    def keyPressEvent(self, event) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.key() == Qt.Key.Key_Escape or (enter and (self.single_line or event.modifiers()
                                                           & Qt.KeyboardModifier.ControlModifier)):
            self.commit()
            event.accept()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        self.commit()

    def insertFromMimeData(self, source) -> None:  # noqa: N802 - pasted rich text arrives as plain text
        self.textCursor().insertText(source.text())


class _NoteItem(QGraphicsItem):
    """What comments and frames share: selection, moving, a resize corner, editing in place."""

    def __init__(self, note):
        super().__init__()
        self.note_id = note.id
        self.editor: InlineEditor | None = None
        self._resizing: QPointF | None = None  # the press point while the corner is dragged
        self._syncing = False
        self.setFlags(QGraphicsItem.GraphicsItemFlag.ItemIsMovable | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
                      | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges)
        self.setAcceptHoverEvents(True)

    def scene_palette(self) -> CanvasPalette:
        scene = self.scene()
        return scene.canvas_palette if scene is not None else CanvasPalette.from_palette()

    def grip_rect(self) -> QRectF:
        rect = self.boundingRect()
        return QRectF(rect.right() - GRIP, rect.bottom() - GRIP, GRIP, GRIP)

    def set_model_pos(self, pos: tuple[float, float]) -> None:
        """Follows the model's position exactly (no snapping: the model is the truth)."""
        if (self.pos().x(), self.pos().y()) != pos:
            self._syncing = True
            try:
                self.setPos(*pos)
            finally:
                self._syncing = False

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionChange and not self._syncing:
            scene = self.scene()
            if scene is not None and getattr(scene, "snap_to_grid", False):  # dragged with Snap to grid on
                return QPointF(round(value.x() / GRID) * GRID, round(value.y() / GRID) * GRID)
        return value

    @property
    def editing(self) -> bool:
        return self.editor is not None

    def _finish_edit(self, text: str) -> None:
        editor, self.editor = self.editor, None
        scene = self.scene()
        if editor is not None and editor.scene() is not None:
            # this runs inside the editor's own key or focus event: it is kept alive until that returns
            editor.scene().retire(editor)
        self.update()
        if scene is not None:
            scene.note_edited(self.note_id, text)

    # resizing by the corner; the scene turns the new size into one command on release
    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.grip_rect().contains(event.pos()):
            self._resizing = event.pos()
            self._start_size = self.size()
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._resizing is not None:
            delta = event.pos() - self._resizing
            self.set_size(max(MIN_SIZE, self._start_size[0] + delta.x()),
                          max(MIN_SIZE, self._start_size[1] + delta.y()))
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._resizing is not None:
            self._resizing = None
            scene = self.scene()
            if scene is not None:
                scene.note_resized(self.note_id, self.size())
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def hoverMoveEvent(self, event) -> None:
        self.setCursor(Qt.CursorShape.SizeFDiagCursor if self.grip_rect().contains(event.pos())
                       else Qt.CursorShape.ArrowCursor)
        super().hoverMoveEvent(event)

    def _paint_grip(self, painter, color: QColor) -> None:
        if self.isSelected() or self._resizing is not None:
            r = self.grip_rect().adjusted(3, 3, -3, -3)
            painter.setPen(QPen(color, 1.2))
            painter.drawLine(r.bottomLeft(), r.topRight())
            painter.drawLine(QPointF(r.center().x(), r.bottom()), QPointF(r.right(), r.center().y()))


class CommentItem(_NoteItem):
    """A comment: its text wraps at the comment's width and the height follows the text."""

    def __init__(self, comment: Comment):
        super().__init__(comment)
        self.setZValue(COMMENT_Z)
        self.setToolTip("Comment: double-click to edit (Esc or a click elsewhere ends); drag the corner to "
                        "change its width")
        self.text, self.width, self.height = comment.text, comment.width, 0.0
        self._doc = QTextDocument()  # the text as drawn; wrapped at the width
        self._doc.setDocumentMargin(0)
        self._relayout()
        self.set_model_pos(comment.pos)

    def sync(self, comment: Comment) -> None:
        if (comment.text, comment.width) != (self.text, self.width):
            self.text, self.width = comment.text, comment.width
            self._relayout()
        self.set_model_pos(comment.pos)

    def _relayout(self) -> None:
        m = metrics()
        self._doc.setDefaultFont(m.body_font)
        self._doc.setTextWidth(self.width - 2 * m.padding)
        self._doc.setPlainText(self.text)
        self.prepareGeometryChange()
        self.height = max(self._doc.size().height(), m.body_height) + 2 * m.padding

    def size(self) -> tuple[float, float]:
        return self.width, self.height

    def set_size(self, width: float, height: float) -> None:  # the height follows the text
        self.width = width
        self._relayout()

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def paint(self, painter, option, widget=None) -> None:
        pal = self.scene_palette()
        paper, border, ink = comment_colors(pal)
        painter.setPen(QPen(pal.selection if self.isSelected() else border, 2.0 if self.isSelected() else 1.0))
        painter.setBrush(paper)
        painter.drawRoundedRect(self.boundingRect().adjusted(0.5, 0.5, -0.5, -0.5), 4, 4)
        if self.editor is None:
            pad = metrics().padding
            painter.save()
            painter.translate(pad, pad)
            context = QAbstractTextDocumentLayout.PaintContext()
            context.palette.setColor(context.palette.ColorRole.Text, ink)
            self._doc.documentLayout().draw(painter, context)
            painter.restore()
        self._paint_grip(painter, border)

    def start_edit(self) -> InlineEditor:
        if self.editor is None:
            pad = metrics().padding
            self.editor = InlineEditor(self, self.text, self.width - 2 * pad, self._finish_edit)
            self.editor.setDefaultTextColor(comment_colors(self.scene_palette())[2])
            self.editor.setPos(pad, pad)
            self.editor.document().contentsChanged.connect(self._follow_editor)
            self.update()
        self.editor.start()
        return self.editor

    def _follow_editor(self) -> None:
        if self.editor is not None:  # the note grows as the user types
            self.prepareGeometryChange()
            pad = metrics().padding
            self.height = max(self.editor.boundingRect().height() + 2 * pad, self.height)


class FrameItem(_NoteItem):
    """A frame: grabbed by its title band or outline (its inside lets clicks through to the canvas, so a
    rubber band can start there); moving it moves what lies inside it (the scene's MoveInteraction)."""

    def __init__(self, frame: Frame):
        super().__init__(frame)
        self.setZValue(FRAME_Z)
        self.setToolTip("Frame: drag its title to move it with its blocks; double-click the title to rename; "
                        "drag the corner to resize; right click for its colour")
        self.title, self.color = frame.title, frame.color
        self.width, self.height = frame.rect[2], frame.rect[3]
        self.set_model_pos((frame.rect[0], frame.rect[1]))

    def sync(self, frame: Frame) -> None:
        if (frame.rect[2], frame.rect[3]) != (self.width, self.height):
            self.set_size(frame.rect[2], frame.rect[3])
        self.title, self.color = frame.title, frame.color
        self.set_model_pos((frame.rect[0], frame.rect[1]))
        self.update()

    def title_height(self) -> float:
        return metrics().title_height + metrics().padding

    def size(self) -> tuple[float, float]:
        return self.width, self.height

    def set_size(self, width: float, height: float) -> None:
        self.prepareGeometryChange()
        self.width, self.height = width, height

    def scene_rect(self) -> QRectF:
        return QRectF(self.pos().x(), self.pos().y(), self.width, self.height)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def shape(self) -> QPainterPath:
        outline = QPainterPath()
        outline.addRect(self.boundingRect())
        stroker = QPainterPathStroker()
        stroker.setWidth(BORDER * 2)
        shape = stroker.createStroke(outline)
        shape.addRect(QRectF(0, 0, self.width, self.title_height()))
        shape.addRect(self.grip_rect())
        return shape.simplified()

    def paint(self, painter, option, widget=None) -> None:
        pal = self.scene_palette()
        color, fill, band = frame_colors(self.color, pal)
        rect = self.boundingRect()
        painter.setPen(QPen(pal.selection, 2.0) if self.isSelected() else QPen(color, 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.adjusted(0.5, 0.5, -0.5, -0.5), 6, 6)
        title = QRectF(0, 0, self.width, self.title_height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(band)
        path = QPainterPath()
        path.addRoundedRect(title.adjusted(1, 1, -1, 0), 5, 5)
        painter.drawPath(path)
        if self.editor is None and painter.worldTransform().m11() > 0.2:
            painter.setPen(pal.text)
            painter.setFont(metrics().title_font)
            pad = metrics().padding
            text = metrics().title_metrics().elidedText(self.title or "Frame", Qt.TextElideMode.ElideRight,
                                                        self.width - 2 * pad)
            painter.drawText(title.adjusted(pad, 0, -pad, 0), Qt.AlignmentFlag.AlignVCenter, text)
        self._paint_grip(painter, color)

    def start_edit(self) -> InlineEditor:
        if self.editor is None:
            pad = metrics().padding
            self.editor = InlineEditor(self, self.title, self.width - 2 * pad, self._finish_edit, single_line=True)
            self.editor.setFont(metrics().title_font)
            self.editor.setDefaultTextColor(self.scene_palette().text)
            self.editor.document().setDefaultTextOption(QTextOption(Qt.AlignmentFlag.AlignLeft))
            self.editor.setPos(pad, (self.title_height() - self.editor.boundingRect().height()) / 2)
            self.update()
        self.editor.start()
        return self.editor

    def on_title(self, scene_pos: QPointF) -> bool:
        return QRectF(0, 0, self.width, self.title_height()).contains(self.mapFromScene(scene_pos))
