"""The training panel: the document's training settings as widgets, the device, Start / Pause-Resume / Stop
and a progress bar with epoch, step, samples per second and time left.

Every finished edit is one undo command on the document's ``training`` section (the document is what Save
writes and what Start trains); the widgets only show the section and follow its changes.
"""
from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QProgressBar, QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from engine.training import ConfigError, TrainingConfig

from ..commands import DocumentSections, SetSectionCommand, describe_change
from engine.training.config import CLIPS, OPTIMIZERS, PROBES, SCHEDULES

CHOICES = {"optimizer": OPTIMIZERS, "schedule": SCHEDULES, "clip": CLIPS}
BASIC = ("epochs", "batch_size", "optimizer", "lr", "schedule", "clip", "clip_value", "monitor", "early_stopping")
HIDDEN = ("device", "probes")  # their own widgets: the device selector and the probe checkboxes
HELP = {
    "epochs": "Passes over the training split", "batch_size": "Samples per step",
    "lr": "Learning rate: the step size of the optimizer", "momentum": "SGD / RMSprop momentum",
    "weight_decay": "L2 penalty on the weights", "schedule": "How the learning rate changes over epochs",
    "step_size": "Epochs between decays (schedule step)", "gamma": "Decay factor (step, plateau)",
    "plateau_patience": "Epochs without improvement before the plateau schedule decays",
    "min_lr": "Lowest learning rate of cosine and plateau", "clip": "Gradient clipping: by global norm or value",
    "clip_value": "Clipping threshold (max global norm, or max |gradient|)",
    "monitor": "Validation metric for the best checkpoint and early stopping (val_loss, val_accuracy, ...)",
    "early_stopping": "Stop after this many epochs without improvement (0 = off)", "seed": "Random seed",
    "bf16": "bfloat16 autocast on CUDA", "tbptt": "Truncated BPTT chunk length for language models (0 = off)",
    "teacher_forcing": "Seq2seq: probability the decoder reads the true previous token",
    "shuffle": "Shuffle the training split each epoch",
    "max_steps_per_epoch": "Cap the steps of an epoch (0 = the whole training split)",
    "probe_budget": "Share of training time the gate / gradient probes may use",
    "probe_batch": "Validation samples of the fixed probe batch",
}


def available_devices() -> list[tuple[str, str]]:
    """(value, label) for every device torch sees: auto, the CPU and each CUDA device by name."""
    import torch

    devices = [("auto", "Automatic (CUDA if available)"), ("cpu", "CPU")]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            devices.append((f"cuda:{index}", f"CUDA {index}: {torch.cuda.get_device_name(index)}"))
    return devices


