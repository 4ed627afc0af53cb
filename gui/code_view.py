"""The "View code" dialog: the whole model as a person would write it (the Python export: classes, __init__ and
forward) and the torch.fx forward the studio runs, highlighted, with a Copy button for the tab shown."""
from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton,
                               QTabWidget, QVBoxLayout)


def _format(color: str, bold: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(QColor(color))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    return fmt


class PythonHighlighter(QSyntaxHighlighter):
    RULES = [
        (re.compile(r"\b(" + "|".join(keyword.kwlist) + r")\b"), _format("#c678dd", bold=True)),
        (re.compile(r"\bself\b"), _format("#e06c75")),
        (re.compile(r"\b\d+(\.\d+)?\b"), _format("#d19a66")),
        (re.compile(r"'[^']*'|\"[^\"]*\""), _format("#98c379")),
        (re.compile(r"#.*$"), _format("#7f848e")),
    ]

    def highlightBlock(self, text: str) -> None:  # noqa: N802 - Qt override
        for pattern, fmt in self.RULES:
            for match in pattern.finditer(text):
                self.setFormat(match.start(), match.end() - match.start(), fmt)


class CodeDialog(QDialog):
    """``code`` is one text, or (tab title, text) pairs: one highlighted, read-only editor per tab."""

    def __init__(self, code, parent=None, note: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Generated PyTorch code")
        pages = [("Code", code)] if isinstance(code, str) else list(code)
        self.editors, self.highlighters = [], []
        self.tabs = QTabWidget()
        for title, text in pages:
            editor = QPlainTextEdit(text)
            editor.setReadOnly(True)
            editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            self.highlighters.append(PythonHighlighter(editor.document()))
            self.editors.append(editor)
            self.tabs.addTab(editor, title)
        self.tabs.setTabBarAutoHide(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setEnabled(any(text for _, text in pages))
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        self.resize(820, 560)

    @property
    def editor(self) -> QPlainTextEdit:
        """The editor of the tab shown."""
        return self.tabs.currentWidget()

    def copy(self) -> None:
        QApplication.clipboard().setText(self.editor.toPlainText())
