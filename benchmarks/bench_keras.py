"""Learning speed against Keras 3: the studio's sentiment example and the same model in Keras, side by side.

Both train on the SAME train/validation splits and token ids (engine.data.prepare_data of the document's
binding) for the same number of epochs, with the same learning rate and batch size and the same number of
CPU threads, and the table shows validation accuracy and seconds per epoch of each, plus their ratios.

The studio side is the document itself, trained by the engine's Trainer (no run folder; probes off unless
``--probes``, so both sides time training and validation only). ``--set BLOCK.PARAM=VALUE``,
``--set training.KEY=VALUE`` and ``--set data.KEY=VALUE`` change the document first (e.g. ``--set
lstm.init=keras``, ``--set training.clip=none``, ``--set data.bucketing=false``), for ablations.

The Keras side (KERAS_BACKEND=torch) is Embedding(vocab, dim, mask_zero=True) -> LSTM(hidden) ->
Dense(1, sigmoid), Adam(lr) and binary cross-entropy, all with Keras's own defaults otherwise (glorot_uniform
kernels, orthogonal recurrent kernels, zero biases, unit_forget_bias, uniform(-0.05, 0.05) embeddings,
epsilon 1e-7, no clipping). Padding: the studio batches by length (buckets) and packs each batch, so padding
is never read; Keras gets every sequence post-padded with id 0 to the split's longest length and skips the
padding through mask_zero (the LSTM carries its state over masked steps, so its output is the state after the
last real token, as the studio's "last" port). Keras is an optional dependency (`pip install
'rnn-studio[bench]'`); without it the Keras side is skipped with one line.

    .venv/bin/python benchmarks/bench_keras.py [--epochs 4] [--threads 1] [--document examples/sentiment.json]
        [--set lstm.init=keras ...] [--only studio|keras] [--json FILE]
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")  # before keras is imported (it reads this once)

import torch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.compiler import compile_graph  # noqa: E402
from engine.data import prepare_data  # noqa: E402
from engine.document import load_document  # noqa: E402
from engine.training import Trainer  # noqa: E402


def parse_setting(text: str) -> tuple[str, str, object]:
    """"lstm.init=keras" -> ("lstm", "init", "keras"); values are JSON when they parse (1, true, 0.5), else text."""
    target, sep, raw = text.partition("=")
    where, dot, key = target.partition(".")
    if not sep or not dot or not where or not key:
        raise SystemExit(f"--set {text!r}: write BLOCK.PARAM=VALUE, training.KEY=VALUE or data.KEY=VALUE")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return where, key, value


def apply_settings(document, settings: list[str]) -> None:
    for text in settings:
        where, key, value = parse_setting(text)
        if where in ("training", "data"):  # e.g. training.clip=none, data.bucketing=false
            getattr(document, where)[key] = value
            continue
        node = document.graph.by_name(where)
        if node is None:
            names = ", ".join(n.name for n in document.graph)
            raise SystemExit(f"--set {text!r}: no block named '{where}' (blocks: {names})")
        document.graph.set_param(node.id, key, value)


def studio_side(document, data, epochs: int, probes: bool) -> list[dict]:
    document.training.update(epochs=epochs, early_stopping=0)
    if not probes:
        document.training["probes"] = []
    result = Trainer(document, data=data, write_run_dir=False).run()
    if result.status != "completed":
        raise SystemExit(f"the studio's run ended '{result.status}': {result.message}")
    return [{"val_accuracy": e.val["accuracy"], "train_accuracy": e.train.get("accuracy"), "seconds": e.duration_s}
            for e in result.epochs]


def split_arrays(split) -> tuple[torch.Tensor, torch.Tensor]:
    """All of a split as one post-padded id matrix [N, longest] (0 = padding) and its 0/1 labels [N]."""
    batch = split.batch(torch.arange(len(split)))
    (tokens,), (labels,) = batch.inputs.values(), batch.targets.values()
    return tokens, labels.float()


def shape_of(document) -> dict:
    """Vocabulary, embedding size and hidden size read from the document's embedding and LSTM blocks."""
    kinds = {node.kind: node.params for node in document.graph}
    if "embedding" not in kinds or "lstm" not in kinds:
        raise SystemExit("the Keras twin is Embedding -> LSTM -> Dense(1, sigmoid): the document needs an "
                         "embedding and an lstm block")
    return {"vocab": kinds["embedding"]["vocab_size"], "dim": kinds["embedding"]["dim"],
            "hidden": kinds["lstm"]["hidden_size"]}


