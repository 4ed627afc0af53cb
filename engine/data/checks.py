"""Whether a graph and its data fit: kinds, features, vocabulary, classes, per-step time axes and the block
mapping. Each FitProblem names the block and carries the edits that fix it; prepare_data raises the first.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..specs import PortShape, TensorKind
from .base import BINARY, CLASS, SEQUENCE, STEP_CLASSES, TOKENS, VALUE, DataError
from .facts import DataFacts, binding_key, data_facts

NO_DATA = "no data: choose a dataset in the Data dock (the document's \"data\" section is empty)"


@dataclass(frozen=True)
class Fix:
    """One concrete edit. ``kind`` "param": set parameter ``param`` of block ``block`` to ``value``;
    "data": set the data binding's entry at key ``path`` (e.g. ("inputs",) or ("options", "max_vocab"))."""

    kind: str
    value: Any
    block: str | None = None
    param: str | None = None
    path: tuple[str, ...] = ()

    @classmethod
    def set_param(cls, block: str, param: str, value) -> "Fix":
        return cls("param", value, block=block, param=param)

    @classmethod
    def set_data(cls, path: tuple[str, ...], value) -> "Fix":
        return cls("data", value, path=tuple(path))

    def describe(self) -> str:
        if self.kind == "param":
            return f"set {self.param} of '{self.block}' to {self.value!r}"
        return f"set data.{'.'.join(self.path)} to {self.value!r}"


@dataclass(frozen=True)
class FitProblem:
    """A mismatch between the graph and its data: the block to change (None: the data binding), a one-line
    message naming the mismatch and the fix, and the fixes (applied together, as one undo step). ``setting``
    is the path of the setting to change instead (``training.monitor``), where that is what the problem is."""

    block: str | None
    message: str
    fixes: tuple[Fix, ...] = ()
    setting: str | None = None


@dataclass
class ModelView:
    """What the checks need of a model, read from the graph and its shape report without building modules:
    ``inputs`` and ``heads`` as a CompiledModel has them, and the graph, to name the blocks a fix edits."""

    inputs: list
    heads: list
    graph: Any = None

    def before(self, head_name: str):
        """The block that feeds head ``head_name`` (a Node), or None."""
        if self.graph is None:
            return None
        head = self.graph.by_name(head_name)
        edge = self.graph.edge_into(head.id, head.spec.inputs[0].name) if head and head.spec.inputs else None
        return self.graph.nodes[edge.src] if edge is not None else None

    def embeddings(self, input_name: str) -> list:
        """Embedding blocks fed directly by token input ``input_name``."""
        if self.graph is None:
            return []
        node = self.graph.by_name(input_name)
        return [self.graph.nodes[e.dst] for e in self.graph.out_edges(node.id)
                if self.graph.nodes[e.dst].kind == "embedding"] if node else []


def model_view(graph, report=None) -> ModelView:
    """Inputs and heads of ``graph`` as compile_graph would list them; a block whose shape is unknown (the
    graph has errors there) keeps its name with unknown sizes, so its mapping can still be checked."""
    from ..compiler import ModelHead, ModelInput
    from ..shapes import analyze

    report = report or analyze(graph)
    incoming = {(e.dst, e.dst_port): e for e in graph.edges}
    inputs, heads = [], []
    for node_id in graph.topological_order():
        node = graph.node(node_id)
        spec = node.spec
        if spec.is_input:
            shape = report.shapes.get((node_id, spec.outputs[0].name))
            kind = shape.kind if shape else spec.outputs[0].kinds[0]
            inputs.append(ModelInput(node.name, node_id, kind, shape.features if shape else None,
                                     shape.vocab if shape else None))
        elif spec.head is not None:
            edge = incoming.get((node_id, spec.inputs[0].name))
            shape = report.shapes.get((edge.src, edge.src_port)) if edge else None
            source = graph.node(edge.src) if edge else None
            units = source.params.get("units") if source is not None and source.kind == "dense" else None
            if shape is None and isinstance(units, int) and not isinstance(units, bool) and units > 0:
                # An error upstream hides the Dense's shape, but its units are what the head will get: check
                # them now, so applying every fix once leaves nothing to fix.
                shape = PortShape(TensorKind.VECTOR, features=units)
            heads.append(ModelHead(node.name, node_id, spec.head.task, dict(node.params), shape))
    return ModelView(inputs, heads, graph)


def model_vocab_cap(model, inputs: dict) -> int | None:
    """The vocabulary a fitted text vocabulary is cut to: the smallest vocab_size of the mapped token inputs."""
    sizes = [i.vocab for i in model.inputs if i.name in inputs and i.vocab]
    return min(sizes) if sizes else None


