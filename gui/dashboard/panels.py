"""The dashboard's plots: loss and metric, learning rate, gradient norms per block and per time step, gates,
LSTM cell state (attention: attention.py). Each panel draws one RunHistory; axes carry their units.
"""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox

from .history import RunHistory
from ..plotting import (color, drop_stale, finite, legend_entry, move_in_layout, new_plot, no_si_prefix,
                        place_legend_outside, positive, set_text, symbol_curve)
from ..theme import pg, plot_colors
from .attention import AttentionPanel  # noqa: F401 - moved; its old import path stays
from .plot_grid import one_row
from .plots import Heatmap, PlotPanel

STEP_AXIS = "training step (batches)"
SIGMOID_GATES = {"input", "forget", "output", "reset", "update"}


class CurvePanel(PlotPanel):
    """Loss (or a chosen metric): train per step raw and smoothed, train and validation per epoch."""

    def __init__(self, metric_choice: bool = False, parent=None):
        super().__init__("Metric" if metric_choice else "Loss", parent)
        self.csv_name = "metric" if metric_choice else "loss"
        self.metric_combo = self.add_combo("Which metric to plot") if metric_choice else None
        self.plot = new_plot("loss" if not metric_choice else "metric", STEP_AXIS)
        self.layout_widget.addItem(self.plot)
        self.track(self.plot)
        self.raw = self.plot.plot(name="train (per step)", pen=pg.mkPen("#9ecae1", width=1))
        self.smooth = self.plot.plot(name="train (smoothed)", pen=pg.mkPen("#1f77b4", width=2))
        self.train_epoch = symbol_curve(self.plot, name="train (epoch)", pen=pg.mkPen("#2ca02c", width=1.5),
                                        symbol="s", symbolSize=6, symbolBrush="#2ca02c")
        self.val = symbol_curve(self.plot, name="validation (epoch)", pen=pg.mkPen("#ff7f0e", width=2),
                                symbol="o", symbolSize=7, symbolBrush="#ff7f0e")
        self.log_box = QCheckBox("log")
        self.log_box.setToolTip("A logarithmic axis: a loss that goes on falling by factors (0.1, 0.01, 0.001) "
                                "after its first drop stays visible; values of 0 or less are left out")
        self.log_box.toggled.connect(self._set_log)
        self.controls.addWidget(self.log_box)

    def _set_log(self, on: bool) -> None:
        self.plot.setLogMode(y=on)
        self.plot._followed = None  # the range is in other units now
        self.refresh(force=True)

    def name(self, history: RunHistory) -> str:
        if self.metric_combo is None:
            return "loss"
        self.set_items(self.metric_combo, history.metric_names)
        return self.metric_combo.currentText()

    def draw(self, history: RunHistory) -> None:
        name = self.name(history)
        if not name:
            for curve in (self.raw, self.smooth, self.train_epoch, self.val):
                curve.setData([], [])
            return
        set_text(self.plot, name)
        log = self.log_box.isChecked()
        shown = positive if log else finite  # a log axis has no place for 0 or less
        steps = history.array(history.steps)
        raw = history.array(history.loss if name == "loss" else history.step_metrics.get(name, []))
        self.raw.setData(*shown(steps, raw))
        self.smooth.setData(*shown(steps, history.array(history.smoothed.get(name, []))))
        train_x, train_y = history.epoch_series("train", name)
        val_x, val_y = history.epoch_series("val", name)
        self.train_epoch.setData(*shown(train_x, train_y))
        self.val.setData(*shown(val_x, val_y))
        self.follow(self.plot, steps if len(steps) else [1], np.concatenate([raw, train_y, val_y]), log_y=log)

    def csv_table(self, history):
        return history.table("steps") if self.metric_combo is None else history.table("epochs")


