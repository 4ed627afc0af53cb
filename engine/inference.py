"""A trained run at work, without Qt: ``Predictor(run)`` classifies text or ids, generates text, translates
with free-running decoding (greedy or beam search), forecasts the validation series and shows validation samples,
reading text exactly as training did (the run's data_meta.json).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from .specs import TensorKind
from .training.runs import Run


class InferenceError(ValueError):
    """A run that cannot be used, or an input that does not apply to its model; the message says which."""


class Predictor:
    """The model of one run (best checkpoint, else last) with its vocabulary, labels and tokenization.

    ``base_dir`` is where the document's relative data paths are read from (for validation samples and the
    forecast); by default the folder of the document the run was started from (``Run.source_dir()``)."""

    def __init__(self, run: Run | str | Path, device: str | torch.device = "cpu", base_dir: str | Path | None = None):
        from .compiler import compile_graph
        from .training.checkpoints import load_checkpoint

        self.run = run if isinstance(run, Run) else Run(run)
        self.document = self.run.read_document()
        self.meta = self.run.read_meta()
        weights = self.run.weights()
        if weights is None:
            raise InferenceError(f"{self.run.path}: no checkpoint yet (a run writes one after its first epoch)")
        self.weights = weights
        self.device = torch.device(device)
        self.compiled = compile_graph(self.document.graph)
        load_checkpoint(self.compiled.module, weights)
        self.module = self.compiled.module.to(self.device).eval()
        self.input = self.compiled.inputs[0]
        self.head = self.compiled.heads[0]
        # The data's task; a run trained on a data object of its own has no meta: its first head's task then.
        self.task = self.meta.get("task") or self.head.task
        self.vocab: list[str] = (self.meta.get("vocab") or {}).get(self.input.name) or []
        self.index = {t: i for i, t in enumerate(self.vocab)}
        self.labels: list[str] = (self.meta.get("labels") or {}).get(self.head.name) or []
        self.base_dir = Path(base_dir) if base_dir is not None else self.run.source_dir()
        self._data = None

    @property
    def run_dir(self) -> Path:
        return self.run.path

    # ------------------------------------------------------------------ text <-> ids
    @property
    def tokenization(self) -> dict:
        """How training turned raw text into the input's ids: ``{tokenizer, lowercase, max_length}`` from
        data_meta.json; for runs older than that field, guessed from the options and the vocabulary."""
        given = (self.meta.get("tokenization") or {}).get(self.input.name)
        if given and given.get("tokenizer"):
            return {"tokenizer": given["tokenizer"], "lowercase": bool(given.get("lowercase", True)),
                    "max_length": given.get("max_length")}
        options = self.meta.get("options") or {}
        plain = [t for t in self.vocab if not (t.startswith("<") and t.endswith(">"))]
        name = options.get("tokenizer") or ("char" if plain and all(len(t) == 1 for t in plain) else "word")
        return {"tokenizer": name, "lowercase": bool(options.get("lowercase", name == "word")),
                "max_length": options.get("max_length")}

    def _require_tokens(self, what: str) -> None:
        if self.input.kind is not TensorKind.TOKENS:
            raise InferenceError(f"{what} needs a model that reads token ids; its input '{self.input.name}' "
                                 f"reads {self.input.kind.value}")

    def encode(self, text: str) -> list[int]:
        """The ids training would give ``text``: same tokenizer, case, length cap and vocabulary (unknown tokens
        become <unk>; an empty text reads as <unk>, as in training)."""
        from .data.tokenizers import tokenizer

        self._require_tokens("text")
        if not self.vocab:
            raise InferenceError(f"{self.run.meta()} has no vocabulary for input '{self.input.name}' (the run was "
                                 f"trained on data given in code): text cannot become its ids; classify ids instead")
        settings = self.tokenization
        tokens = tokenizer(settings["tokenizer"])(text, settings["lowercase"])
        if settings.get("max_length"):
            tokens = tokens[: int(settings["max_length"])]
        unk = self.index.get("<unk>")
        if unk is None:
            unknown = [t for t in tokens if t not in self.index]
            if unknown or not tokens:
                shown = ", ".join(repr(t) for t in dict.fromkeys(unknown)) or "an empty text"
                raise InferenceError(f"input '{self.input.name}' knows no <unk> token, and the text has {shown} "
                                     f"outside its vocabulary of {len(self.vocab)} tokens")
            return [self.index[t] for t in tokens]
        return [self.index.get(t, unk) for t in tokens] or [unk]

    def decode(self, ids) -> str:
        sep = "" if self.tokenization["tokenizer"] == "char" else " "
        return sep.join(self.vocab[int(i)] for i in ids if 0 <= int(i) < len(self.vocab))

    # ------------------------------------------------------------------ classification
    def _forward(self, ids: list[int]) -> torch.Tensor:
        if len(self.compiled.inputs) > 1:
            names = ", ".join(f"'{i.name}'" for i in self.compiled.inputs)
            raise InferenceError(f"the model reads {len(self.compiled.inputs)} inputs ({names}); typed text and "
                                 f"ids apply to models with one input")
        x = torch.tensor([ids], dtype=torch.long, device=self.device)
        lengths = torch.tensor([len(ids)], device=self.device)
        return self.compiled.call({self.input.name: x}, {self.input.name: lengths})[0]

    def probabilities(self, output: torch.Tensor) -> torch.Tensor:
        """Heads return what the Dense before gives: probabilities after softmax/sigmoid, else logits. A binary
        head's single column becomes two (not-class, class). The activation is the one shape analysis carried to
        the head, so a Dropout between the Dense and the head does not hide it (the loss reads the same)."""
        activation = self.head.input_shape.activation
        binary = output.shape[-1] == 1
        if activation in ("softmax", "sigmoid"):
            probs = output
        else:
            probs = torch.sigmoid(output) if binary else torch.softmax(output, -1)
        return torch.cat([1 - probs, probs], -1) if binary else probs

    @torch.no_grad()
    def classify_ids(self, ids: list[int]) -> list[tuple[str, float]]:
        """(label, probability) for every class, most likely first."""
        if self.task != "classification":
            raise InferenceError(f"classify applies to classifiers; this run's task is {self.task or 'unknown'}")
        self._require_tokens("classify")
        if not ids:
            raise InferenceError("classify needs at least one token id")
        size = len(self.vocab) or int(self.input.vocab or 0)
        bad = [i for i in ids if not 0 <= int(i) < size]
        if bad:
            raise InferenceError(f"token id {bad[0]} is outside the vocabulary of input '{self.input.name}' "
                                 f"(ids 0..{size - 1})")
        probs = self.probabilities(self._forward([int(i) for i in ids]))[0].float().cpu().tolist()
        labels = self.labels if len(self.labels) == len(probs) else [str(i) for i in range(len(probs))]
        return sorted(zip(labels, probs), key=lambda p: -p[1])

    def classify_text(self, text: str) -> list[tuple[str, float]]:
        return self.classify_ids(self.encode(text))

    # ------------------------------------------------------------------ generation
    @torch.no_grad()
    def generate(self, prompt: str, temperature: float = 0.8, length: int = 200, seed: int = 0) -> str:
        """``prompt`` continued by ``length`` sampled tokens (never <pad> or <unk>); the same seed gives the same
        text. Low temperatures pick the likeliest tokens, high ones adventurous ones."""
        if self.task != "language_model":
            raise InferenceError(f"generate applies to language models; this run's task is {self.task or 'unknown'}")
        if length < 0:
            raise InferenceError(f"length must be 0 or more, got {length}")
        generator = torch.Generator().manual_seed(seed)
        ids = self.encode(prompt)
        start = len(ids)
        banned = [i for i, t in enumerate(self.vocab) if t in ("<pad>", "<unk>")]
        for _ in range(length):
            probs = self.probabilities(self._forward(ids)[:, -1])[0].float().cpu()
            logits = torch.log(probs.clamp_min(1e-12)) / max(float(temperature), 1e-3)
            logits[banned] = -float("inf")
            ids.append(int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)))
        sep = "" if self.tokenization["tokenizer"] == "char" else " "
        new = self.decode(ids[start:])
        return prompt + (sep + new if new and sep else new)

    # ------------------------------------------------------------------ free-running decoding (seq2seq)
    @torch.no_grad()
    def translate_ids(self, ids: list[int], beam: int = 1, max_length: int = 50) -> list[tuple[str, float]]:
        """The decoder writes on its own, reading its previous prediction (no teacher forcing): up to ``beam``
        hypotheses, best first, as (text without <eos>, probability of the whole answer). Beam 1 is greedy."""
        from .decoding import DecodingError, beam_search, seq2seq_roles

        try:
            roles = seq2seq_roles(self.compiled)
        except DecodingError as err:
            raise InferenceError(str(err)) from None
        if len(roles.sources) != 1 or roles.sources[0] != self.input.name:
            raise InferenceError(f"translate needs one source input ('{self.input.name}') beside the decoder's")
        vocab = (self.meta.get("vocab") or {}).get(roles.decoder) or self.vocab
        index = {t: i for i, t in enumerate(vocab)}
        if "<bos>" not in index or "<eos>" not in index:
            raise InferenceError(f"the decoder input '{roles.decoder}' has no <bos> and <eos> tokens in its "
                                 f"vocabulary: free-running decoding needs both")
        size = len(self.vocab) or int(self.input.vocab or 0)
        bad = [i for i in ids if not 0 <= int(i) < size]
        if bad or not ids:
            raise InferenceError(f"token id {bad[0]} is outside the vocabulary of input '{self.input.name}' (ids "
                                 f"0..{size - 1})" if bad else "translate needs at least one token id")
        source = {self.input.name: torch.tensor([[int(i) for i in ids]], dtype=torch.long, device=self.device)}
        try:
            hypotheses = beam_search(self.compiled, source, index["<bos>"], index["<eos>"], beam, max_length)
        except DecodingError as err:
            raise InferenceError(str(err)) from None
        labels = self.labels or vocab
        sep = "" if self.tokenization["tokenizer"] == "char" else " "
        out = []
        for tokens, logp in hypotheses:
            words = [labels[t] for t in tokens if t != index["<eos>"] and 0 <= t < len(labels)]
            out.append((sep.join(words), float(np.exp(logp))))
        return out

    def translate(self, text: str, beam: int = 1, max_length: int = 50) -> list[tuple[str, float]]:
        """``translate_ids`` of the text, tokenized as in training."""
        return self.translate_ids(self.encode(text), beam, max_length)

    # ------------------------------------------------------------------ validation data
    def data(self):
        """The run's data, prepared again from its document's binding (cached)."""
        if self._data is None:
            from .data import prepare_data

            if not self.document.data:
                raise InferenceError(f"{self.run.document()}: the document has no data binding to take samples "
                                     f"from (the run was trained on data given in code)")

            self._data = prepare_data(self.document.data, self.compiled, self.base_dir)
        return self._data

    def validation_sample(self, index: int) -> tuple[str, str, list[tuple[str, float]]]:
        """(text, true label, class probabilities) of validation sample ``index`` (wrapping around)."""
        split = self.data().val
        if len(split) == 0:
            raise InferenceError("the run's data has no validation split to take a sample from")
        sample = split[index % len(split)]
        ids = [int(i) for i in torch.as_tensor(sample["inputs"][self.input.name]).flatten().tolist() if i != 0]
        target = torch.as_tensor(sample["targets"][self.head.name])
        label = self.labels[int(target)] if self.labels and target.numel() == 1 else str(target.tolist())
        return self.decode(ids), label, self.classify_ids(ids)

    @torch.no_grad()
    def forecast(self, limit: int = 2000) -> tuple[np.ndarray, np.ndarray]:
        """(actual, predicted): the first target value of each validation sample, in split order (time order for
        series), in the model's scaled units; at most about ``limit`` samples."""
        if self.task not in ("forecasting", "regression"):
            raise InferenceError(f"forecast applies to forecasting and regression models; this run's task is "
                                 f"{self.task or 'unknown'}")
        actual, predicted = [], []
        for batch in self.data().loader("val", 256, shuffle=False):
            batch = batch.to(self.device)
            out = self.compiled.call(batch.inputs, batch.lengths)[0]
            actual.append(batch.targets[self.head.name].reshape(len(out), -1)[:, 0].float().cpu())
            predicted.append(out.reshape(len(out), -1)[:, 0].float().cpu())
            if sum(len(a) for a in actual) >= limit:
                break
        if not actual:
            raise InferenceError("the run's data has no validation split to forecast")
        return torch.cat(actual).numpy(), torch.cat(predicted).numpy()
