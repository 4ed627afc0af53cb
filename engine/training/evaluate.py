"""Evaluation of a split with the trainer's model: metrics averaged over every sample (or real step).

Each process evaluates the whole split itself, so no collective is needed and all agree.
"""
from __future__ import annotations

import torch

from ..losses import MetricTracker


@torch.no_grad()
def evaluate_split(session, split: str) -> dict[str, float]:
    """Metrics of ``split`` with the session's compiled module (a Trainer works too: it reads its session)."""
    trainer = session
    module = trainer.inner_module
    was_training = module.training
    module.eval()
    tracker = MetricTracker(trainer.compiled.heads)
    try:
        loader = trainer.data.loader(split, trainer.config.batch_size, shuffle=False, seed=trainer.config.seed)
        for batch in loader:
            batch = batch.to(trainer.device)
            with trainer.steps.autocast():
                outputs = trainer.steps.forward(module, batch)
                _, results = trainer.steps.loss(outputs, batch)
            tracker.add(results)
    finally:
        module.train(was_training)
    return tracker.values()
