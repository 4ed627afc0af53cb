"""Help that cannot go stale, generated from the catalog: the Help sidebar (the selected block's documentation —
what it computes, its parameters, its ports and shapes, the bundled examples that teach it) and
Help > Documentation (the README and every block's page, offline)."""
from __future__ import annotations

import html
import json
from functools import lru_cache
from pathlib import Path

from PySide6.QtCore import QTimer, QUrl, Signal
from PySide6.QtGui import QImageReader, QTextCursor
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLineEdit, QTabWidget, QTextBrowser, QVBoxLayout,
                               QWidget)

from engine.blocks import CATALOG

from .equations import equations_html
from .start_page import EXAMPLES_DIR

README = Path(__file__).resolve().parent.parent / "README.md"
EXAMPLE_SCHEME = "example"  # links example:<name> open a bundled example


@lru_cache(maxsize=1)
def examples_by_kind() -> dict[str, list[tuple[str, str]]]:
    """block kind -> [(example name, its first sentence)] of the bundled examples that use it."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(EXAMPLES_DIR.glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            kinds = {node["kind"] for node in data["graph"]["nodes"]}
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a broken example is the start page's to report
        summary = str(data.get("description", "")).split(". ")[0].strip().rstrip(".")
        for kind in kinds:
            found.setdefault(kind, []).append((path.stem, summary))
    return found


def block_html(spec, node=None, report=None) -> str:
    """One block kind's page: description, parameters (type, range, default, help), ports (and, for a block
    on the canvas, the shapes it has now) and the examples that use it."""
    e = html.escape
    parts = [f"<h2>{e(spec.title)} <span style='color:gray;font-weight:normal'>({e(spec.category)})</span></h2>",
             f"<p>{e(spec.description)}</p>"]
    equations = equations_html(spec.id, node.params if node is not None else None)
    if equations:
        parts.append(f"<h3>What it computes</h3>{equations}")
    if node is not None:
        parts.append(f"<p>On the canvas: <b>{e(node.name)}</b>"
                     + (f" — {report.params.get(node.id, 0):,} parameters" if report is not None else "") + "</p>")
    if spec.params:
        rows = "".join(f"<tr><td><b>{e(p.title)}</b><br><code>{e(p.name)}</code></td><td>{e(p.help)}<br>"
                       f"<span style='color:gray'>{e(p.describe())}</span></td></tr>" for p in spec.params)
        parts.append(f"<h3>Parameters</h3><table cellpadding='3'>{rows}</table>")
    ports = []
    for direction, port_list in (("input", spec.inputs), ("output", spec.outputs)):
        for port in port_list:
            kinds = " or ".join(f"{k.value} {k.layout}" for k in port.kinds)
            now = ""
            if node is not None and report is not None and direction == "output":
                shape = report.shape_text(node.id, port.name)
                now = f" — now <code>{e(shape)}</code>" if shape else ""
            optional = " (optional)" if port.optional else ""
            ports.append(f"<li>{direction} <b>{e(port.name)}</b>{optional}: {e(kinds)}{now}"
                         + (f"<br><span style='color:gray'>{e(port.help)}</span>" if port.help else "") + "</li>")
    if ports:
        parts.append("<h3>Ports</h3><ul>" + "".join(ports) + "</ul>")
    lessons = examples_by_kind().get(spec.id, [])
    if lessons:
        items = "".join(f"<li><a href='{EXAMPLE_SCHEME}:{e(name)}'>{e(name)}</a>: {e(summary)}</li>"
                        for name, summary in lessons)
        parts.append(f"<h3>See it in a lesson</h3><ul>{items}</ul>")
    return "".join(parts)


class HelpPanel(QWidget):
    """The Help sidebar (as Node-RED's): the documentation of the selected block, or of the palette's."""

    exampleRequested = Signal(str)  # the name of a bundled example whose link was clicked

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.browser = QTextBrowser()
        self.browser.setOpenLinks(False)
        self.browser.anchorClicked.connect(self._on_link)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.browser)
        self.kind: str | None = None
        self.show_block(None)

    def show_block(self, kind: str | None, node=None, report=None) -> None:
        self.kind = kind if kind in CATALOG else None
        if self.kind is None:
            self.browser.setHtml("<p style='color:gray'>Select a block on the canvas (or in Blocks) to read what "
                                 "it computes, its parameters and shapes, and the lessons that use it.</p>")
            return
        self.browser.setHtml(block_html(CATALOG[self.kind], node, report))

    def text(self) -> str:
        return self.browser.toPlainText()

    def _on_link(self, url: QUrl) -> None:
        if url.scheme() == EXAMPLE_SCHEME:
            self.exampleRequested.emit(url.path())


class GuideBrowser(QTextBrowser):
    """The README as a page whose screenshots fit its width (at their own size they were 1920 px wide: the page
    scrolled sideways), refitted whenever the page is resized, never beyond their own size."""

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self.fit_images()

    def scroll_to_heading(self, title: str) -> bool:
        """Puts the heading ``title`` at the top of the view (False if the page has none)."""
        block = self.document().begin()
        while block.isValid():
            if block.blockFormat().headingLevel() and block.text() == title:
                cursor = QTextCursor(block)
                self.setTextCursor(cursor)
                top = self.document().documentLayout().blockBoundingRect(block).top()
                self.verticalScrollBar().setValue(int(top))
                return True
            block = block.next()
        return False

    def fit_images(self) -> None:
        document = self.document()
        room = max(self.viewport().width() - 2 * int(document.documentMargin()) - 4, 50)
        images = []
        block = document.begin()
        while block.isValid():
            fragments = block.begin()
            while not fragments.atEnd():
                fragment = fragments.fragment()
                if fragment.charFormat().isImageFormat():
                    images.append((fragment.position(), fragment.length(), fragment.charFormat().toImageFormat()))
                fragments += 1
            block = block.next()
        cursor = QTextCursor(document)
        for position, length, image in images:
            width, height = natural_size(document.baseUrl().resolved(QUrl(image.name())).toLocalFile())
            if width <= 0:
                continue  # not found: Qt shows its placeholder
            shown = min(width, room)
            if abs(image.width() - shown) < 1:
                continue
            image.setWidth(shown)
            image.setHeight(height * shown / width)
            cursor.setPosition(position)
            cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
            cursor.setCharFormat(image)


@lru_cache(maxsize=256)
def natural_size(path: str) -> tuple[int, int]:
    """An image file's size from its header, read once: every resize of the guide fits its images again."""
    size = QImageReader(path).size()
    return size.width(), size.height()


GUIDE_START = "The studio"  # the README's first section about using the studio


class DocumentationDialog(QDialog):
    """Help > Documentation: the README (the user guide) and every block's page, readable offline; the search
    field finds text on the page shown."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("RNN Studio documentation")
        self.resize(900, 700)
        self.guide = GuideBrowser()
        self.guide.setOpenExternalLinks(True)
        try:
            self.guide.document().setBaseUrl(QUrl.fromLocalFile(str(README.parent) + "/"))  # its screenshots
            self.guide.setMarkdown(README.read_text(encoding="utf-8"))
            self.guide.fit_images()
            # The README opens with the commands that install the studio: in the studio, its use comes first.
            QTimer.singleShot(0, self, lambda: self.guide.scroll_to_heading(GUIDE_START))
        except OSError:
            self.guide.setPlainText("The user guide (README.md) is not installed with this copy of RNN Studio; "
                                    "the Blocks tab has every block's documentation.")
        self.blocks = QTextBrowser()
        self.blocks.setHtml("".join(block_html(spec) + "<hr>" for spec in CATALOG.values()))
        self.tabs = QTabWidget()
        self.tabs.addTab(self.guide, "User guide")
        self.tabs.addTab(self.blocks, "Blocks")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Find on this page (Enter: next)")
        self.search.setClearButtonEnabled(True)
        self.search.returnPressed.connect(self.find_next)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)

    def find_next(self) -> bool:
        """Selects the next occurrence of the search text on the page shown (wrapping once)."""
        browser = self.tabs.currentWidget()
        text = self.search.text()
        if not text:
            return False
        if browser.find(text):
            return True
        cursor = browser.textCursor()
        cursor.movePosition(cursor.MoveOperation.Start)
        browser.setTextCursor(cursor)
        return browser.find(text)
