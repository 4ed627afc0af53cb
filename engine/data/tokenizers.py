"""Tokenizers and vocabularies: word- or character-level, with <pad>=0 and <unk>=1, a size cap and a
minimum frequency. A vocabulary is fitted on the training split only and stored in DataMeta.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Iterable

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"

# Words, numbers, contractions kept whole ("don't"), and each punctuation mark as its own token.
# The patterns are public so that exported models can carry the exact rule (Python ``re`` syntax).
WORD_PATTERN = r"[^\W_]+(?:'[^\W_]+)?|[^\w\s]"
CHAR_PATTERN = r"(?s)."  # every character, line breaks included: the same as list(text)
PATTERNS = {"word": WORD_PATTERN, "char": CHAR_PATTERN}
_WORD = re.compile(WORD_PATTERN, re.UNICODE)


def word_tokens(text: str, lowercase: bool = True) -> list[str]:
    return _WORD.findall(text.lower() if lowercase else text)


def char_tokens(text: str, lowercase: bool = False) -> list[str]:
    return list(text.lower() if lowercase else text)


TOKENIZERS = {"word": word_tokens, "char": char_tokens}


def describe(name: str, lowercase: bool = True, max_length: int | None = None,
             special_tokens: dict[str, int] | None = None) -> dict:
    """The tokenizer rule as JSON-able data, enough to reproduce the ids with ``re`` alone:
    ``tokens = re.findall(pattern, text.lower() if lowercase else text)[:max_length]``, each token's id is its
    index in the vocabulary (``unk_id`` when absent), and a text without tokens reads as ``[unk_id]``."""
    tokenizer(name)  # refuses an unknown name
    ids = dict(special_tokens or {})
    return {"tokenizer": name, "pattern": PATTERNS[name], "lowercase": bool(lowercase),
            "max_length": None if max_length in (None, 0) else int(max_length),
            "pad_id": ids.get(PAD), "unk_id": ids.get(UNK), "bos_id": ids.get(BOS), "eos_id": ids.get(EOS)}


def tokenizer(name: str):
    if name not in TOKENIZERS:
        from .base import DataError

        raise DataError(f"unknown tokenizer '{name}': choose word or char")
    return TOKENIZERS[name]


@dataclass
class Vocabulary:
    """Token <-> id. Special tokens come first (<pad> is always 0); unknown tokens map to <unk> when present."""

    tokens: list[str]
    specials: tuple[str, ...] = (PAD, UNK)
    index: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def build(cls, sequences: Iterable[list[str]], max_size: int | None = None, min_freq: int = 1,
              specials: tuple[str, ...] = (PAD, UNK)) -> "Vocabulary":
        """Most frequent tokens first (ties in first-seen order, so the result is deterministic)."""
        counts: Counter[str] = Counter()
        for seq in sequences:
            counts.update(seq)
        room = None if max_size is None else max(int(max_size) - len(specials), 0)
        kept = [t for t, c in counts.most_common() if c >= min_freq and t not in specials]
        return cls(list(specials) + (kept if room is None else kept[:room]), tuple(specials))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return self.index[PAD]

    @property
    def unk_id(self) -> int | None:
        return self.index.get(UNK)

    def encode(self, tokens: list[str]) -> list[int]:
        unk = self.unk_id
        if unk is None:
            return [self.index[t] for t in tokens]
        get = self.index.get
        return [get(t, unk) for t in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.tokens[i] for i in ids]

    def special_ids(self) -> dict[str, int]:
        return {t: self.index[t] for t in self.specials}
