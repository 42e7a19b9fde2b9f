"""Tests of companion.activations: stability, dtypes, derivatives."""
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.activations import (
    ACTIVATIONS,
    get_activation,
    relu,
    relu_derivative,
    sigmoid,
    sigmoid_derivative,
    softmax,
    softmax_backward,
    tanh,
    tanh_derivative,
)
from companion.gradcheck import numeric_gradient, relative_error


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_never_overflows_or_warns(dtype):
    x = np.array([-1e4, -110.0, -1e3, 0.0, 110.0, 1e3, 1e4], dtype=dtype)
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        y = sigmoid(x)
        d = sigmoid_derivative(x)
    assert y.dtype == dtype and d.dtype == dtype
    assert_allclose(y[[0, 3, 6]], [0.0, 0.5, 1.0])
    assert np.all((y >= 0) & (y <= 1)) and np.all(np.isfinite(d))


def test_sigmoid_matches_textbook_formula_and_keeps_small_values_accurate():
    x = np.linspace(-30, 30, 121)
    assert_allclose(sigmoid(x), 1 / (1 + np.exp(-x)), rtol=1e-15, atol=0)
    # exact in the tails, where 1 - sigmoid(-x) would cancel
    assert_allclose(sigmoid(np.array([-100.0])), [np.exp(-100.0) / (1 + np.exp(-100.0))], rtol=1e-15)
    assert_allclose(sigmoid(-10.0), 4.5397868702434395e-05, rtol=1e-14)


def test_integer_input_becomes_float():
    assert sigmoid(np.array([0, 1])).dtype == np.float64
    assert relu(np.array([-1, 2])).dtype == np.float64


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_derivatives_match_numeric(name):
    act = get_activation(name)
    x = np.array([-2.3, -0.7, 0.3, 1.9])  # no kink of relu at 0
    num = np.array([numeric_gradient(lambda v: float(act.forward(v)[0]), np.array([xi])) for xi in x]).ravel()
    assert_allclose(act.derivative(x), num, rtol=1e-8, atol=1e-10)
    assert_allclose(act.derivative_from_output(act.forward(x)), num, rtol=1e-8, atol=1e-10)


def test_tanh_relu_values():
    assert_allclose(tanh(np.array([-1e4, 0.0, 1e4])), [-1.0, 0.0, 1.0])
    assert_allclose(tanh_derivative(np.array([0.0])), [1.0])
    assert_allclose(relu_derivative(np.array([-1.0, 0.0, 1.0])), [0.0, 0.0, 1.0])


def test_softmax_is_stable_and_backward_matches_numeric():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = softmax(np.array([[1e4, 0.0, -1e4]]))
    assert_allclose(y, [[1.0, 0.0, 0.0]])
    rng = np.random.default_rng(0)
    z = rng.normal(size=(3, 4))
    w = rng.normal(size=(3, 4))
    num = numeric_gradient(lambda v: float(np.sum(w * softmax(v))), z)
    assert relative_error(softmax_backward(w, softmax(z)), num) < 1e-9
    assert_allclose(softmax(z).sum(axis=-1), 1.0)


def test_get_activation_rejects_unknown_names():
    with pytest.raises(ValueError, match="activation must be one of"):
        get_activation("swish")
    with pytest.raises(ValueError, match="g must be one of 'tanh', 'identity'"):
        get_activation("relu", allowed=("tanh", "identity"), argname="g")


def test_softmax_backward_rejects_mismatched_shapes():
    y = softmax(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"dy must have the shape of y \(2, 1\).*got shape \(2, 3\)"):
        softmax_backward(np.ones((2, 3)), y[:, :1])
    with pytest.raises(ValueError, match=r"dy must have the shape of y \(2, 3\)"):
        softmax_backward(np.ones(3), y)


@pytest.mark.parametrize("axis", [5, -3, 1.0, "1", None, True])
def test_softmax_rejects_bad_axis(axis):
    with pytest.raises(ValueError, match=r"axis must be an integer in \[-2, 2\) for x of shape \(2, 3\)"):
        softmax(np.zeros((2, 3)), axis=axis)
    with pytest.raises(ValueError, match="axis must be an integer"):
        softmax_backward(np.zeros((2, 3)), np.zeros((2, 3)), axis=axis)


def test_softmax_rejects_scalars_and_empty_axes():
    with pytest.raises(ValueError, match="at least one axis"):
        softmax(1.0)
    with pytest.raises(ValueError, match=r"x is empty along axis -1"):
        softmax(np.zeros((2, 0)))


ELEMENTWISE = [fn for act in ACTIVATIONS.values() for fn in (act.forward, act.derivative, act.derivative_from_output)]


@pytest.mark.parametrize("fn", ELEMENTWISE, ids=lambda f: f.__name__)
@pytest.mark.parametrize(
    "bad, match",
    [
        (None, "NoneType"),
        (np.array([1.0 + 2.0j]), "dtype complex128"),
        ("abc", "dtype <U3"),
        (np.array([None, 1.0]), "ndarray"),
    ],
)
def test_elementwise_functions_reject_non_real_input(fn, bad, match):
    with pytest.raises(ValueError, match=r"must be an array of real numbers; got " + match):
        fn(bad)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_elementwise_functions_equal_their_textbook_formulas(name, dtype):
    z = np.random.default_rng(3).normal(size=(4, 3)).astype(dtype) * 3
    act = get_activation(name)
    ref = {  # in float64, the formulas as written
        "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)),
        "tanh": lambda v: (np.exp(v) - np.exp(-v)) / (np.exp(v) + np.exp(-v)),
        "relu": lambda v: np.where(v > 0, v, 0.0),
        "identity": lambda v: v,
    }[name]
    y = act.forward(z)
    rtol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(y, ref(z.astype(np.float64)), rtol=rtol, atol=rtol)
    assert y.dtype == dtype
    assert act.derivative_from_output(y).dtype == dtype


def test_get_activation_accepts_a_single_allowed_name():
    assert get_activation("tanh", allowed="tanh").name == "tanh"
    with pytest.raises(ValueError, match="g must be one of 'tanh'; got 'relu'"):
        get_activation("relu", allowed="tanh", argname="g")
    # a string is one name, not a set of letters
    with pytest.raises(ValueError, match="must be one of 'relu'"):
        get_activation("r", allowed="relu")


@pytest.mark.parametrize("allowed", [5, (), ("tanh", "softmax"), ["tanh", 3]])
def test_get_activation_validates_allowed(allowed):
    with pytest.raises(ValueError, match="allowed must be None, a name or a non-empty sequence of names"):
        get_activation("tanh", allowed=allowed)


def test_activations_dict_is_documented_in_the_module_docstring():
    import companion.activations as mod

    assert "ACTIVATIONS" in mod.__doc__
    assert isinstance(ACTIVATIONS, dict) and set(ACTIVATIONS) == {"sigmoid", "tanh", "relu", "identity"}
    assert "Examples" in mod.Activation.__doc__
