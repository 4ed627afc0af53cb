"""The Experiments dock's widget: the variables (edit, remove), strategy, budget, repeats, pruning, workers and an
epochs override; Start / Pause / Stop / Apply best; progress, the one-line message, the skipped combinations, the
trial table and the objective plot. It only shows and asks: the ExperimentController changes the document.
"""
from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QGridLayout, QHBoxLayout, QHeaderView, QLabel,
                               QProgressBar, QPushButton, QScrollArea, QSplitter, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from engine.specs import format_value

from ..plain_text import plain
from ..wheel_guard import WheelSafeComboBox, WheelSafeSpinBox
from ..wrapping_label import WrappingLabel, wrapping_tooltip
from .trials import ObjectivePlot, TrialTable

ERROR_STYLE = "color: #c0392b;"
# engine.experiments.STRATEGIES and cores(), without importing engine.experiments (and Optuna) as the window starts;
# tests/test_gui_experiments_table.py checks they agree.
STRATEGIES = ("grid", "random", "tpe")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def describe(variable: dict[str, Any]) -> str:
    """A variable's values as the dock lists them: ``rnn, gru, lstm`` or ``1e-04 … 0.01 (log)``."""
    if "values" in variable:
        return ", ".join(format_value(v) for v in variable["values"])
    text = f"{format_value(variable['low'])} … {format_value(variable['high'])}"
    if variable.get("log"):
        text += " (log)"
    if variable.get("step") is not None:
        text += f" step {format_value(variable['step'])}"
    return text


GUIDE = ("<b>No experiment yet.</b> An experiment trains variants of this model side by side and compares them, "
         "inside too (gradients through time, gates)."
         "<ol><li>Right-click a block's parameter in the Inspector, or a setting in the Training or Data dock, and "
         "choose <b>Vary…</b>: give it a list of values (or a range to search). The kind of a recurrent block "
         "(rnn, gru, lstm) can vary too.</li>"
         "<li>Choose the strategy (grid: every combination) and the workers, then <b>Start</b>.</li>"
         "<li>Select trials in the table to overlay them in the dashboard's Compare tab; <b>Apply best</b> copies "
         "the best one's values into the model.</li></ol>"
         "Ready-made experiments: Help ▸ Lessons (vanishing_gradients, exploding_gradients, tune_names).")


