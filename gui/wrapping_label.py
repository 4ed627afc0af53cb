"""WrappingLabel: a word-wrapped label that takes the height its text needs at its width, without telling the
layouts above it that its height depends on its width.

A plain word-wrapped QLabel makes every layout above it "height for width", and a QScrollArea holding such a
layout sizes its widget by the preferred height of everything in it: the docked dashboard grew to 1,066 px in a
290 px strip and always scrolled, its plots cut off below their axes. This label sets its own minimum height
instead, as its width changes.
"""
from __future__ import annotations

import html

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QSizePolicy


class WrappingLabel(QLabel):
    def __init__(self, text: str = "", parent=None):
        super().__init__(parent)
        # QLabel.heightForWidth never answers less than the minimum height set here: an unshown twin measures.
        self._ruler = QLabel(self)
        self._ruler.setWordWrap(True)
        self._ruler.hide()  # stays hidden when the label is shown
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.setText(text)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt's name
        return False

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, max(self.minimumHeight(), self.fontMetrics().height()))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(super().sizeHint().width(), self.minimumSizeHint().height())

    def setText(self, text: str) -> None:  # noqa: N802 - Qt's name
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def changeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):  # a style sheet may set the font
            self._fit()

    def _fit(self) -> None:
        ruler = self._ruler
        ruler.setFont(self.font())
        ruler.setTextFormat(self.textFormat())
        ruler.setContentsMargins(self.contentsMargins())
        ruler.setMargin(self.margin())
        ruler.setIndent(self.indent())
        ruler.setText(self.text())
        height = ruler.heightForWidth(max(1, self.width()))
        if height > 0 and height != self.minimumHeight():
            self.setMinimumHeight(height)


def wrapping_tooltip(text: str) -> str:
    """``text`` (plain, several lines allowed) as a tooltip that wraps: Qt wraps only rich-text tooltips, and a long
    plain one (a failed trial's message) ran past the screen's edge with its start cut off."""
    if not text:
        return ""
    return "<p>" + "<br>".join(html.escape(line) for line in text.splitlines()) + "</p>"