class LearningRatePanel(PlotPanel):
    csv_name = "learning_rate"

    def __init__(self, parent=None):
        super().__init__("Learning rate", parent)
        self.plot = new_plot("learning rate", STEP_AXIS)
        self.plot.legend.setVisible(False)
        self.plot.hideAxis("right")  # one curve, no legend: the room kept for one goes to the data
        self.layout_widget.addItem(self.plot)
        self.track(self.plot)
        self.curve = self.plot.plot(pen=pg.mkPen("#9467bd", width=2))

    def draw(self, history):
        steps, lr = history.array(history.steps), history.array(history.lr)
        self.curve.setData(steps, lr)
        self.follow(self.plot, steps, lr)

    def csv_table(self, history):
        return ["step", "lr"], [[s, lr] for s, lr in zip(history.steps, history.lr)]


class GradNormPanel(PlotPanel):
    """Gradient norm of each block (before clipping) on a log axis, the global norm and the clip threshold."""

    csv_name = "gradient_norms"

    def __init__(self, parent=None):
        super().__init__("Gradient norm per block", parent)
        self.plot = new_plot("gradient L2 norm (log)", STEP_AXIS, log_y=True)
        self.layout_widget.addItem(self.plot)
        self.track(self.plot)
        self.global_curve = self.plot.plot(name="global", pen=pg.mkPen(plot_colors().foreground, width=2.5))
        clip_pen = pg.mkPen("#d62728", width=1.5, style=Qt.PenStyle.DashLine)
        self.clip_line = pg.InfiniteLine(angle=0, pen=clip_pen)
        self.plot.addItem(self.clip_line)
        # The line is named in the legend: a label on it sat over the norms, red on orange, unreadable.
        self.clip_key = pg.PlotDataItem(pen=clip_pen)
        self.curves: dict[str, pg.PlotDataItem] = {}
        self.highlight: str | None = None
        # Every step where clipping changed the gradients, on the global norm (the exploding-gradient lesson).
        self.clipped_marks = symbol_curve(self.plot, pen=None, symbol="t", symbolSize=7, symbolBrush="#d62728",
                                          symbolPen=None)  # in the legend only while there are marks

    def draw(self, history):
        steps = history.array(history.steps)
        foreground = plot_colors().foreground  # the global norm in the text colour: black on white, light on dark
        if self.global_curve.opts["pen"].color().name() != foreground:
            self.global_curve.setPen(pg.mkPen(foreground, width=2.5))
        self.global_curve.setData(*positive(steps, history.array(history.grad_norm)))
        clipped = np.asarray(history.clipped[:len(steps)], dtype=bool)
        norms = history.array(history.grad_norm)[:len(clipped)]
        self.clipped_marks.setData(*positive(steps[:len(clipped)][clipped], norms[clipped]))
        legend_entry(self.plot, self.clipped_marks, "clipped" if clipped.any() else None)
        drop_stale(self.plot, self.curves, history.block_norms)
        for i, (block, series) in enumerate(history.block_norms.items()):
            curve = self.curves.get(block)
            if curve is None:
                curve = self.curves[block] = self.plot.plot(name=block)
            width = 3 if block == self.highlight else 1.2
            curve.setPen(pg.mkPen(color(i), width=width))
            curve.setData(*positive(steps[:len(series)], history.array(series)))
        clip = history.clip_value
        self.clip_line.setVisible(clip is not None)
        if clip is not None:
            self.clip_line.setPos(np.log10(clip))  # the axis is log10: lines live in view coordinates
        legend_entry(self.plot, self.clip_key, f"clip threshold ({clip:g})" if clip is not None else None)
        values = [history.array(history.grad_norm)] + [history.array(v) for v in history.block_norms.values()]
        self.follow(self.plot, steps, np.concatenate(values + [np.asarray([clip] if clip else [], dtype=float)]),
                    log_y=True)

    def csv_table(self, history):
        return history.table("grad_norms")


