"""The try-it panel: the trained model of a run at work. Class probabilities for typed text or a validation
sample, text generation with a temperature for language models, and the forecast over the actual series.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyqtgraph as pg
import torch
from PySide6.QtWidgets import (QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QPlainTextEdit, QSpinBox,
                               QVBoxLayout, QWidget)

from ..plotting import no_si_prefix
from .background import BackgroundCall


class InferenceSession:
    """A run's model (best checkpoint, else last) with its data meta; Qt-free, used from a background thread."""

    def __init__(self, run_dir):
        from engine.compiler import compile_graph
        from engine.document import loads
        from engine.training.checkpoints import load_checkpoint

        self.run_dir = Path(run_dir)
        self.document = loads((self.run_dir / "document.json").read_text(encoding="utf-8"), where=str(self.run_dir))
        self.meta = json.loads((self.run_dir / "data_meta.json").read_text(encoding="utf-8"))
        self.compiled = compile_graph(self.document.graph)
        weights = self.run_dir / "checkpoints" / "best.safetensors"
        if not weights.exists():
            weights = self.run_dir / "checkpoints" / "last.safetensors"
        if not weights.exists():
            raise FileNotFoundError(f"{self.run_dir}: no checkpoint yet (a run writes one after its first epoch)")
        load_checkpoint(self.compiled.module, weights)
        self.compiled.module.eval()
        self.task = self.meta.get("task", "")
        self.input = self.compiled.inputs[0]
        self.head = self.compiled.heads[0]
        self.vocab = self.meta.get("vocab", {}).get(self.input.name) or []
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.labels = self.meta.get("labels", {}).get(self.head.name) or []
        self._data = None

    # ------------------------------------------------------------------ text
    @property
    def tokenizer(self) -> tuple[str, bool]:
        """How raw text became the input's ids in training: DataMeta.tokenization, else (older runs) guessed
        from the options and the vocabulary (single characters: a character tokenizer)."""
        given = self.meta.get("tokenization", {}).get(self.input.name)
        if given and given.get("tokenizer"):
            return given["tokenizer"], bool(given.get("lowercase"))
        options = self.meta.get("options", {})
        plain = [t for t in self.vocab if not (t.startswith("<") and t.endswith(">"))]
        name = options.get("tokenizer") or ("char" if plain and all(len(t) == 1 for t in plain) else "word")
        return name, bool(options.get("lowercase", name == "word"))

    def encode(self, text: str) -> list[int]:
        from engine.data.tokenizers import tokenizer

        name, lowercase = self.tokenizer
        unk = self.index.get("<unk>", 0)
        return [self.index.get(t, unk) for t in tokenizer(name)(text, lowercase)] or [unk]

    def _probabilities(self, output: torch.Tensor) -> torch.Tensor:
        """Heads return what the Dense before gives: probabilities after softmax/sigmoid, else logits."""
        graph = self.document.graph
        edge = graph.edge_into(self.head.node_id, graph.nodes[self.head.node_id].spec.inputs[0].name)
        activation = graph.nodes[edge.src].params.get("activation") if edge else None
        binary = output.shape[-1] == 1
        if activation in ("softmax", "sigmoid"):
            probs = output
        else:
            probs = torch.sigmoid(output) if binary else torch.softmax(output, -1)
        return torch.cat([1 - probs, probs], -1) if binary else probs

    @torch.no_grad()
    def classify_ids(self, ids: list[int]) -> list[tuple[str, float]]:
        x = torch.tensor([ids], dtype=torch.long)
        out = self.compiled.call({self.input.name: x}, {self.input.name: torch.tensor([len(ids)])})[0]
        probs = self._probabilities(out)[0].tolist()
        labels = self.labels if len(self.labels) == len(probs) else [str(i) for i in range(len(probs))]
        return sorted(zip(labels, probs), key=lambda p: -p[1])

    def classify_text(self, text: str) -> list[tuple[str, float]]:
        return self.classify_ids(self.encode(text))

    @torch.no_grad()
    def generate(self, prompt: str, temperature: float, length: int, seed: int = 0) -> str:
        generator = torch.Generator().manual_seed(seed)
        ids = self.encode(prompt)
        name, _ = self.tokenizer
        start = len(ids)
        for _ in range(length):
            x = torch.tensor([ids], dtype=torch.long)
            out = self.compiled.call({self.input.name: x}, {self.input.name: torch.tensor([len(ids)])})[0]
            probs = self._probabilities(out[:, -1])[0]
            logits = torch.log(probs.clamp_min(1e-12)) / max(temperature, 1e-3)
            logits[[i for i, t in enumerate(self.vocab) if t in ("<pad>", "<unk>")]] = -float("inf")
            ids.append(int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)))
        sep = "" if name == "char" else " "
        return prompt + sep + sep.join(self.vocab[i] for i in ids[start:])

    # ------------------------------------------------------------------ validation data
    def data(self):
        if self._data is None:
            from engine.data import prepare_data

            base = Path(self.document.path).parent if self.document.path else None
            self._data = prepare_data(self.document.data, self.compiled, base)
        return self._data

    def validation_sample(self, index: int) -> tuple[str, str, list[tuple[str, float]]]:
        split = self.data().val
        sample = split[index % len(split)]
        ids = [int(i) for i in torch.as_tensor(sample["inputs"][self.input.name]).flatten().tolist() if i != 0]
        name, _ = self.tokenizer
        text = ("" if name == "char" else " ").join(self.vocab[i] for i in ids if i < len(self.vocab))
        target = torch.as_tensor(sample["targets"][self.head.name])
        label = self.labels[int(target)] if self.labels and target.numel() == 1 else str(target.tolist())
        return text, label, self.classify_ids(ids)

    @torch.no_grad()
    def forecast(self, limit: int = 2000) -> tuple[np.ndarray, np.ndarray]:
        """(actual, predicted) first target value over the validation split, in split order."""
        actual, predicted = [], []
        for batch in self.data().loader("val", 256, shuffle=False):
            out = self.compiled.call(batch.inputs, batch.lengths)[0]
            actual.append(batch.targets[self.head.name].reshape(len(out), -1)[:, 0])
            predicted.append(out.reshape(len(out), -1)[:, 0])
            if sum(len(a) for a in actual) >= limit:
                break
        return torch.cat(actual).numpy(), torch.cat(predicted).numpy()


