"""Live validation: re-runs engine.analyze shortly after the graph changes and announces the new ShapeReport.

A burst of edits (a paste, an undo of fifty steps) costs one analysis, not fifty.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from engine.graph import Graph
from engine.shapes import ShapeReport, analyze


class AnalysisModel(QObject):
    """Owns the latest ShapeReport of ``graph``; ``updated(report)`` fires after each re-analysis."""

    updated = Signal(object)

    def __init__(self, graph: Graph, parent: QObject | None = None, delay_ms: int = 30):
        super().__init__(parent)
        self.graph = graph
        self._report = analyze(graph)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.refresh)
        graph.events.changed.connect(self._schedule)

    @property
    def report(self) -> ShapeReport:
        """The report of the graph as it is now (analyses at once if an edit is still pending)."""
        if self._timer.isActive():
            self.refresh()
        return self._report

    @property
    def pending(self) -> bool:
        return self._timer.isActive()

    def refresh(self) -> ShapeReport:
        """Analyses now and emits ``updated``."""
        self._timer.stop()
        self._report = analyze(self.graph)
        self.updated.emit(self._report)
        return self._report

    def detach(self) -> None:
        """Stops observing the graph (call before dropping this model while the graph lives on)."""
        self._timer.stop()
        self.graph.events.changed.disconnect(self._schedule)

    def _schedule(self) -> None:
        self._timer.start()
