"""Live values on wires: a run's latest activation statistics (engine ActivationProbe), kept by the scene and
formatted only when an edge is hovered, so painting never pays for them."""
from __future__ import annotations

import math

from engine.graph import Edge, Graph

SNAPSHOT_NOTE = "from the run's snapshot"


def number(value: float) -> str:
    """Three significant digits; scientific notation for the very small and the very large."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e4:
        return f"{value:.2e}"
    return f"{value:.3g}"


def percent(share: float) -> str:
    value = share * 100
    return f"{value:.1f} %" if 0 < value < 10 else f"{value:.0f} %"


def format_stats(stats: dict, shape: str = "", step: int | None = None, note: str | None = None) -> str:
    """"[B, T, 64] · mean 0.02 · std 0.41 · min -0.99 · max 0.98 · 18 % saturated (tanh) · step 340"."""
    parts = [shape] if shape else []
    parts += [f"{name} {number(float(stats[name]))}" for name in ("mean", "std", "min", "max") if name in stats]
    if stats.get("saturated") is not None:
        parts.append(f"{percent(float(stats['saturated']))} saturated ({stats.get('squash')})")
    if step is not None:
        parts.append(f"step {step}")
    if note:
        parts.append(note)
    return " · ".join(parts)


def _signature(graph: Graph) -> tuple[dict, set]:
    """What makes a run's numbers belong to a graph: the blocks' kinds and parameters, and the wires."""
    nodes = {node_id: (node.kind, dict(node.params)) for node_id, node in graph.nodes.items()}
    edges = {(e.src, e.src_port, e.dst, e.dst_port) for e in graph.edges}
    return nodes, edges


class LiveValues:
    """One run's statistics {"<node id>:<port>": {...}} at ``step``, and the graph it trained (``snapshot``;
    None: the graph on the canvas itself). An edge shows them when the run trained that very wire; when the
    canvas has changed since, the text says they come from the run's snapshot; a new wire shows none."""

    def __init__(self, stats: dict, step: int | None, snapshot: Graph | None = None):
        self.stats, self.step = stats, step
        self._nodes, self._edges = _signature(snapshot) if snapshot is not None else (None, None)

    def text(self, graph: Graph, edge: Edge, shape: str = "") -> str | None:
        stats = self.stats.get(f"{edge.src}:{edge.src_port}")
        if stats is None:
            return None
        note = None
        if self._nodes is not None:
            if (edge.src, edge.src_port, edge.dst, edge.dst_port) not in self._edges:
                return None  # a wire the run never trained
            source = graph.nodes.get(edge.src)
            if source is None or self._nodes.get(edge.src, (None,))[0] != source.kind:
                return None
            # Compared on hover only (linear in the blocks, well under a millisecond for hundreds of them).
            if _signature(graph) != (self._nodes, self._edges):
                note = SNAPSHOT_NOTE
        return format_stats(stats, shape, self.step, note)
