"""Shared test setup: Qt runs offscreen in every test, so the suite needs no display."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _empty_clipboard_after_test():
    """Clipboard data copied in a test is cleared while Qt is alive: mime data left behind crashes
    PySide6 when the application object is torn down at interpreter exit."""
    yield
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()
