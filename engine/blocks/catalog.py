"""The block catalog: one declarative entry per block kind. Adding a block kind = adding one entry here.

A shape rule receives the block's parameters and the shapes of its connected inputs (their tensor kinds
are already checked against the ports) and returns the output shapes, or raises ShapeError naming the
input port that does not fit and how to fix it.

The catalog itself imports no torch (the window, shape checks and `rnn-studio check` start without it): the
torch modules are imported the first time a block is built.
"""
from __future__ import annotations

from ..lazy import OnFirstUse
from ..specs import BlockSpec, HeadSpec, Param, Port, PortShape, ShapeError, StateInfo, TensorKind
from . import options as opt

# Imported the first time a block is built (the import lock makes that safe from the training thread).
att = OnFirstUse(".attention_modules", __package__)
lay = OnFirstUse(".layer_modules", __package__)
rec = OnFirstUse(".recurrent_modules", __package__)
ini = OnFirstUse(".initialization", __package__)
nn = OnFirstUse("torch.nn")

TOK, SEQ, VEC, STATE = TensorKind.TOKENS, TensorKind.SEQUENCE, TensorKind.VECTOR, TensorKind.STATE
SEQ_OR_VEC = (SEQ, VEC)

CATALOG: dict[str, BlockSpec] = {}


def _entry(spec: BlockSpec) -> BlockSpec:
    CATALOG[spec.id] = spec
    return spec


def _p_int(name, default, lo, hi, help, **kw):
    return Param(name, int, default, help, min=lo, max=hi, **kw)


def _p_float(name, default, lo, hi, help, **kw):
    return Param(name, float, default, help, min=lo, max=hi, **kw)


def _p_choice(name, default, choices, help, **kw):
    return Param(name, str, default, help, choices=tuple(choices), **kw)


ACTIVATIONS = ("none", "relu", "tanh", "sigmoid", "gelu", "softmax")


# ---------------------------------------------------------------- inputs

_entry(BlockSpec(
    id="token_input", title="Token sequence", category="Inputs", name_prefix="tokens",
    description="Integer token ids [batch, time] from a tokenizer, with their lengths.",
    params=(_p_int("vocab_size", 10000, 2, 10_000_000, "How many distinct token ids the data can hold."),),
    inputs=(), outputs=(Port("tokens", (TOK,), "token ids [B, T]"),),
    shape=lambda p, ins: {"tokens": PortShape(TOK, vocab=p["vocab_size"])},
    build=lambda p, ins: lay.Identity(), key_params=("vocab_size",),
))

_entry(BlockSpec(
    id="feature_input", title="Feature sequence", category="Inputs", name_prefix="features",
    description="Real-valued features per time step [batch, time, features], e.g. a time series.",
    params=(_p_int("features", 1, 1, 100_000, "Number of values at each time step."),),
    inputs=(), outputs=(Port("sequence", (SEQ,), "features [B, T, F]"),),
    shape=lambda p, ins: {"sequence": PortShape(SEQ, features=p["features"])},
    build=lambda p, ins: lay.Identity(), key_params=("features",),
))


# ---------------------------------------------------------------- embedding

def _embedding_shape(p, ins):
    tokens = ins["tokens"]
    if p["padding_idx"] >= p["vocab_size"]:
        raise ShapeError(None, f"has padding index {p['padding_idx']}, outside its vocabulary of "
                               f"{p['vocab_size']} ids: use 0 (or -1 for none)")
    if tokens.vocab is not None and tokens.vocab > p["vocab_size"]:
        raise ShapeError("tokens", f"receives token ids up to {tokens.vocab - 1} but holds only "
                                   f"{p['vocab_size']} entries: raise its vocabulary size to {tokens.vocab}")
    return {"sequence": PortShape(SEQ, features=p["dim"], time=tokens.time)}


