"""What a new user saw going wrong in the dashboard and Try it (an audit under Xvfb): a token model's hidden
state squeezed to its first step, a GRU's cell-state square waiting forever, gate means and Try it plots left
over from another document's model, unreadable minor labels on log axes, a header that said no run existed.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from gui.dashboard.history import RunHistory
from test_gui_dash_support import EXAMPLES, small_example


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A tiny finished run of names (characters -> bidirectional GRU, a classifier) and of adding_lstm (numbers
    -> LSTM, a regression), written by the engine."""
    root = tmp_path_factory.mktemp("audit")
    names = load_document(EXAMPLES / "names.json")
    names.data = {**names.data, "options": {"per_language": 20}}
    names.path = Path(root) / "names.json"
    out = {}
    for name, document in (("names", names), ("adding_lstm", small_example("adding_lstm", root, samples=120,
                                                                           length=10))):
        result = Trainer(document, TrainingConfig(epochs=1, batch_size=16, max_steps_per_epoch=2)).run()
        assert result.status == "completed", result.message
        out[name] = result.run_dir
    return out


def _panel(qtbot, cls):
    panel = cls()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    return panel


def _show(panel, run_dir) -> RunHistory | None:
    history = RunHistory.from_run_dir(run_dir) if run_dir is not None else None
    panel.set_history(history)
    return history


def _ticks(axis) -> list[str]:
    """The tick labels an axis shows now: the texts set on it, or its own values."""
    if axis._tickLevels is not None:  # noqa: SLF001 - set with setTicks
        return [text for level in axis._tickLevels for _pos, text in level]  # noqa: SLF001
    low, high = axis.range
    size = axis.geometry().width() if axis.orientation in ("top", "bottom") else axis.geometry().height()
    return [text for spacing, values in axis.tickValues(low, high, size)
            for text in axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)]


def test_a_token_models_hidden_state_spans_every_step_labelled_by_its_tokens(qtbot, runs):
    """names.json: one column labelled 'H' of the six of 'Hassan' showed; the empty input-value strip under it
    (X-linked) had pulled the states' axis to 0-1."""
    from gui.dashboard.hidden import HiddenStatePanel

    panel = _panel(qtbot, HiddenStatePanel)
    history = _show(panel, runs["names"])
    probe = next(iter(history.hidden.values()))
    x_low, x_high = panel.heat.plot.viewRange()[0]
    assert x_low <= 0 and x_high >= probe.length  # every step of the probe sample
    assert panel.heat.matrix.shape[1] == probe.length
    ticks = _ticks(panel.heat.plot.getAxis("bottom"))
    assert len(ticks) == probe.length and all(len(t) == 1 for t in ticks)  # its characters, one per step
    assert not panel.strip.plot.isVisible()  # no strip of values for tokens, and no room kept for one
    qtbot.waitUntil(lambda: panel.heat.plot.sceneBoundingRect().height() > 0.8 * panel.layout_widget.height())
    panel.fit()
    assert panel.heat.plot.viewRange()[0][1] >= probe.length

    # A numeric model next: its values in the strip again, under all of its steps.
    history = _show(panel, runs["adding_lstm"])
    probe = next(iter(history.hidden.values()))
    assert panel.strip.plot.isVisible() and panel.strip.matrix.shape == (2, probe.length)
    x_low, x_high = panel.heat.plot.viewRange()[0]
    assert x_low <= 0 and x_high >= probe.length
    assert _ticks(panel.heat.plot.getAxis("bottom"))[:2] != ticks[:2]  # numbers, not the names' letters


def test_a_grus_cell_state_square_says_it_does_not_apply_instead_of_waiting(qtbot, runs):
    from gui.dashboard.panels import GatePanel

    panel = _panel(qtbot, GatePanel)
    _show(panel, runs["names"])
    assert panel.heat.matrix is not None  # the GRU's gates are there
    said = panel.cell.empty.toPlainText()
    assert panel.cell.empty.isVisible() and "waiting" not in said and "does not apply" in said
    _show(panel, runs["adding_lstm"])
    assert panel.cell.matrix is not None and not panel.cell.empty.isVisible()  # an LSTM's cell state


def _legend(plot) -> list[str]:
    return [label.text for _sample, label in plot.legend.items]


def test_gate_means_show_only_the_model_on_display(qtbot, runs):
    """A GRU's reset/update/candidate stayed listed (with broken icons) above an LSTM's gates opened after it."""
    from gui.dashboard.panels import GatePanel

    panel = _panel(qtbot, GatePanel)
    _show(panel, runs["names"])
    assert _legend(panel.means) == ["reset", "update", "candidate"]
    _show(panel, None)  # another document: no run on display
    assert _legend(panel.means) == [] and panel.means.listDataItems() == []
    _show(panel, runs["names"])
    _show(panel, runs["adding_lstm"])  # or a run of another model straight away
    lstm = ["input", "forget", "cell", "output"]
    assert sorted(_legend(panel.means)) == sorted(lstm)
    assert len(panel.means.listDataItems()) == 4


