"""The QThread bridge on its own: events arrive as signals in order, failures of any kind arrive as messages
(out of memory, an error the trainer does not handle), and a second run cannot start over the first.
"""
from __future__ import annotations

from engine.training import EpochMetrics, Hook, RunFinished, RunStarted, StepMetrics, TrainingConfig
from gui.training import TrainingWorker
from test_gui_dash_support import small_example


class RaiseAt(Hook):
    def __init__(self, error):
        self.error = error

    def on_step_end(self, trainer, metrics):
        raise self.error


def run(qtbot, tmp_path, hooks=(), **config):
    worker = TrainingWorker()
    received = []
    worker.eventsReady.connect(received.extend)
    document = small_example("adding_lstm", tmp_path, samples=128, length=10)
    settings = TrainingConfig(**{"epochs": 1, "batch_size": 32, "max_steps_per_epoch": 2, **config})
    with qtbot.waitSignal(worker.runFinished, timeout=60000) as finished:
        assert worker.start(document, settings, hooks=hooks)
    worker.wait()
    return worker, received, finished.args[0]


def test_events_arrive_in_order_and_the_thread_ends(qtbot, tmp_path):
    worker, received, finished = run(qtbot, tmp_path)
    kinds = [type(e) for e in received]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert kinds.count(StepMetrics) == 2 and kinds.count(EpochMetrics) == 1
    assert finished.status == "completed" and worker.state == "idle" and not worker.is_running


def test_out_of_memory_ends_the_run_with_advice(qtbot, tmp_path):
    _, _, finished = run(qtbot, tmp_path, hooks=[RaiseAt(RuntimeError("CUDA out of memory. Tried to allocate"))])
    assert finished.status == "failed" and "out of memory" in finished.message
    assert "lower the batch size" in finished.message


def test_an_error_the_trainer_does_not_catch_still_arrives_as_a_message(qtbot, tmp_path):
    _, received, finished = run(qtbot, tmp_path, hooks=[RaiseAt(KeyboardInterrupt("interrupted"))])
    assert finished.status == "failed" and "KeyboardInterrupt: interrupted" in finished.message
    assert isinstance(received[-1], RunFinished)


def test_a_second_start_during_a_run_is_refused(qtbot, tmp_path):
    worker = TrainingWorker()
    document = small_example("adding_lstm", tmp_path, samples=128, length=10)
    messages = []
    worker.failed.connect(messages.append)
    worker.start(document, TrainingConfig(epochs=50, batch_size=8))
    assert worker.start(document) is False and "already in progress" in messages[0]
    worker.stop()
    assert worker.wait(60000) and worker.state == "idle"


def test_the_run_keeps_a_core_for_the_window_and_gives_it_back(qtbot, tmp_path):
    import os

    import torch

    seen = []

    class Threads(Hook):
        def on_run_start(self, trainer):
            seen.append(torch.get_num_threads())

    before = torch.get_num_threads()
    run(qtbot, tmp_path, hooks=[Threads()])
    assert seen == [max(1, (os.cpu_count() or 2) - 1)] and torch.get_num_threads() == before
