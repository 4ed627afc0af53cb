"""What a connection drag shows, now that one item paints every highlighted port: compatible ports ringed in
the highlight colour, refused ones in paint_port's faded colours, and nothing left behind when it ends."""
from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter

from gui.canvas.port_item import COMPATIBLE, REFUSED, _faded
from gui.canvas.style import PORT_RADIUS, kind_color
from test_canvas_support import close as close_canvas, open_names


@pytest.fixture
def names(qtbot):
    graph, scene, view = open_names(qtbot, (1400, 700))
    view.resetTransform()  # 100 %: a pixel is a scene unit
    yield graph, scene, view
    close_canvas(scene)


def render(view) -> QImage:
    image = QImage(view.viewport().size(), QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    view.render(painter)
    painter.end()
    return image


def pixel(view, image: QImage, scene_point: QPointF) -> QColor:
    p = view.mapFromScene(scene_point)
    return image.pixelColor(p.x(), p.y())


def close(a: QColor, b: QColor, tolerance: int = 6) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3]))


def test_a_drag_rings_fitting_ports_fades_refused_ones_and_leaves_no_trace(names):
    graph, scene, view = names
    embedding = scene.node_item(graph.by_name("embedding").id)
    bigru_input = scene.node_item(graph.by_name("bigru").id).inputs["input"]
    tokens_input = embedding.inputs["tokens"]  # refused: it would make a loop
    view.centerOn(embedding.outputs["sequence"].anchor())
    palette = embedding.scene_palette()
    before = render(view)

    drag = scene.begin_connection(embedding.outputs["sequence"])
    assert bigru_input.state == COMPATIBLE and tokens_input.state == REFUSED
    during = render(view)
    ring = bigru_input.anchor() + QPointF(PORT_RADIUS + 3.5, 0)  # on the ring, right of the dot
    assert close(pixel(view, during, ring), palette.highlight)
    assert not close(pixel(view, before, ring), palette.highlight)
    # Inside the refused dot: paint_port's faded colour (as when each port painted itself).
    slice_point = tokens_input.anchor() + QPointF(0, -PORT_RADIUS * 0.75)
    faded = _faded(kind_color(tokens_input.kinds[0], palette.dark), palette.node_body)
    assert close(pixel(view, during, slice_point), faded)
    assert not close(pixel(view, before, slice_point), faded)

    drag.finish()
    assert render(view) == before


def test_far_out_a_drag_marks_each_fitting_port_with_a_dot_of_fixed_size_and_leaves_no_trace(names):
    """At 20 % a ring would be a pixel wide: fitting ports get a 9 px dot in the highlight colour instead, refused
    ones none; the minimap's picture (painted without a widget) gets no dots."""
    from PySide6.QtGui import QImage

    from gui.canvas.port_item import TARGET_DOT_PX

    graph, scene, view = names
    view.resetTransform()
    view.scale(0.2, 0.2)
    embedding = scene.node_item(graph.by_name("embedding").id)
    bigru_input = scene.node_item(graph.by_name("bigru").id).inputs["input"]
    tokens_input = embedding.inputs["tokens"]
    view.centerOn(embedding.outputs["sequence"].anchor())
    palette = embedding.scene_palette()
    before = view.grab().toImage()

    drag = scene.begin_connection(embedding.outputs["sequence"])
    assert bigru_input.state == COMPATIBLE and tokens_input.state == REFUSED
    during = view.grab().toImage()
    centre = view.mapFromScene(bigru_input.anchor())
    for dx in (-3, 0, 3):  # the dot spans TARGET_DOT_PX pixels around the port, whatever the zoom
        assert close(during.pixelColor(centre.x() + dx, centre.y()), palette.highlight), dx
    assert not close(before.pixelColor(centre.x() + 3, centre.y()), palette.highlight)
    assert not close(during.pixelColor(centre.x() + TARGET_DOT_PX, centre.y()), palette.highlight)
    refused = view.mapFromScene(tokens_input.anchor())
    assert not close(during.pixelColor(refused.x() + 3, refused.y()), palette.highlight)
    picture = QImage(200, 100, QImage.Format.Format_ARGB32)
    picture.fill(0)
    painter = QPainter(picture)
    painter.scale(0.2, 0.2)
    painter.translate(-bigru_input.anchor() + QPointF(500, 250))
    drag.highlights.paint(painter, None, None)  # as scene.render does for the minimap: no widget
    painter.end()
    assert picture.pixel(100, 50) == 0 and len(set(picture.bits().tobytes())) == 1

    drag.finish()
    assert view.grab().toImage() == before


def test_starting_a_drag_repaints_the_marked_ports_and_the_wire_not_the_whole_view(names, qtbot):
    """The wire's path is set before it joins the scene: set afterwards (on an item never painted), the view
    repainted all of its viewport at every drag start, however few ports were marked."""
    from PySide6.QtCore import QEvent, QObject

    graph, scene, view = names
    view.show()
    qtbot.waitExposed(view)
    chars = scene.node_item(graph.by_name("chars").id)
    view.centerOn(chars.outputs["tokens"].anchor())

    class Regions(QObject):
        painted: list = []

        def eventFilter(self, watched, event):  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint:
                self.painted.append(sum(r.width() * r.height() for r in event.region()))
            return False

    spy = Regions(view.viewport())
    view.viewport().installEventFilter(spy)
    qtbot.wait(50)  # the first paint, out of the way
    spy.painted.clear()
    drag = scene.begin_connection(chars.outputs["tokens"], view.mapToScene(view.viewport().rect()).boundingRect())
    assert [p for p in drag.highlighted if p.state == COMPATIBLE]  # the embedding's input: something to mark
    qtbot.waitUntil(lambda: bool(spy.painted), timeout=2000)
    whole = view.viewport().width() * view.viewport().height()
    assert sum(spy.painted) < 0.5 * whole, f"{sum(spy.painted) / whole:.0%} of the view repainted"
    drag.finish()