NO_MODEL = "Train a model (or open a run) to try it here."


class TryPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.session: InferenceSession | None = None
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
        self.text = QLineEdit()
        self.text.setPlaceholderText("type text to classify, or a prompt to continue")
        self.text.returnPressed.connect(self.run_text)
        self.run_button = QPushButton("Predict")
        self.run_button.clicked.connect(self.run_text)
        self.sample = QSpinBox()
        self.sample.setRange(0, 10**6)
        self.sample.setToolTip("Index of a validation sample")
        sample_button = QPushButton("Validation sample")
        sample_button.clicked.connect(self.run_sample)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.05, 5.0)
        self.temperature.setValue(0.8)
        self.temperature.setSingleStep(0.1)
        self.temperature.setToolTip("Sampling temperature: low = safe and repetitive, high = adventurous")
        self.length = QSpinBox()
        self.length.setRange(1, 1000)
        self.length.setValue(200)
        self.length.setToolTip("Tokens to generate")
        forecast_button = QPushButton("Forecast the validation series")
        forecast_button.clicked.connect(self.run_forecast)
        row1, row2 = QHBoxLayout(), QHBoxLayout()
        row1.addWidget(self.text, 1)
        row1.addWidget(self.run_button)
        for w in (QLabel("sample"), self.sample, sample_button, QLabel("temperature"), self.temperature,
                  QLabel("length"), self.length):
            row2.addWidget(w)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumHeight(120)
        self.plot_widget = pg.PlotWidget(background="w")
        self.plot = self.plot_widget.getPlotItem()
        no_si_prefix(self.plot)
        self.plot.addLegend(offset=(-5, 5))
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        for w in (self.title,):
            layout.addWidget(w)
        layout.addLayout(row1)
        layout.addLayout(row2)
        layout.addWidget(forecast_button)
        layout.addWidget(self.output)
        layout.addWidget(self.plot_widget, 1)
        layout.addWidget(self.message)

    def set_document(self, document) -> None:
        """Another document: nothing of the previous document's model stays (it is not this model)."""
        self.document = document
        self.session = None
        self._generation += 1  # a model still loading for the previous document is dropped when it arrives
        self.title.setText(NO_MODEL)
        self.run_button.setText("Predict")
        self.output.clear()
        self.plot.clear()
        self._say("")

    def set_run(self, run_dir) -> None:
        """Loads the run's model in the background (best checkpoint)."""
        self._say("loading the model…")
        generation = self._generation
        self.loader.call(lambda: (generation, InferenceSession(run_dir)))

    def _on_loaded(self, loaded) -> None:
        generation, session = loaded
        if generation != self._generation:
            return
        self.session = session
        self.title.setText(f"<b>{session.run_dir.parent.name}/{session.run_dir.name}</b> · task {session.task} · "
                           f"input '{session.input.name}' · head '{session.head.name}'")
        self.run_button.setText("Generate" if session.task == "language_model" else "Predict")
        self._say("")

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
        elif session.task == "classification":
            self.work.call(lambda: ("probs", text, None, session.classify_text(text)))
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
        self.work.call(lambda: ("forecast", *session.forecast()))

    def _on_result(self, result) -> None:
        kind = result[0]
        self.plot.clear()
        if kind == "text":
            self.output.setPlainText(result[1])
        elif kind == "probs":
            _, text, label, probs = result
            lines = ([f"text: {text}", f"true label: {label}"] if label is not None else [])
            lines += [f"{name:>14}  {p:6.1%}  {'█' * int(round(p * 30))}" for name, p in probs]
            self.output.setPlainText("\n".join(lines))
            names = [n for n, _ in probs]
            self.plot.addItem(pg.BarGraphItem(x=np.arange(len(probs)), height=[p for _, p in probs], width=0.7,
                                              brush="#1f77b4"))
            self.plot.getAxis("bottom").setTicks([list(enumerate(names))])
            self.plot.setLabel("left", "probability")
            self.plot.setLabel("bottom", "class")
        elif kind == "forecast":
            _, actual, predicted = result
            x = np.arange(len(actual))
            self.plot.plot(x, actual, pen=pg.mkPen("#7f7f7f", width=1.5), name="actual")
            self.plot.plot(x, predicted, pen=pg.mkPen("#d62728", width=1.5), name="forecast")
            self.plot.setLabel("left", "target (scaled)")
            self.plot.setLabel("bottom", "validation sample (time order for series)")
            mae = float(np.mean(np.abs(actual - predicted))) if len(actual) else float("nan")
            self.output.setPlainText(f"{len(actual)} validation samples · MAE {mae:.4g} (scaled)")
        self._say("")
