"""Block names are plain identifiers that the generated code can use as they are.

Refused: anything but ASCII letters, digits and _ (a trailing newline reached torch.fx's code), over 64
characters, leading __, keywords and the names the fx forward uses itself; for inputs also builtins and
clashes with another input's lengths argument. Names the Python export uses (metadata, F, nn...) are renamed
there. Every accepted name compiles and exports with the forward signature the metadata promises.
"""
from __future__ import annotations

import json
import keyword
import string
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Graph, GraphError, compile_graph
from engine.document import DocumentError, loads
from engine.export.common import build_metadata
from engine.export.python_code import to_python

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.json"))
SENTIMENT_TEXT = next(p for p in EXAMPLES if p.stem == "sentiment").read_text(encoding="utf-8")
INVALID = "is not a valid name: use letters, digits and _, not starting with a digit"


@pytest.mark.parametrize("name,message", [
    ("lstm\n", f"'lstm\\n' {INVALID}"),
    ("lstm\r\n", f"'lstm\\r\\n' {INVALID}"),
    ("lstm ", f"'lstm ' {INVALID}"),
    ("2nd", f"'2nd' {INVALID}"),
    ("naïve", f"'naïve' {INVALID}"),
    ("x" * 65, f"'{'x' * 48}…' is too long a name: use at most 64 characters"),
    ("__init__", "'__init__' starts with __, which Python keeps for its own names: choose another name"),
    ("__x", "'__x' starts with __, which Python keeps for its own names: choose another name"),
    ("class", "'class' is a reserved word: choose another name"),
    ("torch", "'torch' is a reserved word: choose another name"),
    ("self", "'self' is a reserved word: choose another name"),
    ("operator", "'operator' is a reserved word: choose another name"),
    ("training", "'training' is a reserved word: choose another name"),  # a GraphModule attribute
])
def test_names_that_the_generated_code_cannot_use_are_refused(name, message):
    g = Graph()
    assert g.name_problem(name) == message
    with pytest.raises(GraphError) as caught:
        g.add_node("dense", name=name)
    assert str(caught.value) == message and len(g) == 0


def test_a_64_character_name_is_fine_and_no_name_means_a_fresh_one():
    g = Graph()
    assert g.add_node("dense", name="d" * 64).name == "d" * 64
    assert g.name_problem("") == f"'' {INVALID}" and g.add_node("dense", name="").name == "dense"


def test_input_names_become_forward_arguments():
    g = Graph()
    builtin = ("'input' is a Python built-in name, which an input block cannot have (it becomes an argument of "
               "the model's forward): choose another name")
    assert g.name_problem("input", kind="feature_input") == builtin
    assert g.name_problem("input", kind="dense") is None  # other blocks are attributes, not arguments
    assert g.add_node("regression_head", name="sum").name == "sum"  # as in the adding examples
    x = g.add_node("feature_input", name="x")
    assert g.name_problem("x_lengths", kind="token_input") == ("'x_lengths' is the lengths argument of input "
                                                              "'x': choose another name")
    assert g.name_problem("x_lengths", kind="dense") is None
    other = g.add_node("token_input", name="y_lengths")
    assert g.name_problem("y", kind="feature_input") == ("the lengths argument of an input called 'y' would be "
                                                        "'y_lengths', the name of another input: choose another name")
    with pytest.raises(GraphError, match="is the lengths argument of input 'x'"):
        g.rename(other.id, "x_lengths")
    g.rename(x.id, "x")  # its own name is no clash


def test_a_name_with_a_trailing_newline_is_refused_at_load():
    data = json.loads(SENTIMENT_TEXT)
    data["graph"]["nodes"][2]["name"] = "lstm\n"
    with pytest.raises(DocumentError) as caught:
        loads(json.dumps(data), "model.json")
    assert str(caught.value) == f"model.json: $.graph.nodes[2].name: 'lstm\\n' {INVALID}"


def test_unique_names_fill_gaps_and_skip_taken_ones():
    g = Graph()
    first = [g.add_node("dense").name for _ in range(3)]
    assert first == ["dense", "dense_1", "dense_2"]  # the first one bare, as Keras names layers
    g.remove_node(g.by_name("dense_1").id)
    g.add_node("dense", name="dense_3")
    assert [g.add_node("dense").name for _ in range(2)] == ["dense_1", "dense_4"]
    g.rename(g.by_name("dense").id, "renamed")
    assert g.unique_name("dense") == "dense" and g.by_name("dense") is None  # a freed bare name comes first
    assert g.by_name("renamed").kind == "dense"
    clone = g.copy()
    assert clone.unique_name("dense") == "dense" and clone.by_name("renamed").id == g.by_name("renamed").id


def plain_names():
    first = string.ascii_letters + "_"
    return st.builds(lambda a, b: a + b, st.sampled_from(first),
                     st.text(string.ascii_letters + string.digits + "_", max_size=20))


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(plain_names(), min_size=4, max_size=4, unique=True))
def test_every_accepted_name_compiles_and_exports_with_the_promised_signature(tmp_path_factory, names):
    g = Graph()
    kinds = ["feature_input", "lstm", "dense", "regression_head"]
    if any(g.name_problem(name, kind=kind) for name, kind in zip(names, kinds)) or \
            names[0] + "_lengths" in names:
        return  # refused names are covered above; here every name is one the graph takes
    x, lstm, dense, head = (g.add_node(kind, name=name) for kind, name in zip(kinds, names))
    g.set_param(x.id, "features", 3)
    g.set_param(lstm.id, "hidden_size", 4)
    g.connect(x.id, "sequence", lstm.id, "input")
    g.connect(lstm.id, "last", dense.id, "input")
    g.connect(dense.id, "output", head.id, "input")
    model = compile_graph(g)
    arguments = [n.name for n in model.module.graph.nodes if n.op == "placeholder"]
    metadata = build_metadata(model, {}, 1, "test")
    assert arguments == metadata["forward"] == [names[0], f"{names[0]}_lengths"]
    out = model.module(**{names[0]: torch.randn(2, 5, 3), f"{names[0]}_lengths": torch.tensor([5, 2])})
    assert out.shape == (2, 64)
    diff, _, _ = to_python(model, metadata, tmp_path_factory.mktemp("export") / "model.py")
    assert diff < 1e-5


def test_keywords_and_soft_keywords_are_covered():
    g = Graph()
    assert all(g.name_problem(word) for word in keyword.kwlist)
    assert g.name_problem("match") is None  # a soft keyword is a valid variable name
