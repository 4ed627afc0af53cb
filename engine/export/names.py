"""Names and texts from a document made safe for generated code: block names are checked before anything is
compiled, the Python export renames attributes that clash with its own, and free text is escaped exactly.
"""
from __future__ import annotations

import keyword
import re
from functools import lru_cache

from torch import fx, nn

from .common import ExportError

_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # ASCII only: what every runtime and file format accepts
# Names the compiled forward's own code uses, beside its arguments and locals (torch.fx writes ``self`` and
# ``torch.Tensor`` annotations; ``operator`` for indexing helpers).
_CODE_NAMES = {"self", "torch", "operator"}
# The Python export's own attribute of the model (``model.metadata``), which a block must not overwrite.
_PYTHON_ATTRIBUTES = {"metadata"}


@lru_cache(maxsize=1)
def _module_attributes() -> frozenset[str]:
    """Attributes an fx.GraphModule instance already has (``forward``, ``training``, ``code``...): a block
    cannot be a submodule under one of these names."""
    return frozenset(dir(fx.GraphModule(nn.Module(), fx.Graph())))


def name_problem(name: object) -> str | None:
    """Why a block name cannot appear in generated code (None if it can)."""
    if not isinstance(name, str) or not _PLAIN.fullmatch(name):
        return "only letters, digits and _ (not starting with a digit) can name a block in exported code"
    if keyword.iskeyword(name) or name in _CODE_NAMES:
        return f"'{name}' is a word of Python or of the generated code"
    if name in _module_attributes():
        return f"'{name}' is an attribute every PyTorch module has"
    return None


def check_block_names(graph) -> None:
    """Refuses, before anything is compiled or written, a graph whose block names could not be used as plain
    identifiers (a document edited by hand, or built without the graph's own checks): names become code."""
    problems, seen = [], set()
    for node in graph.nodes.values():
        problem = name_problem(node.name)
        if problem is None and node.name in seen:
            problem = "another block has the same name"
        if problem:
            problems.append(f"- block {node.name!r} (id {node.id!r}): {problem}")
        seen.add(node.name)
    if problems:
        raise ExportError("these block names cannot be exported; rename the blocks:\n" + "\n".join(problems))


def check_module_names(module: fx.GraphModule) -> None:
    """The same refusal for an already compiled module: its submodules and its forward's arguments."""
    named = [name for name, _ in module.named_children()]
    named += [node.target for node in module.graph.nodes if node.op == "placeholder"]
    for name in named:
        problem = name_problem(name)
        if problem:
            raise ExportError(f"block {name!r}: {problem}; rename the block")


def python_attributes(names: list[str]) -> dict[str, str]:
    """Block name -> attribute name in the Python export: the block's own name unless the export uses it
    (``metadata``), then the name with ``_block`` appended (more underscores until it is free)."""
    taken = set(names) | _PYTHON_ATTRIBUTES
    result = {}
    for name in names:
        attribute = name
        if name in _PYTHON_ATTRIBUTES:
            attribute = f"{name}_block"
            while attribute in taken or name_problem(attribute) is not None:
                attribute += "_"
            taken.add(attribute)
        result[name] = attribute
    return result


def module_name(stem: str) -> str:
    """An importable module name for a file stem (the stem itself when it is one)."""
    if _PLAIN.fullmatch(stem) and not keyword.iskeyword(stem):
        return stem
    cleaned = re.sub(r"[^A-Za-z0-9_]+", "_", stem).strip("_") or "model"
    return cleaned if not cleaned[0].isdigit() and not keyword.iskeyword(cleaned) else f"model_{cleaned}"


def docstring_literal(text: str) -> str:
    """A triple-quoted literal whose value is exactly ``text``: printable characters and line breaks stay as they
    are; backslashes, quotes and every other character (NUL, U+2028, lone surrogates...) become escapes."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n" or char.isprintable():  # not printable: controls, separators, format marks, surrogates
            out.append(char)
        else:
            out.append(char.encode("unicode_escape").decode("ascii"))
    return '"""' + "".join(out) + '"""'


def rename_modules(module: fx.GraphModule, attributes: dict[str, str]) -> fx.GraphModule:
    """A GraphModule sharing ``module``'s submodules under new attribute names, with the same computation."""
    root = nn.Module()
    for name, child in module.named_children():
        root.add_module(attributes.get(name, name), child)
    graph = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    for node in module.graph.nodes:
        copy = graph.node_copy(node, lambda n: env[n])
        if copy.op == "call_module":
            copy.target = attributes.get(copy.target, copy.target)
        env[node] = copy
    renamed = fx.GraphModule(root, graph, class_name=type(module).__name__)
    return renamed.train(module.training)
