"""The data panel: choose a built-in dataset or import a file (preview, column pickers, tokenizer and window
options, split), see sample counts, length histogram, vocabulary size and class balance, and fix mismatches.

The binding is the document's ``data`` section: choosing a dataset, an option, the split, the seed or bucketing
is one undo command each, which changes that key alone: a stored value the panel cannot show (a seed of "abc",
a split of two shares) is shown as invalid and kept until the user replaces it, never made up or dropped. The
panel shows the section and follows its changes (undo, another document).
"""
from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QFileDialog, QGridLayout, QLabel, QListWidget, QPushButton, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from engine.data import DATASETS, DataError, missing_package
from engine.lazy import numpy as np  # imported at first use: not before the window's first paint
from engine.settings import DATA_PARAMS
from engine.specs import shown

from ..lazy_widget import LazyWidget, made_on_use
from ..plotting import move_in_layout, no_si_prefix
from ..theme import pg, plot_colors
from ..commands import DocumentSections, SetSectionCommand, describe_change
from ..forms import INVALID_STYLE, ParamForm
from ..plain_text import plain
from ..wheel_guard import WheelSafeComboBox, WheelSafeDoubleSpinBox
from ..wrapping_label import wrapping_tooltip
from .background import BackgroundCall

COLUMN_OPTIONS = ("text_column", "label_column")  # options naming columns of the imported file
MULTI_COLUMN_OPTIONS = ("columns", "targets")
PREVIEW_ROWS = 20
SPLIT = next(p for p in DATA_PARAMS if p.name == "split")
OWN_SETTINGS = tuple(p for p in DATA_PARAMS if p.name in ("seed", "bucketing"))  # the settings form's rows


def inspect_binding(binding: dict, base_dir):
    """Runs in a thread: prepares the data on its own (whether it fits the graph is the FitModel's job) and
    returns what the panel shows of it: sizes, lengths, vocabulary and class balance."""
    from engine.data import prepare_data  # imports torch: here in the thread, not when the window starts

    try:
        return prepare_data(binding, None, base_dir).info
    except DataError:  # a mapping that names no block or field: the fit check reports it, with its fix
        stripped = {k: v for k, v in binding.items() if k not in ("inputs", "targets")}
        if stripped == binding:
            raise
        return prepare_data(stripped, None, base_dir).info


