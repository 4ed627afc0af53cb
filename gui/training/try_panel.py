"""The try-it panel: the trained model of a run at work (engine.inference.Predictor, in the background).
Class probabilities for typed text or a validation sample, text generation with a temperature for language
models, and the forecast over the actual series; only the controls of the model's task are shown.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QLineEdit, QPlainTextEdit, QPushButton, QSizePolicy,
                               QSpacerItem, QVBoxLayout, QWidget)

from engine.lazy import numpy as np  # imported at first use: not before the window's first paint

from ..lazy_widget import LazyWidget, made_on_use
from ..plotting import no_si_prefix
from ..theme import pg, plot_colors
from ..wheel_guard import WheelSafeDoubleSpinBox, WheelSafeSpinBox
from .background import BackgroundCall

if TYPE_CHECKING:
    from engine.inference import Predictor


NO_MODEL = "Train a model (or open a run) to try it here."


class TryPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.session: Predictor | None = None
        self.document = None
        self._generation = 0
        self.loader = BackgroundCall(self)
        self.loader.done.connect(self._on_loaded)
        self.loader.failed.connect(lambda t: self._say(f"cannot load the model: {t}", True))
        self.work = BackgroundCall(self)
        self.work.done.connect(self._on_result)
        self.work.failed.connect(lambda t: self._say(t, True))
        self.title = QLabel(NO_MODEL)
        self.title.setWordWrap(True)
        # A document reopened with runs of its own: one click tries the latest (nothing loads torch unasked).
        self.offered = None
        self.offer_button = QPushButton()
        self.offer_button.clicked.connect(lambda: self.offered is not None and self.set_run(self.offered))
        self.offer_button.setVisible(False)
        self.text = QLineEdit()
        self.text.setPlaceholderText("type text to classify, or a prompt to continue")
        self.text.returnPressed.connect(self.run_text)
        self.run_button = QPushButton("Predict")
        self.run_button.clicked.connect(self.run_text)
        self.sample = WheelSafeSpinBox()
        self.sample.setRange(0, 10**6)
        self.sample.setToolTip("Index of a validation sample")
        sample_button = QPushButton("Try")
        sample_button.setToolTip("Predict the validation sample of this index, beside its true label")
        sample_button.clicked.connect(self.run_sample)
        self.temperature = WheelSafeDoubleSpinBox()
        self.temperature.setRange(0.05, 5.0)
        self.temperature.setValue(0.8)
        self.temperature.setSingleStep(0.1)
        self.temperature.setToolTip("Sampling temperature: low = safe and repetitive, high = adventurous")
        self.length = WheelSafeSpinBox()
        self.length.setRange(1, 1000)
        self.length.setValue(200)
        self.length.setToolTip("Tokens to generate")
        self.beam = WheelSafeSpinBox()
        self.beam.setRange(1, 16)
        self.beam.setValue(3)
        self.beam.setToolTip("Beam width of free-running decoding: 1 is greedy; wider keeps more candidates")
        self.forecast_button = QPushButton("Forecast the validation series")
        self.forecast_button.clicked.connect(self.run_forecast)
        # One row per kind of use; a loaded model shows only the rows its task uses. Each fits the side dock of a
        # 1280 px screen (260 px): wider, the dock cut its buttons off.
        self.text_row, self.sample_row, self.generate_row = QWidget(), QWidget(), QWidget()
        self.beam_row = QWidget()
        decoder_note, sample_label = QLabel("(the decoder reads its own predictions)"), QLabel("validation sample")
        for label in (decoder_note, sample_label):
            label.setWordWrap(True)  # on two lines where the dock is narrow
        for row, widgets in ((self.text_row, (self.text, self.run_button)),
                             (self.beam_row, (QLabel("beam width"), self.beam, decoder_note)),
                             (self.sample_row, (sample_label, self.sample, sample_button))):
            line = QHBoxLayout(row)
            line.setContentsMargins(0, 0, 0, 0)
            for widget in widgets:
                line.addWidget(widget, 1 if widget in (self.text, decoder_note) else 0)
            line.addStretch(0 if row in (self.text_row, self.beam_row) else 1)
        grid = QGridLayout(self.generate_row)  # temperature over length: side by side they took 300 px
        grid.setContentsMargins(0, 0, 0, 0)
        for r, (label, spin) in enumerate((("temperature", self.temperature), ("length", self.length))):
            grid.addWidget(QLabel(label), r, 0)
            grid.addWidget(spin, r, 1)
        grid.setColumnStretch(2, 1)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))  # names and bars align
        self.output.setMaximumHeight(120)
        self.plot_slot = LazyWidget(self._make_plot)  # made when first shown or drawn on (gui.lazy_widget)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        for w in (self.title, self.offer_button):
            layout.addWidget(w)
        for widget in (self.text_row, self.beam_row, self.sample_row, self.generate_row, self.forecast_button):
            layout.addWidget(widget)
        layout.addWidget(self.output)
        layout.addWidget(self.plot_slot, 1)
        layout.addWidget(self.message)
        # Without the plot, the room left below (the title and the offer spread over the whole dock without it).
        self._filler = QSpacerItem(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Expanding)
        layout.addItem(self._filler)
        self._show_controls(None)

    @staticmethod
    def _make_plot():
        widget = pg.PlotWidget(background=plot_colors().background)
        no_si_prefix(widget.getPlotItem())
        widget.getPlotItem().addLegend(offset=(-5, 5))
        return widget

    plot_widget = made_on_use("plot_slot")
    plot = made_on_use("plot_slot", lambda widget: widget.getPlotItem())

    def _clear_plot(self, make: bool = False) -> None:
        """An empty plot: no curves, bars or legend entries, no class names left as the x axis's ticks (a
        classifier's 'Irish' stood under the next model's forecast), no axis titles, the range free to fit what
        comes next. Not made yet (and ``make`` False): nothing to clear."""
        if not (make or self.plot_slot.made):
            return
        plot = self.plot
        plot.clear()  # its items, and their legend entries with them
        for side in ("bottom", "left"):
            plot.getAxis(side).setTicks(None)
            plot.showLabel(side, False)
        plot.enableAutoRange()

    def set_document(self, document) -> None:
        """Another document: nothing of the previous document's model stays (it is not this model)."""
        self.document = document
        self.session = None
        self._generation += 1  # a model still loading for the previous document is dropped when it arrives
        self.title.setText(NO_MODEL)
        self.run_button.setText("Predict")
        self._show_controls(None)
        self.output.clear()
        self._clear_plot()
        self.offer_run(None)
        self._say("")

    def offer_run(self, run_dir) -> None:
        """Offers ``run_dir`` (the document's latest run with a checkpoint; None: nothing) while no model is
        loaded: a button names it, and a click loads it."""
        self.offered = Path(run_dir) if run_dir is not None else None
        if self.offered is not None:
            self.offer_button.setText(f"Try its latest run ({self.offered.name})")
            self.offer_button.setToolTip(str(self.offered))
        self.offer_button.setVisible(self.offered is not None and self.session is None)

    def set_run(self, run_dir) -> None:
        """Loads the run's model in the background (best checkpoint)."""
        self.offer_button.setVisible(False)
        self._say("loading the model…")
        generation = self._generation
        self.loader.call(lambda: (generation, _predictor(run_dir)))

    def _on_loaded(self, loaded) -> None:
        generation, session = loaded
        if generation != self._generation:
            return
        self.session = session
        self.output.clear()
        self._clear_plot()  # another model: the last one's answer is not this one's
        self.title.setText(f"<b>{session.run_dir.parent.name}/{session.run_dir.name}</b> · task {session.task} · "
                           f"input '{session.input.name}' · head '{session.head.name}'")
        self.run_button.setText({"language_model": "Generate", "seq2seq": "Translate"}.get(session.task, "Predict"))
        self.text.setPlaceholderText({"language_model": "a prompt to continue",
                                      "seq2seq": "a source sequence, e.g. 31415"}.get(session.task,
                                                                                       "type text to classify"))
        if not self._show_controls(session.task):
            self._say(f"Try it covers classifiers, language models and forecasts; this is a {session.task} model: "
                      f"see its test metrics in the Runs dock", True)
            return
        self._say("")

    def _show_controls(self, task: str | None) -> bool:
        """Shows the controls ``task`` uses (none without a model); False if Try it has none for it."""
        rows = {"classification": (self.text_row, self.sample_row), "language_model": (self.text_row,
                self.generate_row), "forecasting": (self.forecast_button,), "regression": (self.forecast_button,),
                "seq2seq": (self.text_row, self.beam_row)}
        shown = rows.get(task, ())
        # A regression's validation samples are separate sequences (the adding problem's sums), not one series.
        self.forecast_button.setText("Predict the validation samples" if task == "regression" else
                                     "Forecast the validation series")
        for widget in (self.text_row, self.beam_row, self.sample_row, self.generate_row, self.forecast_button):
            widget.setVisible(widget in shown)
        self.output.setVisible(bool(shown))
        self.plot_slot.setVisible(bool(shown) and task not in ("language_model", "seq2seq"))
        self._filler.changeSize(0, 0, QSizePolicy.Policy.Minimum, QSizePolicy.Policy.Minimum
                                if self.plot_slot.isVisibleTo(self) else QSizePolicy.Policy.Expanding)
        self.layout().invalidate()
        return bool(shown)

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet("color: #b00020;" if error else "")
        self.message.setText(text)

    # ------------------------------------------------------------------ actions
    def run_text(self) -> None:
        session, text = self.session, self.text.text()
        if session is None:
            return self._say("no trained model yet", True)
        if session.task == "language_model":
            temperature, length = self.temperature.value(), self.length.value()
            self.work.call(lambda: ("text", session.generate(text, temperature, length)))
        elif session.task in ("classification", "seq2seq") and not text.strip():
            self._say("type a text first: with no characters the answer says nothing about the model", True)
        elif session.task == "classification":
            self.work.call(lambda: ("probs", text, None, session.classify_text(text)))
        elif session.task == "seq2seq":
            beam = self.beam.value()
            self.work.call(lambda: ("translations", text, session.translate(text, beam)))
        else:
            self._say(f"typed input does not apply to a {session.task} model: use the forecast", True)

    def run_sample(self) -> None:
        session, index = self.session, self.sample.value()
        if session is None or session.task != "classification":
            return self._say("validation samples are shown for classifiers", True)
        self.work.call(lambda: ("probs", *session.validation_sample(index)))

    def run_forecast(self) -> None:
        session = self.session
        if session is None or session.task not in ("forecasting", "regression"):
            return self._say("the forecast applies to forecasting and regression models", True)
        self.work.call(lambda: ("forecast", session.task, *session.forecast()))

    def _on_result(self, result) -> None:
        kind = result[0]
        self._clear_plot(make=True)
        if kind == "text":
            self.output.setPlainText(result[1])
        elif kind == "translations":
            _, text, hypotheses = result
            lines = [f"source: {text}"] + [f"{i + 1}. {answer!s:<30} p = {p:.3f}"
                                           for i, (answer, p) in enumerate(hypotheses)]
            self.output.setPlainText("\n".join(lines))
        elif kind == "probs":
            _, text, label, probs = result
            lines = ([f"text: {text}", f"true label: {label}"] if label is not None else [])
            room = self.output.viewport().width() - 2 * int(self.output.document().documentMargin()) - 2
            lines += probability_lines(probs, room // max(self.output.fontMetrics().horizontalAdvance("M"), 1))
            self.output.setPlainText("\n".join(lines))
            names = [n for n, _ in probs]
            self.plot.addItem(pg.BarGraphItem(x=np.arange(len(probs)), height=[p for _, p in probs], width=0.7,
                                              brush="#1f77b4"))
            self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
            self.plot.setLabel("left", "probability")
            self.plot.setLabel("bottom", "class")
        elif kind == "forecast":
            _, task, actual, predicted = result
            if task == "regression":  # independent samples: each prediction against its target, not a line
                low, high = (float(min(actual.min(), predicted.min())), float(max(actual.max(), predicted.max()))) \
                    if len(actual) else (0.0, 1.0)
                self.plot.plot([low, high], [low, high], pen=pg.mkPen("#7f7f7f", width=1, style=Qt.PenStyle.DashLine),
                               name="perfect")
                self.plot.plot(actual, predicted, pen=None, symbol="o", symbolSize=4, symbolPen=None,
                               symbolBrush="#d62728", name="prediction")
                self.plot.setLabel("left", "predicted (scaled)")
                self.plot.setLabel("bottom", "actual (scaled)")
            else:
                x = np.arange(len(actual))
                self.plot.plot(x, actual, pen=pg.mkPen("#7f7f7f", width=1.5), name="actual")
                self.plot.plot(x, predicted, pen=pg.mkPen("#d62728", width=1.5), name="forecast")
                self.plot.setLabel("left", "target (scaled)")
                self.plot.setLabel("bottom", "validation sample, in time order")
            mae = float(np.mean(np.abs(actual - predicted))) if len(actual) else float("nan")
            self.output.setPlainText(f"{len(actual)} validation samples · MAE {mae:.4g} (scaled)")
        self._say("")


def probability_lines(probs: list[tuple[str, float]], columns: int) -> list[str]:
    """One line per class: its name, its probability and a bar, all within ``columns`` characters where they can
    be (bars of 30 characters wrapped in a 260 px dock: the wrapped end showed as a stray block under the bar)."""
    name_width = min(max((len(name) for name, _ in probs), default=0), 14)
    bar_width = max(4, min(30, columns - name_width - 11))  # "  97.4%  " and a character to spare
    return [f"{name:>{name_width}}  {p:6.1%}  {'█' * int(round(p * bar_width))}" for name, p in probs]


def _predictor(run_dir) -> Predictor:
    """Runs in the loader's thread: importing torch there (if the background import has not yet) freezes nothing."""
    from engine.inference import Predictor

    return Predictor(run_dir)
