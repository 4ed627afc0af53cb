"""The start page as a learner meets it: every example under its lesson with a picture of its graph, what to look
at and how long it trains, nothing cut off at 1280x720, in both themes; Enter opens an example, Help > Lessons
comes back to the page."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPixmap
from PySide6.QtWidgets import QApplication

from gui import thumbnails
from gui.canvas.style import CanvasPalette, category_color
from gui.lessons import cpu_time
from gui.main_window import MainWindow
from gui.start_page import StartPage
from gui.theme import apply_theme, dark_palette

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def window(qtbot, tmp_path):
    settings_file = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings_file, recovery_dir=tmp_path / "recovery", install_training=False)
    win.ask_unsaved = lambda: "discard"
    qtbot.addWidget(win)
    win.resize(1280, 720)
    win.show()
    yield win
    apply_theme("light", win)
    win.undo_stack.setClean()


def _examples(page):
    tree = page.examples
    for i in range(tree.topLevelItemCount()):
        lesson = tree.topLevelItem(i)
        for j in range(lesson.childCount()):
            yield lesson.child(j)


def _pixel(pixmap, x, y) -> QColor:
    image = pixmap.toImage()
    ratio = pixmap.devicePixelRatio()
    return QColor(image.pixel(round(x * ratio), round(y * ratio)))


def test_every_example_shows_its_graph_what_to_look_at_and_its_training_time(window):
    page = window.start_page
    items = list(_examples(page))
    assert {Path(i.data(0, Qt.ItemDataRole.UserRole)).stem for i in items} == {p.stem for p in EXAMPLES.glob("*.json")}
    for item in items:
        name = Path(item.data(0, Qt.ItemDataRole.UserRole)).stem
        assert not item.icon(0).isNull(), name
        took = cpu_time(name)
        assert took and item.text(0).endswith("\n" + took), name
    lstm = next(i for i in items if i.text(0).startswith("adding_lstm:"))
    assert "its gradient reaches the first steps" in lstm.text(0)
    assert "trains in about " in lstm.text(0) and " on a CPU" in lstm.text(0)


def test_no_line_is_cut_off_at_1280x720(window, qtbot):
    page = window.start_page
    tree = page.examples
    window.resize(1280, 720)
    qtbot.wait(50)
    QApplication.processEvents()
    assert tree.verticalScrollBar().maximum() > 0  # the list scrolls instead of squeezing its rows
    width = tree.viewport().width()
    for i in range(tree.topLevelItemCount()):
        lesson = tree.topLevelItem(i)
        for item in [lesson] + [lesson.child(j) for j in range(lesson.childCount())]:
            rect = tree.visualItemRect(item)
            text_width = rect.width() - (tree.iconSize().width() + 12 if not item.icon(0).isNull() else 0) - 8
            assert 0 < text_width < width
            needed = QFontMetrics(item.font(0)).boundingRect(QRect(0, 0, text_width, 100000),
                                                             Qt.TextFlag.TextWordWrap, item.text(0)).height()
            assert rect.height() >= needed, item.text(0)


def test_enter_on_an_example_opens_it_and_help_lessons_comes_back(window, qtbot):
    tree = window.start_page.examples
    item = next(i for i in _examples(window.start_page) if i.text(0).startswith("co2:"))
    tree.setCurrentItem(item)
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert window.document.path.name == "co2.json"
    assert window.pages.currentWidget() is window.view
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "Help")
    lessons = next(a for a in help_menu.actions() if a.text().replace("&", "") == "Lessons")
    lessons.trigger()
    assert window.pages.currentIndex() == 0 and window.pages.currentWidget().widget() is window.start_page


def test_one_click_opens_an_example_whose_row_shows_a_hand_and_a_lessons_title_folds(window, qtbot):
    """The rows look like links: a new user clicked one once and only selected it (it took a double-click)."""
    from PySide6.QtTest import QTest

    tree = window.start_page.examples
    item = next(i for i in _examples(window.start_page) if i.text(0).startswith("co2:"))
    tree.scrollToItem(item)
    centre = tree.visualItemRect(item).center()
    QTest.mouseMove(tree.viewport(), centre)
    assert tree.viewport().cursor().shape() == Qt.CursorShape.PointingHandCursor
    lesson = item.parent()
    title = tree.visualItemRect(lesson).center()
    QTest.mouseMove(tree.viewport(), title)
    assert tree.viewport().cursor().shape() == Qt.CursorShape.ArrowCursor
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=title)
    assert not lesson.isExpanded()
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=title)
    assert lesson.isExpanded()
    tree.scrollToItem(item)
    QTest.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualItemRect(item).center())
    assert window.document.path.name == "co2.json"
    assert window.pages.currentWidget() is window.view


def test_thumbnails_follow_the_theme(window, qtbot):
    page = window.start_page
    item = next(iter(_examples(page)))
    light = item.icon(0).pixmap(page.examples.iconSize())
    apply_theme("dark", window)
    QApplication.processEvents()
    dark = item.icon(0).pixmap(page.examples.iconSize())
    expected = CanvasPalette.from_palette(dark_palette()).background
    assert _pixel(dark, 3, 3).name() == expected.name()
    assert _pixel(light, 3, 3).name() != expected.name()


def test_a_thumbnail_draws_the_blocks_where_they_are_and_is_drawn_once(qapp, tmp_path, monkeypatch):
    data = {"graph": {"nodes": [{"id": "a", "kind": "feature_input", "pos": [0, 0]},
                                {"id": "b", "kind": "lstm", "pos": [270, 0]},
                                {"id": "c", "kind": "regression_head", "pos": [540, 170]}],
                      "edges": [{"from": ["a", "sequence"], "to": ["b", "input"]},
                                {"from": ["b", "sequence"], "to": ["zz", "input"]}]}}  # a wire to nothing: left out
    assert thumbnails.graph_outline(data) == ([("feature_input", 0.0, 0.0), ("lstm", 270.0, 0.0),
                                               ("regression_head", 540.0, 170.0)], [(0, 1)])
    palette = CanvasPalette.from_palette(qapp.palette())
    picture = thumbnails.render(data, 150, 64, palette)
    # three columns left to right, the head a row lower: each block's header band in its category's colour
    sx = (150 - 12) / (540 + 168)
    for (kind, x, y), category in zip(thumbnails.graph_outline(data)[0], ("Inputs", "Recurrent", "Outputs")):
        top = 6 + 2 if y == 0 else 64 - 6 - (64 - 12) * 0.7 / 2 + 2
        assert _pixel(picture, 6 + (x + 84) * sx, top).name() == category_color(category, palette.dark).name(), kind
    assert _pixel(picture, 75, 60).name() == palette.background.name()  # below the first row, nothing
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(data))
    calls = []
    monkeypatch.setattr(thumbnails, "render", lambda *a, **k: calls.append(a) or QPixmap(1, 1))
    thumbnails.clear_cache()
    first = thumbnails.thumbnail(path, data)
    assert thumbnails.thumbnail(path, data) is first and len(calls) == 1  # cached
    StartPage()
    count = len(calls)
    StartPage()
    assert len(calls) == count  # a second page draws nothing again


@settings(max_examples=60, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.sampled_from(["graph", "nodes", "edges", "pos", "id", "kind", "from", "to", "x"]), inner,
                        max_size=4), max_leaves=20))
def test_any_hand_edited_file_gets_a_picture_not_an_error(qapp, data):
    blocks, wires = thumbnails.graph_outline(data if isinstance(data, dict) else {"graph": data})
    assert all(0 <= a < len(blocks) and 0 <= b < len(blocks) for a, b in wires)
    picture = thumbnails.render(data if isinstance(data, dict) else {}, 40, 20,
                                CanvasPalette.from_palette(qapp.palette()))
    assert not picture.isNull()


def test_a_first_start_gives_the_lessons_the_whole_page_and_the_recent_files_come_once_there_are_some(window, qtbot):
    page = window.start_page
    window.show_start_page()
    qtbot.wait(20)
    assert not page.recent.isVisible() and not page.recent_label.isVisible()
    alone = page.examples.width()
    example = next(i for i in _examples(page) if i.text(0).startswith("co2:"))
    assert window.open_file(example.data(0, Qt.ItemDataRole.UserRole))
    window.show_start_page()
    qtbot.wait(20)
    assert page.recent.isVisible() and page.recent.item(0).text().startswith("co2.json")
    assert page.examples.width() < 0.8 * alone  # the recent files' column is back beside the lessons
    assert page.recent.horizontalScrollBar().maximum() == 0  # a long folder is shortened, not scrolled
    assert page.recent.item(0).toolTip() == example.data(0, Qt.ItemDataRole.UserRole)
