"""Setting paths into a document (``training.<field>``, ``data.<key>``, ``data.options.<name>``, ``<block>.<param>``),
each resolved to its ``Param``, read, parsed from text and set with validation (the CLI's ``--set``, experiments).
"""
from __future__ import annotations

import re
from typing import Any

from .data.registry import DATASETS
from .specs import INT64_MAX, Param, format_value, shown
from .training.config import TRAINING_PARAMS

P = Param
DATA_PARAMS: tuple[Param, ...] = (
    P("dataset", str, None, "The dataset (rnn-studio datasets lists them)", choices=tuple(DATASETS)),
    P("seed", int, 0, "Seed of the random split and of generated data", min=0),
    P("split", list, (0.8, 0.1, 0.1), "Fractions of the samples for train, val and test; they add up to 1",
      items=float, size=3, min=0, max=1, total=1),
    P("bucketing", bool, True, "Batch sequences of similar length together (less padding)"),
)
SECTIONS = ("training", "data", "graph")  # "graph.<block>.<param>" reaches a block whatever its name
_MAPPINGS = {"inputs": "input", "targets": "target"}  # data.inputs.<input block>, data.targets.<head block>
_MAX_PATH = 200
_MAX_TEXT = 10_000  # longer values are refused before parsing (int() of 5,000 digits is slow or an error)
_INT = re.compile(r"[+-]?\d[\d_]*")


class SettingError(ValueError):
    """A setting path that names nothing, or a value it does not allow; ``path`` is the setting."""

    def __init__(self, path: str, message: str):
        path = str(path)
        self.path = path if path.isprintable() and len(path) <= _MAX_PATH else shown(path)
        self.message = message
        super().__init__(f"{self.path}: {message}")


# ---------------------------------------------------------------------------------------------------- paths
def _parts(path: Any) -> list[str]:
    if not isinstance(path, str) or not path or len(path) > _MAX_PATH or not all(path.split(".")):
        raise SettingError(path if isinstance(path, str) else shown(path),
                           "is not a setting path: use training.<field>, data.<key>, data.options.<name> or "
                           "<block>.<param>")
    return path.split(".")


def _find(params: tuple[Param, ...], name: str, path: str, what: str) -> Param:
    for param in params:
        if param.name == name:
            return param
    raise SettingError(path, f"is not {what} (known: {', '.join(p.name for p in params) or 'none'})")


def _dataset(document, path: str):
    name = (document.data or {}).get("dataset")
    if name not in DATASETS:
        raise SettingError(path, "the document has no dataset yet: set data.dataset first" if name is None else
                           f"the document's dataset {shown(name)} is unknown: set data.dataset first")
    return DATASETS[name]


def _node(document, name: str, path: str):
    node = document.graph.by_name(name)
    if node is None:
        names = ", ".join(n.name for n in document.graph.nodes.values()) or "none"
        raise SettingError(path, f"there is no block called {name!r} (blocks: {names}; sections: training, data)")
    return node


def param_for(document, path: str) -> Param:
    """The Param describing the setting at ``path``; SettingError naming the path if it names nothing."""
    parts = _parts(path)
    head = parts[0]
    if head == "training":
        if len(parts) != 2:
            raise SettingError(path, "training settings are training.<field>, e.g. training.lr")
        return _find(TRAINING_PARAMS, parts[1], path, "a training setting")
    if head == "data":
        if len(parts) == 2:
            return _find(DATA_PARAMS, parts[1], path, "a data setting (data.options.<name> for dataset options)")
        if len(parts) == 3 and parts[1] == "options":
            spec = _dataset(document, path)
            return _find(spec.options, parts[2], path, f"an option of dataset '{spec.name}'")
        if len(parts) == 3 and parts[1] in _MAPPINGS:
            spec = _dataset(document, path)
            node = _node(document, parts[2], path)
            fields = tuple(f.name for f in spec.fields if f.role == _MAPPINGS[parts[1]])
            return P(parts[2], str, None, f"The dataset field {node.name} reads", choices=fields)
        raise SettingError(path, "data settings are data.<key>, data.options.<name>, data.inputs.<block> or "
                                 "data.targets.<block>")
    if head == "graph":
        parts = parts[1:]
    if len(parts) != 2:
        raise SettingError(path, "block parameters are <block>.<param>, e.g. lstm.hidden_size")
    node = _node(document, parts[0], path)
    return _find(node.spec.params, parts[1], path, f"a parameter of {node.label}")


