"""Compiles a valid graph into a torch.fx GraphModule whose generated ``forward`` is readable code.

The module takes, for every input block in graph order, its tensor and its lengths
(``forward(tokens, tokens_lengths, ...)``) and returns what reaches the output heads: one tensor for a
single head, a tuple in head order otherwise. Each fx node's ``meta["block_id"]`` names its block.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import fx, nn

from .graph import Graph
from .shapes import EMPTY_MODEL, Diagnostic, ShapeReport, analyze
from .specs import PortShape, TensorKind


class CompileError(ValueError):
    """The graph has diagnostics; ``diagnostics`` lists them all."""

    def __init__(self, diagnostics):
        self.diagnostics = list(diagnostics)
        lines = "\n".join(f"- {d.message}" for d in self.diagnostics)
        super().__init__(f"the graph is not valid:\n{lines}")


@dataclass(frozen=True)
class ModelInput:
    name: str
    node_id: str
    kind: TensorKind  # TOKENS or SEQUENCE
    features: int | None
    vocab: int | None


@dataclass(frozen=True)
class ModelHead:
    name: str
    node_id: str
    task: str  # "classification", "regression", "labelling", "language_model"
    params: dict[str, Any]
    input_shape: PortShape  # what the head receives (its kind, features and activation)

    @property
    def time_source(self) -> str | None:
        """The input block whose lengths mask this head's per-step loss (None for vector outputs)."""
        return self.input_shape.time


@dataclass
class CompiledModel:
    module: fx.GraphModule
    inputs: list[ModelInput]
    heads: list[ModelHead]
    report: ShapeReport
    node_of_module: dict[str, str] = field(default_factory=dict)  # submodule name -> block id

    @property
    def code(self) -> str:
        return self.module.code

    def call(self, inputs: dict[str, torch.Tensor], lengths: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """Runs the module on named inputs; returns one output per head, in head order."""
        args: list[torch.Tensor] = []
        for spec in self.inputs:
            args += [inputs[spec.name], lengths[spec.name]]
        out = self.module(*args)
        return [out] if len(self.heads) == 1 else list(out)


def compile_graph(graph: Graph, report: ShapeReport | None = None) -> CompiledModel:
    """Builds fresh modules (freshly initialised weights) for every block; raises CompileError if invalid."""
    report = report or analyze(graph)
    if not report.ok:
        raise CompileError(report.diagnostics)
    if not len(graph):  # analyze finds nothing wrong with an empty canvas, but there is nothing to build
        raise CompileError([Diagnostic(None, None, EMPTY_MODEL)])

    fx_graph = fx.Graph()
    root = nn.Module()
    values: dict[tuple[str, str], fx.Node] = {}  # (block id, output port) -> fx value
    lengths_of: dict[str, fx.Node] = {}  # input block name -> its lengths placeholder
    inputs: list[ModelInput] = []
    heads: list[ModelHead] = []
    head_values: list[fx.Node] = []
    node_of_module: dict[str, str] = {}

    edges = graph.edges
    incoming = {(e.dst, e.dst_port): e for e in edges}
    used_outputs = {(e.src, e.src_port) for e in edges}
    order = graph.topological_order()
    # The arguments first, named exactly (fx would snake_case a placeholder's default name, and a block
    # called "<input>_lengths" must not take the argument's name): the signature is what users call.
    for node_id in order:
        node = graph.node(node_id)
        if not node.spec.is_input:
            continue
        value = _argument(fx_graph, node.name, node_id)
        lengths_of[node.name] = _argument(fx_graph, f"{node.name}_lengths", node_id)
        out_port = node.spec.outputs[0].name
        shape = report.shapes[(node_id, out_port)]
        values[(node_id, out_port)] = value
        inputs.append(ModelInput(node.name, node_id, shape.kind, shape.features, shape.vocab))

    for node_id in order:
        node = graph.node(node_id)
        spec = node.spec
        if spec.is_input:
            continue
        ins = {}
        for port in spec.inputs:
            edge = incoming.get((node_id, port.name))
            if edge is not None:
                ins[port.name] = report.shapes[(edge.src, edge.src_port)]

        if spec.head is not None:
            edge = incoming[(node_id, spec.inputs[0].name)]
            head_values.append(values[(edge.src, edge.src_port)])
            heads.append(ModelHead(node.name, node_id, spec.head.task, dict(node.params), ins[spec.inputs[0].name]))
            continue

        module = spec.build(node.params, ins)
        root.add_module(node.name, module)
        node_of_module[node.name] = node_id
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for port in spec.inputs:
            edge = incoming.get((node_id, port.name))
            if port.optional:
                if edge is not None:
                    kwargs[port.name] = values[(edge.src, edge.src_port)]
            else:
                args.append(values[(edge.src, edge.src_port)])
        args += [lengths_of[ins[port].time] for port in spec.lengths_of]
        call = fx_graph.create_node("call_module", node.name, tuple(args), kwargs, name=node.name)
        call.meta["block_id"] = node_id
        if len(spec.outputs) == 1:
            values[(node_id, spec.outputs[0].name)] = call
            continue
        for index, port in enumerate(spec.outputs):
            if (node_id, port.name) in used_outputs:
                item = fx_graph.create_node("call_function", operator.getitem, (call, index), {},
                                            name=f"{node.name}_{port.name}")
                item.meta["block_id"] = node_id
                values[(node_id, port.name)] = item

    fx_graph.output(head_values[0] if len(head_values) == 1 else tuple(head_values))
    module = fx.GraphModule(root, fx_graph, class_name="RNNStudioModel")
    return CompiledModel(module, inputs, heads, report, node_of_module)


def _argument(fx_graph: fx.Graph, name: str, node_id: str) -> fx.Node:
    value = fx_graph.create_node("placeholder", name, name=name, type_expr=torch.Tensor)
    if value.name != name:  # Graph.name_problem refuses the names that fx would have to change
        raise CompileError([Diagnostic(node_id, None, f"the input name '{name}' cannot be an argument of "
                                                      f"the generated code (it became '{value.name}')")])
    value.meta["block_id"] = node_id
    return value