_entry(BlockSpec(
    id="embedding", title="Embedding", category="Embedding",
    description="Looks up a learned vector for every token id.",
    params=(
        _p_int("vocab_size", 10000, 2, 10_000_000, "Number of rows: must cover every token id."),
        _p_int("dim", 64, 1, 8192, "Length of each token's vector.", label="Dimension"),
        _p_int("padding_idx", 0, -1, 10_000_000, "Token id used for padding (its vector stays zero); -1 for none.",
               label="Padding index"),
        _p_choice("init", "default", opt.LAYER_INITS, "How the vectors start: PyTorch's default N(0, 1), "
                                                      "Xavier/Glorot uniform (small values), or keras: "
                                                      "uniform(-0.05, 0.05) as Keras does."),
    ),
    inputs=(Port("tokens", (TOK,), "token ids"),), outputs=(Port("sequence", (SEQ,), "vectors [B, T, dim]"),),
    shape=_embedding_shape,
    build=lambda p, ins: _embedding(p),
    key_params=("vocab_size", "dim"),
))


def _embedding(p):
    module = nn.Embedding(p["vocab_size"], p["dim"], padding_idx=None if p["padding_idx"] < 0 else p["padding_idx"])
    ini.init_embedding(module, p.get("init", "default"))
    return module


# ---------------------------------------------------------------- recurrent

RECURRENT_CELLS = ("lstm", "gru", "rnn_tanh", "rnn_relu")


def _cell_family(cell: str) -> str:
    return "rnn" if cell.startswith("rnn") else cell


def _recurrent_shape(cell_of, bidirectional):
    def rule(p, ins):
        x = ins["input"]
        cell = cell_of(p)
        if p.get("init") == "identity" and not cell.startswith("rnn"):
            raise ShapeError(None, f"starts its {cell.upper()} cell with identity recurrent weights, which only a "
                                   "plain RNN cell uses (IRNN): choose init orthogonal, or cell rnn_relu")
        directions = 2 if bidirectional else 1
        state = StateInfo(_cell_family(cell), p["layers"], directions, p["hidden_size"])
        given = ins.get("initial_state")
        if given is not None and given.state != state:
            raise ShapeError("initial_state",
                             f"is given {given.state.describe()} on 'initial_state' but needs {state.describe()}: "
                             "give both blocks the same cell type, hidden size, layers and directions")
        width = p["hidden_size"] * (2 if bidirectional and p.get("merge", "concat") == "concat" else 1)
        return {
            "sequence": PortShape(SEQ, features=width, time=x.time),
            "last": PortShape(VEC, features=width),
            "state": PortShape(STATE, state=state),
        }
    return rule


_RECURRENT_PORTS = dict(
    inputs=(Port("input", (SEQ,), "the sequence to read"),
            Port("initial_state", (STATE,), "start from another block's final state (optional)", optional=True)),
    outputs=(Port("sequence", (SEQ,), "hidden state at every step"),
             Port("last", (VEC,), "hidden state after the last real step"),
             Port("state", (STATE,), "final state, to start a decoder")),
    lengths_of=("input",),
)

_HIDDEN = _p_int("hidden_size", 128, 1, 8192, "Number of units in the hidden state.", label="Hidden size")
_LAYERS = _p_int("layers", 1, 1, 16, "Stacked recurrent layers.")
_DROPOUT = _p_float("dropout", 0.0, 0.0, 0.95, "Dropout between stacked layers (only with 2+ layers).")
_WEIGHT_DROP = _p_float("weight_drop", 0.0, 0.0, 0.95, "Recurrent weight dropout (DropConnect, AWD-LSTM): the "
                        "fraction of hidden-to-hidden weights zeroed, one mask per batch, while training.",
                        label="Weight drop")
_FORGET_HELP = "Start the forget gate's bias at 1 so the cell keeps its memory early in training (Jozefowicz 2015)."


def _init_param(choices):
    return _p_choice("init", "default", choices, opt.INIT_HELP)


