"""Combo and spin boxes that a wheel turn does not change until they have the focus (a click or Tab): over one the
wheel scrolls the panel around it. Scrolling the Training dock past its Optimizer or Device box used to switch it.

Subclasses overriding only ``wheelEvent``, not an event filter: a filter runs Python for every event it sees
(paints, hovers), and each such call takes the GIL from a training thread (see gui/forms.py's rows)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QComboBox, QDoubleSpinBox, QSpinBox, QWidget


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


class _WheelSafe:
    """Before a Qt box class: the wheel changes the value only with the focus, else scrolls the area around."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # WheelFocus would focus it on the first wheel turn

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt's name
        if self.hasFocus():
            super().wheelEvent(event)
            return
        area = _scroll_area_around(self)
        if area is None:
            event.ignore()
        else:  # handed on explicitly: Qt passes an event that was sent again (not from the system) to no parent
            QApplication.sendEvent(area.viewport(), event)


class WheelSafeComboBox(_WheelSafe, QComboBox):
    pass


class WheelSafeSpinBox(_WheelSafe, QSpinBox):
    pass


class WheelSafeDoubleSpinBox(_WheelSafe, QDoubleSpinBox):
    pass
