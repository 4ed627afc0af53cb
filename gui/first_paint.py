"""Work that waits for the window's first paint while the studio launches.

Before its first paint the window should only build itself. Plots (gui.lazy_widget) and background checks
(gui.training.background) started meanwhile would be paid before the user sees anything: a check in a thread holds
the GIL in turns with the painting, and three of them delayed the first paint of ``rnn-studio examples/
sentiment.json`` by 0.6 s. ``run_app`` calls ``wait_for_first_paint()`` before making the window and its FirstPaint
calls ``first_paint_done()``; without them (tests, a window made in code) nothing ever waits.
"""
from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, QTimer
from shiboken6 import isValid

_waiting: list[tuple[QObject, Callable[[], None]]] | None = None


def wait_for_first_paint() -> None:
    """From now on, ``after_first_paint`` keeps its callbacks until ``first_paint_done()``."""
    global _waiting
    _waiting = []


def waiting() -> bool:
    return _waiting is not None


def after_first_paint(owner: QObject, callback: Callable[[], None]) -> None:
    """Runs ``callback`` on a later turn of the event loop: after the first paint when the launch waits for it (not
    at all if ``owner`` was deleted by then), else at the next turn."""
    if _waiting is not None:
        _waiting.append((owner, callback))
    else:
        QTimer.singleShot(0, owner, callback)


def first_paint_done() -> None:
    """The window has painted: what waited runs, one callback per event-loop turn."""
    global _waiting
    pending, _waiting = _waiting or [], None
    for owner, callback in pending:
        if isValid(owner):
            QTimer.singleShot(0, owner, callback)
