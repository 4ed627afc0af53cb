"""``rnn-studio export`` from the command line: default weights from the latest run, clear errors for invalid
graphs, mismatching checkpoints, missing weights and a missing ONNX extra, the trace fallback's warning, and a
non-zero exit when the reloaded file does not match."""
import json
import sys
from pathlib import Path

import pytest
import torch
from safetensors.torch import save_file

from engine import compile_graph
from engine.cli import main
from engine.document import load_document
from engine.export import ExportError, export_model

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def copy_example(tmp_path, name="adding_rnn", edit=None) -> Path:
    data = json.loads((EXAMPLES / f"{name}.json").read_text())
    if edit:
        edit(data)
    path = tmp_path / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


def save_weights(doc_path: Path, target: Path, seed: int) -> dict:
    torch.manual_seed(seed)
    state = compile_graph(load_document(doc_path).graph).module.state_dict()
    target.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in state.items()}, str(target))
    return state


def test_default_weights_are_the_latest_runs_best_checkpoint(tmp_path, capsys):
    doc = copy_example(tmp_path)
    runs = tmp_path / "runs" / "adding_rnn"
    save_weights(doc, runs / "20260101-090000" / "checkpoints" / "best.safetensors", seed=1)
    newest = save_weights(doc, runs / "20260102-090000" / "checkpoints" / "best.safetensors", seed=2)
    (runs / "20260103-090000" / "checkpoints").mkdir(parents=True)  # a run still in progress: no best yet
    out = tmp_path / "model.pt"
    assert main(["export", str(doc), "--format", "torchscript", "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"wrote {out} (torchscript); verified: max abs difference" in printed
    with pytest.warns(DeprecationWarning):  # torch.jit.load's own notice: the user's, not ours
        loaded = torch.jit.load(str(out))
    assert torch.equal(loaded.state_dict()["rnn.rnn.weight_hh_l0"], newest["rnn.rnn.weight_hh_l0"])


def test_run_alone_exports_that_runs_best_checkpoint_not_the_latest_runs(tmp_path, capsys):
    """`--run R` took the latest run's weights beside R's data description (or refused when the document's own
    runs folder had none)."""
    doc = copy_example(tmp_path)
    elsewhere = tmp_path / "kept" / "20260101-090000"
    older = save_weights(doc, elsewhere / "checkpoints" / "best.safetensors", seed=1)
    save_weights(doc, tmp_path / "runs" / "adding_rnn" / "20260102-090000" / "checkpoints" / "best.safetensors", 2)
    out = tmp_path / "model.pt"
    assert main(["export", str(doc), "--run", str(elsewhere), "-o", str(out)]) == 0
    with pytest.warns(DeprecationWarning):
        loaded = torch.jit.load(str(out))
    assert torch.equal(loaded.state_dict()["rnn.rnn.weight_hh_l0"], older["rnn.rnn.weight_hh_l0"])
    capsys.readouterr()
    assert main(["export", str(doc), "--run", str(tmp_path / "kept")]) == 2
    assert "kept: no checkpoint in this folder" in capsys.readouterr().err
    assert main(["export", str(doc), "--run", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such run folder" in capsys.readouterr().err


def test_without_runs_or_weights_the_error_says_to_train_or_pass_weights(tmp_path, capsys):
    doc = copy_example(tmp_path)
    assert main(["export", str(doc), "--format", "pt2"]) == 2
    err = capsys.readouterr().err
    assert "no trained weights found under" in err and "--weights CHECKPOINT" in err
    assert "Traceback" not in err


def test_invalid_graph_lists_its_diagnostics(tmp_path, capsys):
    def cut_the_dense(data):  # the head loses its input
        data["graph"]["edges"] = [e for e in data["graph"]["edges"] if e["to"][0] != "n5"]

    doc = copy_example(tmp_path, edit=cut_the_dense)
    weights = tmp_path / "w.safetensors"
    save_weights(copy_example(tmp_path / "ok"), weights, seed=0)
    assert main(["export", str(doc), "--weights", str(weights), "-o", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert "the graph is not valid" in err and "- " in err and "'sum'" in err
    assert not (tmp_path / "m.pt").exists()


def test_a_checkpoint_from_another_graph_names_the_mismatching_block(tmp_path, capsys):
    weights = tmp_path / "w.safetensors"
    save_weights(copy_example(tmp_path / "small"), weights, seed=0)

    def wider(data):
        next(n for n in data["graph"]["nodes"] if n["name"] == "rnn")["params"]["hidden_size"] = 32

    doc = copy_example(tmp_path, edit=wider)
    assert main(["export", str(doc), "--weights", str(weights), "-o", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert "the checkpoint does not match the graph" in err
    assert "- block 'rnn': 'rnn.rnn.weight_ih_l0' is [64, 2] in the checkpoint but [32, 2] in the graph" in err
    assert "- block 'dense': 'dense.linear.weight' is [1, 64] in the checkpoint but [1, 32] in the graph" in err
    assert "block 'pooling'" not in err  # blocks without weights fit


def test_a_checkpoint_with_a_renamed_block_says_which_block_is_missing(tmp_path):
    doc_path = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    state = save_weights(doc_path, weights, seed=0)
    save_file({k.replace("dense.", "readout."): v.contiguous() for k, v in state.items()}, str(weights))
    with pytest.raises(ExportError) as caught:
        export_model(load_document(doc_path), weights, "python", tmp_path / "m.py")
    message = str(caught.value)
    assert "- block 'dense': the checkpoint has no weights for it" in message
    assert "- block 'readout': the checkpoint has weights for it, but the graph has no block of that name" in message


def test_a_diverged_checkpoint_is_refused_naming_the_blocks_whose_weights_hold_nan(tmp_path, capsys):
    """A run that diverged leaves NaN weights: the export answered only "differs by inf"."""
    doc_path = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    state = save_weights(doc_path, weights, seed=0)
    state["rnn.rnn.weight_hh_l0"][0, 0] = float("nan")
    state["dense.linear.bias"][0] = float("inf")
    save_file({k: v.contiguous() for k, v in state.items()}, str(weights))
    assert main(["export", str(doc_path), "--weights", str(weights), "-o", str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert f"{weights}: the weights of 'dense', 'rnn' hold NaN or infinite values (the run diverged)" in err
    assert not (tmp_path / "m.pt").exists()


def test_onnx_without_the_extra_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxscript", None)  # what an environment without the package looks like
    doc = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    save_weights(doc, weights, seed=0)
    assert main(["export", str(doc), "-w", str(weights), "-f", "onnx", "-o", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'rnn-studio[onnx]'" in err and "missing: onnxscript" in err
    assert "Traceback" not in err and not (tmp_path / "m.onnx").exists()


def test_when_scripting_fails_it_traces_and_says_what_tracing_loses(tmp_path, monkeypatch):
    doc_path = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    save_weights(doc_path, weights, seed=0)

    def refuse(*args, **kwargs):
        raise RuntimeError("Module 'Custom' has no attribute 'x'")

    monkeypatch.setattr(torch.jit, "script", refuse)
    report = export_model(load_document(doc_path), weights, "torchscript", tmp_path / "m.pt")
    assert report.ok and report.max_abs_diff <= 1e-5  # checked on two different lengths and batch sizes
    assert len(report.warnings) == 1
    assert "scripting failed (Module 'Custom' has no attribute 'x')" in report.warnings[0]
    assert "traced" in report.warnings[0] and "frozen" in report.warnings[0]


def test_a_file_that_does_not_match_after_reloading_fails_the_command(tmp_path, capsys, monkeypatch):
    import engine.export.torchscript as torchscript

    doc = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    save_weights(doc, weights, seed=0)
    real_load = torch.jit.load

    def load_and_spoil(*args, **kwargs):  # a file whose weights changed on the way to disk
        module = real_load(*args, **kwargs)
        with torch.no_grad():
            module.dense.linear.bias.add_(0.5)
        return module

    monkeypatch.setattr(torchscript.torch.jit, "load", load_and_spoil)
    assert main(["export", str(doc), "-w", str(weights), "-o", str(tmp_path / "m.pt")]) == 1
    captured = capsys.readouterr()
    assert "VERIFICATION FAILED: max abs difference 5.00e-01" in captured.out
    assert "differs from the studio model by 0.5" in captured.err


def test_python_export_writes_the_module_and_its_weights_beside_the_document(tmp_path, capsys):
    doc = copy_example(tmp_path, "names")
    save_weights(doc, tmp_path / "runs" / "names" / "20260101-000000" / "checkpoints" / "best.safetensors", seed=0)
    assert main(["export", str(doc), "--format", "python"]) == 0
    assert (tmp_path / "names.py").is_file() and (tmp_path / "names_weights.pt").is_file()
    source = (tmp_path / "names.py").read_text()
    assert "import engine" not in source and "from engine" not in source
    assert "self.bigru = GRUBlock(32, 64, 1, 0.0, True, 'concat')" in source
    assert "class GRUBlock(_RecurrentBase):" in source and "class LSTMBlock" not in source


def test_a_real_training_run_exports_with_its_data_description(tmp_path, capsys):
    """The trainer's run directory (checkpoint names, data_meta.json) is what export reads by default."""
    data = json.loads((EXAMPLES / "adding_rnn.json").read_text())
    data["data"] = {"dataset": "adding", "options": {"length": 8, "samples": 60}, "split": [0.6, 0.2, 0.2], "seed": 0}
    data["training"] = {"epochs": 1, "batch_size": 20, "probes": []}
    doc = tmp_path / "tiny.json"
    doc.write_text(json.dumps(data))
    assert main(["train", str(doc)]) == 0
    capsys.readouterr()
    assert main(["export", str(doc), "--format", "python"]) == 0
    assert "verified: max abs difference 0.00e+00" in capsys.readouterr().out
    (run,) = (tmp_path / "runs" / "tiny").iterdir()
    saved = torch.load(tmp_path / "tiny_weights.pt", weights_only=True)
    assert saved["metadata"]["data"] == json.loads((run / "data_meta.json").read_text())
    assert saved["metadata"]["forward"] == ["sequence", "sequence_lengths"]
    # the run's own snapshot of the document exports with that run's weights
    assert main(["export", str(run / "document.json"), "-f", "python", "-o", str(tmp_path / "again.py")]) == 0
    again = torch.load(tmp_path / "again_weights.pt", weights_only=True)
    assert all(torch.equal(again["state_dict"][k], v) for k, v in saved["state_dict"].items())


def test_an_output_path_that_cannot_be_a_file_is_refused_before_exporting(tmp_path, capsys):
    doc = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    save_weights(doc, weights, seed=0)
    (tmp_path / "folder.pt").mkdir()
    (tmp_path / "plain").write_text("")
    assert main(["export", str(doc), "-w", str(weights), "-o", str(tmp_path / "folder.pt")]) == 2
    assert "folder.pt: is a folder: give the path of the file to write" in capsys.readouterr().err
    assert main(["export", str(doc), "-w", str(weights), "-o", str(tmp_path / "plain" / "m.pt")]) == 2
    assert f"{tmp_path / 'plain'} is a file, not a folder" in capsys.readouterr().err
    assert main(["export", str(doc), "-w", str(weights), "-f", "python", "-o", str(tmp_path / "m.txt")]) == 2
    assert "give a path ending in .py" in capsys.readouterr().err
    for name in ("torch.py", "typing.py", "pathlib.py"):  # it would hide the module its own code imports
        assert main(["export", str(doc), "-w", str(weights), "-f", "python", "-o", str(tmp_path / name)]) == 2
        assert f"a module named '{name[:-3]}' hides the '{name[:-3]}' module" in capsys.readouterr().err
        assert not (tmp_path / name).exists()


def test_export_run_uses_the_runs_own_snapshot_and_names_a_run_without_weights(tmp_path):
    import shutil

    from engine.document import load_document, save_document
    from engine.export import ExportError, export_run
    from engine.training import Trainer, TrainingConfig

    document = load_document(EXAMPLES / "adding_rnn.json")
    document.data = {**document.data, "options": {"length": 8, "samples": 120}}
    save_document(document, tmp_path / "adding_rnn.json")
    result = Trainer(document, TrainingConfig(epochs=1, batch_size=32, max_steps_per_epoch=2)).run()
    assert result.status == "completed", result.message
    # Editing the document afterwards cannot mismatch the run's weights: the run's snapshot is exported.
    document.graph.set_param(document.graph.by_name("rnn").id, "hidden_size", 7)
    save_document(document, tmp_path / "adding_rnn.json")
    report = export_run(result.run_dir, "python", tmp_path / "out.py", tmp_path / "adding_rnn.json")
    assert report.ok and report.path == tmp_path / "out.py"
    shutil.rmtree(result.run_dir / "checkpoints")
    with pytest.raises(ExportError, match="this run has no checkpoint yet"):
        export_run(result.run_dir, "python", tmp_path / "again.py")
    with pytest.raises(ExportError, match="missing; this folder is not a run"):
        export_run(tmp_path, "python", tmp_path / "nothing.py")


def test_a_path_too_long_or_not_a_regular_file_is_a_one_line_error_not_a_traceback(tmp_path, capsys):
    doc = copy_example(tmp_path)
    weights = tmp_path / "w.safetensors"
    save_weights(doc, weights, seed=0)
    long = tmp_path / ("a" * 300)
    for args, message in [
        (["-w", str(weights), "-o", f"{long}.pt"], f"{long}.pt: cannot read the output path (File name too long)"),
        (["-w", f"{long}.safetensors"], f"{long}.safetensors: cannot read the checkpoint (File name too long)"),
        (["--run", str(long)], f"{long}: cannot read the run folder (File name too long)"),
        (["-w", "/dev/zero"], "/dev/zero: is not a regular file (a device, pipe or socket)"),
        (["-w", str(tmp_path)], f"{tmp_path}: is a folder, not a checkpoint file"),
    ]:
        assert main(["export", str(doc), *args]) == 2, args
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not list(tmp_path.glob("*.pt"))


@pytest.mark.parametrize("text, reason", [
    ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ('{"vocab": NaN}', "NaN is not a JSON value"),
    ('{"vocab": -Infinity}', "-Infinity is not a JSON value"),
])
def test_a_broken_data_description_is_refused_naming_the_file(tmp_path, capsys, text, reason):
    doc = copy_example(tmp_path)
    run = tmp_path / "kept" / "20260101-090000"
    save_weights(doc, run / "checkpoints" / "best.safetensors", seed=0)
    (run / "data_meta.json").write_text(text)
    out = tmp_path / "model.pt"
    assert main(["export", str(doc), "--run", str(run), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{run / 'data_meta.json'}: cannot read the data description ({reason})" in err
    assert err.count("\n") == 1 and not out.exists()


@pytest.mark.parametrize("meta, key", [
    ({"vocab": []}, "vocab"), ({"labels": "x"}, "labels"), ({"labels": {"language": [1, 2]}}, "labels"),
    ({"scaler": 5}, "scaler"), ({"special_tokens": {"chars": {"<pad>": "0"}}}, "special_tokens"),
    ({"vocab": {"chars": "abc"}}, "vocab"), ({"tokenization": {"chars": 3}}, "tokenization"),
])
def test_a_data_description_of_the_wrong_shape_is_refused_naming_the_part(tmp_path, capsys, meta, key):
    """Labels that were text or a vocabulary that was a list went into the export's metadata unchecked."""
    doc = copy_example(tmp_path)
    run = tmp_path / "kept" / "20260101-090000"
    save_weights(doc, run / "checkpoints" / "best.safetensors", seed=0)
    (run / "data_meta.json").write_text(json.dumps(meta))
    out = tmp_path / "model.pt"
    assert main(["export", str(doc), "--run", str(run), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"{run / 'data_meta.json'}: \"{key}\" must" in err and "not one a run wrote" in err
    assert err.count("\n") == 1 and not out.exists()


def test_a_run_folder_without_its_data_description_exports_with_a_warning(tmp_path, capsys):
    """With data_meta.json gone, the export held no vocabulary or labels, and nothing said so."""
    doc = copy_example(tmp_path)
    run = tmp_path / "kept" / "20260101-090000"
    save_weights(doc, run / "checkpoints" / "best.safetensors", seed=0)
    out = tmp_path / "model.pt"
    assert main(["export", str(doc), "--run", str(run), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"warning: {run} has no data_meta.json: the export holds no vocabulary, label names or scaling" in err
    (run / "data_meta.json").write_text("{}")
    assert main(["export", str(doc), "--run", str(run), "-o", str(out)]) == 0
    assert "data_meta" not in capsys.readouterr().err
