"""A wheel turn over a form scrolls the form: over a combo box or spin box the user has not clicked into, it goes
to the panel around it instead of changing the value. Scrolling the Training dock past its Device box used to
switch the device; a value changes by the wheel only once its editor has the focus (a click or Tab)."""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QComboBox, QAbstractSpinBox)


class WheelGuard(QObject):
    """Installed once on the application: sees every widget's events before the widget does."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(watched, GUARDED):
            # WheelFocus (their default) would hand them the focus on the first wheel turn, before this filter.
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        elif kind == QEvent.Type.Wheel and isinstance(watched, GUARDED) and not watched.hasFocus():
            area = _scroll_area_around(watched)
            if area is not None:  # Qt passes a re-sent wheel event on to no parent: hand it to the area itself
                QApplication.sendEvent(area.viewport(), event)
            return True
        return False


def _scroll_area_around(widget: QWidget) -> QAbstractScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent


def install_wheel_guard(app: QApplication) -> WheelGuard:
    """Installs the guard on ``app`` unless it has one (every window of the application shares it)."""
    guard = app.findChild(WheelGuard)
    if guard is None:
        guard = WheelGuard(app)
        app.installEventFilter(guard)
    return guard
