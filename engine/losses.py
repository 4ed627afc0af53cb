"""Head losses and metrics, one rule per head task (classification, regression, labelling, language model).

Heads return what they receive, so probabilities arrive when the Dense before a head has softmax or
sigmoid; the loss then uses the Dense's pre-activation logits when the trainer taps them, else clamped logs.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import Tensor

from .compiler import ModelHead
from .training.config import higher_is_better  # noqa: F401 - where monitors were always looked up

# Smallest positive normal float32: log() of a probability clamped here stays finite (about -87).
_TINY = torch.finfo(torch.float32).tiny


class TargetError(ValueError):
    """Data that does not fit the model: a target of the wrong shape for its head (the message names the
    head and the expected shape), or a head or input block the data gives nothing for."""


@dataclass
class HeadResult:
    """One batch of one head: the mean loss to backpropagate and sums from which metrics are averaged."""

    loss: Tensor
    count: float  # how many samples (or real time steps) the mean is over
    sums: dict[str, Tensor] = field(default_factory=dict)  # metric name -> sum over the counted items


def valid_mask(lengths: Tensor, steps: int) -> Tensor:
    return torch.arange(steps, device=lengths.device).unsqueeze(0) < lengths.unsqueeze(1)


def _log_probs(output: Tensor, activation: str | None, logits: Tensor | None) -> Tensor:
    if logits is not None:
        return F.log_softmax(logits.float(), dim=-1)
    if activation == "softmax":
        return output.float().clamp_min(_TINY).log()
    return F.log_softmax(output.float(), dim=-1)


def _binary_terms(output: Tensor, target: Tensor, activation: str | None, logits: Tensor | None) -> Tensor:
    """Per-sample binary cross-entropy (no reduction)."""
    if logits is not None:
        return F.binary_cross_entropy_with_logits(logits.float(), target, reduction="none")
    if activation == "sigmoid":
        p = output.float()
        return -(target * p.clamp_min(_TINY).log() + (1 - target) * (1 - p).clamp_min(_TINY).log())
    return F.binary_cross_entropy_with_logits(output.float(), target, reduction="none")


def _expect(ok: bool, head: ModelHead, what: str, target: Tensor) -> None:
    if not ok:
        raise TargetError(f"head '{head.name}' ({head.task}) needs targets {what}, "
                          f"but the data gives shape {list(target.shape)} ({target.dtype})")


def head_loss(head: ModelHead, output: Tensor, target: Tensor, lengths: Tensor | None = None,
              logits: Tensor | None = None) -> HeadResult:
    """The loss of ``head`` on one batch. ``lengths`` ([B]) masks padded steps of per-step outputs;
    ``logits`` is the pre-activation output of the head's Dense, when available."""
    task = head.task
    activation = head.input_shape.activation
    if task == "classification" and head.params.get("mode") == "binary":
        _expect(target.dim() in (1, 2) and target.shape[0] == output.shape[0], head, "[B] of 0/1", target)
        y = target.reshape(-1).float()
        terms = _binary_terms(output.reshape(-1), y, activation, None if logits is None else logits.reshape(-1))
        score = output.reshape(-1) if logits is None else logits.reshape(-1)
        threshold = 0.5 if (activation == "sigmoid" and logits is None) else 0.0
        correct = ((score.float() > threshold).float() == y).float()
        return HeadResult(terms.mean(), float(y.numel()), {"loss": terms.sum(), "accuracy": correct.sum()})

    if task == "classification":
        _expect(target.dim() == 1 and target.shape[0] == output.shape[0] and not target.is_floating_point(),
                head, "[B] of class indices (int64)", target)
        logp = _log_probs(output, activation, logits)
        terms = F.nll_loss(logp, target, reduction="none")
        correct = (logp.argmax(-1) == target).float()
        return HeadResult(terms.mean(), float(target.numel()), {"loss": terms.sum(), "accuracy": correct.sum()})

    if task in ("labelling", "language_model"):
        _expect(target.dim() == 2 and target.shape == output.shape[:2] and not target.is_floating_point(),
                head, f"[B, T] of class indices matching the output {list(output.shape[:2])}", target)
        logp = _log_probs(output, activation, logits)
        terms = F.nll_loss(logp.transpose(1, 2), target, reduction="none", ignore_index=-100)
        mask = target != -100
        if lengths is not None:
            mask = mask & valid_mask(lengths.to(target.device), target.shape[1])
        maskf = mask.float()
        count = maskf.sum()
        loss = (terms * maskf).sum() / count.clamp_min(1.0)
        correct = ((logp.argmax(-1) == target).float() * maskf).sum()
        return HeadResult(loss, float(count.item()), {"loss": (terms * maskf).sum(), "accuracy": correct})

    if task == "regression":
        return _regression(head, output, target, lengths)
    raise TargetError(f"head '{head.name}' has an unknown task '{task}'")


