"""The final evaluation writes a confusion matrix for every classifier and sequence labeller, with the label
names: its diagonal agrees exactly with the test accuracy, and it counts every test sample (every labelled step
of a labeller, padding left out) once."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from engine.training.runs import Run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def trained(tmp_path, example: str, batch_size: int):
    """(the evaluation's one confusion matrix, the total it counts, the test samples) after three steps."""
    document = load_document(EXAMPLES / f"{example}.json")
    document.path = tmp_path / f"{example}.json"
    result = Trainer(document, TrainingConfig(epochs=1, batch_size=batch_size, max_steps_per_epoch=3, probes=[])).run()
    assert result.status == "completed", result.message
    evaluation = Run(result.run_dir).read_evaluation()
    ((head, confusion),) = evaluation["confusion"].items()
    matrix = confusion["matrix"]
    total = sum(map(sum, matrix))
    assert len(confusion["labels"]) == len(matrix) and all(len(row) == len(matrix) for row in matrix)
    correct = sum(matrix[i][i] for i in range(len(matrix)))
    assert correct / total == pytest.approx(evaluation["metrics"]["accuracy"], abs=1e-9)  # the diagonal
    return confusion, total, Run(result.run_dir).read_events()[0].data_info["samples"]["test"]


@pytest.mark.parametrize("example", ["digits", "sentiment"])
def test_the_confusion_matrix_agrees_with_the_test_accuracy(tmp_path, example):
    confusion, total, samples = trained(tmp_path, example, 64)
    matrix = confusion["matrix"]
    assert total == samples
    if example == "digits":
        assert confusion["labels"] == [str(d) for d in range(10)] and len(matrix) == 10
    else:
        assert len(confusion["labels"]) == 2 and len(matrix) == 2  # binary: rotten, fresh


@pytest.mark.parametrize("example", ["copy_lstm", "seq2seq"])
def test_a_labelling_head_gets_one_counting_every_labelled_step(tmp_path, example):
    _confusion, total, samples = trained(tmp_path, example, 32)
    assert total > samples  # steps, not sequences
