"""Starts the studio: the QApplication, its identity for QSettings, the main window and what it opens."""
from __future__ import annotations

import ctypes.util
import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from .first_paint import first_paint_done, wait_for_first_paint

# Set to a file path, the window writes there "<time.time()> <CPU seconds of the process>" at its first paint,
# and "torch <time.time()>" once torch is loaded: benchmarks/bench_launch.py measures launch to first paint.
FIRST_PAINT_ENV = "RNN_STUDIO_FIRST_PAINT"

# Loaded by Qt's xcb plugin with dlopen, so ldd does not list it (Qt >= 6.5 needs it).
XCB_CURSOR = "libxcb-cursor.so.0"


def missing_platform_libraries() -> list[str]:
    """The shared libraries Qt's X11 (xcb) platform plugin needs and this Linux machine lacks; empty when
    the plugin can load, on other systems, or when another platform (offscreen, wayland) is chosen."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM", "xcb").split(":")[0] != "xcb":
        return []
    if not os.environ.get("DISPLAY"):
        return []  # no X display: Qt says so itself, more clearly than a library list
    import PySide6

    qt = Path(PySide6.__file__).parent / "Qt"
    binaries = [qt / "plugins" / "platforms" / "libqxcb.so", *sorted((qt / "lib").glob("libQt6XcbQpa.so*"))[:1]]
    missing: list[str] = []
    for binary in (b for b in binaries if b.exists()):
        try:
            listing = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return []  # no ldd: let Qt try
        missing += [line.split("=>")[0].strip() for line in listing.splitlines() if "not found" in line]
    if ctypes.util.find_library("xcb-cursor") is None:
        missing.append(XCB_CURSOR)
    return sorted(set(missing))


def debian_packages(sonames: list[str]) -> list[str]:
    """Debian's package for each library soname: libxcb-icccm.so.4 -> libxcb-icccm4 (a dash before the
    version when the name ends in a digit: libxkbcommon-x11.so.0 -> libxkbcommon-x11-0)."""
    packages = []
    for soname in sonames:
        base, _, version = soname.partition(".so.")
        packages.append(base + ("-" if base[-1:].isdigit() else "") + version.split(".")[0])
    return packages


class FirstPaint(QObject):
    """Sees ``window``'s first paint: records its time (``FIRST_PAINT_ENV``) and then, once that paint is on the
    screen, starts loading torch in the background (gui.torch_loader) while the user reads the start page."""

    def __init__(self, window: QWidget, record_to: str | None = None):
        super().__init__(window)
        self.window = window
        self.record_to = record_to
        self.painted_at: float | None = None
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (event.type() == QEvent.Type.Paint and self.painted_at is None and isinstance(watched, QWidget)
                and watched.window() is self.window):
            self.painted_at = time.time()
            QApplication.instance().removeEventFilter(self)
            if self.record_to:
                Path(self.record_to).write_text(f"{self.painted_at:.6f} {time.process_time():.6f}\n",
                                                encoding="utf-8")
            QTimer.singleShot(0, first_paint_done)  # once this paint has finished: the plots and checks that waited,
            QTimer.singleShot(0, self._preload)  # then torch in the background
        return False

    def _preload(self) -> None:
        from .torch_loader import shared_loader

        loader = shared_loader(self.window)
        if self.record_to:  # the benchmark also reads when torch was ready: "torch <time>" (connected first)
            loader.ready.connect(lambda _s: self._append(f"torch {time.time():.6f}"))
            loader.failed.connect(lambda why: self._append(f"torch-failed {why!r}"))
        loader.start()

    def _append(self, line: str) -> None:
        with open(self.record_to, "a", encoding="utf-8") as out:
            out.write(line + "\n")


def run_app(argv: list[str]) -> int:
    """``rnn-studio`` opens the start page (or the crash-recovered work); ``rnn-studio FILE`` opens FILE."""
    missing = missing_platform_libraries()
    if missing and QApplication.instance() is None:
        # Qt would abort with a message naming only libxcb-cursor0: name every missing library, and the fix.
        print(f"rnn-studio: the window needs system libraries that are missing: {', '.join(missing)}.\n"
              f"Install them with:  sudo apt-get install {' '.join(debian_packages(missing))}\n"
              f"(the command-line tools work without them: rnn-studio check|train|export ...)", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0], *argv])
    app.setApplicationName("RNN Studio")
    app.setOrganizationName("RNN Studio")
    from .main_window import MainWindow

    wait_for_first_paint()
    window = MainWindow(QSettings())
    window.first_paint = FirstPaint(window, os.environ.get(FIRST_PAINT_ENV))
    window.restore_layout()
    window.show()
    files = [a for a in argv if not a.startswith("-")]
    if not window.offer_recovery() and files:
        if not Path(files[0]).exists():
            window.show_error("Cannot open document", f"{files[0]}: no such file")
        else:
            window.open_file(files[0])
    return app.exec()
