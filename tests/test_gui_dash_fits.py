"""The docked dashboard on a small screen: a 1200x290 strip shows the Curves tab's plots whole (no scrolling that
cuts them below their axes), in one row; given room, the learning rate goes back under loss and metric. Long
header text wraps without making the dock's scroll area size the dashboard by its preferred height."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QScrollArea

from gui.dashboard import DashboardWidget
from gui.wrapping_label import WrappingLabel


@pytest.fixture
def docked(qtbot):
    """The dashboard in a scroll area as the training dock holds it, every tab made once (Compare has two rows)."""
    dashboard = DashboardWidget()
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(dashboard)
    qtbot.addWidget(area)
    area.resize(1200, 290)
    area.show()
    for page in dashboard.pages.values():
        dashboard.tabs.setCurrentWidget(page)
        page.ensure()
        qtbot.wait(10)
    dashboard.show_tab("curves")
    return area, dashboard


def _inside_viewport(area, widget) -> bool:
    top_left = widget.mapTo(area.viewport(), widget.rect().topLeft())
    return area.viewport().rect().contains(QRect(top_left, widget.size()))


def test_a_short_strip_shows_the_three_curves_whole_in_one_row(docked, qtbot):
    area, dashboard = docked
    qtbot.waitUntil(lambda: dashboard.height() <= area.viewport().height())
    loss, metric, learning_rate = (dashboard.loss, dashboard.metric_panel, dashboard.lr)
    assert not area.verticalScrollBar().isVisible()
    for plot in (loss, metric, learning_rate):
        assert _inside_viewport(area, plot.layout_widget), plot.title
    assert loss.y() == metric.y() == learning_rate.y()  # one row
    # The learning rate has one curve and no legend: its data get the room a legend column would take.
    assert learning_rate.plot.getViewBox().width() > 0.6 * learning_rate.width()
    assert dashboard.width() <= area.viewport().width()  # never wider than the dock: it cannot scroll sideways


def test_with_room_the_learning_rate_goes_under_loss_and_metric(docked, qtbot):
    area, dashboard = docked
    area.resize(1200, 800)
    qtbot.waitUntil(lambda: dashboard.lr.y() > dashboard.loss.y() + dashboard.loss.height() // 2)
    assert dashboard.loss.y() == dashboard.metric_panel.y()
    assert dashboard.lr.width() > dashboard.loss.width()  # it spans both columns


def test_a_long_header_wraps_and_the_strip_still_does_not_scroll(docked, qtbot):
    area, dashboard = docked
    one_line = dashboard.header.height()
    dashboard.header.setText("failed: the loss became nan at epoch 1, step 6; " * 12)
    qtbot.waitUntil(lambda: dashboard.header.height() >= 3 * one_line)
    assert not dashboard.layout().hasHeightForWidth()
    qtbot.waitUntil(lambda: dashboard.height() <= area.viewport().height() + 1)
    assert not area.verticalScrollBar().isVisible()


def test_the_paused_sign_takes_no_height_from_the_plots(docked, qtbot):
    """Pausing showed a band of its own over the plots: in a 1280x720 window the curves lost their axes under
    the dock's edge and a scroll bar appeared. The sign shares the header's row."""
    area, dashboard = docked
    qtbot.waitUntil(lambda: dashboard.height() <= area.viewport().height())
    tabs_top = dashboard.tabs.y()
    dashboard.set_paused(True)
    qtbot.wait(50)
    assert dashboard.paused.isVisible()
    assert dashboard.tabs.y() == tabs_top
    assert not area.verticalScrollBar().isVisible()
    for plot in (dashboard.loss, dashboard.metric_panel, dashboard.lr):
        assert _inside_viewport(area, plot.layout_widget), plot.title


def test_a_wrapping_label_is_as_tall_as_its_text_at_its_width(qtbot):
    label = WrappingLabel("word " * 30)
    qtbot.addWidget(label)
    label.resize(200, 10)
    label.show()
    qtbot.waitUntil(lambda: label.minimumHeight() == label.heightForWidth(200))
    assert label.minimumHeight() >= 4 * label.fontMetrics().height()
    label.resize(label.fontMetrics().horizontalAdvance("word " * 30) + 40, label.height())
    qtbot.waitUntil(lambda: label.minimumHeight() < 2 * label.fontMetrics().height())  # one line again


def test_the_gates_tab_puts_the_means_beside_the_heatmaps_in_a_short_strip(docked, qtbot):
    area, dashboard = docked
    dashboard.show_tab("gates")
    gates = dashboard.gates
    qtbot.waitUntil(lambda: gates.wide is True)
    assert abs(gates.means.pos().y() - gates.heat.plot.pos().y()) < 2  # one row
    assert gates.heat.plot.height() > 60  # the heatmaps keep a readable height
    area.resize(1200, 800)
    qtbot.waitUntil(lambda: gates.wide is False)
    qtbot.waitUntil(lambda: gates.means.pos().y() > gates.heat.plot.pos().y() + gates.heat.plot.height() / 2)


def test_an_early_stopped_run_is_said_in_words_once(qtbot):
    """The header said 'early_stopped: stopped early: val_loss did not improve ...'."""
    from engine.training import RunFinished, RunStarted
    from gui.dashboard.history import RunHistory, ending, status_words

    history = RunHistory("adding_rnn")
    history.add(RunStarted("adding_rnn", {}, "cpu", 20, 250, ["rnn"], 1, {}))
    history.add(RunFinished("early_stopped", "stopped early: val_loss did not improve for 6 epochs", None, None,
                            None, 12.0))
    dashboard = DashboardWidget()
    qtbot.addWidget(dashboard)
    dashboard.set_history(history)
    assert dashboard.header_text().endswith("<b>stopped early</b>: val_loss did not improve for 6 epochs")
    assert status_words("early_stopped") == "stopped early" and status_words("completed") == "completed"
    assert ending("failed", "the loss became nan") == ("failed", "the loss became nan")