class ExperimentsPanel(QWidget):
    startRequested = Signal()
    pauseToggled = Signal()
    stopRequested = Signal()
    applyBestRequested = Signal()
    editRequested = Signal(str)  # a variable's path: open Vary… for it
    removeRequested = Signal(str)
    settingsChanged = Signal(dict)  # {"strategy"|"budget"|"repeats"|"pruning": value}: one section edit

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.variables = QTableWidget(0, 2)
        self.variables.setHorizontalHeaderLabels(["variable", "values"])
        self.variables.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.variables.horizontalHeader().setStretchLastSection(True)
        self.variables.verticalHeader().setVisible(False)
        self.variables.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.variables.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.variables.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.variables.setToolTip("What the experiment varies. Add one with Vary… (right-click a setting in the "
                                  "Inspector, Training or Data dock); double-click or Enter edits it, Delete removes it")
        self.variables.itemActivated.connect(lambda *_: self._edit_selected())
        self.edit_button = QPushButton("Edit…")
        self.edit_button.setToolTip("Change the selected variable's values or range (one undo step)")
        self.edit_button.clicked.connect(self._edit_selected)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Take the selected variable out of the experiment (one undo step)")
        self.remove_button.clicked.connect(self._remove_selected)
        self.variables.itemSelectionChanged.connect(self._update_variable_buttons)

        self.strategy = WheelSafeComboBox()
        self.strategy.addItems(STRATEGIES)
        self.strategy.setToolTip("grid: every combination of the lists; random: random draws; tpe: Optuna's "
                                 "Bayesian search (ranges need random or tpe)")
        self.strategy.activated.connect(lambda *_: self.settingsChanged.emit({"strategy": self.strategy.currentText()}))
        self.budget = WheelSafeSpinBox()
        self.budget.setRange(0, 100000)
        self.budget.setSpecialValueText("default")
        self.budget.setKeyboardTracking(False)
        self.budget.setToolTip("How many trials: default = every combination (grid) or 20 (search)")
        self.budget.valueChanged.connect(lambda v: self._emit_setting("budget", v or None))
        self.repeats = WheelSafeSpinBox()
        self.repeats.setRange(1, 100)
        self.repeats.setKeyboardTracking(False)
        self.repeats.setToolTip("Seeds per configuration (training.seed + 0, 1, ...): the objective is their mean ± std")
        self.repeats.valueChanged.connect(lambda v: self._emit_setting("repeats", v))
        self.pruning = QCheckBox("Prune hopeless trials")
        self.pruning.setToolTip("Optuna's median pruner on the monitored metric (after 3 trials, from epoch 4)")
        self.pruning.clicked.connect(lambda on: self._emit_setting("pruning", bool(on)))
        self.workers = WheelSafeSpinBox()
        self.workers.setRange(1, max(1, cores()))
        self.workers.setValue(1)
        self.workers.setToolTip("Trials trained at once, each in its own process (torch threads are split between "
                                "them; on CUDA one trial per GPU)")
        self.epochs = WheelSafeSpinBox()
        self.epochs.setRange(0, 100000)
        self.epochs.setSpecialValueText("document's")
        self.epochs.setToolTip("Train every trial for this many epochs instead of the document's setting")
        self._showing = False

        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Plan every variant, then train the trials (resumes a stopped experiment)")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Hold every worker after its current step; again to go on")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Workers end after their step; finished trials are kept, Start resumes")
        self.apply_button = QPushButton("Apply best")
        self.apply_button.setToolTip("Copy the best trial's values into the document (one undo step)")
        self.start_button.clicked.connect(self.startRequested)
        self.pause_button.clicked.connect(self.pauseToggled)
        self.stop_button.clicked.connect(self.stopRequested)
        self.apply_button.clicked.connect(self.applyBestRequested)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m trials")
        self.progress_text = plain(QLabel("idle"))
        self.progress_text.setWordWrap(True)
        self.message = plain(WrappingLabel(""))  # (a plain wrapped label made the scroll area below scroll in a tall dock)
        self.skipped = plain(WrappingLabel(""))
        self.skipped.setStyleSheet("color: #8a6d00;")
        self.skipped.setVisible(False)

        self.table = TrialTable()
        self.plot = ObjectivePlot()
        self.table.selectedTrials.connect(self.plot.highlight)
        self.plot.pointsSelected.connect(self.table.select_trials)

        # Run control first and always in sight (outside the scrolling part), then the variables, then the
        # settings in two columns.
        buttons = QHBoxLayout()
        buttons.setContentsMargins(4, 4, 4, 0)
        for button in (self.start_button, self.pause_button, self.stop_button, self.apply_button):
            buttons.addWidget(button)
        controls = QWidget()
        column = QVBoxLayout(controls)
        column.setContentsMargins(4, 4, 4, 4)
        column.addWidget(self.progress)
        column.addWidget(self.progress_text)
        column.addWidget(self.message)
        column.addWidget(self.skipped)
        self.variables.setMinimumHeight(70)
        self.variables.setMaximumHeight(110)
        column.addWidget(self.variables, 1)
        row = QHBoxLayout()
        row.addWidget(self.edit_button)
        row.addWidget(self.remove_button)
        row.addStretch(1)
        column.addLayout(row)
        grid = QGridLayout()
        for i, (text, widget) in enumerate((("Strategy", self.strategy), ("Budget", self.budget),
                                            ("Repeats", self.repeats), ("Workers", self.workers),
                                            ("Epochs", self.epochs), (None, self.pruning))):
            r, c = divmod(i, 2)
            if text:
                label = QLabel(text)
                label.setToolTip(widget.toolTip())
                grid.addWidget(label, r, 2 * c)
            grid.addWidget(widget, r, 2 * c + 1, 1, 1 if text else 1)
        column.addLayout(grid)
        column.addStretch(0)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(controls)
        left = QWidget()
        left_column = QVBoxLayout(left)
        left_column.setContentsMargins(0, 0, 0, 0)
        left_column.setSpacing(0)
        left_column.addLayout(buttons)
        left_column.addWidget(scroll, 1)
        # as wide as the run buttons need (they must never be cut), plus the vertical scroll bar of a low dock
        left.setMinimumWidth(max(buttons.minimumSize().width(), controls.minimumSizeHint().width())
                             + scroll.verticalScrollBar().sizeHint().width())
        # With no variable yet, the room of the table and the plot says how to begin (an empty table and a plot
        # with 0-1 axes said nothing, and Start's refusal came only after a click).
        self.guide = WrappingLabel(GUIDE)
        self.guide.setTextFormat(Qt.TextFormat.RichText)
        self.guide.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.guide.setContentsMargins(12, 8, 12, 8)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.plot)
        self.splitter.addWidget(self.guide)
        self.splitter.setCollapsible(3, False)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        self._splitter_sized = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.splitter)
        self.set_state("idle")
        self._update_variable_buttons()

    # ------------------------------------------------------------------ the section
    def show_section(self, section: dict | None) -> None:
        """Shows the document's experiment section (None: no experiment yet) without emitting anything."""
        self._showing = True
        try:
            variables = (section or {}).get("variables", [])
            selected = self.selected_variable()
            self.variables.setRowCount(len(variables))
            for r, variable in enumerate(variables):
                path = QTableWidgetItem(variable.get("path", ""))
                path.setData(Qt.ItemDataRole.UserRole, variable.get("path", ""))
                self.variables.setItem(r, 0, path)
                self.variables.setItem(r, 1, QTableWidgetItem(describe(variable)))
                if variable.get("path") == selected:
                    self.variables.selectRow(r)
            section = section or {}
            self.strategy.setCurrentText(section.get("strategy", "grid"))
            self.budget.setValue(section.get("budget") or 0)
            self.repeats.setValue(section.get("repeats", 1))
            self.pruning.setChecked(bool(section.get("pruning", False)))
            for widget in (self.strategy, self.budget, self.repeats, self.pruning):
                widget.setEnabled(bool(variables) and self.start_button.isEnabled())
            self._show_guide(not variables)
        finally:
            self._showing = False
        self._update_variable_buttons()

    def _show_guide(self, on: bool) -> None:
        # QSplitter keeps a hidden widget's size: the table and the plot come back with their 3:2 shares
        self.table.setVisible(not on)
        self.plot.setVisible(not on)
        self.guide.setVisible(on)

    def _emit_setting(self, key: str, value) -> None:
        if not self._showing:
            self.settingsChanged.emit({key: value})

    def selected_variable(self) -> str | None:
        rows = {i.row() for i in self.variables.selectedIndexes()}
        if not rows:
            return None
        item = self.variables.item(min(rows), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _edit_selected(self) -> None:
        path = self.selected_variable()
        if path:
            self.editRequested.emit(path)

    def _remove_selected(self) -> None:
        path = self.selected_variable()
        if path:
            self.removeRequested.emit(path)

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.variables.hasFocus():
            self._remove_selected()
            return
        super().keyPressEvent(event)

    def _update_variable_buttons(self) -> None:
        chosen = self.selected_variable() is not None and self.start_button.isEnabled()
        self.edit_button.setEnabled(chosen)
        self.remove_button.setEnabled(chosen)

    def run_options(self) -> dict:
        """workers and epochs (None: the document's) for Experiment(...)."""
        return {"workers": self.workers.value(), "epochs": self.epochs.value() or None}

    # ------------------------------------------------------------------ run state
    def set_state(self, state: str, can_apply: bool = False) -> None:
        running = state in ("running", "paused", "stopping")
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))
        self.apply_button.setEnabled(can_apply and not running)
        for widget in (self.strategy, self.budget, self.repeats, self.pruning, self.workers, self.epochs):
            widget.setEnabled(not running)
        self._update_variable_buttons()

    def show_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setFormat("%v / %m trials" if total > 0 else "no trials")
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, max(total, 1)))
        self.progress_text.setText(text)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """The first time: the controls as narrow as they may be, the table and the plot share the rest 3:2 (from
        their size hints alone the plot got 140 of 1,200 px)."""
        super().showEvent(event)
        if not self._splitter_sized and self.splitter.width() > 0:
            self._splitter_sized = True
            left = self.splitter.widget(0).minimumWidth()
            rest = max(0, self.splitter.width() - left - 2 * self.splitter.handleWidth())
            self.splitter.setSizes([left, rest * 3 // 5, rest - rest * 3 // 5, rest])  # the guide: all (alone)

    def show_message(self, text: str, error: bool = False) -> None:
        """One line (the dock names the variable at fault); the full text is in the tooltip."""
        first = text.splitlines()[0] if text else ""
        self.message.setText(first)
        self.message.setToolTip(wrapping_tooltip(text))
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    def show_skipped(self, skipped: list[tuple[dict, str, str]], left_out: str | None = None) -> None:
        """The impossible combinations of the plan, each with its reason, and what a grid's budget leaves out."""
        lines = [f"{label}: {reason}" for _values, label, reason in skipped]
        shown = lines[:8] + ([f"… and {len(lines) - 8} more"] if len(lines) > 8 else [])
        text = f"Skipped {len(lines)} impossible combination(s):\n" + "\n".join(shown) if lines else ""
        if left_out:
            text = f"{left_out[0].upper()}{left_out[1:]}." + (f"\n{text}" if text else "")
        self.skipped.setText(text)
        self.skipped.setToolTip(wrapping_tooltip("\n".join(([left_out] if left_out else []) + lines)))
        self.skipped.setVisible(bool(text))
