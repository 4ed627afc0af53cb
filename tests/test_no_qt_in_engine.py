"""engine/ never imports Qt: a static scan of its sources, and a fresh interpreter that imports all of it.

The fresh interpreter also runs ``check`` and must end with no Qt module loaded, even indirectly.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QT = {"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "shiboken2", "pyqtgraph", "qtpy", "superqt"}


def qt_imports(source: str) -> list[str]:
    """Qt modules imported by ``source``: import statements and import_module / __import__ with a literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                names = [node.args[0].value]
        found += [name for name in names if name.split(".")[0] in QT]
    return found


def test_the_scan_finds_qt_imports_of_every_form():
    assert qt_imports("import os\nfrom PySide6.QtCore import QObject\nimport pyqtgraph as pg\n"
                      "importlib.import_module('shiboken6')\n") == ["PySide6.QtCore", "pyqtgraph", "shiboken6"]
    assert qt_imports("from .gui import PySide6\nimport torch\n") == []


def test_no_engine_source_imports_qt():
    sources = sorted((ROOT / "engine").rglob("*.py"))
    assert len(sources) > 10
    offenders = {str(p.relative_to(ROOT)): qt_imports(p.read_text(encoding="utf-8")) for p in sources}
    assert {path: names for path, names in offenders.items() if names} == {}


PROBE = """
import contextlib, importlib, io, json, pkgutil, sys
import engine
modules = [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.")]
for name in modules:
    importlib.import_module(name)
from engine.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["check", sys.argv[1]])
qt = sorted(m for m in sys.modules if m.split(".")[0] in {qt})
print(json.dumps({{"code": code, "modules": len(modules), "qt": qt, "total": out.getvalue().splitlines()[-1]}}))
"""


def test_a_fresh_interpreter_imports_all_of_engine_and_runs_check_without_qt():
    script = PROBE.format(qt=sorted(QT))
    result = subprocess.run([sys.executable, "-c", script, str(ROOT / "examples" / "sentiment.json")],
                            capture_output=True, text=True, cwd=ROOT, timeout=240)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["qt"] == [] and report["code"] == 0 and report["modules"] > 10
    assert report["total"] == "Total parameters: 739,457"
