"""The canvas observes the graph: items appear, change and vanish with the model, show shapes and problems,
and mouse gestures on the view become exactly one undo command each."""
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtTest import QTest

from engine.document import graph_to_data, load_document
from engine.graph import Edge, Graph
from gui.analysis import AnalysisModel
from gui.canvas import CanvasView, GraphScene
from gui.canvas.port_item import COMPATIBLE, NORMAL, REFUSED
from gui.canvas.style import NODE_WIDTH
from test_canvas_support import close, open_names

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(autouse=True)
def no_leaked_popups(qapp):
    """A quick-add popup or menu left open by a test is a leaked top-level window: fail."""
    yield
    qapp.processEvents()
    leaked = [w for w in qapp.topLevelWidgets()
              if shiboken6.isValid(w) and w.isVisible() and not isinstance(w, CanvasView)]
    assert not leaked, f"windows left open: {leaked}"


class Canvas:
    def __init__(self, qtbot, graph: Graph):
        self.graph = graph
        self.stack = QUndoStack()
        self.analysis = AnalysisModel(graph)
        self.scene = GraphScene(graph, self.stack, self.analysis)
        self.view = CanvasView(self.scene)
        qtbot.addWidget(self.view)
        self.view.resize(1400, 700)
        self.view.show()
        self.messages: list[str] = []
        self.scene.statusMessage.connect(self.messages.append)

    def close(self):
        self.scene.detach()
        self.analysis.detach()

    def port_point(self, node_id: str, port: str, is_output: bool) -> QPoint:
        item = self.scene.node_item(node_id).port(port, is_output)
        return self.view.mapFromScene(item.anchor())

    def drag(self, start: QPoint, end: QPoint, modifiers=Qt.KeyboardModifier.NoModifier):
        viewport = self.view.viewport()
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifiers, start)
        for t in (0.3, 0.7, 1.0):
            QTest.mouseMove(viewport, start + (end - start) * t)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifiers, end)


@pytest.fixture
def names(qtbot):
    canvas = Canvas(qtbot, load_document(EXAMPLES / "names.json").graph)
    canvas.view.frame_all()
    yield canvas
    canvas.close()


@pytest.fixture
def empty(qtbot):
    canvas = Canvas(qtbot, Graph())
    yield canvas
    canvas.close()


def test_items_follow_the_graph(empty):
    graph, scene = empty.graph, empty.scene
    tokens = graph.add_node("token_input", pos=(0, 0))
    embed = graph.add_node("embedding", pos=(270, 0))
    assert scene.node_item(embed.id).pos() == QPointF(270, 0)
    edge = graph.connect(tokens.id, "tokens", embed.id, "tokens")
    assert scene.edge_item(edge) is not None
    graph.move(embed.id, (300, 40))
    assert scene.node_item(embed.id).pos() == QPointF(300, 40)
    graph.rename(embed.id, "words")
    assert scene.node_item(embed.id).name == "words"
    graph.remove_node(embed.id)
    assert scene.node_item(embed.id) is None and scene.edge_item(edge) is None
    assert len(scene.node_items()) == 1 and not scene.edge_items()


def test_nodes_and_edges_show_shapes_params_and_problems(names):
    graph, scene = names.graph, names.scene
    embedding = graph.by_name("embedding")
    item = scene.node_item(embedding.id)
    assert item.output_text == "[B, T, 32]"
    assert item.params_count == 128 * 32
    assert any("dimension 32" in line for line in item._param_lines)
    edge = graph.edge_into(embedding.id, "tokens")
    assert scene.edge_item(edge).label == "[B, T]"
    graph.set_param(embedding.id, "dim", 48)
    names.analysis.refresh()
    assert item.output_text == "[B, T, 48]"
    assert scene.edge_item(graph.out_edges(embedding.id)[0]).label == "[B, T, 48]"
    assert not item.invalid
    graph.disconnect(edge)  # now the embedding has nothing to read
    names.analysis.refresh()
    assert item.invalid
    assert "has nothing connected to its input" in item.tooltip_text()


