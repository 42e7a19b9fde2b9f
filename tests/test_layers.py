"""Tests of companion.layers.Linear: shapes, gradients (numeric and torch), init, dtype, errors."""
import numpy as np
import pytest

from companion.gradcheck import numeric_gradient, relative_error
from companion.layers import Linear


@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 2, 5)])
def test_forward_applies_affine_map_to_last_axis(shape):
    layer = Linear(5, 3, seed=0)
    x = np.random.default_rng(1).normal(size=shape)
    y = layer.forward(x)
    assert y.shape == shape[:-1] + (3,)
    W, b = layer.params["weight"], layer.params["bias"]
    np.testing.assert_allclose(y, np.einsum("...i,oi->...o", x, W) + b, rtol=1e-12)


def test_gradients_match_centred_differences():
    rng = np.random.default_rng(0)
    layer = Linear(4, 3, seed=0)
    x = rng.normal(size=(5, 2, 4))
    R = rng.normal(size=(5, 2, 3))  # loss = sum(R * y)

    def loss():
        return float(np.sum(R * layer.forward(x)))

    layer.forward(x)
    dx = layer.backward(R)
    for name in ("weight", "bias"):
        num = numeric_gradient(loss, layer.params[name])
        assert relative_error(num, layer.grads[name]) <= 1e-6, name
    assert relative_error(numeric_gradient(loss, x), dx) <= 1e-6


def test_matches_torch_linear(torch):
    rng = np.random.default_rng(2)
    layer = Linear(4, 3, seed=3)
    x = rng.normal(size=(6, 2, 4))
    dy = rng.normal(size=(6, 2, 3))
    tl = torch.nn.Linear(4, 3).double()
    with torch.no_grad():
        tl.weight.copy_(torch.from_numpy(layer.params["weight"]))
        tl.bias.copy_(torch.from_numpy(layer.params["bias"]))
    tx = torch.tensor(x, requires_grad=True)
    ty = tl(tx)
    ty.backward(torch.from_numpy(dy))
    y = layer.forward(x)
    dx = layer.backward(dy)
    np.testing.assert_allclose(y, ty.detach().numpy(), atol=1e-13)
    np.testing.assert_allclose(dx, tx.grad.numpy(), atol=1e-13)
    np.testing.assert_allclose(layer.grads["weight"], tl.weight.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.grads["bias"], tl.bias.grad.numpy(), atol=1e-12)


def test_seeded_init_is_reproducible_and_pytorch_scaled():
    a, b, c = Linear(16, 8, seed=7), Linear(16, 8, seed=7), Linear(16, 8, seed=8)
    np.testing.assert_array_equal(a.params["weight"], b.params["weight"])
    assert not np.array_equal(a.params["weight"], c.params["weight"])
    assert np.abs(a.params["weight"]).max() <= 1 / 4  # U(-1/sqrt(in), 1/sqrt(in))
    assert a.params["weight"].shape == (8, 16) and a.params["bias"].shape == (8,)
    g = np.random.default_rng(0)
    assert Linear(2, 2, seed=g).params["weight"].shape == (2, 2)


def test_dtype_follows_params():
    layer = Linear(3, 2, dtype=np.float32, seed=0)
    y = layer.forward(np.ones((4, 3), dtype=np.float64))
    assert y.dtype == np.float32
    dx = layer.backward(np.ones((4, 2)))
    assert dx.dtype == np.float32 and layer.grads["weight"].dtype == np.float32


def test_grads_arrays_keep_identity_and_are_overwritten():
    layer = Linear(2, 2, seed=0)
    gw = layer.grads["weight"]
    layer.forward(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))
    layer.backward(np.ones((1, 2)))  # overwritten, not accumulated
    assert layer.grads["weight"] is gw
    np.testing.assert_allclose(gw, np.ones((2, 2)))


def test_call_is_forward_and_repr():
    layer = Linear(2, 3, seed=0)
    np.testing.assert_array_equal(layer(np.ones((1, 2))), layer.forward(np.ones((1, 2))))
    assert repr(layer) == "Linear(in_features=2, out_features=3, dtype=float64)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(in_features=0, out_features=2), "in_features"),
        (dict(in_features=2, out_features=2.5), "out_features"),
        (dict(in_features=2, out_features=2, dtype=np.int64), "dtype"),
    ],
)
def test_bad_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Linear(**kwargs)


def test_bad_inputs():
    layer = Linear(3, 2, seed=0)
    with pytest.raises(ValueError, match=r"backward\(\) called before forward"):
        layer.backward(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"x must have shape \(\.\.\., in_features\) = \(\.\.\., 3\)"):
        layer.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match="x must be a floating-point"):
        layer.forward(np.ones((4, 3), dtype=int))
    with pytest.raises(ValueError, match="x contains NaN"):
        layer.forward(np.full((4, 3), np.nan))
    layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape .*\(4, 2\)"):
        layer.backward(np.ones((4, 3)))


@pytest.mark.parametrize("seed", ["a", 1.5, -1, True, [1, 2]])
def test_bad_seed_is_named(seed):
    with pytest.raises(ValueError, match="seed must be"):
        Linear(3, 2, seed=seed)


def test_seed_routes_through_make_rng_without_changing_the_draws():
    bound = 1.0 / np.sqrt(3)
    rng = np.random.default_rng(5)
    w, b = rng.uniform(-bound, bound, (2, 3)), rng.uniform(-bound, bound, 2)
    layer = Linear(3, 2, seed=np.int64(5))
    np.testing.assert_array_equal(layer.params["weight"], w)
    np.testing.assert_array_equal(layer.params["bias"], b)


def test_forward_that_overflows_raises():
    layer = Linear(2, 1, seed=0)
    layer.params["weight"][...] = 1.0
    with pytest.raises(ValueError, match=r"Linear\.forward\(\) overflowed"):
        layer.forward(np.full((1, 2), 1e308))
    with pytest.raises(ValueError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.ones((1, 1)))


def test_backward_differentiates_the_forward_pass_as_it_was():
    # forward kept a reference to x, and backward read the current weights: changing either later
    # changed the gradients.
    rng = np.random.default_rng(0)
    layer = Linear(3, 2, seed=0)
    x, dy = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    W = layer.params["weight"].copy()
    layer.forward(x)
    x_then = x.copy()
    x[...] = 7.0
    layer.params["weight"] += 1.0  # an optimiser step between forward and backward
    dx = layer.backward(dy)
    np.testing.assert_allclose(layer.grads["weight"], dy.T @ x_then, rtol=1e-14)
    np.testing.assert_allclose(dx, dy @ W, rtol=1e-14)


@pytest.mark.parametrize("sizes, match", [((2**64, 2), "in_features=18446744073709551616, out_features=2 give"),
                                          ((2**20, 2**20), "more than the 2,147,483,648")])
def test_huge_sizes_are_refused_before_allocating(sizes, match):
    with pytest.raises(ValueError, match=match):
        Linear(*sizes)
