"""The probe hook: per-block gradient norms every step, and the probe-batch probes on an adaptive schedule.

After each probe run the next one is placed so that probes take at most ``probe_budget`` of training time.
"""
from __future__ import annotations

import math
import time

from ..training.events import TimeGradProbe
from ..training.hooks import Hook
from .activations import PortTap, activation_ports
from .recorder import ProbeBatch, attention_blocks, recurrent_blocks, run_probes

BATCH_PROBES = ("gates", "attention", "time_grads", "activations")


class ProbeHook(Hook):
    def __init__(self, which: list[str], budget: float, probe_batch_size: int):
        self.which = {p for p in which if p in BATCH_PROBES}
        self.budget = budget
        self.batch_size = probe_batch_size
        self.batch: ProbeBatch | None = None
        self.next_step = 1
        self.probe_seconds = 0.0
        self.runs = 0
        self._train_seconds = 0.0
        self._last = None
        self.taps: list[PortTap] = []  # the wired output ports the activations probe summarises

    def on_run_start(self, trainer) -> None:
        inner = trainer.inner_module
        if not recurrent_blocks(inner) and not attention_blocks(inner):
            self.which &= {"activations"}  # every model has wires; gates, attention and time grads need blocks
        if "activations" in self.which:
            compiled = trainer.compiled
            self.taps = activation_ports(trainer.document.graph, compiled.report) if compiled is not None else []
            if not self.taps:
                self.which.discard("activations")
        if self.which and trainer.is_main:
            self.batch = trainer.probe_batch(self.batch_size)
        self._last = time.perf_counter()

    def on_step_end(self, trainer, metrics) -> None:
        now = time.perf_counter()
        self._train_seconds += now - self._last
        self._last = now
        if self.batch is None or trainer.global_step < self.next_step:
            return
        started = time.perf_counter()
        heads = getattr(getattr(trainer, "compiled", None), "heads", None)
        events = run_probes(trainer.inner_module, self.batch, trainer.probe_loss, trainer.global_step, self.which,
                            heads, self.taps)
        chunk = getattr(getattr(trainer, "config", None), "tbptt", 0)
        for event in events:
            if chunk and isinstance(event, TimeGradProbe):
                # the probe's backward runs through whole sequences; training cuts it at these steps
                event.cuts = list(range(chunk, len(event.norms), chunk))
            trainer.emit(event)
        spent = time.perf_counter() - started
        self.probe_seconds += spent
        self.runs += 1
        step_time = self._train_seconds / max(trainer.global_step, 1)
        # Probes every k steps cost spent / (k * step_time) of the training time: choose k for the budget.
        gap = max(1, math.ceil(spent / max(self.budget * step_time, 1e-9)))
        self.next_step = trainer.global_step + gap
        self._last = time.perf_counter()
