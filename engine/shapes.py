"""Validation and shape inference: every problem as a diagnostic tied to a block and port, in plain words.

``analyze(graph)`` walks the blocks in dependency order, applies each block's shape rule and returns a
``ShapeReport`` with the shape of every port, the parameter count of every block and the diagnostics —
including blocks too large to train on this machine, found from their parameter counts (closed formulas, no
torch) before anything is built.
"""
from __future__ import annotations

import os
from collections import deque
from dataclasses import dataclass, field
from functools import lru_cache

from .blocks.counts import parameter_count
from .graph import Edge, Graph, Node, shown
from .lazy import networkx as nx
from .specs import PortShape, ShapeError, TensorKind

# analyze finds nothing wrong with an empty canvas, but there is nothing to build or train (compile_graph, check)
EMPTY_MODEL = "The model is empty: add an input, some blocks and an output head"

TOK, SEQ, VEC, STATE = TensorKind.TOKENS, TensorKind.SEQUENCE, TensorKind.VECTOR, TensorKind.STATE

MAX_BLOCK_PARAMETERS = 2**31  # beyond this a block is refused on any machine (and its tensors outgrow int32 indexing)
# Training holds each parameter four times in float32: the weight, its gradient and Adam's two moments.
TRAINING_BYTES_PER_PARAMETER = 4 * 4

_FIXES = {
    (TOK, SEQ): "put an Embedding block between them",
    (TOK, VEC): "put an Embedding and a recurrent block between them",
    (SEQ, VEC): "put a Sequence pooling block between them, or use the 'last' output of a recurrent block",
    (VEC, SEQ): "it needs a value per time step, so take the 'sequence' output of a recurrent block instead",
    (VEC, TOK): "connect a Token sequence input here, the only block that gives token ids",
    (SEQ, TOK): "connect a Token sequence input here, the only block that gives token ids",
}


def _fix(got: TensorKind, wanted: tuple[TensorKind, ...]) -> str:
    if got is STATE:
        return ("a state only starts another recurrent block (its 'initial_state' input); take the 'sequence' "
                "or 'last' output here instead")
    if wanted == (STATE,):
        return "only the 'state' output of a recurrent block fits here"
    return _FIXES.get((got, wanted[0]), "connect a block that gives " + " or ".join(k.value for k in wanted))


@dataclass(frozen=True)
class Diagnostic:
    """One problem: ``node_id`` and ``port`` say where (either may be None for the whole graph)."""

    node_id: str | None
    port: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return self.message


