"""Tests of companion.gradcheck."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.elman import ElmanRNN
from companion.gradcheck import check_model_gradients, numeric_gradient, relative_error
from companion.jordan import JordanRNN
from companion.lstm import LSTM


def test_numeric_gradient_of_a_quadratic_is_exact_and_restores_x():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.0])
    x0 = x.copy()
    g = numeric_gradient(lambda v: float(v @ A @ v), x)
    assert_allclose(g, 2 * A @ x0, rtol=1e-9)
    assert_allclose(x, x0, rtol=0, atol=0)


def test_numeric_gradient_accepts_closures_without_argument():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert_allclose(numeric_gradient(lambda: float(np.sum(np.sin(w))), w), np.cos(w), rtol=1e-9)


def test_numeric_gradient_rejects_non_float_arrays():
    with pytest.raises(ValueError, match="floating-point ndarray"):
        numeric_gradient(lambda v: 0.0, np.array([1, 2]))


def test_relative_error_properties():
    assert relative_error([0.0], [0.0]) == 0.0
    assert relative_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert_allclose(relative_error([1.0], [-1.0]), 1.0)
    with pytest.raises(ValueError, match="same shape"):
        relative_error([1.0], [1.0, 2.0])


def test_check_model_gradients_reports_every_parameter_input_and_state():
    rng = np.random.default_rng(0)
    lstm = LSTM(2, 2, seed=0)
    x = rng.normal(size=(3, 2, 2))
    state = (rng.normal(size=(1, 2, 2)), rng.normal(size=(1, 2, 2)))
    errs = check_model_gradients(lstm, x, state)
    assert set(errs) == set(lstm.params) | {"x", "state[0]", "state[1]"}
    assert max(errs.values()) < 1e-7


def test_check_model_gradients_detects_a_wrong_gradient():
    class Broken(ElmanRNN):
        def backward(self, dout, dstate=None):
            dx = super().backward(dout, dstate)
            self.grads["weight_hh_l0"] *= 1.1
            return dx

    errs = check_model_gradients(Broken(2, 3, seed=0), np.random.default_rng(1).normal(size=(4, 1, 2)))
    assert errs["weight_hh_l0"] > 1e-2
    assert errs["weight_ih_l0"] < 1e-7


def test_check_model_gradients_on_jordan_with_state():
    net = JordanRNN(2, 3, 2, seed=0)
    rng = np.random.default_rng(2)
    errs = check_model_gradients(net, rng.normal(size=(4, 2, 2)), rng.normal(size=(1, 2, 2)))
    assert set(errs) == {"W", "U", "b", "V", "b_y", "x", "state"}
    assert max(errs.values()) < 1e-7
