"""Imported files end to end: a CSV of texts is previewed, its columns picked, its class count fitted to the
graph with one click, trained, tried (class probabilities) and its attention shown; a text file trains a
character model that generates text with a temperature.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from gui.dashboard.history import RunHistory
from test_gui_dash_support import EXAMPLES, make_window, release

WORDS = {"pos": ["good", "great", "fine", "nice"], "neg": ["bad", "awful", "poor", "sad"],
         "meh": ["okay", "so so", "average", "plain"]}


@pytest.fixture
def open_window(qtbot):
    windows = []

    def make(document):
        window = make_window(document)
        qtbot.addWidget(window)
        windows.append(window)
        return window
    yield make
    for window in windows:
        release(window)


@pytest.fixture
def csv_document(tmp_path):
    rows = ["review,verdict"]
    for i in range(90):
        label = list(WORDS)[i % 3]
        rows.append(f"{WORDS[label][i % 4]} film {i},{label}")
    (tmp_path / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    document = load_document(EXAMPLES / "names.json")  # chars -> embedding -> bigru -> attention -> dense(12)
    document.path = tmp_path / "reviews.json"
    document.data = {}
    return document


def test_csv_import_preview_columns_fix_train_and_try(qtbot, open_window, csv_document, tmp_path):
    window = open_window(csv_document)
    window.show()
    panel = window.training.data_panel
    panel.choose_dataset("csv_text")
    assert csv_document.data["dataset"] == "csv_text" and window.isWindowModified()
    panel.set_file(str(tmp_path / "reviews.csv"))
    assert panel.preview.rowCount() == 20 and panel.preview.item(0, 1).text() == "pos"
    text_column = panel.option_widgets["text_column"]
    assert [text_column.itemText(i) for i in range(text_column.count())] == ["review", "verdict"]
    fit = window.training.fit

    def pick(option, text):  # as a user picks an entry of the option's list
        combo = panel.option_widgets[option]
        combo.setCurrentIndex(combo.findText(text))
        combo.activated.emit(combo.currentIndex())

    pick("text_column", "review")
    pick("label_column", "verdict")
    with qtbot.waitSignals([panel.background.done, fit.updated], timeout=60000):
        pick("tokenizer", "char")
    assert window.undo_stack.undoText() == "Set data.options = " + repr(csv_document.data["options"])
    assert csv_document.data["options"]["text_column"] == "review"
    assert any("3 classes" in problem.message for problem in panel.problems)
    assert "class balance" in panel.balance_plot.titleLabel.text
    with qtbot.waitSignal(fit.updated, timeout=60000):
        panel.fix_all()
    assert csv_document.graph.by_name("dense").params["units"] == 3 and panel.problems == []

    trainer = Trainer(csv_document, TrainingConfig(epochs=2, batch_size=16, lr=0.01))
    result = trainer.run()
    assert result.status == "completed", result.message
    history = RunHistory.from_run_dir(result.run_dir)
    board = window.training.dashboard
    dock = window.training.docks["dashboard"]
    window.problems_dock.raise_()
    window.training.show_history(history)
    # A reopened run comes to the front with room for its plots, as a run that starts does.
    if window.isVisible():
        qtbot.waitUntil(lambda: not dock.visibleRegion().isEmpty() and dock.height() >= 0.45 * window.height())
    # Results: the test metrics beside the majority-class baseline, and the confusion matrix by label name.
    results = board.results
    table = [[results.table.item(r, c).text() for c in range(3)] for r in range(results.table.rowCount())]
    assert [row[0] for row in table] == ["loss", "accuracy"]
    majority = json.loads((Path(history.run_dir) / "evaluation.json").read_text())["baselines"]["language"]
    assert table[1][2] == f"{majority['majority_accuracy']:.4g}: always the most common class"  # beside accuracy
    assert results.head.currentText() == "language"
    confusion = results.confusion["language"]
    assert confusion["labels"] == ["meh", "neg", "pos"] and sum(map(sum, confusion["matrix"])) > 0
    assert results.plot.getAxis("bottom")._tickLevels[0][1][1] == "neg"
    assert results.confusion_side.isVisibleTo(results)  # a classifier: the matrix is there
    assert board.show_block("attention") and board.current_panel() is board.attention
    board.redraw(force=True)
    probe = history.attention["attention"]
    steps = probe.key_length or len(probe.weights)  # pooling: one bar per real step of the sample
    assert board.attention.shown is board.attention.bars
    np.testing.assert_allclose(board.attention.bar_item.opts["height"], probe.weights[:steps])

    trying = window.training.try_panel
    with qtbot.waitSignal(trying.loader.done, timeout=60000):
        trying.set_run(result.run_dir)
    trying.text.setText("great film")
    with qtbot.waitSignal(trying.work.done, timeout=60000) as done:
        trying.run_text()
    _, _, _, probs = done.args[0]
    assert sorted(name for name, _ in probs) == ["meh", "neg", "pos"]
    assert sum(p for _, p in probs) == pytest.approx(1.0, abs=1e-5)
    assert "pos" in trying.output.toPlainText()
    with qtbot.waitSignal(trying.work.done, timeout=60000) as done:
        trying.run_sample()
    text, label, _ = done.args[0][1:]
    assert label in WORDS and " film " in text
    # A classifier: text and validation samples; no temperature, no forecast.
    shown = {name for name in ("text_row", "sample_row", "generate_row", "forecast_button")
             if getattr(trying, name).isVisibleTo(trying)}
    assert shown == {"text_row", "sample_row"}


def test_text_file_trains_a_character_model_that_generates(qtbot, open_window, tmp_path):
    (tmp_path / "corpus.txt").write_text("hello world. " * 300, encoding="utf-8")
    document = load_document(EXAMPLES / "charlm.json")
    document.path = tmp_path / "corpus.json"
    document.data = {"dataset": "text_file", "options": {"path": "corpus.txt", "length": 24},
                     "split": [0.8, 0.1, 0.1], "inputs": {"chars": "chars"}, "targets": {"next_char": "next_chars"}}
    document.graph.set_param(document.graph.by_name("gru").id, "hidden_size", 32)
    result = Trainer(document, TrainingConfig(epochs=3, batch_size=16, lr=0.01)).run()
    assert result.status == "completed", result.message
    window = open_window(document)
    # The Hidden state tab: the GRU's states over the probe sample, the sample's characters along time.
    board = window.training.dashboard
    window.training.show_history(RunHistory.from_run_dir(result.run_dir))
    board.show_tab("hidden")
    board.hidden.refresh(force=True)
    assert board.hidden.heat.matrix.shape[0] == 32  # hidden units
    ticks = [text for _, text in board.hidden.heat.plot.getAxis("bottom")._tickLevels[0]]
    assert len(ticks) == board.hidden.heat.matrix.shape[1] and set("".join(ticks)) <= set("helo wrd.")
    trying = window.training.try_panel
    assert not trying.text_row.isVisibleTo(trying)  # no model yet: nothing to use
    with qtbot.waitSignal(trying.loader.done, timeout=60000):
        trying.set_run(result.run_dir)
    assert trying.run_button.text() == "Generate"
    assert trying.generate_row.isVisibleTo(trying) and not trying.sample_row.isVisibleTo(trying)
    assert not trying.forecast_button.isVisibleTo(trying) and not trying.plot_widget.isVisibleTo(trying)
    trying.text.setText("hel")
    trying.length.setValue(30)
    trying.temperature.setValue(0.3)
    with qtbot.waitSignal(trying.work.done, timeout=60000) as done:
        trying.run_text()
    generated = done.args[0][1]
    assert generated.startswith("hel") and len(generated) == 33
    assert set(generated) <= set("helo wrd.")  # only characters of the corpus, never <pad>/<unk>


def test_a_vocabulary_larger_than_the_embedding_is_fixed_in_both_blocks(qtbot, open_window, csv_document, tmp_path):
    graph = csv_document.graph
    for name in ("chars", "embedding"):
        graph.set_param(graph.by_name(name).id, "vocab_size", 10)
    csv_document.data = {"dataset": "csv_text", "options": {"path": "reviews.csv", "text_column": "review",
                                                            "label_column": "verdict", "tokenizer": "char",
                                                            "max_vocab": 40}}
    window = open_window(csv_document)
    panel = window.training.data_panel
    assert panel.option_widgets["max_vocab"].text() == "40"
    fit = window.training.fit
    fit.wait()
    qtbot.waitUntil(lambda: panel.info is not None, timeout=60000)
    problem = next(p for p in panel.problems if "vocabulary" in p.message)
    size = next(iter(panel.info.vocab_size.values()))  # the panel's summary: the tokens of the text field
    assert 10 < size <= 40 and f"vocabulary of {size} tokens" in problem.message
    assert {(f.block, f.param, f.value) for f in problem.fixes} == {("chars", "vocab_size", size),
                                                                   ("embedding", "vocab_size", size)}
    with qtbot.waitSignal(fit.updated, timeout=60000):
        panel.fix_all()
    assert [graph.by_name(n).params["vocab_size"] for n in ("chars", "embedding")] == [size, size]
    window.undo_stack.undo()
    assert [graph.by_name(n).params["vocab_size"] for n in ("chars", "embedding")] == [10, 10]


def test_a_sequence_to_sequence_model_translates_free_running_with_a_beam(qtbot, open_window, tmp_path):
    document = load_document(EXAMPLES / "seq2seq.json")
    document.path = tmp_path / "seq2seq.json"
    document.data = {**document.data, "options": {**document.data["options"], "samples": 600, "max_length": 5}}
    result = Trainer(document, TrainingConfig(epochs=2, batch_size=32, lr=0.01, probes=[])).run()
    assert result.status == "completed", result.message
    window = open_window(document)
    trying = window.training.try_panel
    with qtbot.waitSignal(trying.loader.done, timeout=60000):
        trying.set_run(result.run_dir)
    assert trying.run_button.text() == "Translate" and trying.beam_row.isVisibleTo(trying)
    assert not trying.sample_row.isVisibleTo(trying) and not trying.plot_widget.isVisibleTo(trying)
    trying.beam.setValue(3)
    trying.text.setText("314")
    with qtbot.waitSignal(trying.work.done, timeout=60000) as done:
        trying.run_text()
    kind, text, hypotheses = done.args[0]
    assert kind == "translations" and text == "314" and len(hypotheses) == 3
    assert all(0.0 < p <= 1.0 for _, p in hypotheses) and set("".join(a for a, _ in hypotheses)) <= set("0123456789")
    assert trying.output.toPlainText().startswith("source: 314\n1. ")


def test_each_baseline_stands_beside_the_metric_it_measures():
    from gui.dashboard.results import metric_rows

    one_head = {"metrics": {"loss": 0.13, "accuracy": 0.9456},
                "baselines": {"recall": {"majority_accuracy": 0.75}}}
    assert metric_rows(one_head) == [("loss", "0.13", ""), ("accuracy", "0.9456", "0.75: always the most common class")]
    forecast = {"metrics": {"loss": 0.05, "mse": 0.05, "mae": 0.17},
                "baselines": {"next": {"constant_mean_mse": 0.529, "last_value_mse": 0.097}}}
    assert metric_rows(forecast)[1] == ("mse", "0.05", "0.529: always the training mean; 0.097: repeat the last value")
    two_heads = {"metrics": {"loss": 1.0, "a/accuracy": 0.8, "b/mse": 0.2},
                 "baselines": {"a": {"majority_accuracy": 0.5}, "b": {"constant_mean_mse": 0.9}, "c": {"odd": 3}}}
    assert metric_rows(two_heads) == [("loss", "1", ""), ("a/accuracy", "0.8", "0.5: always the most common class"),
                                      ("b/mse", "0.2", "0.9: always the training mean"), ("baseline (c)", "3", "odd")]
    assert metric_rows({"metrics": {"loss": "x"}, "baselines": {"h": [1, 2], "g": {"majority_accuracy": None}}}) == []


def test_confusion_counts_show_only_where_a_cell_has_room_and_a_hovered_cell_tells_its_count(qtbot, tmp_path):
    """Twelve languages in a short dock: the counts overlapped into a smear. They show once the cells are big
    enough for them, and the cell under the mouse always says what it holds."""
    from PySide6.QtCore import QPointF
    from PySide6.QtWidgets import QToolTip

    from gui.dashboard.results import ResultsPanel

    labels = [f"language {i}" for i in range(12)]
    matrix = [[30 if i == j else (i + j) % 3 for j in range(12)] for i in range(12)]
    run = tmp_path / "names" / "20261202-120000"
    run.mkdir(parents=True)
    (run / "evaluation.json").write_text(json.dumps({
        "split": "test", "metrics": {"accuracy": 0.75},
        "confusion": {"language": {"labels": labels, "matrix": matrix}}}), encoding="utf-8")
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 260)
    panel.show()
    assert panel.show_run(run)
    qtbot.waitUntil(lambda: panel.plot.getViewBox().width() > 0)
    assert not panel.counts_fit() and not any(cell.isVisible() for cell in panel.cells)
    panel.resize(1400, 900)
    qtbot.waitUntil(panel.counts_fit)
    assert all(cell.isVisible() for cell in panel.cells)
    total = sum(matrix[3])
    assert panel.cell_text(3, 4) == f"true language 3, predicted language 4: {matrix[3][4]} " \
                                   f"({matrix[3][4] / total:.0%} of the {total})"
    assert panel.cell_text(3, 3).startswith("true language 3, predicted language 3: 30")
    assert panel.cell_text(12, 0) is None and panel.cell_text(0, -1) is None
    over = panel.plot.getViewBox().mapViewToScene(QPointF(4.5, 3.5))  # column 4, row 3
    panel.plot_widget.scene().sigMouseMoved.emit(over)
    assert QToolTip.text() == panel.cell_text(3, 4)


@pytest.mark.parametrize("task", ["classification", "language_model", "forecasting", "seq2seq"])
def test_try_it_fits_the_side_dock_of_a_1280_px_screen_for_every_task(qtbot, task):
    """At 1280x720 the side docks are about 280 px wide: the validation sample's button and the generation
    settings stood past the dock's edge, cut off."""
    from gui.training.try_panel import TryPanel

    panel = TryPanel()
    qtbot.addWidget(panel)
    panel._show_controls(task)
    panel.title.setText("<b>names/20261202-213908</b> · task classification · input 'chars' · head 'language'")
    assert panel.minimumSizeHint().width() <= 260


