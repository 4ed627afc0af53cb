"""Scrolling the Training dock scrolls it: the wheel over a combo box or spin box not clicked into moves the
panel and leaves the value alone (it used to switch the optimizer or the device); once focused, the wheel
changes the value as in any Qt form."""
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox

from gui.training.settings_panel import TrainingPanel
from gui.wheel_guard import WheelSafeComboBox


def wheel(widget, steps: int = -1) -> None:
    """Turns the wheel over ``widget``'s centre (negative: towards the user, i.e. scroll down, next value)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0), QPoint(0, 120 * steps),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


@pytest.fixture
def panel(qtbot):
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.more_toggle.setChecked(True)  # a long form: it scrolls in a short panel
    panel.resize(320, 260)
    panel.show()
    qtbot.waitExposed(panel)
    assert panel.scroll.verticalScrollBar().maximum() > 0
    return panel


def combo_of(panel, name):
    editor = panel.editors[name].widget
    assert isinstance(editor, QComboBox)
    return editor


def test_the_wheel_over_an_unfocused_combo_box_scrolls_the_panel(panel):
    optimizer = combo_of(panel, "optimizer")
    before = optimizer.currentIndex()
    bar = panel.scroll.verticalScrollBar()
    bar.setValue(0)
    wheel(optimizer)
    assert optimizer.currentIndex() == before
    assert bar.value() > 0  # the panel scrolled instead


def test_the_wheel_over_an_unfocused_spin_box_leaves_its_value(panel):
    spin = panel.editors["epochs"].widget
    before = spin.value()
    assert spin.minimum() < before < spin.maximum()
    wheel(spin, 1)
    assert spin.value() == before


def test_a_focused_editor_still_takes_the_wheel(panel, qtbot):
    optimizer = combo_of(panel, "optimizer")
    optimizer.setFocus()
    qtbot.waitUntil(optimizer.hasFocus)
    before = optimizer.currentIndex()
    wheel(optimizer, -1 if before + 1 < optimizer.count() else 1)
    assert optimizer.currentIndex() != before


def test_a_wheel_turn_gives_no_focus_and_outside_a_scroll_area_goes_to_the_parent(panel, qtbot):
    assert panel.device.focusPolicy() == Qt.FocusPolicy.StrongFocus  # WheelFocus: the first turn focused it
    combo = WheelSafeComboBox()
    qtbot.addWidget(combo)
    combo.addItems(["a", "b"])
    centre = QPointF(combo.rect().center())
    event = QWheelEvent(centre, centre, QPoint(0, 0), QPoint(0, -120), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(combo, event)
    assert combo.currentIndex() == 0 and not event.isAccepted()  # ignored: Qt offers it to the parent


def test_the_window_makes_every_combo_and_spin_box_wheel_safe():
    import re
    from pathlib import Path

    made = re.compile(r"\bQ(ComboBox|SpinBox|DoubleSpinBox)\(")
    gui = Path(__file__).resolve().parent.parent / "gui"
    plain = [f"{path.relative_to(gui)}:{number}" for path in gui.rglob("*.py") if path.name != "wheel_guard.py"
             for number, line in enumerate(path.read_text().splitlines(), 1) if made.search(line)]
    assert plain == [], "use gui.wheel_guard's WheelSafe* boxes"