class DataPanel(QWidget):
    bindingApplied = Signal(dict)
    fixRequested = Signal(tuple)  # the fixes of every fit problem, to apply as one undo step
    varyRequested = Signal(str)  # "data.options.<name>" or "data.seed": Vary… was chosen (the experiment adds it)

    def __init__(self, undo_stack=None, sections: DocumentSections | None = None, fit=None, parent=None):
        super().__init__(parent)
        self.fit = fit  # FitModel: whether the graph and this data agree
        if fit is not None:
            fit.updated.connect(self._on_fit)
        self.undo_stack = undo_stack
        self.sections = sections or DocumentSections(self)
        self.sections.changed.connect(self._on_section_changed)
        self.document = None
        self.header: list[str] = []
        self.info = None
        self.problems: list = []  # FitProblems of the graph and this data
        self._split_refused: str | None = None  # the shares shown are not the document's: why (until fixed)
        self.background = BackgroundCall(self)
        self.background.done.connect(self._on_inspected)
        self.background.failed.connect(lambda text: self._show_status(f"data error: {text}", error=True))
        self.background.failed.connect(lambda _text: self._clear_stats(keep_status=True))
        self.dataset = WheelSafeComboBox()
        self.dataset.addItem("— choose a dataset —", None)  # a new document has no data until one is chosen
        for name, spec in DATASETS.items():
            missing = missing_package(spec)
            self.dataset.addItem(f"{name} ({spec.task})" + (f" — needs {missing}" if missing else ""), name)
        self.dataset.activated.connect(lambda _i: self.choose_dataset(self.dataset.currentData()))
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.options_form = ParamForm(captions=False)
        self.options_form.committed.connect(self._on_option_committed)
        self.options_form.enable_vary(True)
        self.options_form.varyRequested.connect(lambda name: self.varyRequested.emit(f"data.options.{name}"))
        self.split = [WheelSafeDoubleSpinBox() for _ in range(3)]
        split_row = QGridLayout()  # each share under its name: in a row the three took 265 px, past a narrow dock
        for column, (box, value, name) in enumerate(zip(self.split, (0.8, 0.1, 0.1), ("train", "val", "test"))):
            box.setRange(0.0, 1.0)
            box.setSingleStep(0.05)
            box.setDecimals(2)
            box.setValue(value)
            box.setKeyboardTracking(False)
            box.valueChanged.connect(lambda *_: self.commit(split=[round(b.value(), 4) for b in self.split]))
            split_row.addWidget(QLabel(name), 0, column)
            split_row.addWidget(box, 1, column)
        # Seed and bucketing: editors that show a stored value they cannot hold as invalid (a QSpinBox clamped
        # a seed of 5,000,000 to its maximum, and the next edit of the split saved the clamped one).
        self.settings_form = ParamForm(OWN_SETTINGS, captions=False)
        self.settings_form.committed.connect(lambda name, value: self.commit(**{name: value}))
        self.settings_form.refused.connect(self._on_refused)
        self.settings_form.enable_vary(True)  # right-click: train with several data seeds
        self.settings_form.varyRequested.connect(lambda name: self.varyRequested.emit(f"data.{name}"))
        self.preview = QTableWidget(0, 0)
        self.preview.setMaximumHeight(160)
        self.apply_button = QPushButton("Check the data")
        self.apply_button.setToolTip("Prepare the data again and check it against the graph")
        self.apply_button.clicked.connect(self.apply)
        self.status = plain(QLabel(""))  # file names and cells in its messages
        self.status.setWordWrap(True)
        self.stats = QLabel("")
        self.stats.setWordWrap(True)
        self.plots_slot = LazyWidget(self._make_plots)  # made when first shown or drawn on (gui.lazy_widget)
        self.plots_slot.setVisible(False)  # until the data is checked: no empty plots on made-up axes
        self.mismatches = QListWidget()
        self.mismatches.setMaximumHeight(90)
        self.fix_button = QPushButton("Fix the graph")
        self.fix_button.setToolTip("Apply the suggested changes to the blocks and the mapping (one undo step)")
        self.fix_button.clicked.connect(self.fix_all)
        self.fix_button.setVisible(False)
        layout = QVBoxLayout(self)
        layout.addWidget(self.dataset)
        layout.addWidget(self.about)
        layout.addWidget(self.options_form)
        layout.addLayout(split_row)
        layout.addWidget(self.settings_form)
        layout.addWidget(self.preview)
        layout.addWidget(self.apply_button)
        layout.addWidget(self.status)
        layout.addWidget(self.stats)
        layout.addWidget(self.plots_slot, 1)
        layout.addWidget(self.mismatches)
        layout.addWidget(self.fix_button)
        self._build_options()

    def _make_plots(self):
        plots = StatsPlots()
        if self.info is not None:  # the data was checked while the plots were out of sight
            self._draw_stats(plots.hist_plot, plots.balance_plot)
        return plots

    plots = made_on_use("plots_slot")
    hist_plot = made_on_use("plots_slot", lambda plots: plots.hist_plot)
    balance_plot = made_on_use("plots_slot", lambda plots: plots.balance_plot)

    # ------------------------------------------------------------------ options
    @property
    def spec(self):
        name = self.dataset.currentData()
        return DATASETS[name] if name is not None else None

    def _build_options(self, values: dict | None = None) -> None:
        """The chosen dataset's options as a form built from their Params (types, ranges, choices, help)."""
        spec = self.spec
        for widget in (*self.split, self.settings_form, self.apply_button):
            widget.setEnabled(spec is not None)
        if spec is None:
            self.options_form.set_params(())
            self.about.setText("<b>No data yet.</b> Choose a dataset to train on, or import your own file "
                               "(csv_series, csv_text, text_file).")
            self.preview.setVisible(False)
            return
        missing = missing_package(spec)
        self.about.setText(f"{spec.description}<br><i>{spec.source}; licence {spec.licence}; {spec.samples} "
                           f"samples</i>" + (f"<br><b>needs pip install {missing}</b>" if missing else ""))
        values = values or {}
        if list(self.options_form.params.values()) == list(spec.options):
            # The same dataset (an option just committed, an undo): its editors show the new values in place,
            # keeping the focus where the user typed; rebuilt, they lost it on every Enter.
            self.options_form.set_values({p.name: values.get(p.name, p.default) for p in spec.options})
        else:
            self.options_form.set_params(spec.options, values)
        self.preview.setVisible("path" in self.options_form.editors)
        if "path" in self.options_form.editors and values.get("path"):
            self.load_preview(self._resolve(values["path"]))
        self._suggest_columns()

    @property
    def option_widgets(self) -> dict[str, QWidget]:
        """Each option's typed widget (spin box, combo, line edit...), by option name."""
        return {name: editor.widget for name, editor in self.options_form.editors.items()}

    def options(self) -> dict:
        return self.options_form.values()

    def _on_option_committed(self, name: str, value) -> None:
        if name == "path" and value:
            self.load_preview(self._resolve(value))
            self._suggest_columns()
        self.commit(options={**self._stored_options(), **self.options(), name: value})

    def _stored_options(self) -> dict:
        """The document's options of the dataset shown, unknown ones included (kept, and reported by the check)."""
        data = self._stored()
        options = data.get("options") if data.get("dataset") == (self.spec and self.spec.name) else None
        return dict(options) if isinstance(options, dict) else {}

    def _known_dataset(self) -> bool:
        name = self._stored().get("dataset")
        return isinstance(name, str) and name in DATASETS

    def _stored(self) -> dict:
        data = getattr(self.document, "data", None)
        return dict(data) if isinstance(data, dict) else {}

    def focus_setting(self, name: str = "") -> QWidget:
        """Focuses the editor where a data problem is fixed and returns it: setting ``name`` ("options.length",
        "seed", "split") when it has one, else the dataset chooser until a dataset is chosen, then the file of a
        dataset read from one (its errors are mostly the file's), else the first option or the chooser."""
        editors = self.options_form.editors
        option = name.removeprefix("options.") if name.startswith("options.") else ""
        if self.spec is None:
            editor = self.dataset
        elif name == "split":
            editor = self.split[0]
        elif name in self.settings_form.editors:
            editor = self.settings_form.editors[name]
        elif option in editors:
            editor = editors[option]
        elif "path" in editors:
            editor = editors["path"]
        else:
            editor = next(iter(editors.values()), self.dataset)
        editor.setFocus(Qt.FocusReason.OtherFocusReason)
        return editor

    def _suggest_columns(self) -> None:
        """The preview's columns as the choices of every option that names columns."""
        for name, param in self.options_form.params.items():
            if param.hint == "column" or name in COLUMN_OPTIONS + MULTI_COLUMN_OPTIONS:
                self.options_form.set_suggestions(name, self.header)

    def binding(self, **changes) -> dict:
        """The document's data section with ``changes`` (e.g. ``seed=3``) and nothing else rewritten. For
        another dataset than the stored one, the options are the form's and the mapping goes (both belong to a
        dataset); the split, seed and bucketing stay."""
        spec = self.spec
        if spec is None:
            return {}
        binding = self._stored()
        if binding.get("dataset") != spec.name:
            binding = {k: binding[k] for k in ("split", "seed", "bucketing") if k in binding}
            binding["options"] = self.options()
        binding.setdefault("split", list(SPLIT.default))
        binding.setdefault("seed", 0)
        return {**binding, "dataset": spec.name, **changes}

    # ------------------------------------------------------------------ files
    def _resolve(self, path) -> Path:
        path = Path(path)
        if not path.is_absolute() and self.document is not None and self.document.path:
            path = Path(self.document.path).parent / path
        return path

    def browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import a data file", "", "Data (*.csv *.tsv *.txt);;All (*)")
        if path:
            self.set_file(path)

    def set_file(self, path: str) -> None:
        """Chooses ``path`` for the current file dataset and shows its preview and columns."""
        self.options_form.set_values({"path": str(path)})
        self.load_preview(self._resolve(path))
        self._suggest_columns()
        self.commit(options={**self._stored_options(), **self.options()})

    def load_preview(self, path: Path) -> None:
        from engine.data.preview import preview_rows

        try:
            header, cells = preview_rows(path, PREVIEW_ROWS, self.options().get("delimiter"))
        except DataError as err:
            self._show_status(f"cannot preview {path.name}: {err}", error=True)
            return
        self.header = header
        self.preview.setColumnCount(len(header))
        self.preview.setHorizontalHeaderLabels(header)
        self.preview.setRowCount(len(cells))
        for r, row in enumerate(cells):
            for c, cell in enumerate(row):
                self.preview.setItem(r, c, QTableWidgetItem(cell))

    # ------------------------------------------------------------------ document
    def set_document(self, document) -> None:
        """Shows ``document``'s binding (or "no data"); nothing of the previous document stays."""
        self.document = document
        self.info = None
        self.problems = []
        self._show_problems()
        self._clear_stats()
        self._show_binding()
        if self.document is not None and self._known_dataset():
            self.apply()

    def _on_section_changed(self, section: str) -> None:
        if section == "data" and self.document is not None:
            self._show_binding()
            if self._known_dataset():
                self.apply()

    def _show_binding(self) -> None:
        """Sets the widgets from the document's data section, without committing anything."""
        data, known = self._stored(), self._known_dataset()
        widgets = [self.dataset, *self.split]
        for widget in widgets:
            widget.blockSignals(True)
        try:
            self.dataset.setCurrentIndex(self.dataset.findData(data["dataset"]) if known else 0)
            self._show_split(data.get("split", list(SPLIT.default)) if known else list(SPLIT.default))
        finally:
            for widget in widgets:
                widget.blockSignals(False)
        self.settings_form.set_values({p.name: data.get(p.name, p.default) if known else p.default
                                       for p in OWN_SETTINGS})
        options = data.get("options")
        self._build_options(options if known and isinstance(options, dict) else {})
        if not known:
            self._show_status("no data: choose a dataset" if not data.get("dataset") else
                              f"the document names an unknown dataset '{data.get('dataset')}': choose one",
                              error=True)

    def _on_refused(self, name: str, why: str) -> None:
        if why:
            self._show_status(f"data.{name}: {why}", error=True)
        elif self.status.text().startswith(f"data.{name}: "):  # a valid value again
            self._show_status("")

    def _show_split(self, split) -> None:
        """The three shares; a stored split they cannot show (two shares, text) marks them invalid, naming it."""
        problem = SPLIT.problem(split)
        self._split_refused = None
        for box, value in zip(self.split, SPLIT.default if problem else split):
            box.setValue(float(value))
            box.setStyleSheet(INVALID_STYLE if problem else "")
            box.setToolTip(wrapping_tooltip(f"the document's split {shown(split)}: {problem}; set the shares to "
                                            f"replace it") if problem else "")

    def choose_dataset(self, name: str | None) -> bool:
        """Binds dataset ``name`` with its default options (one undo step) and checks it; None unbinds."""
        if self.document is None:
            return False
        if name is None:
            return self._push({}, "Remove the data binding")
        self.dataset.setCurrentIndex(self.dataset.findData(name))
        self._build_options()
        return self.commit(text=f"Use dataset {name}")

    def commit(self, text: str = "", **changes) -> bool:
        """Writes ``changes`` (e.g. ``split=[...]``) into the document's data section as one undo step, then
        checks it; the section's other keys stay as stored."""
        if self.document is None or self.spec is None:
            return False
        binding = self.binding(**changes)
        if "split" in changes and abs(sum(changes["split"]) - 1.0) > 1e-6:
            self._split_refused = (f"the split must add up to 1, not {sum(changes['split']):.2f}; the document "
                                   f"keeps {shown(self._stored().get('split'))}")
            for box in self.split:
                box.setStyleSheet(INVALID_STYLE)
                box.setToolTip(wrapping_tooltip(self._split_refused))
            self._show_status(self._split_refused, error=True)
            return False
        return self._push(binding, text or describe_change("data", self.document.data, binding))

    def _push(self, binding: dict, text: str) -> bool:
        if binding == self.document.data:
            return False
        command = SetSectionCommand(self.document, "data", binding, self.sections, text)
        if self.undo_stack is not None:
            self.undo_stack.push(command)  # redo() announces the change: the panel re-reads and checks it
        else:
            command.redo()
        self.bindingApplied.emit(binding)
        return True

    def apply(self) -> None:
        """Prepares the document's data in the background and checks it against the graph."""
        if self.document is None or not self._known_dataset():
            return
        binding = dict(self.document.data)
        self._show_status("preparing the data…")
        base = Path(self.document.path).parent if self.document.path else None
        document = self.document
        self.background.call(lambda: (document, binding, inspect_binding(binding, base)))

    def _on_inspected(self, result) -> None:
        document, binding, info = result
        if document is not self.document or binding != self.document.data:
            return  # measured data of another document, or of a binding since changed: a newer one follows
        self.info = info
        self._show_stats(info)
        self._on_fit(self.fit.problems if self.fit is not None and self.fit.problems is not None else [])

    def _on_fit(self, problems: list) -> None:
        """The graph/data check's verdict: the mismatches with their fixes, and the status line."""
        self.problems = [p for p in problems if p.message and not p.message.startswith("no data")]
        self._show_problems()
        if self.document is None or not self._known_dataset():
            return
        if self.problems:
            self._show_status(f"mismatch: {self.problems[0].message}", error=True)
        elif self.info is not None:
            self._show_status("the data fits the graph" if len(self.document.graph) else
                              "the data is ready; the canvas is empty: build a model that reads it")

    def _show_status(self, text: str, error: bool = False) -> None:
        if self._split_refused and not error:
            return  # a check that ended meanwhile must not say all is well under shares the document lacks
        self.status.setStyleSheet("color: #b00020;" if error else "color: #216e39;")
        self.status.setText(text)

    def _clear_stats(self, keep_status: bool = False) -> None:
        self.info = None
        self.stats.setText("")
        if not keep_status:
            self.status.setText("")
        self.plots_slot.setVisible(False)
        if self.plots_slot.made:
            self.hist_plot.clear()
            self.balance_plot.clear()

    def _show_stats(self, info) -> None:
        samples = ", ".join(f"{k} {v:,}" for k, v in info.samples.items())
        vocab = ", ".join(f"{k}: {v:,} tokens" for k, v in info.vocab_size.items()) or "no tokens (numeric data)"
        self.stats.setText(f"<b>{info.dataset}</b> ({info.task}) · samples: {samples} · vocabulary: "
                           f"{html.escape(vocab)}")  # field names are the file's columns
        self.plots_slot.setVisible(True)
        if self.plots_slot.made:  # else drawn when first shown: a check finishing must not stall the window
            self._draw_stats(self.hist_plot, self.balance_plot)

    def _draw_stats(self, hist_plot, balance_plot) -> None:
        info = self.info
        hist_plot.clear()
        for stats in info.lengths.values():
            edges, counts = np.asarray(stats["edges"]), np.asarray(stats["counts"])
            hist_plot.addItem(pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=counts, brush="#1f77b4"))
            break
        balance_plot.clear()
        balance_plot.setTitle("class balance (train)" if info.class_balance else
                              f"class balance: none ({info.task} targets are numbers)")
        for balance in info.class_balance.values():
            labels = list(balance)
            balance_plot.addItem(pg.BarGraphItem(x=np.arange(len(labels)), height=list(balance.values()),
                                                 width=0.7, brush="#ff7f0e"))
            balance_plot.getAxis("bottom").setTicks([list(enumerate(labels))])
            break

    def _show_problems(self) -> None:
        self.mismatches.clear()
        for problem in self.problems:
            self.mismatches.addItem(("⚠ " if problem.fixes else "✖ ") + problem.message)
        self.fix_button.setVisible(any(p.fixes for p in self.problems))

    def fix_all(self) -> int:
        """Asks for every suggested fix (one undo step); returns how many fixes were asked for."""
        fixes = tuple(fix for problem in self.problems for fix in problem.fixes)
        if fixes:
            self._show_status(f"applying {len(fixes)} fix(es); checking again…")
            self.fixRequested.emit(fixes)
        return len(fixes)