class TimeGradPanel(PlotPanel):
    """||dL/dh_t|| over time steps for each recurrent block: flat for an LSTM, vanishing towards t=1 for an RNN."""

    csv_name = "gradient_per_time_step"

    def __init__(self, parent=None):
        super().__init__("Gradient norm per time step", parent)
        self.plot = new_plot("‖∂loss/∂h_t‖ (log)", "time step t", log_y=True)
        self.plot.legend.setOffset((-5, -5))  # bottom right: the curves rise towards the last steps
        self.layout_widget.addItem(self.plot)
        self.track(self.plot)
        self.curves: dict[tuple[str, str], pg.PlotDataItem] = {}

    def draw(self, history):
        events = list(history.time_grads.values()) + list(history.first_time_grads.values())
        if events:
            self.follow(self.plot, [1, max(len(e.norms) for e in events)],
                        np.concatenate([np.asarray(e.norms, dtype=float) for e in events]), log_y=True, x0=1,
                        exact_x=True)
        drop_stale(self.plot, self.curves, {(block, which) for block in history.time_grads
                                            for which in ("first", "latest")})
        for i, (block, latest) in enumerate(history.time_grads.items()):
            first = history.first_time_grads.get(block)
            for which, event, style in (("first", first, Qt.PenStyle.DashLine), ("latest", latest, Qt.PenStyle.SolidLine)):
                if event is None or (which == "first" and event is latest):
                    continue
                key = (block, which)
                curve = self.curves.get(key)
                label = f"{block} ({'step ' + str(event.step) if which == 'first' else 'latest'})"
                if curve is None:
                    curve = self.curves[key] = self.plot.plot(name=label)
                curve.setPen(pg.mkPen(color(i), width=1.2 if which == "first" else 2.2, style=style))
                curve.setData(*positive(np.arange(1, len(event.norms) + 1), event.norms))
        self._draw_cuts(sorted({c for e in history.time_grads.values() for c in (getattr(e, "cuts", None) or [])}))

    def _draw_cuts(self, cuts: list[int]) -> None:
        """Truncated BPTT: a line where each chunk starts — the gradient cannot flow back across it. ``cuts``
        are 0-based step indices (the chunk's first step); the plot counts steps from t = 1."""
        if cuts == getattr(self, "_cuts", []):
            return
        for line in getattr(self, "cut_lines", []):
            self.plot.removeItem(line)
        self._cuts, self.cut_lines = cuts, []
        pen = pg.mkPen("#d62728", width=1, style=Qt.PenStyle.DotLine)
        for k, step in enumerate(cuts):
            line = pg.InfiniteLine(pos=step + 0.5, angle=90, pen=pen,  # between t = step and step + 1
                                   label="TBPTT cut" if k == 0 else None,
                                   labelOpts={"position": 0.9, "color": "#d62728"})
            self.plot.addItem(line)
            self.cut_lines.append(line)

    def csv_table(self, history):
        blocks = list(history.time_grads)
        length = max((len(history.time_grads[b].norms) for b in blocks), default=0)
        header = ["t"] + [f"{b}@step{history.time_grads[b].step}" for b in blocks]
        rows = [[t + 1] + [float(history.time_grads[b].norms[t]) if t < len(history.time_grads[b].norms) else ""
                           for b in blocks] for t in range(length)]
        return header, rows