def setting_paths(document) -> list[str]:
    """Every path ``set_setting`` accepts for this document (options of its dataset, its blocks)."""
    paths = [f"training.{p.name}" for p in TRAINING_PARAMS] + [f"data.{p.name}" for p in DATA_PARAMS]
    name = (document.data or {}).get("dataset")
    if name in DATASETS:
        paths += [f"data.options.{o.name}" for o in DATASETS[name].options]
    for node in document.graph.nodes.values():
        paths += [f"{node.name}.{p.name}" for p in node.spec.params]
    return paths


# ---------------------------------------------------------------------------------------------------- values
def _plain(value: Any) -> Any:
    """Tuples become lists: the document is JSON, and a stored default must not be shared and mutated."""
    return list(value) if isinstance(value, tuple) else value


def get_setting(document, path: str) -> Any:
    """The setting's value in ``document``, or its default where the document does not set it."""
    param = param_for(document, path)
    parts = path.split(".")
    if parts[0] == "training":
        return _plain((document.training or {}).get(param.name, param.default))
    if parts[0] == "data":
        data = document.data or {}
        if len(parts) == 2:
            return _plain(data.get(param.name, param.default))
        section = data.get(parts[1]) if isinstance(data.get(parts[1]), dict) else {}
        return _plain(section.get(parts[2], param.default))
    node = _node(document, parts[-2], path)
    return _plain(node.params.get(param.name, param.default))


def section_values(document, path: str) -> dict[str, Any]:
    """The values a ``when`` of the setting at ``path`` refers to: its neighbours (training settings, the
    dataset's options or the block's parameters), defaults included."""
    parts = _parts(path)
    if parts[0] == "training":
        return {p.name: (document.training or {}).get(p.name, p.default) for p in TRAINING_PARAMS}
    if parts[0] == "data" and len(parts) == 3 and parts[1] == "options":
        given = (document.data or {}).get("options")
        return {**_dataset(document, path).defaults(), **(given if isinstance(given, dict) else {})}
    if parts[0] == "data":
        return dict(document.data or {})
    node = _node(document, parts[-2], path)
    return {**node.spec.defaults(), **node.params}


def inactive_reason(document, path: str) -> str | None:
    """Why the setting at ``path`` has no effect with the document's other settings (its ``when``), else None."""
    param = param_for(document, path)
    return None if param.applies(section_values(document, path)) else param.when_text()


def set_setting(document, path: str, value: Any) -> None:
    """Sets the setting at ``path`` to ``value`` after checking it against its Param; SettingError otherwise.

    The document's ``training`` and ``data`` sections are replaced by new dicts (never mutated in place, so a
    snapshot or an undo command holding the old dict keeps it). Changing ``data.dataset`` keeps the options
    the new dataset accepts and drops the field mapping of the old one."""
    param = param_for(document, path)
    problem = param.problem(value)
    if problem:
        raise SettingError(path, f"{problem}, got {shown(value)}")
    value = _plain(value)
    parts = path.split(".")
    if parts[0] == "training":
        document.training = {**(document.training or {}), param.name: value}
    elif parts[0] == "data":
        document.data = _new_data(document, parts, param, value, path)
    else:
        node = _node(document, parts[-2], path)
        document.graph.set_param(node.id, param.name, value)