def _regression(head: ModelHead, output: Tensor, target: Tensor, lengths: Tensor | None) -> HeadResult:
    out = output.float()
    y = target.float()
    if y.dim() == out.dim() - 1 and out.shape[-1] == 1:
        y = y.unsqueeze(-1)  # [B] for [B, 1], [B, T] for [B, T, 1]
    _expect(y.shape == out.shape, head, f"of shape {list(out.shape)} (float)", target)
    diff = out - y
    kind = head.params.get("loss", "mse")
    if kind == "mae":
        terms = diff.abs()
    elif kind == "huber":
        terms = F.huber_loss(out, y, reduction="none")
    else:
        terms = diff.pow(2)
    if out.dim() == 3:
        mask = torch.ones(out.shape[:2], dtype=torch.bool, device=out.device)
        if lengths is not None:
            mask = valid_mask(lengths.to(out.device), out.shape[1])
        weight = mask.unsqueeze(-1).float().expand_as(terms)
    else:
        weight = torch.ones_like(terms)
    count = weight.sum()
    loss = (terms * weight).sum() / count.clamp_min(1.0)
    sums = {"loss": (terms * weight).sum(), "mse": (diff.pow(2) * weight).sum(), "mae": (diff.abs() * weight).sum()}
    return HeadResult(loss, float(count.item()), sums)


def metric_names(head: ModelHead) -> tuple[str, ...]:
    """The metrics reported for ``head`` (besides the loss): what the dashboard can plot."""
    if head.task == "regression":
        return ("mse", "mae")
    if head.task == "language_model":
        return ("accuracy", "perplexity")
    return ("accuracy",)


class MetricTracker:
    """Accumulates HeadResults over batches; ``values()`` gives per-item means (perplexity = exp(loss))."""

    def __init__(self, heads: list[ModelHead]):
        self.heads = heads
        self.reset()

    def reset(self) -> None:
        self._sums: dict[str, dict[str, float]] = {h.name: {} for h in self.heads}
        self._counts: dict[str, float] = {h.name: 0.0 for h in self.heads}

    def add(self, results: dict[str, HeadResult]) -> None:
        # One device->host copy for all sums of the batch.
        names, tensors = [], []
        for head_name, result in results.items():
            for metric, value in result.sums.items():
                names.append((head_name, metric))
                tensors.append(value.detach().float().reshape(()))
        values = torch.stack(tensors).tolist() if tensors else []
        for (head_name, metric), value in zip(names, values):
            sums = self._sums[head_name]
            sums[metric] = sums.get(metric, 0.0) + value
        for head_name, result in results.items():
            self._counts[head_name] += result.count

    def add_sums(self, head_name: str, sums: dict[str, float], count: float) -> None:
        """Adds already-reduced sums (from other processes)."""
        for metric, value in sums.items():
            self._sums[head_name][metric] = self._sums[head_name].get(metric, 0.0) + value
        self._counts[head_name] += count

    def state(self) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        return self._sums, self._counts

    def values(self) -> dict[str, float]:
        """``{"loss": total, metric: mean}``; with several heads metrics are named ``head/metric``."""
        out: dict[str, float] = {}
        total = 0.0
        for head in self.heads:
            count = self._counts[head.name]
            if count <= 0:
                continue
            sums = self._sums[head.name]
            means = {m: v / count for m, v in sums.items()}
            if head.task == "language_model":
                means["perplexity"] = math.exp(min(means["loss"], 700.0))
            total += means["loss"]
            prefix = "" if len(self.heads) == 1 else head.name + "/"
            for metric, value in means.items():
                if metric != "loss" or prefix:
                    out[prefix + metric] = value
        out["loss"] = total
        return dict(sorted(out.items(), key=lambda kv: kv[0] != "loss"))