def test_analysis_is_debounced(names, qtbot):
    reports = []
    names.analysis.updated.connect(reports.append)
    node = names.graph.by_name("dense")
    for units in (13, 14, 15):
        names.graph.set_param(node.id, "units", units)
    assert names.analysis.pending and not reports
    qtbot.waitUntil(lambda: len(reports) == 1, timeout=2000)
    assert names.scene.node_item(node.id).output_text == "[B, 15]"


def test_drag_from_output_to_input_connects_in_one_step(empty):
    graph = empty.graph
    a = graph.add_node("feature_input", pos=(0, 0))
    b = graph.add_node("lstm", pos=(300, 0))
    empty.view.frame_all()
    empty.drag(empty.port_point(a.id, "sequence", True), empty.port_point(b.id, "input", False))
    assert graph.edges == [Edge(a.id, "sequence", b.id, "input")]
    assert empty.stack.count() == 1
    empty.stack.undo()
    assert graph.edges == []


def test_drag_from_input_to_output_connects_too(empty):
    graph = empty.graph
    a = graph.add_node("feature_input", pos=(0, 0))
    b = graph.add_node("dense", pos=(300, 0))
    empty.view.frame_all()
    empty.drag(empty.port_point(b.id, "input", False), empty.port_point(a.id, "sequence", True))
    assert graph.edges == [Edge(a.id, "sequence", b.id, "input")]


def test_incompatible_drop_is_refused_with_the_reason(names):
    graph = names.graph
    chars, bigru = graph.by_name("chars"), graph.by_name("bigru")
    before = graph_to_data(graph)
    names.drag(names.port_point(chars.id, "tokens", True), names.port_point(bigru.id, "input", False))
    assert graph_to_data(graph) == before and names.stack.count() == 0
    assert names.messages and "put an Embedding block between them" in names.messages[-1]
    assert "Bidirectional 'bigru' expects a feature sequence" in names.messages[-1]
    # A connection that works next replaces the refusal in the status bar.
    graph.disconnect(graph.edge_into(bigru.id, "input"))
    names.analysis.refresh()
    embedding = graph.by_name("embedding")
    names.drag(names.port_point(embedding.id, "sequence", True), names.port_point(bigru.id, "input", False))
    assert names.messages[-1] == "Connected embedding.sequence → bigru.input"


def test_compatible_ports_are_highlighted_while_dragging(names):
    graph, scene = names.graph, names.scene
    embedding = scene.node_item(graph.by_name("embedding").id)
    drag = scene.begin_connection(embedding.outputs["sequence"])
    assert scene.node_item(graph.by_name("bigru").id).inputs["input"].state == COMPATIBLE
    assert scene.node_item(graph.by_name("language").id).inputs["input"].state == REFUSED  # wants a vector
    assert embedding.inputs["tokens"].state == REFUSED  # would make a loop
    drag.finish()
    assert all(p.state == NORMAL for item in scene.node_items() for p in item.ports())


def test_drop_on_a_connected_input_replaces_the_edge_in_one_step(names):
    graph = names.graph
    attention, dense = graph.by_name("attention"), graph.by_name("dense")
    extra = graph.add_node("pooling", pos=(810, 250))
    graph.connect(graph.by_name("bigru").id, "sequence", extra.id, "input")
    names.analysis.refresh()
    before = graph_to_data(graph)
    names.drag(names.port_point(extra.id, "vector", True), names.port_point(dense.id, "input", False))
    assert graph.edge_into(dense.id, "input") == Edge(extra.id, "vector", dense.id, "input")
    assert Edge(attention.id, "vector", dense.id, "input") not in graph.edges
    assert names.stack.count() == 1
    names.stack.undo()
    assert graph_to_data(graph) == before


