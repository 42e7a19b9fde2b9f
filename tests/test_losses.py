"""Tests of companion.losses: values and gradients vs torch and centred differences, masks, stability, errors."""
import numpy as np
import pytest

from companion.gradcheck import numeric_gradient, relative_error
from companion.losses import accuracy, log_softmax, mse, sigmoid_cross_entropy, softmax, softmax_cross_entropy


def _torch_ce(torch, logits, targets):
    t = torch.tensor(logits.reshape(-1, logits.shape[-1]), requires_grad=True)
    loss = torch.nn.functional.cross_entropy(t, torch.from_numpy(targets.reshape(-1)))
    loss.backward()
    return loss.item(), t.grad.numpy().reshape(logits.shape)


@pytest.mark.parametrize("shape", [(7, 4), (5, 3, 4)])
def test_cross_entropy_matches_torch(torch, shape):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=shape) * 3
    targets = rng.integers(0, 4, size=shape[:-1])
    loss, d = softmax_cross_entropy(logits, targets)
    tloss, td = _torch_ce(torch, logits, targets)
    assert loss == pytest.approx(tloss, rel=1e-12)
    np.testing.assert_allclose(d, td, rtol=0, atol=1e-14)
    assert d.shape == logits.shape and d.dtype == logits.dtype


def test_cross_entropy_gradient_numeric_with_mask():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(4, 3, 5))
    targets = rng.integers(0, 5, size=(4, 3))
    mask = np.ones((4, 3), bool)
    mask[2:, 1] = False
    targets[2:, 1] = -1  # padding value, ignored where masked
    _, d = softmax_cross_entropy(logits, targets, mask)
    num = numeric_gradient(lambda: softmax_cross_entropy(logits, targets, mask)[0], logits)
    assert relative_error(num, d) <= 1e-6
    assert np.all(d[2:, 1] == 0.0)


def test_cross_entropy_mask_equals_loss_on_kept_rows(torch):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 3))
    targets = rng.integers(0, 3, size=6)
    mask = np.array([1, 0, 1, 1, 0, 1])
    loss, d = softmax_cross_entropy(logits, targets, mask)
    keep = mask.astype(bool)
    tloss, td = _torch_ce(torch, logits[keep], targets[keep])
    assert loss == pytest.approx(tloss, rel=1e-12)
    np.testing.assert_allclose(d[keep], td, rtol=0, atol=1e-14)


def test_cross_entropy_is_stable_for_huge_logits(torch):
    logits = np.array([[1000.0, 0.0, -1000.0], [-1e4, 1e4, 0.0]])
    loss, d = softmax_cross_entropy(logits, np.array([0, 0]))
    tloss, td = _torch_ce(torch, logits, np.array([0, 0]))
    assert loss == pytest.approx(tloss, rel=1e-12)  # second row: -log softmax = 2e4, mean with 0
    np.testing.assert_allclose(d, td, rtol=0, atol=1e-15)
    assert np.isfinite(d).all()
    np.testing.assert_allclose(softmax(logits).sum(-1), 1.0)
    np.testing.assert_allclose(log_softmax(np.array([0.0, 0.0])), np.log([0.5, 0.5]))


def test_cross_entropy_float32_keeps_dtype():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 4)).astype(np.float32)
    _, d = softmax_cross_entropy(logits, np.array([0, 1, 2]))
    assert d.dtype == np.float32


@pytest.mark.parametrize(
    "logits, targets, mask, match",
    [
        (np.zeros((3, 4)), np.array([0, 4, 1]), None, r"targets must be class ids in \[0, K\) = \[0, 4\)"),
        (np.zeros((3, 4)), np.array([0, -1, 1]), None, r"\[0, K\)"),
        (np.zeros((3, 4)), np.array([0, 1]), None, r"targets must have shape \(3,\)"),
        (np.zeros((3, 4)), np.array([0.0, 1.0, 2.0]), None, "integer class ids"),
        (np.zeros((3, 4)), np.array([0, 1, 2]), np.zeros(3, bool), "masks out every position"),
        (np.zeros((3, 4)), np.array([0, 1, 2]), np.ones(2, bool), r"mask must have shape \(3,\)"),
        (np.zeros((3, 4)), np.array([0, 1, 2]), np.array([0.5, 1, 1]), r"mask must hold booleans \(or the numbers 0/1\)"),
        (np.zeros(4), np.array(0), None, r"logits must have shape \(N, K\) or \(T, B, K\)"),
        (np.full((3, 4), np.nan), np.array([0, 1, 2]), None, "logits contains NaN"),
        (np.zeros((3, 4), dtype=int), np.array([0, 1, 2]), None, "logits must be a floating-point"),
    ],
)
def test_cross_entropy_errors(logits, targets, mask, match):
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy(logits, targets, mask)


