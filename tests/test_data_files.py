"""The user's files: CSV series (columns, window, horizon, scaler fitted on training rows only), CSV/TSV
text classification, plain text LM; a bad file gives one DataError naming file, row and column."""
import pytest
import torch

from engine.data import DataError, prepare_data


def _csv(tmp_path, text, name="series.csv", raw=None):
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _series_binding(path, **options):
    return {"dataset": "csv_series", "options": {"path": str(path), **options}, "split": [0.6, 0.2, 0.2]}


def test_scaler_is_fitted_on_the_training_rows_only(tmp_path):
    rows = "\n".join(f"2024-01-{i + 1:02d},{float(i)},{10.0 * i}" for i in range(10))
    path = _csv(tmp_path, "date,a,b\n" + rows + "\n")
    data = prepare_data(_series_binding(path, window=2, horizon=1))
    scaler = data.meta.scaler
    # The training region is rows 0-5 (60 % of 10): a = 0..5, mean 2.5, population std sqrt(35/12).
    std = (35 / 12) ** 0.5
    assert scaler["columns"] == ["a", "b"]  # the date column is not numeric and is left out
    assert scaler["offset"] == pytest.approx([2.5, 25.0]) and scaler["scale"] == pytest.approx([std, 10 * std])
    first = data.train[0]
    assert torch.allclose(first["inputs"]["window"][:, 0], (torch.tensor([0.0, 1.0]) - 2.5) / std)
    assert torch.allclose(first["targets"]["next"], (torch.tensor([2.0, 20.0]) - torch.tensor([2.5, 25.0])) /
                          torch.tensor([std, 10 * std]))
    # Every window holds its targets in its own split: train targets rows 2-5, val 6-7, test 8-9.
    assert len(data.train) == 4 and len(data.val) == 2 and len(data.test) == 2
    last_test = data.test[len(data.test) - 1]
    assert float(last_test["targets"]["next"][0]) == pytest.approx((9 - 2.5) / std)


def test_chosen_columns_horizon_and_minmax_scaler(tmp_path):
    rows = "\n".join(f"{i},{i * i}" for i in range(20))
    path = _csv(tmp_path, "x,y\n" + rows + "\n")
    data = prepare_data(_series_binding(path, columns="x,y", targets=["y"], window=3, horizon=2, scaler="minmax"))
    batch = next(iter(data.loader("train", 2)))
    assert batch.inputs["window"].shape == (2, 3, 2) and batch.targets["next"].shape == (2, 2)
    assert data.meta.feature_names["next"] == ["y[t+1]", "y[t+2]"]
    assert data.meta.scaler["offset"] == [0.0, 0.0] and data.meta.scaler["scale"] == [11.0, 121.0]


@pytest.mark.parametrize("content,message", [
    ("a,b\n1,2\n3,oops\n", r"series.csv, row 3, column 'b' has 'oops', which is not a number"),
    ("a,b\n1,2\n3,\n", r"series.csv, row 3, column 'b' is empty"),
    ("a,b\n1,2\n3\n", r"series.csv, row 3: 1 cells, but the header has 2 columns"),
    ("", r"series.csv: the file is empty"),
    ("a,b\n", r"series.csv: the file has a header row but no data rows"),
])
def test_bad_series_files_name_file_row_and_column(tmp_path, content, message):
    path = _csv(tmp_path, content)
    with pytest.raises(DataError, match=message):
        prepare_data(_series_binding(path, columns=["a", "b"], window=1))


def test_missing_column_and_missing_file(tmp_path):
    path = _csv(tmp_path, "a,b\n1,2\n3,4\n")
    with pytest.raises(DataError, match=r"series.csv, row 1 \(header\): no column 'price'; the columns are a, b"):
        prepare_data(_series_binding(path, columns=["a", "price"], window=1))
    with pytest.raises(DataError, match="nothere.csv: no such file"):
        prepare_data(_series_binding(tmp_path / "nothere.csv", window=1))