def _new_data(document, parts: list[str], param: Param, value: Any, path: str) -> dict:
    data = dict(document.data or {})
    if len(parts) == 3:
        section = data.get(parts[1])
        data[parts[1]] = {**(section if isinstance(section, dict) else {}), param.name: value}
        return data
    if param.name == "split" and value[0] <= 0:
        raise SettingError(path, f"must give the training split a share above 0, got {shown(value)}")
    if param.name == "dataset" and data.get("dataset") != value:
        spec = DATASETS[value]
        names = {o.name for o in spec.options}
        old = data.get("options") if isinstance(data.get("options"), dict) else {}
        data["options"] = {k: v for k, v in old.items() if k in names and not spec.option(k).problem(v)}
        for mapping in _MAPPINGS:  # they name the old dataset's fields
            data.pop(mapping, None)
    data[param.name] = value
    return data


# ---------------------------------------------------------------------------------------------------- text
def parse_value(param: Param, text: str, path: str | None = None) -> Any:
    """``text`` as a value of ``param``'s type: "0.01" -> 0.01, "true" -> True, "none" -> None (nullable),
    "a,b" -> ["a", "b"] (lists). Raises SettingError (naming ``path`` or the param) for text of another type;
    the range is checked by ``set_setting`` (so "nan" parses as a float and is refused there)."""
    where = path or param.name
    if not isinstance(text, str):
        raise SettingError(where, f"expected text to read, got {shown(text)}")
    if len(text) > _MAX_TEXT:
        raise SettingError(where, f"is {len(text):,} characters long: too long for a setting")
    stripped = text.strip()
    if param.nullable and (stripped.lower() in ("none", "null") or (not stripped and param.type is not bool)):
        return None
    if param.type is list:
        if stripped.lower() in ("none", "null"):
            return []  # "--set training.probes=none": no probes
        inner = stripped[1:-1] if stripped.startswith("[") and stripped.endswith("]") else stripped
        items = [i.strip().strip("'\"") for i in inner.split(",")] if inner.strip() else []
        return [_scalar(param.items, item, where, param) for item in items]
    return _scalar(param.type, stripped if param.type is not str else text.strip(), where, param)


def _scalar(kind: type, text: str, where: str, param: Param) -> Any:
    if kind is bool:
        word = text.lower()
        if word in ("true", "yes", "on", "1"):
            return True
        if word in ("false", "no", "off", "0"):
            return False
        raise SettingError(where, f"must be true or false, got {shown(text)}")
    if kind is int:
        if _INT.fullmatch(text) and len(text) <= 40:  # longer is beyond int64 anyway: say so below
            return int(text)
        number = _float(text)
        if number is not None and number.is_integer() and abs(number) <= INT64_MAX:
            return int(number)  # "1e6" is a whole number
        if _INT.fullmatch(text):
            raise SettingError(where, f"must fit in 64 bits (at most {INT64_MAX}), got {shown(text)}")
        raise SettingError(where, f"must be a whole number, got {shown(text)}")
    if kind is float:
        number = _float(text)
        if number is None:
            raise SettingError(where, f"must be a number such as 0.01 or 1e-3, got {shown(text)}")
        return number
    return text


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (ValueError, OverflowError):
        return None


def assign(document, assignment: str) -> tuple[str, Any]:
    """Applies one ``PATH=VALUE`` text (the CLI's ``--set``); returns the path and the value set."""
    if not isinstance(assignment, str) or "=" not in assignment:
        raise SettingError(shown(assignment) if not isinstance(assignment, str) else assignment.split("=")[0],
                           "expected PATH=VALUE, e.g. training.lr=0.01")
    path, text = assignment.split("=", 1)
    path = path.strip()
    value = parse_value(param_for(document, path), text, path)
    set_setting(document, path, value)
    return path, value


def describe_setting(document, path: str) -> str:
    """One line: the path, its current value and its Param's type, range and default."""
    param = param_for(document, path)
    return f"{path} = {format_value(get_setting(document, path))}  ({param.describe()})"


__all__ = ["DATA_PARAMS", "SettingError", "assign", "describe_setting", "get_setting",
           "inactive_reason", "param_for", "parse_value", "section_values", "set_setting", "setting_paths"]
