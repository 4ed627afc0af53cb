"""A canvas on examples/names.json for the canvas tests: open_names(...) and close(scene)."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QUndoStack

from engine.document import load_document
from gui.analysis import AnalysisModel
from gui.canvas import CanvasView, GraphScene

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def open_names(qtbot, size: tuple[int, int], show: bool = True):
    """(graph, scene, view) of the names example, the view ``size`` pixels and shown unless ``show`` is False."""
    graph = load_document(EXAMPLES / "names.json").graph
    scene = GraphScene(graph, QUndoStack(), AnalysisModel(graph))
    view = CanvasView(scene)
    qtbot.addWidget(view)
    view.resize(*size)
    if show:
        view.show()
    return graph, scene, view


def close(scene) -> None:
    """Stops the scene and its analysis observing the graph."""
    scene.detach()
    scene.analysis.detach()


def test_a_view_collected_by_python_is_torn_down_without_an_error_on_stderr(qtbot, capfd):
    """Qt's destructor scrolls a view whose Python attributes are already gone: its scrollContentsBy override
    printed "Error calling Python override ... no attribute 'minimap'"."""
    import gc

    graph = load_document(EXAMPLES / "names.json").graph
    scene = GraphScene(graph, QUndoStack(), AnalysisModel(graph))
    view = CanvasView(scene)  # not given to qtbot, which would keep it: Python's collector destroys it
    view.resize(400, 300)
    view.show()
    qtbot.waitExposed(view)
    close(scene)
    view.close()
    del view, scene
    gc.collect()
    assert "Error calling Python override" not in capfd.readouterr().err
