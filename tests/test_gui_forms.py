"""The one editor factory: each Param gets the right widget with its range, an invalid stored value shows as
invalid (never as a made-up valid one), one finished edit commits once, and ParamForm follows ``when``."""
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QLineEdit, QSpinBox

from engine.blocks import CATALOG
from engine.data import DATASETS
from engine.settings import DATA_PARAMS
from engine.specs import Param, format_value
from engine.training.config import TRAINING_PARAMS, TrainingConfig, training_param
from gui.forms import INVALID_STYLE, ParamForm, editor_for


@pytest.fixture
def commits():
    return []


def make(qtbot, param, value, commits):
    editor = editor_for(param, value, commits.append)
    qtbot.addWidget(editor)
    editor.show()
    return editor


def type_and_finish(qtbot, line, text):
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, text) if text else qtbot.keyClick(line, Qt.Key.Key_Backspace)
    qtbot.keyClick(line, Qt.Key.Key_Return)


def test_widgets_follow_the_param(qtbot, commits):
    hidden = make(qtbot, CATALOG["lstm"].param("hidden_size"), 64, commits)
    assert isinstance(hidden.widget, QSpinBox) and hidden.widget.value() == 64
    assert hidden.widget.minimum() == 1
    epochs = make(qtbot, training_param("epochs"), 10, commits)
    assert isinstance(epochs.widget, QSpinBox) and epochs.widget.maximum() == 2 ** 31 - 1
    epochs.set_value(2 ** 40)  # valid (no upper bound) beyond the spin box: shown, unmarked, in the line edit
    assert epochs.stack.currentWidget() is epochs.text and epochs.text.text() == str(2 ** 40)
    assert epochs.problem is None
    momentum = make(qtbot, training_param("momentum"), 0.9, commits)
    assert isinstance(momentum.widget, QDoubleSpinBox)
    assert (momentum.widget.minimum(), momentum.widget.maximum()) == (0, 1)
    optimizer = make(qtbot, training_param("optimizer"), "sgd", commits)
    assert isinstance(optimizer.widget, QComboBox) and optimizer.widget.currentText() == "sgd"
    items = [optimizer.widget.itemText(i) for i in range(optimizer.widget.count())]
    assert items == ["sgd", "adam", "adamw", "rmsprop"]
    assert isinstance(make(qtbot, training_param("bf16"), True, commits).widget, QCheckBox)
    lr = make(qtbot, training_param("lr"), 0.001, commits)
    assert isinstance(lr.widget, QLineEdit) and lr.widget.text() == "0.001"  # spans decades: typed as 1e-3
    probes = make(qtbot, training_param("probes"), ["gates"], commits)
    assert {k: b.isChecked() for k, b in probes.widget.boxes.items()} == {
        "grad_norms": False, "gates": True, "attention": False, "time_grads": False, "activations": False}
    assert commits == []  # showing values commits nothing


def test_an_invalid_stored_value_shows_as_invalid_not_as_a_valid_one(qtbot, commits):
    editor = make(qtbot, CATALOG["lstm"].param("hidden_size"), "lots", commits)
    assert editor.problem == "must be a whole number"
    assert editor.stack.currentWidget() is editor.text and editor.text.text() == "lots"
    assert editor.styleSheet() == INVALID_STYLE and editor.value() == "lots"
    choice = make(qtbot, training_param("optimizer"), "lbfgs", commits)
    assert choice.problem == "must be one of sgd, adam, adamw, rmsprop" and choice.text.text() == "lbfgs"
    assert choice.stack.currentWidget() is choice.text
    type_and_finish(qtbot, editor.text, "128")  # fixing it commits once and shows the spin box again
    assert commits == [128] and editor.stack.currentWidget() is editor.widget and editor.widget.value() == 128
    assert editor.styleSheet() == ""


def test_typing_in_a_spin_box_commits_once_per_edit(qtbot, commits):
    for param, text, value in ((CATALOG["lstm"].param("hidden_size"), "256", 256),
                               (training_param("epochs"), "250", 250)):
        commits.clear()
        editor = make(qtbot, param, 10, commits)
        spin = editor.widget
        spin.setFocus()
        spin.lineEdit().selectAll()
        qtbot.keyClicks(spin, text)
        assert commits == []  # not per keystroke
        qtbot.keyClick(spin, Qt.Key.Key_Return)
        assert commits == [value] and editor.value() == value
        spin.stepUp()  # an arrow click is one edit
        assert commits == [value, value + 1]


