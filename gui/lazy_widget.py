"""LazyWidget: a place in a layout whose content is made when it is first shown or first asked for.

The window's launch paid for every pyqtgraph plot (and for importing pyqtgraph, 0.25 s on a quiet 2-core machine)
before its first paint, although the plots are empty until data or a run arrives. A LazyWidget holds the place and
makes its content once shown, on a later turn of the event loop: after the window's first paint while the launch
waits for it (gui.first_paint; a zero timer alone ran before the paint). Code that needs the content at once calls
``ensure()``.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtWidgets import QVBoxLayout, QWidget

from .first_paint import after_first_paint


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
            after_first_paint(self, self.ensure)


def made_on_use(slot: str, part: Callable[[QWidget], object] = lambda content: content) -> property:
    """A read-only property: ``part(content)`` of the LazyWidget in attribute ``slot``, its content made if needed."""
    return property(lambda owner: part(getattr(owner, slot).ensure()))
