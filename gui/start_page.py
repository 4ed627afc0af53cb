"""The start page: a new empty model, the bundled examples grouped by the lesson they teach — each with a
thumbnail of its graph, what you will see and where to look, and how long it trains on a CPU — and recent files.
Help > Lessons opens it again."""
from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QEvent, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QFontMetrics, QIcon, QKeySequence
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QListWidget, QListWidgetItem, QPushButton,
                               QStyledItemDelegate, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from .lessons import LESSONS, MORE, SEE, cpu_time
from .thumbnails import thumbnail

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"


def is_bundled_example(path) -> bool:
    """Whether ``path`` is one of the examples installed with the studio: never overwritten, and its runs go to
    the application's data folder, not into the install."""
    try:
        return Path(path).resolve().parent == EXAMPLES_DIR.resolve()
    except OSError:
        return False


THUMBNAIL = QSize(150, 64)


def read_examples(directory: Path = EXAMPLES_DIR) -> list[tuple[Path, dict]]:
    """(path, parsed JSON) of every example, read without building graphs so the page opens instantly."""
    found = []
    for path in sorted(directory.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict):
            found.append((path, data))
    return found


def _description(data: dict) -> str:
    description = data.get("description", "")
    return description if isinstance(description, str) else ""


def example_documents(directory: Path = EXAMPLES_DIR) -> list[tuple[Path, str]]:
    """(path, description) of every example."""
    return [(path, _description(data)) for path, data in read_examples(directory)]


def example_line(name: str, description: str) -> str:
    """The line under an example's name: what you will see and where to look (else its description's first
    sentence), and how long it trains on a CPU when that was measured."""
    line = SEE.get(name) or description.split(". ")[0].strip().rstrip(".")
    took = cpu_time(name)
    return f"{line}\n{took}" if took else line