def test_dragging_an_edge_end_off_an_input_disconnects(names):
    graph = names.graph
    dense, head = graph.by_name("dense"), graph.by_name("language")
    edge = graph.edge_into(head.id, "input")
    start = names.port_point(head.id, "input", False)
    names.drag(start, start + QPoint(0, 200))
    assert edge not in graph.edges and names.stack.count() == 1
    assert names.stack.command(0).text().startswith("Disconnect dense")
    names.stack.undo()
    assert graph.edge_into(head.id, "input") == Edge(dense.id, "output", head.id, "input")


def test_moving_several_selected_blocks_is_one_step(names):
    graph, scene = names.graph, names.scene
    ids = [graph.by_name("embedding").id, graph.by_name("bigru").id]
    scene.select_nodes(ids)
    before = {i: graph.node(i).pos for i in ids}
    item = scene.node_item(ids[0])
    start = names.view.mapFromScene(item.scenePos() + QPointF(40, 8))  # on the title band
    names.drag(start, start + QPoint(60, 45))
    assert names.stack.count() == 1
    moved = {i: graph.node(i).pos for i in ids}
    dx, dy = moved[ids[0]][0] - before[ids[0]][0], moved[ids[0]][1] - before[ids[0]][1]
    assert dx > 20 and dy > 20
    assert moved[ids[1]] == (before[ids[1]][0] + dx, before[ids[1]][1] + dy)
    names.stack.undo()
    assert {i: graph.node(i).pos for i in ids} == before
    assert scene.node_item(ids[0]).pos() == QPointF(*before[ids[0]])


def test_snap_to_grid_rounds_dragged_positions(names):
    names.view.snap_to_grid = True
    item = names.scene.node_item(names.graph.by_name("dense").id)
    start = names.view.mapFromScene(item.scenePos() + QPointF(40, 8))
    names.drag(start, start + QPoint(33, 17))
    x, y = names.graph.by_name("dense").pos
    assert (x % 10, y % 10) == (0, 0) and (x, y) != (1080.0, 0.0)


def test_ctrl_click_adds_to_the_selection_and_rubber_band_selects(names):
    graph, scene, view = names.graph, names.scene, names.view
    first, second = graph.by_name("chars").id, graph.by_name("dense").id

    def click(node_id, modifiers=Qt.KeyboardModifier.NoModifier):
        point = view.mapFromScene(scene.node_item(node_id).scenePos() + QPointF(40, 8))
        QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifiers, point)

    click(first)
    assert scene.selected_node_ids() == [first]
    click(second, Qt.KeyboardModifier.ControlModifier)
    assert scene.selected_node_ids() == [first, second]
    click(first, Qt.KeyboardModifier.ControlModifier)
    assert scene.selected_node_ids() == [second]
    # A rubber band from empty canvas above the first three blocks down past them selects those three.
    rect = scene.nodes_rect([graph.by_name(n).id for n in ("chars", "embedding", "bigru")])
    names.drag(view.mapFromScene(rect.topLeft() + QPointF(-20, -20)),
               view.mapFromScene(rect.bottomRight() + QPointF(10, 10)))
    assert scene.selected_node_ids() == [graph.by_name(n).id for n in ("chars", "embedding", "bigru")]
    assert names.stack.count() == 0  # selecting changes nothing in the model


def test_space_drag_pans_and_wheel_zooms_about_the_cursor(names):
    view = names.view
    view.setFocus()
    before = view.mapToScene(QPoint(200, 200))
    QTest.keyPress(view, Qt.Key.Key_Space)
    names.drag(QPoint(600, 300), QPoint(640, 300))
    QTest.keyRelease(view, Qt.Key.Key_Space)
    assert view.mapToScene(QPoint(200, 200)).x() == pytest.approx(before.x() - 40 / view.zoom, abs=2)
    assert names.stack.count() == 0 and not names.scene.selected_node_ids()
    from PySide6.QtGui import QWheelEvent

    cursor = QPointF(500, 250)
    under = view.mapToScene(cursor.toPoint())
    zoom = view.zoom
    view.wheelEvent(QWheelEvent(cursor, view.viewport().mapToGlobal(cursor), QPoint(0, 0), QPoint(0, 120),
                                Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                Qt.ScrollPhase.NoScrollPhase, False))
    assert view.zoom > zoom
    after = view.mapToScene(cursor.toPoint())
    assert abs(after.x() - under.x()) < 2 / view.zoom and abs(after.y() - under.y()) < 2 / view.zoom


