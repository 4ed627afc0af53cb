"""What a recurrent or attention block computes, as equations a learner can read, with the names the gate
plots use (input, forget, cell, output; reset, update, candidate). HTML for Qt's rich-text labels."""
from __future__ import annotations

_SIGMA = "&sigma;"
_ODOT = "&#8857;"  # element-wise product


def _lines(*rows: str) -> str:
    return "<table cellspacing='2'>" + "".join(f"<tr><td>{row}</td></tr>" for row in rows) + "</table>"


def _v(name: str, t: str = "t") -> str:
    return f"<i>{name}</i><sub>{t}</sub>"


LSTM = _lines(
    f"<b>input</b> gate &nbsp; {_v('i')} = {_SIGMA}(W<sub>i</sub> {_v('x')} + U<sub>i</sub> {_v('h', 't-1')} + b<sub>i</sub>)",
    f"<b>forget</b> gate &nbsp; {_v('f')} = {_SIGMA}(W<sub>f</sub> {_v('x')} + U<sub>f</sub> {_v('h', 't-1')} + b<sub>f</sub>)",
    f"<b>cell</b> candidate &nbsp; {_v('g')} = tanh(W<sub>g</sub> {_v('x')} + U<sub>g</sub> {_v('h', 't-1')} + b<sub>g</sub>)",
    f"<b>output</b> gate &nbsp; {_v('o')} = {_SIGMA}(W<sub>o</sub> {_v('x')} + U<sub>o</sub> {_v('h', 't-1')} + b<sub>o</sub>)",
    f"cell state &nbsp; {_v('c')} = {_v('f')} {_ODOT} {_v('c', 't-1')} + {_v('i')} {_ODOT} {_v('g')}",
    f"hidden state &nbsp; {_v('h')} = {_v('o')} {_ODOT} tanh({_v('c')})",
    "<span style='color:gray'>The cell state is carried forward by the forget gate alone: when f &asymp; 1 the "
    "gradient flows back through time almost unchanged — why an LSTM remembers where a plain RNN forgets.</span>")

GRU = _lines(
    f"<b>reset</b> gate &nbsp; {_v('r')} = {_SIGMA}(W<sub>r</sub> {_v('x')} + U<sub>r</sub> {_v('h', 't-1')} + b<sub>r</sub>)",
    f"<b>update</b> gate &nbsp; {_v('z')} = {_SIGMA}(W<sub>z</sub> {_v('x')} + U<sub>z</sub> {_v('h', 't-1')} + b<sub>z</sub>)",
    f"<b>candidate</b> &nbsp; {_v('n')} = tanh(W<sub>n</sub> {_v('x')} + {_v('r')} {_ODOT} (U<sub>n</sub> {_v('h', 't-1')}"
    f" + b<sub>hn</sub>) + b<sub>n</sub>)",
    f"hidden state &nbsp; {_v('h')} = (1 &minus; {_v('z')}) {_ODOT} {_v('n')} + {_v('z')} {_ODOT} {_v('h', 't-1')}",
    "<span style='color:gray'>When z &asymp; 1 the state is copied forward unchanged: the GRU's path for "
    "long memory, with two gates instead of the LSTM's three.</span>")


def rnn(nonlinearity: str = "tanh") -> str:
    return _lines(
        f"hidden state &nbsp; {_v('h')} = {nonlinearity}(W {_v('x')} + U {_v('h', 't-1')} + b)",
        "<span style='color:gray'>The gradient reaching step t&minus;k is multiplied k times by U (and the "
        "activation's slope): it shrinks or grows exponentially with k — vanishing or exploding gradients "
        "(see the Gradients tab).</span>")


ATTENTION_POOLING = _lines(
    f"score &nbsp; {_v('e')} = v<sup>T</sup> tanh(W {_v('h')})",
    f"weights &nbsp; {_v('&alpha;')} = softmax<sub>t</sub>({_v('e')}) &nbsp; (padded steps get 0)",
    f"output &nbsp; s = &Sigma;<sub>t</sub> {_v('&alpha;')} {_v('h')}",
    "<span style='color:gray'>The weights are what the Attention tab shows: which steps the model reads.</span>")

DOT_ATTENTION = _lines(
    "weights &nbsp; A = softmax(Q K<sup>T</sup> / &radic;d) &nbsp; (per head; padded keys masked)",
    "output &nbsp; A V, the heads concatenated and projected",
    "<span style='color:gray'>Each query step looks at every key step at once: no path through time to "
    "vanish along.</span>")


def equations_html(kind: str, params: dict | None = None) -> str | None:
    """The equations of block kind ``kind`` (with its parameters), or None for blocks without any."""
    params = params or {}
    if kind == "lstm":
        return LSTM
    if kind == "gru":
        return GRU
    if kind == "rnn":
        return rnn(str(params.get("nonlinearity", "tanh")))
    if kind == "bidirectional":
        cell = str(params.get("cell", "lstm"))
        inner = {"lstm": LSTM, "gru": GRU}.get(cell) or rnn(cell.removeprefix("rnn_") or "tanh")
        return (f"<p>Two {cell.split('_')[0].upper()}s read the sequence, one forwards and one backwards; step t sees both "
                f"the past and the future: h<sub>t</sub> = merge(h<sub>t</sub><sup>&rarr;</sup>, "
                f"h<sub>t</sub><sup>&larr;</sup>).</p>" + inner)
    if kind == "attention_pooling":
        return ATTENTION_POOLING
    if kind in ("self_attention", "cross_attention"):
        return DOT_ATTENTION
    return None
