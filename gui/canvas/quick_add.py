"""The quick-add popup: Tab (or typing) on the canvas opens a search over the block catalog at the cursor;
Enter or a click adds the chosen block there."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette, QPixmap
from PySide6.QtWidgets import (QFrame, QLineEdit, QListWidget, QListWidgetItem, QStyle, QStyledItemDelegate,
                               QVBoxLayout)

from engine.blocks import CATALOG, CATEGORIES
from engine.specs import BlockSpec

from .style import category_color

MAX_ROWS = 12  # results shown at once; more scroll


def rank(spec: BlockSpec, query: str) -> int | None:
    """How well ``spec`` matches ``query`` (lower is better); None when it does not match."""
    q = query.strip().lower()
    if not q:
        return 0
    title, ident = spec.title.lower(), spec.id.lower()
    if title.startswith(q) or ident.startswith(q):
        return 0
    if any(word.startswith(q) for word in title.replace("-", " ").split()):
        return 1
    if q in title or q in ident:
        return 2
    if q in spec.category.lower():
        return 3
    if len(q) >= 3 and q in spec.description.lower():  # shorter queries match half the descriptions
        return 4
    return None


def fits(spec: BlockSpec, kinds, wants_input: bool) -> bool:
    """Whether ``spec`` has an input (or output) port for one of the tensor ``kinds``."""
    ports = spec.inputs if wants_input else spec.outputs
    return any(set(p.kinds) & set(kinds) for p in ports)


def search(query: str, allowed=None) -> list[BlockSpec]:
    """Catalog blocks matching ``query`` (and among ``allowed`` ids, if given), best first, then in palette
    (category) order."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    hits = [(r, order.get(s.category, 99), i, s) for i, s in enumerate(CATALOG.values())
            if (allowed is None or s.id in allowed) and (r := rank(s, query)) is not None]
    return [s for *_, s in sorted(hits, key=lambda h: h[:3])]


def _swatch(color: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(color)
    return QIcon(pixmap)


class _ResultDelegate(QStyledItemDelegate):
    """Draws the block title as usual and its category, muted, at the right."""

    def paint(self, painter, option, index) -> None:
        super().paint(painter, option, index)
        category = index.data(CATEGORY_ROLE)
        if not category:
            return
        selected = option.state & QStyle.StateFlag.State_Selected
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.save()
        painter.setPen(option.palette.color(role))
        painter.drawText(option.rect.adjusted(0, 0, -8, 0), Qt.AlignmentFlag.AlignRight
                         | Qt.AlignmentFlag.AlignVCenter, category)
        painter.restore()


CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 1


class QuickAddPopup(QFrame):
    """``chosen(kind)`` fires when the user picks a block; the popup then closes (and deletes itself)."""

    chosen = Signal(str)

    def __init__(self, parent=None, text: str = "", allowed=None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.allowed = set(allowed) if allowed is not None else None
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search_field = QLineEdit(self)
        self.search_field.setPlaceholderText("Add block…")
        self.search_field.setClearButtonEnabled(True)
        self.results = QListWidget(self)
        self.results.setUniformItemSizes(True)
        self.results.setItemDelegate(_ResultDelegate(self.results))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search_field)
        layout.addWidget(self.results)
        self.resize(300, 320)  # the width; the height follows the results (_fit_height)
        self.search_field.textChanged.connect(self._filter)
        self.search_field.returnPressed.connect(self.accept_current)
        self.search_field.installEventFilter(self)
        self.results.itemActivated.connect(lambda item: self._choose(item.data(Qt.ItemDataRole.UserRole)))
        self.results.itemClicked.connect(lambda item: self._choose(item.data(Qt.ItemDataRole.UserRole)))
        self.search_field.setText(text)
        self._filter(text)
        self.search_field.setFocus()

    def kinds(self) -> list[str]:
        """The block kinds listed now, in order."""
        return [self.results.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.results.count())]

    def set_query(self, text: str) -> None:
        self.search_field.setText(text)

    def accept_current(self) -> None:
        item = self.results.currentItem()
        if item is not None:
            self._choose(item.data(Qt.ItemDataRole.UserRole))

    def _choose(self, kind: str) -> None:
        self.close()
        self.chosen.emit(kind)

    def _filter(self, text: str) -> None:
        self.results.clear()
        dark = self.palette().color(self.backgroundRole()).lightnessF() < 0.5
        for spec in search(text, self.allowed):
            item = QListWidgetItem(_swatch(category_color(spec.category, dark)), spec.title)
            item.setData(Qt.ItemDataRole.UserRole, spec.id)
            item.setData(CATEGORY_ROLE, spec.category)
            item.setToolTip(spec.description)
            self.results.addItem(item)
        if self.results.count():
            self.results.setCurrentRow(0)
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as its results (at most MAX_ROWS, then it scrolls): one block that fits a dropped wire sat at
        the top of a 320 px box."""
        rows = max(1, min(self.results.count(), MAX_ROWS))
        row = self.results.sizeHintForRow(0) if self.results.count() else self.fontMetrics().height() + 4
        self.results.setFixedHeight(rows * row + 2 * self.results.frameWidth() + 2)
        self.resize(self.width(), self.sizeHint().height())
        if self.isVisible():
            self.show_at(self.pos())  # grown by a shorter query: kept inside the screen

    def show_at(self, point: QPoint) -> None:
        """Shows the popup with its top left at ``point`` (global), moved inside the screen's free area."""
        screen = QGuiApplication.screenAt(point) or self.screen()
        self.move(point)
        self.show()  # sized by its layout once shown: placed with that size
        area = screen.availableGeometry()
        frame = self.frameGeometry()
        x = min(max(point.x(), area.left()), area.right() - frame.width() + 1)
        y = min(max(point.y(), area.top()), area.bottom() - frame.height() + 1)
        if (x, y) != (point.x(), point.y()):
            self.move(x, y)

    def eventFilter(self, watched, event) -> bool:
        # Up/Down move through the results while typing continues in the search field.
        if watched is self.search_field and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.results.count():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = (self.results.currentRow() + step) % self.results.count()
                self.results.setCurrentRow(row)
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        return super().eventFilter(watched, event)
