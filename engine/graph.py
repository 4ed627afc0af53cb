"""The graph model: blocks (nodes) and connections (edges) over networkx, the single source of truth.

Every change goes through a method here and is announced on ``graph.events``; the canvas, inspector and
summary observe those announcements. Validation and shape inference live in ``engine.shapes``.
"""
from __future__ import annotations

import builtins
import copy
import heapq
import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from .annotations import Annotations
from .blocks import get_spec
from .events import Signal
from .lazy import networkx as nx  # loads with the first block (see Graph.__getattr__)
from .module_names import GRAPH_MODULE_ATTRIBUTES
from .specs import BlockSpec

MAX_NAME_LENGTH = 64
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # fullmatch: "$" would let a trailing newline through
# Block names become attribute names of the compiled torch.fx.GraphModule and variable names in its generated
# forward, so they must not shadow the names that code uses itself (fx's globals: torch, inf, nan, device, ...).
# The Python export renames a block that clashes with its own names (metadata, F, nn, Tensor, WEIGHTS, ...:
# engine.export.names), so those stay available to users.
_RESERVED = frozenset({
    "self", "lengths",
    "torch", "operator", "inf", "nan", "NoneType", "device", "fx_pytree", "pytree",
    "annotations", "List", "Optional", "Tuple", "PackedSequence",
    "pack_padded_sequence", "pad_packed_sequence", "RNNStudioModel",
})
# An input block's name is an argument of forward, and torch.fx renames an argument that shadows a builtin.
_BUILTINS = frozenset(dir(builtins))
_LENGTHS = "_lengths"
_NUMBERED = re.compile(r"(.+)_([1-9][0-9]*)")


def _numbered_name(prefix: str, i: int) -> str:
    """The i-th name of a prefix: "<prefix>" itself, then "<prefix>_1", "<prefix>_2", ..."""
    return prefix if i == 0 else f"{prefix}_{i}"


def shown(text: str, limit: int | None = 48) -> str:
    """``text`` as one short line inside a message: control characters and surrogates escaped, long text cut."""
    if limit is not None and len(text) > limit:
        text = text[:limit] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class GraphError(ValueError):
    """An edit that the graph refuses (unknown block kind or port, duplicate name, taken input)."""


@dataclass
class Node:
    id: str
    kind: str
    name: str
    params: dict[str, Any]
    pos: tuple[float, float] = (0.0, 0.0)

    @property
    def spec(self) -> BlockSpec:
        return get_spec(self.kind)

    @property
    def label(self) -> str:
        """How diagnostics name the block: "LSTM 'lstm_1'"."""
        return f"{self.spec.title} '{self.name}'"


@dataclass(frozen=True)
class Edge:
    src: str
    src_port: str
    dst: str
    dst_port: str


@dataclass
class GraphEvents:
    node_added: Signal = field(default_factory=Signal)  # (Node)
    node_removed: Signal = field(default_factory=Signal)  # (Node)
    node_changed: Signal = field(default_factory=Signal)  # (Node, what: "params" | "name")
    node_moved: Signal = field(default_factory=Signal)  # (Node)
    edge_added: Signal = field(default_factory=Signal)  # (Edge)
    edge_removed: Signal = field(default_factory=Signal)  # (Edge)
    changed: Signal = field(default_factory=Signal)  # () after any structural or parameter change


