"""The window, the catalog and the shape checks start without torch; torch loads in the background after the
first paint, safely beside imports on the GUI thread. Each check runs in a fresh Python (torch not yet loaded).
A check that finds torch imported names the project file and line that imported it first.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Runs `code`; records which project file first imported torch (the innermost project frame), if any.
_PROBE = '''
import json, os, sys, traceback
first = {}
class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not first:
            frames = [f for f in traceback.extract_stack() if f.filename.startswith(ROOT)]
            first["by"] = os.path.relpath(frames[-1].filename, ROOT) if frames else "?"
            first["line"] = frames[-1].lineno if frames else 0
        return None
sys.meta_path.insert(0, Spy())
exec(compile(CODE, "<check>", "exec"))
print("RESULT " + json.dumps({"torch": "torch" in sys.modules, **first, **globals().get("extra", {})}))
'''


def run_fresh(code: str, timeout: float = 240) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    script = f"ROOT = {str(ROOT) + os.sep!r}\nCODE = {textwrap.dedent(code)!r}\n" + _PROBE
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    return json.loads(lines[-1][len("RESULT "):])


def assert_no_torch(result: dict) -> None:
    assert not result["torch"], f"torch imported by {result.get('by')}:{result.get('line')}"


def test_the_catalog_and_its_parameter_counts_need_no_torch():
    result = run_fresh("""
        import engine
        from engine.blocks import CATALOG
        from engine.blocks.counts import parameter_count
        from engine.specs import PortShape, TensorKind
        seq = PortShape(TensorKind.SEQUENCE, features=64, time="t")
        extra = {"kinds": len(CATALOG), "lstm": parameter_count("lstm", {"hidden_size": 32, "layers": 1}, {"input": seq})}
    """)
    assert result["kinds"] >= 20 and result["lstm"] == 4 * 32 * (64 + 32 + 2)
    assert not result["torch"], f"torch imported by {result.get('by')}:{result.get('line')}"


def test_documents_shapes_and_layout_need_no_torch():
    result = run_fresh("""
        from engine.document import load_document
        from engine.layout import layered_positions
        from engine.shapes import analyze
        doc = load_document("examples/seq2seq.json")
        report = analyze(doc.graph)
        extra = {"ok": report.ok, "params": report.total_params, "placed": len(layered_positions(doc.graph))}
    """)
    assert_no_torch(result)
    assert result["ok"] and result["params"] > 0 and result["placed"] > 0


def test_the_window_opens_on_its_start_page_without_torch(tmp_path):
    result = run_fresh(f"""
        from PySide6.QtCore import QSettings
        from PySide6.QtWidgets import QApplication
        app = QApplication([])
        from gui.main_window import MainWindow
        window = MainWindow(QSettings({str(tmp_path / 'settings.ini')!r}, QSettings.Format.IniFormat),
                            recovery_dir={str(tmp_path / 'recovery')!r})
        window.show()
        app.processEvents()
        extra = {{"start_page": window.pages.currentIndex() == 0}}
    """)
    assert_no_torch(result)
    assert result["start_page"]


@pytest.mark.parametrize("torch_first", [False, True], ids=["fresh", "torch already loaded"])
def test_torch_loads_in_the_background_after_the_first_paint(tmp_path, torch_first):
    # With torch already loaded the background import ends at once: its signals must still be seen.
    marker = tmp_path / "paint.txt"
    result = run_fresh(f"""
        import os, sys
        if {torch_first}:
            import torch
        os.environ["RNN_STUDIO_FIRST_PAINT"] = {str(marker)!r}
        os.environ["XDG_CONFIG_HOME"] = os.environ["XDG_DATA_HOME"] = {str(tmp_path)!r}
        from PySide6.QtCore import QEvent, QTimer
        from PySide6.QtWidgets import QApplication
        qt = QApplication(["rnn-studio"])  # run_app uses it
        from gui import app as studio, torch_loader
        at_paint = {{}}
        original = studio.FirstPaint.eventFilter
        def spy(self, watched, event):
            if event.type() == QEvent.Type.Paint and self.painted_at is None:
                at_paint.setdefault("torch", "torch" in sys.modules)
                at_paint.setdefault("loader", torch_loader.loader() is not None)
                at_paint.setdefault("pyqtgraph", "pyqtgraph" in sys.modules)
            return original(self, watched, event)
        studio.FirstPaint.eventFilter = spy
        def check():  # ends the app once the background import is done and its time was written
            lines = open({str(marker)!r}).read().splitlines() if os.path.exists({str(marker)!r}) else []
            if len(lines) > 1 and torch_loader.loader() is not None and torch_loader.loader().done:
                window = next(w for w in qt.topLevelWidgets() if type(w).__name__ == "MainWindow")
                board = window.training.dashboard  # in sight as the window opens (default layout): made after paint
                shown_made[:] = [page.made for page in board.pages.values() if page.isVisible()]
                qt.quit()
        shown_made = []
        poll = QTimer()
        poll.timeout.connect(check)
        poll.start(20)
        QTimer.singleShot(500_000, qt.quit)  # a deadline far beyond the seconds it takes, even on a loaded machine
        code = studio.run_app([])
        loader = torch_loader.loader()
        extra = {{"at_paint": at_paint, "code": code, "error": loader.error if loader else "no loader",
                  "done": bool(loader and loader.done), "seconds": loader.seconds if loader else None,
                  "shown_made": shown_made}}
    """, timeout=600)
    assert result["code"] == 0 and result["error"] is None
    assert result["done"] and result["seconds"] > 0, "the background import did not finish within 500 s"
    assert result["at_paint"]["loader"] is False  # nothing was loading before the window painted
    assert result["at_paint"]["pyqtgraph"] is False  # no plot was made before it either (gui.lazy_widget)...
    assert result["shown_made"] == [True]  # ...and the dashboard tab in sight was made after it
    paint, torch_line = marker.read_text().splitlines()
    wall, cpu = (float(x) for x in paint.split())
    assert wall > 0 and cpu > 0 and torch_line.split()[0] == "torch" and float(torch_line.split()[1]) >= wall
    if result["at_paint"]["torch"] and not torch_first:
        assert_no_torch({"torch": True, "by": result.get("by"), "line": result.get("line")})


def test_importing_torch_in_the_background_is_safe_beside_the_gui_threads_imports():
    # The GUI thread compiles a model (importing torch and the compiler itself) and parses Python (the AST lock
    # of gui/ast_lock.py) while the preload thread imports the same modules: both finish, nothing deadlocks.
    result = run_fresh("""
        import ast, threading
        import gui  # installs the AST lock
        from gui.torch_loader import PRELOAD
        import importlib
        errors = []
        def preload():
            try:
                for name in PRELOAD:
                    importlib.import_module(name)
            except BaseException as err:
                errors.append(repr(err))
        thread = threading.Thread(target=preload)
        thread.start()
        for _ in range(50):
            ast.parse("x = [i * i for i in range(10)]")
        from engine import compile_graph
        from engine.document import load_document
        model = compile_graph(load_document("examples/sentiment.json").graph)
        thread.join(240)
        extra = {"alive": thread.is_alive(), "errors": errors, "code": "def forward" in model.code}
    """)
    assert result == {**result, "alive": False, "errors": [], "code": True}


def test_the_graph_module_attribute_list_matches_torch():
    import torch
    from torch.fx import GraphModule

    from engine.module_names import GRAPH_MODULE_ATTRIBUTES

    empty = GraphModule(torch.nn.Module(), torch.fx.Graph())
    actual = {name for name in dir(empty) if name.isidentifier()}
    assert actual == GRAPH_MODULE_ATTRIBUTES, (f"new in this torch: {sorted(actual - GRAPH_MODULE_ATTRIBUTES)}; "
                                               f"gone: {sorted(GRAPH_MODULE_ATTRIBUTES - actual)}")


def test_an_action_that_needs_torch_first_shows_why_it_waits():
    result = run_fresh("""
        from PySide6.QtCore import QObject, Qt
        from PySide6.QtWidgets import QApplication, QMainWindow
        app = QApplication([])
        window = QMainWindow()
        window.show()
        from gui.torch_loader import loader, preload, torch_needed, when_torch_loaded
        called = []
        receiver = QObject()
        when_torch_loaded(receiver, lambda: called.append("devices"))
        seen = {}
        with torch_needed(window, "the generated code"):
            seen["cursor"] = QApplication.overrideCursor().shape() == Qt.CursorShape.WaitCursor
            seen["message"] = window.statusBar().currentMessage()
            import torch
        seen["after"] = (QApplication.overrideCursor() is None, window.statusBar().currentMessage())
        seen["before_preload"] = list(called)
        preload().wait(240)
        app.processEvents()
        extra = {"seen": seen, "called": called, "error": loader().error}
    """)
    seen = result["seen"]
    assert seen["cursor"] and seen["message"] == "Loading PyTorch for the generated code…"
    assert seen["after"] == [True, ""] and seen["before_preload"] == []
    assert result["called"] == ["devices"] and result["error"] is None
