"""The export dialog: a trained run's model to TorchScript, torch.export, ONNX or standalone Python through
engine.export, with the verification result (reloaded file vs the studio model) shown when it is done.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QDialog, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QVBoxLayout)

from engine.export import FORMATS, export_run

from ..plain_text import plain
from ..wheel_guard import WheelSafeComboBox
from .background import BackgroundCall


def latest_run_dir(controller) -> Path | None:
    """The run to export: the run selected in the runs panel, else the last run of this session, else the
    newest run listed for the document."""
    panel = getattr(controller, "runs_panel", None)
    selected = panel.selected_runs() if panel is not None else []
    if selected:
        return Path(selected[0])
    finished = getattr(controller, "last_finished", None)
    if finished is not None and finished.run_dir:
        return Path(finished.run_dir)
    runs = getattr(panel, "runs", [])
    return Path(runs[0]) if runs else None


class ExportDialog(QDialog):
    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Export model")
        self.controller = controller
        self.report = None
        self.background = BackgroundCall(self)
        self.background.done.connect(self._on_done)
        self.background.failed.connect(self._on_failed)
        self.run_dir = latest_run_dir(controller)
        self.format = WheelSafeComboBox()
        for name, (suffix, what) in FORMATS.items():
            self.format.addItem(f"{name} ({suffix}): {what}", name)
        self.format.currentIndexChanged.connect(lambda _i: self._default_path())
        self.run_label = plain(QLabel(str(self.run_dir) if self.run_dir else "no trained run yet: train first"))
        self.run_label.setWordWrap(True)
        self.path = QLineEdit()
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path, 1)
        path_row.addWidget(browse)
        form = QFormLayout()
        form.addRow("format", self.format)
        form.addRow("trained run", self.run_label)
        form.addRow("save as", path_row)
        self.export_button = QPushButton("Export and verify")
        self.export_button.clicked.connect(self.export)
        self.export_button.setEnabled(self.run_dir is not None)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        self.result_label = plain(QLabel(""))
        self.result_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.result_label)
        layout.addLayout(buttons)
        self.resize(620, 220)
        self._default_path()

    @property
    def document_path(self):
        document = getattr(self.controller, "document", None)
        return getattr(document, "path", None)

    def _default_path(self) -> None:
        fmt = self.format.currentData()
        base = Path(self.document_path) if self.document_path else Path.home() / "model"
        self.path.setText(str(base.with_suffix(FORMATS[fmt][0])))

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if path:
            self.path.setText(path)

    def set_format(self, fmt: str) -> None:
        self.format.setCurrentIndex(self.format.findData(fmt))

    def export(self) -> None:
        if self.run_dir is None:
            return
        run_dir, fmt, out = self.run_dir, self.format.currentData(), Path(self.path.text())
        document_path = self.document_path
        self.export_button.setEnabled(False)
        self._say(f"exporting to {fmt} and reloading it to verify…")
        self.background.call(lambda: export_run(run_dir, fmt, out, document_path))

    def _on_done(self, report) -> None:
        self.report = report
        self.export_button.setEnabled(True)
        text = report.summary() + "".join(f"\n• {w}" for w in report.warnings)
        self._say(text, error=not report.ok)

    def _on_failed(self, text: str) -> None:
        self.export_button.setEnabled(True)
        self._say(f"export failed: {text}", error=True)

    def _say(self, text: str, error: bool = False) -> None:
        self.result_label.setStyleSheet("color: #b00020;" if error else "color: #216e39;")
        self.result_label.setText(text)
