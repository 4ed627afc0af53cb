"""View ▸ Wire values: what hovering a wire shows (ports, shape, a run's latest statistics), for every wire of
the selected blocks and wires at once, in a small popup beside the selection: the keyboard's way to them."""
from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout

from engine.graph import Edge

MAX_WIRES = 24  # more than a popup can show readably (Select All on a big graph): the rest is counted
NO_RUN = "no run statistics yet: train to see values"
NOT_TRAINED = "no statistics for this wire in the shown run: train again to see values"
NOTHING_SELECTED = "Wire values: select a block or a wire first, then press the key again"


def selected_wires(scene) -> list[Edge]:
    """The wires of the selected blocks and the selected wires themselves, once each, in document order."""
    ids = set(scene.selected_node_ids())
    chosen = set(scene.selected_edges())
    return [e for e in scene.graph.edges if e in chosen or e.src in ids or e.dst in ids]


def wire_text(scene, edge: Edge) -> str:
    """One wire's paragraph: which blocks it joins, then its hover text; a line saying why numbers are
    missing when it has none (no run shown yet, or a wire that run never trained)."""
    graph = scene.graph
    item = scene.edge_item(edge)
    lines = [f"{graph.node(edge.src).name} → {graph.node(edge.dst).name}",
             item.hover_text() if item is not None else f"{edge.src_port} → {edge.dst_port}"]
    if scene.live_value_text(edge) is None:
        lines.append(NOT_TRAINED if scene.has_live_values() else NO_RUN)
    return "\n".join(lines)


def wire_values_text(scene, edges: list[Edge]) -> str:
    shown = [wire_text(scene, e) for e in edges[:MAX_WIRES]]
    if len(edges) > MAX_WIRES:
        shown.append(f"… and {len(edges) - MAX_WIRES} more wires: select fewer blocks to see them")
    return "\n\n".join(shown)


class WireValuesPopup(QFrame):
    """A frameless popup with the text (selectable, so numbers can be copied); Esc or a click elsewhere
    closes it."""

    def __init__(self, parent, text: str):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(text)
        self.label.setTextFormat(Qt.TextFormat.PlainText)  # block names are the user's text, never HTML
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addWidget(self.label)

    def text(self) -> str:
        return self.label.text()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            event.accept()
            return
        super().keyPressEvent(event)


def show_wire_values(view) -> WireValuesPopup | None:
    """Opens the popup beside the selection (its top-right corner, kept inside the view); with nothing
    selected, or no wire to show, says so in the status bar instead and returns None."""
    scene = view.graph_scene
    edges = selected_wires(scene)
    if not edges:
        ids = scene.selected_node_ids()
        scene.statusMessage.emit(
            f"{scene.graph.node(ids[0]).name} has no wires: connect it to see the values on them" if len(ids) == 1
            else "The selected blocks have no wires" if ids else NOTHING_SELECTED)
        return None
    area = scene.nodes_rect(scene.selected_node_ids())
    for edge in scene.selected_edges():
        area = area.united(scene.edge_item(edge).sceneBoundingRect())
    corner = view.mapFromScene(area.topRight()) + QPoint(8, 0)
    inside = QRectF(view.viewport().rect().adjusted(0, 0, -40, -40))
    corner = QPoint(round(min(max(corner.x(), inside.left()), inside.right())),
                    round(min(max(corner.y(), inside.top()), inside.bottom())))
    popup = WireValuesPopup(view, wire_values_text(scene, edges))
    popup.move(view.viewport().mapToGlobal(corner))
    popup.show()
    return popup
