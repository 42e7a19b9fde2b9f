"""Tests of companion.gru and companion._gru_kernel: step pair, sequence model, gradients, trace, bad input."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.activations import sigmoid
from companion.gradcheck import check_model_gradients, numeric_gradient, relative_error
from companion.gru import GRU, GRUStepCache, GRUStepGrads, GRUTrace, gru_step_backward, gru_step_forward

TOL = 1e-6


def _step_args(rng, B=3, D=4, H=5):
    return (rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(3 * H, D)) * 0.5,
            rng.normal(size=(3 * H, H)) * 0.5, rng.normal(size=3 * H), rng.normal(size=3 * H))


def test_step_backward_matches_numeric():
    rng = np.random.default_rng(0)
    args = _step_args(rng)
    dh = rng.normal(size=(3, 5))

    def loss():
        return float(np.sum(dh * gru_step_forward(*args)[0]))

    grads = gru_step_backward(dh, gru_step_forward(*args)[1])
    assert isinstance(grads, GRUStepGrads)
    for k, name in enumerate(GRUStepGrads._fields):
        assert relative_error(getattr(grads, name), numeric_gradient(loss, args[k])) < 1e-8, name
    # the two biases differ exactly in the n block: b_hn is multiplied by the reset gate
    H = 5
    assert_allclose(grads.db_ih[:2 * H], grads.db_hh[:2 * H], rtol=0, atol=0)
    assert not np.allclose(grads.db_ih[2 * H:], grads.db_hh[2 * H:])


def test_step_forward_is_pytorchs_equations_in_r_z_n_order():
    rng = np.random.default_rng(1)
    x, h0, W, U, b_ih, b_hh = _step_args(rng)
    H = 5
    h, cache = gru_step_forward(x, h0, W, U, b_ih, b_hh)
    gi, gh = x @ W.T + b_ih, h0 @ U.T + b_hh
    r = sigmoid(gi[:, :H] + gh[:, :H])
    z = sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
    n = np.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
    assert_allclose(cache.r, r, rtol=1e-14)
    assert_allclose(cache.z, z, rtol=1e-14)
    assert_allclose(cache.n, n, rtol=1e-14)
    assert_allclose(h, (1 - z) * n + z * h0, rtol=1e-14)
    # Cho et al.'s placement of the reset gate, before the product, is another function
    n_cho = np.tanh(gi[:, 2 * H:] + (r * h0) @ U[2 * H:].T + b_hh[2 * H:])
    assert np.abs(n_cho - n).max() > 1e-2


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state", [
    (1, False, False, False),
    (1, False, True, True),
    (2, True, False, True),
    (3, True, True, False),
    (2, False, False, True),
])
def test_sequence_gradients_match_numeric(num_layers, bidirectional, batch_first, with_state):
    rng = np.random.default_rng(3)
    H = 3
    gru = GRU(2, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, seed=4)
    T, B, S = 4, 2, num_layers * gru.num_directions
    x = rng.normal(size=(B, T, 2) if batch_first else (T, B, 2))
    state = rng.normal(size=(S, B, H)) if with_state else None
    errs = check_model_gradients(gru, x, state)
    assert len(errs) == 4 * S + 1 + with_state
    assert max(errs.values()) < TOL, errs


@pytest.mark.parametrize("bidirectional", [False, True])
def test_fast_kernel_agrees_with_the_step_pair(bidirectional, monkeypatch):
    import companion.recurrent as rec

    monkeypatch.setattr(rec, "BPTT_CHUNK_ELEMENTS", 20)  # several chunks of backward, one partial
    rng = np.random.default_rng(5)
    T, B, D, H = 7, 3, 2, 4
    gru = GRU(D, H, bidirectional=bidirectional, seed=6)
    x = rng.normal(size=(T, B, D))
    nd = gru.num_directions
    h0 = rng.normal(size=(nd, B, H))
    out, h_n = gru.forward(x, h0)
    dout, dh_n = rng.normal(size=out.shape), rng.normal(size=h_n.shape)
    dx = gru.backward(dout, dh_n)
    dx_sum = np.zeros_like(x)
    for d in range(nd):
        sfx = "_l0_reverse" if d else "_l0"
        W, U, b_ih, b_hh = (gru.params[p + sfx] for p in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
        order = list(range(T - 1, -1, -1) if d else range(T))
        h, caches = h0[d], {}
        tr = gru.trace(0, d)
        assert isinstance(tr, GRUTrace)
        for t in order:
            h, caches[t] = gru_step_forward(x[t], h, W, U, b_ih, b_hh)
            assert_allclose(out[t, :, d * H:(d + 1) * H], h, rtol=0, atol=1e-13)
            for field in ("r", "z", "n"):
                assert_allclose(getattr(tr, field)[t], getattr(caches[t], field), rtol=0, atol=1e-13, err_msg=field)
            assert_allclose(tr.h[t], h, rtol=0, atol=1e-13)
        assert_allclose(h_n[d], h, rtol=0, atol=1e-13)
        dh = dh_n[d]
        sums = {name: 0.0 for name in ("dW", "dU", "db_ih", "db_hh")}
        for t in reversed(order):
            g = gru_step_backward(dout[t, :, d * H:(d + 1) * H] + dh, caches[t])
            dh = g.dh_prev
            for name in sums:
                sums[name] = sums[name] + getattr(g, name)
            dx_sum[t] += g.dx_t
        for name, param in (("dW", "weight_ih"), ("dU", "weight_hh"), ("db_ih", "bias_ih"), ("db_hh", "bias_hh")):
            assert_allclose(gru.grads[param + sfx], sums[name], rtol=0, atol=1e-12, err_msg=name)
        assert_allclose(gru.state_grad[d], dh, rtol=0, atol=1e-12)
    assert_allclose(dx, dx_sum, rtol=0, atol=1e-12)


def test_parameters_follow_pytorch_names_shapes_and_count():
    gru = GRU(3, 4, num_layers=2, bidirectional=True, seed=0)
    assert gru.params["weight_ih_l0"].shape == (12, 3)
    assert gru.params["weight_ih_l1_reverse"].shape == (12, 8)
    assert gru.params["bias_hh_l1"].shape == (12,)
    H, D = 4, 3
    assert sum(p.size for n, p in gru.params.items() if n.endswith("_l0")) == 3 * (H * D + H * H + 2 * H)
    assert all(np.abs(p).max() <= 1 / np.sqrt(H) for p in gru.params.values())
    assert repr(gru) == "GRU(3, 4, num_layers=2, bidirectional=True)"


def test_seeds_dtypes_and_saturation():
    a, b = GRU(3, 4, seed=1), GRU(3, 4, seed=1)
    for name in a.params:
        assert_allclose(a.params[name], b.params[name], rtol=0, atol=0)
    gru = GRU(3, 4, num_layers=2, bidirectional=True, batch_first=True, dtype=np.float32, seed=0)
    x = np.random.default_rng(0).normal(size=(2, 5, 3)).astype(np.float32)
    out, h = gru.forward(x)
    dx = gru.backward(np.ones_like(out))
    assert out.dtype == h.dtype == dx.dtype == gru.state_grad.dtype == np.float32
    assert all(g.dtype == np.float32 for g in gru.grads.values())
    big = GRU(1, 2, seed=0)  # huge weights saturate every gate without overflow warnings (they are errors)
    for p in big.params.values():
        p *= 1e4
    out, _ = big.forward(np.ones((3, 1, 1)))
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(big.backward(np.ones_like(out))))
    h = np.zeros((1, 2))  # the kernel's exp(x) = inf gives the limits the step pair's sigmoid and tanh give
    W, U, b_ih, b_hh = (big.params[n] for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    for t in range(3):
        h, cache = gru_step_forward(np.ones((1, 1)), h, W, U, b_ih, b_hh)
        assert_allclose(out[t], h, rtol=0, atol=1e-15)
        assert set(np.round(np.concatenate([cache.r, cache.z, cache.n], axis=None), 12)) <= {-1.0, 0.0, 1.0}


def test_forward_does_not_keep_a_reference_to_the_callers_input():
    gru = GRU(2, 3, seed=0)
    x = np.random.default_rng(0).normal(size=(4, 2, 2))
    out, _ = gru.forward(x)
    gru.backward(np.ones_like(out))
    expected = {k: v.copy() for k, v in gru.grads.items()}
    out, _ = gru.forward(x)
    x[:] = 0.0  # the caller reuses its array between forward and backward
    gru.backward(np.ones_like(out))
    for k, v in expected.items():
        assert_allclose(gru.grads[k], v, rtol=0, atol=0, err_msg=k)


@pytest.mark.parametrize("bidirectional", [False, True])
def test_backward_after_a_parameter_update_differentiates_the_forward_pass(bidirectional):
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5, 2, 3))
    gru = GRU(3, 4, num_layers=2, bidirectional=bidirectional, seed=0)
    twin = GRU(3, 4, num_layers=2, bidirectional=bidirectional, seed=0)
    out, _ = gru.forward(x)
    twin.forward(x)
    dout = rng.normal(size=out.shape)
    want = twin.backward(dout)
    for p in gru.params.values():
        p *= 1.5
    assert_allclose(gru.backward(dout), want, rtol=0, atol=0)
    for name in gru.grads:
        assert_allclose(gru.grads[name], twin.grads[name], rtol=0, atol=0, err_msg=name)


def test_bad_input_gets_a_clear_error():
    rng = np.random.default_rng(0)
    x, h0, W, U, b_ih, b_hh = _step_args(rng)
    with pytest.raises(ValueError, match="W must have shape"):
        gru_step_forward(x, h0, W[:-1], U, b_ih, b_hh)
    with pytest.raises(ValueError, match="x_t"):
        gru_step_forward(x[:, :2], h0, W, U, b_ih, b_hh)
    with pytest.raises(ValueError, match="h_prev"):
        gru_step_forward(x, h0[:, :2], W, U, b_ih, b_hh)
    with pytest.raises(ValueError, match="U"):
        gru_step_forward(x, h0, W, U[:5], b_ih, b_hh)
    with pytest.raises(ValueError, match="b_hh"):
        gru_step_forward(x, h0, W, U, b_ih, b_hh[:3])
    with pytest.raises(ValueError, match="b_ih"):
        gru_step_forward(x, h0, W, U, np.full(15, np.nan), b_hh)
    h, cache = gru_step_forward(x, h0, W, U, b_ih, b_hh)
    with pytest.raises(ValueError, match="dh_t"):
        gru_step_backward(np.ones((3, 4)), cache)
    with pytest.raises(ValueError, match="gru_step_forward"):
        gru_step_backward(np.ones((3, 5)), tuple(cache))
    assert isinstance(cache, GRUStepCache)
    gru = GRU(3, 4, num_layers=2, seed=0)
    with pytest.raises(ValueError, match="x"):
        gru.forward(np.ones((5, 2, 2)))
    with pytest.raises(ValueError, match="state"):
        gru.forward(np.ones((5, 2, 3)), np.zeros((1, 2, 4)))
    with pytest.raises(ValueError, match="forward"):
        GRU(3, 4, seed=0).backward(np.ones((5, 2, 4)))
    out, _ = gru.forward(np.ones((5, 2, 3)))
    with pytest.raises(ValueError, match="dout"):
        gru.backward(np.ones((5, 2, 3)))
    with pytest.raises(ValueError, match="hidden_size"):
        GRU(3, 0)
    with pytest.raises(ValueError, match="layer"):
        gru.trace(layer=2)
