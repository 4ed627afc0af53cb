"""The versioned JSON document: the graph (nodes, edges, positions), its data binding and training settings.

Loading checks the structure and names the JSON path of the first problem; saving is atomic, and
save -> load -> save gives the same bytes.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .blocks import get_spec
from .graph import Graph, GraphError

FORMAT_NAME = "rnn-studio"
FORMAT_VERSION = 1


class DocumentError(Exception):
    """A document that cannot be read: ``where`` is the file, ``json_path`` the place inside it."""

    def __init__(self, where: str, json_path: str, message: str):
        self.where, self.json_path, self.message = where, json_path, message
        super().__init__(f"{where}: {json_path}: {message}" if json_path else f"{where}: {message}")


@dataclass
class Document:
    graph: Graph = field(default_factory=Graph)
    description: str = ""
    data: dict[str, Any] = field(default_factory=dict)  # the data binding (engine.data reads it)
    training: dict[str, Any] = field(default_factory=dict)  # trainer settings (engine.training reads it)
    path: Path | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "description": self.description,
            "graph": graph_to_data(self.graph),
            "data": self.data,
            "training": self.training,
        }

    def dumps(self) -> str:
        return json.dumps(self.to_data(), indent=2, ensure_ascii=False) + "\n"


def graph_to_data(graph: Graph) -> dict[str, Any]:
    return {
        "nodes": [
            {"id": n.id, "kind": n.kind, "name": n.name, "params": dict(n.params), "pos": [n.pos[0], n.pos[1]]}
            for n in graph
        ],
        "edges": [{"from": [e.src, e.src_port], "to": [e.dst, e.dst_port]} for e in graph.edges],
    }


def graph_from_data(data: Any, where: str = "<graph>", path: str = "$.graph",
                    into: Graph | None = None, fresh_ids: bool = False) -> tuple[Graph, dict[str, str]]:
    """Adds the nodes and edges described by ``data`` to ``into`` (or a new graph).

    With ``fresh_ids`` (paste), nodes get new ids and, where taken, new names. Returns the graph and
    the map from the ids in ``data`` to the ids in the graph.
    """
    graph = into if into is not None else Graph()
    _expect(data, dict, where, path)
    nodes = _get(data, "nodes", list, where, path)
    edges = _get(data, "edges", list, where, path)
    id_map: dict[str, str] = {}
    for i, raw in enumerate(nodes):
        here = f"{path}.nodes[{i}]"
        _expect(raw, dict, where, here)
        node_id = _get(raw, "id", str, where, here)
        kind = _get(raw, "kind", str, where, here)
        name = _get(raw, "name", str, where, here)
        params = _get(raw, "params", dict, where, here)
        pos = _get(raw, "pos", list, where, here)
        if len(pos) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
                                    for v in pos):
            raise DocumentError(where, f"{here}.pos", "must be two numbers [x, y]")
        try:
            spec = get_spec(kind)
        except KeyError:
            raise DocumentError(where, f"{here}.kind", f"unknown block kind '{kind}'") from None
        for key in params:
            if key not in spec.defaults():
                raise DocumentError(where, f"{here}.params.{key}", f"{spec.title} has no parameter '{key}'")
        if node_id in id_map:
            raise DocumentError(where, f"{here}.id", f"the id '{node_id}' is used twice")
        if fresh_ids and graph.by_name(name) is not None:
            name = graph.unique_name(name.rstrip("0123456789").rstrip("_") or spec.prefix)
        problem = graph.name_problem(name)
        if problem:
            raise DocumentError(where, f"{here}.name", problem)
        try:
            node = graph.add_node(spec.id, name=name, params=params, pos=(pos[0], pos[1]),
                                  node_id=None if fresh_ids else node_id)
        except GraphError as err:
            raise DocumentError(where, here, str(err)) from None
        id_map[node_id] = node.id
    for i, raw in enumerate(edges):
        here = f"{path}.edges[{i}]"
        _expect(raw, dict, where, here)
        ends = []
        for side in ("from", "to"):
            end = _get(raw, side, list, where, here)
            if len(end) != 2 or not all(isinstance(v, str) for v in end):
                raise DocumentError(where, f"{here}.{side}", "must be [block id, port name]")
            if end[0] not in id_map:
                raise DocumentError(where, f"{here}.{side}", f"no block has the id '{end[0]}'")
            node = graph.node(id_map[end[0]])
            ports = node.spec.outputs if side == "from" else node.spec.inputs
            if end[1] not in {port.name for port in ports}:
                what = "output" if side == "from" else "input"
                names = ", ".join(port.name for port in ports) or "none"
                raise DocumentError(where, f"{here}.{side}", f"{node.label} has no {what} '{end[1]}' "
                                                             f"(its {what}s: {names})")
            ends.append((id_map[end[0]], end[1]))
        try:
            graph.connect(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
        except GraphError as err:
            raise DocumentError(where, here, str(err)) from None
    return graph, id_map


def document_from_data(data: Any, where: str = "<document>") -> Document:
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
    graph, _ = graph_from_data(data.get("graph"), where)
    section = {}
    for key in ("data", "training"):
        section[key] = data.get(key, {})
        _expect(section[key], dict, where, f"$.{key}")
    return Document(graph, description, section["data"], section["training"])


def loads(text: str, where: str = "<document>") -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise DocumentError(where, "", f"not valid JSON (line {err.lineno}, column {err.colno}: {err.msg})") from None
    except RecursionError:
        raise DocumentError(where, "", "not a document: its JSON is nested thousands of levels deep") from None
    return document_from_data(data, where)


def load_document(path: str | os.PathLike) -> Document:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DocumentError(str(path), "", "no such file") from None
    except UnicodeDecodeError as err:
        raise DocumentError(str(path), "", f"not UTF-8 text (byte {err.start})") from None
    except OSError as err:
        raise DocumentError(str(path), "", err.strerror or str(err)) from None
    doc = loads(text, str(path))
    doc.path = path
    return doc


def save_document(doc: Document, path: str | os.PathLike) -> None:
    """Writes to a temporary file beside ``path`` and renames it over, so a crash never half-writes."""
    write_atomic(Path(path), doc.dumps().encode("utf-8"))
    doc.path = Path(path)


def write_atomic(path: Path, payload: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


_TYPE_WORDS = {dict: "an object", list: "a list", str: "text", int: "a whole number"}


def _expect(value: Any, kind: type, where: str, path: str) -> None:
    if not isinstance(value, kind):
        raise DocumentError(where, path, f"must be {_TYPE_WORDS.get(kind, kind.__name__)}")


def _get(obj: dict, key: str, kind: type, where: str, path: str) -> Any:
    if key not in obj:
        raise DocumentError(where, f"{path}.{key}", "is missing")
    _expect(obj[key], kind, where, f"{path}.{key}")
    return obj[key]