def test_mse_matches_torch_and_numeric(torch):
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(5, 3, 2))
    target = rng.normal(size=(5, 3, 2))
    loss, d = mse(pred, target)
    tp = torch.tensor(pred, requires_grad=True)
    tl = torch.nn.functional.mse_loss(tp, torch.from_numpy(target))
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(d, tp.grad.numpy(), rtol=0, atol=1e-15)
    num = numeric_gradient(lambda: mse(pred, target)[0], pred)
    assert relative_error(num, d) <= 1e-6


def test_mse_masks_per_step_or_per_element():
    rng = np.random.default_rng(0)
    pred = rng.normal(size=(4, 2, 3))
    target = rng.normal(size=(4, 2, 3))
    step_mask = np.ones((4, 2), bool)
    step_mask[3, 0] = False
    loss, d = mse(pred, target, step_mask)
    keep = np.broadcast_to(step_mask[..., None], pred.shape)
    assert loss == pytest.approx(np.mean((pred - target)[keep] ** 2), rel=1e-12)
    assert np.all(d[3, 0] == 0)
    loss2, d2 = mse(pred, target, keep)
    assert loss2 == pytest.approx(loss, rel=1e-14)
    np.testing.assert_array_equal(d, d2)
    num = numeric_gradient(lambda: mse(pred, target, step_mask)[0], pred)
    assert relative_error(num, d) <= 1e-6


def test_mse_accepts_integer_targets(torch):
    pred, target = np.array([[1.0], [2.0]]), np.array([[1], [0]])
    loss, _ = mse(pred, target)
    tl = torch.nn.functional.mse_loss(torch.from_numpy(pred), torch.from_numpy(target).double())
    assert loss == pytest.approx(tl.item(), rel=1e-15)


@pytest.mark.parametrize(
    "pred, target, mask, match",
    [
        (np.zeros((3, 2)), np.zeros((3, 1)), None, r"target must have the shape of pred \(3, 2\)"),
        (np.zeros((3, 2), dtype=int), np.zeros((3, 2)), None, "pred must be a floating-point"),
        (np.zeros((3, 2)), np.full((3, 2), np.inf), None, "target contains NaN or inf"),
        (np.zeros((3, 2)), np.zeros((3, 2)), np.zeros(3, bool), "masks out every position"),
        (np.zeros((0, 2)), np.zeros((0, 2)), None, "pred is empty"),
    ],
)
def test_mse_errors(pred, target, mask, match):
    with pytest.raises(ValueError, match=match):
        mse(pred, target, mask)


def test_sigmoid_cross_entropy_matches_torch_and_is_stable(torch):
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(6, 2, 1)) * 4
    logits[0, 0, 0], logits[1, 0, 0] = 800.0, -800.0
    targets = rng.integers(0, 2, size=(6, 2, 1))
    mask = np.ones((6, 2), bool)
    mask[5, 1] = False
    loss, d = sigmoid_cross_entropy(logits, targets, mask)
    keep = np.broadcast_to(mask[..., None], logits.shape).copy()
    tp = torch.tensor(logits, requires_grad=True)
    tl = torch.nn.functional.binary_cross_entropy_with_logits(tp[torch.from_numpy(keep)], torch.from_numpy(targets[keep]).double())
    tl.backward()
    assert loss == pytest.approx(tl.item(), rel=1e-12)
    np.testing.assert_allclose(d, tp.grad.numpy(), rtol=0, atol=1e-15)
    small = rng.normal(size=(3, 2, 1))
    t = rng.integers(0, 2, size=(3, 2, 1)).astype(float)
    num = numeric_gradient(lambda: sigmoid_cross_entropy(small, t)[0], small)
    assert relative_error(num, sigmoid_cross_entropy(small, t)[1]) <= 1e-6


def test_sigmoid_cross_entropy_errors():
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        sigmoid_cross_entropy(np.zeros((2, 1)), np.array([[2.0], [0.0]]))
    with pytest.raises(ValueError, match="targets must have the logits' shape"):
        sigmoid_cross_entropy(np.zeros((2, 1)), np.zeros(2))


