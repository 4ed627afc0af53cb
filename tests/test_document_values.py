"""The one pass over parsed JSON (engine.json_values) against a plain recursive reading of the same rules.

Its fast path (no paths built) and its ordered path must agree with the reference on any value: the same
first problem, at the same JSON path, in document order.
"""
from __future__ import annotations

import json
import math

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.json_values import INT64_MAX, INT64_MIN, MAX_DEPTH, key_path, parse_json, value_problem

SURROGATE = "contains a lone surrogate"


def reference(value, path="$", depth=0):
    """The rules, read recursively: first problem in document order, or None."""
    if isinstance(value, str):
        bad = next((c for c in value if "\ud800" <= c <= "\udfff"), None)
        return (path, f"{SURROGATE} (\\u{ord(bad):04x}), which is not text: remove it") if bad else None
    if isinstance(value, (dict, list)) and depth >= MAX_DEPTH:
        return path, f"is nested more than {MAX_DEPTH} levels deep"
    if isinstance(value, dict):
        for key, item in value.items():
            here = key_path(path, key)
            found = reference(key, here) or reference(item, here, depth + 1)
            if found:
                return found
        return None
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = reference(item, f"{path}[{i}]", depth + 1)
            if found:
                return found
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, f"must be a finite number, not {value}"
    if isinstance(value, int) and not isinstance(value, bool) and not INT64_MIN <= value <= INT64_MAX:
        return path, f"is {value}: whole numbers must lie between -2^63 and 2^63 - 1"
    return None


text = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=4)
scalars = st.one_of(st.none(), st.booleans(), st.floats(), st.integers(min_value=-(2**66), max_value=2**66), text)
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                      max_leaves=12)


def nested(value, depth: int):
    for _ in range(depth):
        value = [value]
    return value


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_the_one_pass_finds_what_the_recursive_reading_finds(value):
    assert value_problem(value) == reference(value)


@settings(max_examples=60, deadline=None)
@given(value=values, depth=st.integers(min_value=MAX_DEPTH - 3, max_value=MAX_DEPTH + 2),
       after=st.booleans())
def test_depth_is_counted_like_the_reference_near_the_limit(value, depth, after):
    document = {"ok": 1, "deep": nested(value, depth)} if after else {"deep": nested(value, depth), "ok": 1}
    assert value_problem(document) == reference(document)


@settings(max_examples=60, deadline=None)
@given(value=values)
def test_parsed_text_gives_the_same_answer_as_python_values(value):
    text = json.dumps(value)  # NaN and Infinity written as Python's json writes them
    problem = value_problem(parse_json(text))
    expected = reference(value)
    if expected is None:
        assert problem is None
    else:
        assert problem[0] == expected[0]  # the message quotes the literal the file wrote ("NaN", not "nan")
