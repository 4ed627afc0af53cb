"""The start page: a new empty model, the bundled examples grouped by the lesson they teach (with what to look
at), and recent files. Help > Lessons opens it again."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QPushButton, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from .lessons import LESSONS, MORE

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

        self.examples = QTreeWidget()
        self.examples.setHeaderHidden(True)
        self.examples.setWordWrap(True)
        self.examples.setUniformRowHeights(False)
        self.examples.header().setStretchLastSection(True)  # the column is the list's width: long lines wrap
        self.examples.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.examples.setAlternatingRowColors(True)
        self.examples.itemActivated.connect(self._activated)
        self.examples.itemDoubleClicked.connect(self._activated)
        self.fill_lessons()
        self.recent = QListWidget()
        self.recent.setAlternatingRowColors(True)
        self.recent.itemActivated.connect(self._activated)
        self.recent.itemDoubleClicked.connect(self._activated)

        columns = QHBoxLayout()
        for caption, widget, stretch in (("Lessons and examples", self.examples, 3), ("Recent files", self.recent, 2)):
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

    def fill_lessons(self) -> None:
        """One branch per lesson (its title and where to look), its examples under it in order."""
        self.examples.clear()
        examples = {path.stem: (path, description) for path, description in example_documents()}
        groups = [(title, look, [n for n in names if n in examples]) for title, look, names in LESSONS]
        groups.append((MORE, "", [n for n in examples if not any(n in names for _, _, names in LESSONS)]))
        for title, look, names in groups:
            if not names:
                continue
            lesson = QTreeWidgetItem([f"{title} — {look}" if look else title])
            bold = lesson.font(0)
            bold.setBold(True)
            lesson.setFont(0, bold)
            lesson.setFlags(Qt.ItemFlag.ItemIsEnabled)
            lesson.setToolTip(0, f"{title}: {look}" if look else title)
            self.examples.addTopLevelItem(lesson)
            for name in names:
                path, description = examples[name]
                first = description.split(". ")[0].strip().rstrip(".")
                item = QTreeWidgetItem([f"{name}: {first}" if first else name])
                item.setData(0, Qt.ItemDataRole.UserRole, str(path))
                item.setToolTip(0, description or str(path))
                lesson.addChild(item)
            lesson.setExpanded(True)

    def example_names(self) -> list[str]:
        """Every example listed, in page order (an example may teach more than one lesson)."""
        names = []
        for i in range(self.examples.topLevelItemCount()):
            lesson = self.examples.topLevelItem(i)
            names += [Path(lesson.child(j).data(0, Qt.ItemDataRole.UserRole)).stem for j in range(lesson.childCount())]
        return names

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

    def _activated(self, item, _column: int = 0) -> None:
        path = item.data(0, Qt.ItemDataRole.UserRole) if isinstance(item, QTreeWidgetItem) else \
            item.data(Qt.ItemDataRole.UserRole)
        if path:
            self.openRequested.emit(path)
