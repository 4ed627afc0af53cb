"""The inspector: the selected block's name, description, typed parameter editors (ranges and choices from
the catalog), output shapes, parameter count and problems. Every committed edit is one undo step."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QLabel, QLineEdit, QScrollArea,
                               QSpinBox, QVBoxLayout, QWidget)

from engine import GraphError

from .commands import RenameCommand, SetParamCommand

_BIG = 2_000_000_000


class InspectorPanel(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.graph = self.undo_stack = self.analysis = self.scene = None
        self.node_id: str | None = None
        self.editors: dict[str, QWidget] = {}
        self._updating = False
        self.body = QWidget()
        self.form = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.name_edit: QLineEdit | None = None
        self.name_error = QLabel()
        self._show_hint("Select a block to see and edit its settings.")

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
        ids = self.scene.selected_node_ids()
        if len(ids) == 1:
            self.show_node(ids[0])
        elif ids:
            self.show_node(None, f"{len(ids)} blocks selected.")
        else:
            self.show_node(None)

    def _on_node_changed(self, node, what) -> None:
        if node.id == self.node_id and not self._updating:
            self.show_node(node.id)  # undo/redo or another editor changed it: show the model's value

    def _on_node_removed(self, node) -> None:
        if node.id == self.node_id:
            self.show_node(None)

    def _on_report(self, report) -> None:
        if self.node_id is not None and not self._updating:
            self.show_node(self.node_id)

    # ------------------------------------------------------------ building the form
    def _clear(self) -> None:
        while self.form.count():
            item = self.form.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()  # deleteLater waits for the event loop; hide it from view now
                item.widget().deleteLater()
        self.editors = {}
        self.name_edit = None

    def _show_hint(self, text: str) -> None:
        self._clear()
        hint = QLabel(text)
        hint.setWordWrap(True)
        hint.setEnabled(False)
        self.form.addWidget(hint)
        self.form.addStretch(1)

    def show_node(self, node_id: str | None, hint: str = "Select a block to see and edit its settings.") -> None:
        self.node_id = node_id if node_id and self.graph is not None and node_id in self.graph.nodes else None
        if self.node_id is None:
            self._show_hint(hint)
            return
        node = self.graph.node(self.node_id)
        spec = node.spec
        self._clear()
        title = QLabel(f"<b>{spec.title}</b> <span style='color:gray'>({spec.category})</span>")
        description = QLabel(spec.description)
        description.setWordWrap(True)
        self.form.addWidget(title)
        self.form.addWidget(description)

        fields = QWidget()
        grid = QFormLayout(fields)
        grid.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.name_edit = QLineEdit(node.name)
        self.name_edit.setToolTip("A unique name; it names the layer in the generated code.")
        self.name_edit.textEdited.connect(self._check_name)
        self.name_edit.editingFinished.connect(self._commit_name)
        grid.addRow("Name", self.name_edit)
        self.name_error = QLabel()
        self.name_error.setStyleSheet("color: #c0392b")
        self.name_error.setWordWrap(True)
        self.name_error.hide()
        grid.addRow("", self.name_error)
        for param in spec.params:
            editor = self._editor(param, node.params.get(param.name))
            editor.setToolTip(param.help)
            self.editors[param.name] = editor
            holder = QWidget()
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            column.addWidget(editor)
            caption = QLabel(param.help)
            caption.setWordWrap(True)
            caption.setStyleSheet("color: gray; font-size: small")
            column.addWidget(caption)
            grid.addRow(param.title, holder)
        self.form.addWidget(fields)

        report = self.analysis.report if self.analysis is not None else None
        if report is not None:
            lines = []
            for port in spec.outputs:
                shape = report.shape_text(node.id, port.name)
                lines.append(f"{port.name}: {shape or '—'}")
            shapes = QLabel("<b>Outputs</b><br>" + "<br>".join(lines) if lines else "<b>Output head</b>")
            shapes.setTextFormat(Qt.TextFormat.RichText)
            self.form.addWidget(shapes)
            self.form.addWidget(QLabel(f"Parameters: {report.params.get(node.id, 0):,}"))
            for diagnostic in report.for_node(node.id):
                problem = QLabel(diagnostic.message)
                problem.setWordWrap(True)
                problem.setStyleSheet("color: #c0392b")
                self.form.addWidget(problem)
        self.form.addStretch(1)

    def _editor(self, param, value) -> QWidget:
        if param.choices is not None:
            editor = QComboBox()
            editor.addItems(list(param.choices))
            if value in param.choices:
                editor.setCurrentText(value)
            editor.currentTextChanged.connect(lambda text, n=param.name: self._commit(n, text))
        elif param.type is bool:
            editor = QCheckBox()
            editor.setChecked(bool(value))
            editor.toggled.connect(lambda on, n=param.name: self._commit(n, bool(on)))
        elif param.type is int:
            editor = QSpinBox()
            editor.setRange(int(param.min if param.min is not None else -_BIG),
                            int(min(param.max, _BIG) if param.max is not None else _BIG))
            editor.setKeyboardTracking(False)  # typing commits once (Enter or focus out), not per digit
            if isinstance(value, int) and not isinstance(value, bool):
                editor.setValue(value)
            editor.setGroupSeparatorShown(True)
            editor.valueChanged.connect(lambda v, n=param.name: self._commit(n, int(v)))
        elif param.type is float:
            editor = QDoubleSpinBox()
            editor.setDecimals(4)
            editor.setSingleStep(0.05)
            editor.setRange(param.min if param.min is not None else -1e9, param.max if param.max is not None else 1e9)
            editor.setKeyboardTracking(False)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                editor.setValue(float(value))
            editor.valueChanged.connect(lambda v, n=param.name: self._commit(n, float(v)))
        else:
            editor = QLineEdit(str(value))
            editor.editingFinished.connect(lambda n=param.name, e=editor: self._commit(n, e.text()))
        return editor

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
