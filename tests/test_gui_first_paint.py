"""What waits for the launching window's first paint (gui.first_paint): background checks and plots start after
it, only the latest of several checks runs, and a window made without the launch (tests, code) never waits."""
from __future__ import annotations

import os
import threading

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QLabel  # noqa: E402

from gui import first_paint  # noqa: E402
from gui.lazy_widget import LazyWidget  # noqa: E402
from gui.training.background import BackgroundCall  # noqa: E402


@pytest.fixture
def launching():
    first_paint.wait_for_first_paint()
    yield
    first_paint.first_paint_done()  # never leave later tests waiting


def test_a_check_asked_for_before_the_first_paint_starts_after_it_and_only_the_latest(qtbot, launching):
    started: list[str] = []
    call = BackgroundCall()
    results: list = []
    call.done.connect(results.append)
    call.call(lambda: started.append(threading.current_thread().name) or "first")
    call.call(lambda: started.append(threading.current_thread().name) or "second")
    qtbot.wait(100)
    assert started == [] and call.busy  # nothing runs beside the painting
    first_paint.first_paint_done()
    qtbot.waitUntil(lambda: results == ["second"])
    assert len(started) == 1 and started[0] != threading.main_thread().name


def test_a_closed_call_never_starts_what_waited(qtbot, launching):
    started: list[int] = []
    call = BackgroundCall()
    call.call(lambda: started.append(1))
    assert call.close()
    first_paint.first_paint_done()
    qtbot.wait(100)
    assert started == []


def test_a_plot_shown_before_the_first_paint_is_made_after_it(qtbot, launching):
    made: list[int] = []
    slot = LazyWidget(lambda: made.append(1) or QLabel("plot"))
    qtbot.addWidget(slot)
    slot.show()
    qtbot.wait(100)
    assert made == [] and not slot.made
    first_paint.first_paint_done()
    qtbot.waitUntil(lambda: slot.made)
    assert made == [1] and slot.content.isVisible()


def test_the_runs_of_the_documents_folder_are_listed_after_the_first_paint(qtbot, launching, tmp_path):
    """Listing a folder of runs reads each run's log: with 31 runs it delayed the first paint by 0.13 s."""
    from engine.training.runs import EVENTS
    from gui.training.runs_panel import RunsPanel

    run = tmp_path / "runs" / "doc" / "20260101-000000"
    run.mkdir(parents=True)
    (run / EVENTS).write_text("")
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.set_root(tmp_path / "runs")
    qtbot.wait(50)
    assert panel.runs == [] and panel.table.rowCount() == 0
    first_paint.first_paint_done()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1)
    assert panel.runs == [run]


def test_without_the_launch_nothing_waits(qtbot):
    assert not first_paint.waiting()
    call = BackgroundCall()
    results: list = []
    call.done.connect(results.append)
    call.call(lambda: 42)
    qtbot.waitUntil(lambda: results == [42])
    slot = LazyWidget(lambda: QLabel("plot"))
    qtbot.addWidget(slot)
    slot.show()
    qtbot.waitUntil(lambda: slot.made)
    assert slot.ensure() is slot.content
