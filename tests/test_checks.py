"""Bad input raises ValueError naming the argument and the expected shape."""
import numpy as np
import pytest

from companion.elman import ElmanRNN, elman_step_backward, elman_step_forward
from companion.jordan import JordanRNN, jordan_step_backward, jordan_step_forward
from companion.lstm import LSTM, lstm_step_backward, lstm_step_forward


def _models():
    return [ElmanRNN(3, 4, num_layers=2, seed=0), LSTM(3, 4, num_layers=2, seed=0), JordanRNN(3, 4, 2, seed=0)]


MODELS = ["elman", "lstm", "jordan"]


def _model(kind, **kw):
    return {"elman": lambda: ElmanRNN(3, 4, num_layers=2, **kw),
            "lstm": lambda: LSTM(3, 4, num_layers=2, **kw),
            "jordan": lambda: JordanRNN(3, 4, 2, **kw)}[kind]()


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("x,match", [
    (np.zeros((5, 3)), r"x must be a 3-D array of shape \(T, B, D\) = \(T, B, 3\); got shape \(5, 3\)"),
    (np.zeros((5, 2, 3, 1)), r"x must be a 3-D array of shape \(T, B, D\)"),
    (np.zeros((5, 2, 7)), r"x must have shape \(T, B, D\) = \(T, B, 3\); got shape \(5, 2, 7\) \(axis 2, D, is 7, expected 3\)"),
    (np.full((5, 2, 3), np.nan), "x contains NaN or inf"),
    (np.full((5, 2, 3), np.inf), "x contains NaN or inf"),
    (np.zeros((0, 2, 3)), r"x is empty: expected shape \(T, B, D\) with T >= 1 and B >= 1"),
    (np.zeros((5, 0, 3)), r"x is empty"),
    (np.zeros((5, 2, 3), dtype=int), r"x must be a floating-point array of shape \(T, B, D\).*int64"),
    (np.zeros((5, 2, 3), dtype=bool), r"x must be a floating-point array.*bool"),
    ([["a"]], r"x must be a floating-point array"),
])
def test_bad_sequence_input(kind, x, match):
    with pytest.raises(ValueError, match=match):
        _model(kind, seed=0).forward(x)


def test_batch_first_message_names_the_batch_first_layout():
    with pytest.raises(ValueError, match=r"\(B, T, D\) = \(B, T, 3\)"):
        LSTM(3, 4, batch_first=True, seed=0).forward(np.zeros((2, 5, 4)))


@pytest.mark.parametrize("kind,state,match", [
    ("elman", np.zeros((1, 2, 4)), r"state must have shape \(num_layers\*num_directions, B, H\) = \(2, 2, 4\)"),
    ("elman", np.zeros((2, 4)), r"state must be a 3-D array"),
    ("elman", np.full((2, 2, 4), np.nan), "state contains NaN or inf"),
    ("elman", np.zeros((2, 2, 4), dtype=int), "state must be a floating-point array"),
    ("lstm", np.zeros((2, 2, 4)), r"state must be a tuple \(h, c\)"),
    ("lstm", (np.zeros((2, 2, 4)), np.zeros((2, 3, 4))), r"state\[1\] \(c\) must have shape .* = \(2, 2, 4\)"),
    ("jordan", np.zeros((1, 2, 4)), r"state must have shape \(1, B, O\) = \(1, 2, 2\)"),
])
def test_bad_state(kind, state, match):
    with pytest.raises(ValueError, match=match):
        _model(kind, seed=0).forward(np.zeros((5, 2, 3)), state)


@pytest.mark.parametrize("kind", MODELS)
def test_backward_before_forward_and_twice(kind):
    m = _model(kind, seed=0)
    with pytest.raises(ValueError, match=r"backward\(\) called before forward\(\)"):
        m.backward(np.zeros((5, 2, 4)))
    out, _ = m.forward(np.zeros((5, 2, 3)))
    m.backward(np.zeros(out.shape))
    with pytest.raises(ValueError, match=r"already called for this forward pass"):
        m.backward(np.zeros(out.shape))


