"""Undo commands: every action undoes to exactly the document it started from and redoes to exactly the
document it produced (ids, names, params, positions, edges and their order)."""
from pathlib import Path

import pytest
from PySide6.QtGui import QUndoStack

from engine.document import DocumentError, graph_to_data, load_document
from engine.graph import Edge, GraphError
from engine.layout import layered_positions
from gui.commands import (AddNodeCommand, ConnectCommand, DisconnectCommand, LayoutCommand, MoveNodesCommand,
                          PasteCommand, RemoveNodesCommand, RenameCommand, SetParamCommand)

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def graph(qapp):
    return load_document(EXAMPLES / "sentiment.json").graph


def check_round_trip(graph, command):
    """Pushes ``command``; undo must restore the data exactly, redo must reproduce the pushed result."""
    stack = QUndoStack()
    before = graph_to_data(graph)
    stack.push(command)
    after = graph_to_data(graph)
    assert after != before
    assert stack.count() == 1
    stack.undo()
    assert graph_to_data(graph) == before
    stack.redo()
    assert graph_to_data(graph) == after
    return before, after


def test_add_node_redo_keeps_id_and_name(graph):
    command = AddNodeCommand(graph, "gru", (10, 20))
    _, after = check_round_trip(graph, command)
    added = after["nodes"][-1]
    assert (added["id"], added["kind"], added["name"], added["pos"]) == (command.node_id, "gru", "gru", [10.0, 20.0])


def test_add_node_refuses_unknown_kind_and_taken_name(graph):
    with pytest.raises(GraphError, match="unknown block kind 'lstmm'"):
        AddNodeCommand(graph, "lstmm", (0, 0))
    taken = next(iter(graph)).name
    with pytest.raises(GraphError, match=f"already called '{taken}'"):
        AddNodeCommand(graph, "gru", (0, 0), name=taken)


def test_remove_middle_node_restores_everything_in_place(graph):
    middle = list(graph.nodes)[2]
    assert graph.in_edges(middle) and graph.out_edges(middle)
    command = RemoveNodesCommand(graph, [middle])
    _, after = check_round_trip(graph, command)
    assert middle not in {n["id"] for n in after["nodes"]}
    assert all(middle not in (e["from"][0], e["to"][0]) for e in after["edges"])


def test_remove_several_nodes_is_one_step(graph):
    ids = list(graph.nodes)[1:4]
    check_round_trip(graph, RemoveNodesCommand(graph, ids))


def test_connect_into_taken_input_replaces_in_one_step(graph):
    stack = QUndoStack()
    nodes = list(graph)
    target = next(n for n in nodes if graph.in_edges(n.id))
    old = graph.in_edges(target.id)[0]
    new_src = graph.add_node(graph.node(old.src).kind, pos=(0, 300))
    before = graph_to_data(graph)
    stack.push(ConnectCommand(graph, new_src.id, old.src_port, old.dst, old.dst_port))
    assert stack.count() == 1
    assert graph.edge_into(old.dst, old.dst_port) == Edge(new_src.id, old.src_port, old.dst, old.dst_port)
    assert old not in graph.edges
    stack.undo()
    assert graph_to_data(graph) == before


def test_connect_and_disconnect_round_trip(graph):
    edge = graph.edges[0]
    check_round_trip(graph, DisconnectCommand(graph, edge))  # leaves it disconnected (after the redo)
    assert edge not in graph.edges
    check_round_trip(graph, ConnectCommand(graph, edge.src, edge.src_port, edge.dst, edge.dst_port))
    assert edge in graph.edges


def test_connect_names_a_missing_port(graph):
    a, b = list(graph.nodes)[:2]
    with pytest.raises(GraphError, match="has no output 'nope'"):
        ConnectCommand(graph, a, "nope", b, "tokens")


def test_move_of_several_blocks_is_one_step(graph):
    ids = list(graph.nodes)[:3]
    moves = {i: (graph.node(i).pos, (graph.node(i).pos[0] + 40, graph.node(i).pos[1] - 10)) for i in ids}
    command = MoveNodesCommand(graph, moves)
    assert command.text() == "Move 3 blocks"
    check_round_trip(graph, command)


