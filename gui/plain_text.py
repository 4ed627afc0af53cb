"""User text shown as text: block names, file paths, column names and typed values reach labels and message boxes
inside messages, and Qt renders a label's or a box's text as HTML when it looks like HTML ("<b>x</b>" in a
block name showed a bold x; a Param's "(>= 1, <= 4096)" lost everything after "<"). Labels that show messages
are plain; labels that use HTML for layout escape what they quote (``html.escape``)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

Button = QMessageBox.StandardButton


def plain(label: QLabel) -> QLabel:
    """``label``, set to show its text as it is (never as HTML)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def message_box(parent: QWidget | None, icon: QMessageBox.Icon, title: str, text: str,
                buttons: Button = Button.Ok, default: Button = Button.NoButton) -> Button:
    """A modal message box whose text is plain; returns the button chosen."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    if default != Button.NoButton:
        box.setDefaultButton(default)
    return Button(box.exec())


def ask(parent: QWidget | None, title: str, text: str) -> bool:
    """Yes or No, No unless chosen."""
    return message_box(parent, QMessageBox.Icon.Question, title, text, Button.Yes | Button.No) == Button.Yes
