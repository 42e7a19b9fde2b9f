"""companion.bptt: the readable BPTT loop against centred differences, against ElmanRNN's fast backward,
against truncation done by hand (detached windows), and against PyTorch's autograd on nn.RNN."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.bptt import ElmanBPTTGrads, elman_bptt, elman_forward
from companion.elman import ElmanRNN, elman_step_forward
from companion.gradcheck import numeric_gradient, relative_error


def case(T=5, B=3, D=2, H=4, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(T, B, D)), rng.normal(size=(B, H)), rng.normal(size=(H, D)) / np.sqrt(D),
            scale * rng.normal(size=(H, H)) / np.sqrt(H), rng.normal(size=H)), rng.normal(size=(T, B, H))


def test_forward_runs_the_step_function_over_time():
    (x, h0, W, U, b), _ = case()
    h, caches = elman_forward(x, h0, W, U, b)
    expected, state = [], h0
    for x_t in x:
        state, _ = elman_step_forward(x_t, state, W, U, b)
        expected.append(state)
    assert_allclose(h, np.stack(expected), rtol=0, atol=0)
    assert len(caches) == 5 and caches[0].h_prev is h0


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("with_last", [False, True])
def test_bptt_matches_centred_differences(nonlinearity, with_last):
    args, R = case(seed=1, scale=1.5)
    S = np.random.default_rng(2).normal(size=args[1].shape)
    names = ("x", "h0", "W", "U", "b")
    arrays = dict(zip(names, args))

    def loss():
        h, _ = elman_forward(*(arrays[n] for n in names), nonlinearity=nonlinearity)
        return float(np.sum(R * h) + (np.sum(S * h[-1]) if with_last else 0.0))

    h, caches = elman_forward(*args, nonlinearity=nonlinearity)
    grads = elman_bptt(R, caches, dh_last=S if with_last else None)
    assert isinstance(grads, ElmanBPTTGrads)
    for name, g in zip(names, grads):
        assert relative_error(numeric_gradient(loss, arrays[name]), g) < 1e-8, name


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_bptt_matches_the_fast_elman_rnn(nonlinearity):
    rng = np.random.default_rng(3)
    rnn = ElmanRNN(3, 6, nonlinearity=nonlinearity, seed=4)
    x, h0, dout = rng.normal(size=(9, 2, 3)), rng.normal(size=(1, 2, 6)), rng.normal(size=(9, 2, 6))
    dlast = rng.normal(size=(1, 2, 6))
    p = rnn.params
    h, caches = elman_forward(x, h0[0], p["weight_ih_l0"], p["weight_hh_l0"], p["bias_ih_l0"] + p["bias_hh_l0"],
                              nonlinearity)
    out, _ = rnn.forward(x, h0)
    assert_allclose(h, out, rtol=1e-12, atol=1e-14)
    dx = rnn.backward(dout, dlast)
    g = elman_bptt(dout, caches, dh_last=dlast[0])
    assert_allclose(g.dx, dx, rtol=1e-10, atol=1e-12)
    assert_allclose(g.dh0, rnn.state_grad[0], rtol=1e-10, atol=1e-12)
    assert_allclose(g.dW, rnn.grads["weight_ih_l0"], rtol=1e-10, atol=1e-12)
    assert_allclose(g.dU, rnn.grads["weight_hh_l0"], rtol=1e-10, atol=1e-12)
    assert_allclose(g.db, rnn.grads["bias_ih_l0"], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("T, k", [(7, 3), (6, 2), (5, 1), (4, 4), (4, 9)])
def test_truncation_equals_detached_windows(T, k):
    """truncate=k: the same as running each window of k steps from the previous window's (detached) state."""
    (x, h0, W, U, b), dh = case(T=T, seed=5)
    h, caches = elman_forward(x, h0, W, U, b)
    got = elman_bptt(dh, caches, truncate=k)
    dW, dU, db, dx, dh0 = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b), np.zeros_like(x), None
    state = h0
    for s in range(0, T, k):
        hw, cw = elman_forward(x[s:s + k], state, W, U, b)
        g = elman_bptt(dh[s:s + k], cw)
        dW, dU, db = dW + g.dW, dU + g.dU, db + g.db
        dx[s:s + k] = g.dx
        dh0 = g.dh0 if s == 0 else dh0
        state = hw[-1]
    for a, e in zip(got, (dx, dh0, dW, dU, db)):
        assert_allclose(a, e, rtol=1e-12, atol=1e-14)
    if k < T:  # and it differs from full BPTT
        assert not np.allclose(got.dU, elman_bptt(dh, caches).dU)