def test_layout_is_one_undoable_step(graph):
    for node_id in graph.nodes:
        graph.move(node_id, (0, 0))
    _, after = check_round_trip(graph, LayoutCommand(graph, layered_positions(graph)))
    positions = {n["id"]: tuple(n["pos"]) for n in after["nodes"]}
    assert positions == layered_positions(graph)
    stack = QUndoStack()
    stack.push(LayoutCommand(graph, layered_positions(graph)))  # already laid out: nothing to undo
    node = next(iter(graph))
    stack.push(RenameCommand(graph, node.id, node.name))
    assert not stack.canUndo()


def test_each_param_edit_is_its_own_step_unless_same_session(graph):
    lstm = next(n for n in graph if "hidden_size" in n.params)
    original = lstm.params["hidden_size"]
    stack = QUndoStack()
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", 32))
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", 48))
    assert stack.count() == 2
    stack.undo()
    assert lstm.params["hidden_size"] == 32
    stack.undo()
    assert lstm.params["hidden_size"] == original
    session = object()
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", 20, session=session))
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", 21, session=session))
    assert stack.count() == 1 and lstm.params["hidden_size"] == 21
    stack.undo()
    assert lstm.params["hidden_size"] == original
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", original))  # no change: no step
    assert stack.index() == 0 and stack.count() in (0, 1) and not stack.canUndo()
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", 99, session=session))
    stack.push(SetParamCommand(graph, lstm.id, "hidden_size", original, session=session))
    assert not stack.canUndo() and lstm.params["hidden_size"] == original


def test_rename_round_trip_and_refusal(graph):
    node = next(iter(graph))
    check_round_trip(graph, RenameCommand(graph, node.id, "text_in"))
    with pytest.raises(GraphError, match="not a valid name"):
        RenameCommand(graph, node.id, "2bad")


def test_paste_gets_fresh_ids_and_unique_names(graph):
    ids = list(graph.nodes)[:3]
    data = graph.subgraph_data(ids)
    command = PasteCommand(graph, data, (30, 30))
    before, after = check_round_trip(graph, command)
    assert len(after["nodes"]) == len(before["nodes"]) + 3
    new = [n for n in after["nodes"] if n["id"] in command.node_ids]
    assert not {n["id"] for n in new} & set(ids)
    assert len({n["name"] for n in after["nodes"]}) == len(after["nodes"])
    originals = {n["kind"]: n for n in data["nodes"]}
    for node in new:
        source = originals[node["kind"]]
        assert node["params"] == source["params"]
        assert node["pos"] == [source["pos"][0] + 30, source["pos"][1] + 30]
    inner = [e for e in after["edges"] if e["from"][0] in command.node_ids and e["to"][0] in command.node_ids]
    assert len(inner) == len(data["edges"]) == 2


def test_paste_of_broken_data_changes_nothing(graph):
    before = graph_to_data(graph)
    with pytest.raises(DocumentError, match=r"\$.nodes\[0\].kind"):
        PasteCommand(graph, {"nodes": [{"id": "x", "kind": "nope", "name": "a", "params": {}, "pos": [0, 0]}],
                             "edges": []})
    assert graph_to_data(graph) == before


def test_undo_a_whole_session_back_to_empty_and_redo_it(qapp):
    doc = load_document(EXAMPLES / "names.json")
    target = graph_to_data(doc.graph)
    from engine.graph import Graph

    graph = Graph()
    stack = QUndoStack()
    for raw in target["nodes"]:
        command = AddNodeCommand(graph, raw["kind"], raw["pos"], name=raw["name"])
        stack.push(command)
        assert command.node_id == raw["id"]
        for key, value in raw["params"].items():
            if graph.node(command.node_id).params[key] != value:
                stack.push(SetParamCommand(graph, command.node_id, key, value))
    for raw in target["edges"]:
        stack.push(ConnectCommand(graph, *raw["from"], *raw["to"]))
    stack.push(RemoveNodesCommand(graph, ["n3"]))
    stack.undo()
    assert graph_to_data(graph) == target
    while stack.canUndo():
        stack.undo()
    assert len(graph) == 0
    while stack.canRedo():
        stack.redo()
    stack.undo()  # the deletion
    assert graph_to_data(graph) == target
