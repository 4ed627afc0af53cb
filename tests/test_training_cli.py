"""``rnn-studio train``: bad documents and settings give one clear line and exit code 2."""
import json
from pathlib import Path

from engine.cli import main

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
