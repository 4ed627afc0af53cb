"""Gate probes are exact: they match a step-by-step nn.LSTMCell / nn.GRUCell run with the same weights,
for variable lengths, stacked layers and the backward direction of bidirectional blocks."""
import numpy as np
import pytest
import torch
from torch import nn

from engine.blocks.recurrent_modules import make_recurrent
from engine.probes.gates import gate_activations, layer_records, layer_weights
from engine.probes.recorder import ProbeBatch, run_probes
from engine.training.events import GateProbe


def _cell(cell, rnn, layer, direction, input_size):
    cls = nn.LSTMCell if cell == "lstm" else nn.GRUCell
    step = cls(input_size, rnn.hidden_size)
    with torch.no_grad():
        for src, dst in zip(layer_weights(rnn, layer, direction),
                            (step.weight_ih, step.weight_hh, step.bias_ih, step.bias_hh)):
            dst.copy_(src)
    return step


def _reference(cell, step_cell, x, length, reverse):
    """Runs the cell step by step over one sample's real steps and computes the gates by the textbook
    formulas from the cell's own weights; returns {gate: [T, H]}, cell states [T, H], outputs [T, H]."""
    H = step_cell.hidden_size
    h = torch.zeros(1, H)
    c = torch.zeros(1, H)
    order = range(length - 1, -1, -1) if reverse else range(length)
    gates = {}
    cells, outs = torch.zeros(length, H), torch.zeros(length, H)
    for t in order:
        xt = x[t:t + 1]
        xp = xt @ step_cell.weight_ih.t() + step_cell.bias_ih
        hp = h @ step_cell.weight_hh.t() + step_cell.bias_hh
        if cell == "lstm":
            i, f, g, o = (xp + hp).chunk(4, dim=-1)
            values = {"input": torch.sigmoid(i), "forget": torch.sigmoid(f), "cell": torch.tanh(g),
                      "output": torch.sigmoid(o)}
            h, c = step_cell(xt, (h, c))
            cells[t] = c[0]
        else:
            xr, xz, xn = xp.chunk(3, dim=-1)
            hr, hz, hn = hp.chunk(3, dim=-1)
            r = torch.sigmoid(xr + hr)
            values = {"reset": r, "update": torch.sigmoid(xz + hz), "candidate": torch.tanh(xn + r * hn)}
            h = step_cell(xt, h)
        outs[t] = h[0]
        for name, v in values.items():
            gates.setdefault(name, torch.zeros(length, H))[t] = v[0]
    return gates, cells, outs


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("bidirectional,layers", [(False, 1), (True, 1), (False, 2), (True, 2)])
def test_gates_match_step_by_step_cells(cell, bidirectional, layers):
    torch.manual_seed(0)
    block = make_recurrent(cell, 3, 5, layers, 0.0, bidirectional=bidirectional)
    block.eval()
    x = torch.randn(4, 7, 3)
    lengths = torch.tensor([7, 4, 6, 1])
    with torch.no_grad():
        packed = torch.nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = torch.nn.utils.rnn.pad_packed_sequence(block.rnn(packed)[0], batch_first=True, total_length=7)
    records = layer_records(block.rnn, x, lengths, None, out)
    dirs = 2 if bidirectional else 1
    layer_input = x
    for layer, record in enumerate(records):
        next_input = []
        for d in range(dirs):
            gates, cells = gate_activations(cell, layer_weights(block.rnn, layer, d), record.inputs,
                                            record.outputs[d], record.h0[d], record.c0[d], lengths, bool(d))
            step_cell = _cell(cell, block.rnn, layer, d, layer_input.shape[-1])
            outs_d = torch.zeros(4, 7, 5)
            for b in range(4):
                n = int(lengths[b])
                ref, ref_cells, ref_out = _reference(cell, step_cell, layer_input[b], n, bool(d))
                for name, value in ref.items():
                    torch.testing.assert_close(gates[name][b, :n], value, atol=1e-5, rtol=1e-4)
                if cell == "lstm":
                    torch.testing.assert_close(cells[b, :n], ref_cells, atol=1e-5, rtol=1e-4)
                else:
                    assert cells is None
                outs_d[b, :n] = ref_out
            # The recorded (or recomputed) layer output is what the cell itself produces.
            torch.testing.assert_close(record.outputs[d], outs_d, atol=1e-5, rtol=1e-4)
            next_input.append(outs_d)
        layer_input = torch.cat(next_input, dim=-1)


def test_probe_events_cover_every_layer_and_direction():
    torch.manual_seed(1)
    block = make_recurrent("lstm", 2, 4, 2, 0.0, bidirectional=True)

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.birnn = block

        def forward(self, x, x_lengths):
            return self.birnn(x, x_lengths)[1].sum(-1, keepdim=True)

    x = torch.randn(3, 6, 2)
    batch = ProbeBatch({"x": x}, {"x": torch.tensor([6, 3, 5])}, {"y": torch.zeros(3, 1)}, 3)
    events = run_probes(Model(), batch, lambda outs, b: outs[0].pow(2).mean(), step=5, which={"gates"})
    keys = {(e.layer, e.direction) for e in events if isinstance(e, GateProbe)}
    assert keys == {(0, "forward"), (0, "backward"), (1, "forward"), (1, "backward")}
    first = events[0]
    assert first.length == 6 and set(first.gates) == {"input", "forget", "cell", "output"}
    assert first.gates["forget"].shape == (6, 4) and first.cell_state.shape == (6, 4)
    assert all(0.0 < v < 1.0 for k, v in first.means.items() if k != "cell")
    assert np.isfinite(first.cell_state).all()
