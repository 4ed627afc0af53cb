"""||dL/dh_t|| per time step equals the gradient of a step-by-step cell model at each hidden state,
recurrence included, and shows the vanishing gradient of a plain RNN on a long sequence."""
import torch
from torch import nn

from engine.blocks.recurrent_modules import make_recurrent
from engine.probes.gates import layer_weights
from engine.probes.recorder import ProbeBatch, run_probes
from engine.training.events import TimeGradProbe


class PoolModel(nn.Module):
    def __init__(self, block, mode):
        super().__init__()
        self.rnn_block = block
        width = block.hidden * (2 if block.bidirectional else 1)
        self.dense = nn.Linear(width, 1)
        self.mode = mode

    def forward(self, x, x_lengths):
        seq, last, _ = self.rnn_block(x, x_lengths)
        if self.mode == "last":
            return self.dense(last)
        mask = (torch.arange(x.shape[1]).unsqueeze(0) < x_lengths.unsqueeze(1)).unsqueeze(-1).float()
        return self.dense((seq * mask).sum(1) / x_lengths.unsqueeze(1).float())


def _cell(kind, rnn, direction, input_size):
    cell = (nn.LSTMCell if kind == "lstm" else nn.GRUCell)(input_size, rnn.hidden_size)
    with torch.no_grad():
        for s, d in zip(layer_weights(rnn, 0, direction), (cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)):
            d.copy_(s)
    return cell


def _reference_norms(model, kind, x, lengths, y):
    """Unrolls every sample with cells, keeping each h_t, and backpropagates the same loss."""
    block = model.rnn_block
    dirs = 2 if block.bidirectional else 1
    cells = [_cell(kind, block.rnn, d, x.shape[-1]) for d in range(dirs)]
    hs, preds = [], []
    for b in range(x.shape[0]):
        n = int(lengths[b])
        per_dir = []
        for d in range(dirs):
            h = torch.zeros(1, block.hidden)
            c = torch.zeros(1, block.hidden)
            seq = [None] * n
            for t in (range(n - 1, -1, -1) if d else range(n)):
                if kind == "lstm":
                    h, c = cells[d](x[b, t:t + 1], (h, c))
                else:
                    h = cells[d](x[b, t:t + 1], h)
                h.retain_grad()
                seq[t] = h
                hs.append((t, h))
            per_dir.append(seq)
        if model.mode == "last":
            feature = torch.cat([per_dir[0][n - 1]] + ([per_dir[1][0]] if dirs == 2 else []), dim=-1)
        else:
            steps = [torch.cat([per_dir[d][t] for d in range(dirs)], dim=-1) for t in range(n)]
            feature = torch.stack(steps).mean(0)
        preds.append(model.dense(feature))
    loss = ((torch.cat(preds) - y) ** 2).mean()
    loss.backward()
    norms = torch.zeros(x.shape[1])
    for t, h in hs:
        norms[t] += h.grad.pow(2).sum()
    return norms.sqrt()


def _probe_norms(model, x, lengths, y):
    batch = ProbeBatch({"x": x}, {"x": lengths}, {"y": y}, x.shape[0])
    loss_fn = lambda outs, b: ((outs[0] - b.targets["y"]) ** 2).mean()  # noqa: E731
    events = run_probes(model, batch, loss_fn, step=1, which={"time_grads"})
    (event,) = [e for e in events if isinstance(e, TimeGradProbe)]
    return torch.from_numpy(event.norms)


def test_lstm_last_step_gradients_match_unrolled_cells():
    torch.manual_seed(0)
    model = PoolModel(make_recurrent("lstm", 2, 6, 1, 0.0), "last")
    x, lengths, y = torch.randn(3, 8, 2), torch.tensor([8, 5, 7]), torch.randn(3, 1)
    torch.testing.assert_close(_probe_norms(model, x, lengths, y), _reference_norms(model, "lstm", x, lengths, y),
                               atol=1e-6, rtol=1e-4)


def test_bidirectional_gru_mean_pooling_gradients_match_unrolled_cells():
    torch.manual_seed(1)
    model = PoolModel(make_recurrent("gru", 3, 4, 1, 0.0, bidirectional=True), "mean")
    x, lengths, y = torch.randn(2, 6, 3), torch.tensor([6, 4]), torch.randn(2, 1)
    torch.testing.assert_close(_probe_norms(model, x, lengths, y), _reference_norms(model, "gru", x, lengths, y),
                               atol=1e-6, rtol=1e-4)


def test_plain_rnn_gradient_vanishes_towards_the_start():
    torch.manual_seed(0)
    model = PoolModel(make_recurrent("rnn_tanh", 2, 16, 1, 0.0), "last")
    x, lengths = torch.randn(8, 60, 2), torch.full((8,), 60)
    norms = _probe_norms(model, x, lengths, torch.randn(8, 1))
    assert norms[-1] > 0 and norms[0] < 1e-3 * norms[-1]
