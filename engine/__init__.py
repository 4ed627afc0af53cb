"""RNN Studio's engine: block catalog, graph model, shape checking, compilation, data, training, export.

It imports no Qt: everything here runs headless, from the command line or a test.
"""
from .blocks import CATALOG, CATEGORIES, get_spec, specs_by_category
from .compiler import CompiledModel, CompileError, ModelHead, ModelInput, compile_graph
from .graph import Edge, Graph, GraphError, Node
from .shapes import Diagnostic, ShapeReport, analyze, connection_problem
from .specs import BlockSpec, Param, Port, PortShape, StateInfo, TensorKind

__version__ = "0.1.0"

__all__ = [
    "CATALOG", "CATEGORIES", "get_spec", "specs_by_category",
    "CompiledModel", "CompileError", "ModelHead", "ModelInput", "compile_graph",
    "Edge", "Graph", "GraphError", "Node",
    "Diagnostic", "ShapeReport", "analyze", "connection_problem",
    "BlockSpec", "Param", "Port", "PortShape", "StateInfo", "TensorKind",
    "__version__",
]