def _recurrent_options(p):
    return dict(init=p.get("init", "default"), forget_bias=p.get("forget_bias", False),
                weight_drop=p.get("weight_drop", 0.0))

for _cell, _title, _desc in (
    ("lstm", "LSTM", "Long short-term memory: gates decide what to keep, so it remembers over long spans."),
    ("gru", "GRU", "Gated recurrent unit: a lighter gated cell with reset and update gates."),
):
    _entry(BlockSpec(
        id=_cell, title=_title, category="Recurrent", description=_desc,
        params=(_HIDDEN, _LAYERS, _DROPOUT, _WEIGHT_DROP, _init_param(opt.GATED_INITS))
        + ((Param("forget_bias", bool, False, _FORGET_HELP, label="Forget-gate bias 1"),) if _cell == "lstm" else ()),
        shape=_recurrent_shape(lambda p, c=_cell: c, False),
        build=lambda p, ins, c=_cell: rec.make_recurrent(
            c, ins["input"].features, p["hidden_size"], p["layers"], p["dropout"], **_recurrent_options(p)),
        key_params=("hidden_size", "layers"), **_RECURRENT_PORTS,
    ))

_entry(BlockSpec(
    id="rnn", title="RNN", category="Recurrent",
    description="Plain (Elman) recurrent layer: simple, and it forgets quickly — gradients vanish.",
    params=(_HIDDEN, _LAYERS, _DROPOUT,
            _p_choice("nonlinearity", "tanh", ("tanh", "relu"), "Activation of the hidden state."),
            _WEIGHT_DROP, _init_param(opt.RECURRENT_INITS)),
    shape=_recurrent_shape(lambda p: "rnn_" + p["nonlinearity"], False),
    build=lambda p, ins: rec.make_recurrent("rnn_" + p["nonlinearity"], ins["input"].features,
                                            p["hidden_size"], p["layers"], p["dropout"], **_recurrent_options(p)),
    key_params=("hidden_size", "nonlinearity"), **_RECURRENT_PORTS,
))

_entry(BlockSpec(
    id="bidirectional", title="Bidirectional", category="Recurrent", name_prefix="birnn",
    description="Runs a recurrent cell forwards and backwards and merges both, so each step sees its whole context.",
    params=(_p_choice("cell", "lstm", RECURRENT_CELLS, "The recurrent cell run in each direction."),
            _HIDDEN, _LAYERS, _DROPOUT,
            _p_choice("merge", "concat", opt.MERGE_MODES, "How the two directions are combined."),
            _WEIGHT_DROP, _init_param(opt.RECURRENT_INITS),
            Param("forget_bias", bool, False, _FORGET_HELP, label="Forget-gate bias 1", when={"cell": ("lstm",)})),
    shape=_recurrent_shape(lambda p: p["cell"], True),
    build=lambda p, ins: rec.make_recurrent(p["cell"], ins["input"].features, p["hidden_size"], p["layers"],
                                            p["dropout"], bidirectional=True, merge=p["merge"],
                                            **_recurrent_options(p)),
    key_params=("cell", "hidden_size", "merge"), **_RECURRENT_PORTS,
))


# ---------------------------------------------------------------- attention

def _heads_fit(features: int, heads: int, port: str):
    if features % heads:
        raise ShapeError(port, f"receives {features} features, which {heads} heads cannot split evenly: "
                               f"choose a number of heads that divides {features}")


def _self_attention_shape(p, ins):
    x = ins["input"]
    _heads_fit(x.features, p["heads"], "input")
    return {"sequence": PortShape(SEQ, features=x.features, time=x.time)}


