"""Which dataset field feeds which graph block: the binding's ``inputs``/``targets`` maps, or an automatic
match (one to one, or by equal names), with errors that list what can be mapped.
"""
from __future__ import annotations

from ..specs import shown
from .base import DataError, DatasetSpec


def _auto(blocks: list[str], fields: list[str], what: str, spec: DatasetSpec) -> dict[str, str]:
    if len(blocks) == 1 and len(fields) == 1:
        return {blocks[0]: fields[0]}
    same = {b: b for b in blocks if b in fields}
    if len(same) == len(blocks):
        return same
    if len(blocks) == len(fields) and what == "inputs":
        return dict(zip(blocks, fields))  # several inputs: graph order matches the dataset's field order
    unmapped = [b for b in blocks if b not in same]
    raise DataError(f"set data.{what} to map {', '.join(repr(b) for b in unmapped)} to fields of dataset "
                    f"'{spec.name}' ({', '.join(fields)})")


def resolve_mapping(spec: DatasetSpec, binding: dict, model=None) -> tuple[dict[str, str], dict[str, str]]:
    """({input block: field}, {head block: field}); without a model, fields map to themselves."""
    field_names = {"inputs": [f.name for f in spec.fields if f.role == "input"],
                   "targets": [f.name for f in spec.fields if f.role == "target"]}
    blocks = {"inputs": [i.name for i in model.inputs] if model is not None else None,
              "targets": [h.name for h in model.heads] if model is not None else None}
    result = []
    for what in ("inputs", "targets"):
        given = binding.get(what)
        fields = field_names[what]
        if given is not None and not isinstance(given, dict):
            raise DataError(f"data.{what} must map block names to field names, not {shown(given)}")
        if not given:
            mapping = _auto(blocks[what], fields, what, spec) if blocks[what] is not None else {f: f for f in fields}
        else:
            mapping = {str(k): str(v) for k, v in given.items()}
        role = "input" if what == "inputs" else "target"
        for block, name in mapping.items():
            if name not in fields:
                other = [f.name for f in spec.fields if f.name == name]
                hint = f" ('{name}' is a {'target' if role == 'input' else 'input'} field)" if other else ""
                raise DataError(f"data.{what}: block {shown(block)} maps to {shown(name)}, which is no {role} field of "
                                f"dataset '{spec.name}'{hint}; its {role} fields are {', '.join(fields)}")
            if blocks[what] is not None and block not in blocks[what]:
                kind = "input block" if what == "inputs" else "head block"
                raise DataError(f"data.{what}: the model has no {kind} {shown(block)}; it has "
                                f"{', '.join(blocks[what]) or 'none'}")
        if blocks[what] is not None:
            for block in blocks[what]:
                if block not in mapping:
                    raise DataError(f"data.{what}: block '{block}' gets no data; map it to one of "
                                    f"{', '.join(fields)} of dataset '{spec.name}'")
        result.append(mapping)
    return result[0], result[1]