def test_try_it_clears_its_plot_when_the_model_changes(qtbot, runs):
    """A classifier's bars left an 'Irish' tick (and a bar) under the next document's forecast."""
    from gui.training.try_panel import TryPanel

    panel = _panel(qtbot, TryPanel)
    with qtbot.waitSignal(panel.loader.done, timeout=60000):
        panel.set_run(runs["names"])
    assert panel.session.task == "classification"
    with qtbot.waitSignal(panel.work.done, timeout=60000):
        panel.run_sample()
    classes = _ticks(panel.plot.getAxis("bottom"))
    assert len(classes) == 12 and all(c.isalpha() for c in classes)
    panel.text.setText("  ")  # nothing typed: said so, not classified (it answered "Slovak 40.9 %")
    panel.run_text()
    assert panel.message.text().startswith("type a text first") and not panel.work.busy

    panel.set_document(load_document(EXAMPLES / "adding_lstm.json"))  # another document
    assert panel.plot.listDataItems() == [] and panel.plot.items == []
    assert not set(_ticks(panel.plot.getAxis("bottom"))) & set(classes)
    with qtbot.waitSignal(panel.loader.done, timeout=60000):
        panel.set_run(runs["adding_lstm"])
    with qtbot.waitSignal(panel.work.done, timeout=60000):
        panel.run_forecast()
    assert [type(item).__name__ for item in panel.plot.items] == ["PlotDataItem", "PlotDataItem"]  # no bar
    ticks = _ticks(panel.plot.getAxis("bottom"))
    assert ticks and not set(ticks) & set(classes)
    assert all(t.replace(".", "").replace("-", "").isdigit() for t in ticks)  # numbers
    # A regression's samples are separate sequences: each prediction against its target, not a line through them.
    assert panel.forecast_button.text() == "Predict the validation samples"
    assert _legend(panel.plot) == ["perfect", "prediction"]
    points = panel.plot.listDataItems()[1]
    assert points.opts["pen"] is None and points.opts["symbol"] == "o"
    assert panel.plot.getAxis("bottom").labelText == "actual (scaled)"


def test_try_it_clears_the_last_models_answer_when_another_model_is_loaded(qtbot, runs):
    """Loading a run (the Runs dock, a finished run) without switching documents: the classifier's bars went."""
    from gui.training.try_panel import TryPanel

    panel = _panel(qtbot, TryPanel)
    with qtbot.waitSignal(panel.loader.done, timeout=60000):
        panel.set_run(runs["names"])
    with qtbot.waitSignal(panel.work.done, timeout=60000):
        panel.run_sample()
    assert panel.output.toPlainText()
    with qtbot.waitSignal(panel.loader.done, timeout=60000):
        panel.set_run(runs["adding_lstm"])
    assert panel.plot.items == [] and panel.plot.getAxis("bottom")._tickLevels is None  # noqa: SLF001
    assert panel.output.toPlainText() == ""
    assert np.isfinite(panel.plot.viewRange()[0]).all()


def _drawn_labels(axis) -> list[tuple[str, float, float]]:
    """(text, top, bottom) of each label the axis draws now, as it paints them."""
    from PySide6.QtGui import QImage, QPainter

    image = QImage(10, 10, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    _axis, _ticks, texts = axis.generateDrawSpecs(painter)
    painter.end()
    return sorted((text, rect.top(), rect.bottom()) for rect, _flags, text in texts)


def test_log_axes_draw_no_label_over_another(qtbot, runs):
    """The Compare tab's 'Gradient norm of a block' wrote 0.9 0.8 0.7 0.6 (and 0.09 0.08 ...) over each other."""
    from gui.dashboard.compare import ComparePanel
    from gui.dashboard.panels import GradNormPanel

    compare = _panel(qtbot, ComparePanel)
    compare.resize(900, 420)  # a short dock: about 150 px per plot
    with qtbot.waitSignal(compare.loaded, timeout=30000):
        compare.set_runs([("names", runs["names"]), ("adding", runs["adding_lstm"])])
    compare.refresh(force=True)
    norms = _panel(qtbot, GradNormPanel)
    norms.resize(500, 220)
    _show(norms, runs["names"])
    qtbot.wait(50)  # the layouts settle
    for plot in (compare.grad_norm.plot, norms.plot):
        for low, high in ((-1, 0), (-2, 0), (-1.52, -0.02), (-6, 2)):  # one decade, two, as zoomed, eight
            plot.setYRange(low, high, padding=0.02)  # as the panels follow the data
            labels = _drawn_labels(plot.getAxis("left"))
            assert len(labels) >= 2, labels
            rows = sorted((top, bottom, text) for text, top, bottom in labels)
            for (_top, bottom, text), (top, _bottom, other) in zip(rows, rows[1:]):
                assert bottom <= top + 1, f"{text} over {other}: {labels}"
            inside = range(int(np.floor(low)) + 1, int(np.ceil(high)))  # (one at an end has no room for its label)
            if len(inside):
                decades = {f"{10.0 ** d:g}" for d in inside}
                assert decades & {text for text, _t, _b in labels}  # the decades are named


def test_the_dashboard_header_says_what_the_open_document_has(qtbot, runs):
    """A document opened with data and finished runs was told 'No run yet: choose data'."""
    from gui.dashboard.dashboard import DashboardWidget

    board = DashboardWidget()
    qtbot.addWidget(board)
    board.describe_document(has_data=True, has_runs=True)
    text = board.header.text()
    assert "Runs dock" in text and "F5" in text and "No run yet" not in text and "choose data" not in text
    board.describe_document(has_data=True, has_runs=False)
    assert board.header.text() == "No run yet: Training ▸ Start (F5) to train."
    board.describe_document(has_data=False, has_runs=False)
    assert "choose data" in board.header.text()
    board.set_history(RunHistory.from_run_dir(runs["names"]))  # a run on display: its name and how it ended
    assert "completed" in board.header.text() and "No run" not in board.header.text()
    board.set_history(None)
    assert board.header.text().startswith("No run yet: choose data")
