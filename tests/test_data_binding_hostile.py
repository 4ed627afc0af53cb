"""A document's data binding written by hand or on purpose: any dataset name, block mapping, split or seed either
prepares data or is refused with one short line, by prepare_data and by the fit checks alike (property tests)."""
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.compiler import compile_graph
from engine.data import DataError, prepare_data
from engine.data.checks import fit_problems
from engine.document import load_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
FAST = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Text that breaks a line (each of these ends one for str.splitlines), and text far too long to read in a message.
TEXT = st.one_of(st.text(alphabet="ab_\n\r\t\x0b\x0c\x1c\x85\u2028\x00'", max_size=6),
                 st.sampled_from(["sequence", "sum", "x", "adding"]), st.integers(200, 5000).map(lambda n: "d" * n))
VALUE = st.one_of(TEXT, st.integers(-2**63, 2**63 - 1), st.floats(allow_nan=False), st.none(), st.booleans(),
                  st.lists(st.integers(0, 9), max_size=2000))


def _one_line(message: str) -> None:
    assert message and len(message.splitlines()) == 1 and len(message) < 600, message


@st.composite
def bindings(draw):
    binding = {"dataset": draw(st.sampled_from(["adding"]) | TEXT), "options": {"length": 5, "samples": 40}}
    for key in ("inputs", "targets"):
        if draw(st.booleans()):
            binding[key] = draw(st.dictionaries(TEXT, VALUE, max_size=2) | VALUE)
    for key in ("split", "seed"):
        if draw(st.booleans()):
            binding[key] = draw(VALUE)
    return binding


@FAST
@given(binding=bindings())
def test_any_binding_prepares_or_is_refused_with_one_short_line(binding):
    doc = load_document(EXAMPLES / "adding_rnn.json")
    doc.data = binding
    for problem in fit_problems(doc):
        _one_line(problem.message)
    try:
        prepare_data(binding, compile_graph(doc.graph))
    except DataError as err:
        _one_line(str(err))


def test_a_dataset_name_or_mapping_with_a_newline_is_quoted_on_one_line():
    doc = load_document(EXAMPLES / "adding_rnn.json")
    model = compile_graph(doc.graph)
    doc.data = {"dataset": "add\ning"}
    assert [p.message for p in fit_problems(doc)] == [
        "unknown dataset 'add\\ning'; the datasets are adding, copy, repeats, sine, reverse, sentiment, names, "
        "digits, sunspots, co2, kjv, csv_series, csv_text, text_file"]
    for binding, message in [
        ({"inputs": {"sequence": "x\ny"}}, "data.inputs: block 'sequence' maps to 'x\\ny', which is no input field"),
        ({"targets": {"s\rum": "sum"}}, "data.targets: the model has no head block 's\\rum'; it has sum"),
        ({"split": list(range(5000))}, "data.split must be three fractions (train, val, test) that add up to 1, "
                                       "not [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11..."),
        ({"bucketing": "false"}, "data.bucketing must be true or false, not 'false'"),  # was read as true
    ]:
        try:
            prepare_data({"dataset": "adding", "options": {"length": 5, "samples": 40}, **binding}, model)
        except DataError as err:
            assert str(err).startswith(message)
        else:
            raise AssertionError(f"{binding} was accepted")


def test_a_negative_seed_is_refused_as_the_settings_refuse_it():
    """A file's data.seed of -1 trained, while `--set data.seed=-1` and the Data dock refuse it."""
    from engine.settings import SettingError, set_setting

    doc = load_document(EXAMPLES / "adding_rnn.json")
    with pytest.raises(SettingError, match="must be at least 0"):
        set_setting(doc, "data.seed", -1)
    with pytest.raises(DataError, match=r"^data.seed must be at least 0, not -1$"):
        prepare_data({**doc.data, "seed": -1}, compile_graph(doc.graph))
