"""The "View code" dialog: the generated PyTorch forward of the current graph, highlighted, with a Copy button."""
from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QColor, QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (QApplication, QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton,
                               QVBoxLayout)


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
    def __init__(self, code: str, parent=None, note: str = ""):
        super().__init__(parent)
        self.setWindowTitle("Generated PyTorch code")
        self.editor = QPlainTextEdit(code)
        self.editor.setReadOnly(True)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.highlighter = PythonHighlighter(self.editor.document())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy")
        self.copy_button.setEnabled(bool(code))
        self.copy_button.clicked.connect(self.copy)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            layout.addWidget(label)
        layout.addWidget(self.editor)
        layout.addWidget(buttons)
        self.resize(820, 560)

    def copy(self) -> None:
        QApplication.clipboard().setText(self.editor.toPlainText())
