"""Reroute points on wires: added by double-click, Alt+click or the wire's menu, dragged (alone or with the
blocks around them), deleted; the wire is drawn smoothly through them; each action is one undo step."""
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QPainterPath
from PySide6.QtTest import QTest

from engine.annotations import MAX_POINTS
from engine.document import loads

from test_gui_canvas import Canvas, empty, names, no_leaked_popups  # noqa: F401  (shared fixtures)


def at(canvas, point: QPointF) -> QPoint:
    return canvas.view.mapFromScene(point)


def first_wire(canvas):
    edge = canvas.graph.edges[0]
    return edge, canvas.scene.edge_item(edge)


def path_points(path: QPainterPath) -> list[QPointF]:
    return [QPointF(path.elementAt(i).x, path.elementAt(i).y) for i in range(path.elementCount())]


def test_double_click_on_a_wire_adds_a_point_the_wire_runs_through_smoothly(names):
    edge, item = first_wire(names)
    mid = item.wire_path().pointAtPercent(0.5)
    QTest.mouseDClick(names.view.viewport(), Qt.MouseButton.LeftButton, pos=at(names, mid))
    (point,) = names.graph.annotations.points(edge)
    assert abs(point[0] - mid.x()) <= 1 / names.view.zoom + 0.01 and abs(point[1] - mid.y()) <= 1 / names.view.zoom + 0.01
    assert names.stack.count() == 1 and names.stack.command(0).text() == "Add reroute point"
    elements = path_points(item.wire_path())
    p = QPointF(*point)
    assert elements[3] == p  # the first stretch ends on the point ...
    assert elements[2].y() == p.y() == elements[4].y()  # ... and the curve is horizontal through it
    assert [r.pos() for r in item.reroutes] == [p]
    names.stack.undo()
    assert names.graph.annotations.points(edge) == () and item.reroutes == []
    names.stack.redo()
    assert names.graph.annotations.points(edge) == (point,)


def test_alt_click_adds_points_in_order_along_the_wire(names):
    edge, item = first_wire(names)
    start, end = item.source.anchor(), item.target.anchor()
    late = item.wire_path().pointAtPercent(0.8)
    early = item.wire_path().pointAtPercent(0.2)
    for where in (late, early):
        QTest.mouseClick(names.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.AltModifier,
                         at(names, where))
    points = names.graph.annotations.points(edge)
    assert len(points) == 2 and points[0][0] < points[1][0]  # the earlier stretch's point comes first
    assert start.x() < points[0][0] < points[1][0] < end.x() and names.stack.count() == 2


def test_dragging_a_point_moves_it_as_one_step_and_the_wire_follows(names):
    edge, item = first_wire(names)
    names.scene.add_point(edge, item.wire_path().pointAtPercent(0.5))
    (before,) = names.graph.annotations.points(edge)
    handle = item.reroutes[0]
    start = at(names, handle.pos())
    names.drag(start, start + QPoint(0, 60))
    (after,) = names.graph.annotations.points(edge)
    assert after[0] == before[0] and after[1] > before[1] + 40
    assert QPointF(*after) in path_points(item.wire_path())
    assert names.stack.count() == 2 and names.stack.command(1).text() == "Move reroute point"
    names.stack.undo()
    assert names.graph.annotations.points(edge) == (before,) and item.reroutes[0].pos() == QPointF(*before)


def test_a_point_is_deleted_by_double_click_or_by_delete(names):
    edge, item = first_wire(names)
    names.scene.add_point(edge, item.wire_path().pointAtPercent(0.3))
    names.scene.add_point(edge, item.wire_path().pointAtPercent(0.7))
    QTest.mouseDClick(names.view.viewport(), Qt.MouseButton.LeftButton, pos=at(names, item.reroutes[0].pos()))
    assert len(names.graph.annotations.points(edge)) == 1
    assert names.stack.command(names.stack.count() - 1).text() == "Delete reroute point"
    item.reroutes[0].setSelected(True)
    names.view.setFocus()
    QTest.keyClick(names.view, Qt.Key.Key_Delete)
    assert names.graph.annotations.points(edge) == () and len(names.graph.edges) >= 1 and edge in names.graph.edges
    names.stack.undo()
    assert len(names.graph.annotations.points(edge)) == 1


