"""A training session: what one run trains with (device, model, data, optimizer, schedule, monitor, run folder),
built once by ``open_session`` and then only read by the loop, the steps, the hooks and the probes.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ..compiler import CompiledModel, compile_graph
from ..document import Document
from .config import ConfigError, TrainingConfig
from .distributed import DistContext
from .hooks import Monitor
from .logits import LogitTaps
from .model_settings import setting_problems
from .optim import make_optimizer, make_scheduler
from .rundir import RunDir, new_run_dir
from .runs import CONFIG, DATA_META, DOCUMENT


class TrainingFailure(Exception):
    """Ends a run with status "failed"; ``block`` names the block it points at."""

    def __init__(self, message: str, block: str | None = None, input_error: bool = False):
        super().__init__(message)
        self.block = block
        self.input_error = input_error


@dataclass(frozen=True, eq=False)
class Session:
    """Frozen: the loop never swaps the model, the optimizer or the data of a run (they change inside)."""

    document: Document  # the snapshot being trained
    config: TrainingConfig
    dist: DistContext
    device: torch.device
    compiled: CompiledModel
    inner_module: nn.Module  # the compiled module: what checkpoints hold and probes read
    model: nn.Module  # inner_module, or its DistributedDataParallel wrapper
    data: Any  # PreparedData, or anything with .train/.val/.test and .loader(...)
    optimizer: torch.optim.Optimizer
    scheduler: Any  # a torch LR scheduler or None
    monitor: Monitor
    taps: LogitTaps
    grad_norms: Any  # engine.probes.BlockGradNorms
    run_dir: RunDir | None  # None on other ranks and when the run writes no folder

    @cached_property
    def steps(self):
        """The StepRunner (it reads the session, so it is made after it; open_session makes it at once)."""
        from .steps import StepRunner

        return StepRunner(self)

    @property
    def is_main(self) -> bool:
        return self.dist.is_main

    @property
    def lr(self) -> float:
        return self.optimizer.param_groups[0]["lr"]

    def loader(self, split: str, epoch: int):
        """This process's batches of ``split`` for ``epoch`` (a DistributedSampler shares the train split)."""
        cfg = self.config
        per_rank = cfg.batch_size // self.dist.world_size
        sampler = None
        if self.dist.enabled and split == "train":
            from torch.utils.data.distributed import DistributedSampler

            sampler = DistributedSampler(getattr(self.data, split), self.dist.world_size, self.dist.rank,
                                         shuffle=cfg.shuffle, seed=cfg.seed)
            sampler.set_epoch(epoch)
        return self.data.loader(split, per_rank, shuffle=cfg.shuffle and sampler is None, seed=cfg.seed + epoch,
                                sampler=sampler)

    def steps_in(self, loader) -> int:
        """Steps an epoch of ``loader`` takes (max_steps_per_epoch applied); 0 when the loader has no len()."""
        try:
            n = len(loader)
        except TypeError:
            n = 0
        cap = self.config.max_steps_per_epoch
        return min(n, cap) if cap and n else (cap or n)

    def has(self, split: str) -> bool:
        return len(getattr(self.data, split, ()) or ()) > 0

    def probe_batch(self, size: int):
        """The fixed probe batch: the first ``size`` samples of the validation split (else of train)."""
        from ..probes.recorder import ProbeBatch

        for split in ("val", "train"):
            if not self.has(split):
                continue
            for batch in self.data.loader(split, size, shuffle=False, seed=self.config.seed):
                return ProbeBatch.from_batch(batch, size, self.device)
        raise TrainingFailure("the data has no samples to train on", input_error=True)

    def probe_loss(self, outputs, batch) -> torch.Tensor:
        self.taps.clear()  # the probe forward's logits would be stale here; use the outputs
        return self.steps.loss(outputs, batch, use_taps=False)[0]

    def close(self) -> None:
        self.taps.remove()
        if self.run_dir is not None:
            self.run_dir.close()
        self.dist.close()


