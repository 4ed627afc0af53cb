"""What every export format shares: errors, the report, weights loading, metadata and verification.

Verification runs the reloaded file and the in-studio model on two padded sample batches of different lengths.
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import stat
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch

from ..atomic_file import write_atomic
from ..compiler import CompiledModel
from ..specs import TensorKind

FORMATS = {  # format -> (file suffix, what it is)
    "torchscript": (".pt", "TorchScript archive: torch.jit.load, no Python class needed"),
    "pt2": (".pt2", "torch.export program with dynamic batch and time: torch.export.load"),
    "onnx": (".onnx", "ONNX model for onnxruntime and other runtimes"),
    "python": (".py", "standalone PyTorch module (.py) plus its weights (_weights.pt)"),
}
METADATA_FILE = "rnn_studio.json"  # the extra file / metadata key every format carries
TOLERANCE = 1e-4
# (batch, time, lengths) of the first input: two lengths, with padding. Every further input gets lengths of its
# own (see sample_lengths), so a file that mixes up two inputs' lengths or time axes fails the check.
SAMPLE_SHAPES = ((3, 7, (7, 4, 1)), (2, 12, (12, 5)))


class ExportError(Exception):
    """An export that cannot be done; the message says why and what to do."""


@dataclass
class ExportReport:
    path: Path
    format: str
    max_abs_diff: float | None  # None when the file could not be reloaded here (e.g. no onnxruntime)
    tolerance: float
    ok: bool
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)  # every file written (the .py export writes two)

    def summary(self) -> str:
        if self.max_abs_diff is None:
            check = "not verified"
        else:
            verdict = "verified" if self.ok else "VERIFICATION FAILED"
            check = (f"{verdict}: max abs difference {self.max_abs_diff:.2e} against the studio model on "
                     f"{len(SAMPLE_SHAPES)} padded batches of different lengths (tolerance {self.tolerance:.0e})")
        return f"wrote {', '.join(str(p) for p in self.files or [self.path])} ({self.format}); {check}"


# -- quiet: PyTorch's deprecation notices and exporter chatter are not the user's business ------------------

_NOISE = (
    r".*torch\.jit\.\w+. is deprecated.*", r".*TorchScript.*", r".*torch\.jit.*", r".*scan is .*prototype.*",
    r".*is deprecated.*", r".*non-writable.*", r".*Converting a tensor to a Python.*",
    r".*was assigned during export.*",
)
_NOISY_LOGGERS = ("torch.onnx", "torch.export", "torch._export", "torch.fx.experimental", "onnxscript", "onnx_ir",
                  "torch._dynamo", "torch.utils._sympy")


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silences known warnings and exporter logs; other warnings still reach the caller."""
    saved = {}
    for name in _NOISY_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = logger.level
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            for pattern in _NOISE:
                warnings.filterwarnings("ignore", message=pattern)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            warnings.filterwarnings("ignore", category=FutureWarning)
            yield
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


# -- weights ---------------------------------------------------------------------------------------------

def write_saved(out_path: Path, save: Callable[[io.BytesIO], None]) -> None:
    """``save(buffer)`` into memory, then the bytes written atomically over ``out_path``: a full disk or a folder
    made read-only is an OSError naming the file, and an earlier export there is kept whole (torch's own writers
    truncate the file first, and torch.export's aborts the whole process when a write fails)."""
    buffer = io.BytesIO()
    save(buffer)
    write_atomic(out_path, buffer.getvalue())


def stat_of(path: Path, what: str) -> os.stat_result | None:
    """``path``'s status, or None when nothing is there (a missing name, or a file where a folder should be);
    ExportError naming ``what`` and the OS's reason otherwise (a name too long, no permission)."""
    try:
        return path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise ExportError(f"{path}: cannot read {what} ({err.strerror or err})") from None