@pytest.mark.parametrize("kind,expected", [("elman", r"\(T, B, num_directions\*H\) = \(5, 2, 4\)"),
                                           ("lstm", r"\(T, B, num_directions\*H\) = \(5, 2, 4\)"),
                                           ("jordan", r"\(T, B, O\) = \(5, 2, 2\)")])
def test_dout_of_the_wrong_shape(kind, expected):
    m = _model(kind, seed=0)
    m.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match="dout must have shape " + expected):
        m.backward(np.zeros((5, 2, 9)))
    with pytest.raises(ValueError, match="dout must be a 3-D array"):
        m.backward(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="dout contains NaN or inf"):
        m.backward(np.full((5, 2, 2 if kind == "jordan" else 4), np.nan))


def test_dstate_of_the_wrong_shape():
    m = LSTM(3, 4, seed=0)
    out, _ = m.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"dstate\[0\] \(h\) must have shape"):
        m.backward(np.zeros(out.shape), (np.zeros((1, 3, 4)), None))
    m = JordanRNN(3, 4, 2, seed=0)
    out, _ = m.forward(np.zeros((5, 2, 3)))
    with pytest.raises(ValueError, match=r"dstate must have shape \(1, B, O\)"):
        m.backward(np.zeros(out.shape), np.zeros((1, 2, 4)))


@pytest.mark.parametrize("make,match", [
    (lambda: ElmanRNN(3, 0), "hidden_size must be an integer >= 1; got 0"),
    (lambda: ElmanRNN(0, 3), "input_size must be an integer >= 1"),
    (lambda: LSTM(3, 2.5), "hidden_size must be an integer >= 1; got 2.5"),
    (lambda: LSTM(3, 4, num_layers=0), "num_layers must be an integer >= 1"),
    (lambda: LSTM(3, True), "hidden_size must be an integer >= 1"),
    (lambda: ElmanRNN(3, 4, nonlinearity="sigmoid"), "nonlinearity must be one of 'tanh', 'relu'; got 'sigmoid'"),
    (lambda: LSTM(3, 4, g="relu"), "g must be one of 'tanh', 'identity'"),
    (lambda: LSTM(3, 4, h="sigmoid"), "h must be one of 'tanh', 'identity'"),
    (lambda: JordanRNN(3, 4, 2, nonlinearity="gelu"), "nonlinearity must be one of 'tanh', 'sigmoid', 'relu'"),
    (lambda: JordanRNN(3, 4, 2, output_activation="tanh"), "output_activation must be one of"),
    (lambda: JordanRNN(3, 4, 0), "output_size must be an integer >= 1"),
    (lambda: ElmanRNN(3, 4, dtype=np.int64), "dtype must be np.float32 or np.float64"),
    (lambda: ElmanRNN(3, 4, seed="x"), "seed must be None, an int or a numpy.random.Generator"),
    (lambda: ElmanRNN(3, 4, bidirectional="yes"), "bidirectional must be True or False"),
    (lambda: JordanRNN(3, 4, 2, batch_first=1), "batch_first must be True or False"),
])
def test_bad_constructor_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_bad_state_dict():
    m = ElmanRNN(3, 4, seed=0)
    sd = m.torch_state_dict()
    with pytest.raises(ValueError, match=r"missing \['bias_hh_l0'\]"):
        m.load_torch_state_dict({k: v for k, v in sd.items() if k != "bias_hh_l0"})
    with pytest.raises(ValueError, match=r"state_dict\['weight_ih_l0'\] must have shape \(4, 3\)"):
        m.load_torch_state_dict({**sd, "weight_ih_l0": np.zeros((3, 4))})


def test_bad_layer_or_direction_for_inspection():
    m = LSTM(3, 4, seed=0)
    with pytest.raises(ValueError, match=r"run forward\(x\) first"):
        m.trace()
    m.forward(np.zeros((2, 1, 3)))
    with pytest.raises(ValueError, match=r"direction must be an int in \[0, 0\]"):
        m.trace(0, 1)
    with pytest.raises(ValueError, match=r"layer must be an int in \[0, 0\]"):
        m.trace(1, 0)
    e = ElmanRNN(3, 4, seed=0)
    with pytest.raises(ValueError, match=r"run forward\(x\) first"):
        e.hidden_states()
    j = JordanRNN(3, 4, 2, seed=0)
    with pytest.raises(ValueError, match=r"run forward\(x\) first"):
        j.hidden_states()


