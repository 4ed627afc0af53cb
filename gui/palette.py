"""The block palette: catalog blocks grouped by category with coloured icons and a search field.

Drag an entry onto the canvas, or double-click / press Enter to add it at the centre of the view.
"""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from engine import specs_by_category

from .canvas import BLOCK_MIME
from .canvas.style import category_color

KIND_ROLE = Qt.ItemDataRole.UserRole


def block_icon(color: QColor, size: int = 16) -> QIcon:
    pixmap = QPixmap(size * 2, size * 2)  # drawn at 2x so it stays sharp on high-DPI screens
    pixmap.setDevicePixelRatio(2.0)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(color.darker(130))
    painter.setBrush(color)
    painter.drawRoundedRect(2, 3, size - 4, size - 6, 3, 3)
    painter.end()
    return QIcon(pixmap)


class _BlockTree(QTreeWidget):
    def startDrag(self, actions) -> None:  # noqa: N802 - Qt override
        item = self.currentItem()
        kind = item.data(0, KIND_ROLE) if item else None
        if not kind:
            return
        mime = QMimeData()
        mime.setData(BLOCK_MIME, kind.encode("utf-8"))
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(item.icon(0).pixmap(QSize(24, 24)))
        drag.exec(Qt.DropAction.CopyAction)


class PalettePanel(QWidget):
    blockActivated = Signal(str)  # a block kind id: add it at the view's centre

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search blocks…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.search.returnPressed.connect(self._activate_first_visible)
        self.tree = _BlockTree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setIndentation(12)
        self.tree.itemActivated.connect(self._activated)
        dark = self.palette().window().color().lightness() < 128
        for category, specs in specs_by_category().items():
            if not specs:
                continue
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            icon = block_icon(category_color(category, dark))
            for spec in specs:
                item = QTreeWidgetItem(group, [spec.title])
                item.setIcon(0, icon)
                item.setData(0, KIND_ROLE, spec.id)
                item.setToolTip(0, f"<b>{spec.title}</b><br>{spec.description}")
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
        self.tree.expandAll()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)

    def items(self) -> list[QTreeWidgetItem]:
        return [self.tree.topLevelItem(i).child(j) for i in range(self.tree.topLevelItemCount())
                for j in range(self.tree.topLevelItem(i).childCount())]

    def visible_kinds(self) -> list[str]:
        return [item.data(0, KIND_ROLE) for item in self.items() if not item.isHidden()]

    def filter(self, text: str) -> None:
        """Shows the blocks whose title, id or description contains every word of ``text``."""
        words = text.lower().split()
        from engine import get_spec

        for item in self.items():
            spec = get_spec(item.data(0, KIND_ROLE))
            haystack = f"{spec.title} {spec.id} {spec.category} {spec.description}".lower()
            item.setHidden(not all(w in haystack for w in words))
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            group.setHidden(all(group.child(j).isHidden() for j in range(group.childCount())))

    def _activated(self, item: QTreeWidgetItem) -> None:
        kind = item.data(0, KIND_ROLE)
        if kind:
            self.blockActivated.emit(kind)

    def _activate_first_visible(self) -> None:
        kinds = self.visible_kinds()
        if kinds:
            self.blockActivated.emit(kinds[0])