class StatsPlots(QWidget):
    """The length histogram and the class balance: side by side, or one above the other where the dock is
    narrow (side by side they need about 520 px; a 300 px dock cut the second one off). A widget around
    pyqtgraph's rather than a subclass of it: defining one at import would import pyqtgraph before the window's
    first paint."""

    SIDE_BY_SIDE = 520  # px
    PLOT_HEIGHT = 170  # px each

    def __init__(self):
        super().__init__()
        self.view = pg.GraphicsLayoutWidget()
        self.view.setBackground(plot_colors().background)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view)
        self.hist_plot = self.view.addPlot(row=0, col=0, title="sequence length")
        self.hist_plot.setLabel("bottom", "steps per sample")
        self.hist_plot.setLabel("left", "samples")
        self.balance_plot = self.view.addPlot(row=1, col=0, title="class balance (train)")
        self.balance_plot.setLabel("bottom", "class")
        self.balance_plot.setLabel("left", "samples")
        for plot in (self.hist_plot, self.balance_plot):
            no_si_prefix(plot)
        self.stacked = True
        self.setMinimumHeight(2 * self.PLOT_HEIGHT)

    def arrange(self, stacked: bool) -> None:
        if stacked == self.stacked:
            return
        self.stacked = stacked
        move_in_layout(self.view, self.balance_plot, 1 if stacked else 0, 0 if stacked else 1)
        self.setMinimumHeight((2 if stacked else 1) * self.PLOT_HEIGHT)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.arrange(self.width() < self.SIDE_BY_SIDE)
