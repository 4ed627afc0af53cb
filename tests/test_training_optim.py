"""Optimizers, clipping and learning-rate schedules do what their settings say."""
import math

import pytest
import torch

from engine.training import Hook, StepMetrics, Trainer, TrainingConfig
from test_training_loop import adding_doc
from test_training_support import adding_data, one_torch_thread  # noqa: F401


class WeightDelta(Hook):
    """Records the parameter change of the first step and its StepMetrics."""

    def on_run_start(self, trainer):
        self.before = [p.detach().clone() for p in trainer.inner_module.parameters()]

    def on_step_end(self, trainer, metrics: StepMetrics):
        if trainer.global_step == 1:
            after = list(trainer.inner_module.parameters())
            self.deltas = [(a.detach() - b) for a, b in zip(after, self.before)]
            self.metrics = metrics


def _first_step(tmp_path, **config):
    hook = WeightDelta()
    trainer = Trainer(adding_doc(), TrainingConfig(**{"epochs": 1, "batch_size": 32, "probes": [], **config}),
                      run_root=tmp_path, data=adding_data(n=128))
    trainer.add_hook(hook)
    assert trainer.run().status == "completed"
    return hook


def test_clip_by_norm_scales_the_whole_gradient_to_the_limit(tmp_path):
    hook = _first_step(tmp_path, optimizer="sgd", momentum=0.0, lr=1.0, clip="norm", clip_value=1e-3)
    step = math.sqrt(sum(d.pow(2).sum().item() for d in hook.deltas))
    assert hook.metrics.clip and hook.metrics.grad_norm > 1e-3
    assert step == pytest.approx(1e-3, rel=1e-3)  # SGD, lr 1: the update is the clipped gradient


def test_clip_by_value_bounds_every_component(tmp_path):
    hook = _first_step(tmp_path, optimizer="sgd", momentum=0.0, lr=1.0, clip="value", clip_value=1e-4)
    assert hook.metrics.clip
    assert max(d.abs().max().item() for d in hook.deltas) == pytest.approx(1e-4, rel=1e-4)


def test_no_clipping_leaves_the_gradient_alone(tmp_path):
    hook = _first_step(tmp_path, optimizer="sgd", momentum=0.0, lr=1.0, clip="none")
    step = math.sqrt(sum(d.pow(2).sum().item() for d in hook.deltas))
    assert not hook.metrics.clip and step == pytest.approx(hook.metrics.grad_norm, rel=1e-4)


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw", "rmsprop"])
def test_every_optimizer_lowers_the_loss(optimizer, tmp_path):
    lr = {"sgd": 0.05, "adam": 0.01, "adamw": 0.01, "rmsprop": 0.003}[optimizer]
    config = TrainingConfig(epochs=3, batch_size=32, optimizer=optimizer, lr=lr, weight_decay=1e-4, probes=[])
    result = Trainer(adding_doc(), config, run_root=tmp_path, data=adding_data(n=192)).run()
    assert result.status == "completed"
    assert result.epochs[-1].train["loss"] < result.epochs[0].train["loss"]


def test_cosine_schedule_reaches_its_floor_and_plateau_decays_when_flat(tmp_path):
    data = adding_data(n=96, n_val=32, n_test=32)
    cosine = Trainer(adding_doc(), TrainingConfig(epochs=4, lr=0.01, schedule="cosine", min_lr=0.001, probes=[]),
                     run_root=tmp_path, data=data).run()
    lrs = [e.lr for e in cosine.epochs]
    assert lrs[-1] == pytest.approx(0.001) and lrs == sorted(lrs, reverse=True)
    flat = Trainer(adding_doc(), TrainingConfig(epochs=4, optimizer="sgd", momentum=0.0, lr=1e-30, schedule="plateau",
                                                plateau_patience=0, gamma=0.5, probes=[]),
                   run_root=tmp_path, data=data).run()
    assert [e.lr for e in flat.epochs] == pytest.approx([1e-30, 5e-31, 2.5e-31, 1.25e-31])
