"""The window's side panels as a user meets them: palette search, Problems that jump to their block, the
model summary's numbers, View code and its Copy button, and inspector edits as single undo steps."""
from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt, QUrl
from PySide6.QtWidgets import QApplication

from engine.cli.check_command import summary_rows
from gui.main_window import MainWindow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, recovery_dir=tmp_path / "recovery", install_training=False)
    win.ask_unsaved = lambda: "discard"
    qtbot.addWidget(win)
    win.show()
    yield win
    win.undo_stack.setClean()
    if win.summary.dialog is not None:
        win.summary.dialog.close()
    win.close()


def test_palette_search_narrows_the_blocks_and_enter_adds_the_first(window):
    window.new_document()
    window.palette.search.setText("recurrent unit")
    assert window.palette.visible_kinds() == ["gru"]
    window.palette.search.returnPressed.emit()
    assert [n.kind for n in window.graph] == ["gru"]
    window.palette.search.setText("")
    assert len(window.palette.visible_kinds()) == len(window.palette.items())


def test_problems_list_every_diagnostic_and_a_click_selects_and_centres_the_block(window):
    window.open_file(EXAMPLES / "sentiment.json")
    embedding = window.graph.by_name("embedding")
    window.graph.remove_node(embedding.id)
    window.analysis.refresh()
    problems = window.problems
    messages = [problems.list.item(i).text() for i in range(problems.list.count())]
    assert problems.count() == len(window.analysis.report.diagnostics) == len(messages) >= 1
    assert any("has nothing connected to its input" in m for m in messages)
    lstm = window.graph.by_name("lstm")
    row = next(i for i, m in enumerate(messages) if m.startswith("LSTM 'lstm'"))
    problems.list.itemClicked.emit(problems.list.item(row))
    assert window.scene.selected_node_ids() == [lstm.id]
    centre = window.view.mapToScene(window.view.viewport().rect().center())
    assert window.scene.node_item(lstm.id).sceneBoundingRect().adjusted(-5, -5, 5, 5).contains(centre)


def test_summary_shows_the_numbers_of_rnn_studio_check(window):
    window.open_file(EXAMPLES / "names.json")
    window.analysis.refresh()
    expected = summary_rows(window.graph, window.analysis.report)
    assert window.summary.rows() == expected
    assert window.summary.total.text() == f"Total parameters: {window.analysis.report.total_params:,}"


def test_view_code_shows_the_generated_forward_and_copies_it(window):
    window.open_file(EXAMPLES / "forecast.json")
    dialog = window.summary.view_code()
    # The whole model as a person writes it: the block classes, __init__ and forward, runnable as it is.
    whole = dialog.editor.toPlainText()
    assert "class RNNStudioModel(nn.Module):" in whole and "def __init__(self):" in whole
    assert "def forward(self, series" in whole and "class LSTMBlock(_RecurrentBase):" in whole
    compile(whole, "model.py", "exec")
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == whole
    dialog.tabs.setCurrentIndex(1)  # the torch.fx forward the studio runs
    text = dialog.editor.toPlainText()
    assert "def forward(self, series" in text and "self.lstm_1(" in text
    dialog.copy_button.click()
    assert QApplication.clipboard().text() == text


def test_view_code_on_an_invalid_graph_says_why(window):
    window.new_document()
    window.palette.blockActivated.emit("lstm")
    dialog = window.summary.view_code()
    assert dialog.editor.toPlainText() == "" and not dialog.copy_button.isEnabled()


def test_each_inspector_edit_is_one_undo_step_and_undo_updates_the_editor(window):
    window.open_file(EXAMPLES / "charlm.json")
    gru = window.graph.by_name("gru")
    window.scene.select_nodes([gru.id])
    editor = window.inspector.editors["hidden_size"]
    editor.setValue(300)
    editor.setValue(320)
    assert window.undo_stack.count() == 2 and gru.params["hidden_size"] == 320
    window.undo_stack.undo()
    assert gru.params["hidden_size"] == 300
    assert window.inspector.editors["hidden_size"].value() == 300


def test_rename_refuses_a_taken_name_with_the_reason(window):
    window.open_file(EXAMPLES / "charlm.json")
    gru = window.graph.by_name("gru")
    window.scene.select_nodes([gru.id])
    window.inspector.name_edit.setText("dense")
    window.inspector.name_edit.textEdited.emit("dense")
    window.inspector.name_edit.editingFinished.emit()
    assert gru.name == "gru" and window.undo_stack.count() == 0
    assert window.inspector.name_error.text() == "another block is already called 'dense'"