def model_problems(facts: DataFacts, inputs: dict, targets: dict, model) -> list[FitProblem]:
    """Every mismatch between ``facts`` and ``model`` (a CompiledModel, or a ModelView whose graph lets the
    problems carry fixes) under the mapping ``inputs`` {input block: field} and ``targets`` {head: field}."""
    view = model if isinstance(model, ModelView) else ModelView(model.inputs, model.heads)
    cap = model_vocab_cap(view, inputs)
    problems = [p for item in view.inputs if item.name in inputs
                for p in _input_problems(facts, item, inputs[item.name], cap, view)]
    for head in view.heads:
        if head.name in targets and head.input_shape is not None:
            problems += _head_problems(facts, head, targets[head.name], inputs, cap, view)
    return problems


def _input_problems(facts: DataFacts, item, name: str, cap, view: ModelView) -> list[FitProblem]:
    data, block, where = facts.fields[name], item.name, f"field '{name}' of dataset '{facts.dataset}'"
    if item.kind is TensorKind.TOKENS:
        if data.kind != TOKENS:
            return [FitProblem(block, f"input block '{block}' takes token ids, but {where} is {data.kind}: "
                                      f"use a Feature sequence input block")]
        size = data.size(data.vocab, cap)
        if item.vocab is not None and size > item.vocab:
            fixes = [Fix.set_param(block, "vocab_size", size)] + [
                Fix.set_param(e.name, "vocab_size", size) for e in view.embeddings(block)
                if e.params.get("vocab_size", 0) < size]
            also = ", or cap it with option 'max_vocab'" if facts.has_max_vocab else ""
            return [FitProblem(block, f"{where} has a vocabulary of {size} tokens, but input block '{block}' has "
                                      f"vocab_size {item.vocab}: set vocab_size (and the embedding's) to at least "
                                      f"{size}{also}", tuple(fixes))]
        return []
    if data.kind != SEQUENCE:
        return [FitProblem(block, f"input block '{block}' takes a feature sequence, but {where} is {data.kind}: "
                                  f"use a Token sequence input block")]
    if item.features is not None and data.width != item.features:
        return [FitProblem(block, f"{where} has {data.width} features per step, but input block '{block}' has "
                                  f"features = {item.features}: set it to {data.width}",
                           (Fix.set_param(block, "features", data.width),))]
    return []


def _units_problem(view: ModelView, head, units: int, want: int, message: str, swap=None) -> FitProblem:
    """A wrong number of scores before ``head``: the fix sets the Dense that feeds it to ``want`` units (and
    swaps its activation by ``swap``, e.g. softmax -> sigmoid for one binary score, so the head accepts it)."""
    before = view.before(head.name)
    if before is not None and before.kind != "dense":
        return FitProblem(before.name, f"{message}; '{before.name}' gives {units}: put a Dense block of {want} "
                                       f"units before head '{head.name}'")
    block = before.name if before is not None else head.name
    fixes = []
    if before is not None:
        fixes.append(Fix.set_param(before.name, "units", want))
        activation = before.params.get("activation")
        if swap and activation in swap:
            fixes.append(Fix.set_param(before.name, "activation", swap[activation]))
    return FitProblem(block, f"{message}, but the Dense before head '{head.name}' has {units} units: set units "
                             f"to {want}", tuple(fixes))


