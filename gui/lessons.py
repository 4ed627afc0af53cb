"""The lessons the bundled examples teach, in the order a learner meets them: each with the one thing to look
at; the start page groups the examples by them (an example in no lesson is listed under More examples)."""
from __future__ import annotations

# (lesson, where to look, bundled examples in the order to open them)
LESSONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Vanishing gradients", "train the RNN, then the LSTM: Gradients ▸ per time step shows the RNN's gradient "
     "fading towards the first steps while the LSTM's stays", ("adding_rnn", "adding_lstm", "vanishing_gradients",
                                                               "copy_rnn", "copy_lstm", "copy_experiment")),
    ("Gates", "click the recurrent block: the Gates tab shows what each gate lets through, step by step",
     ("adding_gru", "digits")),
    ("Exploding gradients", "the unclipped run stops with a NaN naming the block; the clipped twin trains — the "
     "red marks on Gradients are the steps clipping acted", ("exploding_unclipped", "exploding_clipped",
                                                              "exploding_gradients")),
    ("Bidirectional context", "tagging a token by what comes later: only the bidirectional model can",
     ("repeats_unidirectional", "repeats_bidirectional", "repeats_experiment")),
    ("Attention", "the Attention tab shows which characters or words the model reads", ("names", "sentiment")),
    ("Sequence to sequence", "Try it decodes free-running; compare with the teacher-forced accuracy",
     ("seq2seq", "seq2seq_long_attention", "seq2seq_long_plain")),
    ("Overfitting", "Curves: the gap between training and validation loss, without and with regularization",
     ("sentiment_overfit", "sentiment_regularized", "sentiment_experiment")),
    ("Initialization", "identity recurrent weights (IRNN) start a plain ReLU RNN on the adding problem; the sweep "
     "shows that at length 50 the ReLU learns from every start and tanh units from none",
     ("adding_irnn", "init_experiment")),
    ("Forecasting", "Try it ▸ forecast over the actual series; the unscaled variant shows why scaling matters",
     ("forecast", "co2", "co2_unscaled", "co2_experiment")),
    ("Text generation", "Try it generates text; truncated BPTT cuts are marked on Gradients ▸ per time step",
     ("charlm",)),
    ("Choosing a design", "an experiment: the trial table ranks the variants", ("tune_names",)),
)
MORE = "More examples"

# What each example shows and where to look, in one line under its name on the start page (an example not listed
# here shows the first sentence of its description).
SEE: dict[str, str] = {
    "adding_rnn": "the validation loss stays at the mean's 0.17; Gradients ▸ per time step fades towards the start",
    "adding_lstm": "the loss leaves the 0.17 plateau after a few epochs; its gradient reaches the first steps",
    "vanishing_gradients": "sweep it: RNN, GRU and LSTM at lengths 10 to 100 in one table — the RNN fails from 50",
    "copy_rnn": "per-step accuracy stalls near the 75 % of blanks: the symbols are forgotten over the wait",
    "copy_lstm": "per-step accuracy climbs towards 100 %; the Gates tab shows the forget gate holding on",
    "copy_experiment": "sweep it: RNN, GRU and LSTM, waiting 10 or 20 steps — which cells remember",
    "adding_gru": "the Gates tab shows the update and reset gates; it learns with fewer parameters than the LSTM",
    "digits": "the Gates tab, step by step over the 8 pixel rows, and a confusion matrix of the 10 digits",
    "exploding_unclipped": "the run stops in the first epoch with a NaN naming the block; Gradients shows the jump",
    "exploding_clipped": "the same run with clipping trains: the red marks on Gradients are the steps clipping acted",
    "exploding_gradients": "sweep it: clipped and unclipped, three seeds each — every unclipped run diverges",
    "repeats_unidirectional": "per-step accuracy stays well below 100 %: reading left to right, it cannot know",
    "repeats_bidirectional": "per-step accuracy reaches 100 %: the backward half has read what comes later",
    "repeats_experiment": "sweep it: one direction against both, two seeds each",
    "names": "the Attention tab: which characters of a surname the model reads to name its language",
    "sentiment": "Try it: type a review and see the probability that it is positive; Curves per epoch",
    "seq2seq": "Try it decodes free-running; compare with the teacher-forced accuracy on Curves",
    "seq2seq_long_attention": "the Attention tab: flat rows sharpen into an anti-diagonal, each output digit "
                              "reading the source digit it copies",
    "seq2seq_long_plain": "the same model without attention: 83 % per step and 66 % free-running, against "
                          "99.8 % and 98.7 %",
    "sentiment_overfit": "Curves: training accuracy climbs to 94 % while validation stays near 77 %",
    "sentiment_regularized": "Curves: with dropout and weight decay training and validation stay together",
    "sentiment_experiment": "sweep it: each regulariser on and off — compare training with validation accuracy",
    "adding_irnn": "identity recurrent weights: the ReLU RNN leaves the 0.17 plateau the tanh RNN never leaves",
    "init_experiment": "sweep it: tanh or ReLU units, each started four ways — at length 50 the unit decides",
    "forecast": "Try it ▸ forecast over the actual sunspot series, one year ahead",
    "co2": "it learns the week's change: Try it ▸ forecast follows the season, beating last week's value",
    "co2_unscaled": "raw ppm saturate the LSTM: it learns no season and does no better than last week's value",
    "co2_experiment": "sweep it: scaler standard, minmax or none against the last-value baseline",
    "charlm": "Try it writes text; truncated BPTT cuts are marked on Gradients ▸ per time step",
    "tune_names": "sweep it: Optuna's TPE searches layers, sizes and learning rate; the table ranks the trials",
}

