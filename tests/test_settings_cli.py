"""``rnn-studio train FILE --set PATH=VALUE``: settings change before training (the run records them), and a bad
path or value exits 2 with one line naming it, before any run directory is written."""
import json
from pathlib import Path

import pytest

from engine.cli import main
from test_training_support import one_torch_thread  # noqa: F401

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _tiny_adding(tmp_path):
    doc = json.loads((EXAMPLES / "adding_lstm.json").read_text())
    doc["data"] = {"dataset": "adding", "options": {"length": 10, "samples": 200}, "split": [0.6, 0.2, 0.2], "seed": 0}
    doc["training"] = {"epochs": 1, "batch_size": 20, "lr": 0.01, "probes": []}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(doc))
    return path


def test_set_changes_training_data_and_block_settings_of_the_run(tmp_path, capsys):
    path = _tiny_adding(tmp_path)
    code = main(["train", str(path), "--out", str(tmp_path / "out"), "--set", "training.lr=0.05",
                 "--set", "lstm.hidden_size=8", "--set", "data.options.samples=100", "--set", "training.lr=0.02",
                 "--set", "training.momentum=0.5"])
    assert code == 0, capsys.readouterr().err
    assert "note: training.momentum applies only when optimizer is sgd or rmsprop" in capsys.readouterr().err
    (run_dir,) = (tmp_path / "out" / "tiny").iterdir()
    assert json.loads((run_dir / "config.json").read_text())["lr"] == 0.02  # the later --set wins
    snapshot = json.loads((run_dir / "document.json").read_text())
    lstm = next(n for n in snapshot["graph"]["nodes"] if n["name"] == "lstm")
    assert lstm["params"]["hidden_size"] == 8 and snapshot["data"]["options"]["samples"] == 100
    info = next(json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
                if json.loads(line)["type"] == "RunStarted")
    assert sum(info["data_info"]["samples"].values()) == 100
    assert json.loads(path.read_text())["training"]["lr"] == 0.01  # the file itself is not changed


@pytest.mark.parametrize("assignment, line", [
    ("training.lr=fast", "error: training.lr: must be a number such as 0.01 or 1e-3, got 'fast'"),
    ("training.lr=nan", "error: training.lr: must be a finite number, got nan"),
    ("training.seed=9223372036854775808", "error: training.seed: must be at most 9223372036854775807, "
                                          "got 9223372036854775808"),
    ("data.options.samples=10000000", "error: data.options.samples: must be at most 1000000, got 10000000"),
    ("gru.hidden_size=3", "error: gru.hidden_size: there is no block called 'gru' (blocks: sequence, lstm, "
                          "last_step, dense, sum; sections: training, data)"),
    ("training.lr", "error: training.lr: expected PATH=VALUE, e.g. training.lr=0.01"),
])
def test_a_bad_set_exits_2_with_one_line(tmp_path, capsys, assignment, line):
    path = _tiny_adding(tmp_path)
    assert main(["train", str(path), "--out", str(tmp_path / "out"), "--set", assignment]) == 2
    err = capsys.readouterr().err
    assert err == line + "\n"
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [["train", "--out", ""], ["sweep", "--out", " "], ["export", "-o", ""]])
def test_an_empty_output_path_is_refused_before_anything_runs(tmp_path, capsys, monkeypatch, command):
    """`train --out ''` wrote its run into the working directory: neither the default nor a place the user named."""
    monkeypatch.chdir(tmp_path)
    example = str(Path(__file__).resolve().parent.parent / "examples" / "adding_rnn.json")
    with pytest.raises(SystemExit) as exited:
        main([command[0], example, *command[1:]])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "an empty path: name a file or folder, or leave the option out" in err.splitlines()[-1]
    assert list(tmp_path.iterdir()) == []
