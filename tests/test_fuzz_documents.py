"""Property-based fuzzing of the document format and of `rnn-studio check`: no input breaks them.

The examples are mutated with hostile values (huge whole numbers, NaN and Infinity, 1e400, lone surrogates,
wrong types, deep nesting, odd names, missing and extra keys). ``loads`` returns a Document or raises
DocumentError, nothing else; whatever loads saves and reloads to the same bytes and analyzes without raising;
`check` exits 0, 1 or 2, with one line on stderr for 2 and never a traceback.
"""
from __future__ import annotations

import contextlib
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import analyze
from engine.cli import main
from engine.document import Document, DocumentError, loads

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))
EXAMPLE_DATA = [json.loads(p.read_text(encoding="utf-8")) for p in EXAMPLES]
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class Raw:
    """A JSON literal written as is (json cannot write 5,000-digit numbers or unbalanced nesting itself)."""

    def __init__(self, text: str):
        self.text = text


RAW_NUMBERS = ["NaN", "Infinity", "-Infinity", "1e400", "-1e400", "9" * 5000, "-" + "9" * 4400, "1" + "0" * 400,
               str(2**63), str(-2**63 - 1), str(2**63 - 1), "1e-400", "-0.0", "0.1e1"]
ODD_NAMES = ["metadata", "torch", "self", "F", "nn", "operator", "lstm\n", "lstm ", "", "x" * 65, "class", "input",
             "sum", "__init__", "x_lengths", "tokens", "n1", "2nd", "naïve", "training", "\x00", "a-b"]
SURROGATES = ["\ud800", "a\udfffb", "\udc00\ud800", "ok \ud83d"]


def json_values(depth: int = 2):
    scalars = st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=12),
        st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=6),  # surrogates included
        st.sampled_from(ODD_NAMES + SURROGATES),
        st.sampled_from(RAW_NUMBERS).map(Raw),
        st.integers(min_value=1, max_value=3000).map(lambda d: Raw("[" * d + "]" * d)),
        st.integers(min_value=60, max_value=200).map(lambda d: Raw('{"a": ' * d + "1" + "}" * d)),
    )
    if depth == 0:
        return scalars
    inner = json_values(depth - 1)
    return st.one_of(scalars, st.lists(inner, max_size=3),
                     st.dictionaries(st.one_of(st.text(max_size=6), st.sampled_from(SURROGATES)), inner, max_size=3))


def places(data) -> list[tuple]:
    """Every path (keys and indices) to a value inside ``data``, the root included."""
    found, todo = [], [((), data)]
    while todo:
        path, value = todo.pop()
        found.append(path)
        if isinstance(value, dict):
            todo += [((*path, k), v) for k, v in value.items()]
        elif isinstance(value, list):
            todo += [((*path, i), v) for i, v in enumerate(value)]
    return found


def mutate(data, draw):
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        everywhere = places(data)
        in_blocks = [path for path in everywhere if path[:2] == ("graph", "nodes")]
        # Half of the changes hit the blocks (ids, names, kinds, params, positions), where most rules are.
        where = draw(st.sampled_from(in_blocks if in_blocks and draw(st.booleans()) else everywhere))
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "add"]))
        if not where:
            if action == "replace":
                data = draw(json_values())
            continue
        parent = data
        for key in where[:-1]:
            parent = parent[key]
        last = where[-1]
        if action == "replace":
            parent[last] = draw(json_values())
        elif action == "delete":
            del parent[last]
        elif isinstance(parent[last], dict):
            parent[last][draw(st.sampled_from(["id", "name", "pos", "params", "extra", "\ud800", "edges"]))] = \
                draw(json_values())
        elif isinstance(parent[last], list):
            parent[last].append(draw(json_values()))
    return data


def to_text(data, ascii_only: bool) -> str:
    raws: list[str] = []

    def swap(value):
        if isinstance(value, Raw):
            raws.append(value.text)
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(value, dict):
            return {k: swap(v) for k, v in value.items()}
        if isinstance(value, list):
            return [swap(v) for v in value]
        return value

    text = json.dumps(swap(data), indent=1, ensure_ascii=ascii_only)
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', raw)
    return text


@st.composite
def hostile_documents(draw):
    data = json.loads(json.dumps(draw(st.sampled_from(EXAMPLE_DATA))))
    return to_text(mutate(data, draw), ascii_only=draw(st.booleans()))


def assert_one_line(text: str) -> None:
    assert "\n" not in text.rstrip("\n") and "Traceback" not in text


@settings(FAST, max_examples=250)
@given(text=hostile_documents())
def test_loads_returns_a_document_or_raises_document_error(text):
    try:
        doc = loads(text, "fuzz.json")
    except DocumentError as err:
        assert err.where == "fuzz.json"
        assert_one_line(str(err))
        return
    assert isinstance(doc, Document)
    once = doc.dumps()
    once.encode("utf-8")  # what save_document writes: a document that loads can be saved
    assert loads(once).dumps() == once  # whatever loads saves and reloads to the same bytes
    report = analyze(doc.graph)
    for diagnostic in report.diagnostics:
        assert_one_line(diagnostic.message)


@settings(FAST, max_examples=80)
@given(text=hostile_documents(), encoding_errors=st.sampled_from(["surrogatepass", "replace"]))
def test_check_exits_0_1_or_2_with_one_line_and_no_traceback(text, encoding_errors):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.json"
        path.write_bytes(text.encode("utf-8", errors=encoding_errors))  # raw surrogates make invalid UTF-8
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", str(path)])
    assert code in (0, 1, 2)
    if code == 2:
        assert err.getvalue().startswith(f"error: {path}: ") and out.getvalue() == ""
        assert_one_line(err.getvalue())
    else:
        assert err.getvalue() == "" and "Traceback" not in out.getvalue()


@settings(FAST, max_examples=60)
@given(data=st.data())
def test_any_document_that_loads_round_trips_byte_for_byte(data):
    base = json.loads(json.dumps(data.draw(st.sampled_from(EXAMPLE_DATA))))
    # Only value changes that may well be valid: text, numbers and positions a learner could type.
    node = data.draw(st.sampled_from(base["graph"]["nodes"]))
    node["pos"] = data.draw(st.lists(st.floats(min_value=-1e9, max_value=1e9) | st.integers(-10**6, 10**6),
                                     min_size=2, max_size=2))
    base["description"] = data.draw(st.text(max_size=40))
    base["training"][data.draw(st.text(max_size=8))] = data.draw(json_values(depth=1))
    text = to_text(base, ascii_only=data.draw(st.booleans()))
    try:
        doc = loads(text)
    except DocumentError:
        return  # a hostile value reached the training section: refused, as the other tests check
    once = doc.dumps()
    assert loads(once).dumps() == once