def test_bad_step_function_arguments():
    x, h, W, U, b = np.zeros((2, 3)), np.zeros((2, 4)), np.zeros((4, 3)), np.zeros((4, 4)), np.zeros(4)
    with pytest.raises(ValueError, match=r"x_t must have shape \(B, D\) = \(B, 3\)"):
        elman_step_forward(np.zeros((2, 5)), h, W, U, b)
    with pytest.raises(ValueError, match=r"h_prev must have shape \(B, H\) = \(2, 4\)"):
        elman_step_forward(x, np.zeros((2, 5)), W, U, b)
    with pytest.raises(ValueError, match=r"U must have shape"):
        elman_step_forward(x, h, W, np.zeros((4, 5)), b)
    with pytest.raises(ValueError, match="x_t contains NaN or inf"):
        elman_step_forward(np.full((2, 3), np.nan), h, W, U, b)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        elman_step_forward(x, h, W, U, b, nonlinearity="sigmoid")
    _, cache = elman_step_forward(x, h, W, U, b)
    with pytest.raises(ValueError, match=r"dh_t must have shape \(B, H\) = \(2, 4\)"):
        elman_step_backward(np.zeros((2, 3)), cache)
    W4, U4, b4 = np.zeros((16, 3)), np.zeros((16, 4)), np.zeros(16)
    with pytest.raises(ValueError, match=r"c_prev must have shape \(B, H\) = \(2, 4\)"):
        lstm_step_forward(x, h, np.zeros((2, 3)), W4, U4, b4)
    with pytest.raises(ValueError, match=r"W must have shape \(4H, D\)"):
        lstm_step_forward(x, h, h, np.zeros((15, 3)), U4, b4)
    with pytest.raises(ValueError, match=r"b must have shape \(4H,\) = \(16,\)"):
        lstm_step_forward(x, h, h, W4, U4, np.zeros(4))
    with pytest.raises(ValueError, match="x_t must be a floating-point array"):
        lstm_step_forward(np.zeros((2, 3), dtype=int), h, h, W4, U4, b4)
    _, _, lc = lstm_step_forward(x, h, h, W4, U4, b4)
    with pytest.raises(ValueError, match=r"da must have shape \(B, H\) = \(2, 4\)"):
        lstm_step_backward(np.zeros((1, 4)), None, lc)
    with pytest.raises(ValueError, match=r"y_prev must have shape \(B, O\) = \(2, 2\)"):
        jordan_step_forward(x, np.zeros((2, 3)), W, np.zeros((4, 2)), b, np.zeros((2, 4)), np.zeros(2))
    with pytest.raises(ValueError, match="output_activation must be one of"):
        jordan_step_forward(x, np.zeros((2, 2)), W, np.zeros((4, 2)), b, np.zeros((2, 4)), np.zeros(2),
                            output_activation="relu")


@pytest.mark.parametrize("kind", MODELS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_changing_x_after_forward_does_not_change_the_gradients(kind, batch_first):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 3) if batch_first else (5, 2, 3))
    model = _model(kind, seed=0, batch_first=batch_first)
    out, _ = model.forward(x)
    dx_ref = model.backward(np.ones(out.shape))
    grads_ref = {k: v.copy() for k, v in model.grads.items()}
    out, _ = model.forward(x)
    x[:] = 0.0  # the caller reuses its buffer before calling backward
    dx = model.backward(np.ones(out.shape))
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=0)
    for k, v in model.grads.items():
        np.testing.assert_allclose(v, grads_ref[k], rtol=0, atol=0, err_msg=k)


@pytest.mark.parametrize("kind", MODELS)
def test_ragged_nested_list_names_x(kind):
    with pytest.raises(ValueError, match=r"x must be a floating-point array of shape \(T, B, D\).*not a rectangular"):
        _model(kind, seed=0).forward([[[0.0, 1.0, 2.0]], [[0.0]]])


def test_float32_overflow_on_conversion_is_explained():
    with pytest.raises(ValueError, match=r"x contains NaN or inf \(or values beyond the float32 range\)"):
        ElmanRNN(3, 4, dtype=np.float32, seed=0).forward(np.full((2, 1, 3), 1e39))


