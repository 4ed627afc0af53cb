"""The Data dock shows whatever a document's data section holds and changes only what the user edits: a seed it
cannot hold in a spin box, a split of two shares, text where numbers belong, a list of options. Opening such a
document raised (int("abc"), a 2**40 seed overflowing a QSpinBox), a seed of 5,000,000 showed as 1,000,000 and
the next edit of the split saved that, and any edit dropped ``bucketing: false``."""
import copy
import html
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.document import loads
from gui.forms import INVALID_STYLE
from gui.training.data_panel import DataPanel

BASE = json.loads((Path(__file__).resolve().parent.parent / "examples" / "adding_lstm.json").read_text())


def document(**data):
    doc = copy.deepcopy(BASE)
    doc["data"].update(data)
    return loads(json.dumps(doc))


@pytest.fixture
def panel(qtbot):
    panel = DataPanel()  # no undo stack: an edit applies to the document at once
    qtbot.addWidget(panel)
    yield panel
    panel.background.close()  # the data check an edit started: a running thread must not be destroyed


def shown_seed(panel):
    editor = panel.settings_form.editors["seed"]
    return editor.stack.currentWidget(), editor.problem


@pytest.mark.parametrize("seed", [5_000_000, 2 ** 40])
def test_a_seed_past_the_spin_box_is_shown_and_kept(panel, seed):
    doc = document(seed=seed)
    panel.set_document(doc)
    widget, problem = shown_seed(panel)
    assert problem is None and widget.text() == str(seed)
    assert panel.commit(split=[0.7, 0.2, 0.1])
    assert doc.data["seed"] == seed and doc.data["split"] == [0.7, 0.2, 0.1]


@pytest.mark.parametrize("seed, why", [("abc", "must be a whole number"), (-1, "must be at least 0"),
                                       (1.5, "must be a whole number")])
def test_a_seed_the_data_refuses_is_shown_invalid_and_kept_until_replaced(panel, seed, why):
    doc = document(seed=seed)
    panel.set_document(doc)
    widget, problem = shown_seed(panel)
    assert problem == why and widget.text() == str(seed)
    assert INVALID_STYLE in panel.settings_form.editors["seed"].styleSheet() + widget.styleSheet()
    assert panel.commit(split=[0.7, 0.2, 0.1])
    assert doc.data["seed"] == seed  # not made up
    assert panel.commit(seed=3) and doc.data["seed"] == 3


@pytest.mark.parametrize("split", [["a", 0.1, 0.1], [0.8, 0.1], 5, [0.5, 0.1, 0.1]])
def test_a_split_the_boxes_cannot_show_is_marked_and_kept(panel, split):
    doc = document(split=split)
    panel.set_document(doc)
    assert all(box.styleSheet() == INVALID_STYLE for box in panel.split)
    assert "the document's split" in html.unescape(panel.split[0].toolTip())
    assert panel.commit(seed=4)
    assert doc.data["split"] == split and doc.data["seed"] == 4


def test_bucketing_and_options_unknown_to_the_form_survive_an_edit(panel):
    doc = document(bucketing=False, options={"length": 10, "samples": 200, "bogus": 3})
    panel.set_document(doc)
    assert panel.settings_form.editors["bucketing"].widget.isChecked() is False
    assert panel.commit(seed=7)
    assert doc.data["bucketing"] is False and doc.data["options"]["bogus"] == 3
    panel.options_form.editors["length"].widget.setValue(12)  # an option edit keeps the others too
    assert doc.data["options"] == {"length": 12, "samples": 200, "bogus": 3}
    assert doc.data["bucketing"] is False and doc.data["seed"] == 7


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                max_size=3), max_leaves=6)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["seed", "split", "bucketing", "options", "dataset", "inputs"]), value=JSON)
def test_any_value_of_the_data_section_opens_and_an_edit_changes_that_key_alone(panel, key, value):
    try:
        doc = document(**{key: value})
    except Exception:  # noqa: BLE001 - the document reader refuses it with its own message (tested elsewhere)
        return
    before = copy.deepcopy(doc.data)
    panel.set_document(doc)  # must not raise
    if panel.commit(seed=11):
        assert {k: v for k, v in doc.data.items() if k != "seed"} == \
            {k: v for k, v in before.items() if k != "seed"}


def test_a_refused_split_stays_marked_until_the_shares_add_up(panel):
    """Train 0.99 was refused ("must add up to 1"), then a data check that ended said "the data fits the graph"
    under shares of 0.99/0.10/0.10 that the document did not have."""
    doc = document()
    panel.set_document(doc)
    panel.split[0].setValue(0.99)
    assert panel.status.text().startswith("the split must add up to 1, not 1.19; the document keeps [0.8, 0.1, 0.1]")
    assert all(box.styleSheet() == INVALID_STYLE for box in panel.split) and doc.data["split"] == [0.8, 0.1, 0.1]
    panel._on_fit([])  # the data check of the stored binding ends
    panel._show_status("the data fits the graph")
    assert panel.status.text().startswith("the split must add up to 1")
    panel.split[1].setValue(0.0)
    panel.split[2].setValue(0.01)
    assert doc.data["split"] == [0.99, 0.0, 0.01]
    assert all(box.styleSheet() == "" for box in panel.split) and not panel.status.text().startswith("the split")


def test_enter_in_an_option_keeps_its_editor_and_the_focus(panel, qtbot):
    """Each committed option rebuilt the whole options form from the commit's own slot: the spin box the user had
    pressed Enter in was deleted during its key event (a crash under a fuzzer) and the focus was lost."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QUndoStack

    panel.undo_stack = QUndoStack(panel)
    doc = document()
    panel.set_document(doc)
    panel.show()
    editor = panel.options_form.editors["length"]
    line = editor.widget.lineEdit()
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    line.selectAll()
    qtbot.keyClicks(line, "30")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    assert doc.data["options"]["length"] == 30
    assert panel.options_form.editors["length"] is editor and line.hasFocus()
    panel.undo_stack.undo()  # another value from the document: shown in the same editor
    assert doc.data["options"]["length"] == 50 and editor.widget.value() == 50
