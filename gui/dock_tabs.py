"""Hides the stray dock tab bars that QMainWindow leaves on screen (seen with Qt 6.11).

Tabifying a second group of docks creates two tab bars for it, and restoreState creates new ones for every
group: the older bar stays visible where the layout no longer manages it (a "Problems | Model summary" strip
over the Inspector) and is never updated again. Qt shows a bar whenever its layout uses one, so hiding the
stray ones is safe even if Qt takes one of them up later.
"""
from __future__ import annotations

from PySide6.QtWidgets import QMainWindow, QTabBar


def _docks_of(bar: QTabBar) -> frozenset:
    # Qt keeps each tab's dock widget (as an address) in its data: the same docks, the same group.
    return frozenset(bar.tabData(i) for i in range(bar.count()))


def hide_stray_tab_bars(window: QMainWindow) -> list[QTabBar]:
    """Hides every dock tab bar whose docks a newer bar shows too; returns them. Children are listed in the
    order they were created, and the layout uses the newest bar of a group."""
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window]
    stray = [b for i, b in enumerate(bars)
             if b.count() and any(_docks_of(b) <= _docks_of(newer) for newer in bars[i + 1:])]
    for bar in stray:
        bar.hide()
    return stray
