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
