"""Starts the studio: the QApplication, its identity for QSettings, the main window and what it opens."""
from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication


def run_app(argv: list[str]) -> int:
    """``rnn-studio`` opens the start page (or the crash-recovered work); ``rnn-studio FILE`` opens FILE."""
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("RNN Studio")
    app.setOrganizationName("RNN Studio")
    from .main_window import MainWindow

    window = MainWindow(QSettings())
    window.restore_layout()
    window.show()
    files = [a for a in argv if not a.startswith("-")]
    if not window.offer_recovery() and files:
        if not Path(files[0]).exists():
            window.show_error("Cannot open document", f"{files[0]}: no such file")
        else:
            window.open_file(files[0])
    return app.exec()
