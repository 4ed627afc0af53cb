"""The versioned JSON document: the graph (nodes, edges, positions), its data binding and training settings.

Loading refuses, with one DocumentError naming the JSON path, anything a document may not hold (see
``engine.json_values``) and any malformed structure; saving is atomic, and save -> load -> save gives the same bytes.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .annotations import AnnotationError, annotations_from_data, annotations_to_data, points_from_data
from .atomic_file import write_atomic
from .blocks import get_spec
from .graph import Edge, Graph, GraphError, shown
from .json_values import key_path, parse_json, value_problem

FORMAT_NAME = "rnn-studio"
FORMAT_VERSION = 3  # 2: the optional "experiment" section (engine.experiments); 3: the "canvas" section and points
PLAIN_VERSION = 1  # a document is written with the lowest format that holds what it contains: older studios
EXPERIMENT_VERSION = 2  # still read it. An experiment needs format 2;
CANVAS_VERSION = 3  # comments and frames (the "canvas" section) or reroute points on a wire need format 3
MAX_ID_LENGTH = 64
MAX_COORDINATE = 1e9  # a canvas position beyond this is a broken file, not a layout


class DocumentError(Exception):
    """A document that cannot be read: ``where`` is the file, ``json_path`` the place inside it."""

    def __init__(self, where: str, json_path: str, message: str):
        self.where, self.json_path, self.message = where, json_path, message
        place = shown(str(where), None)  # one line even for a file name with a newline in it
        super().__init__(f"{place}: {json_path}: {message}" if json_path else f"{place}: {message}")


@dataclass
class Document:
    graph: Graph = field(default_factory=Graph)
    description: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # the data binding (engine.data reads it)
    training: dict[str, Any] = field(default_factory=dict)  # trainer settings (engine.training reads it)
    path: Path | None = None
    experiment: dict[str, Any] | None = None  # the optional experiment section (engine.experiments reads it)
    # sections the file held that its format version does not have (left out when read): {name: version needed}
    left_out: dict[str, int] = field(default_factory=dict, compare=False)

    def to_data(self) -> dict[str, Any]:
        notes = self.graph.annotations
        return {
            "format": FORMAT_NAME,
            "version": self.version(),
            "description": self.description,
            "graph": graph_to_data(self.graph),
            "data": self.data,
            "training": self.training,
            **({"experiment": self.experiment} if self.experiment is not None else {}),
            **({"canvas": annotations_to_data(notes.notes.values())} if notes.notes else {}),
        }

    def version(self) -> int:
        """The lowest format that holds this document (what saving writes)."""
        if not self.graph.annotations.is_empty(self.graph.edges):
            return CANVAS_VERSION
        return EXPERIMENT_VERSION if self.experiment is not None else PLAIN_VERSION

    def dumps(self) -> str:
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"


def graph_to_data(graph: Graph) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": n.id, "kind": n.kind, "name": n.name, "params": dict(n.params), "pos": [n.pos[0], n.pos[1]]}
            for n in graph
        ],
        "edges": [_edge_data(e, graph.annotations.points(e)) for e in graph.edges],
    }


def _edge_data(edge, points) -> dict[str, Any]:
    data: dict[str, Any] = {"from": [edge.src, edge.src_port], "to": [edge.dst, edge.dst_port]}
    if points:  # reroute points (format 3): the wire is drawn through them; the engine ignores them
        data["points"] = [[x, y] for x, y in points]
    return data


def graph_from_data(data: Any, where: str = "<graph>", path: str = "$.graph",
                    into: Graph | None = None, fresh_ids: bool = False) -> tuple[Graph, dict[str, str]]:
    """Adds the nodes and edges described by ``data`` to ``into`` (or a new graph).

    With ``fresh_ids`` (paste), nodes get new ids and, where taken, new names. Returns the graph and
    the map from the ids in ``data`` to the ids in the graph. Raises DocumentError (and, with ``into``,
    may have added part of the data: check on a scratch graph first, as PasteCommand does).
    """
    _refuse_bad_values(data, where, path)
    return _add_graph(data, where, path, into if into is not None else Graph(), fresh_ids)


def _add_graph(data: Any, where: str, path: str, graph: Graph, fresh_ids: bool) -> tuple[Graph, dict[str, str]]:
    _expect(data, dict, where, path)
    nodes = _get(data, "nodes", list, where, path)
    edges = _get(data, "edges", list, where, path)
    id_map: dict[str, str] = {}
    for i, raw in enumerate(nodes):
        data_id, graph_id = _add_node(graph, raw, f"{path}.nodes[{i}]", where, fresh_ids, id_map)
        id_map[data_id] = graph_id
    ends = [_edge_ends(graph, raw, f"{path}.edges[{i}]", where, id_map) for i, raw in enumerate(edges)]
    # One pass finds whether (and where first) the edges close a loop; every edge before that one is then
    # connected without a per-edge search, which would make loading quadratic in the number of blocks.
    first_loop = _first_loop_edge([(src, dst) for src, _, dst, _ in ends])
    for i, (src, src_port, dst, dst_port) in enumerate(ends):
        try:
            graph.connect(src, src_port, dst, dst_port, _known_acyclic=first_loop is None or i < first_loop)
        except GraphError as err:
            raise DocumentError(where, f"{path}.edges[{i}]", str(err)) from None
    return graph, id_map


def _add_node(graph: Graph, raw: Any, here: str, where: str, fresh_ids: bool,
              id_map: dict[str, str]) -> tuple[str, str]:
    _expect(raw, dict, where, here)
    node_id = _get(raw, "id", str, where, here)
    kind = _get(raw, "kind", str, where, here)
    name = _get(raw, "name", str, where, here)
    params = _get(raw, "params", dict, where, here)
    pos = _get(raw, "pos", list, where, here)
    if not 0 < len(node_id) <= MAX_ID_LENGTH:
        raise DocumentError(where, f"{here}.id", f"must be 1 to {MAX_ID_LENGTH} characters long")
    if len(pos) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                for v in pos):
        raise DocumentError(where, f"{here}.pos", "must be two numbers [x, y]")
    for axis, value in enumerate(pos):
        if abs(value) > MAX_COORDINATE:
            raise DocumentError(where, f"{here}.pos[{axis}]", f"is {value:g}, too far from the canvas: positions "
                                                             f"lie between -{MAX_COORDINATE:g} and {MAX_COORDINATE:g}")
    try:
        spec = get_spec(kind)
    except KeyError:
        raise DocumentError(where, f"{here}.kind", f"unknown block kind '{shown(kind)}'") from None
    defaults = spec.defaults()
    for key in params:
        if key not in defaults:
            raise DocumentError(where, key_path(f"{here}.params", key),
                                f"{spec.title} has no parameter '{shown(key)}'")
    if node_id in id_map:
        raise DocumentError(where, f"{here}.id", f"the id '{shown(node_id)}' is used twice")
    if fresh_ids and graph.by_name(name) is not None:
        name = graph.unique_name(name.rstrip("0123456789").rstrip("_") or spec.prefix)
    problem = graph.name_problem(name, kind=spec.id)
    if problem:
        raise DocumentError(where, f"{here}.name", problem)
    try:
        node = graph.add_node(spec.id, name=name, params=params, pos=(pos[0], pos[1]),
                              node_id=None if fresh_ids else node_id)
    except GraphError as err:
        raise DocumentError(where, here, str(err)) from None
    return node_id, node.id


def _edge_ends(graph: Graph, raw: Any, here: str, where: str, id_map: dict[str, str]) -> tuple[str, str, str, str]:
    _expect(raw, dict, where, here)
    ends: list[str] = []
    for side in ("from", "to"):
        end = _get(raw, side, list, where, here)
        if len(end) != 2 or not all(isinstance(v, str) for v in end):
            raise DocumentError(where, f"{here}.{side}", "must be [block id, port name]")
        if end[0] not in id_map:
            raise DocumentError(where, f"{here}.{side}", f"no block has the id '{shown(end[0])}'")
        node = graph.node(id_map[end[0]])
        ports = node.spec.outputs if side == "from" else node.spec.inputs
        if end[1] not in {port.name for port in ports}:
            what = "output" if side == "from" else "input"
            names = ", ".join(port.name for port in ports) or "none"
            raise DocumentError(where, f"{here}.{side}", f"{node.label} has no {what} '{shown(end[1])}' "
                                                         f"(its {what}s: {names})")
        ends += [id_map[end[0]], end[1]]
    return ends[0], ends[1], ends[2], ends[3]


def _first_loop_edge(pairs: list[tuple[str, str]]) -> int | None:
    """Index of the first edge that closes a loop when the edges are added in order; None when none does."""
    if _acyclic(pairs):
        return None
    low, high = 0, len(pairs) - 1  # a loop needs its last edge: binary search for the shortest looping prefix
    while low < high:
        middle = (low + high) // 2
        if _acyclic(pairs[:middle + 1]):
            low = middle + 1
        else:
            high = middle
    return low


def _acyclic(pairs: list[tuple[str, str]]) -> bool:
    """Kahn's algorithm: linear, iterative."""
    successors: dict[str, list[str]] = {}
    waiting: dict[str, int] = {}
    for src, dst in pairs:
        successors.setdefault(src, []).append(dst)
        waiting[dst] = waiting.get(dst, 0) + 1
        waiting.setdefault(src, 0)
    ready = [node for node, count in waiting.items() if count == 0]
    seen = 0
    while ready:
        node = ready.pop()
        seen += 1
        for nxt in successors.get(node, ()):
            waiting[nxt] -= 1
            if waiting[nxt] == 0:
                ready.append(nxt)
    return seen == len(waiting)


