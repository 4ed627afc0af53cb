"""Help > Keyboard shortcuts: a searchable sheet of every action of the window with its keys, generated from
the window's QActions (so it cannot go stale) plus the canvas's own gestures (gui.canvas.view.GESTURES)."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHeaderView, QLineEdit, QMainWindow, QMenu,
                               QTableWidget, QTableWidgetItem, QVBoxLayout)

from .canvas.view import GESTURES


SHEET_SKIPS = "shortcut_sheet_skips"  # a menu property: its entries are not actions (Open Recent's file paths)
SHEET_NAME = "shortcut_sheet_name"  # an action property: its name on the sheet where its text changes (Undo)


def shortcut_rows(window: QMainWindow) -> list[tuple[str, str, str]]:
    """(where, action, keys) for every named action of the window's menus and every canvas gesture."""
    rows, seen = [], set()

    def visit(menu: QMenu, where: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                if not action.menu().property(SHEET_SKIPS):
                    visit(action.menu(), f"{where} ▸ {action.menu().title().replace('&', '')}")
            elif action.text() and not action.isSeparator() and id(action) not in seen:
                seen.add(id(action))
                text = action.property(SHEET_NAME) or action.text()
                name, _tab, canvas_keys = text.partition("\t")  # keys the canvas handles itself
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                rows.append((where, name.replace("&", "").rstrip("…"), keys or canvas_keys))

    for action in window.menuBar().actions():
        if action.menu() is not None:
            visit(action.menu(), action.menu().title().replace("&", ""))
    for action in window.findChildren(QAction):  # window-wide shortcuts that live outside the menus
        if id(action) not in seen and action.text() and action.shortcuts():
            seen.add(id(action))
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
            rows.append(("Window", action.text().replace("&", ""), keys))
    rows += [("Canvas", what, keys) for what, keys in GESTURES]
    return rows


class ShortcutsDialog(QDialog):
    """The sheet: type to filter by action, menu or key."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.setWindowTitle("Keyboard shortcuts")
        self.resize(640, 560)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search actions or keys (e.g. undo, Ctrl+E, canvas)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.rows = shortcut_rows(window)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSortingEnabled(False)
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)

    def filter(self, text: str) -> int:
        """Shows the rows containing every word of ``text``; returns how many are shown."""
        words = text.lower().split()
        shown = 0
        for r, row in enumerate(self.rows):
            hay = " ".join(row).lower()
            visible = all(word in hay for word in words)
            self.table.setRowHidden(r, not visible)
            shown += visible
        return shown
