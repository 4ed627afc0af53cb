"""Parameter counts by closed formula (engine.blocks.counts) equal what torch builds, for every block kind."""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.blocks import CATALOG
from engine.blocks.counts import PARAMETER_FREE, built_count, has_formula, parameter_count
from engine.graph import Graph
from engine.shapes import analyze
from engine.specs import PortShape, ShapeError, TensorKind

SMALL = 24  # sizes up to this keep each built module tiny (the formulas have no size limit)
LAYERS = 4  # stacked layers 1..4 cover the first layer and the upper ones (which read both directions)


def _value(param):
    if param.type is bool:
        return st.booleans()
    if param.choices:
        return st.sampled_from(param.choices)
    if param.name == "layers":
        return st.integers(1, LAYERS)
    if param.type is int:
        low = int(param.min) if param.min is not None else 0
        return st.integers(low, max(low, min(int(param.max) if param.max is not None else SMALL, low + SMALL)))
    if param.type is float:
        return st.floats(param.min or 0.0, min(param.max, 0.9), allow_nan=False)
    return st.just(param.default)


def _input(kind: TensorKind, name: str):
    features = st.integers(1, SMALL)
    if kind is TensorKind.TOKENS:
        return st.builds(lambda v: PortShape(kind, vocab=v), st.integers(2, SMALL))
    return st.builds(lambda f: PortShape(kind, features=f, time=name), features)


@st.composite
def block_case(draw, kind):
    spec = CATALOG[kind]
    params = {p.name: draw(_value(p)) for p in spec.params}
    ins = {}
    for port in spec.inputs:
        if port.optional and TensorKind.STATE in port.kinds:
            continue  # a given initial state adds no parameters
        if port.optional and not draw(st.booleans()):
            continue
        ins[port.name] = draw(_input(draw(st.sampled_from(port.kinds)), "t"))
    return params, ins


def _built_count(kind, params, ins) -> int:
    module = CATALOG[kind].build(params, ins)
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize("kind", sorted(CATALOG))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data())
def test_the_formula_equals_the_built_module(kind, data):
    params, ins = data.draw(block_case(kind))
    try:
        CATALOG[kind].shape(params, ins)
    except ShapeError:
        return  # the shape check refuses this combination, so nothing is ever built or counted
    assert parameter_count(kind, params, ins) == _built_count(kind, params, ins), (kind, params, ins)
    assert built_count(kind, params, ins) == _built_count(kind, params, ins)  # the fallback for new kinds


def test_every_kind_of_the_catalog_is_counted_without_torch():
    assert [kind for kind in CATALOG if not has_formula(kind)] == []


def test_parameter_free_kinds_build_no_parameters():
    shape = {TensorKind.TOKENS: PortShape(TensorKind.TOKENS, vocab=10),
             TensorKind.SEQUENCE: PortShape(TensorKind.SEQUENCE, features=6, time="t"),
             TensorKind.VECTOR: PortShape(TensorKind.VECTOR, features=1)}
    for kind in sorted(PARAMETER_FREE):
        spec = CATALOG[kind]
        ins = {p.name: shape[p.kinds[0]] for p in spec.inputs if not p.optional}
        params = {p.name: p.default for p in spec.params}
        assert _built_count(kind, params, ins) == 0, kind
        assert parameter_count(kind, params, ins) == 0


def test_counts_of_huge_blocks_are_exact_without_building_them():
    g = Graph()
    tokens = g.add_node("token_input", params={"vocab_size": 10_000_000})
    emb = g.add_node("embedding", params={"vocab_size": 10_000_000, "dim": 4096})
    lstm = g.add_node("bidirectional", params={"cell": "lstm", "hidden_size": 8192, "layers": 16})
    g.connect(tokens.id, "tokens", emb.id, "tokens")
    g.connect(emb.id, "sequence", lstm.id, "input")
    report = analyze(g)
    assert report.params[emb.id] == 40_960_000_000
    first = 2 * 4 * 8192 * (4096 + 8192 + 2)
    upper = 2 * 4 * 8192 * (2 * 8192 + 8192 + 2)
    assert report.params[lstm.id] == first + 15 * upper
    assert "torch" in __import__("sys").modules and torch.get_default_device().type == "cpu"