@pytest.mark.parametrize("example", sorted(p.stem for p in EXAMPLES.glob("*.json")))
def test_after_auto_layout_no_edge_runs_through_a_block(qtbot, example, qapp):
    canvas = Canvas(qtbot, load_document(EXAMPLES / f"{example}.json").graph)
    try:
        canvas.view.auto_layout()
        qapp.processEvents()  # the re-routing after a batch of moves runs once, from the event loop
        for edge in canvas.scene.edge_items():
            ends = (edge.source.node_item, edge.target.node_item)
            path = edge._path
            points = [path.pointAtPercent(i / 200) for i in range(201)]
            for node in canvas.scene.node_items():
                if node in ends:
                    continue
                rect = node.sceneBoundingRect().adjusted(4, 4, -4, -4)
                assert not any(rect.contains(p) for p in points), \
                    f"{example}: edge {edge.edge} runs through block {node.name}"
    finally:
        canvas.close()


def test_only_ports_in_view_are_checked_when_grabbing_but_any_port_takes_a_drop(names):
    graph, scene = names.graph, names.scene
    embedding = scene.node_item(graph.by_name("embedding").id)
    bigru_input = scene.node_item(graph.by_name("bigru").id).inputs["input"]
    head_input = scene.node_item(graph.by_name("language").id).inputs["input"]
    visible = embedding.sceneBoundingRect().united(bigru_input.node_item.sceneBoundingRect())
    drag = scene.begin_connection(embedding.outputs["sequence"], visible)
    assert bigru_input.state == COMPATIBLE and head_input.state == NORMAL  # out of view: not asked yet
    assert drag.release(head_input.anchor()).startswith("Classification 'language' expects a vector")
    assert names.stack.count() == 0 and head_input.state == NORMAL and not scene.connecting


def test_dropping_a_wire_on_a_block_body_picks_its_first_fitting_free_input(empty):
    graph = empty.graph
    source = graph.add_node("feature_input", pos=(0, 0))
    lstm = graph.add_node("lstm", pos=(300, 0))
    empty.view.frame_all()
    body = empty.view.mapFromScene(empty.scene.node_item(lstm.id).center())
    empty.drag(empty.port_point(source.id, "sequence", True), body)
    assert graph.edges == [Edge(source.id, "sequence", lstm.id, "input")]  # not the state input


def test_a_shape_label_is_never_cut_short_it_shows_whole_or_on_hover(empty):
    graph, scene = empty.graph, empty.scene
    a = graph.add_node("feature_input", pos=(0, 0), params={"features": 4096})
    near = graph.add_node("lstm", pos=(NODE_WIDTH + 12, 0), params={"hidden_size": 4})
    far = graph.add_node("lstm", pos=(0, 400), params={"hidden_size": 4})
    graph.connect(a.id, "sequence", near.id, "input")
    empty.analysis.refresh()
    short = scene.edge_item(graph.edges[0])
    assert short.label == "[B, T, 4096]"
    assert short.label_on_hover and short._text == "[B,T,4096]"  # whole (compact), drawn while hovered
    # Moved apart, the same wire has room for the whole shape and shows it without hovering.
    graph.move(near.id, (700, 0))
    short.update_path()
    assert not short.label_on_hover and short._text == "[B, T, 4096]"
    graph.disconnect(graph.edges[0])
    graph.connect(a.id, "sequence", far.id, "input")
    empty.analysis.refresh()
    assert scene.edge_item(graph.edges[0]).label == "[B, T, 4096]"