class _WrappingDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the list's current width: QTreeView alone sizes a row for one line
    (or its icon) and elides the rest, and nothing on this page may be cut off."""

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        view = self.parent()
        depth, parent = 1, index.parent()
        while parent.isValid():
            depth, parent = depth + 1, parent.parent()
        icon = view.iconSize().width() + 12 if index.data(Qt.ItemDataRole.DecorationRole) is not None else 0
        width = max(80, view.viewport().width() - view.indentation() * depth - icon - 16)
        font = index.data(Qt.ItemDataRole.FontRole) or option.font
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        height = QFontMetrics(font).boundingRect(QRect(0, 0, width, 100000), Qt.TextFlag.TextWordWrap, text).height()
        return QSize(hint.width(), max(hint.height(), height + 10))


RECENT_STRETCH = 1  # against the lessons' 3: at 1280 px a two-fifths share squeezed each lesson into seven lines


class _LessonTree(QTreeWidget):
    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.scheduleDelayedItemsLayout()  # rows wrap to the new width


class StartPage(QWidget):
    openRequested = Signal(str)
    newRequested = Signal()
    openDialogRequested = Signal()
    backRequested = Signal()  # back to the open document's canvas (the button, or Esc)

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
        # Help > Lessons and File > Start page show this page over an open document: the way back to it, with
        # its undo history (opening it again from Recent files asked to save, then dropped the history).
        self.back_button = QPushButton()
        self.back_button.setToolTip("Back to the open model's canvas (Esc)")
        self.back_button.clicked.connect(self.backRequested)
        self.back_button.hide()
        back = QAction("Back to the model", self)
        back.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        back.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        back.triggered.connect(lambda: self.back_button.isVisible() and self.backRequested.emit())
        self.addAction(back)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(new_button)
        buttons.addWidget(open_button)
        buttons.addStretch(1)

        self.examples = _LessonTree()
        self.examples.setItemDelegate(_WrappingDelegate(self.examples))
        self.examples.setHeaderHidden(True)
        self.examples.setWordWrap(True)
        self.examples.setUniformRowHeights(False)
        self.examples.header().setStretchLastSection(True)  # the column is the list's width: long lines wrap
        self.examples.header().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.examples.setAlternatingRowColors(True)
        self.examples.setIconSize(THUMBNAIL)
        self.examples.setToolTip("Click an example (or press Enter) to open it")
        self.fill_lessons()
        self.recent = QListWidget()
        self.recent.setAlternatingRowColors(True)
        # A narrow column: the file's name first, then its folder shortened at its end (the whole path is the
        # row's tooltip), never scrolled sideways; shortened in the middle, the name itself was cut
        self.recent.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.recent.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # The rows look like links, and a new user clicks them once (a double-click only selected a row): one
        # click opens, Enter too. The hand cursor over a row that opens says so before the click.
        for view in (self.examples, self.recent):
            view.itemClicked.connect(self._activated)
            view.itemActivated.connect(self._activated)
            view.setMouseTracking(True)
            view.viewport().installEventFilter(self)

        columns = QHBoxLayout()
        for caption, widget, stretch in (("Lessons and examples", self.examples, 3), ("Recent files", self.recent, RECENT_STRETCH)):
            column = QVBoxLayout()
            label = QLabel(caption)
            bold = label.font()
            bold.setBold(True)
            label.setFont(bold)
            column.addWidget(label)
            column.addWidget(widget)
            columns.addLayout(column, stretch)
        self.recent_label = label  # the recent column shows once there is a file to list (set_recent)
        self._columns = columns

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
        self._documents = dict(read_examples())
        examples = {path.stem: (path, data) for path, data in self._documents.items()}
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
                path, data = examples[name]
                description = _description(data)
                item = QTreeWidgetItem([f"{name}: {example_line(name, description)}"])
                item.setData(0, Qt.ItemDataRole.UserRole, str(path))
                item.setToolTip(0, description or str(path))
                lesson.addChild(item)
            lesson.setExpanded(True)
        self.refresh_thumbnails()

    def refresh_thumbnails(self) -> None:
        """Draws every example's graph in the current theme (cached: only a new theme or file draws again)."""
        documents = self._documents
        ratio = self.devicePixelRatioF()
        for i in range(self.examples.topLevelItemCount()):
            lesson = self.examples.topLevelItem(i)
            for j in range(lesson.childCount()):
                item = lesson.child(j)
                path = Path(item.data(0, Qt.ItemDataRole.UserRole))
                if path in documents:
                    item.setIcon(0, QIcon(thumbnail(path, documents[path], THUMBNAIL.width(), THUMBNAIL.height(),
                                                    self.palette(), ratio)))

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "_documents"):  # the theme changed: thumbnails in its colours
            self.refresh_thumbnails()

    def example_names(self) -> list[str]:
        """Every example listed, in page order (an example may teach more than one lesson)."""
        names = []
        for i in range(self.examples.topLevelItemCount()):
            lesson = self.examples.topLevelItem(i)
            names += [Path(lesson.child(j).data(0, Qt.ItemDataRole.UserRole)).stem for j in range(lesson.childCount())]
        return names

    def set_back(self, name: str | None) -> None:
        """Offers the way back to the open document ``name`` (None: there is none to go back to)."""
        self.back_button.setText(f"← Back to {name}" if name else "")
        self.back_button.setVisible(bool(name))

    def set_recent(self, paths: list[Path]) -> None:
        self.recent.clear()
        for path in paths:
            item = QListWidgetItem(f"{path.name} — {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            self.recent.addItem(item)
        # Until there is one, the lessons take the recent files' column too: at 1280 px an empty list took two
        # fifths of the page and squeezed each lesson's line into seven.
        self.recent.setVisible(bool(paths))
        self.recent_label.setVisible(bool(paths))
        self._columns.setStretch(1, RECENT_STRETCH if paths else 0)  # an emptied column kept its share

    @staticmethod
    def _path(item) -> str | None:
        return item.data(0, Qt.ItemDataRole.UserRole) if isinstance(item, QTreeWidgetItem) else \
            item.data(Qt.ItemDataRole.UserRole)

    def _activated(self, item, _column: int = 0) -> None:
        path = self._path(item)
        if path:
            self.openRequested.emit(path)
        elif isinstance(item, QTreeWidgetItem):  # a lesson's title: a click folds or unfolds its examples
            item.setExpanded(not item.isExpanded())

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.MouseMove:  # a hand over a row that opens; a lesson's title only folds
            item = watched.parent().itemAt(event.position().toPoint())
            if item is not None and self._path(item):
                watched.setCursor(Qt.CursorShape.PointingHandCursor)
            else:
                watched.unsetCursor()
        return False
