"""``rnn-studio train``: trains into a run directory, stops cleanly on Ctrl-C (exit 130), and bad documents
and settings give one clear line and exit code 2."""
import json
import signal
import subprocess
import sys
from pathlib import Path

from engine.cli import main
from test_training_support import one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_missing_file_exits_2(tmp_path, capsys):
    assert main(["train", str(tmp_path / "nope.json")]) == 2
    assert "nope.json" in capsys.readouterr().err


def test_bad_training_setting_names_the_field(tmp_path, capsys):
    doc = json.loads((EXAMPLES / "adding_lstm.json").read_text())
    doc["training"] = {"lr": "fast"}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    assert main(["train", str(path)]) == 2
    assert "training.lr: must be a number" in capsys.readouterr().err


def test_document_without_data_binding_exits_2(tmp_path, capsys):
    doc = json.loads((EXAMPLES / "adding_lstm.json").read_text())
    doc["data"] = {}
    path = tmp_path / "nodata.json"
    path.write_text(json.dumps(doc))
    assert main(["train", str(path), "--out", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "no data binding" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").rglob("metrics.jsonl"))


def test_an_out_folder_that_cannot_be_made_is_a_bad_argument(tmp_path, capsys):
    """Was exit 1 ("training failed: unexpected error: NotADirectoryError ...") after loading the data."""
    taken = tmp_path / "taken"
    taken.write_text("not a folder")
    path = _tiny_adding(tmp_path, 1)
    assert main(["train", str(path), "--out", str(taken)]) == 2
    assert capsys.readouterr().err == f"error: --out {taken} cannot hold run folders: it is a file, not a folder\n"
    assert main(["train", str(path), "--out", str(tmp_path / ("a" * 300))]) == 2
    assert "cannot hold run folders: File name too long" in capsys.readouterr().err
    assert taken.read_text() == "not a folder"


def _tiny_adding(tmp_path, epochs):
    doc = json.loads((EXAMPLES / "adding_lstm.json").read_text())
    doc["data"] = {"dataset": "adding", "options": {"length": 10, "samples": 200}, "split": [0.6, 0.2, 0.2], "seed": 0}
    doc["training"] = {"epochs": epochs, "batch_size": 20, "lr": 0.01}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(doc))
    return path


def test_train_writes_a_run_directory_and_reports_test_metrics(tmp_path, capsys):
    path = _tiny_adding(tmp_path, epochs=3)
    assert main(["train", str(path), "--epochs", "2", "--seed", "1", "--out", str(tmp_path / "out")]) == 0
    captured = capsys.readouterr()
    assert "completed: training completed" in captured.out and "test: loss" in captured.out
    assert "constant_mean_mse" in captured.out
    assert "epoch 2/2" in captured.err and "epoch 3/" not in captured.err
    (run_dir,) = (tmp_path / "out" / "tiny").iterdir()
    config = json.loads((run_dir / "config.json").read_text())
    assert config["epochs"] == 2 and config["seed"] == 1
    assert (run_dir / "checkpoints" / "best.safetensors").exists()
    assert json.loads((run_dir / "data_meta.json").read_text())["dataset"] == "adding"


def test_ctrl_c_stops_cleanly_and_keeps_the_last_checkpoint(tmp_path):
    path = _tiny_adding(tmp_path, epochs=10000)
    code = ("import sys; from engine.cli import main; "
            f"sys.exit(main(['train', {str(path)!r}, '--out', {str(tmp_path / 'out')!r}]))")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:
            if line.startswith("epoch 2/"):
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "stopped by the user" in out
    (run_dir,) = (tmp_path / "out" / "tiny").iterdir()
    assert json.loads((run_dir / "status.json").read_text())["status"] == "stopped"
    assert (run_dir / "checkpoints" / "last.safetensors").exists()
