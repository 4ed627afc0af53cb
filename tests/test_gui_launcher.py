"""Starting the window on a Linux machine that lacks Qt's X11 libraries: one line naming every missing
library and the one install command, exit 1, no Qt abort."""
from __future__ import annotations

import subprocess
import types

from gui import app


def test_missing_xcb_libraries_are_named_with_the_install_command(monkeypatch, capsys):
    monkeypatch.setattr(app.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    listing = ("\tlibxcb.so.1 => /lib/libxcb.so.1 (0x1)\n\tlibxcb-icccm.so.4 => not found\n"
               "\tlibxkbcommon-x11.so.0 => not found\n")
    monkeypatch.setattr(app.subprocess, "run", lambda *a, **k: types.SimpleNamespace(stdout=listing))
    monkeypatch.setattr(app.ctypes.util, "find_library", lambda name: None)
    assert app.missing_platform_libraries() == ["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxkbcommon-x11.so.0"]
    monkeypatch.setattr(app.QApplication, "instance", staticmethod(lambda: None))
    assert app.run_app([]) == 1
    err = capsys.readouterr().err
    assert "sudo apt-get install libxcb-cursor0 libxcb-icccm4 libxkbcommon-x11-0" in err
    assert "libxcb-icccm.so.4" in err


def test_nothing_is_reported_when_the_libraries_load_or_another_platform_is_chosen(monkeypatch):
    monkeypatch.setattr(app.sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(app.subprocess, "run", lambda *a, **k: types.SimpleNamespace(stdout="\tlibc.so.6 => /lib\n"))
    monkeypatch.setattr(app.ctypes.util, "find_library", lambda name: "libxcb-cursor.so.0")
    assert app.missing_platform_libraries() == []
    monkeypatch.setattr(app.ctypes.util, "find_library", lambda name: None)
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert app.missing_platform_libraries() == []

    def no_ldd(*args, **kwargs):
        raise subprocess.SubprocessError("no ldd")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(app.subprocess, "run", no_ldd)
    assert app.missing_platform_libraries() == []
