"""Tests of companion.elman: step pair, sequence model, gradients, seeds, dtypes."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.elman import ElmanRNN, ElmanStepGrads, elman_step_backward, elman_step_forward
from companion.gradcheck import check_model_gradients, numeric_gradient, relative_error

TOL = 1e-6


def _step_params(rng, B=3, D=4, H=5):
    return (rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(H, D)) * 0.5,
            rng.normal(size=(H, H)) * 0.5, rng.normal(size=H))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_step_backward_matches_numeric(nonlinearity):
    rng = np.random.default_rng(0)
    args = _step_params(rng)
    dh = rng.normal(size=(3, 5))
    h, cache = elman_step_forward(*args, nonlinearity=nonlinearity)
    grads = elman_step_backward(dh, cache)
    assert isinstance(grads, ElmanStepGrads)
    for k, name in enumerate(["dx_t", "dh_prev", "dW", "dU", "db"]):
        arr = args[k]
        num = numeric_gradient(lambda: float(np.sum(dh * elman_step_forward(*args, nonlinearity=nonlinearity)[0])),
                               arr)
        assert relative_error(getattr(grads, name), num) < 1e-8, name


def test_step_forward_formula():
    rng = np.random.default_rng(1)
    x, h0, W, U, b = _step_params(rng)
    h, _ = elman_step_forward(x, h0, W, U, b)
    assert_allclose(h, np.tanh(x @ W.T + h0 @ U.T + b), rtol=1e-15)
    h, _ = elman_step_forward(x, h0, W, U, b, nonlinearity="relu")
    assert_allclose(h, np.maximum(x @ W.T + h0 @ U.T + b, 0), rtol=1e-15)


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,nonlinearity,with_state", [
    (1, False, False, "tanh", False),
    (1, False, True, "relu", True),
    (2, True, False, "tanh", True),
    (3, True, True, "tanh", True),
    (2, False, False, "relu", False),
])
def test_sequence_gradients_match_numeric(num_layers, bidirectional, batch_first, nonlinearity, with_state):
    rng = np.random.default_rng(2)
    rnn = ElmanRNN(3, 4, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                   nonlinearity=nonlinearity, seed=3)
    T, B = 4, 2
    x = rng.normal(size=(B, T, 3) if batch_first else (T, B, 3))
    state = rng.normal(size=(num_layers * rnn.num_directions, B, 4)) if with_state else None
    errs = check_model_gradients(rnn, x, state)
    assert len(errs) == 4 * num_layers * rnn.num_directions + 1 + with_state
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_step_functions_agree_with_the_sequence_model(bidirectional, nonlinearity):
    rng = np.random.default_rng(4)
    rnn = ElmanRNN(3, 5, bidirectional=bidirectional, nonlinearity=nonlinearity, seed=5)
    T, B, H = 6, 2, 5
    nd = rnn.num_directions
    x = rng.normal(size=(T, B, 3))
    h0 = rng.normal(size=(nd, B, H))
    out, h_n = rnn.forward(x, h0)
    dout = rng.normal(size=out.shape)
    dh_n = rng.normal(size=h_n.shape)
    dx = rnn.backward(dout, dh_n)
    dx_sum = np.zeros_like(x)  # x feeds both directions: its gradient is the sum of their contributions
    for d in range(nd):
        sfx = "_l0_reverse" if d else "_l0"
        W, U = rnn.params["weight_ih" + sfx], rnn.params["weight_hh" + sfx]
        b = rnn.params["bias_ih" + sfx] + rnn.params["bias_hh" + sfx]
        order = list(range(T - 1, -1, -1) if d else range(T))
        h, caches = h0[d], {}
        for t in order:
            h, caches[t] = elman_step_forward(x[t], h, W, U, b, nonlinearity=nonlinearity)
            assert_allclose(out[t, :, d * H:(d + 1) * H], h, rtol=0, atol=1e-13)
        assert_allclose(h_n[d], h, rtol=0, atol=1e-13)
        assert_allclose(rnn.hidden_states(0, d), out[:, :, d * H:(d + 1) * H], rtol=0, atol=0)
        dh = dh_n[d]
        dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
        for t in reversed(order):
            g = elman_step_backward(dout[t, :, d * H:(d + 1) * H] + dh, caches[t])
            dh = g.dh_prev
            dW += g.dW
            dU += g.dU
            db += g.db
            dx_sum[t] += g.dx_t
        assert_allclose(rnn.grads["weight_ih" + sfx], dW, rtol=0, atol=1e-12)
        assert_allclose(rnn.grads["weight_hh" + sfx], dU, rtol=0, atol=1e-12)
        assert_allclose(rnn.grads["bias_ih" + sfx], db, rtol=0, atol=1e-12)
        assert_allclose(rnn.grads["bias_hh" + sfx], db, rtol=0, atol=1e-12)
        assert_allclose(rnn.state_grad[d], dh, rtol=0, atol=1e-12)
    assert_allclose(dx, dx_sum, rtol=0, atol=1e-12)


def test_seeds_give_identical_inits_and_generators_work():
    a, b = ElmanRNN(3, 4, num_layers=2, seed=7), ElmanRNN(3, 4, num_layers=2, seed=7)
    c = ElmanRNN(3, 4, num_layers=2, seed=np.random.default_rng(7))
    d = ElmanRNN(3, 4, num_layers=2, seed=8)
    for name in a.params:
        assert_allclose(a.params[name], b.params[name], rtol=0, atol=0)
        assert_allclose(a.params[name], c.params[name], rtol=0, atol=0)
    assert not np.allclose(a.params["weight_ih_l0"], d.params["weight_ih_l0"])
    k = 1 / np.sqrt(4)
    assert all(np.abs(p).max() <= k for p in a.params.values())
    assert list(a.params) == ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                              "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"]


def test_float32_stays_float32():
    rnn = ElmanRNN(3, 4, num_layers=2, bidirectional=True, dtype=np.float32, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 2, 3))  # float64 input is cast to the model's dtype
    out, h_n = rnn.forward(x)
    dx = rnn.backward(np.ones(out.shape, dtype=np.float32))
    assert out.dtype == h_n.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn.grads.values())
    ref = ElmanRNN(3, 4, num_layers=2, bidirectional=True, seed=0)
    ref.load_state_dict(rnn.state_dict())
    assert_allclose(out, ref.forward(x)[0], atol=1e-5)


def test_grads_and_params_keep_their_identity():
    rnn = ElmanRNN(2, 3, seed=0)
    p_id, g_id = id(rnn.params["weight_hh_l0"]), id(rnn.grads["weight_hh_l0"])
    x = np.ones((3, 1, 2))
    out, _ = rnn.forward(x)
    rnn.backward(np.ones_like(out))
    rnn.load_state_dict(rnn.state_dict())
    assert id(rnn.params["weight_hh_l0"]) == p_id and id(rnn.grads["weight_hh_l0"]) == g_id


def test_output_is_read_only_and_repr():
    rnn = ElmanRNN(2, 3, num_layers=2, nonlinearity="relu", seed=0)
    out, _ = rnn.forward(np.ones((3, 1, 2)))
    with pytest.raises(ValueError, match="read-only"):
        out[0] = 0.0
    assert repr(rnn) == "ElmanRNN(2, 3, num_layers=2, nonlinearity='relu')"


@pytest.mark.parametrize("bidirectional", [False, True])
def test_backward_after_a_parameter_update_differentiates_the_forward_pass(bidirectional):
    # backward used the new weights with the old activations (the LSTM kept forward-time copies).
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5, 2, 3))
    rnn = ElmanRNN(3, 4, num_layers=2, bidirectional=bidirectional, seed=0)
    twin = ElmanRNN(3, 4, num_layers=2, bidirectional=bidirectional, seed=0)
    out, _ = rnn.forward(x)
    twin.forward(x)
    dout = rng.normal(size=out.shape)
    want = twin.backward(dout)
    for p in rnn.params.values():
        p *= 1.5
    assert_allclose(rnn.backward(dout), want, rtol=0, atol=0)
    for name in rnn.grads:
        assert_allclose(rnn.grads[name], twin.grads[name], rtol=0, atol=0, err_msg=name)


def test_identity_init_is_the_irnn():
    irnn = ElmanRNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu", init="identity", seed=0)
    plain = ElmanRNN(3, 4, num_layers=2, bidirectional=True, nonlinearity="relu", seed=0)
    for name, p in irnn.params.items():
        if name.startswith("weight_hh"):
            assert_allclose(p, np.eye(4), rtol=0, atol=0)
        elif name.startswith("bias"):
            assert_allclose(p, 0.0, rtol=0, atol=0)
        else:  # the input weights keep the uniform initialisation of the same seed
            assert_allclose(p, plain.params[name], rtol=0, atol=0)
    assert repr(irnn) == "ElmanRNN(3, 4, num_layers=2, bidirectional=True, nonlinearity='relu', init='identity')"
    # with no input a non-negative state is carried over unchanged, however many steps
    one = ElmanRNN(1, 3, nonlinearity="relu", init="identity", seed=0)
    h0 = np.array([[[0.5, 2.0, 0.0]]])
    out, h_n = one.forward(np.zeros((50, 1, 1)), h0)
    assert_allclose(h_n, h0, rtol=0, atol=0)
    dx = one.backward(np.zeros_like(out), np.ones_like(h_n))
    assert_allclose(one.state_grad, [[[1.0, 1.0, 0.0]]], rtol=0, atol=0)  # ReLU'(0) = 0 for the zero unit
    assert dx.shape == (50, 1, 1)
    errs = check_model_gradients(ElmanRNN(2, 3, nonlinearity="relu", init="identity", seed=1),
                                 np.random.default_rng(0).normal(size=(5, 2, 2)))
    assert max(errs.values()) < TOL, errs
    with pytest.raises(ValueError, match="init must be one of"):
        ElmanRNN(3, 4, init="orthogonal")