def test_relu_elman_that_overflows_raises_and_leaves_nothing_for_backward():
    model = ElmanRNN(3, 4, nonlinearity="relu", seed=0)
    model.params["weight_hh_l0"][:] = 1e3
    with pytest.raises(ValueError, match=r"ElmanRNN.forward\(\) overflowed"):
        model.forward(np.ones((200, 1, 3)))
    with pytest.raises(ValueError, match=r"before forward"):
        model.backward(np.ones((200, 1, 4)))


def test_jordan_with_identity_output_that_overflows_raises():
    model = JordanRNN(3, 4, 2, nonlinearity="relu", output_activation="identity", seed=0)
    model.params["U"][:] = 1e3
    model.params["V"][:] = 1e3
    with pytest.raises(ValueError, match=r"JordanRNN.forward\(\) overflowed"):
        model.forward(np.ones((200, 1, 3)))


@pytest.mark.parametrize("seed", [-1, 1.5, "a", True])
def test_bad_seed_is_named(seed):
    with pytest.raises(ValueError, match="seed must be"):
        LSTM(3, 4, seed=seed)


@pytest.mark.parametrize("make_bad,match", [
    (lambda sd: None, "state_dict must be a mapping"),
    (lambda sd: list(sd.items()), "state_dict must be a mapping"),
    (lambda sd: {**sd, "bias_hh_l0": np.full(16, np.nan)}, r"state_dict\['bias_hh_l0'\] contains NaN or inf"),
    (lambda sd: {**sd, "bias_hh_l0": np.zeros(16, complex)}, r"state_dict\['bias_hh_l0'\] must hold real numbers"),
    (lambda sd: {**sd, "bias_hh_l0": np.zeros(7)}, r"state_dict\['bias_hh_l0'\] must have shape \(16,\)"),
])
def test_rejected_state_dict_leaves_the_parameters_untouched(make_bad, match):
    model, other = LSTM(3, 4, seed=0), LSTM(3, 4, seed=1)
    before = model.state_dict()
    with pytest.raises(ValueError, match=match):
        model.load_torch_state_dict(make_bad(other.state_dict()))
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k], err_msg=k)


def test_state_dict_value_beyond_float32_is_rejected():
    model = ElmanRNN(3, 4, dtype=np.float32, seed=0)
    sd = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    sd["weight_ih_l0"][0, 0] = 1e300
    with pytest.raises(ValueError, match=r"state_dict\['weight_ih_l0'\] contains NaN or inf \(as float32\)"):
        model.load_state_dict(sd)


@pytest.mark.parametrize("backward,args,match", [
    (elman_step_backward, (np.zeros((2, 4)), None), r"cache must be the ElmanStepCache returned by elman_step_forward\(\); got NoneType"),
    (elman_step_backward, (np.zeros((2, 4)), (1, 2)), r"cache must be the ElmanStepCache.*got tuple"),
    (lstm_step_backward, (np.zeros((2, 4)), None, None), r"cache must be the LSTMStepCache returned by lstm_step_forward\(\)"),
    (jordan_step_backward, (np.zeros((2, 2)), {}), r"cache must be the JordanStepCache returned by jordan_step_forward\(\); got dict"),
])
def test_step_backward_needs_the_forward_cache(backward, args, match):
    with pytest.raises(ValueError, match=match):
        backward(*args)


@pytest.mark.parametrize("make, match", [
    (lambda: ElmanRNN(3, 2**64), "input_size=3, hidden_size=18446744073709551616, num_layers=1"),
    (lambda: LSTM(2**40, 4), "input_size=1099511627776, hidden_size=4"),
    (lambda: LSTM(3, 4, num_layers=2**64), "num_layers=18446744073709551616"),
    (lambda: ElmanRNN(3, 2**16, num_layers=2, bidirectional=True), "bidirectional=True give"),
    (lambda: JordanRNN(3, 4, 2**64), "output_size=18446744073709551616 give"),
])
def test_huge_sizes_are_refused_before_allocating(make, match):
    # They reached np.sqrt's TypeError, numpy's MemoryError, or a minute of allocating layers.
    with pytest.raises(ValueError, match=match + ".* parameters, more than the 2,147,483,648"):
        make()