# How long each example trains on a CPU, measured (not estimated) by benchmarks/bench_lesson_times.py on the
# development machine, a shared 2-core x86 server, on 2026-12-01 (torch 2.13, one torch thread) while other jobs
# kept its load average at 15-21. Because of that load the figures are the process's CPU seconds, which is what a
# run takes on one free core (wall clock there was 5-10 times longer); Python and torch are already loaded, as in
# the studio. Checked against a whole run: `rnn-studio train examples/digits.json` (30 epochs) took 8.5 CPU s, of
# which 2.0 s start Python and torch; the table gives 0.23 + 29 x 0.16 = 4.9 s for the other 6.5 s. Two
# measurements of one epoch differ by up to 40 % on this loaded machine: the figures are good to about a third,
# which is what "about 2 min" promises. The first example a process trains also pays one-time costs (about 1 s).
# name: (CPU s of one epoch's run: data, the epoch and the test evaluation; CPU s of that epoch alone;
#        epochs the example runs to its README result)
TRAIN_CPU: dict[str, tuple[float, float, int]] = {
    "adding_rnn": (2.2, 2.12, 8),
    "adding_lstm": (1.9, 1.83, 25),
    "adding_gru": (4.8, 4.63, 10),
    "adding_irnn": (2.1, 2.05, 12),
    "copy_rnn": (0.6, 0.48, 15),
    "copy_lstm": (0.7, 0.59, 15),
    "digits": (0.23, 0.16, 30),
    "exploding_unclipped": (0.08, 0.08, 1),
    "exploding_clipped": (0.5, 0.47, 10),
    "repeats_unidirectional": (0.9, 0.52, 12),
    "repeats_bidirectional": (1.1, 0.83, 12),
    "names": (2.4, 0.98, 12),
    "sentiment": (6.9, 5.87, 4),  # early stop after 4 epochs since the keras init
    "seq2seq": (5.9, 4.50, 8),
    "seq2seq_long_attention": (22.78, 14.56, 10),  # measured 2026-12-01 04:15 UTC, load average below 2
    "seq2seq_long_plain": (15.41, 10.40, 10),
    "sentiment_overfit": (7.2, 6.24, 5),
    "sentiment_regularized": (8.0, 7.26, 5),
    "forecast": (1.39, 0.16, 34),
    "co2": (0.48, 0.44, 39),
    "co2_unscaled": (0.5, 0.44, 21),
    "charlm": (30.8, 30.43, 2),
}
# Experiments: user + system CPU s of the whole `rnn-studio sweep FILE --workers 2` (/usr/bin/time: the parent and
# both workers, starting Python and torch included) on the same machine and day; a sweep on two free cores takes
# about half of it. init_experiment: its tanh half and its ReLU half, swept separately, added. vanishing_gradients,
# exploding_gradients and tune_names: twice the wall time the README reports for their 2-worker sweeps.
SWEEP_CPU: dict[str, float] = {
    "copy_experiment": 87.1,
    "repeats_experiment": 43.0,
    "sentiment_experiment": 173.0,
    "init_experiment": 187.6,
    "co2_experiment": 59.8,
    "vanishing_gradients": 754.0,
    "exploding_gradients": 56.0,
    "tune_names": 160.0,  # 80 s wall on two quiet cores (2026-12-01)
}


def train_seconds(name: str) -> float | None:
    """Measured seconds an example takes to train on one CPU core (an experiment: its sweep on two), or None."""
    if name in SWEEP_CPU:
        return SWEEP_CPU[name] / 2
    if name in TRAIN_CPU:
        first, epoch, epochs = TRAIN_CPU[name]
        return first + (epochs - 1) * epoch
    return None


def duration_text(seconds: float) -> str:
    """"about 40 s", "about 2 min", "about 1.5 h": rounded the way a learner plans a coffee."""
    if seconds < 55:
        return f"about {max(5, round(seconds / 5) * 5)} s"
    if seconds < 90 * 60:
        return f"about {max(1, round(seconds / 60))} min"
    return f"about {seconds / 3600:.1f} h"


def cpu_time(name: str) -> str | None:
    """The start page's line on training time, e.g. "trains in about 2 min on a CPU"."""
    seconds = train_seconds(name)
    if seconds is None:
        return None
    if name in SWEEP_CPU:
        return f"the sweep takes {duration_text(seconds)} on 2 CPU cores"
    return f"trains in {duration_text(seconds)} on a CPU"