def document_from_data(data: Any, where: str = "<document>") -> Document:
    _refuse_bad_values(data, where, "$")
    _expect(data, dict, where, "$")
    if data.get("format") != FORMAT_NAME:
        raise DocumentError(where, "$.format", f"this is not an RNN Studio document (expected \"format\": "
                                               f"\"{FORMAT_NAME}\")")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DocumentError(where, "$.version", "must be a positive whole number")
    if version > FORMAT_VERSION:
        raise DocumentError(where, "$.version", f"the file uses format {version}, written by a newer RNN Studio; "
                                                f"this one reads up to format {FORMAT_VERSION}: please update")
    description = data.get("description", "")
    _expect(description, str, where, "$.description")
    graph, _ = _add_graph(data.get("graph"), where, "$.graph", Graph(), False)
    section = {}
    for key in ("data", "training"):
        section[key] = data.get(key, {})
        _expect(section[key], dict, where, f"$.{key}")
    experiment = _upgrade_experiment(data, version, where)
    if version >= CANVAS_VERSION:  # earlier formats had no canvas section or points: such keys are left out
        _read_canvas(data, graph, where)
    left_out = {name: needed for name, needed in (("experiment", EXPERIMENT_VERSION), ("canvas", CANVAS_VERSION))
                if version < needed and data.get(name) is not None}
    return Document(graph, description, section["data"], section["training"], experiment=experiment,
                    left_out=left_out)