def _head_problems(facts: DataFacts, head, name: str, inputs: dict, cap, view: ModelView) -> list[FitProblem]:
    data, units = facts.fields[name], head.input_shape.features
    where = f"field '{name}' of dataset '{facts.dataset}'"
    if head.task == "regression":
        if data.kind != VALUE:
            return [FitProblem(head.name, f"regression head '{head.name}' needs numbers, but {where} holds "
                                          f"{data.kind}")]
        if units is not None and data.width != units:
            return [_units_problem(view, head, units, data.width, f"{where} has {data.width} value(s) per sample")]
        return []
    if head.task == "classification":
        if data.kind not in (CLASS, BINARY):
            return [FitProblem(head.name, f"classification head '{head.name}' needs labels, but {where} holds "
                                          f"{data.kind}")]
        classes = data.classes
        if head.params.get("mode") == "binary":
            if classes != 2:
                return [_binary_problem(view, head, name, classes)]
            if units is not None and units != 1:
                return [_units_problem(view, head, units, 1, f"head '{head.name}' is binary (one score: yes or no)",
                                       {"softmax": "sigmoid"})]
            return []
        if units is not None and units != classes:  # more units than classes trains classes that never occur
            return [_units_problem(view, head, units, classes, f"{where} has {classes} classes",
                                   {"sigmoid": "softmax"})]
        return []
    # labelling, language_model: one class per step, on the time axis of an input
    if data.kind != STEP_CLASSES:
        return [FitProblem(head.name, f"{head.task} head '{head.name}' needs a class at every step, but {where} "
                                      f"holds {data.kind}")]
    problems = []
    classes = data.size(data.classes, cap)
    if units is not None and classes > units:  # more is harmless here: vocabularies are often rounded up
        problems.append(_units_problem(view, head, units, classes, f"{where} has {classes} classes"))
    source = head.input_shape.time
    from ..training.model_settings import decoder_input  # the rule decoding itself follows (torch: imported late)

    fed_back = next((i for i in view.inputs if i.name == source and i.kind is TensorKind.TOKENS and i.vocab), None)
    decoder = decoder_input(view)
    decodes = head.task == "language_model" or (decoder is not None and decoder[1] == source)
    if units is not None and fed_back is not None and decodes and units > fed_back.vocab:
        # Generation and a decoder's free-running validation feed the predicted id back into that input: an id
        # past its vocabulary would index past the embedding's table in the middle of training.
        problems.append(_units_problem(view, head, units, fed_back.vocab,
                                       f"input block '{source}' (vocab_size {fed_back.vocab}) reads back the "
                                       f"ids head '{head.name}' predicts"))
    if source and inputs.get(source) != data.time:
        problems.append(FitProblem(head.name, f"head '{head.name}' follows the time axis of input block "
                                              f"'{source}', so map that block to field '{data.time}' in data.inputs",
                                   (Fix.set_data(("inputs",), {**inputs, source: data.time}),)))
    return problems


def _binary_problem(view: ModelView, head, name: str, classes: int) -> FitProblem:
    fixes = [Fix.set_param(head.name, "mode", "multiclass")]
    before = view.before(head.name)
    if before is not None and before.kind == "dense":
        fixes.append(Fix.set_param(before.name, "units", classes))
        if before.params.get("activation") == "sigmoid":
            fixes.append(Fix.set_param(before.name, "activation", "softmax"))
    return FitProblem(head.name, f"head '{head.name}' is binary but field '{name}' has {classes} labels; set the "
                                 f"head's mode to multiclass", tuple(fixes))


def fit_problems(document, base_dir=None, info: DataFacts | None = None) -> list[FitProblem]:
    """Every mismatch between ``document``'s graph and its data binding, without training or building the
    model. The dataset is read once per binding (cached; ``info`` may pass facts read earlier, e.g. in a
    worker thread, with data_facts); a graph edit costs a shape analysis and a few comparisons.
    ``base_dir`` (default: the document's folder) is where relative file paths are read from."""
    binding = document.data
    if not binding or (isinstance(binding, dict) and not binding.get("dataset")):
        return [FitProblem(None, NO_DATA)]
    if base_dir is None and getattr(document, "path", None):
        base_dir = Path(document.path).parent
    try:
        if info is None or not isinstance(binding, dict) or info.key != binding_key(binding, base_dir):
            info = data_facts(binding, base_dir)
    except DataError as err:
        return [FitProblem(None, str(err))]
    view = model_view(document.graph)
    if not view.inputs and not view.heads:
        return []  # an empty canvas: the graph's own diagnostics say what to add
    from .binding import resolve_mapping
    from .registry import dataset_spec

    spec = dataset_spec(info.dataset)
    try:
        inputs, targets = resolve_mapping(spec, binding, view)
    except DataError as err:
        return [FitProblem(None, str(err), _mapping_fixes(spec, binding, view))]
    return model_problems(info, inputs, targets, view)


def _mapping_fixes(spec, binding: dict, view: ModelView) -> tuple[Fix, ...]:
    """The automatic mapping (one to one, equal names, or graph order), where it works, as data fixes."""
    from .binding import resolve_mapping

    try:
        auto = resolve_mapping(spec, {k: v for k, v in binding.items() if k not in ("inputs", "targets")}, view)
    except DataError:
        return ()
    return tuple(Fix.set_data((what,), mapping) for what, mapping in zip(("inputs", "targets"), auto)
                 if binding.get(what) != mapping)


def apply_fixes(document, fixes) -> None:
    """Applies ``fixes`` to ``document`` directly (no undo: the window wraps the same edits in one undo step)."""
    data = copy.deepcopy(document.data)
    for fix in fixes:
        if fix.kind == "param":
            node = document.graph.by_name(fix.block)
            if node is None:
                raise DataError(f"cannot fix block '{fix.block}': the graph has no block of that name")
            document.graph.set_param(node.id, fix.param, fix.value)
        else:
            place = data
            for key in fix.path[:-1]:
                place = place.setdefault(key, {})
            place[fix.path[-1]] = copy.deepcopy(fix.value)
    document.data = data