def load_weights(model: CompiledModel, weights_path: str | Path) -> None:
    """Loads a safetensors checkpoint strictly; a mismatch names every block that does not fit."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(weights_path)
    found = stat_of(path, "the checkpoint")
    if found is None:
        raise ExportError(f"{path}: no such checkpoint file")
    if stat.S_ISDIR(found.st_mode):
        raise ExportError(f"{path}: is a folder, not a checkpoint file")
    if not stat.S_ISREG(found.st_mode):
        raise ExportError(f"{path}: is not a regular file (a device, pipe or socket): give a .safetensors "
                          "checkpoint file")
    try:
        if _utf8(str(path)):
            tensors = load_file(str(path))
        else:  # safetensors opens only UTF-8 paths; a file name with undecodable bytes is read here instead
            from safetensors.torch import load
            tensors = load(path.read_bytes())
    except (SafetensorError, OSError, ValueError) as err:
        raise ExportError(f"{path}: not a readable safetensors checkpoint ({err})") from None
    expected = model.module.state_dict()
    problems = checkpoint_problems(expected, tensors)
    if problems:
        lines = "\n".join(f"- {line}" for line in problems)
        raise ExportError(f"{path}: the checkpoint does not match the graph (was it trained from another version "
                          f"of this document?):\n{lines}")
    # A diverged run's checkpoint exports a model that answers NaN: refused by block (the check said only "differs
    # by inf")
    broken = sorted({name.split(".")[0] for name, tensor in tensors.items()
                     if tensor.is_floating_point() and not bool(tensor.isfinite().all())})
    if broken:
        raise ExportError(f"{path}: the weights of {', '.join(repr(b) for b in broken)} hold NaN or infinite values "
                          "(the run diverged): export an earlier run, or train again with a lower learning rate or "
                          "gradient clipping")
    model.module.load_state_dict(tensors, strict=True)
    model.module.eval()


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def checkpoint_problems(expected: dict[str, torch.Tensor], found: dict[str, torch.Tensor]) -> list[str]:
    """One line per block that does not fit; module names are block names, so the first part of a key."""
    def by_block(keys) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for key in keys:
            groups.setdefault(key.split(".", 1)[0], []).append(key)
        return groups

    want, have = by_block(expected), by_block(found)
    problems = []
    for block, keys in want.items():
        if block not in have:
            problems.append(f"block '{block}': the checkpoint has no weights for it")
            continue
        items = [f"'{k}' is {list(found[k].shape)} in the checkpoint but {list(expected[k].shape)} in the graph"
                 for k in keys if k in found and tuple(found[k].shape) != tuple(expected[k].shape)]
        missing = [k for k in keys if k not in found]
        extra = [k for k in have[block] if k not in expected]
        if missing:
            items.append(f"missing {', '.join(missing)}")
        if extra:
            items.append(f"unexpected {', '.join(extra)} (a different kind of block?)")
        if items:
            problems.append(f"block '{block}': " + "; ".join(items))
    for block in have:
        if block not in want:
            problems.append(f"block '{block}': the checkpoint has weights for it, but the graph has no block "
                            f"of that name")
    return problems


def default_weights(document_path: Path | None) -> Path:
    """The best checkpoint of the document's latest run that has one: runs/<stem>/<run>/checkpoints/best.safetensors
    (run names are timestamps, so the latest sorts last). For a run's document.json: that run's best."""
    if document_path is None:
        raise ExportError("the document has no file, so it has no runs: pass --weights CHECKPOINT")
    from ..training.runs import DOCUMENT, Run, default_root

    here = Run(Path(document_path).resolve().parent)
    if Path(document_path).name == DOCUMENT and here.checkpoint().is_file():
        return here.checkpoint()  # a run's own snapshot of the document
    root, stem = default_root(Path(document_path).resolve()), Path(document_path).stem
    folders = sorted((p for p in (root / stem).glob("*") if p.is_dir()), key=lambda p: p.name, reverse=True)
    for run in map(Run, folders):  # newest first (run names are times); a run without weights is skipped
        if run.checkpoint().is_file():
            return run.checkpoint()
    raise ExportError(f"no trained weights found under {root / stem} (train the model first, or pass "
                      f"--weights CHECKPOINT)")


def run_dir_of(weights_path: Path) -> Path | None:
    """The run directory a checkpoint lives in (…/<run>/checkpoints/x.safetensors), if it looks like one."""
    from ..training.runs import Run

    run = Run.of_checkpoint(weights_path)
    return run.path if run is not None else None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def read_data_meta(run_dir: Path | None) -> dict[str, Any] | None:
    """The run's data description; {} without a run, None for a run folder that has none."""
    if run_dir is None:
        return {}
    from ..training.runs import Run

    path = Run(run_dir).meta()
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise ExportError(f"{path}: cannot read the data description (nested too deeply)") from None
    except (OSError, ValueError) as err:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ExportError(f"{path}: cannot read the data description ({err})") from None
    if not isinstance(data, dict):
        raise ExportError(f"{path}: expected a JSON object")
    for key, problem in _meta_problems(data):
        raise ExportError(f"{path}: \"{key}\" {problem}: the file is not one a run wrote")
    return data