def _read_canvas(data: dict, graph: Graph, where: str) -> None:
    """Adds the "canvas" section's comments and frames and each edge's reroute points, checked."""
    try:
        notes = annotations_from_data(data["canvas"]) if data.get("canvas") is not None else []
        edges = data["graph"]["edges"]  # checked by _add_graph; its edges were added in this order
        points = {i: points_from_data(raw["points"], f"$.graph.edges[{i}].points")
                  for i, raw in enumerate(edges) if "points" in raw}
    except AnnotationError as err:
        raise DocumentError(where, err.json_path, err.message) from None
    for note in notes:
        graph.annotations.add(note)
    for i, at in points.items():
        raw = edges[i]
        graph.annotations.set_points(Edge(raw["from"][0], raw["from"][1], raw["to"][0], raw["to"][1]), at)


def _upgrade_experiment(data: dict, version: int, where: str) -> dict[str, Any] | None:
    """The experiment section, checked. Format 1 had none: an "experiment" key in a format 1 file was not part
    of the format and is left out (saving writes format 2)."""
    if version < EXPERIMENT_VERSION or data.get("experiment") is None:
        return None
    from .experiments.definition import ExperimentError, experiment_from_data  # it imports this module

    try:
        experiment_from_data(data["experiment"])
    except ExperimentError as err:
        raise DocumentError(where, err.where, err.message) from None
    return data["experiment"]


def loads(text: str, where: str = "<document>") -> Document:
    try:
        data = parse_json(text)
    except json.JSONDecodeError as err:
        raise DocumentError(where, "", f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except RecursionError:
        raise DocumentError(where, "", "not a document: its JSON is nested thousands of levels deep") from None
    return document_from_data(data, where)


def _refuse_bad_values(data: Any, where: str, path: str) -> None:
    problem = value_problem(data, path)
    if problem:
        raise DocumentError(where, *problem)


def load_document(path: str | os.PathLike) -> Document:
    path = Path(path)
    try:
        if path.exists() and not path.is_file() and not path.is_dir():  # reading a pipe or /dev/zero never ends
            raise DocumentError(str(path), "", "not a regular file (a device, pipe or socket): open a .json document")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(str(path), "", "no such file") from None
    except UnicodeDecodeError as err:
        raise DocumentError(str(path), "", f"not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise DocumentError(str(path), "", err.strerror or str(err)) from None
    except ValueError:  # a NUL in the file name
        raise DocumentError(str(path), "", "not a file name") from None
    doc = loads(text, str(path))
    doc.path = path
    return doc


def save_document(doc: Document, path: str | os.PathLike) -> None:
    """Writes atomically (``engine.atomic_file.write_atomic``): a crash never half-writes, permissions and
    symbolic links are kept."""
    write_atomic(Path(path), doc.dumps().encode("utf-8"))
    doc.path = Path(path)


_TYPE_WORDS = {dict: "an object", list: "a list", str: "text", int: "a whole number"}


def _expect(value: Any, kind: type, where: str, path: str) -> None:
    if not isinstance(value, kind):
        raise DocumentError(where, path, f"must be {_TYPE_WORDS.get(kind, kind.__name__)}")


def _get(obj: dict, key: str, kind: type, where: str, path: str) -> Any:
    if key not in obj:
        raise DocumentError(where, f"{path}.{key}", "is missing")
    _expect(obj[key], kind, where, f"{path}.{key}")
    return obj[key]
