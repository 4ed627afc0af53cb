"""Every example exports to every format and the reloaded file matches the studio model; the TorchScript and
Python files work in a fresh Python that imports only torch, and carry the vocabulary, labels and scaling."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from engine import compile_graph
from engine.document import FORMAT_VERSION, load_document
from engine.export import export_model
from engine.export.common import sample_batches
from engine.export.onnx import missing_packages

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ALL_EXAMPLES = sorted(p.stem for p in EXAMPLES.glob("*.json"))
# torch.export and ONNX take seconds of CPU per model: by default they run on the examples that, with the graph of
# the other blocks at the end of this file, hold every recurrent variant (RNN, GRU, LSTM; bidirectional; stacked; a
# decoder started from the encoder's state; two inputs; attention), ONNX on the richest (it converts the same
# torch.export program). RNN_STUDIO_SLOW_TESTS=1 runs every example in every format.
SLOW_SUBSET = {"pt2": {"names", "seq2seq"}, "onnx": {"seq2seq"}}
EVERY = os.environ.get("RNN_STUDIO_SLOW_TESTS") == "1"
HAVE_ONNX = not missing_packages()
SUFFIX = {"torchscript": ".pt", "pt2": ".pt2", "onnx": ".onnx", "python": ".py"}


def data_meta_for(doc) -> dict:
    """A data_meta.json as the trainer writes it (engine.data.DataMeta.to_dict())."""
    model = compile_graph(doc.graph)
    vocab = {i.name: ["<pad>", "<unk>"] + [f"tok{n}" for n in range(2, i.vocab)] for i in model.inputs if i.vocab}
    labels = {h.name: [f"class_{k}" for k in range(h.input_shape.features or 1)] for h in model.heads
              if h.task == "classification"}
    features = {i.name: i.features for i in model.inputs if i.features}
    width = sum(features.values())
    scaler = {"kind": "standard", "offset": [0.5] * width, "scale": [2.0] * width} if features else None
    return {"dataset": "test", "task": model.heads[0].task, "options": {}, "inputs": {}, "targets": {},
            "vocab": vocab, "special_tokens": {n: {"<pad>": 0, "<unk>": 1} for n in vocab}, "labels": labels,
            "scaler": scaler, "feature_names": {}, "extra": {}}


def make_run(doc_path: Path, seed: int = 0) -> Path:
    """A run directory beside the document with perturbed weights (so a default-initialised model would differ)."""
    doc = load_document(doc_path)
    torch.manual_seed(seed)
    model = compile_graph(doc.graph)
    state = {k: (v + 0.05 * torch.randn_like(v)) if v.is_floating_point() else v
             for k, v in model.module.state_dict().items()}
    run = doc_path.parent / "runs" / doc_path.stem / f"20260101-00000{seed}"
    (run / "checkpoints").mkdir(parents=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(run / "checkpoints" / "best.safetensors"))
    (run / "data_meta.json").write_text(json.dumps(data_meta_for(doc)))
    return run


def wanted(example: str, fmt: str) -> bool:
    if fmt in ("torchscript", "python"):
        return True
    return EVERY or example in SLOW_SUBSET[fmt]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """Copies of the examples, each with one trained-looking run; exports are cached here per session."""
    root = tmp_path_factory.mktemp("export")
    for name in ALL_EXAMPLES:
        target = root / f"{name}.json"
        target.write_text((EXAMPLES / f"{name}.json").read_text())
        make_run(target)
    return {"root": root, "reports": {}}


def exported(workspace, example: str, fmt: str):
    key = (example, fmt)
    if key not in workspace["reports"]:
        doc = load_document(workspace["root"] / f"{example}.json")
        out = workspace["root"] / "out" / f"{example}{SUFFIX[fmt]}"
        workspace["reports"][key] = export_model(doc, None, fmt, out)  # default weights: the run's best
    return workspace["reports"][key]


CASES = [(e, f) for e in ALL_EXAMPLES for f in SUFFIX if wanted(e, f)]


@pytest.mark.parametrize("example,fmt", CASES, ids=[f"{e}-{f}" for e, f in CASES])
def test_every_example_exports_and_the_reloaded_file_matches(workspace, example, fmt):
    if fmt == "onnx" and not HAVE_ONNX:
        pytest.skip("the onnx extra is not installed (tests/test_export_errors.py checks the message)")
    report = exported(workspace, example, fmt)
    assert report.path.is_file() and report.path.stat().st_size > 0
    assert report.ok, report.summary()
    assert report.max_abs_diff is not None and report.max_abs_diff <= 1e-5
    assert report.warnings == []


def _studio_model(workspace, example):
    doc = load_document(workspace["root"] / f"{example}.json")
    model = compile_graph(doc.graph)
    from engine.export.common import load_weights
    load_weights(model, next((workspace["root"] / "runs" / example).glob("*/checkpoints/best.safetensors")))
    return model


def test_torchscript_pt2_and_python_files_run_in_a_fresh_python_with_torch_only(workspace, tmp_path):
    ts = exported(workspace, "seq2seq", "torchscript").path
    pt2 = exported(workspace, "seq2seq", "pt2").path
    py = exported(workspace, "seq2seq", "python").path
    model = _studio_model(workspace, "seq2seq")
    batches = sample_batches(model, seed=7)
    torch.save(batches, tmp_path / "inputs.pt")
    script = f"""
