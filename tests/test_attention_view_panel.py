"""The Attention tab labels both axes with the probe sample's decoded characters, names the hovered cell and its
weight, draws attention pooling as bars over the characters, says the sample's text, target and the model's
answer above the plot, and follows the dark theme."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QPointF
from PySide6.QtGui import QImage, QPainter, QTextDocument

from engine.data.synthetic import SEQ_VOCAB
from engine.training.events import AttentionProbe, RunStarted
from engine.training.runs import DATA_META
from gui.dashboard.attention import AttentionPanel, TokenAxis, shown_token
from gui.dashboard.history import RunHistory
from gui.theme import DARK, LIGHT, apply_theme
from test_examples_seq2seq_long import long_example, train_briefly
from test_training_support import one_torch_thread  # noqa: F401


@pytest.fixture(scope="module")
def seq2seq_run(tmp_path_factory):
    result = train_briefly(long_example("seq2seq_long_attention", tmp_path_factory.mktemp("attention")))
    assert result.status == "completed", result.message
    return result.run_dir


@pytest.fixture
def panel(qtbot):
    panel = AttentionPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    yield panel
    apply_theme("light")


def _cell_center(qtbot, panel, row: float, col: float):
    qtbot.wait(20)  # the layout settles before a view point is mapped to the screen
    box = panel.shown.getViewBox()
    return panel.layout_widget.mapFromScene(box.mapViewToScene(QPointF(col + 0.5, row + 0.5)))


def test_seq2seq_heatmap_axes_are_the_decoded_characters_and_hover_names_the_pair(qtbot, panel, seq2seq_run):
    history = RunHistory.from_run_dir(seq2seq_run)
    probe = history.attention["attention"]
    panel.set_history(history)
    source = [SEQ_VOCAB[t] for t in probe.key_tokens]
    decoder = [SEQ_VOCAB[t] for t in probe.query_tokens]
    assert panel.key_axis.labels == source and all(ch in "0123456789" for ch in source)
    assert panel.query_axis.labels == decoder and decoder[0] == "<bos>"
    assert panel.heat.matrix.shape == (len(decoder), len(source))  # real steps only, no padding columns
    np.testing.assert_allclose(panel.heat.matrix, probe.weights[:len(decoder), :len(source)])
    assert panel.heat.plot.getAxis("bottom") is panel.key_axis
    assert panel.heat.plot.getAxis("bottom").labelText == "key (attended to): source"
    # above the plot: the source string, the target (the source reversed, then <eos>) and the model's answer
    text = panel.sample.text()
    assert f"<b>source</b> {''.join(source)}" in text
    assert f"<b>target</b> {''.join(reversed(source))}&lt;eos&gt;" in text and "(teacher-forced)" in text
    wrong = sum(p != t for p, t in zip(probe.prediction, probe.target))
    assert f"({wrong} of {len(probe.target)} steps wrong)" in text and text.count("color:#d62728") == wrong
    # hovering a cell (a real mouse move over the plot) names its query and key characters and the weight
    qtbot.mouseMove(panel.layout_widget.viewport(), _cell_center(qtbot, panel, 2, 3))
    qtbot.waitUntil(lambda: panel.readout.text() != "", timeout=3000)
    assert panel.readout.text() == (f"query 3 “{decoder[2]}” → key 4 “{source[3]}”: "
                                    f"weight {probe.weights[2, 3]:.4f}")
    header, rows = panel.csv_table(history)
    assert header == ["query"] + source and [r[0] for r in rows] == decoder


def test_labels_thin_out_when_the_axis_is_too_short_and_never_overlap(panel):
    axis = TokenAxis("bottom")
    axis.set_labels([f"word{i}" for i in range(40)])
    [(every, values)] = axis.tickValues(0, 40, 4000)  # 100 px a cell: every word fits
    assert every == 1 and len(values) == 40 and axis.tickStrings(values[:2], 1, 1) == ["word0", "word1"]
    [(every, values)] = axis.tickValues(0, 40, 400)  # 10 px a cell: every k-th word, k cells wider than a word
    width = axis._label_size(axis.labels)
    assert every > 1 and every * 10 >= width > (every - 1) * 10 and values[:2] == [0.5, every + 0.5]
    [(every, values)] = axis.tickValues(10, 14, 400)  # zoomed in: the words come back
    assert every == 1 and values == [10.5, 11.5, 12.5, 13.5]


def _pooling_history(tmp_path) -> tuple[RunHistory, AttentionProbe]:
    vocab = ["<pad>", "<unk>", "a", "b", "e", "l", "r", " "]
    (tmp_path / DATA_META).write_text(json.dumps({
        "vocab": {"name": vocab}, "labels": {"language": ["English", "French"]},
        "special_tokens": {"name": {"<pad>": 0, "<unk>": 1}}, "tokenization": {"name": {"tokenizer": "char"}}}))
    history = RunHistory("names")
    history.add(RunStarted(str(tmp_path), {}, "cpu", 1, 1, []))
    probe = AttentionProbe(5, "pool", np.array([0.1, 0.2, 0.3, 0.15, 0.25, 0.0, 0.0], dtype=np.float32),
                           key_input="name", key_tokens=[3, 4, 7, 5, 2], key_length=5, head="language",
                           target=1, prediction=0)
    history.add(probe)
    return history, probe


def test_pooling_is_a_bar_per_character_with_the_label_and_a_wrong_prediction(qtbot, panel, tmp_path):
    history, probe = _pooling_history(tmp_path)
    panel.set_history(history)
    assert panel.shown is panel.bars and panel.heat.plot.scene() is None  # no stretched one-row heatmap
    assert panel.bar_axis.labels == ["b", "e", "␣", "l", "a"]
    np.testing.assert_allclose(panel.bar_item.opts["height"], probe.weights[:5])
    text = panel.sample.text()
    assert "<b>name</b> be la" in text and "<b>label</b> French" in text and "English" in text and "wrong" in text
    qtbot.mouseMove(panel.layout_widget.viewport(), _cell_center(qtbot, panel, -0.45, 2))
    qtbot.waitUntil(lambda: panel.readout.text() != "", timeout=3000)
    assert panel.readout.text() == "step 3 “␣”: weight 0.3000"
    assert panel.csv_table(history)[1][2] == [3, "␣", pytest.approx(0.3)]


def test_dark_theme_colours_the_axes_of_whichever_plot_is_shown(panel, tmp_path, seq2seq_run):
    apply_theme("dark", panel)
    history, _ = _pooling_history(tmp_path)
    panel.set_history(history)  # the bar plot enters the scene after the theme changed
    assert panel.bar_axis.pen().color().name() == DARK.foreground
    panel.set_history(RunHistory.from_run_dir(seq2seq_run))
    assert panel.key_axis.pen().color().name() == DARK.foreground and panel.shown is panel.heat.plot
    apply_theme("light", panel)
    assert panel.key_axis.pen().color().name() == LIGHT.foreground
    assert not panel.layout_widget.grab().isNull()


def _drawn_texts(axis) -> list[str]:
    """The tick texts the axis paints now (pyqtgraph's own layout of them)."""
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    try:
        return [text for _rect, _flags, text in axis.generateDrawSpecs(painter)[2]]
    finally:
        painter.end()


def test_both_axes_paint_their_labels_the_rows_top_down(qtbot, panel, tmp_path):
    labels = [f"w{i}" for i in range(30)]
    (tmp_path / DATA_META).write_text(json.dumps({"vocab": {"text": labels}}))
    history = RunHistory("self")
    history.add(RunStarted(str(tmp_path), {}, "cpu", 1, 1, []))
    weights = np.full((30, 30), 1 / 30, dtype=np.float32)
    history.add(AttentionProbe(2, "attention", weights, query_input="text", query_tokens=list(range(30)),
                               query_length=30, key_input="text", key_tokens=list(range(30)), key_length=30))
    panel.set_history(history)
    qtbot.wait(20)
    for axis in (panel.query_axis, panel.key_axis):
        drawn = _drawn_texts(axis)
        assert drawn and drawn[0] == "w0" and drawn == labels[::axis.every]
    assert panel.sample.text() == "<b>text</b> " + " ".join(labels)  # one input: shown once


@settings(max_examples=60, deadline=None)
@given(labels=st.lists(st.text(min_size=0, max_size=30), min_size=1, max_size=80),
       low=st.floats(-5, 90), span=st.floats(0.5, 100), size=st.floats(20, 3000),
       orientation=st.sampled_from(["bottom", "left"]))
def test_token_axis_never_overlaps_labels_and_stays_in_range(qapp, labels, low, span, size, orientation):
    axis = TokenAxis(orientation)
    axis.set_labels([shown_token(t) for t in labels])
    assert all(0 < len(label) <= 12 for label in axis.labels)
    ticks = axis.tickValues(low + span, low, size)  # reversed, as an inverted axis passes them
    if not ticks:
        assert low + span < 0.5 or low > len(labels) - 0.5  # no cell centre in view
        return
    [(every, values)] = ticks
    assert all(low <= v <= low + span and (v - 0.5) % every == 0 for v in values)
    shown = [axis.labels[int(v)] for v in values]
    assert axis.tickStrings(values, 1, every) == shown
    pixels_per_cell = size / span
    assert every * pixels_per_cell >= axis._label_size(shown)  # neighbours never overlap


@settings(max_examples=40, deadline=None)
@given(tokens=st.lists(st.text(min_size=1, max_size=6), min_size=1, max_size=12), target=st.integers(0, 2))
def test_sample_line_escapes_whatever_the_vocabulary_holds(qapp, tmp_path_factory, tokens, target):
    folder = tmp_path_factory.mktemp("meta")
    vocab = ["<pad>", "<unk>"] + tokens
    (folder / DATA_META).write_text(json.dumps({"vocab": {"x": vocab}, "labels": {"y": ["<i>a", "b&c", "d"]}}))
    history = RunHistory("x")
    history.add(RunStarted(str(folder), {}, "cpu", 1, 1, []))
    probe = AttentionProbe(1, "pool", np.ones(len(tokens), dtype=np.float32) / len(tokens), key_input="x",
                           key_tokens=list(range(2, len(vocab))), key_length=len(tokens), head="y", target=target,
                           prediction=target)
    panel = AttentionPanel()
    history.add(probe)
    panel.set_history(history)
    doc = QTextDocument()
    doc.setHtml(panel.sample.text())
    text = doc.toPlainText()
    assert text.startswith("x ") and f"label {['<i>a', 'b&c', 'd'][target]}" in text and "(right)" in text
    assert panel.bar_axis.labels == [shown_token(t) for t in tokens]
    panel.deleteLater()
