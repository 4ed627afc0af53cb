"""One ConnectionCheck per drag gives, for every port, exactly the refusal the per-port check gave."""
from __future__ import annotations

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.graph import Edge, Graph, GraphError
from engine.shapes import ConnectionCheck, analyze, connection_problem, kind_mismatch

KINDS = ("token_input", "feature_input", "embedding", "lstm", "bidirectional", "dense", "pooling", "concat", "add",
         "self_attention", "classification_head", "regression_head")


def per_port_problem(graph, src, src_port, dst, dst_port, report):
    """The check as it was before ConnectionCheck: a graph search per port pair (the reference)."""
    if src == dst:
        return "a block cannot feed itself"
    source, target = graph.node(src), graph.node(dst)
    out_port = source.spec.output(src_port)
    in_port = target.spec.input(dst_port)
    if nx.has_path(graph.to_networkx(), dst, src):
        return f"connecting '{source.name}' to '{target.name}' would make a loop"
    shape = report.shapes.get((src, src_port)) if report else None
    got = (shape.kind,) if shape else out_port.kinds
    if not set(got) & set(in_port.kinds):
        return kind_mismatch(graph, Edge(src, src_port, dst, dst_port), got[0])
    return None


@st.composite
def graphs(draw):
    graph = Graph()
    nodes = [graph.add_node(draw(st.sampled_from(KINDS))) for _ in range(draw(st.integers(2, 9)))]
    for _ in range(draw(st.integers(0, 14))):
        src, dst = draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))
        if src.spec.outputs and dst.spec.inputs:
            try:
                graph.connect(src.id, draw(st.sampled_from(src.spec.outputs)).name,
                              dst.id, draw(st.sampled_from(dst.spec.inputs)).name)
            except GraphError:
                pass  # a loop or a taken input: the graph refuses it, as it would a user
    return graph


@settings(max_examples=60, deadline=None)
@given(graphs(), st.booleans())
def test_one_check_per_drag_says_what_the_per_port_check_said(graph, with_report):
    report = analyze(graph) if with_report else None
    for node in graph:
        for out in node.spec.outputs:  # dragging from an output: every input is a candidate
            check = ConnectionCheck(graph, node.id, out.name, True, report)
            for other in graph:
                for inp in other.spec.inputs:
                    expected = per_port_problem(graph, node.id, out.name, other.id, inp.name, report)
                    assert check.problem(other.id, inp.name) == expected
                    assert check.fits(other.id, inp.name) == (expected is None)
                    assert connection_problem(graph, node.id, out.name, other.id, inp.name, report) == expected
        for inp in node.spec.inputs:  # dragging from an input: every output is a candidate
            check = ConnectionCheck(graph, node.id, inp.name, False, report)
            for other in graph:
                for out in other.spec.outputs:
                    expected = per_port_problem(graph, other.id, out.name, node.id, inp.name, report)
                    assert check.problem(other.id, out.name) == expected
                    assert check.fits(other.id, out.name) == (expected is None)
