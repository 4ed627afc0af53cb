"""Predictor: a trained run classifies, generates and forecasts without Qt, reading text exactly as training did,
and its numbers equal the checkpoint's own forward pass."""
from __future__ import annotations

import pytest
import torch
from hypothesis import given, settings, strategies as st

from engine.compiler import compile_graph
from engine.data import prepare_data
from engine.document import Document
from engine.inference import InferenceError, Predictor
from engine.training import Run, Trainer, TrainingConfig
from engine.training.checkpoints import load_checkpoint
from test_training_support import chain

WORDS = {"pos": ["good", "great", "fine", "nice"], "neg": ["bad", "awful", "poor", "sad"],
         "meh": ["okay", "so", "average", "plain"]}
FAST = {"batch_size": 16, "lr": 0.02, "probes": [], "seed": 0}


def train(document, **config):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models train as fast on one thread
    try:
        result = Trainer(document, TrainingConfig(**{**FAST, **config})).run()
    finally:
        torch.set_num_threads(threads)
    assert result.status == "completed", result.message
    return result.run_dir


@pytest.fixture(scope="module")
def classifier_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classifier")
    rows = ["review,verdict"] + [f"{WORDS[label][i % 4].upper()} film number {i} indeed,{label}"
                                 for i in range(90) for label in [list(WORDS)[i % 3]]]
    (folder / "reviews.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    graph = chain([("token_input", {"vocab_size": 120}), ("embedding", {"vocab_size": 120, "dim": 8}),
                   ("gru", {"hidden_size": 16}), ("pooling", {"mode": "mean"}),
                   ("dense", {"units": 3, "activation": "softmax"}), ("classification_head", {"mode": "multiclass"})],
                  names=["review", "embedding", "gru", "pool", "dense", "verdict"])
    document = Document(graph=graph, path=folder / "reviews.json")
    # max_length 3 cuts "indeed" (and the number) off: the predictor must cut the same way.
    document.data = {"dataset": "csv_text", "options": {"path": "reviews.csv", "text_column": "review",
                                                        "label_column": "verdict", "max_length": 3},
                     "split": [0.6, 0.2, 0.2]}
    return train(document, epochs=6)


@pytest.fixture(scope="module")
def language_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("language")
    (folder / "corpus.txt").write_text("hello world. " * 120, encoding="utf-8")
    graph = chain([("token_input", {"vocab_size": 16}), ("embedding", {"vocab_size": 16, "dim": 8}),
                   ("gru", {"hidden_size": 24}), ("dense", {"units": 16, "activation": "none"}),
                   ("language_model_head", {})], names=["chars", "embedding", "gru", "dense", "next_char"])
    document = Document(graph=graph, path=folder / "corpus.json")
    document.data = {"dataset": "text_file", "options": {"path": "corpus.txt", "length": 16},
                     "split": [0.8, 0.1, 0.1], "inputs": {"chars": "chars"}, "targets": {"next_char": "next_chars"}}
    return train(document, epochs=4)


@pytest.fixture(scope="module")
def forecast_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast")
    graph = chain([("feature_input", {"features": 1}), ("lstm", {"hidden_size": 8}), ("pooling", {"mode": "last"}),
                   ("dense", {"units": 1, "activation": "none"}), ("regression_head", {"loss": "mse"})],
                  names=["series", "lstm", "pool", "dense", "forecast"])
    document = Document(graph=graph, path=folder / "waves.json")
    document.data = {"dataset": "sine", "options": {"length": 12, "samples": 160}, "split": [0.6, 0.2, 0.2]}
    return train(document, epochs=2)


# ---------------------------------------------------------------------------------------------- classification
def test_text_is_tokenized_exactly_as_in_training(classifier_run):
    predictor = Predictor(classifier_run)
    assert predictor.tokenization == {"tokenizer": "word", "lowercase": True, "max_length": 3}
    data = prepare_data(predictor.document.data, predictor.compiled, predictor.base_dir)
    texts = (predictor.base_dir / "reviews.csv").read_text().splitlines()[1:]
    for split in (data.train, data.val):
        for position in range(len(split)):
            text = texts[int(split.rows[position])].rsplit(",", 1)[0]
            ids = split[position]["inputs"]["review"].tolist()
            assert predictor.encode(text) == ids
    assert predictor.encode("GOOD film") == predictor.encode("good film")
    assert predictor.encode("") == [predictor.index["<unk>"]]  # an empty text reads as <unk>, as in training
    assert predictor.encode("zebra") == [predictor.index["<unk>"]]


