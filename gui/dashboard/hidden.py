"""The Hidden state tab: [unit x time] of any recurrent block (the plain RNN included) on the probe sample,
with that sample's input along the time axis: its tokens as tick labels, or its values as a strip."""
from __future__ import annotations

import numpy as np

from engine.training.runs import Run, RunError

from ..plotting import set_text
from .plots import Heatmap, PlotPanel

MAX_TICKS = 60  # more token labels than this would overlap: every n-th is shown


def run_meta(history, cache: dict) -> dict:
    """The run's data meta (data_meta.json: vocabularies, special tokens, class names), read once per run into
    ``cache``; {} when the run has none (yet) or it cannot be read."""
    run_dir = history.run_dir or (history.started.run_dir if history.started is not None else None)
    key = ("meta", str(run_dir))
    if key not in cache:
        try:
            cache[key] = Run(run_dir).read_meta() if run_dir else {}
        except (RunError, OSError, ValueError):
            cache[key] = {}
    return cache[key] or {}


def texts_of(history, input_name: str | None, tokens: list[int] | None, cache: dict) -> list[str] | None:
    """Token ids of model input ``input_name`` as text, from the run's vocabulary; the ids themselves without
    one; None when there are no tokens (a numeric input)."""
    if tokens is None or input_name is None:
        return None
    vocab = (run_meta(history, cache).get("vocab") or {}).get(input_name)
    if not vocab:
        return [str(t) for t in tokens]
    return [vocab[t] if 0 <= t < len(vocab) else "?" for t in tokens]


def token_texts(history, probe, cache: dict) -> list[str] | None:
    """The probe sample's tokens as text, from the run's vocabulary (data_meta.json, read once per run into
    ``cache``); the ids themselves without one; None when the input is not tokens."""
    return texts_of(history, probe.input_name, probe.tokens, cache)


class HiddenStatePanel(PlotPanel):
    csv_name = "hidden_state"

    def __init__(self, parent=None):
        super().__init__("Hidden state", parent)
        self.block = self.add_combo("Recurrent block")
        lay = self.layout_widget.ci
        self.heat = Heatmap(lay, 0, 0, "hidden unit", "time step t (the input below)", "h_t", cmap="CET-D1")
        self.strip = Heatmap(lay, 1, 0, "input value", "time step t", "input")
        lay.layout.setRowStretchFactor(0, 5)
        lay.layout.setRowStretchFactor(1, 1)
        self.strip.plot.setXLink(self.heat.plot)
        self._vocab: dict = {}

    def draw(self, history):
        self.set_items(self.block, list(history.hidden))
        probe = history.hidden.get(self.block.currentText())
        if probe is None:
            self._show_strip(True)
            self.heat.show(None, empty=self.empty_text(history, history.hidden, "no hidden states: the model has no "
                                                       "recurrent block (or the gates probe is off)"))
            self.heat.plot.getAxis("bottom").setTicks(None)
            self.strip.show(None, empty="")
            return
        states = np.asarray(probe.states, dtype=np.float32)[:probe.length]
        set_text(self.heat.plot, title=f"{probe.block} · hidden state h_t · step {probe.step}")
        axis = self.heat.plot.getAxis("bottom")
        fresh = self.heat.matrix is None or self.heat.matrix.shape != states.T.shape  # a new picture: all steps
        texts = token_texts(history, probe, self._vocab)
        if texts is not None:
            # Tokens: they label the time axis of the states themselves; the strip of input values has nothing to
            # show and is put away (empty, its 0-1 square narrowed the linked heatmap to the first step).
            self._show_strip(False)
            set_text(self.heat.plot, "time step t (its input token)", side="bottom")
            texts = texts[:probe.length]
            every = max(1, len(texts) // MAX_TICKS + (len(texts) % MAX_TICKS > 0))
            axis.setTicks([[(i + 0.5, text) for i, text in enumerate(texts) if i % every == 0]])
            self.heat.show(states.T)
        else:
            # Numbers: a strip of the input's values under the states, step by step (none to show: put away too,
            # an empty strip's 0-1 square would narrow the states at every drawing).
            values = None if probe.values is None else np.asarray(probe.values, dtype=np.float32)[:probe.length]
            self._show_strip(values is not None)
            set_text(self.heat.plot, "time step t (the input below)" if values is not None else "time step t",
                     side="bottom")
            axis.setTicks(None)
            self.heat.show(states.T)
            if values is not None:
                self.strip.show(np.atleast_2d(values.T), empty="")
        if fresh:  # last: the strip's own first range reaches the states through the link
            self.heat.plot.setXRange(0, states.shape[0], padding=0)

    def _show_strip(self, shown: bool) -> None:
        """The input-value strip under the states, X-linked to them, or put away: out of Qt's grid (hidden there,
        it kept its row: the states did not get the room) and unlinked (its range still set the heatmap's)."""
        if self.strip.plot.isVisible() == shown:
            return
        grid = self.layout_widget.ci.layout
        if shown:
            grid.addItem(self.strip.plot, 1, 0)
            grid.setRowStretchFactor(1, 1)
            self.strip.plot.setXLink(self.heat.plot)
        else:
            self.strip.plot.setXLink(None)
            grid.removeItem(self.strip.plot)  # Qt's grid only: the plot stays in the scene, its axes as they are
        self.strip.plot.setVisible(shown)

    def csv_table(self, history):
        return self.heat.unit_table()
