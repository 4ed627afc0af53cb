"""RNN Studio's engine: block catalog, graph model, shape checking, compilation, data, training, export.

It imports no Qt: everything here runs headless, from the command line or a test. ``import engine`` imports
nothing else: each name below is imported on first use (PEP 562), so the catalog, graph, documents and shape
checks work without loading torch, which only compiling, training and export need.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy import exports

__version__ = "0.1.0"

_WHERE = {  # exported name -> the module that defines it
    **dict.fromkeys(("CATALOG", "CATEGORIES", "get_spec", "specs_by_category"), ".blocks"),
    **dict.fromkeys(("CompiledModel", "CompileError", "ModelHead", "ModelInput", "compile_graph"), ".compiler"),
    **dict.fromkeys(("Edge", "Graph", "GraphError", "Node"), ".graph"),
    **dict.fromkeys(("Diagnostic", "ShapeReport", "analyze", "connection_problem"), ".shapes"),
    **dict.fromkeys(("BlockSpec", "Param", "Port", "PortShape", "StateInfo", "TensorKind"), ".specs"),
}

__all__ = [*_WHERE, "__version__"]


__getattr__ = exports(__name__, _WHERE, globals())  # PEP 562: each name imported at first use


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # what static checkers and IDEs see
    from .blocks import CATALOG, CATEGORIES, get_spec, specs_by_category
    from .compiler import CompiledModel, CompileError, ModelHead, ModelInput, compile_graph
    from .graph import Edge, Graph, GraphError, Node
    from .shapes import Diagnostic, ShapeReport, analyze, connection_problem
    from .specs import BlockSpec, Param, Port, PortShape, StateInfo, TensorKind
