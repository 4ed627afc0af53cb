"""LazyWidget: a place in a layout whose content is made when it is first shown or first asked for.

The window's launch paid for every pyqtgraph plot (and for importing pyqtgraph, 0.25 s on a quiet 2-core machine)
before its first paint, although the plots are empty until data or a run arrives. A LazyWidget holds the place and
makes its content once shown, on the next turn of the event loop; while the launch waits for the window's first
paint (``wait_for_first_paint()`` … ``first_paint_done()``, gui.app) that turn comes after the paint (a zero timer
alone ran before it). Code that needs the content at once calls ``ensure()``.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget
from shiboken6 import isValid

_before_first_paint: list[LazyWidget] | None = None  # shown while the launch waits for its first paint


def wait_for_first_paint() -> None:
    """LazyWidgets shown from now on wait for ``first_paint_done()``."""
    global _before_first_paint
    _before_first_paint = []


def first_paint_done() -> None:
    """The window has painted: the LazyWidgets shown meanwhile make their content, one per event-loop turn."""
    global _before_first_paint
    waiting, _before_first_paint = _before_first_paint or [], None
    for widget in waiting:
        if isValid(widget):
            QTimer.singleShot(0, widget, widget.ensure)


class LazyWidget(QWidget):
    def __init__(self, build: Callable[[], QWidget], parent: QWidget | None = None):
        super().__init__(parent)
        self._build = build
        self.content: QWidget | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

    @property
    def made(self) -> bool:
        return self.content is not None

    def ensure(self) -> QWidget:
        """The content, made now if it was not yet."""
        if self.content is None:
            self.content = self._build()
            self.layout().addWidget(self.content)
        return self.content

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.content is None:
            if _before_first_paint is not None:
                _before_first_paint.append(self)
            else:
                QTimer.singleShot(0, self, self.ensure)