def test_ctrl_right_drag_cuts_the_wires_it_crosses_in_one_undo_step(names):
    graph, scene = names.graph, names.scene
    before = graph_to_data(graph)
    edge = graph.edge_into(graph.by_name("attention").id, "input")  # bigru -> attention
    wire = scene.edge_item(edge).wire_path()
    middle = names.view.mapFromScene(wire.pointAtPercent(0.5))
    start, end = middle + QPoint(0, -40), middle + QPoint(0, 40)  # a short vertical knife across it
    viewport, ctrl = names.view.viewport(), Qt.KeyboardModifier.ControlModifier
    QTest.mousePress(viewport, Qt.MouseButton.RightButton, ctrl, start)
    QTest.mouseMove(viewport, middle)
    QTest.mouseRelease(viewport, Qt.MouseButton.RightButton, ctrl, end)
    assert edge not in graph.edges and len(graph.edges) == len(before["edges"]) - 1
    assert names.stack.count() == 1 and names.stack.undoText() == "Cut 1 wire"
    assert names.messages[-1] == "Cut 1 wire (Ctrl+Z undoes)"
    names.stack.undo()
    assert graph_to_data(graph) == before
    # A knife through empty canvas cuts nothing and leaves no undo step.
    far = names.view.mapFromScene(scene.nodes_rect().bottomRight()) + QPoint(40, 40)
    QTest.mousePress(viewport, Qt.MouseButton.RightButton, ctrl, far)
    QTest.mouseRelease(viewport, Qt.MouseButton.RightButton, ctrl, far + QPoint(30, 0))
    assert graph_to_data(graph) == before and not names.stack.canUndo()


def shown_minimap(view, qtbot):
    """The minimap of ``view`` zoomed in four times on the framed graph (so that it shows)."""
    view.frame_all()
    view.zoom_by(4.0)
    qtbot.waitUntil(view.minimap.isVisible, timeout=2000)
    return view.minimap


def test_the_minimap_appears_when_the_graph_leaves_the_view_and_moves_the_view(names, qtbot):
    view = names.view
    view.frame_all()
    view.minimap.refit()
    assert not view.minimap.isVisible()  # everything is in sight: no minimap in the way
    view.zoom_by(4.0)
    qtbot.waitUntil(view.minimap.isVisible, timeout=2000)
    minimap = view.minimap
    assert minimap.geometry().bottomRight().x() <= view.viewport().geometry().right()
    target = names.scene.node_item(names.graph.by_name("language").id).sceneBoundingRect().center()
    QTest.mouseClick(minimap.viewport(), Qt.MouseButton.LeftButton, pos=minimap.mapFromScene(target))
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - target.x()) < 40 and abs(centre.y() - target.y()) < 40


def test_the_minimap_stands_upright_for_a_tall_graph_and_never_covers_much_of_a_short_canvas(names, qtbot):
    from gui.canvas.minimap import SIZE, MinimapView

    view, scene, graph = names.view, names.scene, names.graph
    minimap = shown_minimap(view, qtbot)
    # The names chain is wide: the whole width, and only the height its shape needs (it filled a 140 px box's
    # middle and covered blocks below it for nothing).
    assert minimap.width() == SIZE[0] and minimap.height() < SIZE[1]
    drawn = minimap.mapFromScene(minimap.graph_rect()).boundingRect()
    assert drawn.width() > 0.9 * minimap.viewport().width() and drawn.height() > 0.5 * minimap.viewport().height()
    # The same blocks stacked in a column: an upright minimap, in which the graph fills most of the width.
    for i, node in enumerate(graph):
        scene.node_item(node.id).setPos(0, i * 260)
    view.minimap.refit()
    assert minimap.height() > minimap.width()
    drawn = minimap.mapFromScene(minimap.graph_rect()).boundingRect()
    assert drawn.width() > 0.5 * minimap.viewport().width()
    assert drawn.height() > 0.9 * minimap.viewport().height()
    # On a canvas 300 px high it takes at most 45 % of the height.
    tall = MinimapView.size_for(minimap.graph_rect(), 300)
    assert tall[1] <= 135 and tall[0] <= SIZE[0]


