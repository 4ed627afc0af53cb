"""Tiny experiment documents for the experiment tests: the adding problem with a few samples and steps."""
import json
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def tiny_adding(tmp_path, variables, strategy="grid", name="tiny", **experiment):
    """A document file (adding problem, 10 steps, 160 samples, 2 epochs, no probes) with this experiment."""
    doc = json.loads((EXAMPLES / "adding_rnn.json").read_text())
    doc["version"] = 2
    doc["data"]["options"] = {"length": 10, "samples": 160}
    doc["training"].update(epochs=2, batch_size=16, probes=[], early_stopping=0)
    doc["experiment"] = {"version": 1, "name": name, "strategy": strategy, "variables": variables, **experiment}
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(doc, indent=1))
    return path
