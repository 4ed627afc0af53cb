"""Text of the user's (block names, paths, typed values) is shown as text, never as HTML: a block renamed to
"<b>x</b>" showed a bold x in the Inspector's error and in File ▸ Open's error box, and every Vary… dialog for a
bounded number read "a whole number (>= 1," with "<= 4096); default 64" swallowed as a tag."""
import html

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QTextDocument
from PySide6.QtGui import Qt as GuiQt  # mightBeRichText lives in QtGui's Qt namespace
from PySide6.QtWidgets import QLabel, QMessageBox

from engine.document import load_document
from gui.main_window import MainWindow

from test_gui_window_panels import EXAMPLES

HOSTILE = "my <b>x</b> & co"


def shown_text(label: QLabel) -> str:
    """What the label shows: its text as Qt renders it (plain, or HTML when it looks like HTML)."""
    fmt = label.textFormat()
    if fmt == Qt.TextFormat.PlainText or (fmt == Qt.TextFormat.AutoText and not GuiQt.mightBeRichText(label.text())):
        return label.text()
    doc = QTextDocument()
    doc.setHtml(label.text())
    return doc.toPlainText()


@pytest.fixture
def window(qtbot, tmp_path):
    win = MainWindow(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat), recovery_dir=tmp_path / "r",
                     install_training=False)
    win.ask_unsaved = lambda: "discard"
    qtbot.addWidget(win)
    win.show()
    yield win
    win.undo_stack.setClean()


def test_a_typed_block_name_that_looks_like_html_is_quoted_as_typed(window):
    window.open_file(str(EXAMPLES / "names.json"))
    window.inspector.show_node(window.document.graph.by_name("dense").id)
    window.inspector.name_edit.setText(HOSTILE)
    assert window.inspector._check_name(HOSTILE)
    assert shown_text(window.inspector.name_error).startswith(f"'{HOSTILE}' is not a valid name")


def test_an_error_box_shows_its_path_as_written(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "exec", lambda box: shown.append(
        (box.textFormat(), box.text())) or QMessageBox.StandardButton.Ok)
    path = tmp_path / "<b>bold & co.json"
    path.write_text("{not json")
    window.show_error = window._error_dialog
    window.open_file(str(path))
    ((fmt, text),) = shown
    assert fmt == Qt.TextFormat.PlainText and str(path) in text


def test_the_vary_dialog_shows_the_whole_range_of_a_bounded_number(qtbot):
    from gui.experiments import VaryDialog

    doc = load_document(EXAMPLES / "adding_rnn.json")
    param = doc.graph.by_name("rnn").spec.param("hidden_size")
    dialog = VaryDialog(doc, "rnn.hidden_size", param, 32)
    qtbot.addWidget(dialog)
    texts = [shown_text(label) for label in dialog.findChildren(QLabel)]
    assert any(param.describe() in text for text in texts), texts
    assert "<=" in param.describe()


def test_a_problem_tooltip_quotes_the_message_as_written(qtbot):
    from gui.problems import ProblemsPanel

    panel = ProblemsPanel()
    qtbot.addWidget(panel)
    panel._add(panel.style().standardIcon(panel.style().StandardPixmap.SP_MessageBoxCritical), HOSTILE, "")
    tip = panel.list.item(0).toolTip()
    doc = QTextDocument()
    doc.setHtml(tip)
    assert doc.toPlainText() == HOSTILE and html.unescape(tip) != tip
