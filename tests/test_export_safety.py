"""Nothing a document holds becomes code in an export: hostile file names, descriptions, labels, vocabulary tokens
and dataset options export to files that import cleanly and run nothing; block names that clash with the generated
code's own names export correctly; names that cannot be code are refused before anything is compiled."""
import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import compile_graph
from engine.document import Document, load_document, save_document
from engine.export import ExportError, export_model
from engine.export.common import build_metadata, load_weights, sample_batches
from engine.export.names import docstring_literal
from engine.export.python_code import model_source
from engine.graph import Graph
from test_export_formats import data_meta_for, make_run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
PAYLOAD = '__import__("os").system("touch PWNED")'
HOSTILE = [  # document file names (without .json)
    f'x""";{PAYLOAD}#',
    f"x''';{PAYLOAD}# back\\slash \\N{{BULLET}} \\u0041 \\x",
    f'line\nbreak""";\n{PAYLOAD}\n#',
    f'separator\u2028""";{PAYLOAD}#\u2029\x85',
    f'lone surrogate \udcff""";{PAYLOAD}#',
]
DESCRIPTION = f'"""\n{PAYLOAD}\n\'\'\'\\N{{BULLET}}\x00\u2028 ends with a backslash \\'
# Top-level statements a safe generated file may have: its docstring, imports, definitions and the WEIGHTS path.
SAFE_TOP_LEVEL = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)

FRESH_PYTHON = r"""
import importlib.util, json, sys
import torch
paths = json.load(open(sys.argv[1], encoding="utf-8"))
batches = torch.load(sys.argv[2])
result = []
for index, item in enumerate(paths):
    spec = importlib.util.spec_from_file_location(f"hostile_{index}", item["python"])
    generated = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generated)
    model = generated.load_model()
    scripted, extra = model, {"rnn_studio.json": "null"}
    if item["torchscript"]:
        with open(item["torchscript"], "rb") as handle:  # torch's own path handling wants UTF-8 paths
            scripted = torch.jit.load(handle, _extra_files=extra)
    with torch.no_grad():
        outs = [(model(*b), scripted(*b)) for b in batches]
    torch.save(outs, item["outputs"])
    result.append({"doc": generated.__doc__, "metadata": model.metadata,
                   "torchscript_metadata": json.loads(extra["rnn_studio.json"])})
print(json.dumps({"engine": any(m == "engine" or m.startswith("engine.") for m in sys.modules), "files": result}))
"""


def hostile_meta(doc) -> dict:
    meta = data_meta_for(doc)
    meta["vocab"]["chars"][2:6] = [PAYLOAD, '"""' + PAYLOAD, "\x00\u2028\udcff", "'''\\N{BULLET}"]
    meta["labels"]["language"][:3] = [f'"""{PAYLOAD}#', "\udcff", "\\"]
    meta["options"] = {PAYLOAD: f'""";{PAYLOAD}#', "path": "x\u2028y"}
    meta["tokenization"] = {"chars": {"tokenizer": "char", "lowercase": False, "max_length": None}}
    return meta


