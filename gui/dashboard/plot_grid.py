"""PlotGrid: a tab's plots in rows, or all in one row when the space is wide and short.

The docked dashboard on a 1280x720 screen is a strip about 1,200 px wide and 250 px high: two rows of plots
there needed scrolling, and a plot scrolled half out of sight hides its axis. One row fits; in focus mode or a
tall dock the rows come back.
"""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QGridLayout, QWidget

GO_WIDE, GO_TALL = 2.6, 2.2  # width/height ratios; apart, so that a switch cannot undo itself
SPACING = 6  # between plots (the grid's spacing)


def one_row(width: int, height: int, now: bool | None) -> bool:
    """Whether plots ``width`` x ``height`` in size go in one row, given whether they are (``now``)."""
    return width / max(1, height) > (GO_TALL if now else GO_WIDE)


class PlotGrid(QWidget):
    def __init__(self, plots: list[QWidget], rows: list[tuple[int, int, int, int]],
                 row_stretch: tuple[int, ...] = (), wide_stretch: tuple[int, ...] = ()):
        """``rows``: each plot's (row, column, row span, column span) in the arrangement in rows;
        ``row_stretch`` the rows' shares there; ``wide_stretch`` each plot's share of the one row."""
        super().__init__()
        self.plots = list(plots)
        self._rows, self._row_stretch = rows, row_stretch
        self._wide_stretch = wide_stretch or (1,) * len(self.plots)
        self.wide: bool | None = None
        grid = QGridLayout(self)
        grid.setSpacing(SPACING)
        grid.setContentsMargins(0, 0, 0, 0)
        self._arrange(False)

    def _arrange(self, wide: bool) -> None:
        if wide == self.wide:
            return
        self.wide = wide
        grid: QGridLayout = self.layout()
        for plot in self.plots:
            grid.removeWidget(plot)
        for column in range(grid.columnCount()):
            grid.setColumnStretch(column, 0)
        for row in range(grid.rowCount()):
            grid.setRowStretch(row, 0)
        if wide:
            for column, (plot, stretch) in enumerate(zip(self.plots, self._wide_stretch)):
                grid.addWidget(plot, 0, column)
                grid.setColumnStretch(column, stretch)
        else:
            for plot, (row, column, row_span, column_span) in zip(self.plots, self._rows):
                grid.addWidget(plot, row, column, row_span, column_span)
                grid.setColumnStretch(column, 1)
            for row, stretch in enumerate(self._row_stretch):
                grid.setRowStretch(row, stretch)

    def _widths(self, compact: bool) -> tuple[int, int]:
        """The least width of the plots in one row, and of the widest row of the arrangement in rows, with
        their tools unfolded or folded (the spacing between plots included)."""
        rows: dict[int, int] = {}
        for plot, (row, *_rest) in zip(self.plots, self._rows):
            rows[row] = rows.get(row, 0) + _needed(plot, compact) + SPACING
        one = sum(_needed(plot, compact) + SPACING for plot in self.plots)
        return one, max(rows.values(), default=0)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        # Never the width of the row the plots stand in now: a dock made narrower must reach resizeEvent,
        # which puts them in rows or folds their tools (a grid held at its one-row width never could).
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self._widths(True)[1]), hint.height())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # One row only where the plots' toolbars fit side by side (the dock never scrolls sideways): with their
        # tools unfolded if there is room, folded into a menu each if that is what fits.
        (full_one, full_rows), (folded_one, _) = self._widths(False), self._widths(True)
        width = self.width()
        wide = width >= folded_one and one_row(width, self.height(), self.wide)
        compact = width < (full_one if wide else full_rows)
        for plot in self.plots:
            if hasattr(plot, "set_compact"):
                plot.set_compact(compact)
        self._arrange(wide)


def _needed(plot: QWidget, compact: bool) -> int:
    needed = getattr(plot, "needed_width", None)
    return needed(compact) if needed is not None else plot.minimumSizeHint().width()
