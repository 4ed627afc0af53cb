"""The inspector: the selected block's name, description, typed parameter editors (ranges and choices from
the catalog), output shapes, parameter count and problems. Every committed edit is one undo step."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFormLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QVBoxLayout, QWidget

from engine import GraphError

from .commands import RenameCommand, SetParamCommand
from .equations import equations_html
from .forms import ParamForm
from .plain_text import plain
from .unrolled import UnrolledDialog
from .wrapping_label import WrappingLabel

RECURRENT_KINDS = ("lstm", "gru", "rnn", "bidirectional")


class InspectorPanel(QWidget):
    """Built once per selected block (header, name, a ParamForm of its parameters, its shapes and problems);
    later changes of the block (undo, another editor, a new analysis) update those widgets in place, so the
    form never flickers, doubles or loses the field being edited."""

    varyRequested = Signal(str)  # a setting path ("lstm.hidden_size", "lstm.kind"): add it to the experiment

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph = self.undo_stack = self.analysis = self.scene = None
        self.node_id: str | None = None
        self.form_params: ParamForm | None = None
        self._updating = False
        self.body = QWidget()
        self.form = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        # Only vertical scrolling: the width stays the dock's, so help texts wrap instead of being cut off.
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.name_edit: QLineEdit | None = None
        self.name_error = plain(QLabel())
        self.shapes = self.count = self.problems = self.equations = None
        self._show_hint("Select a block to see and edit its settings.")

    @property
    def editors(self) -> dict:
        """Each parameter's typed widget (spin box, combo, check box...), by parameter name."""
        return {name: e.widget for name, e in self.form_params.editors.items()} if self.form_params else {}

    # ------------------------------------------------------------ context
    def set_context(self, graph, undo_stack, analysis, scene) -> None:
        if self.graph is not None:
            self.graph.events.node_changed.disconnect(self._on_node_changed)
            self.graph.events.node_removed.disconnect(self._on_node_removed)
        if self.analysis is not None:
            self.analysis.updated.disconnect(self._on_report)
        if self.scene is not None:
            self.scene.selectionChanged.disconnect(self._on_selection)
        self.graph, self.undo_stack, self.analysis, self.scene = graph, undo_stack, analysis, scene
        if graph is not None:
            graph.events.node_changed.connect(self._on_node_changed)
            graph.events.node_removed.connect(self._on_node_removed)
        if analysis is not None:
            analysis.updated.connect(self._on_report)
        if scene is not None:
            scene.selectionChanged.connect(self._on_selection)
        self.show_node(None)

    def _on_selection(self) -> None:
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:  # the scene is being deleted with its document (a scene clears its selection then)
            return
        if len(ids) == 1:
            self.show_node(ids[0])
        elif ids:
            self.show_node(None, f"{len(ids)} blocks selected.")
        else:
            self.show_node(None)

    def _on_node_changed(self, node, what) -> None:
        if node.id != self.node_id or self.form_params is None:
            return
        # Undo/redo or another editor changed it: show the model's values (also the one being edited).
        self.form_params.set_values(node.params)
        self._show_equations(node)
        if self.name_edit is not None and self.name_edit.text() != node.name:
            self.name_edit.setText(node.name)
            self._check_name(node.name)

    def _on_node_removed(self, node) -> None:
        if node.id == self.node_id:
            self.show_node(None)

    def _on_report(self, report) -> None:
        if self.node_id is not None and self.node_id in self.graph.nodes:
            self._show_analysis(self.graph.node(self.node_id))

    # ------------------------------------------------------------ building the form
    def _clear(self) -> None:
        while self.form.count():
            item = self.form.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()  # deleteLater waits for the event loop; hide it from view now
                item.widget().deleteLater()
        self.form_params = None
        self.name_edit = None
        self.shapes = self.count = self.problems = self.equations = None

    def _show_hint(self, text: str) -> None:
        self._clear()
        hint = QLabel(text)
        hint.setWordWrap(True)
        hint.setEnabled(False)
        self.form.addWidget(hint)
        self.form.addStretch(1)

    def show_node(self, node_id: str | None, hint: str = "Select a block to see and edit its settings.") -> None:
        node_id = node_id if node_id and self.graph is not None and node_id in self.graph.nodes else None
        if node_id is not None and node_id == self.node_id and self.form_params is not None:
            node = self.graph.node(node_id)
            self._on_node_changed(node, "params")  # the same block: update in place, never build twice
            self._show_analysis(node)
            return
        self.node_id = node_id
        if node_id is None:
            self._show_hint(hint)
            return
        node = self.graph.node(node_id)
        spec = node.spec
        self._clear()
        title = QLabel(f"<b>{spec.title}</b> <span style='color:gray'>({spec.category})</span>")
        title.setWordWrap(True)  # the dock is 180 px wide on a 1280 px screen: every line here wraps, none is cut
        description = QLabel(spec.description)
        description.setWordWrap(True)
        self.form.addWidget(title)
        self.form.addWidget(description)

        naming = QWidget()
        grid = QFormLayout(naming)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setToolTip("A unique name; it names the layer in the generated code.")
        self.name_edit.textEdited.connect(self._check_name)
        self.name_edit.editingFinished.connect(self._commit_name)
        grid.addRow("Name", self.name_edit)
        self.name_error = plain(WrappingLabel())  # quotes the typed name
        self.name_error.setStyleSheet("color: #c0392b")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        grid.addRow("", self.name_error)
        self.form.addWidget(naming)
        self.form_params = ParamForm(spec.params, node.params, captions=True)
        self.form_params.committed.connect(self._commit)
        kind_tip = "Add this block's kind (RNN, GRU, LSTM, bidirectional) to the experiment"
        extra = [("Vary kind…", kind_tip, lambda: self._vary("kind"))] if node.kind in RECURRENT_KINDS else []
        self.form_params.enable_vary(True, extra)
        self.form_params.varyRequested.connect(self._vary)
        if extra:  # the block's title offers it too (right-click)
            vary_kind = QAction("Vary kind…", title)
            vary_kind.setToolTip(kind_tip)
            vary_kind.triggered.connect(lambda: self._vary("kind"))
            title.addAction(vary_kind)
            title.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.form.addWidget(self.form_params)
        self.equations = QLabel()
        self.equations.setTextFormat(Qt.TextFormat.RichText)
        self.equations.setWordWrap(True)
        self.form.addWidget(self.equations)
        self.unrolled_button = QPushButton("Unroll over time…")
        self.unrolled_button.setToolTip("Show the same cell drawn at a few time steps, with the state passed along")
        self.unrolled_button.clicked.connect(self.show_unrolled)
        self.form.addWidget(self.unrolled_button)  # first: showing a parentless widget would open a window
        self.unrolled_button.setVisible(node.kind in RECURRENT_KINDS)
        self._show_equations(node)

        self.shapes = QLabel()
        self.shapes.setWordWrap(True)
        self.shapes.setTextFormat(Qt.TextFormat.RichText)
        self.count = QLabel()
        self.problems = plain(QLabel())  # diagnostics name blocks
        self.problems.setWordWrap(True)
        self.problems.setStyleSheet("color: #c0392b")
        for label in (self.shapes, self.count, self.problems):
            self.form.addWidget(label)
        self.form.addStretch(1)
        self._show_analysis(node)

    def show_unrolled(self):
        if self.node_id is None or self.graph.node(self.node_id).kind not in RECURRENT_KINDS:
            return None
        dialog = UnrolledDialog(self.graph.node(self.node_id), self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _show_equations(self, node) -> None:
        """What the block computes, with the names the gate plots use (recurrent and attention blocks)."""
        text = equations_html(node.kind, node.params)
        self.equations.setText(f"<b>What it computes</b>{text}" if text else "")
        self.equations.setVisible(bool(text))

    def _show_analysis(self, node) -> None:
        """The block's output shapes, parameter count and problems from the latest analysis."""
        report = self.analysis.report if self.analysis is not None else None
        if report is None or self.shapes is None:
            return
        lines = [f"{port.name}: {report.shape_text(node.id, port.name) or '—'}" for port in node.spec.outputs]
        self.shapes.setText("<b>Outputs</b><br>" + "<br>".join(lines) if lines else "<b>Output head</b>")
        self.count.setText(f"Parameters: {report.params.get(node.id, 0):,}")
        messages = [d.message for d in report.for_node(node.id)]
        self.problems.setText("\n".join(messages))
        self.problems.setVisible(bool(messages))

    def _vary(self, param: str) -> None:
        """Asks to vary ``param`` (or "kind") of the shown block, by its setting path."""
        if self.node_id is None or self.node_id not in self.graph.nodes:
            return
        name = self.graph.node(self.node_id).name
        # A block called "data" is reached as graph.data.<param> (data.<key> names the data binding).
        self.varyRequested.emit(f"graph.{name}.{param}" if name == "data" else f"{name}.{param}")

    # ------------------------------------------------------------ committing edits
    def _commit(self, name: str, value) -> None:
        if self.node_id is None or self.graph.node(self.node_id).params.get(name) == value:
            return
        self._updating = True
        try:
            self.undo_stack.push(SetParamCommand(self.graph, self.node_id, name, value))
        finally:
            self._updating = False

    def _check_name(self, text: str) -> str | None:
        problem = self.graph.name_problem(text, self.node_id) if self.node_id else None
        self.name_edit.setStyleSheet("border: 1px solid #c0392b" if problem else "")
        self.name_error.setText(problem or "")
        self.name_error.setVisible(bool(problem))
        return problem

    def _commit_name(self) -> None:
        if self.node_id is None or self.name_edit is None:
            return
        text = self.name_edit.text().strip()
        if text == self.graph.node(self.node_id).name or self._check_name(text):
            return
        try:
            self.undo_stack.push(RenameCommand(self.graph, self.node_id, text))
        except GraphError as err:
            self.name_error.setText(str(err))
            self.name_error.show()
