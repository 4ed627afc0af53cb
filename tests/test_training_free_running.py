"""An encoder-decoder's every epoch reports the free-running accuracy (the decoder reading its own
predictions) beside the teacher-forced one; other models report no such metric."""
from __future__ import annotations

from pathlib import Path

from engine.document import load_document
from engine.training import Trainer, TrainingConfig

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _short_run(name, tmp_path, options, **config):
    document = load_document(EXAMPLES / f"{name}.json")
    document.data = {**document.data, "options": {**document.data.get("options", {}), **options}}
    document.path = tmp_path / f"{name}.json"
    result = Trainer(document, TrainingConfig(probes=[], **config)).run()
    assert result.status == "completed", result.message
    return result


def test_seq2seq_epochs_report_free_running_beside_teacher_forced_accuracy(tmp_path):
    result = _short_run("seq2seq", tmp_path, {"samples": 300, "max_length": 5}, epochs=2, batch_size=32, lr=0.01)
    for epoch in result.epochs:
        assert 0.0 <= epoch.val["free_running_accuracy"] <= 1.0
        assert 0.0 <= epoch.val["accuracy"] <= 1.0
    assert "free_running_accuracy" in result.test


def test_other_models_report_no_free_running_accuracy(tmp_path):
    result = _short_run("adding_rnn", tmp_path, {"length": 8, "samples": 200}, epochs=1, batch_size=32)
    assert "free_running_accuracy" not in result.epochs[0].val