import importlib.util, json, sys, torch
batches = torch.load({str(tmp_path / 'inputs.pt')!r})
extra = {{"rnn_studio.json": ""}}
scripted = torch.jit.load({str(ts)!r}, _extra_files=extra)
spec = importlib.util.spec_from_file_location("seq2seq_model", {str(py)!r})
generated = importlib.util.module_from_spec(spec); spec.loader.exec_module(generated)
model = generated.load_model()
program = torch.export.load({str(pt2)!r}).module()
with torch.no_grad():
    outs = [(scripted(*b), model(*b), program(*b)) for b in batches]
torch.save(outs, {str(tmp_path / 'outputs.pt')!r})
print(json.dumps({{"engine_loaded": any(m == "engine" or m.startswith("engine.") for m in sys.modules),
                  "forward": json.loads(extra["rnn_studio.json"])["forward"],
                  "metadata_labels": model.metadata["labels"]}}))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["engine_loaded"] is False
    assert result["forward"] == ["source", "source_lengths", "target", "target_lengths"]
    outs = torch.load(tmp_path / "outputs.pt")
    with torch.no_grad():
        for args, (from_script, from_python, from_program) in zip(batches, outs):
            want = model.module(*args)
            assert torch.allclose(from_script, want, atol=1e-6, rtol=0)
            assert torch.equal(from_python, want)
            assert torch.allclose(from_program, want, atol=1e-5, rtol=0)


def test_torchscript_extra_file_carries_inputs_vocab_labels_and_versions(workspace):
    from engine import __version__
    from engine.export.torchscript import read_metadata

    names = read_metadata(exported(workspace, "names", "torchscript").path)
    meta = json.loads((next((workspace["root"] / "runs" / "names").glob("*")) / "data_meta.json").read_text())
    assert names["vocab"] == meta["vocab"] and names["vocab"]["chars"][:3] == ["<pad>", "<unk>", "tok2"]
    assert names["special_tokens"] == {"chars": {"<pad>": 0, "<unk>": 1}}
    assert names["labels"] == {"language": [f"class_{k}" for k in range(12)]}
    assert names["studio_version"] == __version__ and names["document_format_version"] == FORMAT_VERSION
    assert names["inputs"] == [{"name": "chars", "kind": "tokens", "shape": ["batch", "time"], "dtype": "int64",
                                "vocab_size": 128, "features": None, "lengths": "chars_lengths"}]
    assert names["outputs"][0]["name"] == "language" and names["outputs"][0]["shape"] == ["batch", 12]
    forecast = read_metadata(exported(workspace, "forecast", "torchscript").path)
    assert forecast["scaler"] == {"kind": "standard", "offset": [0.5], "scale": [2.0]}
    assert forecast["inputs"][0]["shape"] == ["batch", "time", 1]


def test_pt2_and_onnx_files_carry_the_same_metadata(workspace):
    from engine.export import pt2
    from engine.export.torchscript import read_metadata

    reference = read_metadata(exported(workspace, "seq2seq", "torchscript").path)
    assert reference["vocab"]["source"][:3] == ["<pad>", "<unk>", "tok2"] and reference["labels"] == {}
    assert pt2.read_metadata(exported(workspace, "seq2seq", "pt2").path) == reference
    if HAVE_ONNX:
        from engine.export import onnx as onnx_export
        path = exported(workspace, "seq2seq", "onnx").path
        assert onnx_export.read_metadata(path) == reference
        import onnxruntime
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        assert [(i.name, i.shape) for i in session.get_inputs()] == [
            ("source", ["batch", "time_source"]), ("source_lengths", ["batch"]),
            ("target", ["batch", "time_target"]), ("target_lengths", ["batch"])]
        assert [(o.name, o.shape) for o in session.get_outputs()] == [("output", ["batch", "time_target", 16])]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.load's own notice
