"""Tests of companion.jordan: step pair, sequence model, gradients for every activation."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.activations import sigmoid, softmax
from companion.gradcheck import check_model_gradients, numeric_gradient, relative_error
from companion.jordan import JordanRNN, JordanStepGrads, jordan_step_backward, jordan_step_forward

OUTPUTS = ["identity", "sigmoid", "softmax"]


def _step_args(rng, B=3, D=4, H=5, O=2):
    return (rng.normal(size=(B, D)), rng.normal(size=(B, O)), rng.normal(size=(H, D)), rng.normal(size=(H, O)),
            rng.normal(size=H), rng.normal(size=(O, H)), rng.normal(size=O))


@pytest.mark.parametrize("output_activation", OUTPUTS)
@pytest.mark.parametrize("nonlinearity", ["tanh", "sigmoid", "relu"])
def test_step_backward_matches_numeric(nonlinearity, output_activation):
    rng = np.random.default_rng(0)
    args = _step_args(rng)
    dy, dh = rng.normal(size=(3, 2)), rng.normal(size=(3, 5))
    kw = dict(nonlinearity=nonlinearity, output_activation=output_activation)

    def loss():
        h, y, _ = jordan_step_forward(*args, **kw)
        return float(np.sum(dy * y) + np.sum(dh * h))

    grads = jordan_step_backward(dy, jordan_step_forward(*args, **kw)[2], dh_t=dh)
    assert isinstance(grads, JordanStepGrads)
    for k, name in enumerate(["dx_t", "dy_prev", "dW", "dU", "db", "dV", "db_y"]):
        assert relative_error(getattr(grads, name), numeric_gradient(loss, args[k])) < 1e-8, name


def test_step_forward_formula():
    rng = np.random.default_rng(1)
    x, y0, W, U, b, V, b_y = _step_args(rng)
    h, y, _ = jordan_step_forward(x, y0, W, U, b, V, b_y, nonlinearity="sigmoid", output_activation="softmax")
    assert_allclose(h, sigmoid(x @ W.T + y0 @ U.T + b))
    assert_allclose(y, softmax(h @ V.T + b_y))


@pytest.mark.parametrize("output_activation", OUTPUTS)
@pytest.mark.parametrize("nonlinearity,batch_first,with_state", [
    ("tanh", False, True), ("sigmoid", True, False), ("relu", False, True)])
def test_sequence_gradients_match_numeric(nonlinearity, output_activation, batch_first, with_state):
    rng = np.random.default_rng(2)
    net = JordanRNN(3, 4, 2, nonlinearity=nonlinearity, output_activation=output_activation,
                    batch_first=batch_first, seed=3)
    T, B = 5, 2
    x = rng.normal(size=(B, T, 3) if batch_first else (T, B, 3))
    state = rng.normal(size=(1, B, 2)) if with_state else None
    errs = check_model_gradients(net, x, state)
    assert len(errs) == 6 + with_state
    assert max(errs.values()) < 1e-8, errs  # measured: at most 1.4e-9 over these 9 cases


def test_step_functions_agree_with_the_sequence_model():
    rng = np.random.default_rng(4)
    net = JordanRNN(3, 4, 2, nonlinearity="tanh", output_activation="sigmoid", seed=5)
    T, B = 6, 2
    x, y0 = rng.normal(size=(T, B, 3)), rng.normal(size=(1, B, 2))
    out, y_n = net.forward(x, y0)
    dout, dy_n = rng.normal(size=out.shape), rng.normal(size=y_n.shape)
    dx = net.backward(dout, dy_n)
    p = net.params
    y, caches = y0[0], []
    for t in range(T):
        h, y, cache = jordan_step_forward(x[t], y, p["W"], p["U"], p["b"], p["V"], p["b_y"],
                                          nonlinearity="tanh", output_activation="sigmoid")
        caches.append(cache)
        assert_allclose(out[t], y, rtol=0, atol=1e-14)
        assert_allclose(net.hidden_states()[t], h, rtol=0, atol=1e-14)
    assert_allclose(y_n[0], y, rtol=0, atol=1e-14)
    dy = dy_n[0]
    acc = {k: np.zeros_like(v) for k, v in p.items()}
    for t in reversed(range(T)):
        g = jordan_step_backward(dout[t] + dy, caches[t])
        dy = g.dy_prev
        assert_allclose(dx[t], g.dx_t, rtol=0, atol=1e-13)
        for k, gk in zip(["W", "U", "b", "V", "b_y"], [g.dW, g.dU, g.db, g.dV, g.db_y]):
            acc[k] += gk
    for k in p:
        assert_allclose(net.grads[k], acc[k], rtol=0, atol=1e-12, err_msg=k)
    assert_allclose(net.state_grad[0], dy, rtol=0, atol=1e-13)


def test_state_holds_the_previous_output():
    net = JordanRNN(1, 3, 2, seed=0)
    x = np.random.default_rng(0).normal(size=(4, 1, 1))
    out, y_n = net.forward(x)
    out2, _ = net.forward(x[2:], state=out[1][None])  # restart from y_1
    assert_allclose(out2, out[2:], rtol=0, atol=1e-15)
    assert_allclose(y_n[0], out[-1], rtol=0, atol=0)


def test_seed_dtype_and_repr():
    a, b = JordanRNN(2, 3, 4, seed=9), JordanRNN(2, 3, 4, seed=9)
    assert list(a.params) == ["W", "U", "b", "V", "b_y"]
    assert a.params["U"].shape == (3, 4) and a.params["V"].shape == (4, 3)
    for k in a.params:
        assert_allclose(a.params[k], b.params[k], rtol=0, atol=0)
    net = JordanRNN(2, 3, 4, output_activation="softmax", dtype=np.float32, seed=0)
    y, y_n = net.forward(np.ones((3, 2, 2)))
    assert y.dtype == y_n.dtype == net.backward(np.ones_like(y)).dtype == np.float32
    assert "softmax" in repr(net)


def test_backward_after_a_parameter_update_differentiates_the_forward_pass():
    # backward used the new weights with the old activations.
    rng = np.random.default_rng(12)
    x = rng.normal(size=(5, 2, 3))
    net, twin = JordanRNN(3, 4, 2, seed=0), JordanRNN(3, 4, 2, seed=0)
    y, _ = net.forward(x)
    twin.forward(x)
    dy = rng.normal(size=y.shape)
    want = twin.backward(dy)
    for p in net.params.values():
        p *= 1.5
    assert_allclose(net.backward(dy), want, rtol=0, atol=0)
    for name in net.grads:
        assert_allclose(net.grads[name], twin.grads[name], rtol=0, atol=0, err_msg=name)
