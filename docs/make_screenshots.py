"""Takes the README's screenshots of the real window: assets/studio-<W>x<H>-<theme>.png for 1280x720 and
1920x1080, light and dark, with adding_lstm trained for a few epochs so every plot has data.

Run from the repository root:  .venv/bin/python docs/make_screenshots.py   (no display needed: offscreen)
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZES = ((1920, 1080), (1280, 720))  # large first: growing a window offscreen left stale tab bars in the grab
THEMES = ("light", "dark")


def wait(app, seconds: float, until=lambda: False) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        app.processEvents()
        time.sleep(0.01)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "assets")
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from engine.document import load_document
    from gui.main_window import MainWindow

    work = Path(tempfile.mkdtemp(prefix="rnn-studio-shots-"))
    try:
        document = load_document(ROOT / "examples" / "adding_lstm.json")
        document.data = {**document.data, "options": {"length": 30, "samples": 2000}}
        document.path = work / "adding_lstm.json"
        settings = QSettings(str(work / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings, recovery_dir=work / "recovery")
        window.ask_unsaved = lambda: "discard"
        window.show()  # shown at the size it chose, resized only once visible (a window resized before
        wait(app, 0.3)  # its first show kept a stale dock tab bar at the old place, offscreen and on X11)
        window.resize(*SIZES[0])
        wait(app, 0.3)
        window.set_document(document)
        wait(app, 1.0)  # the window settles (laid out, painted) before the run, as a user's does
        controller = window.training
        controller.training_panel.set_config({**document.training, "epochs": args.epochs, "batch_size": 32})
        controller.start()
        wait(app, 300, lambda: controller.last_finished is not None)
        if controller.last_finished is None or controller.last_finished.status != "completed":
            print("the run did not complete:", controller.last_finished, file=sys.stderr)
            return 1
        window.scene.select_nodes([window.graph.by_name("lstm").id])
        window.scene.selectionChanged.emit()  # the gates of the LSTM come forward
        args.out.mkdir(parents=True, exist_ok=True)
        for theme in THEMES:
            window.set_theme(theme)
            for width, height in SIZES:
                window.resize(width, height)
                wait(app, 0.2)
                window.fit_docks()
                wait(app, 0.3)
                window.make_room_for(controller.docks["dashboard"])  # as the run's start did
                wait(app, 0.3)  # the docks settle before the canvas frames the graph in what is left
                window.view.frame_all()
                controller.dashboard.redraw(force=True)
                wait(app, 0.2)
                wait(app, 0.8)
                path = args.out / f"studio-{width}x{height}-{theme}.png"
                # What the screen shows (QWidget.grab re-renders and painted hidden dock tab bars too).
                shot = window.screen().grabWindow(window.winId())
                if not shot.save(str(path), "PNG"):
                    print(f"{path}: could not write it", file=sys.stderr)
                    return 1
                print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
        window.set_theme("light")
        controller.shutdown()
        window.undo_stack.setClean()
        window.close()
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
