"""FitModel: whether the document's graph and its data agree (engine.data.fit_problems), kept current after
every graph edit and data change; the dataset is read in the background, the checks on a snapshot."""
from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from engine.data import FitProblem, data_facts, fit_problems
from engine.data.base import DataError
from engine.document import Document

from ..commands import DocumentSections
from .background import BackgroundCall


def check_snapshot(document: Document, base_dir) -> list[FitProblem]:
    """Runs in a worker thread on a copy: reading the dataset (cached per binding) may take a second. With the
    data in order, the training settings the model cannot take (a monitor it does not report, ...) follow."""
    if document.data.get("dataset"):
        try:
            facts = data_facts(document.data, base_dir)
        except DataError as err:
            return [FitProblem(None, str(err))]
        problems = fit_problems(document, base_dir, facts)
    else:
        problems = fit_problems(document, base_dir)
    return problems or setting_problems(document)


def setting_problems(document: Document) -> list[FitProblem]:
    """The training settings the model cannot take, each naming its setting; nothing while the graph has
    errors (a head with no input reports no metrics: every monitor but val_loss would look wrong)."""
    from engine import analyze
    from engine.data.checks import model_view
    from engine.training.config import ConfigError, TrainingConfig
    from engine.training.model_settings import setting_problems as refused

    report = analyze(document.graph)
    if not len(document.graph) or not report.ok:
        return []
    try:
        config = TrainingConfig.from_dict(document.training)
    except (ConfigError, TypeError):
        return []  # the Training dock shows a bad value where it is typed
    return [FitProblem(None, str(err), setting=f"training.{err.field}")
            for err in refused(config, model_view(document.graph, report))]


class FitModel(QObject):
    """``problems`` of the current document (None while a check is pending); ``updated(problems)`` after
    each check. A burst of edits costs one check (debounced), and a result for an older state is dropped."""

    updated = Signal(list)
    checking = Signal()  # a new check started: ``problems`` is None until ``updated``

    def __init__(self, sections: DocumentSections, parent: QObject | None = None, delay_ms: int = 150):
        super().__init__(parent)
        self.document = None
        self.problems: list[FitProblem] | None = None
        self._graph = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(delay_ms)
        self._timer.timeout.connect(self.refresh)
        self.background = BackgroundCall(self)
        self.background.done.connect(self._on_checked)
        self.background.failed.connect(lambda text: self._on_checked((self._state, [FitProblem(None, text)])))
        self._state = None
        sections.changed.connect(self._on_section)

    def set_document(self, document) -> None:
        if self._graph is not None:
            self._graph.events.changed.disconnect(self.schedule)
        self.document, self._graph = document, getattr(document, "graph", None)
        if self._graph is not None:
            self._graph.events.changed.connect(self.schedule)
        self.refresh()

    def _on_section(self, section: str) -> None:
        if section in ("data", "training"):
            self.schedule()

    def schedule(self) -> None:
        self.problems = None
        self._timer.start()

    def refresh(self) -> None:
        """Checks now (in the background): the graph is copied, so the canvas may keep editing."""
        self._timer.stop()
        if self.document is None:
            return
        self.problems = None
        self.checking.emit()
        snapshot = Document(self.document.graph.copy(), data=copy.deepcopy(self.document.data),
                            training=copy.deepcopy(self.document.training))
        base = Path(self.document.path).parent if self.document.path else None
        state = self._state = object()
        self.background.call(lambda: (state, check_snapshot(snapshot, base)))

    def _on_checked(self, result) -> None:
        state, problems = result
        if state is not self._state or self._timer.isActive():
            return  # the document changed since: a newer check is on its way
        self.problems = list(problems)
        self.updated.emit(self.problems)

    def wait(self, timeout_ms: int = 60000) -> list[FitProblem] | None:
        """Blocks until the pending check is delivered (tests, Start)."""
        if self._timer.isActive():
            self.refresh()
        self.background.wait(timeout_ms)
        return self.problems
