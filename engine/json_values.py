"""Reading document JSON that no input can break: every number finite and within int64, no lone surrogate,
bounded nesting — each refusal naming the JSON path of the first value that breaks the rule.

``parse_json`` keeps what Python's json would turn into NaN, infinity or a huge integer as a marker;
``value_problem`` reports markers and bad values: one quick pass over a clean document, and a second one that
builds the path only when something is wrong (both iterative: no recursion per level).
"""
from __future__ import annotations

import json
import math
import re
from typing import Any

INT64_MIN, INT64_MAX = -2**63, 2**63 - 1
MAX_DEPTH = 64  # lists and objects inside each other; the examples need 5, and saving recurses per level
_WHOLE_RANGE = "whole numbers must lie between -2^63 and 2^63 - 1"
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Refused:
    """A number the JSON text holds but a document may not (NaN, 1e400, 10**400): reported with its path."""

    __slots__ = ("literal", "message")

    def __init__(self, literal: str, message: str):
        self.literal, self.message = literal, message


def _number_text(literal: str) -> str:
    """The number as the file writes it, or how long it is where that would not fit on a line."""
    digits = len(literal.lstrip("-"))
    if digits <= 24:
        return literal
    if literal.lstrip("-").isdigit():
        return f"a whole number of {digits:,} digits"
    return f"a number of {digits:,} characters"


def _int_text(value: int) -> str:
    if value.bit_length() <= 80:
        return str(value)
    return f"a whole number of about {int(value.bit_length() * math.log10(2)) + 1:,} digits"  # str() refuses 4,300+


def _parse_int(literal: str) -> Any:
    # Python refuses int() of more than 4,300 digits (ValueError inside json.loads), so look at the length first.
    if len(literal) <= 20:
        value = int(literal)
        if INT64_MIN <= value <= INT64_MAX:
            return value
    return _Refused(literal, f"is {_number_text(literal)}: {_WHOLE_RANGE}")


def _parse_float(literal: str) -> Any:
    value = float(literal)
    return value if math.isfinite(value) else _Refused(literal, f"must be a finite number, not {_number_text(literal)}")


def _parse_constant(literal: str) -> Any:  # NaN, Infinity, -Infinity: Python's json accepts them, JSON does not
    return _Refused(literal, f"must be a finite number, not {literal}")


def parse_json(text: str) -> Any:
    """``json.loads`` whose refused numbers stay markers for ``value_problem`` (raises what json.loads raises)."""
    return json.loads(text, parse_int=_parse_int, parse_float=_parse_float, parse_constant=_parse_constant)


def value_problem(value: Any, path: str = "$") -> tuple[str, str] | None:
    """(JSON path, message) of the first value, in document order, that a document may not hold; else None."""
    if _clean([value]):
        return None  # the common case, found without building paths
    return _first_problem(value, path)


def _clean(value: list) -> bool:
    """Whether nothing in ``value`` breaks a rule: scalars checked in place, containers walked without recursion."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if type(item) is dict:
            if not all(type(key) is not str or key.isascii() or not _text_problem(key) for key in item):
                return False
            item = item.values()
        for child in item:
            kind = type(child)
            if kind is str:
                if not child.isascii() and _text_problem(child):
                    return False
            elif kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float:
                if child - child != 0.0:  # NaN and infinities only
                    return False
            elif kind is int:
                if not INT64_MIN <= child <= INT64_MAX:
                    return False
            elif kind is _Refused:
                return False
    return True


def _first_problem(value: Any, path: str) -> tuple[str, str] | None:
    # Each entry: (value, depth, trail) where trail = (parent trail, key or index): paths are built only to report.
    stack: list[tuple[Any, int, Any]] = [(value, 0, None)]
    while stack:
        item, depth, trail = stack.pop()
        kind = type(item)
        if kind is str:
            problem = _text_problem(item)
            if problem:
                return _path(path, trail), problem
        elif kind is dict:
            if depth >= MAX_DEPTH:
                return _path(path, trail), f"is nested more than {MAX_DEPTH} levels deep"
            for key in item:
                problem = _text_problem(key) if isinstance(key, str) else None
                if problem:
                    return _path(path, (trail, key)), problem
            stack.extend((v, depth + 1, (trail, k)) for k, v in reversed(item.items()))
        elif kind is list:
            if depth >= MAX_DEPTH:
                return _path(path, trail), f"is nested more than {MAX_DEPTH} levels deep"
            stack.extend((item[i], depth + 1, (trail, i)) for i in range(len(item) - 1, -1, -1))
        elif kind is _Refused:
            return _path(path, trail), item.message
        elif kind is float:
            if not math.isfinite(item):
                return _path(path, trail), f"must be a finite number, not {item}"
        elif kind is int:
            if not INT64_MIN <= item <= INT64_MAX:
                return _path(path, trail), f"is {_int_text(item)}: {_WHOLE_RANGE}"
    return None


def _text_problem(text: str) -> str | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:  # only a lone surrogate ("\ud800") cannot be encoded
        return f"contains a lone surrogate (\\u{ord(text[err.start]):04x}), which is not text: remove it"
    return None


def key_path(path: str, key: str) -> str:
    """``path.key``, or ``path["odd key"]`` (ASCII-escaped) for a key that is not a plain word."""
    if _PLAIN_KEY.fullmatch(key) and len(key) <= 64:
        return f"{path}.{key}"
    quoted = json.dumps(key if len(key) <= 64 else key[:64] + "…")
    return f"{path}[{quoted}]"


def _path(root: str, trail: Any) -> str:
    steps = []
    while trail is not None:
        trail, step = trail
        steps.append(step)
    path = root
    for step in reversed(steps):
        path = f"{path}[{step}]" if isinstance(step, int) else key_path(path, step)
    return path
