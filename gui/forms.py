"""The one editor factory of the window: a widget for any ``Param`` (block parameter, dataset option, training
setting) and ``ParamForm``, which lays out a list of them, follows their ``when`` and emits one commit per edit.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGridLayout,
                               QHBoxLayout, QLabel, QLineEdit, QMenu, QPushButton, QSpinBox, QStackedLayout,
                               QVBoxLayout, QWidget)

from engine.settings import SettingError, parse_value
from engine.specs import INT64_MAX, INT64_MIN, Param, format_value

from .wheel_guard import WheelSafeComboBox, WheelSafeDoubleSpinBox, WheelSafeSpinBox
from .wrapping_label import wrapping_tooltip

INVALID_STYLE = "border: 1px solid #c0392b; color: #c0392b"
# QSpinBox's range. An int parameter without an upper bound (epochs, seed) gets a spin box over the 32-bit range;
# a valid value beyond it is shown and edited in the editor's line edit. (superqt's 64-bit QLargeIntSpinBox
# imported qtpy, whose star imports of Qt's modules cost ~0.25 s of the studio's launch.)
_INT32 = 2 ** 31 - 1


def _same(a: Any, b: Any) -> bool:
    """Equal and of the same type: 1 and 1.0 and True differ for a typed setting."""
    return type(a) is type(b) and a == b


def _items(value: Any) -> list:
    """A list setting's items; older documents store a list of columns as "a,b"."""
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value) if isinstance(value, (list, tuple)) else []


class CompactDoubleSpinBox(WheelSafeDoubleSpinBox):
    """Shows 0.1 as "0.1", not "0.100000": the six decimals are there for typing, not for reading."""

    def textFromValue(self, value: float) -> str:  # noqa: N802 - Qt override
        return f"{value:.6f}".rstrip("0").rstrip(".") or "0"