def test_typed_text_is_parsed_checked_and_committed_once(qtbot, commits):
    lr = make(qtbot, training_param("lr"), 0.001, commits)
    type_and_finish(qtbot, lr.widget, "fast")
    assert commits == [] and "must be a number" in lr.toolTip() and lr.styleSheet() == INVALID_STYLE
    type_and_finish(qtbot, lr.widget, "nan")
    assert commits == [] and "must be a finite number" in lr.toolTip()
    type_and_finish(qtbot, lr.widget, "1e-2")
    assert commits == [0.01] and lr.styleSheet() == ""
    lr.widget.editingFinished.emit()  # focus leaving after Enter is the same edit
    assert commits == [0.01]
    cap = make(qtbot, DATASETS["csv_text"].option("max_vocab"), None, commits)
    assert cap.widget.placeholderText() == "none" and cap.widget.text() == ""
    type_and_finish(qtbot, cap.widget, "500")
    type_and_finish(qtbot, cap.widget, "")
    assert commits[-2:] == [500, None]


def test_choices_checks_and_multi_checks_commit_user_clicks(qtbot, commits):
    optimizer = make(qtbot, training_param("optimizer"), "adam", commits)
    optimizer.widget.setCurrentIndex(0)
    optimizer.widget.activated.emit(0)
    assert commits == ["sgd"]
    bf16 = make(qtbot, training_param("bf16"), False, commits)
    bf16.widget.click()  # as a user's click: toggles and emits clicked
    assert commits == ["sgd", True]
    probes = make(qtbot, training_param("probes"), ["gates"], commits)
    probes.widget.boxes["attention"].click()
    assert commits[-1] == ["gates", "attention"]
    editor = make(qtbot, training_param("probes"), ["gates"], commits)
    editor.set_value(["attention"])  # shown, not committed
    assert commits[-1] == ["gates", "attention"] and editor.widget.boxes["attention"].isChecked()


def test_column_lists_take_suggestions_and_keep_old_text_values(qtbot, commits):
    columns = make(qtbot, DATASETS["csv_series"].option("columns"), "x,y", commits)
    assert columns.widget.line.text() == "x,y"
    columns.set_suggestions(["date", "x", "y"])
    assert {k: b.isChecked() for k, b in columns.widget.boxes.items()} == {"date": False, "x": True, "y": True}
    columns.widget.boxes["x"].click()
    assert commits == [["y"]]


def test_param_form_follows_when_and_emits_one_commit_per_edit(qtbot):
    form = ParamForm(TRAINING_PARAMS, TrainingConfig().to_dict())
    qtbot.addWidget(form)
    form.show()
    emitted = []
    form.committed.connect(lambda name, value: emitted.append((name, value)))
    assert not form.is_active("momentum") and not form.rows["momentum"].isEnabled()
    assert not form.rows["step_size"].isEnabled() and form.rows["clip_value"].isEnabled()
    form.set_values({"optimizer": "sgd", "schedule": "step"})  # no signal, rows follow
    assert emitted == [] and form.rows["momentum"].isEnabled() and form.rows["step_size"].isEnabled()
    combo = form.editor("clip").widget
    combo.setCurrentIndex(combo.findText("none"))
    combo.activated.emit(combo.currentIndex())
    assert emitted == [("clip", "none")] and not form.rows["clip_value"].isEnabled()
    assert form.values()["clip"] == "none"
    TrainingConfig.from_dict(form.values())  # what the form holds, the trainer accepts


def test_param_form_can_hide_inactive_rows_and_rebuild_for_another_dataset(qtbot):
    form = ParamForm(TRAINING_PARAMS, {"optimizer": "adam"}, hide_inactive=True)
    qtbot.addWidget(form)
    form.show()
    assert not form.rows["momentum"].isVisible() and form.rows["lr"].isVisible()
    form.set_params(DATASETS["adding"].options, {"samples": 10 ** 7})
    assert list(form.editors) == ["length", "samples"]
    assert form.problems() == {"samples": "must be at most 1000000"}
    assert form.values() == {"length": 50, "samples": 10 ** 7}


