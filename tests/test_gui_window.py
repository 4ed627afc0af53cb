"""The studio window as a user drives it: build the sentiment example from the palette, undo and redo it all,
save and reopen, refuse a broken file, ask about unsaved changes, recover after a crash."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QCheckBox, QComboBox

from engine.document import graph_to_data, load_document
from gui.commands import MoveNodesCommand, RenameCommand, SetParamCommand
from gui.main_window import MainWindow

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(autouse=True)
def no_leaked_windows(qapp):
    # a wrapper whose widget Qt already deleted (deleteLater of an earlier test) is skipped, not touched
    before = {id(w) for w in QApplication.topLevelWidgets() if shiboken6.isValid(w) and w.isVisible()}
    yield
    QApplication.processEvents()
    leaked = [w for w in QApplication.topLevelWidgets()
              if shiboken6.isValid(w) and w.isVisible() and id(w) not in before]
    for widget in leaked:
        widget.close()
    assert not leaked, f"top-level windows left open: {[type(w).__name__ for w in leaked]}"


@pytest.fixture
def window(qtbot, tmp_path):
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(settings, recovery_dir=tmp_path / "recovery", install_training=False)
    win.show_error = lambda title, message: win.errors.append(message)
    win.errors = []
    win.ask_unsaved = lambda: "discard"
    qtbot.addWidget(win)
    win.show()
    yield win
    win.undo_stack.setClean()
    win.close()


def drag_wire(window, src_id, src_port, dst_id, dst_port):
    """A user's drag from an output port to an input port, through the canvas interaction."""
    scene = window.scene
    source = scene.node_item(src_id).port(src_port, True)
    target = scene.node_item(dst_id).port(dst_port, False)
    interaction = scene.begin_connection(source)
    interaction.move_to(target.scenePos())
    return interaction.release(target.scenePos())


def set_in_inspector(window, name, value):
    """Types a parameter value into the inspector's editor for the selected block."""
    editor = window.inspector.editors[name]
    if isinstance(editor, QComboBox):  # a pick from the list
        editor.setCurrentIndex(editor.findText(value))
        editor.activated.emit(editor.currentIndex())
    elif isinstance(editor, QCheckBox):  # a click
        if editor.isChecked() != value:
            editor.click()
    else:
        editor.setValue(value)


def build_from_palette(window, example):
    """Adds, places, sets, names and wires every block of ``example`` as a user would; returns id map."""
    ids = {}
    for node in example.graph:
        before = set(window.graph.nodes)
        window.palette.blockActivated.emit(node.kind)  # a double-click in the palette
        (new_id,) = set(window.graph.nodes) - before
        ids[node.id] = new_id
        assert window.inspector.node_id == new_id  # the new block is selected and inspected
        for name, value in node.params.items():
            if window.graph.node(new_id).params[name] != value:
                set_in_inspector(window, name, value)
        if window.graph.node(new_id).name != node.name:
            window.inspector.name_edit.setText(node.name)
            window.inspector.name_edit.editingFinished.emit()
        assert window.graph.node(new_id).params == node.params and window.graph.node(new_id).name == node.name
    moves = {ids[n.id]: (window.graph.node(ids[n.id]).pos, n.pos) for n in example.graph}
    window.undo_stack.push(MoveNodesCommand(window.graph, moves))  # dragging the blocks into place
    for edge in example.graph.edges:
        assert drag_wire(window, ids[edge.src], edge.src_port, ids[edge.dst], edge.dst_port) is None
    return ids


def test_building_sentiment_from_the_palette_saves_the_example_and_undoes_to_empty(window, tmp_path):
    example = load_document(EXAMPLES / "sentiment.json")
    window.new_document()
    build_from_palette(window, example)
    window.analysis.refresh()
    assert window.analysis.report.ok
    window.ask_path = lambda save: str(tmp_path / "mine.json")
    assert window.save()
    saved = json.loads((tmp_path / "mine.json").read_text())
    assert saved["graph"] == graph_to_data(example.graph)
    assert not window.isWindowModified()

    while window.undo_stack.canUndo():
        window.undo_stack.undo()
    assert len(window.graph) == 0 and not window.graph.edges
    assert window.isWindowModified()
    while window.undo_stack.canRedo():
        window.undo_stack.redo()
    assert graph_to_data(window.graph) == graph_to_data(example.graph)
    assert not window.isWindowModified()  # back at the saved state


def test_refused_connection_gives_the_reason_in_the_status_bar(window):
    window.new_document()
    window.palette.blockActivated.emit("token_input")
    window.palette.blockActivated.emit("lstm")
    tokens, lstm = list(window.graph.nodes)
    reason = drag_wire(window, tokens, "tokens", lstm, "input")
    assert reason and "put an Embedding block between them" in reason
    assert not window.graph.edges
    assert "Embedding" in window.statusBar().currentMessage()