class GatePanel(PlotPanel):
    """A [time x unit] heatmap of one gate of one recurrent block, the LSTM cell state, and gate means."""

    csv_name = "gates"

    def __init__(self, parent=None):
        super().__init__("Gates", parent)
        self.block = self.add_combo("Recurrent block")
        self.layer = self.add_combo("Layer and direction")
        self.gate = self.add_combo("Gate")
        lay = self.layout_widget.ci
        self.heat = Heatmap(lay, 0, 0, "hidden unit", "time step t", "gate activation")
        self.cell = Heatmap(lay, 0, 1, "hidden unit", "time step t", "cell state c_t", cmap="CET-D1")
        self.means = lay.addPlot(row=1, col=0, colspan=2)
        self.wide: bool | None = None
        self._arrange(False)
        self.means.setLabel("left", "mean activation")
        self.means.setLabel("bottom", STEP_AXIS)
        no_si_prefix(self.means)
        self.means.showGrid(x=True, y=True, alpha=0.2)
        self.means.setTitle("gate means over training (probe batch, real steps)", size="9pt")
        legend = self.means.addLegend(offset=None, labelTextSize="8pt", brush=pg.mkBrush(*plot_colors().legend))
        place_legend_outside(self.means, legend)  # beside: a sigmoid gate's mean sits near 0.5, where one inside did
        self.mean_curves: dict[str, pg.PlotDataItem] = {}
        self.track(self.means)

    def _arrange(self, wide: bool) -> None:
        """The means under the two heatmaps, or beside them in a wide, short strip (as gui.dashboard.plot_grid
        does for a tab's plots: two rows there left the heatmaps a few pixels high)."""
        if wide == self.wide:
            return
        self.wide = wide
        grid = self.layout_widget.ci.layout
        if wide:
            move_in_layout(self.layout_widget, self.means, 0, 2)
            grid.setRowStretchFactor(1, 0)
        else:
            move_in_layout(self.layout_widget, self.means, 1, 0, 1, 2)
            grid.setRowStretchFactor(0, 3)  # the heatmaps get the room; the means are one line each
            grid.setRowStretchFactor(1, 2)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(one_row(self.width(), self.height(), self.wide))

    def current(self, history: RunHistory):
        self.set_items(self.block, list(history.gates))
        hist = history.gates.get(self.block.currentText())
        if hist is None:
            return None, None
        keys = sorted(hist.latest)
        self.set_items(self.layer, [f"layer {layer + 1} {direction}" for layer, direction in keys])
        key = keys[max(self.layer.currentIndex(), 0)] if keys else None
        probe = hist.latest.get(key) if key else None
        if probe is not None:
            self.set_items(self.gate, list(probe.gates))
        return hist, probe

    def draw(self, history):
        hist, probe = self.current(history)
        gate = self.gate.currentText()
        if probe is None or gate not in probe.gates:
            empty = self.empty_text(history, history.gates, "no gates: the model has no LSTM or GRU block (or the "
                                                            "gates probe is off)")
            self.heat.show(None, empty=empty)
            set_text(self.cell.plot, title="LSTM cell state")
            self.cell.show(None, empty=empty)
        else:
            levels = (0.0, 1.0) if gate in SIGMOID_GATES else (-1.0, 1.0)
            self.heat.set_value_label(f"{gate} gate activation")
            set_text(self.heat.plot, title=f"{probe.block} · {gate} gate · step {probe.step}")
            self.heat.show(np.asarray(probe.gates[gate]).T, levels)
            set_text(self.cell.plot, title="LSTM cell state" if probe.cell_state is not None else
                     "no cell state (only LSTMs have one)")
            # A GRU's probe has come and will never bring a cell state: the square says so, it waits for nothing.
            self.cell.show(None if probe.cell_state is None else np.asarray(probe.cell_state).T,
                           empty=f"does not apply: {probe.block} is not an LSTM")
        # The run on display's gates only: another model's (another document's, an earlier run's) curves and their
        # legend entries go (hidden, they stayed listed, with broken icons, above the new model's gates).
        drop_stale(self.means, self.mean_curves, hist.means if hist else {})
        for i, (name, values) in enumerate((hist.means if hist else {}).items()):
            curve = self.mean_curves.get(name)
            if curve is None:
                curve = self.mean_curves[name] = symbol_curve(self.means, name=name, pen=pg.mkPen(color(i), width=2),
                                                              symbol="o", symbolSize=4, symbolBrush=color(i))
            curve.setData(hist.mean_steps[:len(values)], values)
        if hist and hist.means:
            self.follow(self.means, hist.mean_steps, np.concatenate([np.asarray(v, dtype=float) for v in hist.means.values()]))

    def csv_table(self, history):
        return self.heat.unit_table()