def test_every_param_of_every_schema_builds_an_editor_showing_its_default(qtbot, commits):
    params = list(TRAINING_PARAMS) + [o for s in DATASETS.values() for o in s.options] + [
        p for s in CATALOG.values() for p in s.params] + [p for p in DATA_PARAMS if p.name != "dataset"]
    for param in params:
        editor = make(qtbot, param, param.default, commits)
        assert editor.problem is None and editor.stack.currentWidget() is editor.widget, param.name
    assert commits == []


def test_a_nullable_choice_offers_none(qtbot, commits):
    param = Param("scaler", str, None, "scaler", choices=("standard", "minmax"), nullable=True)
    editor = make(qtbot, param, None, commits)
    assert editor.widget.currentText() == "none"
    editor.widget.setCurrentIndex(0)
    editor.widget.activated.emit(0)
    assert commits == ["standard"]


def test_a_column_option_offers_the_file_columns_and_keeps_the_stored_one(qtbot, commits):
    editor = make(qtbot, DATASETS["csv_text"].option("text_column"), "review", commits)
    assert editor.widget.isEditable() and editor.widget.currentText() == "review"
    editor.set_suggestions(["id", "review", "stars"])
    assert editor.widget.currentText() == "review" and commits == []
    editor.widget.setCurrentIndex(2)
    editor.widget.activated.emit(2)
    assert commits == ["stars"]


def test_the_split_is_typed_as_three_fractions(qtbot, commits):
    split = make(qtbot, DATA_PARAMS[2], [0.8, 0.1, 0.1], commits)
    assert split.widget.line.text() == "0.8,0.1,0.1"
    type_and_finish(qtbot, split.widget.line, "0.6,0.2")
    assert commits == [] and "must hold 3 values" in split.toolTip()
    type_and_finish(qtbot, split.widget.line, "0.5,0.5,0.5")
    assert commits == [] and "must add up to 1" in split.toolTip()
    type_and_finish(qtbot, split.widget.line, "0.6, 0.2, 0.2")
    assert commits == [[0.6, 0.2, 0.2]]


def test_a_form_fits_a_narrow_dock_wrapping_rather_than_cutting_its_help(qtbot):
    # 1280x720 gives the Inspector about 200 px: every row and its help caption must fit in that width.
    spec = CATALOG["bidirectional"]
    form = ParamForm(spec.params, {p.name: p.default for p in spec.params})
    qtbot.addWidget(form)
    assert form.minimumSizeHint().width() <= 190


def test_retyping_the_stored_value_after_a_refusal_clears_the_mark_and_the_message(qtbot):
    """Learning rate 0 was refused; typing the stored 0.003 back left the field red and the message shown until
    another setting was edited."""
    from gui.training.settings_panel import TrainingPanel

    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.show()
    lr = panel.editors["lr"]
    stored = format_value(lr.value())
    type_and_finish(qtbot, lr.stack.currentWidget(), "0")
    assert lr.styleSheet() == INVALID_STYLE and panel.message.text().startswith("training.lr: must be greater")
    type_and_finish(qtbot, lr.stack.currentWidget(), stored)
    assert lr.styleSheet() == "" and panel.message.text() == "" and lr.problem is None


def test_the_tooltip_says_what_the_setting_takes(qtbot, commits):
    """Typing 99999 into Hidden size stopped at four digits, and nothing said the maximum is 8192."""
    import html

    hidden = make(qtbot, CATALOG["lstm"].param("hidden_size"), 64, commits)
    tip = html.unescape(hidden.toolTip())
    assert "Number of units in the hidden state." in tip and "a whole number (>= 1, <= 8192); default 128" in tip


def test_a_form_rebuilt_from_its_own_editors_commit_deletes_that_editor_only_later(qtbot):
    """set_params from a committed editor's slot deleted the editor in the middle of its own event."""
    import shiboken6
    from PySide6.QtCore import QCoreApplication, QEvent

    form = ParamForm([training_param("epochs")], {"epochs": 10})
    qtbot.addWidget(form)
    old = form.editors["epochs"]
    survived = []
    form.committed.connect(lambda *_: (form.set_params([training_param("batch_size")]),
                                       survived.append(shiboken6.isValid(old))))
    old.widget.setValue(11)
    assert survived == [True] and list(form.editors) == ["batch_size"]
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(old)
