"""Loading, analysing and laying out stay linear in the number of blocks, and nothing recurses per block.

A 12,000-block chain used to take seconds in name lookups alone (a 50 MB graph hung `check`). Times are
CPU times of this process (other work on the machine does not count), the best of a few tries.
"""
from __future__ import annotations

import gc
import json
import sys
import time

import pytest

from engine import GraphError, analyze, compile_graph
from engine.document import DocumentError, loads
from engine.layout import layered_positions


def chain_text(blocks: int, reverse_edges: bool = False, loop: bool = False) -> str:
    """A feature input, ``blocks - 2`` Dense blocks in a row and a regression head, as document text."""
    nodes = [{"id": "n1", "kind": "feature_input", "name": "x", "params": {"features": 4}, "pos": [0, 0]}]
    edges = []
    for i in range(2, blocks):
        nodes.append({"id": f"n{i}", "kind": "dense", "name": f"d{i}", "params": {"units": 4}, "pos": [i, 0]})
        edges.append({"from": [f"n{i - 1}", "sequence" if i == 2 else "output"], "to": [f"n{i}", "input"]})
    nodes.append({"id": f"n{blocks}", "kind": "regression_head", "name": "out", "params": {}, "pos": [blocks, 0]})
    edges.append({"from": [f"n{blocks - 1}", "output"], "to": [f"n{blocks}", "input"]})
    if loop:  # the last Dense feeds the first one, in place of the input: a loop through the whole chain
        edges[0]["from"] = [f"n{blocks - 1}", "output"]
    if reverse_edges:
        edges.reverse()
    return json.dumps({"format": "rnn-studio", "version": 1, "description": "", "data": {}, "training": {},
                       "graph": {"nodes": nodes, "edges": edges}})


def load_and_analyze(text: str):
    doc = loads(text)
    report = analyze(doc.graph)
    return doc, report


def cpu_seconds(work, *args, tries: int = 3, collect: bool = True) -> float:
    best = float("inf")
    for _ in range(tries):
        gc.collect()
        if not collect:  # the collector's pauses grow with the whole heap, not with our algorithm
            gc.disable()
        try:
            started = time.process_time()
            work(*args)
            best = min(best, time.process_time() - started)
        finally:
            gc.enable()
    return best


def test_a_12000_block_chain_loads_and_analyzes_in_a_few_seconds():
    text = chain_text(12_000)
    started = time.process_time()
    doc, report = load_and_analyze(text)
    assert time.process_time() - started < 5.0
    assert len(doc.graph) == 12_000 and len(doc.graph.edges) == 11_999 and report.ok
    assert report.total_params == 4 * 4 + 4 + 11_997 * (4 * 4 + 4)
    assert cpu_seconds(layered_positions, doc.graph, tries=1) < 3.0


def test_doubling_the_blocks_roughly_doubles_the_time():
    small, large = chain_text(3_000), chain_text(6_000)
    load_and_analyze(small)  # warm caches (parameter counts, lazy imports)
    ratio = cpu_seconds(load_and_analyze, large, collect=False) / cpu_seconds(load_and_analyze, small, collect=False)
    print(f"twice the blocks: {ratio:.2f} times the time")
    assert ratio < 3.0, f"twice the blocks took {ratio:.1f} times as long"  # quadratic would be about 4


def test_edges_listed_backwards_load_as_fast():
    # A loop check per edge would search the whole downstream chain for each edge: quadratic.
    forward = cpu_seconds(loads, chain_text(8_000), tries=1)
    backward = cpu_seconds(loads, chain_text(8_000, reverse_edges=True), tries=1)
    assert backward < 3 * forward + 0.5


@pytest.mark.parametrize("reverse_edges,closing,loop", [
    (False, 7997, "connecting Dense 'd7998' to Dense 'd7999' would make a loop (d7998 → d7999 → d2 → d3 → "
                  "… (7,998 blocks) … → d7995 → d7996 → d7997 → d7998)"),
    (True, 7998, "connecting Dense 'd7999' to Dense 'd2' would make a loop (d7999 → d2 → d3 → d4 → "
                 "… (7,998 blocks) … → d7996 → d7997 → d7998 → d7999)"),
])
def test_a_loop_through_thousands_of_blocks_is_refused_in_one_line(reverse_edges, closing, loop):
    text = chain_text(8_000, reverse_edges, loop=True)
    started = time.process_time()
    with pytest.raises(DocumentError) as caught:
        loads(text, "big.json")
    assert time.process_time() - started < 5.0
    err = caught.value
    assert err.json_path == f"$.graph.edges[{closing}]"  # the edge that closes the loop, in file order
    assert err.message == f"{loop}: blocks feed forward (recurrent blocks loop over time by themselves)"
    assert len(str(err).splitlines()) == 1


def test_nothing_recurses_per_block():
    def depth() -> int:
        frame, count = sys._getframe(), 0
        while frame is not None:
            frame, count = frame.f_back, count + 1
        return count

    warm = loads(chain_text(20))
    compile_graph(warm.graph)  # lazy imports inside torch happen at their own depth, once
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth() + 80)
    try:
        doc, report = load_and_analyze(chain_text(4_000))
        layered_positions(doc.graph)
        doc.graph.copy()
        assert loads(doc.dumps()).dumps() == doc.dumps()
        compile_graph(loads(chain_text(1_000)).graph)
    finally:
        sys.setrecursionlimit(limit)
    assert report.ok


def test_many_unnamed_blocks_get_names_quickly():
    from engine import Graph

    g = Graph()
    started = time.process_time()
    for _ in range(6_000):
        g.add_node("dense")
    assert time.process_time() - started < 3.0
    assert g.by_name("dense_5999") is not None and g.unique_name("dense") == "dense_6000"
    with pytest.raises(GraphError, match="another block is already called 'dense_17'"):
        g.add_node("dense", name="dense_17")