class ParamEditor(QWidget):
    """The editor of one Param. ``set_value`` shows a stored value without committing; a value the Param refuses
    (e.g. the text "lots" stored in an int param) is shown as typed, marked invalid, never silently replaced.
    ``on_commit(value)`` runs once per finished edit (Enter, focus out, a pick, a click), with a valid, changed
    value."""

    def __init__(self, param: Param, value: Any, on_commit: Callable[[Any], None], parent: QWidget | None = None,
                 on_refuse: Callable[[str], None] | None = None):
        super().__init__(parent)
        self.param, self.on_commit = param, on_commit
        # A typed value the Param refuses: why; "" once a valid value is typed again (the refusal is over).
        self.on_refuse = on_refuse or (lambda _message: None)
        self._refused = False
        self._value: Any = None
        self._setting = False
        self.problem: str | None = None
        self.suggestions: list[str] = list(param.suggestions)
        self.stack = QStackedLayout(self)
        self.stack.setContentsMargins(0, 0, 0, 0)
        self.widget = self._typed_widget()
        self.stack.addWidget(self.widget)
        # Where the typed widget cannot show a value (text in a spin box), a line edit shows it as it is.
        self.text = QLineEdit()
        self.text.editingFinished.connect(self._commit_text)
        self.stack.addWidget(self.text)
        self.setToolTip(self._about())
        self.set_value(value)

    # ---------------------------------------------------------------------------------------- building
    def _typed_widget(self) -> QWidget:
        p = self.param
        if p.type is list:
            return self._multi_check(p.choices or ())
        if p.choices is not None:
            combo = WheelSafeComboBox()
            combo.addItems(list(p.choices) + (["none"] if p.nullable else []))
            combo.activated.connect(lambda _i: self._commit(self._combo_value(combo.currentText())))
            return combo
        if p.type is bool:
            box = QCheckBox()
            box.clicked.connect(lambda on: self._commit(bool(on)))
            return box
        if p.type is int and not p.nullable:
            low = int(p.min) + (1 if p.min_open else 0) if p.min is not None else INT64_MIN
            high = int(p.max) if p.max is not None else INT64_MAX
            spin = WheelSafeSpinBox()
            spin.setRange(max(low, -_INT32), min(high, _INT32))
            spin.setKeyboardTracking(False)  # typing commits once (Enter or focus out), not per digit
            spin.valueChanged.connect(lambda v: self._commit(int(v)))
            return spin
        if p.type is float and not p.nullable and p.min is not None and p.max is not None:
            spin = CompactDoubleSpinBox()
            spin.setDecimals(6)
            spin.setSingleStep(0.05 if p.max - p.min <= 10 else 1.0)
            spin.setRange(float(p.min), float(p.max))
            spin.setKeyboardTracking(False)
            spin.valueChanged.connect(lambda v: self._commit(float(v)))
            return spin
        if p.suggestions or p.hint == "column":
            combo = WheelSafeComboBox()
            combo.setEditable(True)
            combo.addItems(self.suggestions)
            combo.activated.connect(lambda _i: self._commit_typed(combo.currentText()))
            combo.lineEdit().editingFinished.connect(lambda: self._commit_typed(combo.currentText()))
            return combo
        line = QLineEdit()  # numbers spanning decades (learning rates: 1e-3), nullable ones, text, files
        if p.nullable:
            line.setPlaceholderText("none")
        line.editingFinished.connect(lambda: self._commit_typed(line.text()))
        if p.hint != "file":
            return line
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(line, 1)
        browse = QPushButton("Browse…")
        browse.clicked.connect(lambda: self._browse(line))
        layout.addWidget(browse)
        row.line = line
        return row

    def _multi_check(self, items: Iterable[str]) -> QWidget:
        holder = QWidget()
        layout = QGridLayout(holder)  # two boxes a row: five probes in one row were wider than a 1280 px dock
        layout.setContentsMargins(0, 0, 0, 0)
        holder.boxes = {}
        for index, item in enumerate(items):
            box = QCheckBox(str(item).replace("_", " "))
            box.clicked.connect(lambda _on: self._commit(self._checked(holder)))
            holder.boxes[item] = box
            layout.addWidget(box, index // 2, index % 2)
        if not items:  # a list of free text (columns) without known items yet: typed as a,b
            holder.line = QLineEdit()
            holder.line.setPlaceholderText("none" if self.param.nullable else "a,b")
            holder.line.editingFinished.connect(lambda: self._commit_typed(holder.line.text()))
            layout.addWidget(holder.line, 0, 0, 1, 2)
        layout.setColumnStretch(2, 1)
        return holder

    def _checked(self, holder) -> Any:
        picked = [item for item, box in holder.boxes.items() if box.isChecked()]
        return None if not picked and self.param.nullable else picked

    def _combo_value(self, text: str) -> Any:
        return None if self.param.nullable and text == "none" else text

    def _browse(self, line: QLineEdit) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.param.title, line.text(), "All files (*)")
        if path:
            line.setText(path)
            self._commit_typed(path)

    def set_suggestions(self, items: Sequence[str]) -> None:
        """Values a text or list editor offers (a CSV's columns); the stored value is kept."""
        self.suggestions = [str(i) for i in items]
        if self.param.type is list and self.param.choices is None:  # check boxes of the known items
            self.stack.removeWidget(self.widget)
            self.widget.deleteLater()
            known = self.suggestions + [str(v) for v in _items(self._value) if str(v) not in self.suggestions]
            self.widget = self._multi_check(known)
            self.stack.insertWidget(0, self.widget)
        elif isinstance(self.widget, QComboBox) and self.widget.isEditable():
            self._setting = True
            try:
                self.widget.clear()
                self.widget.addItems(self.suggestions)
            finally:
                self._setting = False
        self.set_value(self._value)

    # ---------------------------------------------------------------------------------------- values
    def value(self) -> Any:
        """The stored value (as last set or committed), valid or not."""
        return self._value

    def set_value(self, value: Any) -> None:
        """Shows ``value`` without calling on_commit."""
        self._value = value
        self.problem = self.param.problem(value)
        self._setting = True
        try:
            shown = self._show(value) if self.problem is None else False
        finally:
            self._setting = False
        self.text.setText(format_value(value) if value is not None or not self.param.nullable else "")
        self.stack.setCurrentIndex(0 if shown else 1)
        self.setFocusProxy(self.stack.currentWidget())  # focusing the editor (from Problems) focuses what takes keys
        self._mark(self.problem)

    def _show(self, value: Any) -> bool:
        """Puts a valid value into the typed widget; False where it cannot show it (then the line edit does)."""
        w = self.widget
        if hasattr(w, "boxes"):
            items = _items(value)
            if hasattr(w, "line"):  # free text items: typed as a,b
                w.line.setText("" if value is None else format_value(value))
                return True
            if any(i not in w.boxes for i in items):
                return False
            for item, box in w.boxes.items():
                box.setChecked(item in items)
            return True
        if isinstance(w, QComboBox):
            text = "none" if value is None else str(value)
            if w.isEditable():
                w.setCurrentText(text)
                return True
            index = w.findText(text)
            w.setCurrentIndex(index)
            return index >= 0
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
            return True
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            if isinstance(w, QSpinBox) and not w.minimum() <= value <= w.maximum():
                return False  # beyond 32 bits (PySide refuses it): the line edit shows it
            w.setValue(value)
            return w.value() == value  # a float with more decimals than the box shows goes to the line edit
        line = getattr(w, "line", w)
        line.setText("" if value is None else format_value(value))
        return True

    def _mark(self, problem: str | None) -> None:
        self.setStyleSheet(INVALID_STYLE if problem else "")
        self.setToolTip(wrapping_tooltip(f"{self._about()}\n{problem}" if problem else self._about()))

    def _about(self) -> str:
        """The help and what the setting takes (a spin box stops typing at its maximum without saying which)."""
        return f"{self.param.help}\n{self.param.describe()}" if self.param.help else self.param.describe()

    def _commit_typed(self, text: str) -> None:
        try:
            value = parse_value(self.param, text)
        except SettingError as err:
            self._refuse(err.message)
            return
        self._commit(value)

    def _refuse(self, message: str) -> None:
        """Marks a typed value the Param refuses; the stored value (and ``problem``, its own) stays."""
        self._refused = True
        self._mark(message)
        self.on_refuse(message)

    def _commit_text(self) -> None:
        self._commit_typed(self.text.text())

    def _commit(self, value: Any) -> None:
        if self._setting:
            return
        problem = self.param.problem(value)
        if problem:
            self._refuse(f"{problem}, got {format_value(value)}")
            return
        if self._refused:  # a valid value again: the refusal's mark and message go
            self._refused = False
            self._mark(self.problem)
            self.on_refuse("")
        if _same(value, self._value):
            return  # the stored value typed back: nothing to commit
        self.set_value(value)
        self.on_commit(value)


