"""The packing-free recurrent twins used for torch.export and ONNX compute exactly what the packed studio blocks
compute on padded batches: outputs, last hidden vector and final state, for every cell, direction and depth."""
import pytest
import torch

from engine.blocks.recurrent_modules import make_recurrent
from engine.export.unpacked import UnpackedRecurrent, reverse_within_lengths


def test_reverse_within_lengths_flips_valid_steps_and_keeps_padding_in_place():
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 0.0, 0.0], [7.0, 0.0, 0.0, 0.0]]).unsqueeze(-1)
    out = reverse_within_lengths(x, torch.tensor([4, 2, 1])).squeeze(-1)
    assert out.tolist() == [[4.0, 3.0, 2.0, 1.0], [6.0, 5.0, 0.0, 0.0], [7.0, 0.0, 0.0, 0.0]]


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("bidirectional,layers", [(False, 2), (True, 2)])  # two layers: the first, and chaining
def test_twin_matches_the_packed_block_on_padded_batches(cell, bidirectional, layers):
    torch.manual_seed(0)
    block = make_recurrent(cell, 5, 6, layers, 0.0, bidirectional, "concat").eval()
    twin = UnpackedRecurrent(block).eval()
    directions = 2 if bidirectional else 1
    parts = 2 if cell == "lstm" else 1
    for batch, steps, lengths in ((4, 9, [9, 4, 1, 6]), (2, 3, [2, 3])):
        lengths = torch.tensor(lengths)
        valid = (torch.arange(steps)[None, :] < lengths[:, None]).unsqueeze(-1)
        x = torch.randn(batch, steps, 5) * valid
        start = torch.randn(parts, layers * directions, batch, 6)
        with torch.no_grad():
            for state in (None, start):
                want = block(x, lengths, state)
                got = twin(x, lengths, state)
                for name, a, b in zip(("sequence", "last", "state"), want, got):
                    assert a.shape == b.shape, name
                    assert torch.allclose(a, b, atol=2e-6, rtol=0), f"{name}: {(a - b).abs().max()}"
                assert torch.all(got[0][~valid.expand_as(got[0][..., :1]).squeeze(-1)] == 0)  # padded steps: 0


@pytest.mark.parametrize("merge", ["sum", "mean", "multiply"])
def test_twin_merges_directions_like_the_block(merge):
    torch.manual_seed(1)
    block = make_recurrent("gru", 3, 4, 1, 0.0, True, merge).eval()
    x, lengths = torch.randn(3, 5, 3), torch.tensor([5, 2, 3])
    with torch.no_grad():
        for a, b in zip(block(x, lengths), UnpackedRecurrent(block)(x, lengths)):
            assert torch.allclose(a, b, atol=2e-6, rtol=0)
