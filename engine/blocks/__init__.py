"""The block catalog: ``CATALOG`` maps a block id to its ``BlockSpec``; ``get_spec`` also knows old ids."""
from __future__ import annotations

from ..specs import BlockSpec
from .catalog import CATALOG

CATEGORIES = ("Inputs", "Embedding", "Recurrent", "Attention", "Layers", "Merge", "Outputs")


def get_spec(block_id: str) -> BlockSpec:
    """The spec for ``block_id`` (current or legacy id); KeyError if the catalog has none."""
    spec = CATALOG.get(block_id)
    if spec is not None:
        return spec
    for candidate in CATALOG.values():
        if block_id in candidate.legacy_ids:
            return candidate
    raise KeyError(block_id)


def specs_by_category() -> dict[str, list[BlockSpec]]:
    groups: dict[str, list[BlockSpec]] = {c: [] for c in CATEGORIES}
    for spec in CATALOG.values():
        groups.setdefault(spec.category, []).append(spec)
    return groups


__all__ = ["CATALOG", "CATEGORIES", "get_spec", "specs_by_category"]