def editor_for(param: Param, value: Any, on_commit: Callable[[Any], None],
               parent: QWidget | None = None) -> ParamEditor:
    """The editor of ``param`` showing ``value``: a spin box with the range (whole numbers, bounded numbers), a
    combo for choices, a check box for true/false, a line edit for text, wide-ranging or nullable numbers, a row
    of check boxes for a list of choices. ``on_commit(value)`` runs once per finished edit."""
    return ParamEditor(param, value, on_commit, parent)


class ParamForm(QWidget):
    """A form of Params with their values: one row each (title, editor, help caption). Rows whose ``when`` does not
    hold for the current values are disabled (or hidden with ``hide_inactive``). ``committed(name, value)`` is
    emitted once per user edit; ``set_values`` shows values without emitting."""

    committed = Signal(str, object)
    # name, why the typed value is not allowed (the editor is marked invalid); why "" when a valid value is typed
    # again after a refusal (the message shown for it should go)
    refused = Signal(str, str)
    varyRequested = Signal(str)  # name: the row's "Vary…" (context menu) was chosen; see enable_vary

    def __init__(self, params: Sequence[Param] = (), values: Mapping[str, Any] | None = None,
                 hide_inactive: bool = False, captions: bool = True, parent: QWidget | None = None):
        super().__init__(parent)
        self.hide_inactive, self.captions = hide_inactive, captions
        self.layout_ = QFormLayout(self)
        self.layout_.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        # In a narrow dock (1280x720 gives the Inspector ~200 px) a field goes under its label instead of being
        # cut off with its help text at the dock's edge.
        self.layout_.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.params: dict[str, Param] = {}
        self._context: dict[str, Any] = {}
        self.editors: dict[str, ParamEditor] = {}
        self.rows: dict[str, QWidget] = {}
        self._values: dict[str, Any] = {}
        self._vary = False
        self._vary_extra: list[tuple[str, str, Callable[[], None]]] = []
        self.set_params(params, values)

    def set_params(self, params: Sequence[Param], values: Mapping[str, Any] | None = None) -> None:
        """Rebuilds the form for ``params`` (e.g. another dataset's options); missing values take the defaults."""
        while self.layout_.rowCount():
            # Taken out now, deleted later: a form rebuilt from a slot of one of its own editors (Enter in a field
            # whose commit changes the params) deleted that editor in the middle of its key event (a crash).
            row = self.layout_.takeRow(0)
            for item in (row.labelItem, row.fieldItem):
                if item is not None and item.widget() is not None:
                    item.widget().hide()
                    item.widget().deleteLater()
        self.params = {p.name: p for p in params}
        self.editors, self.rows = {}, {}
        self._values = {p.name: p.default for p in params}
        self._values.update({k: v for k, v in (values or {}).items() if k in self.params})
        # Settings outside this form that a row's ``when`` reads (More settings follows the basics' optimizer).
        self._context = {k: v for k, v in (values or {}).items() if k not in self.params}
        for p in params:
            editor = editor_for(p, self._values[p.name], lambda v, n=p.name: self._on_commit(n, v))
            editor.on_refuse = lambda message, n=p.name: self.refused.emit(n, message)
            holder = QWidget()
            column = QVBoxLayout(holder)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(1)
            column.addWidget(editor)
            if self.captions and p.help:
                caption = QLabel(p.help)
                caption.setWordWrap(True)
                caption.setStyleSheet("color: gray; font-size: small")
                column.addWidget(caption)
            label = QLabel(p.title)
            label.setToolTip(p.help)
            holder.label = label
            self.layout_.addRow(label, holder)
            self.editors[p.name], self.rows[p.name] = editor, holder
            self._watch_row(p.name)
        self._update_when()

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Shows ``values`` without emitting ``committed``; values of settings outside the form are kept for
        the rows' ``when``."""
        for name, value in values.items():
            if name in self.editors:
                self._values[name] = value
                self.editors[name].set_value(value)
            else:
                self._context[name] = value
        self._update_when()

    def values(self) -> dict[str, Any]:
        return dict(self._values)

    def editor(self, name: str) -> ParamEditor:
        return self.editors[name]

    def set_suggestions(self, name: str, items: Sequence[str]) -> None:
        self.editors[name].set_suggestions(items)
        self._watch_row(name)  # a list editor rebuilds its check boxes

    # ---------------------------------------------------------------------------------------- Vary…
    def enable_vary(self, on: bool = True, extra: Sequence[tuple[str, str, Callable[[], None]]] = ()) -> None:
        """Right-click (or the menu key) on a row's label or editor offers "Vary…", which emits
        ``varyRequested(name)`` (the window adds the setting to the experiment), and every ``extra`` entry
        (text, tooltip, slot), e.g. a recurrent block's "Vary kind…"."""
        self._vary, self._vary_extra = on, list(extra)
        for name, holder in self.rows.items():
            for widget in (holder.label, holder, *holder.findChildren(QWidget)):
                self._menu_policy(widget)

    def context_menu(self, name: str, widget: QWidget | None = None) -> QMenu:
        """The row's context menu: a text field's own entries (undo, copy, paste...) first, then Vary…"""
        menu = widget.createStandardContextMenu() if isinstance(widget, QLineEdit) else QMenu(self)
        if not menu.isEmpty():
            menu.addSeparator()
        menu.setToolTipsVisible(True)
        title = self.params[name].title
        vary = menu.addAction("Vary…", lambda: self.varyRequested.emit(name))
        vary.setToolTip(f"Add {title} to the experiment with a list of values or a range (Experiments dock)")
        for text, tip, slot in self._vary_extra:
            action = menu.addAction(text, slot)
            action.setToolTip(tip)
        return menu

    def _watch_row(self, name: str) -> None:
        # Qt's custom context-menu signal, not an event filter: a filter would run Python for every event of
        # every row's widgets (paints, hovers), which starves a training thread of the GIL.
        holder = self.rows[name]
        for widget in (holder.label, holder, *holder.findChildren(QWidget)):
            widget.setProperty("param_row", name)
            if not widget.property("vary_menu"):
                widget.setProperty("vary_menu", True)
                widget.customContextMenuRequested.connect(
                    lambda pos, w=widget: self._row_menu(w, pos))
            self._menu_policy(widget)

    def _menu_policy(self, widget: QWidget) -> None:
        widget.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu if self._vary
                                    else Qt.ContextMenuPolicy.DefaultContextMenu)

    def _row_menu(self, widget: QWidget, pos) -> None:
        name = widget.property("param_row")
        if self._vary and name in self.params:
            menu = self.context_menu(name, widget)
            menu.exec(widget.mapToGlobal(pos))
            menu.deleteLater()

    def is_active(self, name: str) -> bool:
        """Whether the row's ``when`` holds for the current values."""
        return self.params[name].applies({**self._context, **self._values})

    def problems(self) -> dict[str, str]:
        """name -> why its stored value is refused, for every invalid row."""
        return {n: e.problem for n, e in self.editors.items() if e.problem}

    def _on_commit(self, name: str, value: Any) -> None:
        self._values[name] = value
        self._update_when()
        self.committed.emit(name, value)

    def _update_when(self) -> None:
        values = {**self._context, **self._values}
        for name, row in self.rows.items():
            param = self.params[name]
            active = param.applies(values)
            row.setEnabled(active)
            row.label.setEnabled(active)
            row.setToolTip("" if active else f"{param.title} applies {param.when_text()}")
            if self.hide_inactive:
                row.setVisible(active)
                row.label.setVisible(active)
