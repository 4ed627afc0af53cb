"""Zoomed far out, one item (WireLayer) draws every wire: the picture must be the one the wires draw
themselves, follow every change of the graph, and leave the wires clickable and their highlights visible."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QGraphicsItem

import gui.canvas.view as canvas_view
from test_canvas_support import close, open_names

FAR = 0.3  # below wire_layer.LAYER_BELOW


@pytest.fixture
def far(qtbot):
    graph, scene, view = open_names(qtbot, (700, 300))
    view.resetTransform()
    view.scale(FAR, FAR)
    view.centerOn(scene.nodes_rect().center())
    yield graph, scene, view
    close(scene)


def picture(view) -> QImage:
    return view.grab().toImage()  # a real paint event: the view decides who draws the wires there


def by_items(view, monkeypatch) -> QImage:
    """The same view with every wire painting itself."""
    monkeypatch.setattr(canvas_view, "LAYER_BELOW", 0.0)
    image = picture(view)
    monkeypatch.setattr(canvas_view, "LAYER_BELOW", 0.45)
    return image


def pixels(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_ARGB32)
    return np.frombuffer(image.constBits(), np.uint32, image.width() * image.height()).copy()


def differing(a: QImage, b: QImage) -> int:
    return int((pixels(a) != pixels(b)).sum())


def no_contents(item) -> bool:
    return bool(item.flags() & QGraphicsItem.GraphicsItemFlag.ItemHasNoContents)


def test_far_out_the_layer_draws_the_wires_exactly_as_they_draw_themselves(far, monkeypatch):
    graph, scene, view = far
    layered = picture(view)
    assert scene.wire_layer.active
    assert all(no_contents(e) for e in scene.edge_items())
    themselves = by_items(view, monkeypatch)
    assert not scene.wire_layer.active and not any(no_contents(e) for e in scene.edge_items())
    assert differing(layered, themselves) == 0
    # and the wires are in the picture: without them it differs
    for edge in scene.edge_items():
        edge.setVisible(False)
    assert differing(by_items(view, monkeypatch), themselves) > 50


def test_zooming_in_hands_the_wires_back(far):
    graph, scene, view = far
    picture(view)
    assert scene.wire_layer.active
    view.resetTransform()
    picture(view)
    assert not scene.wire_layer.active
    assert not any(no_contents(e) for e in scene.edge_items())


def test_a_moved_block_and_a_removed_wire_show_in_the_layer(far, monkeypatch):
    graph, scene, view = far
    picture(view)
    bigru = graph.by_name("bigru")
    scene.node_item(bigru.id).setPos(bigru.pos[0] + 40, bigru.pos[1] + 200)  # its wires re-route
    moved = picture(view)
    assert differing(moved, by_items(view, monkeypatch)) == 0
    picture(view)
    graph.disconnect(graph.edges[-1])
    removed = picture(view)
    assert differing(removed, moved) > 0
    assert differing(removed, by_items(view, monkeypatch)) == 0


def test_far_out_a_wire_is_still_clicked_selected_and_highlighted(far, qtbot):
    graph, scene, view = far
    picture(view)
    edge = scene.edge_items()[2]
    point = edge.wire_path().pointAtPercent(0.5)
    plain = picture(view)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=view.mapFromScene(point))
    assert scene.selected_edges() == [edge.edge]
    assert not no_contents(edge)  # paints itself, with its selection highlight, over the layer
    assert differing(picture(view), plain) > 0
    qtbot.mouseMove(view.viewport(), QPoint(2, 2))  # off the wire: no longer hovered
    scene.clearSelection()
    qtbot.waitUntil(lambda: no_contents(edge), timeout=2000)
    assert differing(picture(view), plain) == 0


def test_hovering_a_wire_far_out_paints_its_halo(far, qtbot):
    graph, scene, view = far
    picture(view)
    edge = scene.edge_items()[1]
    plain = picture(view)
    qtbot.mouseMove(view.viewport(), view.mapFromScene(edge.wire_path().pointAtPercent(0.5)))
    qtbot.waitUntil(lambda: edge.hovered, timeout=2000)
    assert not no_contents(edge)
    assert differing(picture(view), plain) > 0
    qtbot.mouseMove(view.viewport(), QPoint(2, 2))
    qtbot.waitUntil(lambda: not edge.hovered, timeout=2000)
    assert no_contents(edge)


def test_the_layer_is_never_under_the_cursor(far):
    graph, scene, view = far
    picture(view)
    point = scene.edge_items()[0].wire_path().pointAtPercent(0.5)
    assert scene.wire_layer not in scene.items(point)
    assert scene.wire_layer not in view.items(view.mapFromScene(point))
    assert scene.items(QPointF(-5000, -5000)) == []


def test_far_out_a_wire_whose_input_end_is_picked_up_leaves_the_picture_until_dropped(far, monkeypatch):
    graph, scene, view = far
    plain = picture(view)
    bigru = graph.by_name("bigru")
    port = scene.node_item(bigru.id).inputs["input"]
    drag = scene.begin_connection(port)  # a connected input: its wire's end is picked up
    edge = scene.edge_item(drag.picked)
    assert not edge.isVisible()
    during = picture(view)
    assert differing(during, by_items(view, monkeypatch)) == 0  # as the wires themselves show it: gone
    drag.finish()
    assert edge.isVisible()
    assert differing(picture(view), plain) == 0