def test_the_inspector_is_built_once_per_block_and_shows_a_stored_invalid_value_as_invalid(window, qtbot):
    from gui.forms import ParamForm

    window.new_document()
    window.palette.blockActivated.emit("lstm")
    window.analysis.refresh()  # the analysis after the add: the inspector updates in place
    QApplication.processEvents()
    forms = [f for f in window.inspector.body.findChildren(ParamForm) if f.isVisibleTo(window.inspector.body)]
    assert len(forms) == 1
    titles = [label.text() for label in window.inspector.body.findChildren(type(window.inspector.shapes))
              if label.isVisibleTo(window.inspector.body) and label.text().startswith("<b>LSTM")]
    assert len(titles) == 1  # one header, not one per rebuild
    lstm = next(iter(window.graph))
    window.graph.set_param(lstm.id, "hidden_size", "lots")  # what a hand-edited file may hold
    editor = window.inspector.form_params.editor("hidden_size")
    assert editor.problem == "must be a whole number" and editor.text.text() == "lots"
    assert editor.stack.currentWidget() is editor.text  # shown as typed and marked, not as 1


def test_the_help_sidebar_documents_the_selected_block_and_links_its_lessons(window, qtbot):
    window.open_file(EXAMPLES / "adding_lstm.json")
    lstm = window.graph.by_name("lstm")
    window.scene.select_nodes([lstm.id])
    window.scene.selectionChanged.emit()
    text = window.help_panel.text()
    assert text.startswith("LSTM (Recurrent)") and "Hidden size" in text and "hidden_size" in text
    assert "now [B, T, 64]" in text  # its shape on this canvas
    assert "adding_lstm:" in text  # the lessons that use it
    with qtbot.waitSignal(window.help_panel.exampleRequested) as requested:
        window.help_panel.browser.anchorClicked.emit(QUrl("example:charlm"))
    assert requested.args == ["charlm"]
    assert window.open_example("charlm") and window.document.path.name == "charlm.json"
    dialog = window.show_documentation()
    assert "Two commands" in dialog.guide.toPlainText()  # the README, offline
    assert dialog.blocks.toPlainText().count("Parameters") >= 10
    dialog.search.setText("Ctrl+right-drag")
    assert dialog.find_next()
    dialog.close()


def test_the_inspector_shows_what_a_recurrent_block_computes_with_the_gate_plots_names(window):
    window.open_file(EXAMPLES / "adding_lstm.json")
    lstm = window.graph.by_name("lstm")
    window.scene.select_nodes([lstm.id])
    text = window.inspector.equations.text()
    for gate in ("input</b> gate", "forget</b> gate", "cell</b> candidate", "output</b> gate"):
        assert gate in text  # the names the Gates tab uses
    window.open_file(EXAMPLES / "adding_rnn.json")
    rnn = window.graph.by_name("rnn")
    window.scene.select_nodes([rnn.id])
    assert "tanh(W" in window.inspector.equations.text()
    window.scene.select_nodes([window.graph.by_name("dense").id])
    assert not window.inspector.equations.isVisibleTo(window.inspector)  # a Dense block has no equations here


@pytest.mark.parametrize("cell, inner", [("rnn_relu", "relu(W"), ("rnn_tanh", "tanh(W"), ("gru", "reset</b> gate"),
                                         ("lstm", "forget</b> gate")])
def test_a_bidirectional_block_shows_the_equations_of_its_own_cell(cell, inner):
    from gui.equations import equations_html

    text = equations_html("bidirectional", {"cell": cell})
    assert inner in text
    assert f"Two {cell.split('_')[0].upper()}s read the sequence" in text  # "RNNs", not "RNN_RELUs"
    if cell == "rnn_relu":
        assert "tanh(W" not in text


def test_a_recurrent_block_can_be_seen_unrolled_over_time(window):
    from PySide6.QtGui import QImage

    window.open_file(EXAMPLES / "adding_lstm.json")
    window.scene.select_nodes([window.graph.by_name("lstm").id])
    assert window.inspector.unrolled_button.isVisibleTo(window.inspector)
    dialog = window.inspector.show_unrolled()
    assert dialog.widget.states == ["h", "c"] and len(dialog.widget.cell_rects()) == 4
    image = dialog.widget.grab().toImage()
    assert isinstance(image, QImage) and not image.isNull()
    dialog.close()
    window.scene.select_nodes([window.graph.by_name("dense").id])
    assert not window.inspector.unrolled_button.isVisibleTo(window.inspector)