def test_class_probabilities_equal_the_checkpoint_forward_pass(classifier_run):
    predictor = Predictor(classifier_run)
    ids = predictor.encode("great film number")
    probs = predictor.classify_ids(ids)
    assert sorted(name for name, _ in probs) == ["meh", "neg", "pos"]
    assert [p for _, p in probs] == sorted((p for _, p in probs), reverse=True)
    run = Run(classifier_run)
    model = compile_graph(run.read_document().graph).module
    load_checkpoint(model, run.checkpoint("best"))
    model.eval()
    with torch.no_grad():
        expected = model(torch.tensor([ids]), torch.tensor([len(ids)]))[0].tolist()
    labels = run.read_meta()["labels"]["verdict"]
    assert dict(probs) == dict(zip(labels, expected))
    assert predictor.classify_text("great film number") == probs


def test_the_trained_classifier_reads_the_class_words(classifier_run):
    predictor = Predictor(classifier_run)
    right = sum(predictor.classify_text(f"{word} film")[0][0] == label for label, words in WORDS.items()
                for word in words)
    assert right >= 9  # of 12; chance is 4


def test_validation_samples_show_text_label_and_probabilities(classifier_run):
    predictor = Predictor(classifier_run)
    text, label, probs = predictor.validation_sample(0)
    assert label in WORDS and text.split()[1] == "film" and len(text.split()) == 3
    assert probs == predictor.classify_text(text)
    assert predictor.validation_sample(len(predictor.data().val)) == (text, label, probs)  # wraps around


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40))
def test_any_typed_text_gives_a_distribution(classifier_run, text):
    predictor = _cached(classifier_run)
    ids = predictor.encode(text)
    assert 1 <= len(ids) <= 3 and all(0 <= i < len(predictor.vocab) for i in ids)
    probs = predictor.classify_text(text)
    assert sum(p for _, p in probs) == pytest.approx(1.0, abs=1e-5)


_PREDICTORS: dict = {}


def _cached(run_dir) -> Predictor:
    if run_dir not in _PREDICTORS:
        _PREDICTORS[run_dir] = Predictor(run_dir)
    return _PREDICTORS[run_dir]


def test_inputs_that_do_not_apply_are_refused_with_the_reason(classifier_run, forecast_run, tmp_path):
    predictor = _cached(classifier_run)
    with pytest.raises(InferenceError, match="generate applies to language models; this run's task is "
                                             "classification"):
        predictor.generate("good")
    with pytest.raises(InferenceError, match="forecast applies to forecasting and regression models"):
        predictor.forecast()
    with pytest.raises(InferenceError, match=rf"token id 999 is outside the vocabulary of input 'review' "
                                             rf"\(ids 0\.\.{len(predictor.vocab) - 1}\)"):
        predictor.classify_ids([2, 999])
    with pytest.raises(InferenceError, match="text needs a model that reads token ids; its input 'series' reads "
                                             "a feature sequence"):
        Predictor(forecast_run).encode("hello")
    # A run that has not finished its first epoch has no checkpoint yet.
    run = Run(tmp_path / "runs" / "x" / "20260101-000000")
    run.checkpoints().mkdir(parents=True)
    run.document().write_text(Run(classifier_run).document().read_text())
    with pytest.raises(InferenceError, match="no checkpoint yet"):
        Predictor(run)


# ---------------------------------------------------------------------------------------------- generation
def test_generation_continues_the_prompt_with_corpus_characters(language_run):
    predictor = Predictor(language_run)
    assert predictor.tokenization["tokenizer"] == "char"
    text = predictor.generate("hel", temperature=0.3, length=30, seed=1)
    assert text.startswith("hel") and len(text) == 33
    assert set(text) <= set("helo wrd.")  # never <pad> or <unk>
    assert predictor.generate("hel", temperature=0.3, length=30, seed=1) == text  # a seed repeats its text
    assert predictor.generate("hel", length=0) == "hel"


