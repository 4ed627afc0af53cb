"""A word model's export carries the studio's exact tokenizer rule, and the README's recipe (``re`` and the
metadata only) gives exactly the studio's ids for the sentiment example's vocabulary, punctuation included."""
import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import compile_graph
from engine.data import prepare_data
from engine.data.tokenizers import CHAR_PATTERN, WORD_PATTERN, Vocabulary, describe, tokenizer
from engine.document import load_document
from engine.export import export_model
from engine.export.common import tokenization_rules
from engine.export.torchscript import read_metadata
from test_export_formats import make_run

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "It's not bad -- it's great!", "A smart, funny film.", "Don't waste your money; it's dull.",
    "The plot (what there is of it) drags.", "Two hours?! Felt like five.", "A 10/10 performance by De Niro.",
    '"Brilliant," said nobody.', "Well-acted, but the script... ugh", "An instant classic",
    "I laughed, I cried, I left.", "Rock-solid entertainment: see it.", "Why? Because it's fun.",
    "The director's best work since 1999.", "Too long - and too loud", "Un film magnifique, très beau !",
    "Zero stars... no, minus one.", "MEH. Just meh.", "Don\u2019t bother", "", "?!",
]


@pytest.fixture(scope="module")
def sentiment(tmp_path_factory):
    """The sentiment example prepared by the studio, with a run whose data_meta.json is the real one, exported
    to sentiment.pt (the README's file name)."""
    root = tmp_path_factory.mktemp("tokenization")
    doc_path = root / "sentiment.json"
    doc_path.write_text((ROOT / "examples" / "sentiment.json").read_text())
    doc = load_document(doc_path)
    prepared = prepare_data(doc.data, compile_graph(doc.graph), root)
    run = make_run(doc_path)
    (run / "data_meta.json").write_text(json.dumps(prepared.meta.to_dict()))
    report = export_model(doc, None, "torchscript", root / "sentiment.pt")
    assert report.ok, report.summary()
    return root, prepared


def studio_ids(prepared, text: str) -> list[int]:
    """How engine.data.prepare turns a text field into ids (tokenize, cut at max_length, encode; empty: <unk>)."""
    settings_ = prepared.meta.tokenization["tokens"]
    vocab = Vocabulary(prepared.meta.vocab["tokens"])
    words = tokenizer(settings_["tokenizer"])(text, settings_["lowercase"])[: settings_["max_length"]]
    return vocab.encode(words) or [vocab.unk_id]


def readme_recipe() -> str:
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    (block,) = [b for b in blocks if "def encode(text)" in b]
    return block


def test_the_export_carries_the_exact_word_rule(sentiment):
    root, _ = sentiment
    meta = read_metadata(root / "sentiment.pt")
    assert meta["tokenization"] == {"tokens": {
        "tokenizer": "word", "pattern": WORD_PATTERN, "lowercase": True, "max_length": 60,
        "pad_id": 0, "unk_id": 1, "bos_id": None, "eos_id": None}}
    assert meta["data"]["tokenization"] == {"tokens": {"tokenizer": "word", "lowercase": True, "max_length": 60}}


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.load's own notice
def test_the_readme_recipe_gives_the_studios_ids(sentiment, monkeypatch, capsys):
    root, prepared = sentiment
    monkeypatch.chdir(root)
    namespace: dict = {}
    exec(readme_recipe(), namespace)  # the README's own code, as a reader would run it
    assert 0.0 <= float(capsys.readouterr().out.strip()) <= 1.0
    encode = namespace["encode"]
    assert [encode(s) for s in SENTENCES] == [studio_ids(prepared, s) for s in SENTENCES]
    # The sentences are a real test: splitting on spaces would get most of them wrong.
    index = {t: i for i, t in enumerate(prepared.meta.vocab["tokens"])}
    by_spaces = [[index.get(w, 1) for w in s.lower().split()] or [1] for s in SENTENCES]
    assert sum(a != b for a, b in zip(by_spaces, map(encode, SENTENCES))) >= 15
    # ... and on the reviews the studio trained with, the recipe reproduces the prepared ids.
    from engine.data.builtin import _reviews

    texts = _reviews()[0]
    for position in range(0, len(prepared.train), 40):
        sample = prepared.train[position]
        assert encode(texts[int(prepared.train.rows[position])]) == sample["inputs"]["tokens"].tolist()


def _recipe(rule: dict, vocab: list[str]):
    index = {t: i for i, t in enumerate(vocab)}

    def encode(text):
        words = re.findall(rule["pattern"], text.lower() if rule["lowercase"] else text)[: rule["max_length"]]
        return [index.get(w, rule["unk_id"]) for w in words] or [rule["unk_id"]]
    return encode


@settings(max_examples=150, deadline=None)
@given(text=st.text(st.characters(exclude_categories=("Cs",)), max_size=40), name=st.sampled_from(["word", "char"]),
       lowercase=st.booleans(), max_length=st.sampled_from([None, 0, 3]))
def test_the_described_rule_tokenizes_any_text_like_the_studio(text, name, lowercase, max_length):
    vocab = Vocabulary(["<pad>", "<unk>", "a", "b", "don't", ",", "é", "ß", "!", " ", "A"])
    rule = describe(name, lowercase, max_length, vocab.special_ids())
    words = tokenizer(name)(text, lowercase)[: max_length or None]
    assert _recipe(rule, vocab.tokens)(text) == (vocab.encode(words) or [vocab.unk_id])


def test_rules_are_completed_per_input_and_unknown_tokenizers_pass_through():
    meta = {"tokenization": {"source": {"tokenizer": "char", "lowercase": None, "max_length": 0},
                             "target": {"tokenizer": "bpe", "lowercase": False}},
            "special_tokens": {"source": {"<pad>": 0, "<unk>": 1, "<bos>": 2, "<eos>": 3}}}
    assert tokenization_rules(meta) == {
        "source": {"tokenizer": "char", "pattern": CHAR_PATTERN, "lowercase": True, "max_length": None,
                   "pad_id": 0, "unk_id": 1, "bos_id": 2, "eos_id": 3},
        "target": {"tokenizer": "bpe", "lowercase": False}}
    assert tokenization_rules({}) is None
