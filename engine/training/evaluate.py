"""Evaluation of a split with the trainer's model: metrics averaged over every sample (or real step).

Each process evaluates the whole split itself, so no collective is needed and all agree.
"""
from __future__ import annotations

import torch

from ..losses import MetricTracker


@torch.no_grad()
def evaluate_split(session, split: str) -> dict[str, float]:
    """Metrics of ``split`` with the session's compiled module (a Trainer works too: it reads its session)."""
    module = session.inner_module
    was_training = module.training
    module.eval()
    tracker = MetricTracker(session.compiled.heads)
    try:
        loader = session.data.loader(split, session.config.batch_size, shuffle=False, seed=session.config.seed)
        for batch in loader:
            batch = batch.to(session.device)
            with session.steps.autocast():
                outputs = session.steps.forward(module, batch)
                _, results = session.steps.loss(outputs, batch)
            tracker.add(results)
    finally:
        module.train(was_training)
    return tracker.values()
