"""Simple baselines on the test split, fitted on the training split, so a run's numbers have a yardstick:
majority class, unigram perplexity, a constant (the mean for squared error, the median for absolute error: the
constant that does best on each), and (for forecasts) the last observed value.
"""
from __future__ import annotations

import math

import torch

from ..specs import TensorKind


def _mask(lengths, steps, device):
    return torch.arange(steps, device=device).unsqueeze(0) < lengths.to(device).unsqueeze(1)


def _token_targets(batch, head):
    y = batch.targets[head.name]
    if y.dim() == 2 and head.time_source:
        y = y[_mask(batch.lengths[head.time_source], y.shape[1], y.device) & (y != -100)]
    return y.reshape(-1).long()


@torch.no_grad()
def baselines(session) -> dict[str, dict[str, float]]:
    """{head: {baseline name: value}} for every head whose task has a simple baseline."""
    data, cfg = session.data, session.config
    out: dict[str, dict[str, float]] = {}
    for head in session.compiled.heads:
        train = list(data.loader("train", cfg.batch_size, shuffle=False, seed=cfg.seed))
        test = list(data.loader("test", cfg.batch_size, shuffle=False, seed=cfg.seed))
        if head.task == "regression":
            ys = torch.cat([b.targets[head.name].float().reshape(-1) for b in train])
            yt = torch.cat([b.targets[head.name].float().reshape(-1) for b in test])
            result = {"constant_mean_mse": float((yt - ys.mean()).pow(2).mean()),
                      "constant_median_mae": float((yt - ys.median()).abs().mean())}
            last = _last_value_errors(session, head, test)
            if last is not None:
                result["last_value_mse"] = float(last.pow(2).mean())
                result["last_value_mae"] = float(last.abs().mean())
            out[head.name] = result
            continue
        if head.task == "classification" and head.params.get("mode") == "binary":
            ys = torch.cat([b.targets[head.name].reshape(-1).long() for b in train])
            majority = int(ys.float().mean() >= 0.5)
            yt = torch.cat([b.targets[head.name].reshape(-1).long() for b in test])
            out[head.name] = {"majority_accuracy": float((yt == majority).float().mean())}
            continue
        ys = torch.cat([_token_targets(b, head) for b in train])
        counts = torch.bincount(ys, minlength=int(ys.max()) + 1).double()
        yt = torch.cat([_token_targets(b, head) for b in test])
        result = {"majority_accuracy": float((yt == counts.argmax()).float().mean())}
        if head.task == "language_model":
            size = max(len(counts), int(yt.max()) + 1)
            probs = torch.cat([counts, counts.new_zeros(size - len(counts))]) + 1.0  # add-one smoothing
            probs /= probs.sum()
            result["unigram_perplexity"] = math.exp(float(-probs[yt].log().mean()))
        out[head.name] = result
    return out


def _last_value_errors(session, head, test) -> torch.Tensor | None:
    """The persistence forecast's errors (prediction minus target, every value of the test split): the input's
    last real step, when it has the target's width."""
    inputs = session.compiled.inputs
    if len(inputs) != 1 or head.input_shape.kind is not TensorKind.VECTOR or inputs[0].kind is not TensorKind.SEQUENCE:
        return None
    if inputs[0].features != head.input_shape.features:
        return None
    errors = []
    for b in test:
        x, lengths = b.inputs[inputs[0].name].float(), b.lengths[inputs[0].name]
        last = x[torch.arange(x.shape[0]), (lengths - 1).clamp(min=0)]
        errors.append((last - b.targets[head.name].float().reshape(last.shape)).reshape(-1))
    return torch.cat(errors)
