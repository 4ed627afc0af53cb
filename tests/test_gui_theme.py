"""View > Theme: light, dark or the system's; the window, the canvas and every plot follow, and the choice is
remembered for the next window."""
from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication, QPalette

from gui.main_window import MainWindow
from test_gui_dash_support import release


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp_path / "r")
    win.ask_unsaved = lambda: "discard"
    qtbot.addWidget(win)
    win.show()
    yield win
    win.set_theme("light")  # the application's palette is global: leave it as the other tests expect
    release(win)


def _backgrounds(window) -> set[str]:
    return {view.backgroundBrush().color().name() for view in window.findChildren(pg.GraphicsView)}


def test_dark_theme_reaches_the_window_the_canvas_and_every_plot_and_is_remembered(window, qtbot, tmp_path):
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).lightnessF() > 0.5
    assert _backgrounds(window) == {"#ffffff"} and not window.scene.canvas_palette.dark
    assert window.set_theme("dark") == "dark"
    qtbot.waitUntil(lambda: window.scene.canvas_palette.dark, timeout=5000)  # the canvas follows the palette
    assert QGuiApplication.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5
    assert _backgrounds(window) == {"#1e1f22"}  # dashboard, data, runs and try-it plots alike
    axis = window.training.dashboard.loss.plot.getAxis("left")
    assert axis.textPen().color().name() == "#c8c8c8"
    checked = [a.data() for a in window.theme_actions.actions() if a.isChecked()]
    assert checked == ["dark"]
    # A plot made after the switch is dark too, and the next window opens dark.
    assert pg.PlotWidget().backgroundBrush().color().name() == "#1e1f22"
    again = MainWindow(window.settings, recovery_dir=tmp_path / "r2")
    qtbot.addWidget(again)
    assert [a.data() for a in again.theme_actions.actions() if a.isChecked()] == ["dark"]
    release(again)
    window.set_theme("light")
    assert _backgrounds(window) == {"#ffffff"} and QGuiApplication.palette().color(QPalette.ColorRole.Window).lightnessF() > 0.5


def test_check_boxes_show_their_box_and_mark_in_the_dark_theme(window, qtbot):
    """Fusion framed a check box in the window colour made darker: in the dark theme a checked box was a bare mark
    and an unchecked one dark on dark."""
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import QApplication, QCheckBox

    def colours(box) -> set[str]:
        image = box.grab().toImage()
        return {QColor(image.pixel(x, y)).name() for x in range(min(image.width(), 20)) for y in range(image.height())}

    checked, unchecked = QCheckBox("on", window), QCheckBox("off", window)
    checked.setChecked(True)
    for box in (checked, unchecked):
        box.show()
    window.set_theme("dark")
    assert "#2f65ca" in colours(checked) and "#8c8f94" in colours(unchecked)  # the fill, the frame
    window.set_theme("light")
    assert QApplication.instance().styleSheet() == ""
