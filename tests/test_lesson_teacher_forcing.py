"""Teacher forcing, the lesson: free-running decoding (greedy and beam search) scores exactly what a
teacher-forced pass over its own answer scores; scheduled sampling follows its schedule over epochs and logs it."""
from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from hypothesis import given, settings, strategies as st

from engine.compiler import compile_graph
from engine.decoding import DecodingError, beam_search, free_running_accuracy, greedy_batch, seq2seq_roles
from engine.document import load_document
from engine.training import Trainer, TrainingConfig
from engine.training.config import ConfigError
from test_training_sequences import SpyOnSampling, copy_data, lm_doc
from test_training_support import lm_data, one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
BOS, EOS = 1, 2


@pytest.fixture(scope="module")
def seq2seq():
    torch.manual_seed(0)
    compiled = compile_graph(load_document(EXAMPLES / "seq2seq.json").graph)
    compiled.module.eval()
    return compiled


@torch.no_grad()
def _teacher_forced_logp(compiled, source, answer):
    """log P(answer | source) from one teacher-forced pass over <bos> + answer[:-1]."""
    decoder = torch.tensor([[BOS] + answer[:-1]])
    out = compiled.call({"source": source, "target": decoder},
                        {"source": torch.tensor([source.shape[1]]), "target": torch.tensor([len(answer)])})[0]
    logp = torch.log_softmax(out[0].float(), -1)
    return float(sum(logp[t, token] for t, token in enumerate(answer)))


@pytest.mark.parametrize("width", [1, 3])
def test_beam_hypotheses_score_what_a_teacher_forced_pass_over_them_scores(seq2seq, width):
    source = torch.tensor([[5, 9, 4, 7]])
    hypotheses = beam_search(seq2seq, {"source": source}, BOS, EOS, width=width, max_length=6)
    assert 1 <= len(hypotheses) <= width
    assert [s for _, s in hypotheses] == sorted((s for _, s in hypotheses), reverse=True)
    for tokens, score in hypotheses:
        assert 1 <= len(tokens) <= 6 and (tokens[-1] == EOS or len(tokens) == 6)
        assert EOS not in tokens[:-1]
        assert score == pytest.approx(_teacher_forced_logp(seq2seq, source, tokens), abs=1e-4)


def test_width_one_is_greedy_decoding(seq2seq):
    source = torch.tensor([[3, 8, 8, 6, 5]])
    [(tokens, _)] = beam_search(seq2seq, {"source": source}, BOS, EOS, width=1, max_length=5)
    greedy = greedy_batch(seq2seq, {"source": source}, {"source": torch.tensor([5])}, torch.tensor([BOS]), 5)[0]
    assert tokens == greedy[:len(tokens)].tolist()


def test_decoding_refuses_models_and_settings_it_cannot_serve(seq2seq):
    with pytest.raises(DecodingError, match="needs an encoder-decoder"):
        seq2seq_roles(compile_graph(lm_doc().graph))
    with pytest.raises(DecodingError, match="beam width must be 1 or more, got 0"):
        beam_search(seq2seq, {"source": torch.tensor([[4]])}, BOS, EOS, width=0)


def test_training_on_reversal_makes_free_running_decoding_reverse(tmp_path, one_torch_thread):  # noqa: F811
    doc = load_document(EXAMPLES / "seq2seq.json")
    data = copy_data(n=400, steps=4)
    trainer = Trainer(doc, TrainingConfig(epochs=12, batch_size=32, lr=0.01, probes=[]), run_root=tmp_path,
                      data=data)
    assert trainer.run().status == "completed"
    compiled = trainer.session.compiled
    accuracy = free_running_accuracy(compiled, data.loader("val", 16))["free_running_accuracy"]
    assert accuracy > 0.9
    batch = data.loader("val", 16)[0]
    source = batch.inputs["source"][:1]
    [(tokens, score)] = beam_search(compiled, {"source": source}, BOS, EOS, width=1, max_length=4)
    # The score is the decoded sequence's log-probability: chance over the vocabulary would be far below a
    # quarter (measured: just above 0.5 alone, 0.496 inside the full suite).
    assert tokens == source[0].flip(0).tolist() and score > math.log(0.25)


