"""Where a run cannot be written: a `runs` folder that cannot be made beside the document (read-only folder, a file
in the way) is bad input (exit 2, one line naming the place); a disk that fills up while a checkpoint is written
ends the run as failed with one line naming the file. Both used to print a traceback and "unexpected error"."""
import json

import pytest

from engine.cli import main
from engine.training import checkpoints
from test_experiments_support import EXAMPLES


def _tiny(tmp_path):
    doc = json.loads((EXAMPLES / "adding_rnn.json").read_text())
    doc["data"]["options"] = {"length": 5, "samples": 64}
    doc["training"].update(epochs=1, batch_size=16, probes=[], early_stopping=0)
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(doc))
    return path


def test_a_runs_folder_that_cannot_be_made_is_bad_input_named_in_one_line(tmp_path, capsys):
    path = _tiny(tmp_path)
    (tmp_path / "runs").write_text("not a folder")  # the default place of the runs is taken by a file
    code = main(["train", str(path), "--max-steps", "1"])
    captured = capsys.readouterr()
    assert code == 2 and "Traceback" not in captured.err
    assert f"failed: cannot write the run folder {tmp_path / 'runs'}" in captured.err
    assert "unexpected error" not in captured.err
    assert (tmp_path / "runs").read_text() == "not a folder"


def test_safetensors_refusal_by_the_system_is_an_os_error_naming_the_checkpoint(tmp_path, monkeypatch):
    def full(*_a, **_k):
        raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")
    monkeypatch.setattr(checkpoints, "save_file", full)
    torch = pytest.importorskip("torch")
    target = tmp_path / "best.safetensors"
    with pytest.raises(OSError) as caught:
        checkpoints.save_checkpoint(torch.nn.Linear(2, 2), target)
    assert (caught.value.errno, caught.value.filename) == (28, str(target))
    assert list(tmp_path.iterdir()) == []  # the temporary file is gone


def test_a_disk_full_while_saving_a_checkpoint_fails_the_run_in_one_line(tmp_path, monkeypatch, capsys):
    def full(*_a, **_k):
        raise RuntimeError("Error while serializing: I/O error: No space left on device (os error 28)")
    monkeypatch.setattr(checkpoints, "save_file", full)
    path = _tiny(tmp_path)
    code = main(["train", str(path), "--max-steps", "1", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1 and "Traceback" not in captured.err and "unexpected error" not in captured.err
    line = [x for x in captured.err.splitlines() if x.startswith("failed:")]
    assert len(line) == 1 and line[0].endswith(".safetensors (no space left on device); the run stopped there")
    run = next((tmp_path / "out" / "tiny").iterdir())
    assert json.loads((run / "status.json").read_text())["status"] == "failed"
    assert "No space left on device" in (run / "error.txt").read_text()  # the trace is kept for whoever looks
