"""Head losses equal PyTorch's own losses, stay finite on saturated probabilities, and mask padded steps."""
import math

import pytest
import torch
import torch.nn.functional as F

from engine.compiler import ModelHead
from engine.losses import MetricTracker, TargetError, head_loss
from engine.specs import PortShape, TensorKind


def head(task, kind=TensorKind.VECTOR, activation=None, time=None, **params):
    return ModelHead("out", "n1", task, params, PortShape(kind, features=3, time=time, activation=activation))


def test_multiclass_from_logits_and_from_softmax_equal_cross_entropy():
    torch.manual_seed(0)
    logits, y = torch.randn(5, 3), torch.tensor([0, 2, 1, 1, 0])
    expected = F.cross_entropy(logits, y)
    plain = head_loss(head("classification", mode="multiclass"), logits, y)
    tapped = head_loss(head("classification", activation="softmax", mode="multiclass"), logits.softmax(-1), y, logits=logits)
    from_probs = head_loss(head("classification", activation="softmax", mode="multiclass"), logits.softmax(-1), y)
    for result in (plain, tapped, from_probs):
        torch.testing.assert_close(result.loss, expected)
    assert plain.sums["accuracy"].item() == (logits.argmax(-1) == y).sum().item()


def test_saturated_probabilities_give_finite_loss_and_gradient():
    logits = torch.tensor([[200.0, -200.0, 0.0]], requires_grad=True)
    probs = logits.softmax(-1)
    result = head_loss(head("classification", activation="softmax", mode="multiclass"), probs, torch.tensor([1]))
    result.loss.backward()
    assert math.isfinite(result.loss.item()) and result.loss.item() > 80
    assert torch.isfinite(logits.grad).all()
    z = torch.tensor([[40.0]])
    binary = head_loss(head("classification", activation="sigmoid", mode="binary"), torch.sigmoid(z), torch.tensor([0.0]))
    assert math.isfinite(binary.loss.item()) and binary.loss.item() > 15


def test_binary_with_logits_equals_bce_with_logits():
    z, y = torch.tensor([[0.3], [-1.2], [2.0]]), torch.tensor([1.0, 0.0, 0.0])
    result = head_loss(head("classification", activation="sigmoid", mode="binary"), torch.sigmoid(z), y, logits=z)
    torch.testing.assert_close(result.loss, F.binary_cross_entropy_with_logits(z.reshape(-1), y))
    assert result.sums["accuracy"].item() == 2.0  # 0.3 -> 1 right, -1.2 -> 0 right, 2.0 -> 1 wrong


def test_labelling_ignores_padded_steps():
    torch.manual_seed(1)
    scores, y = torch.randn(2, 4, 3), torch.tensor([[0, 1, 2, 0], [2, 2, 0, 0]])
    lengths = torch.tensor([4, 2])
    result = head_loss(head("labelling", TensorKind.SEQUENCE, time="tokens"), scores, y, lengths)
    real = torch.cat([F.cross_entropy(scores[0], y[0], reduction="none"),
                      F.cross_entropy(scores[1, :2], y[1, :2], reduction="none")])
    torch.testing.assert_close(result.loss, real.mean())
    assert result.count == 6


def test_language_model_perplexity_is_exp_of_mean_loss():
    lm = head("language_model", TensorKind.SEQUENCE, time="chars")
    tracker = MetricTracker([lm])
    scores, y = torch.randn(3, 5, 3), torch.randint(0, 3, (3, 5))
    tracker.add({"out": head_loss(lm, scores, y, torch.tensor([5, 3, 1]))})
    values = tracker.values()
    assert values["perplexity"] == pytest.approx(math.exp(values["loss"]))


def test_regression_per_step_masked_and_vector_targets_of_shape_b():
    reg = head("regression", TensorKind.SEQUENCE, time="x", loss="mse")
    out, y = torch.randn(2, 3, 1), torch.randn(2, 3)
    result = head_loss(reg, out, y, torch.tensor([3, 1]))
    diff = torch.cat([out[0, :, 0] - y[0], out[1, :1, 0] - y[1, :1]])
    torch.testing.assert_close(result.loss, diff.pow(2).mean())
    mae = head_loss(head("regression", loss="mae"), torch.tensor([[1.0], [2.0]]), torch.tensor([0.0, 4.0]))
    assert mae.loss.item() == pytest.approx(1.5)
    huber = head_loss(head("regression", loss="huber"), torch.tensor([[0.5]]), torch.tensor([0.0]))
    assert huber.loss.item() == pytest.approx(0.125)


def test_wrong_target_shape_names_the_head():
    with pytest.raises(TargetError, match="head 'out' .*class indices"):
        head_loss(head("classification", mode="multiclass"), torch.randn(4, 3), torch.randn(4, 3))


def test_several_heads_prefix_metrics_and_sum_losses():
    a = ModelHead("a", "1", "classification", {"mode": "multiclass"}, PortShape(TensorKind.VECTOR, features=3))
    b = ModelHead("b", "2", "regression", {"loss": "mse"}, PortShape(TensorKind.VECTOR, features=1))
    tracker = MetricTracker([a, b])
    tracker.add({"a": head_loss(a, torch.randn(4, 3), torch.tensor([0, 1, 2, 0])),
                 "b": head_loss(b, torch.zeros(4, 1), torch.ones(4))})
    values = tracker.values()
    assert set(values) == {"loss", "a/loss", "a/accuracy", "b/loss", "b/mse", "b/mae"}
    assert values["loss"] == pytest.approx(values["a/loss"] + 1.0)