def _is_names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


# What each part of a run's data description holds (engine.data.prepare.DataMeta); the export copies them into the
# model's metadata, where a list of labels that is text, or a vocabulary that is a number, breaks every reader.
_META_SHAPES = {
    "vocab": ("must map input blocks to lists of tokens", lambda v: all(_is_names(t) for t in v.values())),
    "labels": ("must map heads to lists of label names", lambda v: all(_is_names(t) for t in v.values())),
    "feature_names": ("must map blocks to lists of names", lambda v: all(_is_names(t) for t in v.values())),
    "special_tokens": ("must map input blocks to {token: id}", lambda v: all(
        isinstance(t, dict) and all(isinstance(i, int) and not isinstance(i, bool) for i in t.values())
        for t in v.values())),
    "tokenization": ("must map input blocks to their tokenizer settings", lambda v: all(
        isinstance(t, dict) for t in v.values())),
}


def _meta_problems(data: dict[str, Any]):
    for key, (problem, fits) in _META_SHAPES.items():
        value = data.get(key)
        if value is not None and not (isinstance(value, dict) and fits(value)):
            yield key, problem
    if data.get("scaler") is not None and not isinstance(data["scaler"], dict):
        yield "scaler", "must be an object or null"


# -- metadata --------------------------------------------------------------------------------------------

