"""Where new blocks go: the nearest free space to where the user expects them (below pasted originals, the
view centre for a palette block), so that nothing lands on top of a block already on the canvas."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF

from .style import GRID

GAP = 30.0  # space kept between a placed block and its neighbours
POINTED_GAP = 8.0  # a block put where the user points moves only as far as needed not to touch another
ESTIMATED_HEIGHT = 100.0  # a block not drawn yet (pasted from another window): a typical height


def free_offset(occupied: list[QRectF], rect: QRectF, preferred: QPointF, max_rings: int = 40,
                gap: float = GAP) -> QPointF:
    """The offset closest to ``preferred`` that moves ``rect`` clear of every rectangle in ``occupied``
    (with ``gap`` around each): tried on rings of grid steps around ``preferred``, nearest first."""
    grown = [r.adjusted(-gap, -gap, gap, gap) for r in occupied]

    def free(offset: QPointF) -> bool:
        moved = rect.translated(offset)
        return not any(moved.intersects(r) for r in grown)

    step_x, step_y = max(GRID * 4, 40.0), max(GRID * 4, 40.0)
    if free(preferred):
        return preferred
    for ring in range(1, max_rings + 1):
        candidates = [QPointF(preferred.x() + dx * step_x, preferred.y() + dy * step_y)
                      for dx in range(-ring, ring + 1) for dy in range(-ring, ring + 1)
                      if max(abs(dx), abs(dy)) == ring]
        candidates.sort(key=lambda o: (o.x() - preferred.x()) ** 2 + (o.y() - preferred.y()) ** 2)
        for offset in candidates:
            if free(offset):
                return offset
    return preferred  # a canvas crowded this far around: better on top than far out of sight


def snapped(point: QPointF) -> QPointF:
    return QPointF(round(point.x() / GRID) * GRID, round(point.y() / GRID) * GRID)
