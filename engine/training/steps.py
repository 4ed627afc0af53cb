"""One optimisation step: forward (bf16 autocast on GPU), head losses, backward, gradient norms, the NaN
check, clipping and the update; with truncated BPTT chunks and scheduled teacher forcing when configured.
"""
from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import torch
from torch import Tensor

from ..losses import HeadResult, MetricTracker, TargetError, head_loss
from ..specs import TensorKind
from .model_settings import decoder_input
from .tbptt import StateCarrier, chunks


@dataclass
class StepOutcome:
    loss: float
    metrics: dict[str, float]
    grad_norm: float
    grad_norms: dict[str, float]
    clipped: bool
    samples: int


class StepRunner:
    """Runs the steps of one Session (``self.t``); the trainer passes its hook call and the step's position."""

    def __init__(self, session):
        self.t = session
        cfg = session.config
        compiled = session.compiled
        self.heads = compiled.heads
        self.time_targets = {h.name for h in self.heads if h.task in ("labelling", "language_model")
                             or (h.task == "regression" and h.input_shape.kind is TensorKind.SEQUENCE)}
        self.carrier = None
        if cfg.tbptt:  # open_session refused the settings this model cannot take (model_settings)
            self.carrier = StateCarrier(session.inner_module)
        self.decoder = None
        self.epoch = 0
        self._epoch_tracker = None
        if cfg.teacher_forcing < 1.0 or cfg.teacher_forcing_schedule != "constant":
            self.decoder = decoder_input(compiled)
            self.generator = torch.Generator().manual_seed(cfg.seed)
        self.prev_norms: dict[str, float] = {}
        self._after_backward = None
        self._where = ""

    def autocast(self):
        if self.t.config.bf16 and self.t.device.type == "cuda":
            return torch.autocast("cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def forward(self, module, batch) -> list[Tensor]:
        args = []
        for spec in self.t.compiled.inputs:
            if spec.name not in batch.inputs:
                raise TargetError(f"the data gives no input for block '{spec.name}' (it gives "
                               f"{', '.join(batch.inputs) or 'none'}): map it in the document's data.inputs")
            args += [batch.inputs[spec.name], batch.lengths[spec.name]]
        out = module(*args)
        return list(out) if isinstance(out, (tuple, list)) else [out]

    def loss(self, outputs, batch, use_taps: bool = True) -> tuple[Tensor, dict[str, HeadResult]]:
        results: dict[str, HeadResult] = {}
        total = None
        for head, output in zip(self.heads, outputs):
            if head.name not in batch.targets:
                raise TargetError(f"the data gives no target for head '{head.name}' (it gives "
                               f"{', '.join(batch.targets) or 'none'}): map it in the document's data.targets")
            lengths = batch.lengths.get(head.time_source) if head.time_source else None
            logits = self.t.taps.take(head.name) if use_taps else None
            result = head_loss(head, output, batch.targets[head.name], lengths, logits)
            results[head.name] = result
            total = result.loss if total is None else total + result.loss
        return total, results

    # ------------------------------------------------------------------ training step
    def train_step(self, batch, tracker: MetricTracker, after_backward=None, where: str = "",
                   epoch: int | None = None) -> StepOutcome:
        """``after_backward()`` runs after each backward pass (the hooks' on_after_backward); ``where`` says
        which step this is ("at epoch 2, step 7") in a failure's message. ``epoch`` (1-based) sets the
        teacher-forcing schedule; without it a new ``tracker`` (the loop makes one per epoch) starts the next."""
        if epoch is not None:
            self.epoch = epoch
        elif tracker is not self._epoch_tracker:
            self.epoch += 1
        self._epoch_tracker = tracker
        step_tracker = MetricTracker(self.heads)
        samples = int(getattr(batch, "size", 0) or next(iter(batch.inputs.values())).shape[0])
        self._after_backward, self._where = after_backward, where
        if self.carrier is None:
            outcome = self._update(batch, step_tracker)
        else:
            with self.carrier:
                for chunk in chunks(batch, self.t.config.tbptt, self.time_targets):
                    self.carrier.select(chunk.rows)
                    outcome = self._update(chunk, step_tracker)
        sums, counts = step_tracker.state()
        if self.decoder is not None:
            # logged as a training metric of the decoder's head: the curve plots beside the loss, per step and epoch
            head_name = self.heads[self.decoder[0]].name
            sums[head_name]["teacher_forcing"] = self.teacher_forcing * counts[head_name]
        for head_name in sums:
            tracker.add_sums(head_name, sums[head_name], counts[head_name])
        values = step_tracker.values()
        outcome.loss, outcome.metrics = values.pop("loss"), values
        outcome.samples = samples
        return outcome

    def _update(self, batch, step_tracker: MetricTracker) -> StepOutcome:
        t, cfg = self.t, self.t.config
        if self.decoder is not None:
            batch = self._scheduled_sampling(batch)
        t.taps.clear()
        with self.autocast():
            outputs = self.forward(t.model, batch)
            loss, results = self.loss(outputs, batch)
        t.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self._after_backward is not None:
            self._after_backward()  # before the norms: a hook may change the gradients
        global_norm, block_norms = t.grad_norms.compute()
        grads = t.grad_norms.grads()
        extra = []
        if cfg.clip == "value" and grads:
            extra = [torch.stack([g.abs().max() for g in grads]).max().float()]
        values = torch.cat([loss.detach().float().reshape(1), global_norm.reshape(1), block_norms.float(),
                            *[e.reshape(1) for e in extra]]).tolist()
        step_tracker.add(results)
        loss_value, norm = values[0], values[1]
        norms = dict(zip(t.grad_norms.blocks, values[2:2 + len(block_norms)]))
        if not (math.isfinite(loss_value) and math.isfinite(norm)):
            raise self._failure(loss_value, norms)
        clipped = False
        if cfg.clip == "norm" and norm > cfg.clip_value and grads:
            torch._foreach_mul_(grads, cfg.clip_value / (norm + 1e-6))
            clipped = True
        elif cfg.clip == "value" and grads and values[-1] > cfg.clip_value:
            torch.nn.utils.clip_grad_value_([p for p in t.grad_norms.params if p.grad is not None], cfg.clip_value)
            clipped = True
        t.optimizer.step()
        self.prev_norms = norms
        return StepOutcome(loss_value, {}, norm, norms, clipped, 0)

    def _failure(self, loss_value: float, norms: dict[str, float]):
        from .session import TrainingFailure

        where = self._where
        bad = [b for b, v in norms.items() if not math.isfinite(v)]
        if math.isfinite(loss_value) and bad:
            block = bad[-1]  # nearest the output: where the bad gradient entered the backward pass
            message = (f"the gradient norm of block '{block}' blew up ({norms[block]}) {where} while the loss was "
                       f"{loss_value:.4g}: lower the learning rate or clip gradients")
        else:
            finite_prev = {b: v for b, v in self.prev_norms.items() if math.isfinite(v)}
            block = max(finite_prev, key=finite_prev.get) if finite_prev else (bad[-1] if bad else None)
            before = f" (its gradient norm was {finite_prev[block]:.4g} the step before)" if finite_prev else ""
            message = (f"the loss became {loss_value} {where}; block '{block}' had the largest gradient norm"
                       f"{before}, where the weights blew up: lower the learning rate or clip gradients")
        return TrainingFailure(message, block)

    # ------------------------------------------------------------------ scheduled teacher forcing
    @property
    def teacher_forcing(self) -> float:
        """This epoch's probability that the decoder reads the true previous token."""
        return self.t.config.teacher_forcing_at(max(self.epoch, 1))

    @torch.no_grad()
    def _scheduled_sampling(self, batch):
        """The decoder reads its own previous prediction instead of the true token with probability
        1 - teacher_forcing (parallel scheduled sampling: one extra forward without gradients)."""
        from ..probes.recorder import ProbeBatch

        head_index, name = self.decoder
        outputs = self.forward(self.t.inner_module, batch)
        self.t.taps.clear()
        predicted = outputs[head_index].argmax(-1)  # step t predicts the token read at step t + 1
        decoder = batch.inputs[name]
        draw = torch.rand(decoder.shape, generator=self.generator).to(decoder.device)
        swap = draw >= self.teacher_forcing
        swap[:, 0] = False  # the start token stays
        mixed = decoder.clone()
        mixed[:, 1:] = torch.where(swap[:, 1:], predicted[:, :-1].to(decoder.dtype), decoder[:, 1:])
        inputs = dict(batch.inputs)
        inputs[name] = mixed
        return ProbeBatch(inputs, batch.lengths, batch.targets, decoder.shape[0])