def _pick(meta: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in meta:
            return meta[key]
    return None


def tokenization_rules(data_meta: dict[str, Any]) -> dict[str, Any] | None:
    """Per input block, the run's tokenizer settings completed into the exact rule (engine.data.tokenizers.describe):
    the regular expression, lower-casing, max_length and the special ids, so ``re`` alone reproduces the ids."""
    from ..data.base import DataError
    from ..data.tokenizers import describe

    given = _pick(data_meta, "tokenization")
    if not isinstance(given, dict):
        return given
    specials = data_meta.get("special_tokens") or {}
    rules: dict[str, Any] = {}
    for block, settings in given.items():
        if not isinstance(settings, dict):
            rules[block] = settings
            continue
        lowercase = settings.get("lowercase")
        try:  # text fields are lower-cased unless told otherwise (engine.data.prepare's default)
            rule = describe(str(settings.get("tokenizer")), True if lowercase is None else bool(lowercase),
                            settings.get("max_length"), specials.get(block) if isinstance(specials, dict) else None)
        except (DataError, TypeError, ValueError):  # a tokenizer this version does not know: pass on what was said
            rules[block] = settings
            continue
        rules[block] = {**settings, **rule}
    return rules


def metadata_json(metadata: dict[str, Any]) -> str:
    """The metadata as JSON text, readable (non-ASCII kept) unless it holds text UTF-8 cannot encode (a lone
    surrogate from a file name or a data file): then escaped, which reads back the same."""
    text = json.dumps(metadata, ensure_ascii=False)
    return text if _utf8(text) else json.dumps(metadata, ensure_ascii=True)


def build_metadata(model: CompiledModel, data_meta: dict[str, Any], format_version: int, studio_version: str,
                   description: str = "") -> dict[str, Any]:
    """What a user needs beside the weights: the call signature, shapes, vocabulary, labels and scaling."""
    inputs = []
    signature = []
    for spec in model.inputs:
        tokens = spec.kind is TensorKind.TOKENS
        inputs.append({
            "name": spec.name, "kind": "tokens" if tokens else "sequence",
            "shape": ["batch", "time"] if tokens else ["batch", "time", spec.features],
            "dtype": "int64" if tokens else "float32", "vocab_size": spec.vocab, "features": spec.features,
            "lengths": f"{spec.name}_lengths",
        })
        signature += [spec.name, f"{spec.name}_lengths"]
    outputs = []
    for head in model.heads:
        shape = head.input_shape
        per_step = shape.kind is TensorKind.SEQUENCE
        outputs.append({
            "name": head.name, "task": head.task,
            "shape": ["batch", "time", shape.features] if per_step else ["batch", shape.features],
            "activation": shape.activation, "time_of": shape.time,
        })
    return {
        "studio_version": studio_version, "document_format_version": format_version, "description": description,
        "forward": signature, "inputs": inputs, "outputs": outputs,
        # From the run's data_meta.json (engine.data.DataMeta): vocab and special tokens per input block,
        # label names per head, the scaler's parameters; None when the export has no run directory.
        "vocab": _pick(data_meta, "vocab"),
        "special_tokens": _pick(data_meta, "special_tokens"),
        "labels": _pick(data_meta, "labels", "label_names"),
        "scaler": _pick(data_meta, "scaler"),
        "feature_names": _pick(data_meta, "feature_names"),
        "tokenization": tokenization_rules(data_meta),  # per input: the exact rule (pattern, lowercase, ids)
        "data": data_meta,
    }


# -- verification ----------------------------------------------------------------------------------------

def sample_lengths(lengths: Sequence[int], index: int) -> tuple[int, ...]:
    """The lengths input number ``index`` gets: the first input's, rotated by ``index`` samples and ``2 * index``
    steps longer, so that inputs differ in padded width and in which sample is the longest."""
    shift = index % len(lengths)
    rotated = tuple(lengths[shift:]) + tuple(lengths[:shift])
    return tuple(n + 2 * index for n in rotated)


def sample_batches(model: CompiledModel, seed: int = 0) -> list[tuple[torch.Tensor, ...]]:
    """Two padded batches (different batch sizes and lengths) in forward-signature order; pads are zero.
    Each input has its own lengths and padded width (the longest of its samples fills it)."""
    gen = torch.Generator().manual_seed(seed)
    batches = []
    for batch, _, first_lengths in SAMPLE_SHAPES:
        args: list[torch.Tensor] = []
        for index, spec in enumerate(model.inputs):
            lengths = sample_lengths(first_lengths, index)
            steps = max(lengths)
            lengths_t = torch.tensor(lengths, dtype=torch.int64)
            valid = torch.arange(steps).unsqueeze(0) < lengths_t.unsqueeze(1)
            if spec.kind is TensorKind.TOKENS:
                x = torch.randint(1, max(int(spec.vocab or 2), 2), (batch, steps), generator=gen) * valid
            else:
                x = torch.randn(batch, steps, int(spec.features), generator=gen) * valid.unsqueeze(-1)
            args += [x, lengths_t]
        batches.append(tuple(args))
    return batches


def as_list(out: Any) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        return [torch.as_tensor(v) for v in out.values()]
    return [torch.as_tensor(v) for v in out]


def compare(reference: Callable[..., Any], candidate: Callable[..., Any],
            batches: Sequence[tuple[torch.Tensor, ...]]) -> float:
    """The largest absolute difference between two callables' outputs over ``batches``. A candidate (the reloaded
    file) that fails on a batch raises ExportError naming the batch: the file was written but cannot be relied on."""
    worst = 0.0
    with torch.no_grad():
        for args in batches:
            want = as_list(reference(*args))
            try:
                got = as_list(candidate(*args))
            except Exception as err:  # noqa: BLE001 - runtimes raise many types; the message is what matters
                first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                shapes = ", ".join(f"{list(t.shape)}" for t in args[0::2])
                raise ExportError(f"the exported file was written but fails on a check batch of inputs {shapes} "
                                  f"({first}); do not rely on it") from None
            if len(want) != len(got):
                return float("inf")
            for a, b in zip(want, got):
                if tuple(a.shape) != tuple(b.shape):
                    return float("inf")
                diff = float((a.float() - b.float()).abs().max()) if a.numel() else 0.0
                if diff != diff:  # NaN: max() would silently skip it
                    return float("inf")
                worst = max(worst, diff)
    return worst