def test_undecodable_bytes_name_row_and_column(tmp_path):
    path = _csv(tmp_path, None, raw=b"text,label\nfine,1\ncaf\xe9 au lait,0\n")
    with pytest.raises(DataError, match=r"series.csv, row 3, column 'text': byte 0xe9 is not UTF-8 text"):
        prepare_data({"dataset": "csv_text", "options": {"path": str(path)}})


def test_text_classification_with_word_and_char_tokenizers(tmp_path):
    lines = ["text\tlabel"] + [f"good film {i}\tpos" for i in range(8)] + [f"bad film {i}\tneg" for i in range(8)]
    _csv(tmp_path, "\n".join(lines) + "\n", name="reviews.tsv")
    binding = {"dataset": "csv_text", "options": {"path": "reviews.tsv", "min_freq": 3}, "split": [0.5, 0.25, 0.25]}
    data = prepare_data(binding, base_dir=tmp_path)  # a relative path is read beside the document
    assert data.meta.labels["label"] == ["neg", "pos"]
    vocab = data.meta.vocab["text"]
    assert vocab[:2] == ["<pad>", "<unk>"] and "film" in vocab and "3" not in vocab  # digits seen once: <unk>
    sample = data.train[0]
    assert sample["inputs"]["text"].tolist()[2] == 1 and int(sample["lengths"]["text"]) == 3
    chars = prepare_data({**binding, "options": {"path": "reviews.tsv", "tokenizer": "char", "max_length": 4}},
                         base_dir=tmp_path)
    assert set(chars.meta.vocab["text"]) >= {"g", "o", "d", " "} and int(chars.train[0]["lengths"]["text"]) == 4


def test_text_classification_errors(tmp_path):
    path = _csv(tmp_path, "review,label\nnice,1\n,0\n", name="r.csv")
    with pytest.raises(DataError, match=r"r.csv, row 1 \(header\): no column 'text'; the columns are review, label"):
        prepare_data({"dataset": "csv_text", "options": {"path": str(path)}})
    with pytest.raises(DataError, match=r"r.csv, row 3, column 'review' is empty"):
        prepare_data({"dataset": "csv_text", "options": {"path": str(path), "text_column": "review"}})


def test_plain_text_language_model(tmp_path):
    path = _csv(tmp_path, "abcabcabcabcabcabcabcabcabc", name="book.txt")
    data = prepare_data({"dataset": "text_file", "options": {"path": str(path), "length": 4}, "split": [0.5, 0.25, 0.25]})
    vocab = data.meta.vocab["chars"]
    assert vocab[:2] == ["<pad>", "<unk>"] and sorted(vocab[2:]) == ["a", "b", "c"]
    assert sum(data.info.samples.values()) == 6  # (27 - 1) // 4 chunks
    for i in range(len(data.train)):
        x, y = data.train[i]["inputs"]["chars"], data.train[i]["targets"]["next_chars"]
        assert [vocab[k] for k in y.tolist()] == [{"a": "b", "b": "c", "c": "a"}[vocab[k]] for k in x.tolist()]


def test_a_character_vocabulary_is_capped_by_the_model_input(tmp_path):
    from engine.compiler import compile_graph
    from engine.graph import Graph

    path = _csv(tmp_path, "aaaaabbbbcccdde" * 4, name="book.txt")
    g = Graph()
    nodes = [g.add_node("token_input", name="chars", params={"vocab_size": 5}),
             g.add_node("embedding", params={"vocab_size": 5, "dim": 3}), g.add_node("gru", params={"hidden_size": 3}),
             g.add_node("dense", params={"units": 5}), g.add_node("language_model_head", name="next")]
    for a, b in zip(nodes, nodes[1:]):
        g.connect(a.id, a.spec.outputs[0].name, b.id, b.spec.inputs[0].name)
    data = prepare_data({"dataset": "text_file", "options": {"path": str(path), "length": 6},
                         "inputs": {"chars": "chars"}, "targets": {"next": "next_chars"}}, compile_graph(g))
    assert data.meta.vocab["chars"] == ["<pad>", "<unk>", "a", "b", "c"]  # d and e, the rarest, read as <unk>
    assert int(data.train[0]["inputs"]["chars"].max()) < 5
