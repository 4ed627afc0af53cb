"""Each group of tabbed docks shows one tab bar: none of the stray bars QMainWindow leaves behind (a "Problems |
Model summary" strip over the Inspector), in a new layout and in one restored from the settings."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabBar

from gui.main_window import MainWindow


def visible_groups(window) -> list[list[str]]:
    window.show()
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    return sorted([b.tabText(i).split(" (")[0] for i in range(b.count())] for b in bars)


EXPECTED = [["Data", "Training", "Runs", "Try it"], ["Inspector", "Help"],
            ["Problems", "Model summary", "Experiments", "Dashboard"]]


def test_a_new_and_a_restored_layout_show_one_tab_bar_per_group(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings, recovery_dir=tmp_path / "recovery")
    qtbot.addWidget(window)
    window.resize(1280, 720)
    assert visible_groups(window) == sorted(EXPECTED)
    window.save_layout()
    again = MainWindow(settings, recovery_dir=tmp_path / "recovery")
    qtbot.addWidget(again)
    assert again.restore_layout()
    assert visible_groups(again) == sorted(EXPECTED)
