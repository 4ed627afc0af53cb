"""Truncated BPTT carries each recurrent block's state across chunks exactly; scheduled teacher forcing feeds
the decoder its own predictions; the event stream coalesces for a slow consumer and never blocks."""
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.compiler import compile_graph
from engine.document import Document, load_document
from engine.training import EventStream, GateProbe, Hook, StepMetrics, Trainer, TrainingConfig
from engine.training.tbptt import StateCarrier, chunks
from test_training_support import SynthData, chain, lm_data, one_torch_thread, split3  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def lm_doc(cell="lstm"):
    graph = chain([("token_input", {"vocab_size": 8}), ("embedding", {"vocab_size": 8, "dim": 8}),
                   (cell, {"hidden_size": 16, "layers": 2}), ("dense", {"units": 8, "activation": "none"}),
                   ("language_model_head", {})], names=["chars", "embedding", "rec", "dense", "next"])
    return Document(graph=graph)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_chunks_with_carried_state_equal_one_pass_over_the_whole_sequence(cell):
    torch.manual_seed(0)
    module = compile_graph(lm_doc(cell).graph).module.eval()
    batch = lm_data(n=8, n_val=0, n_test=0).loader("train", 8)[0]
    with torch.no_grad():
        full = module(batch.inputs["chars"], batch.lengths["chars"])
        pieces = torch.zeros_like(full)
        with StateCarrier(module) as carrier:
            for index, chunk in enumerate(chunks(batch, 5, {"next"})):
                carrier.select(chunk.rows)
                out = module(chunk.inputs["chars"], chunk.lengths["chars"])
                for i, row in enumerate(chunk.rows.tolist()):
                    n = int(chunk.lengths["chars"][i])
                    pieces[row, index * 5:index * 5 + n] = out[i, :n]
    mask = torch.arange(full.shape[1]).unsqueeze(0) < batch.lengths["chars"].unsqueeze(1)
    assert len(set(batch.lengths["chars"].tolist())) > 1  # rows end in different chunks
    torch.testing.assert_close(pieces[mask], full[mask], atol=1e-5, rtol=1e-4)


def test_language_model_with_tbptt_learns(tmp_path):
    trainer = Trainer(lm_doc(), TrainingConfig(epochs=6, batch_size=16, lr=0.02, tbptt=6), run_root=tmp_path,
                      data=lm_data())
    result = trainer.run()
    assert result.status == "completed", result.message
    assert result.test["perplexity"] < 0.5 * result.epochs[0].train["perplexity"]
    steps = [e for e in trainer.events.drain() if isinstance(e, StepMetrics)]
    assert steps and "perplexity" in steps[0].metrics


def copy_data(n=96, vocab=16, steps=5, seed=0):
    """Reverse-copy task: target = source reversed; the decoder reads [BOS=1] + target[:-1]."""
    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(n):
        src = torch.randint(2, vocab, (steps,), generator=g)
        tgt = src.flip(0)
        dec = torch.cat([torch.tensor([1]), tgt[:-1]])
        samples.append({"inputs": {"source": src, "target": dec},
                        "lengths": {"source": torch.tensor(steps), "target": torch.tensor(steps)},
                        "targets": {"output": tgt}})
    return SynthData(*split3(samples, 16, 16))


class SpyOnSampling(Hook):
    def __init__(self):
        self.seen = []

    def on_run_start(self, trainer):
        inner = trainer.steps._scheduled_sampling

        def spy(batch):
            mixed = inner(batch)
            self.seen.append((batch.inputs["target"].clone(), mixed.inputs["target"]))
            return mixed
        trainer.steps._scheduled_sampling = spy


def test_scheduled_teacher_forcing_on_the_seq2seq_example(tmp_path):
    doc = load_document(EXAMPLES / "seq2seq.json")
    spy = SpyOnSampling()
    trainer = Trainer(doc, TrainingConfig(epochs=4, batch_size=16, lr=0.01, teacher_forcing=0.5, probes=[]),
                      run_root=tmp_path, data=copy_data())
    trainer.add_hook(spy)
    result = trainer.run()
    assert result.status == "completed", result.message
    assert result.epochs[-1].train["loss"] < result.epochs[0].train["loss"]
    true, mixed = spy.seen[0]
    assert torch.equal(mixed[:, 0], true[:, 0])  # the start token is never replaced
    changed = (mixed[:, 1:] != true[:, 1:]).float().mean().item()
    assert 0.2 < changed < 0.6  # about half the later steps read an (early, mostly wrong) prediction
    assert len(spy.seen) == len(result.epochs) * 4  # every training step, never evaluation


def test_teacher_forcing_needs_an_encoder_decoder(tmp_path):
    result = Trainer(lm_doc(), TrainingConfig(teacher_forcing=0.5), run_root=tmp_path, data=lm_data()).run()
    assert result.status == "failed" and "training.teacher_forcing" in result.message


def _gate(step):
    return GateProbe(step, "lstm", 0, "forward", {"input": np.zeros((3, 2))}, {"input": 0.5}, None, 3)


def test_event_stream_coalesces_probes_and_thins_steps_for_a_slow_consumer():
    stream = EventStream(max_pending_steps=100)
    for step in range(1, 501):
        stream.emit(StepMetrics(1, step, 500, 1.0 / step, {}, 0.1, 1.0, 0.0, 1.0, {}, False, step))
        stream.emit(_gate(step))
    events = stream.drain()
    gates = [e for e in events if isinstance(e, GateProbe)]
    steps = [e.step for e in events if isinstance(e, StepMetrics)]
    assert len(gates) == 1 and gates[0].step == 500  # the newest picture replaces undrained ones
    assert steps[-1] == 500 and steps[0] == 1 and len(steps) <= 100 and steps == sorted(steps)
    assert stream.drain() == []


def test_event_stream_never_blocks_the_producer():
    stream = EventStream()
    done = threading.Event()

    def produce():
        for step in range(20000):
            stream.emit(StepMetrics(1, step, 1, 0.0, {}, 0.0, 0.0, 0.0, 0.0, {}, False, step))
        done.set()
    started = time.perf_counter()
    threading.Thread(target=produce).start()
    assert done.wait(10)  # nobody drains; the producer still finishes
    assert time.perf_counter() - started < 10
    assert 0 < len(stream.drain()) <= 2000


def test_run_log_keeps_vanishing_gradients_and_round_trips_events():
    from engine.training import TimeGradProbe, event_from_dict, event_to_dict

    norms = np.array([3.2e-12, 4.5e-7, 0.25], dtype=np.float32)
    back = event_from_dict(json.loads(json.dumps(event_to_dict(TimeGradProbe(7, "rnn", norms)))))
    assert back.step == 7 and back.block == "rnn"
    np.testing.assert_allclose(back.norms, norms, rtol=1e-5)
