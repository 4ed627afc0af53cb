"""The lessons the bundled examples teach, in the order a learner meets them: each with the one thing to look
at; the start page groups the examples by them (an example in no lesson is listed under More examples)."""
from __future__ import annotations

# (lesson, where to look, bundled examples in the order to open them)
LESSONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Vanishing gradients", "train the RNN, then the LSTM: Gradients ▸ per time step shows the RNN's gradient "
     "fading towards the first steps while the LSTM's stays", ("adding_rnn", "adding_lstm", "vanishing_gradients",
                                                               "copy_rnn", "copy_lstm")),
    ("Gates", "click the recurrent block: the Gates tab shows what each gate lets through, step by step",
     ("adding_gru", "digits")),
    ("Exploding gradients", "the unclipped run stops with a NaN naming the block; the clipped twin trains — the "
     "red marks on Gradients are the steps clipping acted", ("exploding_unclipped", "exploding_clipped",
                                                              "exploding_gradients")),
    ("Bidirectional context", "tagging a token by what comes later: only the bidirectional model can",
     ("repeats_unidirectional", "repeats_bidirectional")),
    ("Attention", "the Attention tab shows which characters or words the model reads", ("names", "sentiment")),
    ("Sequence to sequence", "Try it decodes free-running; compare with the teacher-forced accuracy",
     ("seq2seq", "seq2seq_long_attention", "seq2seq_long_plain")),
    ("Overfitting", "Curves: the gap between training and validation loss, without and with regularization",
     ("sentiment_overfit", "sentiment_regularized")),
    ("Initialization", "identity recurrent weights (IRNN) let a plain ReLU RNN learn the adding problem",
     ("adding_irnn",)),
    ("Forecasting", "Try it ▸ forecast over the actual series; the unscaled variant shows why scaling matters",
     ("forecast", "co2", "co2_unscaled")),
    ("Text generation", "Try it generates text; truncated BPTT cuts are marked on Gradients ▸ per time step",
     ("charlm",)),
    ("Choosing a design", "an experiment: the trial table ranks the variants", ("tune_names",)),
)
MORE = "More examples"
