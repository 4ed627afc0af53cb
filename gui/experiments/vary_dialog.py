"""The Vary… dialog: one setting's values for the experiment, prefilled from its Param (the choices, or three
numbers around the current value), or a range (low, high, log scale, step) for random and tpe search. A value the
Param refuses is refused here with the Param's reason; OK stays until it is fixed.
"""
from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QDialog, QDialogButtonBox, QFormLayout, QLabel, QLineEdit,
                               QRadioButton, QVBoxLayout, QWidget)

from engine.document import Document
from engine.experiments import ExperimentError
from engine.specs import Param, format_value

from ..plain_text import plain
from .variables import default_range, default_values, format_values, parse_number, parse_values, variable_problem


class VaryDialog(QDialog):
    """``variable()`` is the section's form of what the user chose ({"path", "values"} or {"path", "low", "high",
    "log", "step"}); ``problem`` is the reason it is refused (shown in red), None when OK accepts it."""

    def __init__(self, document: Document, path: str, param: Param, current: Any,
                 existing: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.path, self.param = document, path, param
        self.setWindowTitle(f"Vary {path}")
        self.problem: str | None = None
        numeric = param.type in (int, float)
        about = QLabel(f"<b>{html.escape(path)}</b> — {html.escape(param.help)}<br>"
                       f"<span style='color:gray'>{html.escape(param.describe())}</span>")  # "<= 4096" is text
        about.setWordWrap(True)
        self.as_list = QRadioButton("A list of values (grid, or a choice in a search)")
        self.as_range = QRadioButton("A range (random or tpe search)")
        self.as_range.setEnabled(numeric)
        self.as_range.setToolTip("Only numbers take a range; a grid strategy becomes tpe" if numeric
                                 else f"{param.title} is not a number: give a list of values")
        group = QButtonGroup(self)
        group.addButton(self.as_list)
        group.addButton(self.as_range)
        self.values = QLineEdit()
        self.values.setToolTip("Values separated by commas, typed as in the setting's editor (none, true, 0.001)")
        self.low, self.high, self.step = QLineEdit(), QLineEdit(), QLineEdit()
        self.step.setPlaceholderText("none (any value)")
        self.step.setToolTip("Only multiples of this step from low (whole numbers: 1); empty for any value")
        self.log = QCheckBox("Log scale (draw evenly over decades; low above 0)")
        range_box = QWidget()
        range_form = QFormLayout(range_box)
        range_form.setContentsMargins(16, 0, 0, 0)
        range_form.addRow("Low", self.low)
        range_form.addRow("High", self.high)
        range_form.addRow("Step", self.step)
        range_form.addRow("", self.log)
        self.range_box = range_box
        self.message = plain(QLabel(""))
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #c0392b")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addWidget(self.as_list)
        layout.addWidget(self.values)
        layout.addWidget(self.as_range)
        layout.addWidget(range_box)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._prefill(current, existing)
        for widget in (self.values, self.low, self.high, self.step):
            widget.textChanged.connect(self.check)
        self.log.toggled.connect(self.check)
        self.as_list.toggled.connect(self._mode_changed)
        self._mode_changed()
        self.resize(460, self.sizeHint().height())

    def _prefill(self, current: Any, existing: dict[str, Any] | None) -> None:
        values = list(existing["values"]) if existing and "values" in existing else default_values(self.param, current)
        self.values.setText(format_values(values))
        if self.as_range.isEnabled():
            ends = existing if existing and "low" in existing else default_range(self.param, current)
            self.low.setText(format_value(ends["low"]))
            self.high.setText(format_value(ends["high"]))
            self.step.setText("" if ends.get("step") is None else format_value(ends["step"]))
            self.log.setChecked(bool(ends.get("log")))
        (self.as_range if existing and "low" in existing else self.as_list).setChecked(True)

    def _mode_changed(self, *_args) -> None:
        ranged = self.as_range.isChecked()
        self.values.setEnabled(not ranged)
        self.range_box.setEnabled(ranged)
        self.check()

    def variable(self) -> dict[str, Any]:
        """What the dialog holds, in the section's form; ExperimentError naming the path when a field is wrong."""
        if not self.as_range.isChecked():
            return {"path": self.path, "values": parse_values(self.param, self.path, self.values.text())}
        data: dict[str, Any] = {"path": self.path, "low": parse_number(self.param, self.path, self.low.text(), "low"),
                                "high": parse_number(self.param, self.path, self.high.text(), "high")}
        if self.log.isChecked():
            data["log"] = True
        if self.step.text().strip():
            data["step"] = parse_number(self.param, self.path, self.step.text(), "step")
        return data

    def check(self, *_args) -> str | None:
        """Refreshes the refusal line and OK; returns the problem (None when OK may accept)."""
        try:
            self.problem = variable_problem(self.document, self.variable())
        except ExperimentError as err:
            self.problem = str(err)
        self.message.setText(self.problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.problem is None)
        return self.problem

    def accept(self) -> None:
        if self.check() is None:
            super().accept()
