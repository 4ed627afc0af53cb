"""How long each bundled example trains on one CPU core: the figures of gui/lessons.py TRAIN_CPU.

Trains each example for one epoch in this process (one torch thread, its own data and settings) and reads the
process's CPU clock at the run's start, at the end of the first epoch and at the end (after the test
evaluation), so other jobs on a shared machine do not inflate the numbers the way they inflate wall time.
Prints one ``"name": (first run, one epoch, epochs),`` line per example, the epochs taken from EPOCHS (the run
each README result needed).

    PYTHONPATH=. python benchmarks/bench_lesson_times.py [NAME ...]
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import torch

from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from engine.training.events import EpochMetrics, EventStream, RunStarted

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# epochs each example runs to its README result (Training results table)
EPOCHS = {"adding_lstm": 25, "adding_rnn": 8, "digits": 30, "names": 12, "sentiment": 4, "forecast": 34,
          "seq2seq": 8, "charlm": 2, "adding_gru": 10, "adding_irnn": 12, "copy_rnn": 15, "copy_lstm": 15,
          "repeats_unidirectional": 12, "repeats_bidirectional": 12, "co2": 39, "co2_unscaled": 21,
          "exploding_unclipped": 1, "exploding_clipped": 10, "sentiment_overfit": 5, "sentiment_regularized": 5,
          "seq2seq_long_attention": 10, "seq2seq_long_plain": 10}


class _Clock(EventStream):
    """Notes the process CPU time when the run starts and when its first epoch ends."""

    def __init__(self):
        super().__init__()
        self.started = self.epoch_end = None

    def emit(self, event) -> None:
        if isinstance(event, RunStarted) and self.started is None:
            self.started = time.process_time()
        elif isinstance(event, EpochMetrics) and self.epoch_end is None:
            self.epoch_end = time.process_time()
        super().emit(event)
        self.drain()  # nobody consumes these here: keep the queue empty


def measure(name: str) -> tuple[float, float, int]:
    begin = time.process_time()
    document = load_document(EXAMPLES / f"{name}.json")
    config = TrainingConfig.from_dict(document.training).replace(epochs=1, device="cpu")
    clock = _Clock()
    with tempfile.TemporaryDirectory() as runs:
        Trainer(document, config, run_root=runs, events=clock).run()
    end = time.process_time()
    # a run that fails inside its first epoch (exploding_unclipped) is all "first run"
    epoch = (clock.epoch_end - clock.started) if clock.epoch_end is not None else end - begin
    return end - begin, epoch, EPOCHS[name]


def main(names: list[str]) -> None:
    torch.set_num_threads(1)
    for name in names or list(EPOCHS):
        first, epoch, epochs = measure(name)
        print(f'    "{name}": ({first:.2f}, {epoch:.2f}, {epochs}),', flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
