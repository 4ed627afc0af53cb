"""Evaluation of a split with the trainer's model: metrics averaged over every sample (or real step).

Each process evaluates the whole split itself, so no collective is needed and all agree.
"""
from __future__ import annotations

import torch

from ..losses import MetricTracker, valid_mask


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
    values = tracker.values()
    values.update(_free_running(session, split))
    return values


def _free_running(session, split: str) -> dict[str, float]:
    """For an encoder-decoder: the per-step accuracy when the decoder reads its own predictions, beside the
    teacher-forced one (the gap is what teacher forcing hides); nothing for other models."""
    from ..decoding import DecodingError, free_running_accuracy, seq2seq_roles

    try:
        seq2seq_roles(session.compiled)
    except DecodingError:
        return {}
    batches = (batch.to(session.device) for batch in
               session.data.loader(split, session.config.batch_size, shuffle=False, seed=session.config.seed))
    return free_running_accuracy(session.compiled, batches)


MAX_CONFUSION_CLASSES = 100  # beyond that a matrix is unreadable (and the names dataset has 12)


@torch.no_grad()
def confusion_matrices(session, split: str) -> dict[str, dict]:
    """For every classification and sequence-labelling head: ``{"labels": [names], "matrix": [[count]]}``, rows
    the true class and columns the predicted one, over ``split`` (empty for a model without such heads). A
    labelling head counts every labelled step, padding left out, as its accuracy does."""
    heads = [(i, h) for i, h in enumerate(session.compiled.heads) if h.task in ("classification", "labelling")]
    if not heads:
        return {}
    labels_of = dict(getattr(session.data.meta, "labels", {}) or {})
    counts: dict[str, torch.Tensor] = {}
    module = session.inner_module
    was_training = module.training
    module.eval()
    try:
        for batch in session.data.loader(split, session.config.batch_size, shuffle=False, seed=session.config.seed):
            batch = batch.to(session.device)
            with session.steps.autocast():
                outputs = session.steps.forward(module, batch)
            for index, head in heads:
                output, target = outputs[index].float(), batch.targets[head.name]
                if head.params.get("mode") == "binary":
                    threshold = 0.5 if head.input_shape.activation == "sigmoid" else 0.0
                    predicted, classes = (output.reshape(-1) > threshold).long(), 2
                else:
                    predicted, classes = output.argmax(-1), output.shape[-1]
                if classes > MAX_CONFUSION_CLASSES:
                    continue
                true, predicted = target.reshape(-1).long(), predicted.reshape(-1)
                if head.task == "labelling":
                    keep = target != -100  # as losses.head_loss masks the steps it scores
                    lengths = batch.lengths.get(head.time_source) if head.time_source else None
                    if lengths is not None:
                        keep = keep & valid_mask(lengths.to(target.device), target.shape[1])
                    keep = keep.reshape(-1)
                    true, predicted = true[keep], predicted[keep]
                flat = (true.clamp(0, classes - 1) * classes + predicted).cpu()
                counts[head.name] = counts.get(head.name, torch.zeros(classes * classes, dtype=torch.long)) \
                    + torch.bincount(flat, minlength=classes * classes)
    finally:
        module.train(was_training)
    out = {}
    for name, flat in counts.items():
        classes = int(round(flat.numel() ** 0.5))
        labels = list(labels_of.get(name) or [])
        labels = labels if len(labels) == classes else [str(i) for i in range(classes)]
        out[name] = {"labels": labels, "matrix": flat.reshape(classes, classes).tolist()}
    return out
