"""The model summary: each block's output shape and parameter count and the total, the same numbers as
``rnn-studio check``; "View code" shows the generated PyTorch forward."""
from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QHBoxLayout, QHeaderView, QLabel, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from engine.cli.check_command import summary_rows

from .torch_loader import torch_needed

if TYPE_CHECKING:
    from .code_view import CodeDialog

HEADER = ("Block", "Kind", "Output", "Parameters")


class ModelSummaryPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.table = QTableWidget(0, len(HEADER))
        self.table.setHorizontalHeaderLabels(HEADER)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.total = QLabel()
        self.code_button = QPushButton("View code…")
        self.code_button.clicked.connect(self.view_code)
        footer = QHBoxLayout()
        footer.addWidget(self.total, 1)
        footer.addWidget(self.code_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table)
        layout.addLayout(footer)
        self._graph = None
        self._analysis = None
        self.dialog: CodeDialog | None = None

    def set_context(self, graph, analysis) -> None:
        if self._analysis is not None:
            self._analysis.updated.disconnect(self.show_report)
        self._graph, self._analysis = graph, analysis
        if analysis is not None:
            analysis.updated.connect(self.show_report)
            self.show_report(analysis.report)
        else:
            self.table.setRowCount(0)

    def rows(self) -> list[tuple[str, ...]]:
        return [tuple(self.table.item(r, c).text() for c in range(len(HEADER))) for r in range(self.table.rowCount())]

    def show_report(self, report) -> None:
        graph = self._graph
        try:
            rows = summary_rows(graph, report)
        except Exception:  # noqa: BLE001 - whatever stops ordering the blocks, the Problems panel explains it
            rows = [(n.name, n.spec.title, "—", "0") for n in graph]
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        problems = len(report.diagnostics)
        text = f"Total parameters: {report.total_params:,}"
        if problems:
            text += f"  ·  {problems} problem{'s' if problems != 1 else ''} (see Problems)"
        self.total.setText(text)

    def view_code(self) -> CodeDialog:  # noqa: C901 - one dialog, three outcomes
        """Opens the generated code of the current graph (or why there is none yet)."""
        pages, note = [("Model (Python)", ""), ("forward (torch.fx)", "")], ""
        if self._graph is not None:
            with torch_needed(self, "the generated code"):  # imported here: the window starts without torch
                from engine import CompileError, compile_graph
                from engine.export import ExportError
                from engine.export.python_code import readable_source as whole_model_source
            try:
                model = compile_graph(self._graph)
                pages = [("Model (Python)", whole_model_source(model)), ("forward (torch.fx)", model.code.strip() + "\n")]
            except CompileError as err:
                note = (f"The graph has {len(err.diagnostics)} problem(s), so there is no code yet. "
                        f"First: {err.diagnostics[0].message}")
            except ExportError as err:  # a block the Python export cannot write: the fx forward still shows
                note = f"The whole-model code is not available: {err}"
                pages = [("forward (torch.fx)", model.code.strip() + "\n")]
        if self.dialog is not None:
            self.dialog.close()
        from .code_view import CodeDialog  # its highlighter's formats cost 0.08 s at import: not at launch

        self.dialog = CodeDialog(pages, self.window(), note)
        self.dialog.show()
        return self.dialog