def test_bptt_matches_torch_autograd(torch):
    (x, h0, W, U, b), dh = case(T=8, B=2, D=3, H=5, seed=6, scale=1.2)
    rnn = torch.nn.RNN(3, 5, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(W))
        rnn.weight_hh_l0.copy_(torch.from_numpy(U))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b))
        rnn.bias_hh_l0.zero_()
    xt = torch.from_numpy(x).requires_grad_(True)
    h0t = torch.from_numpy(h0[None]).requires_grad_(True)
    out, _ = rnn(xt, h0t)
    (out * torch.from_numpy(dh)).sum().backward()
    h, caches = elman_forward(x, h0, W, U, b)
    assert_allclose(h, out.detach().numpy(), rtol=1e-12, atol=1e-14)
    g = elman_bptt(dh, caches)
    assert_allclose(g.dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(g.dh0, h0t.grad.numpy()[0], rtol=1e-10, atol=1e-12)
    assert_allclose(g.dW, rnn.weight_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(g.dU, rnn.weight_hh_l0.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert_allclose(g.db, rnn.bias_ih_l0.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_float32_stays_float32():
    (x, h0, W, U, b), dh = case()
    f32 = [a.astype(np.float32) for a in (x, h0, W, U, b)]
    h, caches = elman_forward(*f32)
    g = elman_bptt(dh.astype(np.float32), caches)
    assert h.dtype == np.float32 and all(a.dtype == np.float32 for a in g)
    ref = elman_bptt(dh, elman_forward(x, h0, W, U, b)[1])
    assert_allclose(g.dU, ref.dU, rtol=1e-4, atol=1e-5)


def test_bad_input_is_named():
    (x, h0, W, U, b), dh = case()
    h, caches = elman_forward(x, h0, W, U, b)
    with pytest.raises(ValueError, match=r"dh must have shape \(T, B, H\) = \(5, 3, 4\)"):
        elman_bptt(dh[:, :, :2], caches)
    with pytest.raises(ValueError, match="caches must be a non-empty list"):
        elman_bptt(dh, [])
    with pytest.raises(ValueError, match="caches must be a non-empty list"):
        elman_bptt(dh, [None] * 5)
    with pytest.raises(ValueError, match="caches must be a non-empty list"):
        elman_bptt(dh, caches[0])
    with pytest.raises(ValueError, match="truncate must be None"):
        elman_bptt(dh, caches, truncate=0)
    with pytest.raises(ValueError, match="truncate must be None"):
        elman_bptt(dh, caches, truncate=2.0)
    with pytest.raises(ValueError, match=r"dh_last must be a 2-D array of shape \(B, H\)"):
        elman_bptt(dh, caches, dh_last=np.zeros(4))
    with pytest.raises(ValueError, match="one sequence of one network"):
        _, other = elman_forward(x, h0, W, 2 * U, b)
        elman_bptt(dh, caches[:2] + other[2:])
    with pytest.raises(ValueError, match="x is empty"):
        elman_forward(x[:0], h0, W, U, b)
    with pytest.raises(ValueError, match=r"x must have shape \(T, B, D\)"):
        elman_forward(x[..., :1], h0, W, U, b)
    with pytest.raises(ValueError, match="nonlinearity must be one of"):
        elman_forward(x, h0, W, U, b, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"h0 must have shape \(B, H\) = \(3, 4\)"):
        elman_forward(x, h0[:, :2], W, U, b)