def test_a_classifiers_probabilities_fit_the_try_panel_of_a_260_px_dock(qtbot):
    """Bars of 30 characters wrapped in the side dock: the end of the top class's bar showed as a stray block
    under it, and a proportional font put the names out of line."""
    from gui.training.try_panel import TryPanel, probability_lines

    assert probability_lines([("fresh", 0.974), ("rotten", 0.026)], 30) == [
        " fresh   97.4%  █████████████", "rotten    2.6%  "]  # 29 characters
    assert all(len(line) <= 60 for line in probability_lines([("a", 1.0)], 100))  # a bar of 30 at the most
    panel = TryPanel()
    qtbot.addWidget(panel)
    panel._show_controls("classification")
    panel.resize(260, 500)
    panel.show()
    qtbot.waitExposed(panel)
    panel._on_result(("probs", "a wonderful, moving film", None, [("fresh", 0.974), ("rotten", 0.026)]))
    document = panel.output.document()
    lines = [document.findBlockByNumber(i) for i in range(document.blockCount())]
    assert len(lines) == 2 and all(block.layout().lineCount() == 1 for block in lines)  # no bar wraps
    metrics = panel.output.fontMetrics()
    assert metrics.horizontalAdvance("i") == metrics.horizontalAdvance("M")  # a fixed-width font


def test_the_data_panel_fits_the_side_dock_of_a_1280_px_screen(qtbot):
    """Its split (train, val, test) in one row took 265 px: the dock cut the test share off."""
    from gui.training.data_panel import DataPanel

    panel = DataPanel()
    qtbot.addWidget(panel)
    assert panel.minimumSizeHint().width() <= 260


def test_with_no_model_the_title_and_the_offer_stay_at_the_top(qtbot, tmp_path):
    """Without a model the panel's few lines were spread over the dock's height, the offer half-way down."""
    from gui.training.try_panel import TryPanel

    panel = TryPanel()
    qtbot.addWidget(panel)
    panel.offer_run(tmp_path / "runs" / "doc" / "20261203-065408")
    panel.resize(260, 600)
    panel.show()
    qtbot.waitExposed(panel)
    assert "20261203-065408" in panel.offer_button.text()
    assert panel.offer_button.geometry().top() < 120  # under the title, not half-way down 600 px