_entry(BlockSpec(
    id="self_attention", title="Self-attention", category="Attention", name_prefix="attention",
    description="Every step looks at every other step (or only the past, if causal) with several heads.",
    params=(_p_int("heads", 4, 1, 128, "Number of attention heads; must divide the feature size."),
            Param("causal", bool, False, "Each step attends only to itself and earlier steps."),
            _p_float("dropout", 0.0, 0.0, 0.95, "Dropout on the attention weights.")),
    inputs=(Port("input", (SEQ,), "the sequence"),), outputs=(Port("sequence", (SEQ,), "attended sequence"),),
    shape=_self_attention_shape,
    build=lambda p, ins: att.SelfAttention(ins["input"].features, p["heads"], p["causal"], p["dropout"]),
    lengths_of=("input",), key_params=("heads", "causal"),
))

_entry(BlockSpec(
    id="attention_pooling", title="Attention pooling", category="Attention", name_prefix="attn_pool",
    description="Learns which steps matter and averages the sequence with those weights into one vector.",
    params=(_p_int("units", 64, 1, 8192, "Size of the scoring layer."),),
    inputs=(Port("input", (SEQ,), "the sequence"),), outputs=(Port("vector", (VEC,), "weighted average"),),
    shape=lambda p, ins: {"vector": PortShape(VEC, features=ins["input"].features)},
    build=lambda p, ins: att.AttentionPooling(ins["input"].features, p["units"]),
    lengths_of=("input",), key_params=("units",),
))


def _cross_attention_shape(p, ins):
    q, m = ins["query"], ins["memory"]
    _heads_fit(q.features, p["heads"], "query")
    return {"sequence": PortShape(SEQ, features=q.features, time=q.time)}


_entry(BlockSpec(
    id="cross_attention", title="Cross-attention", category="Attention", name_prefix="cross_attn",
    description="Each step of a query sequence (a decoder) attends over a memory sequence (an encoder).",
    params=(_p_int("heads", 1, 1, 128, "Number of attention heads; must divide the query's feature size."),
            _p_float("dropout", 0.0, 0.0, 0.95, "Dropout on the attention weights.")),
    inputs=(Port("query", (SEQ,), "the sequence that asks (decoder)"),
            Port("memory", (SEQ,), "the sequence attended over (encoder)")),
    outputs=(Port("sequence", (SEQ,), "context for every query step"),),
    shape=_cross_attention_shape,
    build=lambda p, ins: att.CrossAttention(ins["query"].features, ins["memory"].features, p["heads"],
                                            p["dropout"]),
    lengths_of=("query", "memory"), key_params=("heads",),
))


# ---------------------------------------------------------------- layers

def _dense(p, features):
    module = lay.Dense(features, p["units"], p["activation"])
    ini.init_linear(module.linear, p.get("init", "default"))
    return module


_entry(BlockSpec(
    id="dense", title="Dense", category="Layers",
    description="Fully connected layer with an activation, applied at every time step of a sequence.",
    params=(_p_int("units", 64, 1, 1_000_000, "Number of outputs."),
            _p_choice("activation", "none", ACTIVATIONS, "Applied to the outputs; softmax gives class probabilities."),
            _p_choice("init", "default", opt.LAYER_INITS, "How the weights start: PyTorch's default (Kaiming "
                                                          "uniform), or Xavier/Glorot uniform with a zero bias "
                                                          "(xavier, or keras: the same, as Keras does).")),
    inputs=(Port("input", SEQ_OR_VEC, "a sequence or a vector"),),
    outputs=(Port("output", SEQ_OR_VEC, "same kind as the input"),),
    shape=lambda p, ins: {"output": ins["input"].with_(
        features=p["units"], activation=None if p["activation"] == "none" else p["activation"])},
    build=lambda p, ins: _dense(p, ins["input"].features),
    key_params=("units", "activation"),
))

_entry(BlockSpec(
    id="dropout", title="Dropout", category="Layers",
    description="Randomly zeroes a fraction of values while training, against overfitting.",
    params=(_p_float("rate", 0.2, 0.0, 0.95, "Fraction of values set to zero."),),
    inputs=(Port("input", SEQ_OR_VEC, "a sequence or a vector"),),
    outputs=(Port("output", SEQ_OR_VEC, "same shape"),),
    shape=lambda p, ins: {"output": ins["input"]},
    build=lambda p, ins: nn.Dropout(p["rate"]), key_params=("rate",),
))

