"""Tests of companion.gradcheck."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.elman import ElmanRNN
from companion.gradcheck import check_model_gradients, format_relative_error, numeric_gradient, relative_error
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


def test_format_relative_error_prints_rounding_noise_as_a_bound():
    assert [format_relative_error(e) for e in (0.0, 2.6e-11, 9.99e-10, 1e-9, 6.2e-1)] == [
        "< 1e-9", "< 1e-9", "< 1e-9", "1.0e-09", "6.2e-01"]
    assert format_relative_error(3e-8, below=1e-7) == "< 1e-7"


@pytest.mark.parametrize("kwargs, match", [
    ({"error": -1e-12}, "error must be a relative error"), ({"error": float("nan")}, "error must be"),
    ({"error": "1e-11"}, "error must be"), ({"error": True}, "error must be"),
    ({"error": 0.1, "below": 2e-9}, "below must be a power of ten"), ({"error": 0.1, "below": 0}, "below must be"),
    ({"error": 0.1, "below": None}, "below must be"),
])
def test_format_relative_error_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        format_relative_error(**kwargs)


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


@pytest.mark.parametrize("make", [lambda: ElmanRNN(3, 4, seed=0), lambda: LSTM(3, 4, seed=0)], ids=["elman", "lstm"])
def test_check_model_gradients_exercises_the_final_state(make):
    """The loss includes the final state: a backward that ignores dstate must be caught."""
    model = make()
    backward = model.backward
    model.backward = lambda dout, dstate=None: backward(dout)  # drops the final-state gradient
    x = np.random.default_rng(0).normal(size=(5, 2, 3))
    errs = check_model_gradients(model, x)
    assert errs["x"] > 1e-2 and max(errs.values()) > 1e-2


def test_check_model_gradients_on_jordan_with_state():
    net = JordanRNN(2, 3, 2, seed=0)
    rng = np.random.default_rng(2)
    errs = check_model_gradients(net, rng.normal(size=(4, 2, 2)), rng.normal(size=(1, 2, 2)))
    assert set(errs) == {"W", "U", "b", "V", "b_y", "x", "state"}
    assert max(errs.values()) < 1e-7


def _quad(v):
    return float(np.sum(v**2))


@pytest.mark.parametrize("eps", [0, 0.0, -1e-5, float("nan"), float("inf"), "a", None, True])
def test_numeric_gradient_rejects_bad_eps(eps):
    with pytest.raises(ValueError, match="eps must be a finite number > 0"):
        numeric_gradient(_quad, np.array([1.0, 2.0]), eps=eps)


@pytest.mark.parametrize(
    "x, match",
    [
        (np.array([1.0, 2.0], dtype=np.float32), "x must be a float64 ndarray"),
        (np.zeros((0, 3)), r"x is empty \(shape \(0, 3\)\)"),
        ([1.0, 2.0], "x must be a floating-point ndarray.*list"),
    ],
)
def test_numeric_gradient_rejects_bad_x(x, match):
    with pytest.raises(ValueError, match=match):
        numeric_gradient(_quad, x)


def test_numeric_gradient_rejects_read_only_x():
    x = np.array([1.0, 2.0])
    x.flags.writeable = False
    with pytest.raises(ValueError, match="x must be a writeable array"):
        numeric_gradient(_quad, x)


@pytest.mark.parametrize(
    "f, match",
    [
        (None, "f must be a callable"),
        (lambda v: None, r"f must return a finite real scalar.*at x\[\(0,\)\] \+ eps it returned None"),
        (lambda v: v * 2, r"an array of shape \(2,\)"),
        (lambda v: np.array([1.0]), r"an array of shape \(1,\)"),
        (lambda v: float("nan"), "returned nan"),
        (lambda v: complex(1.0, 2.0), "a complex number"),
        (lambda v: "1.0", "returned '1.0'"),
    ],
)
def test_numeric_gradient_rejects_bad_f(f, match):
    x = np.array([1.0, 2.0])
    with pytest.raises(ValueError, match=match):
        numeric_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])  # restored even when f fails


def test_numeric_gradient_approximates_the_analytic_gradient():
    x = np.random.default_rng(5).normal(size=(2, 3))
    x_before = x.copy()
    f = lambda v: float(np.sum(np.sin(v) * v))  # noqa: E731
    grad = np.sin(x) + x * np.cos(x)  # d/dv of sin(v) v
    # centred differences, eps = 1e-5: truncation ~ eps**2 (third derivative), rounding ~ 1e-16 / eps
    np.testing.assert_allclose(numeric_gradient(f, x), grad, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(x, x_before)  # every entry put back


@pytest.mark.parametrize(
    "a, b, kwargs, match",
    [
        ([np.nan], [1.0], {}, "a contains NaN or inf"),
        ([1.0], [np.inf], {}, "b contains NaN or inf"),
        (None, None, {}, "a must be an array of real numbers; got None"),
        ([1.0 + 1j], [1.0], {}, "a must be an array of real numbers; got dtype complex128"),
        (["x"], [1.0], {}, "a must be an array of real numbers"),
        ([0.0], [0.0], {"floor": 0.0}, "floor must be a finite number > 0"),
        ([0.0], [0.0], {"floor": -1.0}, "floor must be a finite number > 0"),
        ([0.0], [0.0], {"floor": float("nan")}, "floor must be a finite number > 0"),
    ],
)
def test_relative_error_rejects_bad_input(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        relative_error(a, b, **kwargs)


def test_check_model_gradients_rejects_float32_models():
    with pytest.raises(ValueError, match=r"model must be float64 .*params\['weight_ih_l0'\] is float32"):
        check_model_gradients(ElmanRNN(2, 3, dtype=np.float32, seed=0), np.ones((3, 1, 2)))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(model=None), "model must have forward, backward, params and grads"),
        (dict(params=["nope"]), r"params must name parameters of the model.*unknown \['nope'\]"),
        (dict(params=5), "params must be None, a parameter name or an iterable of names"),
        (dict(eps=0), "eps must be a finite number > 0"),
        (dict(seed="a"), "seed must be None, an int or a numpy.random.Generator"),
        (dict(check_state="yes"), "check_state must be True or False"),
        (dict(x=None), "x must be an array of real numbers; got None"),
        (dict(x=np.ones((3, 1, 2)) * 1j), "x must be an array of real numbers; got dtype complex128"),
    ],
)
def test_check_model_gradients_bad_arguments(kwargs, match):
    args = dict(model=ElmanRNN(2, 3, seed=0), x=np.ones((3, 1, 2)))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        check_model_gradients(**args)


def test_check_model_gradients_accepts_a_single_param_name():
    errs = check_model_gradients(ElmanRNN(2, 3, seed=0), np.random.default_rng(0).normal(size=(3, 1, 2)),
                                 params="weight_ih_l0")
    assert set(errs) == {"weight_ih_l0", "x"} and max(errs.values()) < 1e-7


def test_check_model_gradients_lstm_state_as_list_or_with_a_none_part():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 2, 2))
    h, c = rng.normal(size=(1, 2, 2)), rng.normal(size=(1, 2, 2))
    as_tuple = check_model_gradients(LSTM(2, 2, seed=0), x, (h, c))
    as_list = check_model_gradients(LSTM(2, 2, seed=0), x, [h, c])
    assert as_list == as_tuple  # the same checks, bit for bit
    errs = check_model_gradients(LSTM(2, 2, seed=0), x, (h, None))
    assert "state[0]" in errs and "state[1]" not in errs and max(errs.values()) < 1e-7


def test_check_model_gradients_handles_linear_and_sequence_model():
    from companion.layers import Linear
    from companion.sequence_model import SequenceModel

    rng = np.random.default_rng(3)
    errs = check_model_gradients(Linear(3, 2, seed=0), rng.normal(size=(4, 3)))
    assert set(errs) == {"weight", "bias", "x"} and max(errs.values()) < 1e-7
    with pytest.raises(ValueError, match="state must be None for a Linear"):
        check_model_gradients(Linear(3, 2, seed=0), rng.normal(size=(4, 3)), state=np.zeros(2))
    model = SequenceModel(LSTM(2, 3, seed=0), Linear(3, 2, seed=0))
    state = (rng.normal(size=(1, 2, 3)), rng.normal(size=(1, 2, 3)))
    errs = check_model_gradients(model, rng.normal(size=(4, 2, 2)), state)
    assert set(errs) == set(model.params) | {"x", "state[0]", "state[1]"}
    assert max(errs.values()) < 1e-7


def test_check_model_gradients_valid_path_is_bit_identical_to_a_generator_seed():
    x = np.random.default_rng(1).normal(size=(3, 2, 2))
    a = check_model_gradients(ElmanRNN(2, 3, seed=0), x, seed=7)
    b = check_model_gradients(ElmanRNN(2, 3, seed=0), x, seed=np.random.default_rng(7))
    assert a == b


@pytest.mark.parametrize("scale", [1e154, 1e200, 1e300, 1e-200, 1e-310])
def test_relative_error_is_scale_free_far_from_one(scale):
    # Squares of 1e154 overflowed: relative_error(1e154, 2e154) was 0.0 (a false pass), NaN from ~1e155.
    a, b = np.full(3, 1.0 * scale), np.full(3, 1.5 * scale)
    want = relative_error(np.full(3, 1.0), np.full(3, 1.5)) if scale > 1 else None
    got = relative_error(a, b, floor=1e-320) if scale < 1 else relative_error(a, b)
    assert got == pytest.approx(0.2, rel=1e-6)
    if want is not None:
        assert got == pytest.approx(want, rel=1e-12)
    assert relative_error(np.full(3, 1e308), np.full(3, -1e308)) == 1.0


def test_relative_error_in_the_ordinary_range_is_unchanged_by_its_scaling():
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    b2 = a + 1e-9 * b
    for x, y in ((a, b), (a, b2), (np.zeros(3), np.full(3, 1e-14))):
        plain = np.linalg.norm(x - y) / max(np.linalg.norm(x) + np.linalg.norm(y), 1e-12)
        assert relative_error(x, y) == plain
