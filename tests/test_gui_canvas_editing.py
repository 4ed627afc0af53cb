"""Editing from the canvas view: quick add, palette drops, clipboard between windows, delete, duplicate,
auto-layout, zoom and framing, and the dark theme."""

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QDropEvent, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication
from PySide6.QtTest import QTest

from engine.document import graph_to_data
from engine.layout import layered_positions
from gui.canvas import BLOCK_MIME, BLOCKS_MIME
from gui.canvas.quick_add import search
from gui.canvas.style import NODE_WIDTH, CanvasPalette, metrics

from test_gui_canvas import Canvas, empty, names, no_leaked_popups  # noqa: F401  (shared fixtures)



def test_search_ranks_title_matches_first():
    assert [s.id for s in search("gru")][:1] == ["gru"]
    assert search("lst")[0].id == "lstm"
    assert {s.id for s in search("attention")} >= {"self_attention", "attention_pooling", "cross_attention"}
    assert search("zzzz") == []


def test_quick_add_adds_the_chosen_block_where_it_was_opened(empty, qtbot):
    popup = empty.view.open_quick_add("emb", scene_pos=QPointF(500, 300))
    assert popup.kinds()[0] == "embedding"
    QTest.keyClick(popup.search_field, Qt.Key.Key_Return)
    (node,) = empty.graph
    assert node.kind == "embedding"
    item = empty.scene.node_item(node.id)
    assert item.sceneBoundingRect().contains(QPointF(500, 300))
    assert empty.scene.selected_node_ids() == [node.id] and empty.stack.count() == 1
    qtbot.waitUntil(lambda: empty.view.quick_add is None)


def test_tab_and_typing_open_quick_add(empty, qtbot):
    empty.view.setFocus()
    QTest.keyClick(empty.view, Qt.Key.Key_Tab)
    popup = empty.view.quick_add
    assert popup is not None and popup.isVisible() and popup.search_field.text() == ""
    QTest.keyClick(popup.search_field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: empty.view.quick_add is None)
    QTest.keyClick(empty.view, Qt.Key.Key_D)
    popup = empty.view.quick_add
    assert popup.search_field.text() == "d" and popup.kinds()[0] == "dense"
    second = popup.kinds()[1]
    QTest.keyClick(popup.search_field, Qt.Key.Key_Down)  # the arrow keys walk the list while typing
    QTest.keyClick(popup.search_field, Qt.Key.Key_Return)
    assert [n.kind for n in empty.graph] == [second]
    qtbot.waitUntil(lambda: empty.view.quick_add is None)


def test_quick_add_is_as_tall_as_its_results_and_stays_on_screen(empty, qtbot):
    from gui.canvas.quick_add import MAX_ROWS

    one = empty.view.open_quick_add("embedd", scene_pos=QPointF(300, 200))
    assert one.kinds() == ["embedding"]
    short = one.height()
    assert short < 120  # one row under the search field, not a 320 px box
    one.set_query("")  # every block: at most MAX_ROWS rows, then it scrolls
    assert one.results.count() > MAX_ROWS and one.height() > 3 * short
    assert one.results.verticalScrollBar().maximum() > 0
    one.close()
    qtbot.waitUntil(lambda: empty.view.quick_add is None)
    # Opened at the bottom right corner of the screen: moved up and left into it.
    area = empty.view.screen().availableGeometry()
    corner = empty.view.mapToScene(empty.view.viewport().mapFromGlobal(area.bottomRight() - QPoint(5, 5)))
    popup = empty.view.open_quick_add("", scene_pos=corner)
    assert area.contains(popup.frameGeometry())
    popup.set_query("lstm")
    popup.set_query("")  # shrunk, then grown again as the query is cleared: still inside
    assert area.contains(popup.frameGeometry())
    popup.close()
    qtbot.waitUntil(lambda: empty.view.quick_add is None)


def test_palette_drop_adds_the_block_under_the_cursor(empty):
    mime = QMimeData()
    mime.setData(BLOCK_MIME, b"gru")
    where = QPoint(400, 300)
    event = QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    empty.view.dropEvent(event)
    (node,) = empty.graph
    assert node.kind == "gru"
    assert empty.scene.node_item(node.id).sceneBoundingRect().contains(empty.view.mapToScene(where))
    mime.setData(BLOCK_MIME, b"no_such_block")
    empty.view.dropEvent(QDropEvent(QPointF(where), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                                    Qt.KeyboardModifier.NoModifier))
    assert len(empty.graph) == 1 and "unknown block kind 'no_such_block'" in empty.messages[-1]


