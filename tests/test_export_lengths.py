"""The export self-check gives every input of a model its own lengths and padded width, so a file that ties the
seq2seq example's source and target lengths together fails the check in every format."""
from pathlib import Path

import pytest
import torch

from engine import compile_graph
from engine.document import load_document
from engine.export import ExportError, export_model
from engine.export.common import SAMPLE_SHAPES, compare, sample_batches
from engine.export.onnx import missing_packages
from test_export_formats import make_run

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory):
    root = tmp_path_factory.mktemp("lengths")
    path = root / "seq2seq.json"
    path.write_text((EXAMPLES / "seq2seq.json").read_text())
    make_run(path)
    return path


def test_each_input_gets_its_own_lengths_and_padded_width():
    model = compile_graph(load_document(EXAMPLES / "seq2seq.json").graph)
    batches = sample_batches(model)
    assert len(batches) == len(SAMPLE_SHAPES) == 2
    for (batch, steps, first), (source, source_lengths, target, target_lengths) in zip(SAMPLE_SHAPES, batches):
        assert source_lengths.tolist() == list(first) and source.shape == (batch, steps)
        assert source_lengths.tolist() != target_lengths.tolist()
        assert source.shape[1] != target.shape[1]
        for tokens, lengths in ((source, source_lengths), (target, target_lengths)):
            assert int(lengths.max()) == tokens.shape[1]  # the longest sample fills the padded width
            pads = torch.arange(tokens.shape[1])[None, :] >= lengths[:, None]
            assert torch.all(tokens[pads] == 0) and torch.all(tokens[~pads] > 0)
        assert int(source_lengths.argmax()) != int(target_lengths.argmax())  # not the same sample longest
    assert [b[3].tolist() for b in batches] == [[6, 3, 9], [7, 14]]


class tied(torch.nn.Module):
    """What a file computes that reads the source's lengths for the target too (clamped to the target's width)."""

    def __init__(self, run):
        super().__init__()
        self.run = run

    def forward(self, source, source_lengths, target, target_lengths):
        return self.run(source, source_lengths, target, source_lengths.clamp(max=target.shape[1]))


def test_a_model_that_ties_the_two_lengths_differs_on_the_sample_batches_but_not_on_equal_lengths():
    compiled = compile_graph(load_document(EXAMPLES / "seq2seq.json").graph)
    model = compiled.module.eval()
    assert compare(model, tied(model), sample_batches(compiled)) > 1e-3
    # What the check fed before: the same lengths for both inputs, which cannot tell them apart.
    same = [(s, lengths, s.clone(), lengths.clone()) for s, lengths, _, _ in sample_batches(compiled)]
    assert compare(model, tied(model), same) == 0.0


class _Program:
    def __init__(self, module):
        self._module = module

    def module(self):
        return tied(self._module)


class _Generated:
    def __init__(self, module):
        self._module = module

    def load_model(self, *args, **kwargs):
        return tied(self._module.load_model(*args, **kwargs))


class _Session:
    """An onnxruntime session that feeds the source's lengths as the target's."""

    def __init__(self, session):
        self._session = session

    def get_inputs(self):
        return self._session.get_inputs()

    def run(self, names, feeds):
        feeds = dict(feeds)
        feeds["target_lengths"] = feeds["source_lengths"].clip(max=feeds["target"].shape[1])
        return self._session.run(names, feeds)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("fmt", ["torchscript", "python", "pt2", "onnx"])
def test_every_format_fails_the_check_when_the_file_ties_source_and_target_lengths(seq2seq, tmp_path, monkeypatch, fmt):
    import engine.export.python_code as python_code

    if fmt == "onnx":
        if missing_packages():
            pytest.skip("the onnx extra is not installed")
        import onnxruntime
        real_session = onnxruntime.InferenceSession
        monkeypatch.setattr(onnxruntime, "InferenceSession", lambda *a, **k: _Session(real_session(*a, **k)))
    elif fmt == "torchscript":
        real_jit = torch.jit.load
        monkeypatch.setattr(torch.jit, "load", lambda *a, **k: tied(real_jit(*a, **k)))
    elif fmt == "pt2":
        real_export = torch.export.load
        monkeypatch.setattr(torch.export, "load", lambda *a, **k: _Program(real_export(*a, **k).module()))
    else:
        real_import = python_code.import_file
        monkeypatch.setattr(python_code, "import_file", lambda path: _Generated(real_import(path)))
    suffix = {"torchscript": ".pt", "python": ".py", "pt2": ".pt2", "onnx": ".onnx"}[fmt]
    report = export_model(load_document(seq2seq), None, fmt, tmp_path / f"tied{suffix}")
    assert not report.ok and report.max_abs_diff > 1e-3
    assert "VERIFICATION FAILED" in report.summary()


class _SameWidthOnly(torch.nn.Module):
    """A file that only runs when source and target have the same padded width (time dimensions tied)."""

    def __init__(self, run):
        super().__init__()
        self.run = run

    def forward(self, source, source_lengths, target, target_lengths):
        if source.shape[1] != target.shape[1]:
            raise RuntimeError(f"Expected input at *args[2].shape[1] to be equal to {source.shape[1]}")
        return self.run(source, source_lengths, target, target_lengths)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_a_file_that_fails_on_a_check_batch_is_an_export_error_naming_the_batch(seq2seq, tmp_path, monkeypatch):
    real_jit = torch.jit.load
    monkeypatch.setattr(torch.jit, "load", lambda *a, **k: _SameWidthOnly(real_jit(*a, **k)))
    with pytest.raises(ExportError) as caught:
        export_model(load_document(seq2seq), None, "torchscript", tmp_path / "tied.pt")
    assert str(caught.value) == ("the exported file was written but fails on a check batch of inputs [3, 7], [3, 9] "
                                 "(Expected input at *args[2].shape[1] to be equal to 7); do not rely on it")