class Graph:
    """Blocks and connections. Names change only through ``add_node``/``rename``/``remove_node``, which keep
    the name index (``by_name`` in constant time: loading a 12,000-block document stays linear)."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self._next_id = 1
        self._by_name: dict[str, str] = {}  # name -> node id
        self._into: dict[tuple[str, str], Edge] = {}  # (block id, input port) -> the edge into it
        self._free_from: dict[str, int] = {}  # prefix -> i: every name of index j < i (_numbered_name) is taken
        self.events = GraphEvents()
        # Comments, frames and wires' reroute points: layout only, which compile, analyze and export never read.
        self.annotations = Annotations()

    def __getattr__(self, name: str) -> Any:
        # networkx (0.3 s to import on 2 cores) loads with the first block: the window's start page shows an empty
        # document, which never needs it. The structure is made at its first use, an attribute from then on.
        if name == "_nx":
            self._nx = nx.MultiDiGraph()
            return self._nx
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------ queries
    @property
    def edges(self) -> list[Edge]:
        if not self.nodes:
            return []
        return [data["edge"] for _, _, data in self._nx.edges(data=True)]

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(f"there is no block with id '{node_id}'") from None

    def by_name(self, name: str) -> Node | None:
        node_id = self._by_name.get(name)
        return None if node_id is None else self.nodes[node_id]

    def in_edges(self, node_id: str) -> list[Edge]:
        return [d["edge"] for _, _, d in self._nx.in_edges(node_id, data=True)]

    def out_edges(self, node_id: str) -> list[Edge]:
        return [d["edge"] for _, _, d in self._nx.out_edges(node_id, data=True)]

    def edge_into(self, node_id: str, port: str) -> Edge | None:
        # Indexed: analysis asks this for every port after every edit.
        return self._into.get((node_id, port))

    def to_networkx(self) -> nx.MultiDiGraph:
        """A read-only view of the structure (node ids; each edge's data holds its ``Edge``)."""
        return self._nx.copy(as_view=True)

    def topological_order(self) -> list[str]:
        """Node ids in dependency order, ties broken by insertion order; raises NetworkXUnfeasible on a cycle.

        Kahn's algorithm over the adjacency with a heap of insertion ranks (networkx's lexicographical sort,
        without its per-node views: analysis and the summary run it after every edit).
        """
        if not self.nodes:
            return []
        rank = {node_id: i for i, node_id in enumerate(self.nodes)}
        ids = list(self.nodes)
        predecessors, successors = self._nx.pred, self._nx.succ
        waiting = {node_id: len(predecessors[node_id]) for node_id in ids}
        ready = [rank[n] for n in ids if not waiting[n]]  # already in rank order: a valid heap
        order = []
        while ready:
            node_id = ids[heapq.heappop(ready)]
            order.append(node_id)
            for nxt in successors[node_id]:
                waiting[nxt] -= 1
                if not waiting[nxt]:
                    heapq.heappush(ready, rank[nxt])
        if len(order) != len(ids):
            raise nx.NetworkXUnfeasible("the graph has a loop")
        return order

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes.values())

    def __len__(self) -> int:
        return len(self.nodes)

    # ------------------------------------------------------------ naming
    def unique_name(self, prefix: str) -> str:
        """The first free of "<prefix>", "<prefix>_1", "<prefix>_2", ... (as Keras names layers: a new model's
        first LSTM is "lstm", as in the bundled examples, not "lstm_1"); gaps left by deleted blocks come first."""
        i = self._free_from.get(prefix, 0)
        while _numbered_name(prefix, i) in self._by_name:
            i += 1
        self._free_from[prefix] = i
        return _numbered_name(prefix, i)

    def name_problem(self, name: str, node_id: str | None = None, kind: str | None = None) -> str | None:
        """Why ``name`` cannot name a block (None if it can).

        ``node_id`` is the block being renamed (its own name is no clash); ``kind`` the kind of a block not
        yet added (input blocks have stricter rules, since their names become arguments of forward).
        """
        if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
            shown_name = shown(name) if isinstance(name, str) else repr(name)[:48]
            return f"'{shown_name}' is not a valid name: use letters, digits and _, not starting with a digit"
        if len(name) > MAX_NAME_LENGTH:
            return f"'{shown(name)}' is too long a name: use at most {MAX_NAME_LENGTH} characters"
        if name.startswith("__"):
            return f"'{shown(name)}' starts with __, which Python keeps for its own names: choose another name"
        if keyword.iskeyword(name) or name in _RESERVED or name in GRAPH_MODULE_ATTRIBUTES:
            return f"'{name}' is a reserved word: choose another name"
        other = self.by_name(name)
        if other is not None and other.id != node_id:
            return f"another block is already called '{name}'"
        if node_id is not None and node_id in self.nodes:
            kind = self.nodes[node_id].kind
        if kind is not None and _is_input_kind(kind):
            return self._input_name_problem(name, node_id)
        return None

    def _input_name_problem(self, name: str, node_id: str | None) -> str | None:
        """An input's name and "<name>_lengths" are the arguments of forward: no builtin, no clash between inputs."""
        if name in _BUILTINS:
            return (f"'{name}' is a Python built-in name, which an input block cannot have (it becomes an argument "
                    "of the model's forward): choose another name")
        owner = self.by_name(name[:-len(_LENGTHS)]) if name.endswith(_LENGTHS) else None
        if owner is not None and owner.id != node_id and owner.spec.is_input:
            return f"'{name}' is the lengths argument of input '{owner.name}': choose another name"
        taken = self.by_name(name + _LENGTHS)
        if taken is not None and taken.id != node_id and taken.spec.is_input:
            return (f"the lengths argument of an input called '{name}' would be '{taken.name}', the name of "
                    "another input: choose another name")
        return None

    # ------------------------------------------------------------ edits
    def add_node(self, kind: str, name: str | None = None, params: dict[str, Any] | None = None,
                 pos: tuple[float, float] = (0.0, 0.0), node_id: str | None = None) -> Node:
        try:
            spec = get_spec(kind)
        except KeyError:
            raise GraphError(f"unknown block kind '{shown(str(kind))}'") from None
        if node_id is not None and node_id in self.nodes:
            raise GraphError(f"a block with id '{shown(node_id)}' already exists")
        name = name or self.unique_name(spec.prefix)
        problem = self.name_problem(name, kind=spec.id)
        if problem:
            raise GraphError(problem)
        values = spec.defaults()
        for key, value in (params or {}).items():
            if key not in values:
                raise GraphError(f"{spec.title} has no parameter '{shown(str(key))}'")
            values[key] = value
        position = _position(pos)
        if node_id is None:  # only now: a refused block takes no id
            node_id = self._fresh_id()
        else:
            self._bump_id(node_id)
        node = Node(node_id, spec.id, name, values, position)
        self.nodes[node_id] = node
        self._by_name[name] = node_id
        self._nx.add_node(node_id)
        self.events.node_added.emit(node)
        self.events.changed.emit()
        return node

    def remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        for edge in self.in_edges(node_id) + self.out_edges(node_id):
            self.disconnect(edge, _announce=False)
        del self.nodes[node_id]
        self._forget_name(node.name)
        self._nx.remove_node(node_id)
        self.events.node_removed.emit(node)
        self.events.changed.emit()
        return node

    def connect(self, src: str, src_port: str, dst: str, dst_port: str, *, _known_acyclic: bool = False) -> Edge:
        """Adds an edge. The input must be free: replacing is a disconnect then a connect (two undo children).

        An edge that would close a loop (a block into itself, or into a block it is fed by) is refused: blocks
        feed forward, and recurrent blocks loop over time by themselves. The document loader checks a whole
        file for loops in one pass and passes ``_known_acyclic`` so that loading stays linear.
        """
        source, target = self.node(src), self.node(dst)
        if src_port not in {p.name for p in source.spec.outputs}:
            raise GraphError(f"{source.label} has no output '{shown(src_port)}'")
        if dst_port not in {p.name for p in target.spec.inputs}:
            raise GraphError(f"{target.label} has no input '{shown(dst_port)}'")
        if self.edge_into(dst, dst_port) is not None:
            raise GraphError(f"input '{dst_port}' of {target.label} is already connected")
        if not _known_acyclic:
            problem = self.loop_problem(src, dst)
            if problem:
                raise GraphError(problem)
        edge = Edge(src, src_port, dst, dst_port)
        self._nx.add_edge(src, dst, key=(src_port, dst_port), edge=edge)
        self._into[(dst, dst_port)] = edge
        self.events.edge_added.emit(edge)
        self.events.changed.emit()
        return edge

    def loop_problem(self, src: str, dst: str) -> str | None:
        """Why an edge from block ``src`` to block ``dst`` would make a loop, naming its blocks; None if not."""
        source, target = self.node(src), self.node(dst)
        if src == dst:
            return (f"{source.label} cannot be connected to itself: blocks feed forward (a recurrent block "
                    "already loops over time by itself)")
        try:
            # Bidirectional search: it stops as soon as either side runs out, so a fresh edge is cheap to check.
            path = nx.bidirectional_shortest_path(self._nx, dst, src)
        except nx.NetworkXNoPath:
            return None
        loop = [self.nodes[n].name for n in [src, *path]]
        if len(loop) > 9:  # one line even for a loop through thousands of blocks
            loop = [*loop[:4], f"… ({len(loop) - 1:,} blocks) …", *loop[-4:]]
        names = " → ".join(loop)
        return (f"connecting {source.label} to {target.label} would make a loop ({names}): blocks feed forward "
                "(recurrent blocks loop over time by themselves)")

    def disconnect(self, edge: Edge, _announce: bool = True) -> None:
        if not self._nx.has_edge(edge.src, edge.dst, key=(edge.src_port, edge.dst_port)):
            raise GraphError("that connection does not exist")
        self._nx.remove_edge(edge.src, edge.dst, key=(edge.src_port, edge.dst_port))
        del self._into[(edge.dst, edge.dst_port)]
        self.events.edge_removed.emit(edge)
        if _announce:
            self.events.changed.emit()

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        node = self.node(node_id)
        if name not in node.params:
            raise GraphError(f"{node.spec.title} has no parameter '{name}'")
        if node.params[name] == value and type(node.params[name]) is type(value):
            return
        node.params[name] = value
        self.events.node_changed.emit(node, "params")
        self.events.changed.emit()

    def rename(self, node_id: str, name: str) -> None:
        node = self.node(node_id)
        problem = self.name_problem(name, node_id)
        if problem:
            raise GraphError(problem)
        if node.name != name:
            self._forget_name(node.name)
            node.name = name
            self._by_name[name] = node_id
            self.events.node_changed.emit(node, "name")
            self.events.changed.emit()

    def move(self, node_id: str, pos: tuple[float, float]) -> None:
        node = self.node(node_id)
        node.pos = _position(pos)
        self.events.node_moved.emit(node)

    def clear(self) -> None:
        for node_id in list(self.nodes):
            self.remove_node(node_id)
        self._next_id = 1
        self._free_from.clear()

    def _forget_name(self, name: str) -> None:
        del self._by_name[name]
        if name in self._free_from:  # a freed bare "<prefix>" is the first free one again for unique_name
            self._free_from[name] = 0
        numbered = _NUMBERED.fullmatch(name)
        if numbered:  # and so is a freed "<prefix>_<i>"
            prefix, i = numbered.group(1), int(numbered.group(2))
            if i < self._free_from.get(prefix, 0):
                self._free_from[prefix] = i

    # ------------------------------------------------------------ copying
    def subgraph_data(self, node_ids: Iterable[str]) -> dict[str, Any]:
        """Nodes and the edges among them, as document data (for copy/paste and duplicate)."""
        from .document import graph_to_data

        keep = set(node_ids)
        data = graph_to_data(self)
        data["nodes"] = [n for n in data["nodes"] if n["id"] in keep]
        data["edges"] = [e for e in data["edges"] if e["from"][0] in keep and e["to"][0] in keep]
        return data

    def copy(self) -> "Graph":
        """A deep copy with no listeners: what a training run snapshots."""
        clone = Graph()
        clone.nodes = copy.deepcopy(self.nodes)
        if "_nx" in self.__dict__:  # made (see __getattr__)
            clone._nx = self._nx.copy()
        clone._into = dict(self._into)
        clone._next_id = self._next_id
        clone._by_name = dict(self._by_name)
        clone._free_from = dict(self._free_from)
        clone.annotations = self.annotations.copy()
        return clone

    def restore_order(self, node_ids: list[str], edges: list[Edge]) -> None:
        """Puts blocks and connections back in a remembered order, announcing nothing.

        Undo uses it so that a deleted and restored block saves exactly where it was in the document.
        """
        if set(node_ids) != set(self.nodes) or set(edges) != set(self.edges):
            raise GraphError("restore_order needs exactly the current blocks and connections")
        ordered = [(node_id, self.nodes[node_id]) for node_id in node_ids]
        self.nodes.clear()
        self.nodes.update(ordered)
        structure = nx.MultiDiGraph()
        structure.add_nodes_from(node_ids)
        for e in edges:
            structure.add_edge(e.src, e.dst, key=(e.src_port, e.dst_port), edge=e)
        self._nx = structure

    # ------------------------------------------------------------ ids
    def _fresh_id(self) -> str:
        while f"n{self._next_id}" in self.nodes:
            self._next_id += 1
        node_id = f"n{self._next_id}"
        self._next_id += 1
        return node_id

    def _bump_id(self, node_id: str) -> None:
        # isdecimal and the length bound: int() of other digits (or of thousands of them) raises.
        digits = node_id[1:]
        if node_id.startswith("n") and digits.isascii() and digits.isdecimal() and len(digits) <= 18:
            self._next_id = max(self._next_id, int(digits) + 1)


def _is_input_kind(kind: str) -> bool:
    try:
        return get_spec(kind).is_input
    except KeyError:
        return False


def _position(pos: Any) -> tuple[float, float]:
    x, y = float(pos[0]), float(pos[1])
    if not (math.isfinite(x) and math.isfinite(y)):
        raise GraphError(f"a position must be two finite numbers, not ({x}, {y})")
    return x, y
