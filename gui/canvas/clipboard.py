"""Copying blocks through the system clipboard as JSON (graph.subgraph_data), so paste works between windows.

The JSON also goes in as plain text: pasting it into an editor shows the blocks as a document would.
"""
from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from engine.graph import Graph

BLOCKS_MIME = "application/x-rnn-studio-blocks"
BLOCK_MIME = "application/x-rnn-studio-block"  # one block kind id, dragged from the palette


def blocks_mime_data(graph: Graph, node_ids) -> QMimeData:
    data = graph.subgraph_data(node_ids)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    mime = QMimeData()
    mime.setData(BLOCKS_MIME, text.encode("utf-8"))
    mime.setText(text)
    return mime


def copy_blocks(graph: Graph, node_ids) -> int:
    """Puts the blocks and the edges among them on the clipboard; returns how many blocks."""
    node_ids = list(node_ids)
    if node_ids:
        QGuiApplication.clipboard().setMimeData(blocks_mime_data(graph, node_ids))
        _clear_on_quit()
    return len(node_ids)


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
