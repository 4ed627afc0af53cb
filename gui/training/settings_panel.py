"""The training panel: the document's training settings as widgets, the device, Start / Pause-Resume / Stop
and a progress bar with epoch, step, samples per second and time left.

Every finished edit is one undo command on the document's ``training`` section (the document is what Save
writes and what Start trains); the widgets only show the section and follow its changes.
"""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtWidgets import (QCheckBox, QFormLayout, QLabel, QProgressBar, QPushButton, QScrollArea, QHBoxLayout,
                               QVBoxLayout, QWidget)

from engine.training.config import TRAINING_PARAMS, ConfigError, TrainingConfig

from ..commands import DocumentSections, SetSectionCommand, describe_change
from ..dashboard.history import status_words
from ..forms import ParamForm
from ..plain_text import plain
from ..torch_loader import loaded, when_torch_loaded
from ..wheel_guard import WheelSafeComboBox

BASIC = ("epochs", "batch_size", "optimizer", "lr", "schedule", "clip", "clip_value", "monitor", "early_stopping")
OWN_EDITOR = ("device",)  # the device selector lists the machine's CUDA devices by name


def available_devices() -> list[tuple[str, str]]:
    """(value, label) for every device torch sees: auto, the CPU and each CUDA device by name (the CUDA devices
    once torch is loaded: the window starts without it, and ``_add_devices`` adds them when it is)."""
    devices = [("auto", "Automatic (CUDA if available)"), ("cpu", "CPU")]
    if not loaded("torch"):
        return devices
    import torch

    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            devices.append((f"cuda:{index}", f"CUDA {index}: {torch.cuda.get_device_name(index)}"))
    return devices


