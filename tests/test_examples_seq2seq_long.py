"""The seq2seq attention lesson: the same LSTM encoder–decoder on long strings with and without cross-attention.
Both documents train a few steps; only the attention one has attention to show, and its probe is labelled."""
from __future__ import annotations

from pathlib import Path

import pytest

from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from engine.training.events import AttentionProbe, read_events
from engine.training.runs import Run
from test_training_support import one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def long_example(name: str, tmp_path, samples: int = 96):
    """The bundled document with fewer strings (the same lengths), saved under tmp_path."""
    document = load_document(EXAMPLES / f"{name}.json")
    document.data = {**document.data, "options": {**document.data["options"], "samples": samples}}
    document.path = Path(tmp_path) / f"{name}.json"
    return document


def train_briefly(document):
    config = TrainingConfig.from_dict({**document.training, "epochs": 1, "max_steps_per_epoch": 2,
                                       "batch_size": 16, "device": "cpu", "probe_budget": 0.5})
    return Trainer(document, config).run()


def test_the_two_documents_differ_only_in_the_cross_attention():
    attention = load_document(EXAMPLES / "seq2seq_long_attention.json")
    plain = load_document(EXAMPLES / "seq2seq_long_plain.json")
    assert {n.kind for n in attention.graph} - {n.kind for n in plain.graph} == {"cross_attention", "concat"}
    assert attention.data == plain.data and attention.training == plain.training
    assert attention.data["dataset"] == "reverse" and attention.data["options"]["min_length"] >= 20
    for document in (attention, plain):
        assert "Attention" in document.description and "free_running_accuracy" in document.description


@pytest.mark.parametrize("name", ["seq2seq_long_attention", "seq2seq_long_plain"])
def test_example_trains_a_few_steps(tmp_path, name):
    result = train_briefly(long_example(name, tmp_path))
    assert result.status == "completed", result.message
    assert "free_running_accuracy" in result.test and 0 <= result.test["free_running_accuracy"] <= 1
    probes = [e for e in read_events(Run(result.run_dir).events()) if isinstance(e, AttentionProbe)]
    if name == "seq2seq_long_plain":
        assert not probes
        return
    probe = probes[-1]
    vocab = Run(result.run_dir).read_meta()["vocab"]
    assert (probe.query_input, probe.key_input) == ("target", "source")
    assert vocab["target"][probe.query_tokens[0]] == "<bos>" and len(probe.key_tokens) >= 20
    assert [vocab["source"][t] for t in probe.key_tokens][::-1] == [vocab["target"][t] for t in probe.target[:-1]]