@settings(max_examples=40, deadline=None)
@given(start=st.floats(0, 1), end=st.floats(0, 1), k=st.floats(1, 50), epochs=st.integers(1, 30),
       kind=st.sampled_from(["constant", "linear", "inverse_sigmoid"]))
def test_schedules_start_where_told_and_never_rise(start, end, k, epochs, kind):
    cfg = TrainingConfig(epochs=epochs, teacher_forcing=start, teacher_forcing_schedule=kind,
                         teacher_forcing_end=min(end, start), teacher_forcing_k=k)
    values = [cfg.teacher_forcing_at(e) for e in range(1, epochs + 1)]
    assert all(0 <= v <= 1 for v in values)
    assert all(b <= a + 1e-12 for a, b in zip(values, values[1:]))
    if kind == "constant":
        assert values == [start] * epochs
    if kind == "linear":
        assert values[0] == start and (epochs == 1 or values[-1] == pytest.approx(min(end, start)))
    if kind == "inverse_sigmoid":
        assert values[0] == pytest.approx(start * k / (k + 1))  # Bengio et al.: k / (k + exp(i / k)), i = 0


def test_scheduled_sampling_uses_each_epochs_probability_and_logs_it(tmp_path, one_torch_thread):  # noqa: F811
    doc = load_document(EXAMPLES / "seq2seq.json")
    spy = SpyOnSampling()
    cfg = TrainingConfig(epochs=3, batch_size=16, lr=0.01, teacher_forcing=1.0, teacher_forcing_schedule="linear",
                         teacher_forcing_end=0.0, probes=[], max_steps_per_epoch=4)
    trainer = Trainer(doc, cfg, run_root=tmp_path, data=copy_data())
    trainer.add_hook(spy)
    result = trainer.run()
    assert result.status == "completed", result.message
    assert [e.train["teacher_forcing"] for e in result.epochs] == [1.0, 0.5, 0.0]
    changed = [(mixed[:, 1:] != true[:, 1:]).float().mean().item() for true, mixed in spy.seen]
    assert max(changed[:4]) == 0.0  # epoch 1: probability 1, every step reads the true token
    assert min(changed[8:]) > 0.5  # epoch 3: probability 0, an untrained decoder reads mostly wrong tokens


def test_a_schedule_needs_an_encoder_decoder(tmp_path):
    with pytest.raises(ConfigError, match="training.teacher_forcing_schedule: must be one of"):
        TrainingConfig(teacher_forcing_schedule="cosine").validate()
    result = Trainer(lm_doc(), TrainingConfig(teacher_forcing_schedule="linear"), run_root=tmp_path,
                     data=lm_data()).run()
    assert result.status == "failed"
    assert "training.teacher_forcing: below 1 (or a schedule) needs an encoder-decoder" in result.message


def test_predictor_translates_typed_text_with_the_beam(tmp_path, one_torch_thread):  # noqa: F811
    from engine.inference import InferenceError, Predictor

    doc = load_document(EXAMPLES / "seq2seq.json")
    doc.data = {**doc.data, "options": {**doc.data["options"], "samples": 200, "max_length": 5}}
    trainer = Trainer(doc, TrainingConfig(epochs=1, batch_size=32, probes=[], max_steps_per_epoch=2),
                      run_root=tmp_path)
    result = trainer.run()
    predictor = Predictor(result.run_dir)
    hypotheses = predictor.translate("3 1 4".replace(" ", ""), beam=3, max_length=6)
    vocab = predictor.meta["vocab"]["target"]
    ids = [vocab.index(c) for c in "314"]
    expected = beam_search(predictor.compiled, {"source": torch.tensor([ids])}, vocab.index("<bos>"),
                           vocab.index("<eos>"), 3, 6)
    assert [text for text, _ in hypotheses] == ["".join(vocab[t] for t in tokens if t != vocab.index("<eos>"))
                                                for tokens, _ in expected]
    assert [p for _, p in hypotheses] == pytest.approx([math.exp(s) for _, s in expected])
    with pytest.raises(InferenceError, match="beam width must be 1 or more"):
        predictor.translate("12", beam=0)