def format_seconds(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class TrainingPanel(QWidget):
    startRequested = Signal()
    pauseToggled = Signal()
    stopRequested = Signal()

    def __init__(self, undo_stack=None, sections: DocumentSections | None = None, parent=None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.sections = sections or DocumentSections(self)
        self.sections.changed.connect(self._on_section_changed)
        self.document = None
        self.editors: dict[str, QWidget] = {}
        basics, more = QFormLayout(), QFormLayout()
        defaults = TrainingConfig()
        for f in fields(TrainingConfig):
            if f.name in HIDDEN:
                continue
            editor = self._editor(f.name, getattr(defaults, f.name))
            editor.setToolTip(HELP.get(f.name, f.name))
            self.editors[f.name] = editor
            (basics if f.name in BASIC else more).addRow(f.name.replace("_", " "), editor)
        self.device = QComboBox()
        for value, label in available_devices():
            self.device.addItem(label, value)
        self.device.setToolTip("Where to train: the devices torch sees on this machine")
        self.device.activated.connect(lambda *_: self._commit_device())
        basics.addRow("device", self.device)
        self.probe_boxes = {p: QCheckBox(p.replace("_", " ")) for p in PROBES}
        probes = QHBoxLayout()
        for box in self.probe_boxes.values():
            box.setChecked(True)
            box.clicked.connect(lambda *_: self._commit_probes())
            probes.addWidget(box)
        more.addRow("probes", probes)
        more_toggle = QCheckBox("More settings")
        more_inner = QWidget()
        more_inner.setLayout(more)
        more_inner.setVisible(False)
        more_toggle.toggled.connect(more_inner.setVisible)

        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.start_button.clicked.connect(self.startRequested)
        self.pause_button.clicked.connect(self.pauseToggled)
        self.stop_button.clicked.connect(self.stopRequested)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.stop_button):
            buttons.addWidget(button)
        self.progress = QProgressBar()
        self.progress.setFormat("%p%")
        self.progress_text = QLabel("idle")
        self.notice = QLabel("The run trains a snapshot of the graph taken at Start: edits you make now do not "
                             "affect it. Start again to train the edited graph.")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #8a6d00; background: #fff6d5; padding: 3px;")
        self.notice.setVisible(False)
        self.message = QLabel("")
        self.message.setWordWrap(True)

        form_widget = QWidget()
        form_layout = QVBoxLayout(form_widget)
        form_layout.addLayout(basics)
        form_layout.addWidget(more_toggle)
        form_layout.addWidget(more_inner)
        form_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(form_widget)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.notice)
        layout.addWidget(self.message)
        self.set_state("idle")

    def _editor(self, name: str, default) -> QWidget:
        """An editor that reports each finished edit once (Enter, focus out, a click, a choice) to _commit."""
        commit = lambda *_: self._commit_editor(name)  # noqa: E731
        if name in CHOICES or name == "monitor":
            editor = QComboBox()
            if name == "monitor":
                editor.setEditable(True)
                editor.addItems(["val_loss", "val_accuracy", "val_mae", "val_perplexity"])
                editor.lineEdit().editingFinished.connect(commit)
            else:
                editor.addItems(CHOICES[name])
            editor.activated.connect(commit)
        elif isinstance(default, bool):
            editor = QCheckBox()
            editor.clicked.connect(commit)
        elif isinstance(default, int):
            editor = QSpinBox()
            editor.setRange(0, 10**7)
            editor.setKeyboardTracking(False)  # one value per finished edit, not one per keystroke
            editor.valueChanged.connect(commit)
        elif name == "lr" or name == "min_lr":
            editor = QLineEdit()  # learning rates span decades: typed as 1e-3 rather than spun
            editor.editingFinished.connect(commit)
        else:
            editor = QDoubleSpinBox()
            editor.setDecimals(4)
            editor.setRange(0.0, 1e6)
            editor.setSingleStep(0.05)
            editor.setKeyboardTracking(False)
            editor.valueChanged.connect(commit)
        return editor

    # ------------------------------------------------------------------ the document's settings
    def set_document(self, document) -> None:
        """Shows ``document``'s training settings (defaults for what it leaves out)."""
        self.document = document
        self.show_message("")
        self._show(document.training if document is not None else None)

    def _on_section_changed(self, section: str) -> None:
        if section == "training" and self.document is not None:
            self._show(self.document.training)

    def _show(self, settings: dict | None) -> None:
        try:
            config = TrainingConfig.from_dict(settings)
        except (ConfigError, TypeError) as err:
            self.show_message(f"the document's training settings are not valid: {err}", error=True)
            config = TrainingConfig.from_dict({k: v for k, v in (settings or {}).items()
                                               if _valid_alone(k, v)})
        for editor in [*self.editors.values(), *self.probe_boxes.values(), self.device]:
            editor.blockSignals(True)
        try:
            for name, editor in self.editors.items():
                value = getattr(config, name)
                if isinstance(editor, QComboBox):
                    if editor.findText(str(value)) < 0:
                        editor.addItem(str(value))
                    editor.setCurrentText(str(value))
                elif isinstance(editor, QCheckBox):
                    editor.setChecked(bool(value))
                elif isinstance(editor, QLineEdit):
                    editor.setText(repr(float(value)))
                else:
                    editor.setValue(value)
            for probe, box in self.probe_boxes.items():
                box.setChecked(probe in config.probes)
            if not (config.device == "cuda" and str(self.device.currentData()).startswith("cuda")):
                self.device.setCurrentIndex(max(self.device.findData(config.device), 0))
        finally:
            for editor in [*self.editors.values(), *self.probe_boxes.values(), self.device]:
                editor.blockSignals(False)

    def _editor_value(self, name: str):
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            return editor.currentText()
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QLineEdit):
            try:
                return float(editor.text())
            except ValueError:
                raise ConfigError(name, f"must be a number such as 0.001 or 1e-3, got {editor.text()!r}") from None
        return editor.value()

    def _commit_editor(self, name: str) -> None:
        try:
            value = self._editor_value(name)
        except ConfigError as err:
            self.show_message(str(err), error=True)
            self._show(self.document.training if self.document is not None else None)
            return
        self.commit({name: value})

    def _commit_probes(self) -> None:
        self.commit({"probes": [p for p, box in self.probe_boxes.items() if box.isChecked()]})

    def _commit_device(self) -> None:
        device = str(self.device.currentData())
        self.commit({"device": "cuda" if device.startswith("cuda") else device})

    def commit(self, changes: dict) -> bool:
        """Writes ``changes`` into the document's training section as one undo step; a value that is not
        allowed is refused with the reason (naming the setting) and the editors show the document again."""
        if self.document is None:
            return False
        old = dict(self.document.training)
        new = {**TrainingConfig.from_dict(_valid_subset(old)).to_dict(), **old, **changes}
        try:
            TrainingConfig.from_dict(new)
        except (ConfigError, TypeError) as err:
            self.show_message(str(err), error=True)
            self._show(old)
            return False
        self.show_message("")
        if new == old:
            return False
        command = SetSectionCommand(self.document, "training", new, self.sections,
                                    describe_change("training", old, new))
        if self.undo_stack is not None:
            self.undo_stack.push(command)
        else:
            command.redo()
        return True

    def values(self) -> dict:
        """The settings the widgets show (the document's, with defaults filled in)."""
        out = {name: self._editor_value(name) for name in self.editors}
        out["probes"] = [p for p, box in self.probe_boxes.items() if box.isChecked()]
        device = self.device.currentData()
        out["device"] = "cuda" if device.startswith("cuda") else device
        return out

    def config(self) -> TrainingConfig:
        """The settings as a checked TrainingConfig; raises ConfigError naming the bad field."""
        return TrainingConfig.from_dict(self.values())

    def set_config(self, config: TrainingConfig | dict) -> None:
        """Sets every setting (as a user would, as one undo step)."""
        self.commit(config.to_dict() if isinstance(config, TrainingConfig) else dict(config))

    def cuda_index(self) -> int | None:
        device = self.device.currentData()
        return int(device.split(":")[1]) if device.startswith("cuda:") else None

    # ------------------------------------------------------------------ run state
    def set_state(self, state: str) -> None:
        running = state in ("running", "paused", "stopping")
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(state in ("running", "paused"))
        self.pause_button.setText("Resume" if state == "paused" else "Pause")
        self.stop_button.setEnabled(state in ("running", "paused"))
        for editor in list(self.editors.values()) + [self.device]:
            editor.setEnabled(not running)
        if not running:
            self.notice.setVisible(False)
        if state == "paused":
            self.progress_text.setText(self.progress_text.text().split(" · paused")[0] + " · paused")

    def update_progress(self, step, epochs: int) -> None:
        total = max(epochs * step.steps_per_epoch, 1)
        done = (step.epoch - 1) * step.steps_per_epoch + step.step
        self.progress.setRange(0, total)
        self.progress.setValue(min(done, total))
        self.progress_text.setText(f"epoch {step.epoch}/{epochs} · step {step.step}/{step.steps_per_epoch} · "
                                   f"{step.samples_per_sec:,.0f} samples/s · ETA {format_seconds(step.eta_s)}")

    def reset(self) -> None:
        """Another document: no progress, notice or message of an earlier run."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_text.setText("idle")
        self.show_snapshot_notice(False)
        self.show_message("")

    def show_snapshot_notice(self, visible: bool = True) -> None:
        self.notice.setVisible(visible)

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)


def _valid_alone(name: str, value) -> bool:
    """Whether one stored setting is valid by itself (to keep the valid ones of a broken section)."""
    try:
        TrainingConfig.from_dict({name: value})
    except (ConfigError, TypeError):
        return False
    return True


def _valid_subset(settings: dict) -> dict:
    return {k: v for k, v in settings.items() if _valid_alone(k, v)}