def test_shift_f_frames_the_graph_only_while_the_canvas_has_the_focus(window, qtbot):
    from PySide6.QtCore import Qt

    window.open_file(EXAMPLES / "sentiment.json")
    window.view.zoom_in()
    window.view.zoom_in()
    zoomed = window.view.transform().m11()
    window.problems_dock.show()
    window.problems.list.setFocus()
    qtbot.waitUntil(lambda: window.problems.list.hasFocus())
    qtbot.keyClick(window.problems.list, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.transform().m11() == zoomed  # a list in another dock: the canvas stays as it was
    window.view.setFocus()
    qtbot.waitUntil(lambda: window.view.hasFocus())
    qtbot.keyClick(window.view.viewport(), Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert window.view.transform().m11() < zoomed  # framed: the whole graph in view


def test_frame_all_shows_every_block_however_small_they_get(window, qtbot):
    """At 1600x1000 with a Dropout added to names, Frame all left the classification head past the right edge: it
    framed only down to the zoom where block text is drawn."""
    from PySide6.QtCore import Qt

    window.open_file(EXAMPLES / "names.json")
    wide = window.scene.content_rect().width()
    window.view.resize(int(wide * 0.4), 500)  # wider than the view at half size: below the readable zoom
    window.view.setFocus()
    qtbot.waitUntil(lambda: window.view.hasFocus())
    qtbot.keyClick(window.view.viewport(), Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    seen = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    blocks = [window.scene.node_item(node.id).sceneBoundingRect() for node in window.graph]
    assert all(seen.contains(rect) for rect in blocks)


@pytest.mark.parametrize("status, ending", [("early_stopped", "stopped early"), ("stopped", "stopped"),
                                            ("failed", "failed"), ("completed", "done")])
def test_a_run_that_ended_shows_no_eta(qtbot, status, ending):
    """An early-stopped run kept 'ETA 0:55' and its last speed under the bar after it had ended."""
    from engine.training import StepMetrics
    from gui.training.settings_panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    step = StepMetrics(epoch=8, step=250, steps_per_epoch=250, loss=0.16, metrics={}, lr=0.002,
                       samples_per_sec=1673.0, eta_s=55.0, grad_norm=1.0, grad_norms={}, clip=False)
    panel.update_progress(step, 20)
    assert panel.progress_text.text() == "epoch 8/20 · step 250/250 · 1,673 samples/s · ETA 0:55"
    panel.set_state("paused")
    assert panel.progress_text.text() == "epoch 8/20 · step 250/250 · paused"
    panel.update_progress(step, 20)  # a step taken before the worker held, drained after Pause
    assert panel.progress_text.text() == "epoch 8/20 · step 250/250 · paused"
    panel.finish_progress(status)
    assert panel.progress_text.text() == f"epoch 8/20 · step 250/250 · {ending}"
    assert panel.progress.value() == 8 * 250 - 250 + 250  # the bar keeps how far the run went


def _image_widths(browser) -> list[float]:
    widths = []
    block = browser.document().begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            form = fragments.fragment().charFormat()
            if form.isImageFormat():
                widths.append(form.toImageFormat().width())
            fragments += 1
        block = block.next()
    return widths


def test_the_user_guide_opens_at_using_the_studio_not_at_installing_it(window, qtbot):
    """Help > Documentation opened on pip, pytest and CI commands: the README's set-up comes first."""
    dialog = window.show_documentation()
    guide = dialog.guide
    qtbot.waitUntil(lambda: guide.verticalScrollBar().value() > 0)
    top = guide.cursorForPosition(guide.viewport().rect().topLeft() + QPoint(10, 10)).block()
    assert top.text() == "The studio" and top.blockFormat().headingLevel() == 2
    dialog.close()


def test_the_user_guides_screenshots_fit_its_width(window, qtbot):
    """At their own size the README's 1920 px screenshots made the guide scroll sideways in its 900 px window."""
    dialog = window.show_documentation()
    guide = dialog.guide
    qtbot.waitUntil(lambda: guide.isVisible() and guide.horizontalScrollBar().maximum() == 0)
    widths = _image_widths(guide)
    assert len(widths) >= 4 and all(0 < w < guide.viewport().width() for w in widths)
    from gui.help import natural_size

    read = natural_size.cache_info().misses
    dialog.resize(1500, 800)  # larger: each grows up to its own size, no further
    qtbot.waitUntil(lambda: guide.viewport().width() > 1300)
    widths = _image_widths(guide)
    assert 1280 in widths and max(widths) < guide.viewport().width()  # the 1280x720 shot at its own width
    assert guide.horizontalScrollBar().maximum() == 0
    assert natural_size.cache_info().misses == read  # a resize reads no image file again
    dialog.close()


def test_the_start_page_over_an_open_document_leads_back_to_it(window, qtbot):
    """Help > Lessons hid the open model's canvas with no way back: opening it again from Recent files asked to
    save it, then dropped its undo history."""
    from gui.commands import SetParamCommand

    assert not window.start_page.back_button.isVisibleTo(window)  # first launch: nothing to go back to
    window.open_file(str(EXAMPLES / "names.json"))
    dense = window.graph.by_name("dense")
    window.undo_stack.push(SetParamCommand(window.graph, dense.id, "units", 24))
    steps = window.undo_stack.count()
    assert steps == 1
    for go_back in (lambda: qtbot.keyClick(window.start_page, Qt.Key.Key_Escape),
                    lambda: window.start_page.back_button.click()):
        window.show_start_page()
        assert window.pages.currentIndex() == 0
        assert window.start_page.back_button.isVisible()
        assert window.start_page.back_button.text() == "← Back to names.json"
        go_back()
        assert window.pages.currentWidget() is window.view
        assert window.undo_stack.count() == steps and window.is_modified()
