"""The unrolled view of a recurrent block: the same cell drawn at a few time steps with the state passed from
one to the next, for the learner who has only seen the folded diagram (a block with a loop)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

STEPS = 4


def state_names(kind: str, cell: str) -> list[str]:
    """The state carried from step to step: (h, c) for an LSTM, h otherwise."""
    return ["h", "c"] if (cell if kind == "bidirectional" else kind) == "lstm" else ["h"]


class UnrolledWidget(QWidget):
    def __init__(self, kind: str, params: dict, parent: QWidget | None = None):
        super().__init__(parent)
        self.kind, self.params = kind, dict(params)
        self.cell = str(params.get("cell", kind)) if kind == "bidirectional" else kind
        self.states = state_names(kind, self.cell)
        self.setMinimumSize(720, 300 if kind == "bidirectional" else 240)

    def cell_rects(self) -> list[QRectF]:
        width = self.width() / (STEPS + 1)
        return [QRectF(width * (i + 0.6), self.height() * 0.32, width * 0.6, self.height() * 0.3)
                for i in range(STEPS)]

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text, accent = palette.windowText().color(), QColor("#4a5bc4")
        font = QFont(self.font())
        painter.setFont(font)
        rects = self.cell_rects()
        labels = ["t = 1", "t = 2", "t = 3", "t = T"]
        for i, rect in enumerate(rects):
            painter.setPen(QPen(accent, 2))
            painter.setBrush(QColor(74, 91, 196, 40))
            painter.drawRoundedRect(rect, 8, 8)
            painter.setPen(text)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, f"{self.cell.upper()}\ncell")
            painter.drawText(QRectF(rect.left(), rect.top() - 26, rect.width(), 20),
                             Qt.AlignmentFlag.AlignCenter, labels[i])
            x_in = QPointF(rect.center().x(), self.height() * 0.92)
            self._arrow(painter, x_in, QPointF(rect.center().x(), rect.bottom()), text)
            painter.drawText(QRectF(x_in.x() - 30, x_in.y() - 4, 60, 18), Qt.AlignmentFlag.AlignCenter,
                             "x" + ("T" if i == STEPS - 1 else str(i + 1)))
            out = QPointF(rect.center().x(), self.height() * 0.1)
            self._arrow(painter, QPointF(rect.center().x(), rect.top() - 28), out, text)
            painter.drawText(QRectF(out.x() + 4, out.y() - 4, 60, 18), Qt.AlignmentFlag.AlignLeft,
                             "h" + ("T" if i == STEPS - 1 else str(i + 1)) + " out")
        # the state passed along: the same weights at every step, only the state changes
        for i, rect in enumerate(rects):
            for j, name in enumerate(self.states):
                y = rect.top() + rect.height() * (0.35 + 0.3 * j)
                start = QPointF(rect.right(), y)
                end = QPointF(rects[i + 1].left(), y) if i + 1 < len(rects) else QPointF(self.width() - 8, y)
                dashed = i == STEPS - 2  # between step 3 and T: the steps left out
                self._arrow(painter, start, end, accent, dashed)
                painter.setPen(accent)
                painter.drawText(QRectF(start.x(), y - 18, end.x() - start.x(), 16), Qt.AlignmentFlag.AlignCenter,
                                 f"{name}{'T' if i == STEPS - 1 else i + 1}")
        if self.kind == "bidirectional":
            painter.setPen(text)
            painter.drawText(QRectF(0, self.height() - 18, self.width(), 18), Qt.AlignmentFlag.AlignCenter,
                             "and a second cell reads from t = T back to 1; each step's output joins both")
        painter.end()

    @staticmethod
    def _arrow(painter: QPainter, start: QPointF, end: QPointF, color: QColor, dashed: bool = False) -> None:
        pen = QPen(color, 1.6, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine)
        painter.setPen(pen)
        painter.drawLine(start, end)
        direction = end - start
        length = max((direction.x() ** 2 + direction.y() ** 2) ** 0.5, 1e-6)
        unit = QPointF(direction.x() / length, direction.y() / length)
        normal = QPointF(-unit.y(), unit.x())
        head = QPainterPath(end)
        head.lineTo(end - unit * 8 + normal * 4)
        head.lineTo(end - unit * 8 - normal * 4)
        head.closeSubpath()
        painter.fillPath(head, color)


class UnrolledDialog(QDialog):
    def __init__(self, node, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"{node.label} unrolled over time")
        self.widget = UnrolledWidget(node.kind, node.params, self)
        note = QLabel("One cell, applied at every step with the same weights: the loop of the folded block is the "
                      "state passed from each step to the next. Training sends the gradient back along these "
                      "arrows — the Gradients tab shows how much of it reaches each step.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.widget, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