def resolve_device(kind: str) -> str:
    if kind == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if kind == "cuda" and not torch.cuda.is_available():
        raise TrainingFailure("training.device is cuda but no CUDA device is available: use auto or cpu",
                              input_error=True)
    return kind


def open_session(document: Document, config: TrainingConfig | None = None, *, run_root=None, data=None,
                 write_run_dir: bool = True) -> Session:
    """Builds everything a run needs, in order: settings, device (and process group), model, data, optimizer,
    schedule, and last the run folder. Raises ConfigError, CompileError, TrainingFailure or the data's DataError;
    whatever it opened before failing (or before a Ctrl-C) is closed again and leaves no run folder behind."""
    from ..probes.grad_norms import BlockGradNorms  # the probes import the training events: import late

    config = config or TrainingConfig.from_dict(document.training)
    kind = resolve_device(config.device)
    dist = DistContext.from_env(kind)
    taps = run_dir = None
    try:
        device = dist.device(kind)
        if config.batch_size % dist.world_size:
            raise ConfigError("batch_size", f"{config.batch_size} does not split evenly over "
                                            f"{dist.world_size} processes")
        torch.manual_seed(config.seed)
        compiled = compile_graph(document.graph)
        refused = setting_problems(config, compiled)  # before any data is read or run folder made
        if refused:
            raise refused[0]
        inner = compiled.module.to(device)
        if data is None:
            data = _prepare(document, compiled)
        model = inner
        if dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            model = DistributedDataParallel(inner, device_ids=[device.index] if device.type == "cuda" else None)
        taps = LogitTaps(compiled, document.graph, inner)
        optimizer = make_optimizer(config, inner)
        if dist.is_main and write_run_dir:
            run_dir = _open_run_dir(document, config, data, run_root)
        session = Session(document, config, dist, device, compiled, inner, model, data, optimizer,
                          make_scheduler(config, optimizer), Monitor(config.monitor), taps,
                          BlockGradNorms(inner), run_dir)
        return session
    except BaseException:
        if taps is not None:
            taps.remove()
        if run_dir is not None:
            run_dir.close()
            shutil.rmtree(run_dir.path, ignore_errors=True)  # a folder without a run would list as one
        dist.close()
        raise


def _prepare(document: Document, compiled: CompiledModel):
    if not document.data:
        raise TrainingFailure("the document has no data binding: set its \"data\" section (dataset, inputs, "
                              "targets) before training", input_error=True)
    from ..data import prepare_data  # the data part is imported only when a run needs it

    base = Path(document.path).parent if document.path else None
    return prepare_data(document.data, compiled, base_dir=base)


def _open_run_dir(document: Document, config: TrainingConfig, data, run_root) -> RunDir:
    try:
        run_dir = RunDir(new_run_dir(document.path, run_root), source=document.path)
    except OSError as err:  # a read-only folder (the document's, by default), no permission, a full disk
        raise _unwritable(err) from None
    try:
        run_dir.write_text(DOCUMENT, document.dumps())
        run_dir.write(CONFIG, config.to_dict())
        meta = getattr(data, "meta", None)
        run_dir.write(DATA_META, meta.to_dict() if hasattr(meta, "to_dict") else {})
        run_dir.status(status="running", epoch=0, step=0)
    except BaseException as err:
        run_dir.close()
        shutil.rmtree(run_dir.path, ignore_errors=True)
        if isinstance(err, OSError):
            raise _unwritable(err) from None
        raise
    return run_dir


def _unwritable(err: OSError) -> TrainingFailure:
    """The run folder cannot be made or written: bad input (where runs go), one line naming the place."""
    from ..specs import one_line

    place = one_line(str(err.filename)) if err.filename else "the runs folder"
    place = place if len(place) <= 200 else f"{place[:100]}…{place[-80:]}"
    reason = (err.strerror or type(err).__name__).lower()
    return TrainingFailure(f"cannot write the run folder {place} ({reason}): write runs to a folder you can "
                           f"write to (rnn-studio train --out DIR)", input_error=True)
