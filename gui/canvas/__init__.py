"""The node-editor canvas: a QGraphicsScene that observes the engine graph and a QGraphicsView to edit it.

API for the main window (keep it; additions welcome):

    graph = document.graph; stack = QUndoStack(); analysis = AnalysisModel(graph)   # gui.analysis
    scene = GraphScene(graph, stack, analysis)      # items follow graph.events; shapes follow analysis.updated
    view = CanvasView(scene)                        # the widget

GraphScene
    statusMessage(str)          why a connection was refused, what was copied, why a paste failed
    wireDroppedOnCanvas(node_id, port, is_output, QPointF)   a wire let go on empty canvas (the view then
                                offers a quick add of fitting blocks, connected in the same undo step)
    selectionChanged()          (Qt's) -> selected_node_ids()
    nodeActivated(node_id)      a block was double-clicked
    selected_node_ids() -> [id] in graph order;  select_nodes(ids);  node_item(id) -> NodeItem | None
    edge_item(edge), node_items(), edge_items(), selected_edges(), nodes_rect(ids=None)
    snap_to_grid (bool attribute; the view forwards its own)
    begin_connection(port_item) -> ConnectInteraction (.move_to(scene_pos), .release(scene_pos)); the mouse
        uses the same object; cancel_connection()
    set_palette(QPalette)       re-themes (the view calls it on palette changes)
    detach()                    stop observing the graph before dropping the scene while the graph lives on
    set_live_values(stats, step=None, snapshot=None), live_value_text(edge), has_live_values()   a run's
                                ActivationProbe numbers;
                                hovered (or clicked) wires show them
CanvasView(scene)
    set_scene(scene)            show another document's scene in the same widget (detach the old one yourself)
    add_block(kind, scene_pos=None) -> id     (None = view centre; pushes AddNodeCommand, selects the block)
    frame_all() (as a document opens: readable), frame_everything() (Shift+F), frame_selection() (F),
    center_on_node(id), zoom_in(), zoom_out(), zoom_by(f), zoom, pan_by(dx, dy)
    snap_to_grid (property), open_quick_add(text="", scene_pos=None, wire=None) -> QuickAddPopup (Tab, a letter)
    copy_selection(), cut_selection(), paste() -> [new ids], duplicate_selection() -> [new ids],
    delete_selection() (Delete/Backspace), select_all(), auto_layout() (one step: a LayoutCommand, in a macro
    with the frames refitted, their comments moved and stale reroute points dropped when there are any),
    show_wire_values() -> WireValuesPopup | None (View > Wire values: every wire of the selection, as hovered),
    nudge_selection(dx, dy) (arrow keys, Shift = 5 grid steps)
    context_menu(scene_pos) -> QMenu (right click: copy/cut/duplicate/delete on blocks; add, paste,
        auto-layout, frame all, snap to grid on the canvas)
    Drops: mime BLOCK_MIME ("application/x-rnn-studio-block", payload = block kind id, utf-8).
    Clipboard: BLOCKS_MIME ("application/x-rnn-studio-blocks", JSON of graph.subgraph_data), also as text.
    The shell binds Ctrl+C/X/V/D/A to the methods above; the view handles Delete, F, Tab, Space-drag,
    middle-drag, wheel and Ctrl +/-.
Annotations (graph.annotations: comments, frames, reroute points; items follow its events):
    scene: note_item(id), note_items(), reroute_items(), selected_note_ids(), selected_points() -> [(edge, i)],
        select_items(node_ids, note_ids), content_rect(node_ids=None, note_ids=None) (what framing shows),
        add_point(edge, scene_pos), remove_points([(edge, i)])
    view: add_comment(scene_pos=None, text="") -> id (Shift+C; without text it opens for typing),
        add_frame(title="Frame") -> id | None (Ctrl+G), editing_text() -> bool; copy/cut/paste/duplicate,
        delete, select_all, nudge and F / Shift+F include comments, frames and points.
Undo: gui.commands (one command per model action; MacroCommand groups children into one step) and
gui.canvas_commands for the annotations.
Item look: gui.canvas.style (kind_color, category_color, CanvasPalette, metrics).
"""
from .clipboard import BLOCK_MIME, BLOCKS_MIME
from .edge_item import EdgeItem
from .node_item import NodeItem
from .port_item import PortItem
from .quick_add import QuickAddPopup
from .scene import GraphScene
from .view import CanvasView

__all__ = ["BLOCK_MIME", "BLOCKS_MIME", "CanvasView", "EdgeItem", "GraphScene", "NodeItem", "PortItem",
           "QuickAddPopup"]