_entry(BlockSpec(
    id="layer_norm", title="LayerNorm", category="Layers",
    description="Normalises each step's features to zero mean and unit variance, with a learned scale.",
    params=(),
    inputs=(Port("input", SEQ_OR_VEC, "a sequence or a vector"),),
    outputs=(Port("output", SEQ_OR_VEC, "same shape"),),
    shape=lambda p, ins: {"output": ins["input"].with_(activation=None)},
    build=lambda p, ins: nn.LayerNorm(ins["input"].features),
))

_entry(BlockSpec(
    id="pooling", title="Sequence pooling", category="Layers", name_prefix="pool",
    description="Turns a sequence into one vector: its last real step, or the mean or max over real steps.",
    params=(_p_choice("mode", "last", ("last", "mean", "max"), "Which summary of the sequence to take."),),
    inputs=(Port("input", (SEQ,), "the sequence"),), outputs=(Port("vector", (VEC,), "one vector per sample"),),
    shape=lambda p, ins: {"vector": PortShape(VEC, features=ins["input"].features,
                                              activation=ins["input"].activation)},
    build=lambda p, ins: lay.SequencePooling(p["mode"]),
    lengths_of=("input",), key_params=("mode",),
))


def _conv_shape(p, ins):
    x = ins["input"]
    return {"sequence": PortShape(SEQ, features=p["filters"], time=x.time)}


_entry(BlockSpec(
    id="conv1d", title="Conv1D", category="Layers",
    description="Slides learned filters along time to detect local patterns (length is kept).",
    params=(_p_int("filters", 64, 1, 8192, "Number of output features."),
            _p_int("kernel_size", 3, 1, 101, "Steps each filter spans.", label="Kernel size"),
            _p_choice("activation", "relu", ("none", "relu", "tanh", "gelu"), "Applied to the outputs.")),
    inputs=(Port("input", (SEQ,), "the sequence"),), outputs=(Port("sequence", (SEQ,), "filtered sequence"),),
    shape=_conv_shape,
    build=lambda p, ins: lay.Conv1D(ins["input"].features, p["filters"], p["kernel_size"], p["activation"]),
    lengths_of=("input",), key_params=("filters", "kernel_size"),
))


# ---------------------------------------------------------------- merge

_MERGE_INPUTS = (Port("a", SEQ_OR_VEC), Port("b", SEQ_OR_VEC),
                 Port("c", SEQ_OR_VEC, optional=True), Port("d", SEQ_OR_VEC, optional=True))


def _merge_shape(combine):
    def rule(p, ins):
        first_name, first = next(iter(ins.items()))
        for name, shape in ins.items():
            if shape.kind != first.kind:
                raise ShapeError(name, f"gets {shape.kind.value} on '{name}' but {first.kind.value} on "
                                       f"'{first_name}': pool the sequence into a vector first (Sequence pooling)")
            if shape.kind is SEQ and shape.time != first.time:
                raise ShapeError(name, f"gets a sequence timed by input '{shape.time}' on '{name}' but one timed "
                                       f"by input '{first.time}' on '{first_name}': sequences of different lengths "
                                       "cannot be merged step by step")
        return {"output": first.with_(features=combine(ins), activation=None)}
    return rule


def _add_features(ins):
    sizes = {name: s.features for name, s in ins.items()}
    first_name, first = next(iter(sizes.items()))
    for name, size in sizes.items():
        if size != first:
            raise ShapeError(name, f"gets {size} features on '{name}' but {first} on '{first_name}': Add needs "
                                   "inputs of equal size (a Dense block can resize one of them)")
    return first


