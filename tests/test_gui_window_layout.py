"""The window around the canvas: it fits the screen, remembers its layout per screen size, has a searchable
shortcut sheet generated from its actions, and a dashboard focus mode."""
from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtGui import QGuiApplication

from gui.main_window import MainWindow, first_size
from test_gui_dash_support import EXAMPLES, release


def _window(qtbot, tmp_path, name="settings.ini"):
    window = MainWindow(QSettings(str(tmp_path / name), QSettings.Format.IniFormat), recovery_dir=tmp_path / "rec")
    window.ask_unsaved = lambda: "discard"
    qtbot.addWidget(window)
    return window


def test_the_first_window_fits_the_screen_and_its_layout_is_remembered_per_screen_size(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    room = QGuiApplication.primaryScreen().availableGeometry()
    assert not window.restore_layout()  # nothing remembered yet: sized to fit, centred
    window.show()
    frame = window.frameGeometry()
    assert frame.width() <= room.width() and frame.height() <= room.height()
    assert room.contains(frame.center())
    window.resize(room.width() - 60, room.height() - 120)
    window.training.docks["runs"].hide()
    window.close()
    key = f"window/{room.width()}x{room.height()}"
    assert window.settings.value(f"{key}/geometry") is not None

    again = _window(qtbot, tmp_path)
    assert again.restore_layout()
    again.show()
    assert abs(again.width() - window.width()) <= 2 and abs(again.height() - window.height()) <= 2
    assert not again.training.docks["runs"].isVisible() and again.training.docks["data"].isVisible()
    release(again)
    again.close()


def test_the_shortcut_sheet_lists_every_action_with_its_keys_and_filters(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    dialog = window.show_shortcuts()
    rows = {(where, action): keys for where, action, keys in dialog.rows}
    assert rows[("Training", "Start training")] == "F5"
    assert rows[("Edit", "Undo")] == "Ctrl+Z" and rows[("File", "Save")] == "Ctrl+S"
    assert rows[("View", "Dashboard focus mode")] == "F11"
    # keys the canvas handles itself are listed too (the rows had none)
    assert rows[("Edit", "Delete")] == "Del" and rows[("View", "Frame selection")] == "F"
    assert ("Canvas", "Quick add: search blocks") in rows
    # Generated from the actions: a new action appears without touching the sheet.
    window.menuBar().actions()[0].menu().addAction("Brand new thing").setShortcut("Ctrl+Alt+N")
    assert ("File", "Brand new thing") in {(w, a) for w, a, _ in window.show_shortcuts().rows}
    assert dialog.filter("f5") == 2 and dialog.filter("shift+f5") == 1  # Start, and Stop
    assert dialog.filter("canvas pan") == 1 and not dialog.table.isRowHidden(
        [a for _, a, _ in dialog.rows].index("Pan"))
    assert dialog.filter("") == len(dialog.rows)
    dialog.close()
    # What the menus show at the moment is not an action: recent files' paths, the step Undo would undo.
    from gui.commands import SetParamCommand

    window.open_file(str(EXAMPLES / "adding_rnn.json"))
    node = window.graph.by_name("rnn")
    window.undo_stack.push(SetParamCommand(window.graph, node.id, "hidden_size", 17))
    rows = window.show_shortcuts().rows
    assert ("Edit", "Undo", "Ctrl+Z") in rows and not [a for _, a, _ in rows if a.startswith("Undo ")]
    assert not [a for _, a, _ in rows if "adding_rnn.json" in a]
    release(window)


def test_dashboard_focus_mode_gives_the_plots_the_whole_window_and_docks_back(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    window.resize(1200, 800)
    window.show()
    dock = window.training.docks["dashboard"]
    window.training.actions["focus"].trigger()
    assert dock.isFloating() and dock.isVisible()
    assert dock.width() >= window.width() * 0.95 and dock.height() >= window.height() * 0.9
    assert dock.windowTitle() == "Dashboard — focus mode: F11 docks it back"  # it covers the menu bar
    window.training.actions["focus"].trigger()
    assert not dock.isFloating() and dock.windowTitle() == "Dashboard"
    release(window)


def test_leaving_focus_mode_puts_the_dashboard_back_in_front_at_its_height(qtbot, tmp_path):
    window = _window(qtbot, tmp_path)
    window.resize(1200, 800)
    window.show()
    dock = window.training.docks["dashboard"]
    dock.raise_()
    qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty())
    height = dock.height()
    for _ in range(2):  # in and out twice: nothing drifts
        window.training.actions["focus"].trigger()
        qtbot.waitUntil(dock.isFloating)
        window.training.actions["focus"].trigger()
        qtbot.waitUntil(lambda: not dock.isFloating() and not dock.visibleRegion().isEmpty())
        assert abs(dock.height() - height) <= 2
    # In front of its tab group (Qt alone docked it back behind Experiments), and the group shows one tab bar.
    for other in window.tabifiedDockWidgets(dock):
        assert other.visibleRegion().isEmpty(), other.windowTitle()
    release(window)


def test_the_first_window_uses_a_large_screen_and_fits_a_small_one():
    assert first_size(1280, 720) == (1203, 648)  # whole window within a 1280x720 screen, room for the title bar
    assert first_size(1600, 1000) == (1500, 900)
    assert first_size(1920, 1080) == (1536, 920)
    assert first_size(3840, 2160) == (3072, 1836)  # 4K at 100 %: four fifths of the screen, not a stamp in the middle


def test_on_a_1280x720_screen_no_dock_cuts_off_its_panel(qtbot, tmp_path):
    """Each dock's panel fits its width in the first window of a 1280x720 screen (a panel wider than its dock
    scrolls up and down only: what stood past the edge, buttons included, was cut off)."""
    from pathlib import Path

    from PySide6.QtWidgets import QDockWidget, QScrollArea

    window = _window(qtbot, tmp_path)
    window.resize(*first_size(1280, 720))
    window.show()
    examples = Path(__file__).resolve().parent.parent / "examples"
    # More settings open too: its probes in one row were 433 px wide, past the Training dock's edge
    window.training.training_panel.more_toggle.setChecked(True)
    for name in ("names.json", "co2.json", "seq2seq.json", "charlm.json"):
        assert window.open_file(examples / name)
        qtbot.wait(50)
        for dock in window.findChildren(QDockWidget):
            if not dock.isVisible():
                continue
            inner = dock.widget()
            room = inner.viewport().width() if isinstance(inner, QScrollArea) else dock.width()
            panel = inner.widget() if isinstance(inner, QScrollArea) else inner
            assert panel.minimumSizeHint().width() <= room, (name, dock.windowTitle())
        training = window.training.training_panel  # the Training dock scrolls its settings itself
        for form in (training.basics, training.more):
            assert form.minimumSizeHint().width() <= training.scroll.viewport().width(), name
    release(window)


def test_on_a_1280x720_screen_the_inspector_fits_every_kind_of_block(qtbot, tmp_path):
    """The Inspector is 180 px wide there: a block's title, the Unroll button and its outputs' shapes stood past
    the dock's edge, and the form beside them was cut off with its help texts."""
    from PySide6.QtWidgets import QScrollArea

    from engine.blocks import CATALOG

    window = _window(qtbot, tmp_path)
    window.resize(*first_size(1280, 720))
    window.show()
    window.new_document()
    scroll = window.inspector.findChild(QScrollArea)
    for kind in CATALOG:
        node = window.graph.add_node(kind)
        window.scene.select_nodes([node.id])
        panel = scroll.widget()
        assert panel.minimumSizeHint().width() <= scroll.viewport().width(), kind
    window.undo_stack.setClean()
    release(window)