def format_seconds(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class TrainingPanel(QWidget):
    """The settings are two ParamForms built from TRAINING_PARAMS (the basics, and More settings); a setting
    that does not apply to the chosen optimizer, schedule or clipping is hidden."""

    startRequested = Signal()
    pauseToggled = Signal()
    stopRequested = Signal()
    varyRequested = Signal(str)  # "training.<setting>": Vary… was chosen on that row (the experiment adds it)

    def __init__(self, undo_stack=None, sections: DocumentSections | None = None, parent=None):
        super().__init__(parent)
        self.undo_stack = undo_stack
        self.sections = sections or DocumentSections(self)
        self.sections.changed.connect(self._on_section_changed)
        self.document = None
        defaults = TrainingConfig().to_dict()
        params = [p for p in TRAINING_PARAMS if p.name not in OWN_EDITOR]
        self.basics = ParamForm([p for p in params if p.name in BASIC], defaults, hide_inactive=True, captions=False)
        self.more = ParamForm([p for p in params if p.name not in BASIC], defaults, hide_inactive=True,
                              captions=False)
        self.editors = {**self.basics.editors, **self.more.editors}
        for form in (self.basics, self.more):
            form.committed.connect(lambda name, value: self.commit({name: value}))
            form.refused.connect(lambda name, message: self.show_message(
                f"training.{name}: {message}" if message else "", error=bool(message)))
            form.enable_vary(True)
            form.varyRequested.connect(lambda name: self.varyRequested.emit(f"training.{name}"))
        self.device = WheelSafeComboBox()
        for value, label in available_devices():
            self.device.addItem(label, value)
        self.device.setToolTip("Where to train: the devices torch sees on this machine")
        when_torch_loaded(self, self._add_devices)
        self.device.activated.connect(lambda *_: self._commit_device())
        device_row = QFormLayout()
        device_row.addRow("Device", self.device)
        self.more_toggle = more_toggle = QCheckBox("More settings")
        self.more.setVisible(False)
        more_toggle.toggled.connect(self.more.setVisible)

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
        self.progress_text = plain(QLabel("idle"))
        self._position = ""  # "epoch e/E · step s/S" of the last step shown (the run's end keeps it)
        self._paused = False
        self.progress_text.setWordWrap(True)  # a narrow dock wraps it instead of widening the panel
        self.notice = QLabel("The run trains a snapshot of the graph taken at Start: edits you make now do not "
                             "affect it. Start again to train the edited graph.")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("color: #8a6d00; background: #fff6d5; padding: 3px;")
        self.notice.setVisible(False)
        self.message = plain(QLabel(""))  # "training.lr: ..." quotes what was typed
        self.message.setWordWrap(True)

        form_widget = QWidget()
        form_layout = QVBoxLayout(form_widget)
        form_layout.addWidget(self.basics)
        form_layout.addLayout(device_row)
        form_layout.addWidget(more_toggle)
        form_layout.addWidget(self.more)
        form_layout.addStretch(1)
        self.scroll = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows shrink to the dock
        scroll.setWidget(form_widget)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        layout.addWidget(self.notice)
        layout.addWidget(self.message)
        self.set_state("idle")

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
        """Shows the stored settings as they are: a value the schema refuses is shown marked invalid (and
        Start says which), never silently replaced by a default."""
        values = {**TrainingConfig().to_dict(), **(settings or {})}
        try:
            TrainingConfig.from_dict(settings)
        except (ConfigError, TypeError) as err:
            self.show_message(f"the document's training settings are not valid: {err}", error=True)
        self.basics.set_values(values)
        self.more.set_values(values)
        device = values.get("device")
        if not (device == "cuda" and str(self.device.currentData()).startswith("cuda")):
            with QSignalBlocker(self.device):
                self.device.setCurrentIndex(max(self.device.findData(device), 0))

    def _add_devices(self) -> None:
        """Adds the CUDA devices once torch is loaded (the selection stays)."""
        with QSignalBlocker(self.device):
            for value, label in available_devices():
                if self.device.findData(value) < 0:
                    self.device.addItem(label, value)

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
        """The settings the panel shows (the document's, with defaults filled in)."""
        values = {**self.basics.values(), **self.more.values()}
        device = str(self.device.currentData())
        values["device"] = "cuda" if device.startswith("cuda") else device
        return values

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
        self.pause_button.setStyleSheet("background: #ffe08a; font-weight: bold;" if state == "paused" else "")
        self.stop_button.setEnabled(state in ("running", "paused"))
        for widget in (self.basics, self.more, self.device):
            widget.setEnabled(not running)
        if not running:
            self.notice.setVisible(False)
        self._paused = state == "paused"
        if self._paused:  # no speed or ETA while held
            shown = self._position or self.progress_text.text().split(" · paused")[0]
            self.progress_text.setText(f"{shown} · paused")

    def update_progress(self, step, epochs: int) -> None:
        total = max(epochs * step.steps_per_epoch, 1)
        done = (step.epoch - 1) * step.steps_per_epoch + step.step
        self.progress.setRange(0, total)
        self.progress.setValue(min(done, total))
        self._position = f"epoch {step.epoch}/{epochs} · step {step.step}/{step.steps_per_epoch}"
        if self._paused:  # a step drained after Pause (taken before the worker held): no speed while paused
            self.progress_text.setText(f"{self._position} · paused")
            return
        self.progress_text.setText(f"{self._position} · {step.samples_per_sec:,.0f} samples/s · "
                                   f"ETA {format_seconds(step.eta_s)}")

    def finish_progress(self, status: str) -> None:
        """The run's end replaces the speed and ETA (an early-stopped run said 'ETA 0:55' after it ended); the
        bar keeps how far the run went."""
        if self._position:
            words = "done" if status == "completed" else status_words(status)
            self.progress_text.setText(f"{self._position} · {words}")

    def reset(self) -> None:
        """Another document: no progress, notice or message of an earlier run."""
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress_text.setText("idle")
        self._position = ""
        self.show_snapshot_notice(False)
        self.show_message("")

    def show_snapshot_notice(self, visible: bool = True) -> None:
        self.notice.setVisible(visible)

    def focus_setting(self, name: str) -> bool:
        """Shows setting ``name``'s editor (opening More settings for it) and puts the focus there: where a
        Problems entry that names the setting leads. False for a setting without an editor here."""
        editor = self.editors.get(name)
        if editor is None:
            return False
        if name in self.more.editors:
            self.more_toggle.setChecked(True)
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        QTimer.singleShot(0, lambda: self._scroll_to(editor))  # once More settings, just shown, is laid out
        return True

    def _scroll_to(self, editor) -> None:
        self.scroll.ensureWidgetVisible(editor, 0)
        self.scroll.horizontalScrollBar().setValue(0)  # rows fit the dock's width: never shift them sideways

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