def test_copy_paste_between_two_windows(names, empty):
    graph = names.graph
    ids = [graph.by_name(n).id for n in ("embedding", "bigru", "attention")]
    names.scene.select_nodes(ids)
    assert names.view.copy_selection() == 3
    assert QGuiApplication.clipboard().mimeData().hasFormat(BLOCKS_MIME)
    pasted = empty.view.paste()
    assert len(pasted) == 3 and empty.stack.count() == 1
    assert [n.kind for n in empty.graph] == ["embedding", "bidirectional", "attention_pooling"]
    assert [n.name for n in empty.graph] == ["embedding", "bigru", "attention"]
    assert len(empty.graph.edges) == 2
    assert [n.params for n in empty.graph] == [graph.node(i).params for i in ids]
    assert empty.scene.selected_node_ids() == pasted
    # Pasted again into the same window: new names, offset positions, still one step each.
    again = empty.view.paste()
    assert [empty.graph.node(i).name for i in again] == ["embedding_1", "bigru_1", "attention_1"]
    first, second = empty.graph.node(pasted[0]).pos, empty.graph.node(again[0]).pos
    assert second != first and empty.stack.count() == 2


def test_cut_duplicate_delete_and_select_all(names):
    graph, view, scene = names.graph, names.view, names.scene
    original = graph_to_data(graph)
    scene.select_nodes([graph.by_name("dense").id])
    duplicated = view.duplicate_selection()
    assert [graph.node(i).name for i in duplicated] == ["dense_1"]
    view.select_all()
    assert scene.selected_node_ids() == list(graph.nodes)
    scene.select_nodes([graph.by_name("attention").id])
    assert view.cut_selection() == 1 and graph.by_name("attention") is None
    scene.select_nodes([graph.by_name("bigru").id])
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert graph.by_name("bigru") is None
    assert names.stack.count() == 3
    while names.stack.canUndo():
        names.stack.undo()
    assert graph_to_data(graph) == original


def test_deleting_a_selected_edge(names):
    graph = names.graph
    edge = graph.edges[0]
    names.scene.clearSelection()
    names.scene.edge_item(edge).setSelected(True)
    names.view.delete_selection()
    assert edge not in graph.edges and len(graph) == 6


def test_auto_layout_is_one_step_and_frames(names):
    graph = names.graph
    for i, node_id in enumerate(graph.nodes):
        graph.move(node_id, (i * 13.0, -i * 50.0))
    names.view.auto_layout()
    assert {i: n.pos for i, n in graph.nodes.items()} == layered_positions(graph)
    assert names.stack.count() == 1 and names.stack.command(0).text() == "Auto-layout"
    visible = names.view.mapToScene(names.view.viewport().rect()).boundingRect()
    assert visible.contains(names.scene.nodes_rect())


def test_zoom_keeps_the_point_under_the_cursor(names):
    view = names.view
    anchor = QPointF(300, 200)
    before = view.mapToScene(anchor.toPoint())
    zoom = view.zoom
    view.zoom_by(1.5, anchor)
    assert view.zoom == pytest.approx(zoom * 1.5)
    after = view.mapToScene(anchor.toPoint())
    assert abs(after.x() - before.x()) < 2 / view.zoom and abs(after.y() - before.y()) < 2 / view.zoom
    view.zoom_by(1000)
    assert view.zoom == pytest.approx(3.0)
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(3.0 * 0.8)
    QTest.keyClick(view, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert view.zoom == pytest.approx(3.0)


def test_frame_selection_and_center_on_node(names):
    graph, view = names.graph, names.view
    head = graph.by_name("language").id
    names.scene.select_nodes([head])
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_F)
    item = names.scene.node_item(head)
    centre = view.mapFromScene(item.center())
    assert (centre - view.viewport().rect().center()).manhattanLength() < 4
    first = graph.by_name("chars").id
    view.center_on_node(first)
    centre = view.mapFromScene(names.scene.node_item(first).center())
    assert (centre - view.viewport().rect().center()).manhattanLength() < 4


