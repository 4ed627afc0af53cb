"""The Problems panel: every diagnostic of the current graph; activating one selects and centres its block."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QStyle, QVBoxLayout, QWidget

NODE_ROLE = Qt.ItemDataRole.UserRole


class ProblemsPanel(QWidget):
    problemActivated = Signal(str)  # the block id of the clicked diagnostic

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        self._analysis = None
        self._count = 0

    def set_context(self, graph, analysis) -> None:
        if self._analysis is not None:
            self._analysis.updated.disconnect(self.show_report)
        self._analysis = analysis
        if analysis is None:
            self.list.clear()
            return
        analysis.updated.connect(self.show_report)
        self.show_report(analysis.report)

    def count(self) -> int:
        return self._count

    def show_report(self, report) -> None:
        self.list.clear()
        problems = list(report.diagnostics)
        self._count = len(problems)
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        for diagnostic in problems:
            item = QListWidgetItem(icon, diagnostic.message)
            item.setData(NODE_ROLE, diagnostic.node_id or "")
            item.setToolTip(diagnostic.message)
            self.list.addItem(item)
        if not problems:
            ok = QListWidgetItem(self.style().standardIcon(QStyle.StandardPixmap.SP_DialogApplyButton),
                                 "No problems: the model is ready to train")
            ok.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(ok)
        dock = self.parentWidget()
        if dock is not None and hasattr(dock, "setWindowTitle"):
            dock.setWindowTitle(f"Problems ({len(problems)})" if problems else "Problems")

    def _activated(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id:
            self.problemActivated.emit(node_id)