def test_hostile_names_and_texts_export_to_files_that_run_nothing_in_a_fresh_python(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # where a relative "touch PWNED" would land, here and in the fresh Python
    data = json.loads((EXAMPLES / "names.json").read_text())
    data["description"] = DESCRIPTION
    items = []
    for index, stem in enumerate(HOSTILE):
        folder = tmp_path / f"doc{index}"
        folder.mkdir()
        doc_path = folder / f"{stem}.json"
        doc_path.write_text(json.dumps(data), encoding="utf-8")
        run = make_run(doc_path)
        meta = hostile_meta(load_document(doc_path))
        (run / "data_meta.json").write_text(json.dumps(meta), encoding="utf-8")
        # The file name reaches the code of the .py only; TorchScript gets the texts as data (and the last name is
        # not valid UTF-8, which torch's own path handling refuses).
        formats = ("python", "torchscript") if index in (0, len(HOSTILE) - 1) else ("python",)
        reports = {fmt: export_model(load_document(doc_path), None, fmt) for fmt in formats}
        for report in reports.values():
            assert report.ok, report.summary()
        py = reports["python"].path
        assert py == folder / f"{stem}.py" and (folder / f"{stem}_weights.pt").is_file()
        tree = ast.parse(py.read_text(encoding="utf-8"))
        body = tree.body[1:]
        assert isinstance(tree.body[0], ast.Expr) and isinstance(tree.body[0].value, ast.Constant)
        assert all(isinstance(node, SAFE_TOP_LEVEL) or (isinstance(node, ast.Assign) and
                   [t.id for t in node.targets] == ["WEIGHTS"]) for node in body)
        items.append({"python": str(py), "torchscript": str(reports["torchscript"].path) if "torchscript" in reports else None,
                      "outputs": str(tmp_path / f"outputs{index}.pt"), "stem": stem, "meta": meta})
    model = compile_graph(load_document(tmp_path / "doc0" / f"{HOSTILE[0]}.json").graph)
    batches = sample_batches(model, seed=5)
    torch.save(batches, tmp_path / "inputs.pt")
    # The fresh Python gets the paths as data (a JSON file), never as code.
    (tmp_path / "paths.json").write_text(json.dumps([{k: i[k] for k in ("python", "torchscript", "outputs")}
                                                     for i in items]), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", FRESH_PYTHON, str(tmp_path / "paths.json"), str(tmp_path / "inputs.pt")],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["engine"] is False
    assert not list(tmp_path.rglob("PWNED")) and not Path("PWNED").exists()
    for index, (item, got) in enumerate(zip(items, result["files"])):
        assert got["doc"].startswith(DESCRIPTION.strip() + "\n\nGenerated by RNN Studio ")
        assert f" from {item['stem']}.json. Needs only PyTorch" in got["doc"]
        assert " import load_model   # once this file is renamed " in got["doc"]  # the stem is no module name
        assert (got["torchscript_metadata"] is None) == (item["torchscript"] is None)
        for metadata in filter(None, (got["metadata"], got["torchscript_metadata"])):
            assert metadata["description"] == DESCRIPTION and metadata["data"] == item["meta"]
            assert metadata["labels"] == item["meta"]["labels"] and metadata["vocab"] == item["meta"]["vocab"]
        load_weights(model, next((tmp_path / f"doc{index}" / "runs").glob("*/*/checkpoints/best.safetensors")))
        with torch.no_grad():
            for args, (from_python, from_script) in zip(batches, torch.load(item["outputs"])):
                want = model.module(*args)
                assert torch.equal(from_python, want) and torch.allclose(from_script, want, atol=1e-6, rtol=0)


def clashing_graph() -> Graph:
    """Blocks named after what the generated file defines or imports: metadata, nn, F, json, Tensor, ..."""
    g = Graph()
    chain = [g.add_node("feature_input", "F", {"features": 2}),
             g.add_node("conv1d", "nn", {"filters": 4, "kernel_size": 3}),
             g.add_node("layer_norm", "GRUBlock"), g.add_node("dropout", "Path"),
             g.add_node("lstm", "json", {"hidden_size": 4}),
             g.add_node("dense", "metadata", {"units": 3, "activation": "tanh"}),
             g.add_node("pooling", "Tensor", {"mode": "mean"}),
             g.add_node("dense", "load_model", {"units": 1, "activation": "none"}),
             g.add_node("regression_head", "WEIGHTS")]
    for a, b in zip(chain, chain[1:]):
        g.connect(a.id, a.spec.outputs[0].name, b.id, b.spec.inputs[0].name)
    return g


# .pt2 (and ONNX, converted from it) export the same fx module as TorchScript; a .pt2 run takes seconds, so it is
# left to the slow run (RNN_STUDIO_SLOW_TESTS=1).
@pytest.mark.parametrize("fmt", ["python", "torchscript", "pt2"])
def test_blocks_named_like_the_generated_codes_own_names_export_correctly(tmp_path, fmt):
    if fmt == "pt2" and os.environ.get("RNN_STUDIO_SLOW_TESTS") != "1":
        pytest.skip("the .pt2 export of this graph runs with RNN_STUDIO_SLOW_TESTS=1")
    path = tmp_path / "clash.json"
    save_document(Document(clashing_graph(), "names that clash"), path)
    make_run(path)
    suffix = {"python": ".py", "torchscript": ".pt", "pt2": ".pt2"}[fmt]
    report = export_model(load_document(path), None, fmt, tmp_path / f"clash{suffix}")
    assert report.ok and report.max_abs_diff <= 1e-6, report.summary()
    if fmt != "python":
        return
    from engine.export.python_code import import_file

    generated = import_file(report.path)
    model = generated.load_model()
    assert isinstance(model.metadata, dict) and model.metadata["forward"] == ["F", "F_lengths"]
    assert type(model.metadata_block).__name__ == "Dense" and type(model.json).__name__ == "LSTMBlock"
    assert "metadata_block.linear.weight" in model.state_dict() and "nn.conv.weight" in model.state_dict()
    source = report.path.read_text()
    assert "self.metadata_block = Dense(4, 3, 'tanh')  # the block 'metadata'" in source
    assert "\nThe block 'metadata' is the attribute ``metadata_block`` here.\n" in generated.__doc__


PLAIN = "only letters, digits and _ (not starting with a digit) can name a block in exported code"
REFUSED = {
    "x=__import__('os').system('touch PWNED')": PLAIN,
    'a")or getattr(__import__("os"),"system")("touch PWNED")or getattr(self,"b': PLAIN,
    "rnn\n": PLAIN,
    "naïve": PLAIN,
    "self": "'self' is a word of Python or of the generated code",
    "torch": "'torch' is a word of Python or of the generated code",
    "for": "'for' is a word of Python or of the generated code",
    "training": "'training' is an attribute every PyTorch module has",
}


def _adding_with_name(node_index: int, name: str) -> Document:
    doc = load_document(EXAMPLES / "adding_rnn.json")
    list(doc.graph.nodes.values())[node_index].name = name  # past the graph's own checks: a hand-made graph
    return doc


@pytest.mark.parametrize("name", list(REFUSED), ids=range(len(REFUSED)))
def test_names_that_cannot_be_code_are_refused_before_compiling(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    for index in (0, 1):  # the input (a forward argument) and the recurrent block (an attribute)
        doc = _adding_with_name(index, name)
        with pytest.raises(ExportError) as caught:
            export_model(doc, tmp_path / "never-read.safetensors", "python", tmp_path / "m.py")
        assert str(caught.value) == (f"these block names cannot be exported; rename the blocks:\n- block {name!r} "
                                     f"(id 'n{index + 1}'): {REFUSED[name]}")
    assert list(tmp_path.iterdir()) == []


def test_two_blocks_with_one_name_are_refused(tmp_path):
    doc = _adding_with_name(1, "dense")
    with pytest.raises(ExportError, match=r"- block 'dense' \(id 'n\d+'\): another block has the same name"):
        export_model(doc, tmp_path / "w.safetensors", "torchscript", tmp_path / "m.pt")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(exclude_categories=()), max_size=12))
def test_any_name_is_exported_as_itself_or_refused_with_an_export_error(tmp_path, name):
    doc = _adding_with_name(1, name)
    try:
        export_model(doc, tmp_path / "missing.safetensors", "python", tmp_path / "m.py")
    except ExportError as err:  # refused (a bad name), or the name passed and the missing checkpoint is the problem
        assert str(err).startswith(("these block names cannot be exported", f"{tmp_path / 'missing.safetensors'}"))
    assert not (tmp_path / "PWNED").exists() and not (tmp_path / "m.py").exists()


@settings(max_examples=200, deadline=None)
@given(st.text(st.characters(exclude_categories=())))
def test_docstring_literal_is_one_string_literal_whose_value_is_the_text(text):
    literal = docstring_literal(text)
    literal.encode("utf-8")  # writable as UTF-8 even with lone surrogates
    (statement,) = ast.parse(literal).body
    assert isinstance(statement, ast.Expr) and statement.value.value == text


@pytest.fixture(scope="module")
def adding_model():
    return compile_graph(load_document(EXAMPLES / "adding_rnn.json").graph)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=st.text(st.characters(exclude_categories=()), max_size=40),
       source=st.text(st.characters(exclude_categories=()), max_size=20))
def test_any_description_and_file_name_stay_text_in_the_python_source(adding_model, description, source):
    metadata = build_metadata(adding_model, {}, 1, "0.test", description)
    text = model_source(adding_model, metadata, "m_weights.pt", source)
    tree = ast.parse(text)
    assert ast.get_docstring(tree, clean=False).startswith(
        (description.strip() or "A recurrent model designed in RNN Studio.") + "\n\nGenerated by RNN Studio 0.test from ")
    assert all(isinstance(node, SAFE_TOP_LEVEL) or isinstance(node, ast.Assign) for node in tree.body[1:])