@pytest.mark.parametrize("fmt", ["torchscript", "pt2", "onnx"])
def test_batch_size_and_length_are_dynamic_down_to_one_step(workspace, fmt):
    if fmt == "onnx" and not HAVE_ONNX:
        pytest.skip("the onnx extra is not installed")
    path = exported(workspace, "seq2seq", fmt).path
    model = _studio_model(workspace, "seq2seq")
    if fmt == "torchscript":
        run = torch.jit.load(str(path))
    elif fmt == "pt2":
        run = torch.export.load(str(path)).module()
    else:
        import onnxruntime
        session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        names = [i.name for i in session.get_inputs()]

        def run(*args):
            return torch.from_numpy(session.run(None, {n: a.numpy() for n, a in zip(names, args)})[0])
    gen = torch.Generator().manual_seed(3)
    for batch, source_steps, target_steps in ((1, 1, 1), (5, 23, 4)):
        src_len = torch.randint(1, source_steps + 1, (batch,), generator=gen)
        tgt_len = torch.randint(1, target_steps + 1, (batch,), generator=gen)
        src_len[0], tgt_len[0] = source_steps, target_steps  # the longest fills the padded width
        src = torch.randint(1, 16, (batch, source_steps), generator=gen) * (torch.arange(source_steps) < src_len[:, None])
        tgt = torch.randint(1, 16, (batch, target_steps), generator=gen) * (torch.arange(target_steps) < tgt_len[:, None])
        with torch.no_grad():
            want = model.module(src, src_len, tgt, tgt_len)
            got = run(src, src_len, tgt, tgt_len)
        assert got.shape == (batch, target_steps, 16)
        assert torch.allclose(got, want, atol=1e-5, rtol=0)


def every_other_block_graph():
    """The blocks the examples do not use: conv, norm, dropout, 2-layer bidirectional LSTM merged by sum,
    causal self-attention, a residual add, max pooling, a ReLU RNN and concat."""
    from engine.graph import Graph

    g = Graph()
    x = g.add_node("feature_input", "x", {"features": 3})
    chain = [g.add_node("conv1d", "conv", {"filters": 8, "kernel_size": 3, "activation": "relu"}),
             g.add_node("layer_norm", "norm"), g.add_node("dropout", "drop", {"rate": 0.3}),
             g.add_node("bidirectional", "bi", {"cell": "lstm", "hidden_size": 8, "layers": 2, "merge": "sum"})]
    g.connect(x.id, "sequence", chain[0].id, "input")
    for a, b in zip(chain, chain[1:]):
        g.connect(a.id, a.spec.outputs[0].name, b.id, "input")
    bi = chain[-1]
    sa = g.add_node("self_attention", "sa", {"heads": 2, "causal": True})
    add = g.add_node("add", "residual")
    pool = g.add_node("pooling", "pool", {"mode": "max"})
    rnn = g.add_node("rnn", "relu_rnn", {"nonlinearity": "relu", "hidden_size": 8})
    cat = g.add_node("concat", "cat")
    dense = g.add_node("dense", "out", {"units": 2, "activation": "none"})
    head = g.add_node("regression_head", "y")
    g.connect(bi.id, "sequence", sa.id, "input")
    g.connect(bi.id, "sequence", add.id, "a")
    g.connect(sa.id, sa.spec.outputs[0].name, add.id, "b")
    g.connect(add.id, add.spec.outputs[0].name, pool.id, "input")
    g.connect(add.id, add.spec.outputs[0].name, rnn.id, "input")
    g.connect(pool.id, pool.spec.outputs[0].name, cat.id, "a")
    g.connect(rnn.id, "last", cat.id, "b")
    g.connect(cat.id, cat.spec.outputs[0].name, dense.id, "input")
    g.connect(dense.id, dense.spec.outputs[0].name, head.id, head.spec.inputs[0].name)
    return g


@pytest.mark.parametrize("fmt", ["torchscript", "python", "pt2", "onnx"])
def test_the_other_blocks_export_too_and_torchscript_is_scripted_not_traced(tmp_path, fmt):
    from engine.document import Document, save_document

    if fmt == "onnx" and not (EVERY and HAVE_ONNX):
        pytest.skip("ONNX of this graph runs with RNN_STUDIO_SLOW_TESTS=1")
    path = tmp_path / "blocks.json"
    save_document(Document(every_other_block_graph(), "every other block"), path)
    make_run(path)
    report = export_model(load_document(path), None, fmt, tmp_path / f"blocks{SUFFIX[fmt]}")
    assert report.ok and report.max_abs_diff <= 1e-5, report.summary()
    assert report.warnings == []  # in particular: no "scripting failed ... traced instead"
