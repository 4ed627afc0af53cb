"""PlotGrid: a tab's plots in rows, or all in one row when the space is wide and short.

The docked dashboard on a 1280x720 screen is a strip about 1,200 px wide and 250 px high: two rows of plots
there needed scrolling, and a plot scrolled half out of sight hides its axis. One row fits; in focus mode or a
tall dock the rows come back.
"""
from __future__ import annotations

from PySide6.QtWidgets import QGridLayout, QWidget

GO_WIDE, GO_TALL = 2.6, 2.2  # width/height ratios; apart, so that a switch cannot undo itself


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

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        # One row only where the plots' toolbars fit side by side: the dock never scrolls sideways.
        fits = self.width() >= sum(plot.minimumSizeHint().width() for plot in self.plots) + 6 * len(self.plots)
        self._arrange(fits and one_row(self.width(), self.height(), self.wide))