# ---------------------------------------------------------------------------------------------- forecast
def test_forecast_pairs_each_validation_target_with_the_model_prediction(forecast_run):
    predictor = Predictor(forecast_run)
    actual, predicted = predictor.forecast()
    data = predictor.data()
    assert len(actual) == len(predicted) == len(data.val)
    targets = torch.stack([data.val[i]["targets"]["forecast"].reshape(-1)[0] for i in range(len(data.val))])
    assert actual.tolist() == targets.tolist()
    sample = data.val[0]
    with torch.no_grad():
        first = predictor.module(sample["inputs"]["series"][None], sample["lengths"]["series"][None])
    assert predicted[0] == pytest.approx(float(first.reshape(-1)[0]), abs=1e-6)


def test_a_run_written_elsewhere_still_finds_the_documents_data(classifier_run, tmp_path):
    """A run under `--out DIR` reads the document's relative data paths from the document's own folder."""
    import shutil

    moved = tmp_path / "elsewhere" / "reviews" / classifier_run.name
    shutil.copytree(classifier_run, moved)
    predictor = Predictor(moved)
    assert predictor.base_dir == classifier_run.parent.parent.parent.resolve()
    assert predictor.validation_sample(0) == Predictor(classifier_run).validation_sample(0)


def test_a_run_trained_on_data_given_in_code_still_classifies(tmp_path):
    from test_training_loop import classifier_doc
    from test_training_support import token_class_data

    result = Trainer(classifier_doc(), TrainingConfig(epochs=1, **FAST), run_root=tmp_path,
                     data=token_class_data()).run()
    predictor = Predictor(result.run_dir)
    assert predictor.task == "classification"  # from the head: such a run has no data meta
    with pytest.raises(InferenceError, match=r"data_meta\.json has no vocabulary for input 'tokens' \(the run was "
                                             r"trained on data given in code\): text cannot become its ids"):
        predictor.encode("hello")
    probs = predictor.classify_ids([3, 1, 2])  # ids still work; labels are the class numbers
    assert sorted(name for name, _ in probs) == ["0", "1", "2"]
    with pytest.raises(InferenceError, match=r"token id 12 is outside the vocabulary of input 'tokens' \(ids 0\.\.11\)"):
        predictor.classify_ids([12])
    with pytest.raises(InferenceError, match="the document has no data binding to take samples from"):
        predictor.validation_sample(0)


@pytest.mark.parametrize("activation", ["softmax", "none"])
def test_probabilities_follow_the_activation_through_a_dropout_before_the_head(tmp_path, activation):
    """A Dropout between the softmax Dense and the head passes the probabilities on: Try it must not apply
    softmax a second time (the head's loss does not either); without an activation it must apply it once."""
    from test_training_support import token_class_data

    graph = chain([("token_input", {"vocab_size": 12}), ("embedding", {"vocab_size": 12, "dim": 8}),
                   ("gru", {"hidden_size": 16}), ("pooling", {"mode": "mean"}),
                   ("dense", {"units": 3, "activation": activation}), ("dropout", {"rate": 0.5}),
                   ("classification_head", {"mode": "multiclass"})],
                  names=["tokens", "embedding", "gru", "pool", "dense", "dropout", "label"])
    result = Trainer(Document(graph=graph), TrainingConfig(epochs=1, **FAST), run_root=tmp_path,
                     data=token_class_data()).run()
    predictor = Predictor(result.run_dir)
    ids = [3, 1, 2, 1]
    model = compile_graph(graph).module
    load_checkpoint(model, Run(result.run_dir).checkpoint("best"))
    model.eval()
    with torch.no_grad():
        output = model(torch.tensor([ids]), torch.tensor([len(ids)]))[0]
    expected = output if activation == "softmax" else torch.softmax(output, -1)
    probs = dict(predictor.classify_ids(ids))
    assert [probs[str(i)] for i in range(3)] == pytest.approx(expected.tolist(), abs=1e-6)
