"""`export -o` naming the document or the checkpoint being exported is refused before anything is written: it used
to replace the user's document (or the run's checkpoint) with the exported model and exit 0."""
import os

import pytest

from engine.cli import main
from test_export_errors import copy_example, save_weights


@pytest.mark.parametrize("fmt,target", [
    ("torchscript", "document"), ("pt2", "document_by_another_name"), ("onnx", "weights"),
    ("python", "document_as_the_weights_file"),
])
def test_an_output_that_is_the_document_or_the_checkpoint_is_refused(tmp_path, capsys, fmt, target):
    doc = copy_example(tmp_path / "model")
    weights = tmp_path / "w.safetensors"
    save_weights(doc, weights, seed=0)
    out = {"document": doc, "weights": weights,
           "document_by_another_name": tmp_path / "model" / ".." / "model" / doc.name}.get(target)
    if target == "document_as_the_weights_file":  # the Python export's second file, <name>_weights.pt
        os.link(doc, tmp_path / "m_weights.pt")
        out = tmp_path / "m.py"
    kept = {p: p.read_bytes() for p in (doc, weights)}
    assert main(["export", str(doc), "-w", str(weights), "-f", fmt, "-o", str(out)]) == 2
    err = capsys.readouterr().err
    what = "the checkpoint being exported" if target == "weights" else "the document being exported"
    assert err.count("\n") == 1 and f"is {what}; writing the export there would replace it" in err
    assert all(p.read_bytes() == data for p, data in kept.items())
    assert not (tmp_path / "m.py").exists()
