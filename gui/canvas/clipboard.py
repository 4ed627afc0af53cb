"""Copying blocks through the system clipboard as JSON (graph.subgraph_data), so paste works between windows.
Selected comments and frames travel in a "canvas" section beside the blocks (as in a document), and the wires'
reroute points in their edges' "points".

The JSON also goes in as plain text: pasting it into an editor shows the blocks as a document would.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from engine.annotations import annotations_to_data
from engine.graph import Graph

BLOCKS_MIME = "application/x-rnn-studio-blocks"
BLOCK_MIME = "application/x-rnn-studio-block"  # one block kind id, dragged from the palette


def selection_data(graph: Graph, node_ids, note_ids=()) -> dict[str, Any]:
    """The blocks, the wires among them (with their points), and the comments and frames ``note_ids``."""
    data = graph.subgraph_data(node_ids)
    notes = [graph.annotations.note(i) for i in note_ids]
    if notes:
        data["canvas"] = annotations_to_data(notes)
    return data


def blocks_mime_data(graph: Graph, node_ids, note_ids=()) -> QMimeData:
    data = selection_data(graph, node_ids, note_ids)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    mime = QMimeData()
    mime.setData(BLOCKS_MIME, text.encode("utf-8"))
    mime.setText(text)
    return mime


def copy_blocks(graph: Graph, node_ids, note_ids=()) -> int:
    """Puts the blocks, the edges among them and the comments and frames ``note_ids`` on the clipboard;
    returns how many blocks, comments and frames."""
    node_ids, note_ids = list(node_ids), list(note_ids)
    if node_ids or note_ids:
        QGuiApplication.clipboard().setMimeData(blocks_mime_data(graph, node_ids, note_ids))
        _clear_on_quit()
    return len(node_ids) + len(note_ids)


def _clear_on_quit() -> None:
    # Mime data still on the clipboard when the application object is destroyed crashes PySide6 at exit
    # (seen with 6.11): hand the clipboard back while Qt is still running.
    app = QGuiApplication.instance()
    if app is not None and not app.property("rnn_studio_clipboard_hook"):
        app.setProperty("rnn_studio_clipboard_hook", True)
        app.aboutToQuit.connect(lambda: QGuiApplication.clipboard().clear())


def clipboard_blocks() -> dict[str, Any] | None:
    """The copied blocks on the clipboard, or None when it holds none (or something unreadable)."""
    mime = QGuiApplication.clipboard().mimeData()
    if mime is None or not mime.hasFormat(BLOCKS_MIME):
        return None
    try:
        data = json.loads(bytes(mime.data(BLOCKS_MIME)).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None
