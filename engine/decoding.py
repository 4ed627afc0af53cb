"""Free-running decoding of encoder-decoder models: the decoder reads its own previous prediction instead of
the true token (greedy, or beam search with a width), and the free-running accuracy that measures it.

The compiled graph runs whole sequences, so each step runs the model on the decoder prefix so far; for the short
strings of the studio's seq2seq lessons that is cheap, and it needs no second, step-by-step model.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from .compiler import CompiledModel


class DecodingError(ValueError):
    """A model that has no encoder-decoder shape, or a setting that does not apply; the message says which."""


@dataclass(frozen=True)
class Seq2SeqRoles:
    """Which input the decoder reads (its time axis is the head's), which inputs are the source, which head."""

    decoder: str
    sources: tuple[str, ...]
    head: int


def seq2seq_roles(compiled: CompiledModel) -> Seq2SeqRoles:
    """The decoder input is the token input that times a per-step head, next to at least one other input."""
    from .training.model_settings import decoder_input  # the same rule decides whether teacher forcing applies

    found = decoder_input(compiled)
    if found is not None:
        index, decoder = found
        return Seq2SeqRoles(decoder, tuple(i.name for i in compiled.inputs if i.name != decoder), index)
    raise DecodingError("free-running decoding needs an encoder-decoder: a per-step head whose time axis is a token "
                        "input read by a decoder, next to a second (source) input")


def _log_probs(compiled: CompiledModel, roles: Seq2SeqRoles, output: Tensor) -> Tensor:
    activation = compiled.heads[roles.head].input_shape.activation
    if activation == "softmax":  # the head receives probabilities: their log, guarded against exact zeros
        return torch.log(output.float().clamp_min(1e-30))
    return torch.log_softmax(output.float(), dim=-1)


def _step(compiled, roles, sources, source_lengths, prefix: Tensor) -> Tensor:
    """Log-probabilities of the next token for every row of ``prefix`` [R, t] (all rows of length t)."""
    inputs = dict(sources)
    lengths = dict(source_lengths)
    inputs[roles.decoder] = prefix
    lengths[roles.decoder] = torch.full((prefix.shape[0],), prefix.shape[1], dtype=torch.long, device=prefix.device)
    output = compiled.call(inputs, lengths)[roles.head]
    return _log_probs(compiled, roles, output[:, -1])


@torch.no_grad()
def greedy_batch(compiled: CompiledModel, sources: dict[str, Tensor], source_lengths: dict[str, Tensor],
                 start: Tensor, steps: int) -> Tensor:
    """[B, steps] tokens: the decoder starts from ``start`` [B] and reads its own argmax for ``steps`` steps
    (no early stop: the caller compares with targets of known length)."""
    roles = seq2seq_roles(compiled)
    prefix = start.reshape(-1, 1)
    out = []
    for _ in range(steps):
        token = _step(compiled, roles, sources, source_lengths, prefix).argmax(-1)
        out.append(token)
        prefix = torch.cat([prefix, token.unsqueeze(1).to(prefix.dtype)], dim=1)
    return torch.stack(out, dim=1) if out else prefix[:, :0]


@torch.no_grad()
def beam_search(compiled: CompiledModel, source: dict[str, Tensor], bos: int, eos: int, width: int = 1,
                max_length: int = 50) -> list[tuple[list[int], float]]:
    """Up to ``width`` hypotheses for one source (each input [1, T]), best first: (tokens without <bos>, total
    log-probability). A hypothesis ends with ``eos`` (kept in its tokens) or at ``max_length`` tokens. Width 1 is
    greedy decoding."""
    if width < 1:
        raise DecodingError(f"the beam width must be 1 or more, got {width}")
    if max_length < 1:
        raise DecodingError(f"the maximum length must be 1 or more, got {max_length}")
    roles = seq2seq_roles(compiled)
    device = next(iter(source.values())).device
    lengths = {name: torch.tensor([source[name].shape[1]], device=device) for name in roles.sources}
    beams: list[tuple[list[int], float]] = [([bos], 0.0)]
    finished: list[tuple[list[int], float]] = []
    for _ in range(max_length):
        rows = len(beams)
        sources = {name: source[name].expand(rows, -1) for name in roles.sources}
        source_lengths = {name: lengths[name].expand(rows) for name in roles.sources}
        prefix = torch.tensor([tokens for tokens, _ in beams], dtype=torch.long, device=device)
        logp = _step(compiled, roles, sources, source_lengths, prefix).cpu()
        scores = torch.tensor([score for _, score in beams]).unsqueeze(1) + logp  # [rows, V]
        top = scores.flatten().topk(min(width, scores.numel()))
        candidates = []
        for value, flat in zip(top.values.tolist(), top.indices.tolist()):
            row, token = divmod(flat, scores.shape[1])
            candidates.append((beams[row][0] + [token], value))
        beams = []
        for tokens, score in candidates:
            (finished if tokens[-1] == eos else beams).append((tokens, score))
        if len(finished) >= width or not beams:
            break
    ranked = sorted(finished + beams, key=lambda h: -h[1])[:width]
    return [(tokens[1:], score) for tokens, score in ranked]


@torch.no_grad()
def free_running_accuracy(compiled: CompiledModel, batches) -> dict[str, float]:
    """Per-step accuracy when the decoder reads its own greedy predictions, over real target steps of
    ``batches`` (each with .inputs, .lengths, .targets); the teacher-forced accuracy reads the true tokens."""
    roles = seq2seq_roles(compiled)
    head = compiled.heads[roles.head]
    correct = total = 0
    module = compiled.module
    was_training = module.training
    module.eval()
    try:
        for batch in batches:
            target = batch.targets[head.name]
            steps = target.shape[1]
            sources = {name: batch.inputs[name] for name in roles.sources}
            source_lengths = {name: batch.lengths[name] for name in roles.sources}
            predicted = greedy_batch(compiled, sources, source_lengths, batch.inputs[roles.decoder][:, 0], steps)
            real = torch.arange(steps, device=target.device).unsqueeze(0) < batch.lengths[roles.decoder].unsqueeze(1)
            real = real & (target != -100)
            correct += int(((predicted == target) & real).sum())
            total += int(real.sum())
    finally:
        module.train(was_training)
    return {"free_running_accuracy": correct / total if total else float("nan")}
