"""Tests of companion.lstm: step pair, sequence model, gradients, trace, worked example."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.activations import sigmoid
from companion.gradcheck import check_model_gradients, numeric_gradient, relative_error
from companion.lstm import LSTM, LSTMStepGrads, LSTMTrace, lstm_step_backward, lstm_step_forward

TOL = 1e-6


def _step_args(rng, B=3, D=4, H=5):
    return (rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(B, H)),
            rng.normal(size=(4 * H, D)) * 0.5, rng.normal(size=(4 * H, H)) * 0.5, rng.normal(size=4 * H))


@pytest.mark.parametrize("g,h", [("tanh", "tanh"), ("identity", "identity"), ("tanh", "identity")])
def test_step_backward_matches_numeric(g, h):
    rng = np.random.default_rng(0)
    args = _step_args(rng)
    da, dc = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))

    def loss():
        a, c, _ = lstm_step_forward(*args, g=g, h=h)
        return float(np.sum(da * a) + np.sum(dc * c))

    grads = lstm_step_backward(da, dc, lstm_step_forward(*args, g=g, h=h)[2])
    assert isinstance(grads, LSTMStepGrads)
    for k, name in enumerate(["dx_t", "da_prev", "dc_prev", "dW", "dU", "db"]):
        assert relative_error(getattr(grads, name), numeric_gradient(loss, args[k])) < 1e-8, name


def test_step_forward_is_the_sources_equations_in_pytorch_block_order():
    rng = np.random.default_rng(1)
    x, a0, c0, W, U, b = _step_args(rng)
    H = 5
    a, c, cache = lstm_step_forward(x, a0, c0, W, U, b)
    zz = x @ W.T + a0 @ U.T + b
    z_i, z_f, z, z_o = zz[:, :H], zz[:, H:2 * H], zz[:, 2 * H:3 * H], zz[:, 3 * H:]
    assert_allclose(cache.z, z)
    assert_allclose(cache.z_i, z_i)
    assert_allclose(cache.z_f, z_f)
    assert_allclose(cache.z_o, z_o)
    c_ref = np.tanh(z) * sigmoid(z_i) + c0 * sigmoid(z_f)
    assert_allclose(c, c_ref, rtol=1e-14)
    assert_allclose(a, np.tanh(c_ref) * sigmoid(z_o), rtol=1e-14)
    assert_allclose(cache.forget_gate, sigmoid(z_f))


def test_step_backward_accepts_dc_none():
    rng = np.random.default_rng(2)
    args = _step_args(rng)
    cache = lstm_step_forward(*args)[2]
    g0 = lstm_step_backward(np.ones((3, 5)), None, cache)
    g1 = lstm_step_backward(np.ones((3, 5)), np.zeros((3, 5)), cache)
    for name in LSTMStepGrads._fields:
        if name == "dpeephole":  # a plain LSTM step has no peephole weights
            assert g0.dpeephole is None and g1.dpeephole is None
            continue
        assert_allclose(getattr(g0, name), getattr(g1, name), rtol=0, atol=0, err_msg=name)


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,gh,with_state", [
    (1, False, False, ("tanh", "tanh"), False),
    (1, False, True, ("identity", "identity"), True),
    (2, True, False, ("tanh", "tanh"), True),
    (3, True, True, ("tanh", "tanh"), True),
    (2, False, False, ("identity", "tanh"), False),
    (1, True, False, ("tanh", "identity"), True),
])
def test_sequence_gradients_match_numeric(num_layers, bidirectional, batch_first, gh, with_state):
    rng = np.random.default_rng(3)
    H = 3
    lstm = LSTM(2, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                g=gh[0], h=gh[1], seed=4)
    T, B, S = 4, 2, num_layers * lstm.num_directions
    x = rng.normal(size=(B, T, 2) if batch_first else (T, B, 2))
    state = (rng.normal(size=(S, B, H)), rng.normal(size=(S, B, H))) if with_state else None
    errs = check_model_gradients(lstm, x, state)
    assert len(errs) == 4 * S + 1 + 2 * with_state
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("gh", [("tanh", "tanh"), ("identity", "identity")])
def test_step_functions_agree_with_the_sequence_model(bidirectional, gh):
    rng = np.random.default_rng(5)
    T, B, D, H = 7, 3, 2, 4
    lstm = LSTM(D, H, bidirectional=bidirectional, g=gh[0], h=gh[1], seed=6)
    x = rng.normal(size=(T, B, D))
    nd = lstm.num_directions
    h0, c0 = rng.normal(size=(nd, B, H)), rng.normal(size=(nd, B, H))
    out, (h_n, c_n) = lstm.forward(x, (h0, c0))
    dout = rng.normal(size=out.shape)
    dh_n, dc_n = rng.normal(size=h_n.shape), rng.normal(size=c_n.shape)
    dx = lstm.backward(dout, (dh_n, dc_n))
    dx_sum = np.zeros_like(x)
    for d in range(nd):
        sfx = "_l0_reverse" if d else "_l0"
        W, U = lstm.params["weight_ih" + sfx], lstm.params["weight_hh" + sfx]
        b = lstm.params["bias_ih" + sfx] + lstm.params["bias_hh" + sfx]
        order = list(range(T - 1, -1, -1) if d else range(T))
        a, c, caches = h0[d], c0[d], {}
        tr = lstm.trace(0, d)
        assert isinstance(tr, LSTMTrace)
        for t in order:
            a, c, caches[t] = lstm_step_forward(x[t], a, c, W, U, b, g=gh[0], h=gh[1])
            assert_allclose(out[t, :, d * H:(d + 1) * H], a, rtol=0, atol=1e-13)
            for field in ("z", "z_i", "z_f", "z_o", "input_gate", "forget_gate", "output_gate", "c", "a"):
                assert_allclose(getattr(tr, field)[t], getattr(caches[t], field), rtol=0, atol=1e-13,
                                err_msg=field)
        assert_allclose(h_n[d], a, rtol=0, atol=1e-13)
        assert_allclose(c_n[d], c, rtol=0, atol=1e-13)
        da, dc = dh_n[d], dc_n[d]
        dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
        for t in reversed(order):
            g = lstm_step_backward(dout[t, :, d * H:(d + 1) * H] + da, dc, caches[t])
            da, dc = g.da_prev, g.dc_prev
            dW += g.dW
            dU += g.dU
            db += g.db
            dx_sum[t] += g.dx_t
        assert_allclose(lstm.grads["weight_ih" + sfx], dW, rtol=0, atol=1e-12)
        assert_allclose(lstm.grads["weight_hh" + sfx], dU, rtol=0, atol=1e-12)
        assert_allclose(lstm.grads["bias_ih" + sfx], db, rtol=0, atol=1e-12)
        assert_allclose(lstm.grads["bias_hh" + sfx], db, rtol=0, atol=1e-12)
        assert_allclose(lstm.state_grad[0][d], da, rtol=0, atol=1e-12)
        assert_allclose(lstm.state_grad[1][d], dc, rtol=0, atol=1e-12)
    assert_allclose(dx, dx_sum, rtol=0, atol=1e-12)


def _worked_example_lstm():
    lstm = LSTM(3, 1, g="identity", h="identity", seed=0)
    W = np.array([[0, 100, 0], [0, 100, 0], [1, 0, 0], [0, 0, 100]], dtype=float)  # rows i, f, g, o
    lstm.load_torch_state_dict({
        "weight_ih_l0": W, "weight_hh_l0": np.zeros((4, 1)),
        "bias_ih_l0": np.array([-10.0, 10.0, 0.0, -10.0]), "bias_hh_l0": np.zeros(4),
    })
    return lstm


def test_classic_worked_example_memory_and_outputs():
    lstm = _worked_example_lstm()
    x = np.array([[3, 1, 0], [4, 1, 0], [2, 0, 0], [1, 0, 1], [3, -1, 0]], dtype=float)[:, None, :]  # (T, 1, 3)
    out, (h_n, c_n) = lstm.forward(x)
    tr = lstm.trace()
    # reference: the step function applied step by step with the same weights
    p = lstm.params
    W, U, b = p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"] + p["bias_hh_l0"]
    a, c = np.zeros((1, 1)), np.zeros((1, 1))  # (B, H)
    for t in range(x.shape[0]):
        a, c, cache = lstm_step_forward(x[t], a, c, W, U, b, g="identity", h="identity")
        for field in ("z", "z_i", "z_f", "z_o", "input_gate", "forget_gate", "output_gate", "c", "a"):
            assert_allclose(getattr(tr, field)[t], getattr(cache, field), rtol=0, atol=1e-12, err_msg=field)
        assert_allclose(out[t], a, rtol=0, atol=1e-12)
    assert_allclose(h_n[0], a, rtol=0, atol=1e-12)
    assert_allclose(c_n[0], c, rtol=0, atol=1e-12)
    assert out[3, 0, 0] < 7  # the exact sigmoid leaks: sigma(-10) = 4.54e-5
    assert_allclose(tr.a, out, rtol=0, atol=1e-14)  # values up to 7: a few ulp


def test_trace_is_available_after_backward_and_for_every_layer():
    lstm = LSTM(2, 3, num_layers=2, bidirectional=True, seed=0)
    x = np.random.default_rng(0).normal(size=(5, 2, 2))
    out, _ = lstm.forward(x)
    before = lstm.trace(1, 1)
    lstm.backward(np.ones_like(out))
    after = lstm.trace(1, 1)
    for f in LSTMTrace._fields:
        assert_allclose(getattr(before, f), getattr(after, f), atol=0)
    assert_allclose(after.a, out[:, :, 3:], atol=1e-14)
    assert lstm.trace(0, 0).c.shape == (5, 2, 3)


def test_seeds_dtypes_and_sigmoid_saturation():
    a, b = LSTM(3, 4, seed=1), LSTM(3, 4, seed=1)
    for name in a.params:
        assert_allclose(a.params[name], b.params[name], rtol=0, atol=0)
        assert a.params[name].shape[0] == 16
    lstm = LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=np.float32, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    out, (h, c) = lstm.forward(x)
    dx = lstm.backward(np.ones_like(out))
    assert out.dtype == h.dtype == c.dtype == dx.dtype == np.float32
    assert all(g.dtype == np.float32 for g in lstm.grads.values())
    assert all(s.dtype == np.float32 for s in lstm.state_grad)
    # huge weights saturate every gate without overflow warnings (RuntimeWarnings are errors)
    big = LSTM(1, 2, seed=0)
    for p in big.params.values():
        p *= 1e4
    out, _ = big.forward(np.ones((3, 1, 1)))
    assert np.all(np.isfinite(out))
    assert np.all(np.isfinite(big.backward(np.ones_like(out))))


@pytest.mark.parametrize("h", ["identity", "tanh"])
def test_a_linear_memory_that_overflows_is_reported_not_returned(h):
    # The memory of g = identity grows without bound; with h = tanh the outputs stay finite, the memory not.
    lstm = LSTM(1, 1, g="identity", h=h, seed=0)
    lstm.load_torch_state_dict({"weight_ih_l0": np.ones((4, 1)), "weight_hh_l0": np.zeros((4, 1)),
                                "bias_ih_l0": np.array([50.0, 50.0, 0.0, 50.0]), "bias_hh_l0": np.zeros(4)})
    with pytest.raises(ValueError, match=r"LSTM\.forward\(\) overflowed"):
        lstm.forward(np.full((3, 1, 1), 1e308))
    with pytest.raises(ValueError, match=r"backward\(\) called before forward\(\)"):
        lstm.backward(np.ones((3, 1, 1)))  # the failed pass left nothing to differentiate
    out, (h_n, c_n) = lstm.forward(np.full((3, 1, 1), 1e300))  # large but finite: fine
    assert np.isfinite(c_n).all() and np.isfinite(out).all()
