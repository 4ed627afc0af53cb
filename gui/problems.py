"""The Problems panel: every diagnostic of the current graph and every mismatch between the graph and its
data (or that there is no data yet); activating one selects and centres its block, or shows where to change what
it names (a training setting's editor, the Data dock, the Experiments dock); Fix applies its fixes."""
from __future__ import annotations

import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QStyle, QVBoxLayout, QWidget

from .wrapping_label import wrapping_tooltip

NODE_ROLE = Qt.ItemDataRole.UserRole
EMPTY_CANVAS = "The canvas is empty: drag blocks from Blocks (or press Tab on the canvas) to build a model"
FIXES_ROLE = Qt.ItemDataRole.UserRole + 1
SETTING_ROLE = Qt.ItemDataRole.UserRole + 2
# The setting a data problem names: "data.options.length: must be at least 2", "data.seed: ...", or
# "option 'delimiter' must be one character" (a file reader's own words).
DATA_PLACE = re.compile(r"\bdata\.((?:options\.)?\w+)|\boption '(\w+)'")


def data_setting(message: str) -> str:
    """Where a data problem (one that names no block) is fixed: ``data.<setting>`` when it names one, else
    ``data`` (the Data dock picks its editor)."""
    match = DATA_PLACE.search(message)
    if match is None:
        return "data"
    return f"data.{match.group(1)}" if match.group(1) else f"data.options.{match.group(2)}"


class ProblemsPanel(QWidget):
    problemActivated = Signal(str)  # the block id of the clicked problem
    # Where a clicked problem without a block is fixed: "training.monitor", "data", "data.options.length" or
    # "experiment" (the Experiments dock).
    settingActivated = Signal(str)
    fixRequested = Signal(tuple)  # the fixes of the chosen fit problem(s), to apply as one undo step

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemClicked.connect(self._activated)
        self.list.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.fix_button = QPushButton("Fix")
        self.fix_button.setToolTip("Apply the suggested change of the selected problem (one undo step)")
        self.fix_button.clicked.connect(self.fix_selected)
        self.fix_all_button = QPushButton("Fix all")
        self.fix_all_button.setToolTip("Apply every suggested change that fits the graph to its data")
        self.fix_all_button.clicked.connect(self.fix_all)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 4, 0)  # not flush with the window's edge (no height: the window's minimum)
        buttons.addStretch(1)
        buttons.addWidget(self.fix_button)
        buttons.addWidget(self.fix_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self._analysis = None
        self._fit = None
        self._graph = None
        self._count = 0
        self._experiment: list[tuple[str, str | None]] = []  # (message, block id) of the experiment's bad input
        self._update_buttons()

    def set_context(self, graph, analysis) -> None:
        if self._analysis is not None:
            self._analysis.updated.disconnect(self._redraw)
        self._analysis, self._graph = analysis, graph
        if analysis is None:
            self.list.clear()
            return
        analysis.updated.connect(self._redraw)
        self._redraw()

    def set_fit_model(self, fit) -> None:
        """Also lists the graph/data mismatches of ``fit`` (a gui.training.FitModel)."""
        self._fit = fit
        fit.updated.connect(self._redraw)
        fit.checking.connect(self._redraw)
        self._redraw()

    def count(self) -> int:
        return self._count

    def set_experiment_problems(self, problems) -> None:
        """The experiment's bad input, [(message, block id or None)] (an empty list clears them); listed after
        the graph's and the data's problems, "Experiment: " before each message."""
        self._experiment = [(str(message), block) for message, block in problems]
        self._redraw()

    def show_report(self, report) -> None:
        self._redraw(report)

    def _redraw(self, *_args) -> None:
        if self._analysis is None:
            return
        self.list.clear()
        critical = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        diagnostics = list(self._analysis.report.diagnostics)
        fits = self._fit.problems if self._fit is not None else []
        empty = self._graph is not None and not len(self._graph)
        for diagnostic in diagnostics:
            self._add(critical, diagnostic.message, diagnostic.node_id or "")
        if empty:  # a new document: the first steps to take, not errors (no red marks on a first launch)
            info = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self._add(info, EMPTY_CANVAS, "")
            for problem in fits or []:  # "no data: choose a dataset…"; nothing to fit to a graph not built yet
                self._add(info, problem.message, "", setting=data_setting(problem.message))
        else:
            for problem in fits or []:
                node = self._graph.by_name(problem.block) if problem.block and self._graph is not None else None
                fix = f" — Fix: {'; '.join(f.describe() for f in problem.fixes)}" if problem.fixes else ""
                setting = problem.setting or ("" if problem.block else data_setting(problem.message))
                self._add(warning if problem.fixes else critical, problem.message + fix, node.id if node else "",
                          problem.fixes, setting)
        for message, block in self._experiment:
            self._add(critical, f"Experiment: {message}", block or "", setting="experiment")
        self._count = len(diagnostics) + (0 if empty else len(fits or [])) + len(self._experiment)
        if not self._count and not empty:
            checking = self._fit is not None and fits is None
            icon = QStyle.StandardPixmap.SP_BrowserReload if checking else QStyle.StandardPixmap.SP_DialogApplyButton
            ok = QListWidgetItem(self.style().standardIcon(icon), "Checking the graph against its data…" if checking
                                 else "No problems: the model is ready to train")
            ok.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.list.addItem(ok)
        dock = self.parentWidget()
        if dock is not None and hasattr(dock, "setWindowTitle"):
            dock.setWindowTitle(f"Problems ({self._count})" if self._count else "Problems")
        self._update_buttons()

    def _add(self, icon, message: str, node_id: str, fixes: tuple = (), setting: str = "") -> None:
        item = QListWidgetItem(icon, message)
        item.setData(NODE_ROLE, node_id)
        item.setData(SETTING_ROLE, setting)
        item.setData(FIXES_ROLE, tuple(fixes))
        item.setToolTip(wrapping_tooltip(message))  # escaped: a block name may look like HTML
        self.list.addItem(item)

    def messages(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _all_fixes(self) -> tuple:
        return tuple(fix for i in range(self.list.count()) for fix in (self.list.item(i).data(FIXES_ROLE) or ()))

    def _update_buttons(self) -> None:
        item = self.list.currentItem()
        self.fix_button.setEnabled(bool(item is not None and item.data(FIXES_ROLE)))
        self.fix_all_button.setEnabled(bool(self._all_fixes()))

    def fix_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None and item.data(FIXES_ROLE):
            self.fixRequested.emit(tuple(item.data(FIXES_ROLE)))

    def fix_all(self) -> None:
        fixes = self._all_fixes()
        if fixes:
            self.fixRequested.emit(fixes)

    def _activated(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id:
            self.problemActivated.emit(node_id)
        elif item.data(SETTING_ROLE):
            self.settingActivated.emit(item.data(SETTING_ROLE))
