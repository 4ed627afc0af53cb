"""The start page: a new empty model, the bundled examples with their one-line descriptions, recent files."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout,
                               QWidget)

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def example_documents(directory: Path = EXAMPLES_DIR) -> list[tuple[Path, str]]:
    """(path, description) of every example, read without building graphs so the page opens instantly."""
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            description = json.loads(path.read_text(encoding="utf-8")).get("description", "")
        except (OSError, ValueError):
            continue
        found.append((path, description if isinstance(description, str) else ""))
    return found


class StartPage(QWidget):
    openRequested = Signal(str)
    newRequested = Signal()
    openDialogRequested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        title = QLabel("RNN Studio")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 2.2)
        font.setBold(True)
        title.setFont(font)
        subtitle = QLabel("Design recurrent networks, watch them learn, export them.")
        subtitle.setEnabled(False)

        new_button = QPushButton("New model")
        new_button.clicked.connect(self.newRequested)
        open_button = QPushButton("Open…")
        open_button.clicked.connect(self.openDialogRequested)
        buttons = QHBoxLayout()
        buttons.addWidget(new_button)
        buttons.addWidget(open_button)
        buttons.addStretch(1)

        self.examples = QListWidget()
        self.examples.setWordWrap(True)
        self.examples.setAlternatingRowColors(True)
        for path, description in example_documents():
            item = QListWidgetItem(f"{path.stem}\n{description}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.examples.addItem(item)
        self.recent = QListWidget()
        self.recent.setAlternatingRowColors(True)
        for widget in (self.examples, self.recent):
            widget.itemActivated.connect(self._activated)
            widget.itemDoubleClicked.connect(self._activated)

        columns = QHBoxLayout()
        for caption, widget, stretch in (("Examples", self.examples, 3), ("Recent files", self.recent, 2)):
            column = QVBoxLayout()
            label = QLabel(caption)
            bold = label.font()
            bold.setBold(True)
            label.setFont(bold)
            column.addWidget(label)
            column.addWidget(widget)
            columns.addLayout(column, stretch)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 36, 48, 36)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(12)
        layout.addLayout(buttons)
        layout.addSpacing(12)
        layout.addLayout(columns, 1)

    def set_recent(self, paths: list[Path]) -> None:
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{path.name} — {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            self.recent.addItem(item)
        if not paths:
            placeholder = QListWidgetItem("No recent files yet")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(placeholder)

    def _activated(self, item: QListWidgetItem) -> None:
        path = item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.openRequested.emit(path)
