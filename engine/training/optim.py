"""Optimizers (SGD with momentum, Adam, AdamW, RMSprop) and learning-rate schedules from a TrainingConfig.

Schedules step once per epoch; reduce-on-plateau reads the monitored validation metric.
"""
from __future__ import annotations

import torch
from torch import nn

from .config import TrainingConfig


def make_optimizer(cfg: TrainingConfig, module: nn.Module) -> torch.optim.Optimizer:
    params = [p for p in module.parameters() if p.requires_grad]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.RMSprop(params, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay)


def make_scheduler(cfg: TrainingConfig, optimizer: torch.optim.Optimizer):
    if cfg.schedule == "step":
        return torch.optim.lr_scheduler.StepLR(optimizer, step_size=cfg.step_size, gamma=cfg.gamma)
    if cfg.schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs, eta_min=cfg.min_lr)
    if cfg.schedule == "plateau":
        from .config import higher_is_better

        mode = "max" if higher_is_better(cfg.monitor) else "min"
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode=mode, factor=cfg.gamma,
                                                          patience=cfg.plateau_patience, min_lr=cfg.min_lr)
    return None


def step_scheduler(scheduler, cfg: TrainingConfig, val: dict[str, float], monitor) -> None:
    if scheduler is None:
        return
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        if val:
            scheduler.step(monitor.value(val))
        return
    scheduler.step()