def test_the_minimap_draws_an_overview_of_each_blocks_colours_and_each_wire(names, qtbot):
    """Its picture is drawn from the items' places in a few batched calls (rendering the scene small took 80 ms
    for 300 blocks, twice while a document opened): the header band in the block's category colour, the body,
    and each wire in its tensor kind's colour, one pixel wide (rendered small, a wire faded into the grid)."""
    from gui.canvas.style import category_color, kind_color

    view, scene, graph = names.view, names.scene, names.graph
    minimap = shown_minimap(view, qtbot)
    image = minimap.picture().toImage()  # without the outline of the part in view, which tints what it covers
    assert image.size() == minimap.viewport().size() * minimap.viewport().devicePixelRatioF()
    pal = scene.canvas_palette

    def color_at(point: QPointF):
        return image.pixelColor(minimap.mapFromScene(point))

    bigru = scene.node_item(graph.by_name("bigru").id)
    band = bigru.scenePos() + QPointF(bigru.width / 2, bigru.header_height / 2)
    body = bigru.scenePos() + QPointF(bigru.width / 2, (bigru.header_height + bigru.height) / 2)
    assert color_at(band) == category_color(bigru.spec.category, pal.dark)
    assert color_at(body) == pal.node_body
    edge = next(e for e in scene.edge_items() if e.source.node_item is bigru)
    middle = edge.wire_path().pointAtPercent(0.5)
    wire = kind_color(edge.kind, pal.dark)
    near = [image.pixelColor(minimap.mapFromScene(middle) + d) for d in (QPoint(0, 0), QPoint(0, 1), QPoint(0, -1))]

    def distance(a, b) -> int:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    # a one-pixel antialiased line: at least halfway from the background to the wire's colour
    assert min(distance(c, wire) for c in near) < distance(pal.background, wire) / 2, (near, wire)


def test_the_blocks_rect_follows_every_move_resize_addition_and_removal(names):
    """nodes_rect() is kept between calls (framing and the minimap ask for it at every scroll step): a block
    moved by the model or by a drag, one grown by a parameter, one added and one removed each change it."""
    from PySide6.QtCore import QRectF

    scene, graph = names.scene, names.graph

    def union() -> QRectF:
        rect = QRectF()
        for item in scene.node_items():
            rect = rect.united(item.sceneBoundingRect())
        return rect

    assert scene.nodes_rect() == union()
    language = graph.by_name("language").id
    graph.move(language, (5000.0, 40.0))
    assert scene.nodes_rect().right() > 5000 and scene.nodes_rect() == union()
    scene.node_item(language).setPos(QPointF(-3000, -200))  # a drag moves the item first
    assert scene.nodes_rect().left() <= -3000 and scene.nodes_rect() == union()
    dense = scene.node_item(graph.by_name("dense").id)
    dense.setPos(QPointF(0, 9000))
    before = scene.nodes_rect()
    graph.set_param(dense.node_id, "units", 123456789012)  # its parameters wrap onto a second line
    assert scene.nodes_rect().bottom() > before.bottom() and scene.nodes_rect() == union()
    added = graph.add_node("dense", pos=(8000.0, 8000.0))
    assert scene.nodes_rect().right() > 8000 and scene.nodes_rect() == union()
    graph.remove_node(added.id)
    assert scene.nodes_rect() == union() and scene.nodes_rect().right() < 8000


def test_framing_refits_the_minimap_once(names, monkeypatch):
    """frame_rect zooms and scrolls in several steps, each of which moved the minimap's outline (10 refits, each
    walking every block and wire, while a document opened): it follows once, at the end."""
    minimap = names.view.minimap
    refits = []
    monkeypatch.setattr(minimap, "refit", lambda: refits.append(1))
    names.view.zoom_by(4.0)
    refits.clear()
    names.view.frame_all()
    assert len(refits) == 1