def test_points_move_with_a_rubber_band_selection_of_blocks(names):
    edge, item = first_wire(names)
    names.scene.add_point(edge, item.wire_path().pointAtPercent(0.5))
    (point,) = names.graph.annotations.points(edge)
    ends = [edge.src, edge.dst]
    area = names.scene.nodes_rect(ends).adjusted(-5, -5, 5, 5)
    names.drag(at(names, area.topLeft() - QPointF(20, 20)), at(names, area.bottomRight() + QPointF(5, 5)))
    assert set(ends) <= set(names.scene.selected_node_ids()) and names.scene.selected_points() == [(edge, 0)]
    src = names.scene.node_item(edge.src)
    before = {n: names.graph.node(n).pos for n in names.scene.selected_node_ids()}
    grab = at(names, QPointF(src.pos().x() + 20, src.pos().y() + 8))
    names.drag(grab, grab + QPoint(0, 50))
    dy = names.graph.node(edge.src).pos[1] - before[edge.src][1]
    assert dy > 20 and names.graph.annotations.points(edge) == ((point[0], point[1] + dy),)
    assert names.stack.command(names.stack.count() - 1).text().startswith("Move ")
    names.stack.undo()
    assert names.graph.annotations.points(edge) == (point,) and names.graph.node(edge.src).pos == before[edge.src]


def test_points_travel_with_copied_blocks(names):
    edge, item = first_wire(names)
    names.scene.add_point(edge, item.wire_path().pointAtPercent(0.5))
    (point,) = names.graph.annotations.points(edge)
    names.scene.select_nodes([edge.src, edge.dst])
    names.view.copy_selection()
    new = names.view.paste()
    src, dst = new
    dx = names.graph.node(src).pos[0] - names.graph.node(edge.src).pos[0]
    dy = names.graph.node(src).pos[1] - names.graph.node(edge.src).pos[1]
    (copied,) = [e for e in names.graph.edges if e.src == src and e.dst == dst]
    assert names.graph.annotations.points(copied) == ((point[0] + dx, point[1] + dy),)
    assert len(names.scene.edge_item(copied).reroutes) == 1
    names.stack.undo()
    assert src not in names.graph.nodes and names.graph.annotations.points(edge) == (point,)


def test_a_disconnected_wire_comes_back_with_its_points_on_undo(names):
    from gui.commands import DisconnectCommand

    edge, item = first_wire(names)
    names.scene.add_point(edge, item.wire_path().pointAtPercent(0.5))
    points = names.graph.annotations.points(edge)
    names.stack.push(DisconnectCommand(names.graph, edge))
    assert "points" not in names.graph.subgraph_data(list(names.graph.nodes))["edges"][0]
    names.stack.undo()
    assert names.graph.annotations.points(edge) == points
    assert [(r.pos().x(), r.pos().y()) for r in names.scene.edge_item(edge).reroutes] == list(points)


def test_the_wire_menu_and_the_point_menu(names):
    edge, item = first_wire(names)
    mid = item.wire_path().pointAtPercent(0.5)
    menu = names.view.context_menu(mid)
    assert [a.text() for a in menu.actions()] == ["Add reroute point", "Disconnect"]
    menu.actions()[0].trigger()
    menu.deleteLater()
    (point,) = names.graph.annotations.points(edge)
    menu = names.view.context_menu(QPointF(*point))
    assert [a.text() for a in menu.actions()] == ["Delete reroute point"]
    menu.actions()[0].trigger()
    menu.deleteLater()
    assert names.graph.annotations.points(edge) == () and names.stack.count() == 2


def test_a_wire_holds_at_most_the_points_a_document_may_hold(names):
    edge, item = first_wire(names)
    names.graph.annotations.set_points(edge, [(float(i), 0.0) for i in range(MAX_POINTS)])
    names.scene.add_point(edge, QPointF(5, 5))
    assert len(names.graph.annotations.points(edge)) == MAX_POINTS and names.stack.count() == 0
    assert names.messages[-1] == f"A wire holds at most {MAX_POINTS} reroute points"


def test_points_set_on_the_canvas_are_saved_and_shown_again(names, qtbot):
    from engine.document import Document

    edge, item = first_wire(names)
    names.scene.add_point(edge, QPointF(300, 120))
    text = Document(names.graph).dumps()
    again = Canvas(qtbot, loads(text).graph)
    try:
        assert [r.pos() for r in again.scene.edge_item(edge).reroutes] == [QPointF(300, 120)]
        assert QRectF(again.scene.content_rect()).contains(QPointF(300, 120))
    finally:
        again.close()
        again.view.setScene(None)  # the view outlives this test's scene until qtbot closes it
