"""open_session builds a run's parts once (frozen), the Trainer reads them through properties, and a session that
cannot open leaves nothing behind."""
from __future__ import annotations

import dataclasses

import pytest
import torch

from engine.training import ConfigError, Trainer, TrainingConfig, find_runs, open_session
from test_training_loop import adding_doc
from test_training_sequences import lm_doc
from test_training_support import adding_data, lm_data, one_torch_thread  # noqa: F401


def test_open_session_builds_every_part_once_and_is_frozen(tmp_path):
    config = TrainingConfig(epochs=1, batch_size=32, schedule="cosine", probes=[])
    session = open_session(adding_doc(), config, run_root=tmp_path, data=adding_data(n=160))
    try:
        assert session.config is config and session.device == torch.device("cpu")
        assert session.model is session.inner_module is session.compiled.module
        assert session.steps is session.steps  # made once
        assert isinstance(session.scheduler, torch.optim.lr_scheduler.CosineAnnealingLR)
        assert session.run_dir.run.read_status()["status"] == "running"
        assert session.steps_in(session.loader("train", 1)) == 3 and session.has("val")
        with pytest.raises(dataclasses.FrozenInstanceError):
            session.model = None
    finally:
        session.close()


def test_the_trainer_reads_the_session_through_its_attributes(tmp_path):
    trainer = Trainer(adding_doc(), TrainingConfig(epochs=1, batch_size=32, probes=[]), run_root=tmp_path,
                      data=adding_data(n=96))
    assert trainer.model is None and trainer.run_dir is None and trainer.is_main
    result = trainer.run()
    session = trainer.session
    assert result.status == "completed"
    assert (trainer.model, trainer.config, trainer.optimizer, trainer.monitor) == \
        (session.model, session.config, session.optimizer, session.monitor)
    assert trainer.run_dir.path == result.run_dir and trainer.lr == session.optimizer.param_groups[0]["lr"]


def test_a_session_that_cannot_open_leaves_no_run_folder(tmp_path):
    # tbptt is refused as soon as the model is compiled, before any run folder is made
    with pytest.raises(ConfigError, match="training.tbptt: truncated BPTT applies to language models"):
        open_session(adding_doc(), TrainingConfig(tbptt=4), run_root=tmp_path, data=adding_data(n=96))
    assert find_runs(tmp_path) == [] and not (tmp_path / "untitled").exists()
    session = open_session(lm_doc(), TrainingConfig(tbptt=4, batch_size=16), run_root=tmp_path, data=lm_data())
    session.close()
    assert len(find_runs(tmp_path)) == 1