def test_the_minimap_leaves_the_corner_where_a_selected_block_lies(names, qtbot):
    """Bottom right by default; a block selected under it (as one just added at the canvas's bottom right) sends
    it to the next free corner, and it comes back once nothing there is selected."""
    view, scene, graph = names.view, names.scene, names.graph
    minimap = shown_minimap(view, qtbot)
    area = view.viewport().geometry()
    assert minimap.geometry().right() > area.center().x() and minimap.geometry().bottom() > area.center().y()
    item = scene.node_item(graph.by_name("dense").id)
    under = view.mapToScene(minimap.geometry().center() - area.topLeft())
    item.setPos(under - QPointF(item.width / 2, item.height / 2))
    scene.select_nodes([item.node_id])
    assert minimap.geometry().left() < area.center().x()  # bottom left now
    assert not minimap.geometry().intersects(view.mapFromScene(item.sceneBoundingRect()).boundingRect()
                                             .translated(area.topLeft()))
    scene.select_nodes([])
    assert minimap.geometry().right() > area.center().x()


def test_a_minimap_fitted_before_the_canvas_shows_draws_the_whole_graph_filling_it(qtbot):
    """As when the window opens a document: the minimap is fitted while the canvas is still hidden, so its
    viewport has no size yet (it drew the graph a tenth of the size it should be)."""
    graph, scene, view = open_names(qtbot, (500, 300), show=False)
    view.scale(2.0, 2.0)
    view.minimap.refit()
    view.show()
    minimap = view.minimap
    qtbot.waitUntil(minimap.isVisible, timeout=2000)
    drawn = minimap.mapFromScene(minimap.graph_rect()).boundingRect()
    room = minimap.viewport().rect()
    assert drawn.width() >= 0.9 * room.width() or drawn.height() >= 0.9 * room.height()
    close(scene)


def test_the_minimap_outline_follows_a_zoom_about_the_centre(names, qtbot):
    """Zooming about the centre keeps the scroll bars' values (no scrollContentsBy), and the minimap repaints
    only when asked: its outline showed the old zoom."""
    from PySide6.QtCore import QEvent, QObject, QPointF

    view = names.view
    minimap = shown_minimap(view, qtbot)

    class Paints(QObject):
        count = 0

        def eventFilter(self, watched, event):
            self.count += event.type() == QEvent.Type.Paint
            return False

    paints = Paints()
    minimap.viewport().installEventFilter(paints)
    centre = QPointF(view.viewport().rect().center())
    before = (view.horizontalScrollBar().value(), view.verticalScrollBar().value())
    view.zoom_by(0.8, centre)
    qtbot.waitUntil(lambda: paints.count > 0, timeout=2000)
    assert (view.horizontalScrollBar().value(), view.verticalScrollBar().value()) == before  # the case itself
    minimap.viewport().removeEventFilter(paints)


def test_the_minimap_shows_a_picture_of_the_graph_retaken_once_per_burst_of_changes(names, qtbot):
    from PySide6.QtCore import QPointF

    from gui.canvas.minimap import RETAKE_MS

    view, scene, graph = names.view, names.scene, names.graph
    minimap = shown_minimap(view, qtbot)
    qtbot.wait(2 * RETAKE_MS)
    taken = minimap.pictures_taken

    def shows_a_block_at(scene_point) -> bool:
        image = minimap.viewport().grab().toImage()
        at = minimap.mapFromScene(scene_point)
        empty = minimap.mapFromScene(minimap.graph_rect().topLeft() + QPointF(5, 5))
        return image.pixelColor(at) != image.pixelColor(empty)

    language = scene.node_item(graph.by_name("language").id)
    assert shows_a_block_at(language.sceneBoundingRect().center())
    # Repainting the canvas under it (a drag's highlights, a wire following the pointer) draws no new picture.
    for _ in range(5):
        view.viewport().repaint()
        minimap.viewport().repaint()
    drag = scene.begin_connection(scene.node_item(graph.by_name("embedding").id).outputs["sequence"])
    view.viewport().repaint()
    drag.finish()
    assert minimap.pictures_taken == taken
    qtbot.wait(2 * RETAKE_MS)  # the drag's items came and went: at most one picture for that burst
    assert minimap.pictures_taken <= taken + 1
    taken = minimap.pictures_taken
    # Moving a block in steps: one new picture, which shows the block where it went.
    for _ in range(5):
        language.setPos(language.pos() + QPointF(0, 120))
    qtbot.waitUntil(lambda: minimap.pictures_taken > taken, timeout=2000)
    qtbot.wait(2 * RETAKE_MS)
    assert minimap.pictures_taken == taken + 1
    assert shows_a_block_at(language.sceneBoundingRect().center())


