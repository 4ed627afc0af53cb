"""Any parameter values a document can hold are diagnosed, never crash analyze, and counts match real modules.

Hypothesis draws a block of each kind that reads a feature sequence, with values inside and outside each
parameter's range (and of the wrong type); analyze must answer, and a valid small model must compile to
modules with exactly the parameter counts analyze reported (counted on the meta device).
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine import CATALOG, Graph, analyze, compile_graph

SEQUENCE_BLOCKS = sorted(kind for kind, spec in CATALOG.items()
                         if spec.inputs and spec.inputs[0].name == "input" and spec.head is None)


def good_values(param):
    if param.type is bool:
        return st.booleans()
    if param.choices is not None:
        return st.sampled_from(param.choices)
    if param.type is int:
        low, high = int(param.min), int(param.max)
        return st.one_of(st.integers(low, min(high, low + 40)), st.sampled_from([low, high]))
    return st.floats(param.min, param.max)


HOSTILE = st.one_of(st.none(), st.text(max_size=3), st.floats(allow_nan=True), st.integers(-2**63, 2**63 - 1),
                    st.lists(st.integers(), max_size=2), st.booleans())


@st.composite
def sequence_models(draw):
    kind = draw(st.sampled_from(SEQUENCE_BLOCKS))
    spec = CATALOG[kind]
    params = {p.name: draw(good_values(p)) for p in spec.params}
    if spec.params and draw(st.booleans()):  # half the models get one value a learner could have typed wrong
        params[draw(st.sampled_from([p.name for p in spec.params]))] = draw(HOSTILE)
    g = Graph()
    x = g.add_node("feature_input", name="x", params={"features": draw(st.sampled_from([1, 2, 6, 8, 64]))})
    block = g.add_node(kind, name="block", params=params)
    head = g.add_node("regression_head", name="out")
    g.connect(x.id, "sequence", block.id, "input")
    g.connect(block.id, spec.outputs[0].name, head.id, "input")
    return g, block


@settings(max_examples=120, deadline=None)
@given(model=sequence_models())
def test_analyze_answers_for_any_values_and_counts_like_the_built_modules(model):
    g, block = model
    report = analyze(g)
    for diagnostic in report.diagnostics:
        assert "\n" not in diagnostic.message and diagnostic.message.startswith(("Feature sequence", block.label))
    if report.ok and report.total_params < 2_000_000:
        compiled = compile_graph(g)
        built = sum(p.numel() for p in compiled.module.parameters())
        assert built == report.total_params == report.params[block.id]
