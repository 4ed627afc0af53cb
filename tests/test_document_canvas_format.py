"""Format 3: comments, frames (the "canvas" section) and reroute points on edges are saved, read strictly, and
ignored by everything that builds the model; older formats load unchanged and an older studio refuses format 3."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import engine.document as document_module
from engine import analyze
from engine.annotations import MAX_POINTS, MAX_TEXT, Comment, Frame
from engine.compiler import compile_graph
from engine.document import FORMAT_VERSION, DocumentError, loads
from engine.export.python_code import readable_source

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
NAMES = (EXAMPLES / "names.json").read_text(encoding="utf-8")
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def annotated():
    doc = loads(NAMES)
    notes = doc.graph.annotations
    notes.add(Comment("c1", "Embeds the characters\nthen one GRU", (10, -80), 260))
    notes.add(Frame("f1", "Encoder", (-20, -40, 600, 300), "blue"))
    edge = doc.graph.edges[0]
    notes.set_points(edge, [(120, 40), (180.5, 90)])
    return doc, edge


def test_comments_frames_and_points_round_trip_byte_for_byte():
    doc, edge = annotated()
    text = doc.dumps()
    data = json.loads(text)
    assert data["version"] == 3 == FORMAT_VERSION
    assert data["canvas"] == {
        "comments": [{"id": "c1", "text": "Embeds the characters\nthen one GRU", "pos": [10.0, -80.0],
                      "width": 260.0}],
        "frames": [{"id": "f1", "title": "Encoder", "rect": [-20.0, -40.0, 600.0, 300.0], "color": "blue"}]}
    assert data["graph"]["edges"][0]["points"] == [[120.0, 40.0], [180.5, 90.0]]
    assert all("points" not in e for e in data["graph"]["edges"][1:])
    again = loads(text)
    assert list(again.graph.annotations.notes.values()) == list(doc.graph.annotations.notes.values())
    assert again.graph.annotations.points(edge) == ((120.0, 40.0), (180.5, 90.0))
    assert again.dumps() == text


def test_an_older_document_loads_unchanged_and_is_written_as_format_3_only_while_it_has_annotations():
    doc = loads(NAMES)
    assert json.loads(NAMES)["version"] == 1 and doc.dumps() == NAMES
    doc.graph.annotations.add(Comment("c1", "note", (0, 0)))
    assert json.loads(doc.dumps())["version"] == 3
    doc.graph.annotations.remove("c1")
    assert doc.dumps() == NAMES  # back to format 1: an older studio reads it again
    edge = doc.graph.edges[0]
    doc.graph.annotations.set_points(edge, [(1, 2)])
    assert json.loads(doc.dumps())["version"] == 3 and "canvas" not in json.loads(doc.dumps())
    doc.graph.disconnect(edge)  # the points of a wire that is gone are not saved
    assert json.loads(doc.dumps())["version"] == 1
    doc.experiment = {"variables": []}
    doc.graph.annotations.add(Comment("c2", "note", (0, 0)))
    assert json.loads(doc.dumps())["version"] == 3


@pytest.mark.parametrize("version", [1, 2])
def test_canvas_keys_in_an_older_format_were_not_part_of_it(version):
    data = json.loads(NAMES)
    data["version"] = version
    data["canvas"] = {"comments": [{"id": "c1", "text": "x", "pos": [0, 0], "width": 100}]}
    data["graph"]["edges"][0]["points"] = [[1, 2]]
    doc = loads(json.dumps(data))
    assert not doc.graph.annotations.notes and doc.graph.annotations.points(doc.graph.edges[0]) == ()


def test_a_newer_file_is_refused_and_an_older_studio_refuses_format_3(monkeypatch):
    data = json.loads(annotated()[0].dumps())
    data["version"] = 4
    with pytest.raises(DocumentError) as err:
        loads(json.dumps(data), "new.json")
    assert str(err.value) == ("new.json: $.version: the file uses format 4, written by a newer RNN Studio; "
                              "this one reads up to format 3: please update")
    monkeypatch.setattr(document_module, "FORMAT_VERSION", 2)  # the studio before this format
    with pytest.raises(DocumentError, match=r"uses format 3, written by a newer RNN Studio; this one reads up to "
                                            r"format 2: please update"):
        loads(annotated()[0].dumps(), "a.json")


def test_the_engine_ignores_annotations_entirely():
    plain = loads(NAMES)
    doc, _ = annotated()
    for edge in doc.graph.edges:  # points on every wire
        doc.graph.annotations.set_points(edge, [(5, 5), (9, 9)])
    assert analyze(doc.graph).shapes == analyze(plain.graph).shapes
    torch.manual_seed(0)
    a = compile_graph(plain.graph)
    torch.manual_seed(0)
    b = compile_graph(doc.graph)
    assert a.module.code == b.module.code
    assert readable_source(a) == readable_source(b)
    sa, sb = a.module.state_dict(), b.module.state_dict()
    assert list(sa) == list(sb) and all(torch.equal(sa[k], sb[k]) for k in sa)
    snapshot = doc.graph.copy()  # what a run snapshots keeps them, without listeners
    assert snapshot.annotations.notes == doc.graph.annotations.notes


def with_canvas(canvas=None, points=None, index=0):
    data = json.loads(NAMES)
    data["version"] = 3
    if canvas is not None:
        data["canvas"] = canvas
    if points is not None:
        data["graph"]["edges"][index]["points"] = points
    return json.dumps(data)


COMMENT = {"id": "c1", "text": "x", "pos": [0, 0], "width": 100}
FRAME = {"id": "f1", "title": "t", "rect": [0, 0, 100, 100], "color": "red"}


@pytest.mark.parametrize("canvas, points, path, message", [
    ([], None, "$.canvas", "must be an object"),
    ({"notes": []}, None, "$.canvas", "has no section 'notes' (it holds comments and frames)"),
    ({"comments": {}}, None, "$.canvas.comments", "must be a list"),
    ({"comments": [dict(COMMENT, pos=[0, 2e9])]}, None, "$.canvas.comments[0].pos[1]",
     "is 2e+09, too far from the canvas: positions lie between -1e+09 and 1e+09"),
    ({"comments": [dict(COMMENT, text="x" * (MAX_TEXT + 1))]}, None, "$.canvas.comments[0].text",
     "is 20,001 characters long: at most 20,000"),
    ({"comments": [dict(COMMENT, width=True)]}, None, "$.canvas.comments[0].width", "must be a number"),
    ({"comments": [dict(COMMENT, width=5)]}, None, "$.canvas.comments[0].width",
     "is 5: a comment is 40 to 1e+06 wide"),
    ({"comments": [{k: v for k, v in COMMENT.items() if k != "text"}]}, None, "$.canvas.comments[0].text",
     "is missing"),
    ({"comments": [dict(COMMENT, html="<img>")]}, None, "$.canvas.comments[0]",
     "a comment has no field 'html' (its fields: id, pos, text, width)"),
    ({"comments": [COMMENT], "frames": [dict(FRAME, id="c1")]}, None, "$.canvas.frames[0].id",
     "the id 'c1' is used twice"),
    ({"frames": [dict(FRAME, color="#ff0000")]}, None, "$.canvas.frames[0].color",
     "'#ff0000' is no frame colour (colours: grey, blue, green, yellow, orange, red, purple)"),
    ({"frames": [dict(FRAME, rect=[0, 0, 100])]}, None, "$.canvas.frames[0].rect",
     "must be four numbers [x, y, width, height]"),
    ({"frames": [dict(FRAME, rect=[0, 0, 100, 1e7])]}, None, "$.canvas.frames[0].rect[3]",
     "is 1e+07: a frame's height lies between 40 and 1e+06"),
    ({"frames": [dict(FRAME, title="a\nb")]}, None, "$.canvas.frames[0].title", "must be one line"),
    ({"frames": [dict(FRAME, id="")]}, None, "$.canvas.frames[0].id", "must be text of 1 to 64 characters"),
    (None, {"x": 1}, "$.graph.edges[0].points", "must be a list of [x, y] positions"),
    (None, [[1, 2], [3]], "$.graph.edges[0].points[1]", "must be two numbers [x, y]"),
    (None, [["1", 2]], "$.graph.edges[0].points[0][0]", "must be a number"),
    (None, [[0, 0]] * (MAX_POINTS + 1), "$.graph.edges[0].points", "has 65 points: a wire holds at most 64"),
])
def test_malformed_annotations_are_refused_naming_the_place(canvas, points, path, message):
    with pytest.raises(DocumentError) as err:
        loads(with_canvas(canvas, points), "a.json")
    assert (err.value.json_path, err.value.message) == (path, message)
    assert "\n" not in str(err.value)


JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False)
                    | st.text(max_size=8), lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=4), max_leaves=12)
FIELD_VALUES = JSON | st.sampled_from([[0, 0], [1e10, 0], [0, 0, 50, 50], "blue", "", 40, 1e6, 39.9, -1])


@st.composite
def canvas_sections(draw):
    """Valid entries with one field replaced, dropped or added, or an arbitrary value."""
    if draw(st.booleans()):
        return draw(JSON)
    section = {"comments": [dict(COMMENT)], "frames": [dict(FRAME)]}
    entry = draw(st.sampled_from(section["comments"] + section["frames"]))
    key = draw(st.sampled_from([*entry, "extra"]))
    if draw(st.booleans()):
        entry.pop(key, None)
    else:
        entry[key] = draw(FIELD_VALUES)
    return section


@FAST
@given(canvas=canvas_sections(), points=st.none() | JSON)
def test_fuzzed_canvas_sections_load_or_are_refused_with_a_path(canvas, points):
    try:
        doc = loads(with_canvas(canvas, points), "a.json")
    except DocumentError as err:
        assert err.json_path.startswith(("$.canvas", "$.graph.edges[0].points")), err
        assert "\n" not in str(err) and "Traceback" not in str(err)
        return
    text = doc.dumps()
    assert loads(text).dumps() == text  # whatever loads saves and reloads to the same bytes