def test_middle_drag_pans(names):
    view = names.view
    before = view.mapToScene(QPoint(200, 200))
    viewport = view.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(500, 300))
    QTest.mouseMove(viewport, QPoint(560, 330))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, QPoint(560, 330))
    after = view.mapToScene(QPoint(200, 200))
    assert after.x() == pytest.approx(before.x() - 60 / view.zoom, abs=2)
    assert len(names.graph.edges) == 5 and names.stack.count() == 0


def test_dark_palette_keeps_text_readable(names):
    dark = QPalette()
    dark.setColor(QPalette.ColorRole.Window, QColor("#2b2b2b"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#e6e6e6"))
    dark.setColor(QPalette.ColorRole.Base, QColor("#1f1f1f"))
    names.view.setPalette(dark)
    pal = names.scene.canvas_palette
    assert pal.dark
    assert pal.text.lightnessF() - pal.node_body.lightnessF() > 0.5
    light = CanvasPalette.from_palette(QPalette(QColor("#efefef")))
    assert not light.dark and light.node_body.lightnessF() - light.text.lightnessF() > 0.5


def test_wire_dropped_on_empty_canvas_offers_fitting_blocks_and_connects_them(names, qtbot):
    graph = names.graph
    attention = graph.by_name("attention")
    graph.disconnect(graph.out_edges(attention.id)[0])
    names.analysis.refresh()
    start = names.port_point(attention.id, "vector", True)
    names.drag(start, start + QPoint(40, 160))
    popup = names.view.quick_add
    assert popup is not None
    offered = popup.kinds()
    assert "classification_head" in offered and "dense" in offered
    assert "lstm" not in offered and "pooling" not in offered  # they need a sequence, this is a vector
    popup.set_query("classif")
    popup.accept_current()
    head = graph.node(names.scene.selected_node_ids()[0])
    assert head.kind == "classification_head"
    assert graph.in_edges(head.id)[0].src == attention.id
    assert names.stack.count() == 1
    names.stack.undo()
    assert head.id not in graph.nodes and not graph.out_edges(attention.id)
    qtbot.waitUntil(lambda: names.view.quick_add is None)


def test_larger_font_grows_the_blocks_so_text_still_fits(names, qapp):
    item = names.scene.node_item(names.graph.by_name("bigru").id)
    height = item.height
    font = qapp.font()
    try:
        bigger = type(font)(font)
        bigger.setPointSizeF(font.pointSizeF() * 1.2)
        qapp.setFont(bigger)
        names.view.setFont(bigger)  # sends the view a FontChange
        assert item.height > height * 1.1
    finally:
        qapp.setFont(font)
        names.scene.refresh_metrics()
    assert item.height == pytest.approx(height)


def test_a_view_can_switch_to_another_documents_scene(names, empty):
    view, other = names.view, empty.scene
    view.snap_to_grid = True
    view.set_scene(other)
    assert view.scene() is other and view.graph_scene is other and other.snap_to_grid
    node_id = view.add_block("dense")
    assert empty.graph.node(node_id).kind == "dense" and len(names.graph) == 6


def test_context_menus_and_double_click(names):
    graph, scene, view = names.graph, names.scene, names.view
    dense = scene.node_item(graph.by_name("dense").id)
    menu = view.context_menu(dense.center())
    texts = [a.text() for a in menu.actions() if a.text()]
    assert texts == ["Copy block", "Cut block", "Duplicate block", "Delete block", "Put in a frame"]
    assert scene.selected_node_ids() == [dense.node_id]
    next(a for a in menu.actions() if a.text() == "Delete block").trigger()
    assert graph.by_name("dense") is None and names.stack.count() == 1
    menu.deleteLater()
    menu = view.context_menu(QPointF(-5000, -5000))
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert list(actions) == ["Add block…", "Paste", "Add comment", "Auto-layout", "Frame all", "Snap to grid"]
    actions["Snap to grid"].trigger()
    assert view.snap_to_grid
    menu.deleteLater()
    activated = []
    scene.nodeActivated.connect(activated.append)
    head = scene.node_item(graph.by_name("language").id)
    QTest.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                      view.mapFromScene(head.center()))
    assert activated == [head.node_id]


def test_arrow_keys_nudge_the_selection_one_step_per_press(names):
    graph, view = names.graph, names.view
    dense = graph.by_name("dense")
    names.scene.select_nodes([dense.id])
    view.setFocus()
    QTest.keyClick(view, Qt.Key.Key_Right)
    QTest.keyClick(view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    assert dense.pos == (1090.0, 50.0) and names.stack.count() == 2
    names.stack.undo()
    assert dense.pos == (1090.0, 0.0)


def _overlaps(canvas) -> list[tuple[str, str]]:
    items = [(n.name, canvas.scene.node_item(n.id).sceneBoundingRect()) for n in canvas.graph]
    return [(a, b) for i, (a, ra) in enumerate(items) for b, rb in items[i + 1:] if ra.intersects(rb)]


def test_a_block_added_at_the_canvas_edge_or_pasted_out_of_sight_is_scrolled_into_view(names, qtbot):
    """A wire dropped at the canvas's right edge put its new block mostly past it, and each repeated paste lands
    further down: the view scrolls as little as needed to show what was just added."""
    graph, view, scene = names.graph, names.view, names.scene
    view.resetTransform()
    language = graph.by_name("language").id
    view.center_on_node(language)

    def in_sight(node_id) -> bool:
        return view.mapToScene(view.viewport().rect()).boundingRect().contains(
            scene.node_item(node_id).sceneBoundingRect())

    edge = view.mapToScene(QPoint(view.viewport().width() - 5, view.viewport().height() // 2))
    dense = graph.by_name("dense").id
    popup = view.open_quick_add("dense", scene_pos=edge, wire=(dense, "output", True))
    QTest.keyClick(popup.search_field, Qt.Key.Key_Return)
    (added,) = scene.selected_node_ids()
    assert scene.node_item(added).sceneBoundingRect().right() > edge.x() + 100  # it begins at the edge
    assert in_sight(added)
    scene.select_nodes([language])
    view.copy_selection()
    for _ in range(6):
        view.paste()
        (pasted,) = scene.selected_node_ids()
        assert in_sight(pasted)


def test_pasted_duplicated_and_palette_blocks_land_on_free_space(names):
    graph, view, scene = names.graph, names.view, names.scene
    assert _overlaps(names) == []
    scene.select_nodes([graph.by_name(n).id for n in ("embedding", "bigru")])
    view.copy_selection()
    for _ in range(3):  # pasting again and again: each copy finds its own place
        view.paste()
    view.duplicate_selection()
    scene.select_nodes([graph.by_name("dense").id])
    view.duplicate_selection()
    view.frame_all()
    for kind in ("lstm", "gru", "dense"):  # a palette double-click adds at the view centre
        view.add_block(kind)
    QApplication.processEvents()
    assert len(graph) == 6 + 2 * 4 + 1 + 3 and _overlaps(names) == []
    # The first copy sits just below its originals, where the user looks for it.
    original, copy = graph.by_name("embedding").pos, graph.by_name("embedding_1").pos
    assert copy[0] == pytest.approx(original[0], abs=200) and copy[1] > original[1]


def test_a_block_put_where_another_is_moves_just_clear_of_it(empty):
    """Tab (quick add) at a point: the new block is centred there, and one put on the lower edge of another
    covered it (an LSTM over the bottom of the LSTM above it)."""
    view, graph, scene = empty.view, empty.graph, empty.scene
    first = view.add_block("lstm", QPointF(0, 0))
    assert graph.node(first).pos == (-NODE_WIDTH / 2, -metrics().title_height)  # free space: where pointed
    below_edge = scene.node_item(first).sceneBoundingRect().bottom() - 10
    second = view.add_block("lstm", QPointF(0, below_edge))
    QApplication.processEvents()
    assert graph.node(second).name == "lstm_1" and _overlaps(empty) == []
    a, b = (scene.node_item(i).sceneBoundingRect() for i in (first, second))
    assert abs(b.center().x() - a.center().x()) + abs(b.top() - below_edge) < 250  # close to where it was put
    # A wire from the first LSTM dropped on the second: the block the search adds is put clear of both.
    third = view._add_wired("dense", QPointF(b.left() + 20, b.top() + 40), (first, "sequence", True))
    QApplication.processEvents()
    assert graph.in_edges(third)[0].src == first and _overlaps(empty) == []