def test_save_reopen_is_identical_and_title_tracks_changes(window, tmp_path):
    copy = tmp_path / "names.json"
    copy.write_bytes((EXAMPLES / "names.json").read_bytes())
    assert window.open_file(copy)
    assert window.windowTitle() == "names.json[*] — RNN Studio"
    node = next(iter(window.graph))
    window.undo_stack.push(MoveNodesCommand(window.graph, {node.id: (node.pos, (node.pos[0] + 40, node.pos[1]))}))
    assert window.isWindowModified()
    assert window.save()
    first = copy.read_bytes()
    assert window.open_file(copy)
    assert window.save() and copy.read_bytes() == first
    assert str(copy.resolve()) in [str(p) for p in window.recent.paths()]


def test_broken_file_shows_the_engine_message_and_keeps_the_document(window, tmp_path):
    window.open_file(EXAMPLES / "charlm.json")
    before = graph_to_data(window.graph)
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "rnn-studio", "version": 1, "graph": {"nodes": [{"id": 3}], "edges": []}}')
    assert not window.open_file(broken)
    assert window.errors and window.errors[-1].endswith("$.graph.nodes[0].id: must be text")
    assert graph_to_data(window.graph) == before and window.document.path.name == "charlm.json"


def test_unsaved_changes_are_asked_about_and_cancel_keeps_them(window):
    window.open_file(EXAMPLES / "forecast.json")
    node = next(iter(window.graph))
    window.undo_stack.push(SetParamCommand(window.graph, node.id, "features", 3))
    window.ask_unsaved = lambda: "cancel"
    assert not window.new_document()
    assert window.graph.node(node.id).params["features"] == 3
    window.ask_unsaved = lambda: "discard"
    assert window.new_document() and len(window.graph) == 0


def test_a_broken_file_is_refused_before_the_unsaved_work_is_asked_about(window, tmp_path):
    """Opening a broken file asked Save/Discard first, then said the file could not be opened."""
    import shutil

    mine = tmp_path / "mine.json"
    shutil.copy(EXAMPLES / "forecast.json", mine)
    window.open_file(mine)
    node = next(iter(window.graph))
    window.undo_stack.push(SetParamCommand(window.graph, node.id, "features", 3))
    asked = []
    window.ask_unsaved = lambda: asked.append(1) or "save"
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert not window.open_file(broken)
    assert asked == [] and window.errors and window.is_modified()
    assert window.open_file(mine) and asked == [1]  # the same file, saved first: its saved state is shown
    assert window.graph.by_name(node.name).params["features"] == 3 and not window.is_modified()


def test_autosave_writes_recovery_and_a_new_window_restores_it(window, tmp_path, qtbot, monkeypatch):
    window.open_file(EXAMPLES / "adding_lstm.json")
    lstm = window.graph.by_name("lstm")
    window.undo_stack.push(SetParamCommand(window.graph, lstm.id, "hidden_size", 32))
    assert window.recovery.autosave()
    record = json.loads(window.recovery.file.read_text())
    assert record["original"].endswith("adding_lstm.json")

    settings = QSettings(str(tmp_path / "settings2.ini"), QSettings.Format.IniFormat)
    second = MainWindow(settings, recovery_dir=tmp_path / "recovery", install_training=False)
    qtbot.addWidget(second)
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "exec", lambda self: QMessageBox.StandardButton.Yes)
    assert not second.offer_recovery()  # the first window is alive: its work is not crashed work
    window.recovery._lock.unlock()  # what a crash leaves: the file, with nobody holding its lock
    window.recovery._lock = None
    assert second.offer_recovery()
    assert second.graph.by_name("lstm").params["hidden_size"] == 32
    assert second.isWindowModified()
    second.undo_stack.setClean()
    second.close()


def test_start_page_groups_every_example_by_its_lesson(window):
    from PySide6.QtCore import Qt

    window.show_start_page()
    page = window.start_page
    assert set(page.example_names()) == {p.stem for p in EXAMPLES.glob("*.json")}  # every example, somewhere
    lessons = [page.examples.topLevelItem(i).text(0) for i in range(page.examples.topLevelItemCount())]
    assert lessons[0].startswith("Vanishing gradients — train the RNN, then the LSTM")
    first = page.examples.topLevelItem(0)
    assert [first.child(i).text(0).split(":")[0] for i in range(2)] == ["adding_rnn", "adding_lstm"]
    with_sentiment = [page.examples.topLevelItem(i) for i in range(page.examples.topLevelItemCount())
                      if page.examples.topLevelItem(i).text(0).startswith("Attention")][0]
    sentiment = [with_sentiment.child(i) for i in range(with_sentiment.childCount())
                 if with_sentiment.child(i).text(0).startswith("sentiment:")][0]
    page._activated(sentiment)
    assert window.document.path.name == "sentiment.json"
    assert sentiment.data(0, Qt.ItemDataRole.UserRole).endswith("sentiment.json")


def test_opening_a_file_whose_version_is_too_low_for_its_experiment_says_what_was_left_out(window, tmp_path):
    data = json.loads((EXAMPLES / "adding_rnn.json").read_text())
    assert data["version"] == 1
    data["experiment"] = {"version": 1, "variables": [{"path": "rnn.hidden_size", "values": [4, 8]}]}
    path = tmp_path / "hand_edited.json"
    path.write_text(json.dumps(data))
    assert window.open_file(path)
    assert window.document.experiment is None
    assert window.statusBar().currentMessage().endswith(
        'left out: its experiment section needs format version 2 (set "version": 2)')