def test_accuracy():
    logits = np.array([[[2.0, 0.0], [0.0, 1.0]], [[0.0, 3.0], [1.0, 0.0]]])  # (T, B, K) = (2, 2, 2)
    targets = np.array([[0, 1], [0, 0]])
    mask = np.array([[1, 1], [0, 1]])
    hits = logits.argmax(axis=-1) == targets  # (T, B)
    assert 0.0 < np.mean(hits) < 1.0  # the data has both hits and misses, so a wrong count shows
    assert accuracy(logits, targets) == pytest.approx(np.mean(hits), rel=1e-15)
    assert accuracy(logits, targets, mask=mask) == pytest.approx(np.mean(hits[mask.astype(bool)]), rel=1e-15)
    assert np.mean(hits[mask.astype(bool)]) != np.mean(hits)  # the mask changes the answer
    with pytest.raises(ValueError, match="masks out every position"):
        accuracy(logits, targets, mask=np.zeros((2, 2), bool))


@pytest.mark.parametrize("targets", [np.array([0, 7]), np.array([-1, 1])])
def test_accuracy_rejects_out_of_range_targets(targets):
    with pytest.raises(ValueError, match=r"targets must be class ids in \[0, K\) = \[0, 2\)"):
        accuracy(np.array([[1.0, 0.0], [0.0, 1.0]]), targets)


def test_accuracy_ignores_padding_targets_at_masked_positions():
    logits = np.array([[1.0, 0.0], [0.0, 1.0], [5.0, 0.0]])
    assert accuracy(logits, np.array([0, 1, -1]), mask=np.array([True, True, False])) == 1.0


def test_sigmoid_cross_entropy_rejects_empty_input():
    with pytest.raises(ValueError, match=r"logits is empty: got shape \(0, 1\)"):
        sigmoid_cross_entropy(np.zeros((0, 1)), np.zeros((0, 1)))


@pytest.mark.parametrize(
    "logits, match",
    [
        (np.float64(3.0), "at least one axis"),
        (np.array([0.0, np.nan]), "logits contains NaN or inf"),
        (np.array([1.0 + 1j, 0.0]), "logits must be a floating-point array"),
        (np.array(["a", "b"]), "logits must be a floating-point array"),
        (None, "logits must be a floating-point array"),
        (True, "logits must be a floating-point array"),
        (np.zeros((2, 0)), "logits is empty"),
        (np.zeros(0), "logits is empty"),
        (np.array([1, 2]), "logits must be a floating-point array"),
    ],
)
def test_log_softmax_validates_logits(logits, match):
    with pytest.raises(ValueError, match=match):
        log_softmax(logits)


def test_log_softmax_valid_path_unchanged():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 5)) * 10
    shifted = x - x.max(axis=-1, keepdims=True)
    expected = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.testing.assert_array_equal(log_softmax(x), expected)
    assert log_softmax(x.astype(np.float32)).dtype == np.float32


def test_mse_that_overflows_raises_instead_of_returning_inf():
    with pytest.raises(ValueError, match="mse overflowed: pred and target differ by up to 2e\\+154"):
        mse(np.full(3, 1e154), np.full(3, -1e154))
    with pytest.raises(ValueError, match="mse overflowed"):
        mse(np.full(2, 3e38, dtype=np.float32), np.full(2, -3e38, dtype=np.float32))
    loss, _ = mse(np.full(3, 1e150), np.zeros(3))  # large but representable
    assert loss == pytest.approx(1e300)


RAGGED = [[0, 1], [1]]


@pytest.mark.parametrize("call, match", [
    (lambda: mse(np.zeros((2, 2)), RAGGED), "target must be an array of real numbers .*not rectangular"),
    (lambda: mse(np.zeros((2, 2)), np.zeros((2, 2)), RAGGED), "mask must be an array of booleans .*not rectangular"),
    (lambda: softmax_cross_entropy(np.zeros((2, 2, 3)), RAGGED), "targets must be an array of class indices"),
    (lambda: sigmoid_cross_entropy(np.zeros((2, 2)), RAGGED), "targets must be an array of 0/1 labels"),
    (lambda: accuracy(np.zeros((2, 2, 3)), np.zeros((2, 2), int), RAGGED), "mask must be an array of booleans"),
])
def test_ragged_nested_lists_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call()