def test_framing_a_long_graph_stays_readable_and_starts_at_its_inputs(empty):
    from gui.canvas.view import FRAME_MIN_ZOOM

    graph, view = empty.graph, empty.view
    previous = graph.add_node("feature_input", pos=(0, 0), params={"features": 2})
    for i in range(40):  # a chain far wider than the view
        node = graph.add_node("dense", pos=(270 * (i + 1), 0), params={"units": 2})
        graph.connect(previous.id, previous.spec.outputs[0].name, node.id, "input")
        previous = node
    empty.analysis.refresh()
    view.frame_all()
    assert view.zoom == pytest.approx(FRAME_MIN_ZOOM)
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.left() <= 0 < visible.right()  # the input block is in sight
    assert view.minimap.isVisible()  # the rest is in the minimap
    view.fit_everything()
    assert view.zoom < FRAME_MIN_ZOOM


def test_the_drag_highlights_paint_what_each_port_would_paint_alone(names):
    """The highlights are painted in batches (a path per colour): the picture must be the one the per-port
    painting gives, the rings of compatible ports and the faded dots of refused ones."""
    from PySide6.QtGui import QImage, QPainter, QPen
    from PySide6.QtWidgets import QStyleOptionGraphicsItem

    from gui.canvas.port_item import paint_port
    from gui.canvas.style import PORT_RADIUS

    graph, scene = names.graph, names.scene
    drag = scene.begin_connection(scene.node_item(graph.by_name("embedding").id).outputs["sequence"])
    highlights = drag.highlights
    rect = highlights.boundingRect()
    states = {port.state for _anchor, port in highlights.ports}
    assert states == {COMPATIBLE, REFUSED}

    def render(paint) -> QImage:
        image = QImage(int(rect.width()) + 2, int(rect.height()) + 2, QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        painter.translate(-rect.left() + 1, -rect.top() + 1)
        paint(painter)
        painter.end()
        return image

    def batched(painter):
        option = QStyleOptionGraphicsItem()
        option.exposedRect = rect
        highlights.paint(painter, option)

    def one_by_one(painter):
        palette = scene.node_items()[0].scene_palette()
        for anchor, port in highlights.ports:
            if port.state == COMPATIBLE:
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                painter.setPen(QPen(palette.highlight, 2.5))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawEllipse(anchor, PORT_RADIUS + 3.5, PORT_RADIUS + 3.5)
            else:
                paint_port(painter, port, palette, anchor)

    a, b = render(batched), render(one_by_one)
    painted = differ = 0
    for y in range(a.height()):
        for x in range(a.width()):
            pa, pb = a.pixelColor(x, y), b.pixelColor(x, y)
            painted += pb.alpha() > 0
            differ += max(abs(pa.red() - pb.red()), abs(pa.green() - pb.green()), abs(pa.blue() - pb.blue()),
                          abs(pa.alpha() - pb.alpha())) > 48
    assert painted > 50 * len(highlights.ports)  # every port drew something
    assert differ <= 0.005 * painted, (differ, painted)  # 0 here; a missing hollow centre gives 1.6 %
    drag.finish()