def load_keras():
    """The keras module, or None when it is not installed (the benchmark then trains the studio only)."""
    if importlib.util.find_spec("keras") is None:
        return None
    import keras

    return keras


def keras_side(document, data, epochs: int) -> list[dict]:
    import keras

    keras.utils.set_random_seed(int(document.training.get("seed", 0)))
    size = shape_of(document)
    x_train, y_train = split_arrays(data.train)
    x_val, y_val = split_arrays(data.val)
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int64"),
        keras.layers.Embedding(size["vocab"], size["dim"], mask_zero=True),
        keras.layers.LSTM(size["hidden"]),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=document.training["lr"]),
                  loss="binary_crossentropy", metrics=["accuracy"])

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            logs["seconds"] = time.perf_counter() - self.started

    history = model.fit(x_train.numpy(), y_train.numpy(), batch_size=document.training["batch_size"],
                        epochs=epochs, shuffle=True, validation_data=(x_val.numpy(), y_val.numpy()),
                        callbacks=[Clock()], verbose=0)
    h = history.history
    return [{"val_accuracy": h["val_accuracy"][i], "train_accuracy": h["accuracy"][i], "seconds": h["seconds"][i]}
            for i in range(epochs)]


def table(studio: list[dict] | None, keras_rows: list[dict] | None) -> str:
    lines = ["| Epoch | Studio val acc | Keras 3 val acc | Difference | Studio s/epoch | Keras s/epoch "
             "| Time ratio (K/S) |",
             "|---|---|---|---|---|---|---|"]
    for i in range(max(len(studio or ()), len(keras_rows or ()))):
        s = studio[i] if studio and i < len(studio) else None
        k = keras_rows[i] if keras_rows and i < len(keras_rows) else None
        acc = lambda r: f"{100 * r['val_accuracy']:.1f} %" if r else "—"  # noqa: E731
        sec = lambda r: f"{r['seconds']:.1f}" if r else "—"  # noqa: E731
        diff = f"{100 * (s['val_accuracy'] - k['val_accuracy']):+.1f} points" if s and k else "—"
        ratio = f"{k['seconds'] / s['seconds']:.2f}" if s and k else "—"
        lines.append(f"| {i + 1} | {acc(s)} | {acc(k)} | {diff} | {sec(s)} | {sec(k)} | {ratio} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--document", default=str(ROOT / "examples" / "sentiment.json"))
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="CPU threads of both sides (torch.set_num_threads)")
    parser.add_argument("--set", action="append", default=[], metavar="BLOCK.PARAM=VALUE",
                        help="change the studio's document first (BLOCK may be 'training' or 'data')")
    parser.add_argument("--only", choices=("studio", "keras"), help="train one side only")
    parser.add_argument("--probes", action="store_true", help="keep the document's probes on (the GUI's cost)")
    parser.add_argument("--json", help="also write the rows to this file")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    torch.set_num_threads(args.threads)
    document = load_document(args.document)
    apply_settings(document, args.set)
    document.training["device"] = "cpu"
    # with the compiled model, as a run prepares it: the vocabulary is capped at the embedding's size
    data = prepare_data(document.data, compile_graph(document.graph), base_dir=Path(args.document).parent)
    cfg = document.training
    print(f"{Path(args.document).name}: {len(data.train)} training / {len(data.val)} validation samples, "
          f"batch {cfg['batch_size']}, lr {cfg['lr']}, {args.epochs} epochs, {args.threads} thread(s), "
          f"torch {torch.__version__}" + (f", settings {' '.join(args.set)}" if args.set else ""), flush=True)
    keras_rows = studio = None
    if args.only != "keras":
        studio = studio_side(document, data, args.epochs, args.probes)
    if args.only != "studio":
        keras = load_keras()
        if keras is None:
            print("keras is not installed: Keras side skipped (pip install 'rnn-studio[bench]')")
        else:
            print(f"Keras {keras.__version__}, backend {keras.backend.backend()}", flush=True)
            keras_rows = keras_side(document, data, args.epochs)
    print(table(studio, keras_rows))
    if args.json:
        Path(args.json).write_text(json.dumps({"settings": args.set, "studio": studio, "keras": keras_rows},
                                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
