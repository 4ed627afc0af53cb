"""Synthetic tasks from the RNN literature, deterministic by seed: the adding problem and the copy task
(long-range memory, where LSTMs beat plain RNNs), noisy sine waves, and digit reversal/sorting (seq2seq).
"""
from __future__ import annotations

import math
import os

from ..lazy import torch  # imported at first use: the window and shape checks start without it

from .base import DataError, LoadContext, Table
from .tokenizers import BOS, EOS, PAD


def _int(options: dict, name: str, low: int, high: int = 10**7) -> int:
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value or not low <= value <= high:
        raise DataError(f"option '{name}' must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


MEMORY_CAP = 2**30  # bytes a generated dataset may take at most, whatever the machine (1 GiB)


def machine_memory() -> int | None:
    """Physical memory in bytes, where the system says (Linux, macOS); None elsewhere."""
    try:
        return int(os.sysconf("SC_PAGE_SIZE")) * int(os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, OSError, ValueError):
        return None


def memory_limit() -> tuple[int, str]:
    """(bytes, why): the cap, or an eighth of the machine's memory if less (preparing and batching copy the
    data a few times)."""
    memory = machine_memory()
    if memory and memory // 8 < MEMORY_CAP:
        return memory // 8, f"an eighth of this machine's {_size(memory)} of memory"
    return MEMORY_CAP, "the cap for generated data"


def _size(size: float) -> str:
    return f"{size / 1e9:,.1f} GB" if size >= 1e9 else f"{size / 1e6:,.1f} MB"


def refuse_huge(dataset: str, samples: int, steps: int, features: int, bytes_per_value: int, options: str) -> None:
    """Refuses, before anything is generated, a dataset whose estimated size (samples x steps x features x
    bytes) is over memory_limit(); the message gives the estimate, the limit and the options to lower."""
    size, (limit, why) = samples * steps * features * bytes_per_value, memory_limit()
    if size > limit:
        raise DataError(f"dataset '{dataset}': {samples:,} samples x {steps:,} steps x {features} values x "
                        f"{bytes_per_value} bytes would take about {_size(size)}, over the limit of {_size(limit)} "
                        f"({why}): lower {options}")


def _generator(ctx: LoadContext) -> torch.Generator:
    return torch.Generator().manual_seed(int(ctx.seed))


def adding(options: dict, ctx: LoadContext) -> Table:
    """Hochreiter & Schmidhuber (1997), in the form of Le et al. (2015): feature 0 is a value in [0, 1],
    feature 1 marks two steps, one in each half; the target is the sum of the two marked values.
    Predicting the mean (1.0) gives an MSE of 1/6, about 0.17."""
    n, steps = _int(options, "samples", 1), _int(options, "length", 2)
    refuse_huge("adding", n, steps, 2, 4, "'samples' or 'length'")
    g = _generator(ctx)
    values = torch.rand(n, steps, generator=g)
    half = steps // 2
    first = torch.randint(0, half, (n,), generator=g)
    second = torch.randint(half, steps, (n,), generator=g)
    marks = torch.zeros(n, steps)
    rows = torch.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    x = torch.stack([values, marks], dim=2)
    y = (values * marks).sum(1, keepdim=True)
    return Table({"sequence": x, "sum": y}, feature_names={"sequence": ["value", "marker"], "sum": ["sum"]})


COPY_SYMBOLS = 8


def copy_task(options: dict, ctx: LoadContext) -> Table:
    """The copy (memory) task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): read ``length`` symbols,
    wait ``delay`` steps, and after the ':' marker write the symbols back. Tokens: 0 <pad>, 1-8 symbols,
    9 blank '_', 10 marker ':'; the per-step target uses the same ids."""
    n, length, delay = _int(options, "samples", 1), _int(options, "length", 1), _int(options, "delay", 1)
    refuse_huge("copy", n, 2 * length + delay, 2, 8, "'samples', 'length' or 'delay'")  # int64 input and target
    g = _generator(ctx)
    symbols = torch.randint(1, COPY_SYMBOLS + 1, (n, length), generator=g)
    blank, marker = COPY_SYMBOLS + 1, COPY_SYMBOLS + 2
    x = torch.full((n, 2 * length + delay), blank, dtype=torch.long)
    x[:, :length] = symbols
    x[:, length + delay - 1] = marker
    y = torch.full_like(x, blank)
    y[:, length + delay:] = symbols
    vocab = [PAD] + [str(i) for i in range(1, COPY_SYMBOLS + 1)] + ["_", ":"]
    return Table({"symbols": list(x), "recall": list(y)}, vocab={"symbols": vocab}, labels={"recall": vocab})


def sine(options: dict, ctx: LoadContext) -> Table:
    """Sine waves of random frequency, amplitude and phase with Gaussian noise on the inputs; the target is
    the noise-free value ``horizon`` steps after the window."""
    n, steps, horizon = _int(options, "samples", 1), _int(options, "length", 2), _int(options, "horizon", 1)
    refuse_huge("sine", n, steps + horizon, 2, 4, "'samples' or 'length'")  # the clean wave and the noisy one
    noise = float(options["noise"])
    if not noise >= 0:
        raise DataError(f"option 'noise' must be 0 or more, not {options['noise']!r}")
    g = _generator(ctx)
    freq = 0.02 + 0.08 * torch.rand(n, 1, generator=g)  # cycles per step: 10 to 50 steps per period
    amp = 0.5 + torch.rand(n, 1, generator=g)
    phase = 2 * math.pi * torch.rand(n, 1, generator=g)
    t = torch.arange(steps + horizon, dtype=torch.float32).unsqueeze(0)
    clean = amp * torch.sin(2 * math.pi * freq * t + phase)
    x = clean[:, :steps] + noise * torch.randn(n, steps, generator=g)
    y = clean[:, steps:steps + horizon]
    return Table({"window": x.unsqueeze(2), "next": y}, feature_names={
        "window": ["value"], "next": [f"value[t+{k + 1}]" for k in range(horizon)]})


SEQ_VOCAB = [PAD, BOS, EOS] + [str(d) for d in range(10)]


def digits_seq2seq(options: dict, ctx: LoadContext) -> Table:
    """Digit strings to reverse (or sort). ``source`` is the digits; the decoder reads ``target_in``
    (<bos> + answer) and predicts ``target_out`` (answer + <eos>), one step ahead (teacher forcing)."""
    n = _int(options, "samples", 1)
    low, high = _int(options, "min_length", 1, 1000), _int(options, "max_length", 1, 1000)
    if low > high:
        raise DataError(f"option 'min_length' ({low}) is larger than 'max_length' ({high})")
    # Python lists of ints (a pointer each) for three fields, plus the [samples, max_length] work tensors
    refuse_huge("reverse", n, high + 1, 3, 8, "'samples' or 'max_length'")
    task = options["task"]
    if task not in ("reverse", "sort"):
        raise DataError(f"option 'task' must be reverse or sort, not {task!r}")
    g = _generator(ctx)
    lengths = torch.randint(low, high + 1, (n,), generator=g)
    digits = torch.randint(0, 10, (n, high), generator=g)
    steps = torch.arange(high).unsqueeze(0)
    real = steps < lengths.unsqueeze(1)
    if task == "reverse":
        answer = digits.gather(1, (lengths.unsqueeze(1) - 1 - steps).clamp(min=0))
    else:  # padding sorts last, so the first ``length`` values are the sorted digits
        answer = torch.where(real, digits, torch.full_like(digits, 10)).sort(dim=1).values
    first_digit = SEQ_VOCAB.index("0")
    bos, eos = SEQ_VOCAB.index(BOS), SEQ_VOCAB.index(EOS)
    source, target_in, target_out = [], [], []
    for row, ans, length in zip((digits + first_digit).tolist(), (answer + first_digit).tolist(), lengths.tolist()):
        source.append(row[:length])
        target_in.append([bos] + ans[:length])
        target_out.append(ans[:length] + [eos])
    vocab = list(SEQ_VOCAB)
    return Table({"source": source, "target_in": target_in, "target_out": target_out},
                 vocab={"source": vocab, "target_in": vocab}, labels={"target_out": vocab})


REPEAT_LABELS = ["last", "again"]


def repeats(options: dict, ctx: LoadContext) -> Table:
    """Tagging that needs the future: each token is tagged "again" if the same symbol occurs later in the
    sequence, else "last". A left-to-right reader cannot know; a bidirectional one has read the rest.
    Tokens: 0 <pad>, 1..symbols the symbols (written 'a', 'b', ...)."""
    n, symbols = _int(options, "samples", 1), _int(options, "symbols", 2, 26)
    low, high = _int(options, "min_length", 1, MAX_REPEAT_LENGTH), _int(options, "max_length", 1, MAX_REPEAT_LENGTH)
    if low > high:
        raise DataError(f"option 'min_length' ({low}) is larger than 'max_length' ({high})")
    refuse_huge("repeats", n, high, 2, 8, "'samples' or 'max_length'")
    g = _generator(ctx)
    lengths = torch.randint(low, high + 1, (n,), generator=g).tolist()
    tokens = torch.randint(1, symbols + 1, (n, high), generator=g)
    # later[b, t] = the symbol at t occurs at some step after t (within the sequence's own length)
    same = tokens.unsqueeze(2) == tokens.unsqueeze(1)  # [n, t, u]
    after = torch.arange(high).unsqueeze(0) > torch.arange(high).unsqueeze(1)  # u > t
    rows_x, rows_y = [], []
    for row, (seq, length) in enumerate(zip(tokens, lengths)):
        within = after[:length, :length] & same[row, :length, :length]
        rows_x.append(seq[:length].clone())
        rows_y.append(within.any(dim=1).long())
    vocab = [PAD] + [chr(ord("a") + i) for i in range(symbols)]
    return Table({"tokens": rows_x, "tags": rows_y}, vocab={"tokens": vocab}, labels={"tags": list(REPEAT_LABELS)})


MAX_REPEAT_LENGTH = 1000