@dataclass
class ShapeReport:
    shapes: dict[tuple[str, str], PortShape] = field(default_factory=dict)  # (node id, output port)
    params: dict[str, int] = field(default_factory=dict)  # node id -> trainable parameter count
    diagnostics: list[Diagnostic] = field(default_factory=list)
    time_labels: dict[str, str] = field(default_factory=dict)  # input block name -> "T" / "T_src"
    _by_node: dict[str | None, list[Diagnostic]] = field(default_factory=dict, init=False, repr=False, compare=False)
    _indexed: int = field(default=-1, init=False, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @property
    def total_params(self) -> int:
        return sum(self.params.values())

    def for_node(self, node_id: str) -> list[Diagnostic]:
        # Indexed once (and again if diagnostics were added): asking for every block stays linear.
        if self._indexed != len(self.diagnostics):
            self._by_node = {}
            for d in self.diagnostics:
                self._by_node.setdefault(d.node_id, []).append(d)
            self._indexed = len(self.diagnostics)
        return list(self._by_node.get(node_id, ()))

    def shape_text(self, node_id: str, port: str) -> str | None:
        shape = self.shapes.get((node_id, port))
        if shape is None:
            return None
        return shape.describe(self.time_labels.get(shape.time or "", "T"))

    def output_text(self, node: Node) -> str:
        """The node's main output shape, for tables and canvas labels ('—' when unknown)."""
        if not node.spec.outputs:
            return "(head)"
        return self.shape_text(node.id, node.spec.outputs[0].name) or "—"


def analyze(graph: Graph) -> ShapeReport:
    report = ShapeReport()
    diag = report.diagnostics
    valid_params: set[str] = set()
    for node in graph:
        problems = _param_problems(node)
        diag.extend(problems)
        if not problems:
            valid_params.add(node.id)

    order = graph.topological_order()  # Graph.connect refuses loops, so there always is one

    for node_id in order:
        node = graph.node(node_id)
        ins = _input_shapes(graph, node, report)
        if ins is None or node_id not in valid_params:
            continue
        try:
            outputs = node.spec.shape(node.params, ins)
        except ShapeError as err:
            diag.append(Diagnostic(node_id, err.port, f"{node.label} {err.message}"))
            continue
        for port, shape in outputs.items():
            if node.spec.is_input:
                shape = shape.with_(time=node.name)
            report.shapes[(node_id, port)] = shape
        report.params[node_id] = _parameter_count(node, ins)

    _check_sizes(graph, report)
    _check_heads(graph, diag)
    sources = sorted({s.time for s in report.shapes.values() if s.time})
    report.time_labels = {src: ("T" if len(sources) == 1 else f"T_{src}") for src in sources}
    return report


def _param_problems(node: Node) -> list[Diagnostic]:
    out = []
    for param in node.spec.params:
        problem = param.problem(node.params.get(param.name))
        if problem:
            out.append(Diagnostic(node.id, None, f"{node.label}: '{param.title}' {problem} "
                                                 f"(it is {shown(repr(node.params.get(param.name)))})"))
    return out


def _input_shapes(graph: Graph, node: Node, report: ShapeReport) -> dict[str, PortShape] | None:
    """Shapes arriving at the node's inputs, or None when one is missing or does not fit."""
    ins: dict[str, PortShape] = {}
    complete = True
    for port in node.spec.inputs:
        edge = graph.edge_into(node.id, port.name)
        if edge is None:
            if not port.optional:
                wanted = " or ".join(k.value for k in port.kinds)
                on = f" '{port.name}'" if _ambiguous(node.spec, port) else ""
                report.diagnostics.append(Diagnostic(
                    node.id, port.name, f"{node.label} has nothing connected to its input{on}: connect {wanted}"))
                complete = False
            continue
        shape = report.shapes.get((edge.src, edge.src_port))
        if shape is None:
            complete = False  # the upstream block has its own diagnostic
            continue
        if shape.kind not in port.kinds:
            report.diagnostics.append(Diagnostic(node.id, port.name, kind_mismatch(graph, edge, shape.kind)))
            complete = False
            continue
        ins[port.name] = shape
    return ins if complete else None


def _ambiguous(spec, port) -> bool:
    """Whether a message must name the input port: not for a block's only required input (an LSTM's)."""
    return port.optional or sum(not p.optional for p in spec.inputs) > 1


def kind_mismatch(graph: Graph, edge: Edge, got: TensorKind) -> str:
    target, source = graph.node(edge.dst), graph.node(edge.src)
    port = target.spec.input(edge.dst_port)
    wanted = " or ".join(k.value for k in port.kinds)
    on = f" on '{port.name}'" if _ambiguous(target.spec, port) else ""
    return f"{target.label} expects {wanted}{on} but '{source.name}' gives {got.value}: {_fix(got, port.kinds)}"


def _check_heads(graph: Graph, diag: list[Diagnostic]) -> None:
    if not len(graph):
        return
    heads = [n.id for n in graph if n.spec.head is not None]
    if not heads:
        diag.append(Diagnostic(None, None, "The model has no output head: add one from Outputs (Classification, "
                                           "Regression, Sequence labelling or Next-token LM) to say what it learns"))
        return
    # One backward walk from all heads together (not one per head: a model may have many heads).
    reaching = set(heads)
    todo = deque(heads)
    while todo:
        for edge in graph.in_edges(todo.popleft()):
            if edge.src not in reaching:
                reaching.add(edge.src)
                todo.append(edge.src)
    for node in graph:
        if node.id not in reaching:
            why = "the model never reads it" if node.spec.is_input else "nothing would train it"
            diag.append(Diagnostic(node.id, None, f"{node.label} does not lead to an output head, so {why}: "
                                                  "connect its output onwards or delete it"))


def physical_memory() -> int | None:
    """Bytes of memory this machine has (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None


def _gb(size: float) -> str:
    gb = size / 1e9
    return f"{gb:,.1f} GB" if gb < 10 else f"{gb:,.0f} GB"


def _size_problem(what: str, count: int, memory: int | None, fix: str) -> str | None:
    need = count * TRAINING_BYTES_PER_PARAMETER
    if memory is not None and need > memory:
        return (f"{what} would have {count:,} parameters (about {_gb(need)} to train); this machine has "
                f"{_gb(memory)}: {fix}")
    if count > MAX_BLOCK_PARAMETERS:
        return f"{what} would have {count:,} parameters, more than the {MAX_BLOCK_PARAMETERS:,} a block may have: {fix}"
    return None


def _check_sizes(graph: Graph, report: ShapeReport) -> None:
    """Refuses, before anything is allocated, blocks (and a model) that could not be trained here."""
    memory = physical_memory()
    too_big = False
    for node_id, count in report.params.items():
        node = graph.node(node_id)
        problem = _size_problem(node.label, count, memory, "lower " + " or ".join(_size_params(node)))
        if problem:
            report.diagnostics.append(Diagnostic(node_id, None, problem))
            too_big = True
    if not too_big and memory is not None:
        largest = sorted((n for n, c in report.params.items() if c), key=report.params.__getitem__, reverse=True)[:3]
        names = ", ".join(f"'{graph.node(n).name}'" for n in largest)
        problem = _size_problem("The model", report.total_params, memory, f"make its largest blocks smaller ({names})")
        if problem:
            report.diagnostics.append(Diagnostic(None, None, problem))


def _size_params(node: Node) -> list[str]:
    """The whole-number parameters that set a block's size: its key ones where it has any."""
    sized = [p.name for p in node.spec.params if p.type is int]
    key = [name for name in node.spec.key_params if name in sized]
    return key or sized or ["the size of its input"]


def _parameter_count(node: Node, ins: dict[str, PortShape]) -> int:
    key = (node.kind, tuple(sorted(node.params.items())), tuple(sorted(ins.items(), key=lambda kv: kv[0])))
    return _count_cached(key)


@lru_cache(maxsize=4096)
def _count_cached(key) -> int:
    # A closed formula per block kind (engine.blocks.counts): no torch, nothing built, exact for any size.
    kind, params, ins = key
    return parameter_count(kind, dict(params), dict(ins))


def connection_problem(graph: Graph, src: str, src_port: str, dst: str, dst_port: str,
                       report: ShapeReport | None = None) -> str | None:
    """Why a drag from (src, src_port) to (dst, dst_port) cannot become an edge; None if it can.

    An input that is already connected is not a problem: the new edge replaces the old one.
    """
    return ConnectionCheck(graph, src, src_port, True, report).problem(dst, dst_port)


class ConnectionCheck:
    """``connection_problem`` for one fixed port (the one a drag starts from) against many others.

    Asking about every port in view used to walk the graph once per port for the loop test; here one walk
    (the blocks upstream of a fixed output, or downstream of a fixed input) answers it for all of them, so
    grabbing a port among 300 blocks costs one graph walk plus a set lookup per port. The words are
    connection_problem's: it is this class asked once.
    """

    def __init__(self, graph: Graph, node_id: str, port: str, is_output: bool, report: ShapeReport | None = None):
        self.graph, self.node_id, self.port, self.is_output, self.report = graph, node_id, port, is_output, report
        # A new edge src -> dst closes a loop when dst already reaches src: for a fixed output (src) that is
        # every block upstream of it; for a fixed input (dst), every block downstream of it.
        g = graph.to_networkx()
        self._looping = nx.ancestors(g, node_id) if is_output else nx.descendants(g, node_id)

    def problem(self, node_id: str, port: str) -> str | None:
        """Why the fixed port cannot connect to ``port`` of ``node_id`` (an input if the fixed one is an
        output, else an output); None if it can."""
        refusal = self._refusal(node_id, port)
        if refusal is None:
            return None
        why, (src, src_port, dst, dst_port), got = refusal
        if why == "self":
            return "a block cannot feed itself"
        if why == "loop":
            return f"connecting '{self.graph.node(src).name}' to '{self.graph.node(dst).name}' would make a loop"
        return kind_mismatch(self.graph, Edge(src, src_port, dst, dst_port), got)

    def fits(self, node_id: str, port: str) -> bool:
        """``problem(node_id, port) is None``, without putting the refusal into words (highlighting needs no
        words for the ports the pointer never reaches)."""
        return self._refusal(node_id, port) is None

    def _refusal(self, node_id: str, port: str):
        """None, or (why: "self" | "loop" | "kinds", the edge's four ends, the kind the output gives)."""
        if self.is_output:
            ends = src, src_port, dst, dst_port = self.node_id, self.port, node_id, port
        else:
            ends = src, src_port, dst, dst_port = node_id, port, self.node_id, self.port
        if src == dst:
            return "self", ends, None
        graph = self.graph
        out_port = graph.node(src).spec.output(src_port)  # unknown blocks or ports raise here, as they did
        in_port = graph.node(dst).spec.input(dst_port)
        if node_id in self._looping:
            return "loop", ends, None
        shape = self.report.shapes.get((src, src_port)) if self.report else None
        got = (shape.kind,) if shape else out_port.kinds
        if not set(got) & set(in_port.kinds):
            return "kinds", ends, got[0]
        return None