_entry(BlockSpec(
    id="concat", title="Concat", category="Merge",
    description="Joins two to four inputs side by side along the feature axis.",
    params=(), inputs=_MERGE_INPUTS, outputs=(Port("output", SEQ_OR_VEC, "features laid side by side"),),
    shape=_merge_shape(lambda ins: sum(s.features for s in ins.values())),
    build=lambda p, ins: lay.Concat(),
))

_entry(BlockSpec(
    id="add", title="Add", category="Merge",
    description="Adds two to four inputs of equal size element by element (e.g. a residual connection).",
    params=(), inputs=_MERGE_INPUTS, outputs=(Port("output", SEQ_OR_VEC, "element-wise sum"),),
    shape=_merge_shape(_add_features),
    build=lambda p, ins: lay.Add(),
))


# ---------------------------------------------------------------- output heads

def _classification_shape(p, ins):
    x = ins["input"]
    if p["mode"] == "binary" and x.features != 1:
        raise ShapeError("input", f"receives {x.features} features but binary classification needs 1: "
                                  "set the Dense block before it to 1 unit (sigmoid)")
    if p["mode"] == "multiclass" and x.features < 2:
        raise ShapeError("input", "receives 1 feature but multi-class classification needs one per class: "
                                  "set the Dense block before it to the number of classes (softmax)")
    allowed = ("sigmoid",) if p["mode"] == "binary" else ("softmax",)
    if x.activation not in (None,) + allowed:
        raise ShapeError("input", f"receives {x.activation} outputs, which are not {p['mode']} class scores: "
                                  f"use activation none or {allowed[0]} before this head")
    return {}


_entry(BlockSpec(
    id="classification_head", title="Classification", category="Outputs", name_prefix="classes",
    description="One label per sample. Loss: cross-entropy (binary: BCE). Metric: accuracy.",
    params=(_p_choice("mode", "multiclass", ("multiclass", "binary"), "Several classes, or yes/no."),),
    inputs=(Port("input", (VEC,), "class scores or probabilities"),), outputs=(),
    shape=_classification_shape, build=lambda p, ins: lay.Identity(),
    head=HeadSpec("classification"), key_params=("mode",),
))

_entry(BlockSpec(
    id="regression_head", title="Regression", category="Outputs", name_prefix="prediction",
    description="Predicts numbers (a vector, or a value per step). Loss: MSE, MAE or Huber.",
    params=(_p_choice("loss", "mse", ("mse", "mae", "huber"), "How errors are penalised."),),
    inputs=(Port("input", SEQ_OR_VEC, "the predicted values"),), outputs=(),
    shape=lambda p, ins: {}, build=lambda p, ins: lay.Identity(),
    head=HeadSpec("regression"), key_params=("loss",),
))


def _per_step_shape(what):
    def rule(p, ins):
        x = ins["input"]
        if x.features < 2:
            raise ShapeError("input", f"receives 1 feature but {what} needs one score per class: set the "
                                      "Dense block before it to the number of classes")
        if x.activation not in (None, "softmax"):
            raise ShapeError("input", f"receives {x.activation} outputs: use activation none or softmax")
        return {}
    return rule


_entry(BlockSpec(
    id="labelling_head", title="Sequence labelling", category="Outputs", name_prefix="labels",
    description="One label per time step (e.g. tagging). Loss: cross-entropy over real steps.",
    params=(), inputs=(Port("input", (SEQ,), "class scores per step"),), outputs=(),
    shape=_per_step_shape("labelling"), build=lambda p, ins: lay.Identity(),
    head=HeadSpec("labelling"),
))

_entry(BlockSpec(
    id="language_model_head", title="Next-token LM", category="Outputs", name_prefix="next_token",
    description="Predicts the next token at every step. Loss: cross-entropy; metric: perplexity.",
    params=(), inputs=(Port("input", (SEQ,), "scores over the vocabulary per step"),), outputs=(),
    shape=_per_step_shape("a language model"), build=lambda p, ins: lay.Identity(),
    head=HeadSpec("language_model"),
))
