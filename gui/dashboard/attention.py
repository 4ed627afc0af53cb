"""The Attention tab: an attention block's weights on the probe sample, labelled with that sample's tokens.

Cross- and self-attention draw a [query × key] heatmap whose rows are the query's tokens (the decoder's input,
or the sequence itself) and whose columns are the keys' (the encoder's input); attention pooling draws a bar
per token. Above the plot: the sample's text, its target and the model's answer; hovering names the cell.
Numeric inputs are labelled by step number.
"""
from __future__ import annotations

import html
import math

import numpy as np
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QLabel

from ..plotting import color, no_si_prefix, set_text
from ..theme import pg, plot_colors
from .hidden import run_meta, texts_of
from .plots import Heatmap, PlotPanel
from ..wrapping_label import WrappingLabel

WRONG = "#d62728"  # a wrongly predicted step: readable on the light and the dark background
MAX_LABEL = 12  # characters of a token label on an axis (longer ones are cut with an ellipsis)


def shown_token(text: str) -> str:
    """A token as an axis label: whitespace made visible, long words cut."""
    text = text.replace(" ", "␣").replace("\n", "↵").replace("\t", "⇥") or "∅"
    return text if len(text) <= MAX_LABEL else text[:MAX_LABEL - 1] + "…"


class TokenAxis(pg.AxisItem):
    """An axis over cells 0..n-1 (cell i spans [i, i+1]) labelled with each cell's text. It shows every k-th
    label, k chosen from the axis's pixel size, the zoom and the labels' width, so that none overlap however
    the panel is sized or zoomed (at 1280x720 a 30-character string keeps every label)."""

    def __init__(self, orientation: str):
        super().__init__(orientation)
        self.labels: list[str] = []
        self.every = 1  # the label step of the last layout (tests read it)

    def set_labels(self, labels: list[str]) -> None:
        if labels != self.labels:
            self.labels = list(labels)
            self.picture = None
            self.update()

    def _label_size(self, labels: list[str]) -> float:
        metrics = QFontMetricsF(self.style["tickFont"] or QFont())
        if self.orientation in ("left", "right"):
            return metrics.height() + 2
        return max((metrics.horizontalAdvance(text) for text in labels), default=0.0) + 8

    def tickValues(self, minVal, maxVal, size):  # noqa: N802,N803 - pyqtgraph's names
        n = len(self.labels)
        minVal, maxVal = min(minVal, maxVal), max(minVal, maxVal)  # an inverted axis (rows top down): reversed
        if not n or not math.isfinite(minVal) or not math.isfinite(maxVal) or maxVal <= minVal:
            return []
        first, last = max(0, math.floor(minVal)), min(n - 1, math.ceil(maxVal))
        if first > last:
            return []
        pixels_per_cell = size / (maxVal - minVal) if size > 0 else 0.0
        need = self._label_size(self.labels[first:last + 1])
        self.every = max(1, math.ceil(need / pixels_per_cell)) if pixels_per_cell > 0 else max(1, n // 10)
        return [(float(self.every), [i + 0.5 for i in range(first, last + 1)
                                     if i % self.every == 0 and minVal <= i + 0.5 <= maxVal])]

    def tickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        return [self.labels[int(v)] if 0 <= int(v) < len(self.labels) else "" for v in values]


def joined(texts: list[str], meta: dict, input_name: str | None) -> str:
    """A token list as the text it came from: characters run together, words spaced; a special token such as
    <bos> stands as itself."""
    tokenizer = ((meta.get("tokenization") or {}).get(input_name) or {}).get("tokenizer")
    specials = set(((meta.get("special_tokens") or {}).get(input_name) or {}))
    plain = [t for t in texts if t not in specials]
    if tokenizer == "word" or (tokenizer != "char" and any(len(t) > 1 for t in plain)):
        return " ".join(texts)
    return "".join(texts)


def _top(weights: np.ndarray) -> float:
    """The colour scale's (or bar axis's) top: the largest finite weight (a diverged run has NaNs)."""
    finite = weights[np.isfinite(weights)]
    return float(max(finite.max(), 1e-6)) if finite.size else 1.0


def _cells(texts: list[str] | None, length: int) -> list[str]:
    """Axis labels for ``length`` steps: the tokens, or the step numbers of a numeric input."""
    if texts is None:
        return [str(i + 1) for i in range(length)]
    return [shown_token(t) for t in texts[:length]] + [str(i + 1) for i in range(len(texts), length)]


class AttentionPanel(PlotPanel):
    csv_name = "attention"

    def __init__(self, parent=None):
        super().__init__("Attention weights", parent)
        self.block = self.add_combo("Attention block")
        self.sample = WrappingLabel()
        self.sample.setToolTip("The probe sample (the first of the validation split): its text, its target and the "
                               "model's answer in the probe's forward pass (an encoder–decoder reads the true "
                               "previous token there: teacher-forced)")
        self.readout = QLabel()
        self.readout.setToolTip("Hover over a cell or bar: the query and key it joins and its weight")
        self.layout().insertWidget(1, self.sample)
        self.layout().insertWidget(2, self.readout)
        lay = self.layout_widget.ci
        self.heat = Heatmap(lay, 0, 0, "query", "key (attended to)", "attention weight", cmap="inferno")
        self.query_axis, self.key_axis = TokenAxis("left"), TokenAxis("bottom")
        self.heat.plot.setAxisItems({"left": self.query_axis, "bottom": self.key_axis})
        self.bars = pg.PlotItem(axisItems={"bottom": TokenAxis("bottom")})
        self.bars.setLabel("left", "attention weight")
        no_si_prefix(self.bars)
        self.bars.showGrid(y=True, alpha=0.2)
        self.bar_item = pg.BarGraphItem(x=[], height=[], width=0.8, brush=color(0), pen=None)
        self.bars.addItem(self.bar_item)
        self.bar_axis: TokenAxis = self.bars.getAxis("bottom")
        self.shown: pg.PlotItem = self.heat.plot  # the plot in the layout now
        self.weights: np.ndarray | None = None  # what is drawn: [Tq, Tk] or [T] over real steps
        self.query_labels: list[str] = []
        self.key_labels: list[str] = []
        self._meta: dict = {}
        self.layout_widget.scene().sigMouseMoved.connect(self.hover)

    # ------------------------------------------------------------------ drawing
    def _show_plot(self, plot: pg.PlotItem) -> None:
        if plot is self.shown:
            return
        lay = self.layout_widget.ci
        lay.removeItem(self.shown)
        self.shown.setVisible(False)
        lay.addItem(plot, row=0, col=0)
        plot.setVisible(True)
        foreground = plot_colors().foreground  # the theme may have changed while it was out of the scene
        for name in ("left", "bottom"):
            plot.getAxis(name).setPen(foreground)
            plot.getAxis(name).setTextPen(foreground)
        self.shown = plot

    def draw(self, history):
        self.set_items(self.block, list(history.attention))
        probe = history.attention.get(self.block.currentText())
        self.readout.setText("")
        if probe is None:
            self.weights = None
            self._show_plot(self.heat.plot)
            self.sample.setText("")
            self.heat.show(None, empty=self.empty_text(history, history.attention, "no attention here: this model "
                                                       "has no attention block (or the attention probe is off)"))
            return
        weights = np.asarray(probe.weights, dtype=np.float32)
        key_texts = texts_of(history, getattr(probe, "key_input", None), getattr(probe, "key_tokens", None),
                             self._meta)
        if weights.ndim == 1:
            self._draw_pooling(probe, weights, key_texts)
        else:
            query_texts = texts_of(history, getattr(probe, "query_input", None),
                                   getattr(probe, "query_tokens", None), self._meta)
            self._draw_matrix(probe, weights, query_texts, key_texts)
        self.sample.setText(self.sample_html(history, probe, key_texts))

    def _draw_matrix(self, probe, weights, query_texts, key_texts) -> None:
        rows = getattr(probe, "query_length", None) or weights.shape[0]
        cols = getattr(probe, "key_length", None) or weights.shape[1]
        weights = weights[:rows, :cols]
        self.weights = weights
        self.query_labels, self.key_labels = _cells(query_texts, rows), _cells(key_texts, cols)
        self._show_plot(self.heat.plot)
        self.query_axis.set_labels(self.query_labels)
        self.key_axis.set_labels(self.key_labels)
        query = getattr(probe, "query_input", None)
        key = getattr(probe, "key_input", None)
        self.heat.plot.setLabel("left", f"query: {query}" if query else "query step")
        self.heat.plot.setLabel("bottom", f"key (attended to): {key}" if key else "key step (attended to)")
        set_text(self.heat.plot, title=f"{probe.block} · step {probe.step}")
        self.heat.show(weights, (0.0, _top(weights)))

    def _draw_pooling(self, probe, weights, key_texts) -> None:
        steps = getattr(probe, "key_length", None) or weights.shape[0]
        weights = weights[:steps]
        self.weights = weights
        self.query_labels, self.key_labels = [], _cells(key_texts, steps)
        self._show_plot(self.bars)
        self.bar_axis.set_labels(self.key_labels)
        key = getattr(probe, "key_input", None)
        self.bars.setLabel("bottom", f"{key}: one bar per step" if key else "step")
        set_text(self.bars, title=f"{probe.block} · attention pooling · step {probe.step}")
        self.bar_item.setOpts(x=np.arange(steps) + 0.5, height=np.nan_to_num(weights, nan=0.0, posinf=0.0, neginf=0.0),
                              width=0.8, brush=color(0))
        if self.following:
            self.bars.setRange(xRange=(0, max(steps, 1)), yRange=(0, _top(weights) * 1.05), padding=0)

    # ------------------------------------------------------------------ the sample
    def sample_html(self, history, probe, key_texts: list[str] | None) -> str:
        """The sample's text (each input once), its target and the model's answer, as rich text."""
        meta = run_meta(history, self._meta)
        parts = []
        inputs = [(getattr(probe, "key_input", None), key_texts)]
        query = getattr(probe, "query_input", None)
        target, prediction = getattr(probe, "target", None), getattr(probe, "prediction", None)
        # a decoder's input is its target shifted by <bos> (teacher forcing): shown as the target only
        if query and query != inputs[0][0] and not isinstance(target, list):
            inputs.append((query, texts_of(history, query, getattr(probe, "query_tokens", None), self._meta)))
        for name, texts in inputs:
            if name and texts is not None:
                parts.append(f"<b>{html.escape(name)}</b> {html.escape(joined(texts, meta, name))}")
        head = getattr(probe, "head", None)
        names = (meta.get("labels") or {}).get(head) or (meta.get("vocab") or {}).get(query or "")
        decode = lambda i: names[i] if names and 0 <= i < len(names) else str(i)  # noqa: E731
        if isinstance(target, list):
            texts = [decode(t) for t in target]
            parts.append(f"<b>target</b> {html.escape(joined(texts, meta, query))}")
            if isinstance(prediction, list):
                # a decoder reads the true previous token in the probe's forward pass
                forced = " (teacher-forced)" if query and query != inputs[0][0] else ""
                parts.append(f"<b>predicted</b>{forced} " + self._marked(prediction, target, decode, meta, query))
        elif isinstance(target, int):
            parts.append(f"<b>label</b> {html.escape(decode(target))}")
            if isinstance(prediction, int):
                verdict = "right" if prediction == target else f"<span style='color:{WRONG}'>wrong</span>"
                parts.append(f"<b>predicted</b> {html.escape(decode(prediction))} ({verdict})")
        return " · ".join(parts)

    @staticmethod
    def _marked(prediction, target, decode, meta, name) -> str:
        """The predicted sequence with each step that differs from the target in red."""
        texts = [decode(t) for t in prediction]
        spaced = joined(texts, meta, name) != "".join(texts)
        pieces = [html.escape(t) if i < len(target) and t == decode(target[i])
                  else f"<span style='color:{WRONG}'><b>{html.escape(t)}</b></span>" for i, t in enumerate(texts)]
        wrong = sum(p != t for p, t in zip(prediction, target))
        return (" " if spaced else "").join(pieces) + f" ({wrong} of {len(target)} steps wrong)"

    # ------------------------------------------------------------------ hover
    def describe(self, x: float, y: float) -> str:
        """What the cell (or bar) at view coordinates (x, y) joins and its weight; "" outside the data."""
        weights = self.weights
        if weights is None or not (math.isfinite(x) and math.isfinite(y)):
            return ""
        col = math.floor(x)
        if weights.ndim == 1:
            if 0 <= col < len(weights):
                return f"step {col + 1} “{self.key_labels[col]}”: weight {weights[col]:.4f}"
            return ""
        row = math.floor(y)
        if 0 <= row < weights.shape[0] and 0 <= col < weights.shape[1]:
            return (f"query {row + 1} “{self.query_labels[row]}” → key {col + 1} “{self.key_labels[col]}”: "
                    f"weight {weights[row, col]:.4f}")
        return ""

    def hover(self, scene_pos) -> None:
        box = self.shown.getViewBox()
        text = ""
        if box.sceneBoundingRect().contains(scene_pos):
            point = box.mapSceneToView(scene_pos)
            text = self.describe(point.x(), point.y())
        self.readout.setText(text)

    def csv_table(self, history):
        weights = self.weights
        if weights is None:
            return ["query"], []
        if weights.ndim == 1:
            return ["step", "token", "weight"], [[i + 1, self.key_labels[i], float(w)] for i, w in enumerate(weights)]
        return (["query"] + self.key_labels,
                [[self.query_labels[q]] + [float(v) for v in row] for q, row in enumerate(weights)])
