"""The peephole LSTM (LSTM(peephole=True), companion._lstm_peephole): step pair, sequence path, gradients, torch.

PyTorch has no peephole LSTM, so the external reference is a small peephole cell written with torch autograd.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.gradcheck import check_model_gradients, numeric_gradient, relative_error
from companion.lstm import LSTM, LSTMStepGrads, lstm_step_backward, lstm_step_forward


def _step_args(rng, B=3, D=4, H=5):
    return [rng.normal(size=s) for s in [(B, D), (B, H), (B, H), (4 * H, D), (4 * H, H), (4 * H,)]]


def _with_random_peepholes(model, rng):
    for name, p in model.params.items():
        if name.startswith("peephole"):
            p[...] = rng.normal(size=p.shape)
    return model


@pytest.mark.parametrize("g,h", [("tanh", "tanh"), ("identity", "tanh")])
def test_step_backward_matches_numeric(g, h):
    rng = np.random.default_rng(0)
    args, P = _step_args(rng), rng.normal(size=(3, 5))
    da, dc = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))

    def loss():
        a, c, _ = lstm_step_forward(*args, g=g, h=h, peephole=P)
        return float(np.sum(da * a) + np.sum(dc * c))

    grads = lstm_step_backward(da, dc, lstm_step_forward(*args, g=g, h=h, peephole=P)[2])
    for k, name in enumerate(["dx_t", "da_prev", "dc_prev", "dW", "dU", "db"]):
        assert relative_error(getattr(grads, name), numeric_gradient(loss, args[k])) < 1e-8, name
    assert relative_error(grads.dpeephole, numeric_gradient(loss, P)) < 1e-8


def test_step_is_gers_and_schmidhubers_gates():
    rng = np.random.default_rng(1)
    x, a0, c0, W, U, b = args = _step_args(rng)
    P = rng.normal(size=(3, 5))
    a, c, cache = lstm_step_forward(*args, peephole=P)
    zz = x @ W.T + a0 @ U.T + b
    z_i, z_f, z, z_o = np.split(zz, 4, axis=1)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    c_ref = np.tanh(z) * sig(z_i + P[0] * c0) + c0 * sig(z_f + P[1] * c0)  # i and f see the old memory
    assert_allclose(c, c_ref, rtol=1e-13)
    assert_allclose(a, np.tanh(c_ref) * sig(z_o + P[2] * c_ref), rtol=1e-13)  # o sees the new memory
    # without peepholes (or with zero ones) the step is the plain LSTM's
    plain = lstm_step_forward(*args)
    zero = lstm_step_forward(*args, peephole=np.zeros((3, 5)))
    assert_allclose(zero[0], plain[0], rtol=0, atol=0)
    assert plain[2].peephole is None and lstm_step_backward(np.ones((3, 5)), None, plain[2]).dpeephole is None


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state", [
    (1, False, False, False),
    (2, True, False, True),
    (3, True, True, True),
])
def test_sequence_gradients_match_numeric(num_layers, bidirectional, batch_first, with_state):
    rng = np.random.default_rng(3)
    H = 3
    lstm = _with_random_peepholes(LSTM(2, H, num_layers=num_layers, bidirectional=bidirectional,
                                       batch_first=batch_first, peephole=True, seed=4), rng)
    T, B, S = 4, 2, num_layers * lstm.num_directions
    x = rng.normal(size=(B, T, 2) if batch_first else (T, B, 2))
    state = (rng.normal(size=(S, B, H)), rng.normal(size=(S, B, H))) if with_state else None
    errs = check_model_gradients(lstm, x, state)
    assert len(errs) == 5 * S + 1 + 2 * with_state  # weights, biases and peepholes of every layer/direction
    assert max(errs.values()) < 1e-6, errs


@pytest.mark.parametrize("bidirectional", [False, True])
def test_sequence_path_is_a_loop_of_the_step_functions(bidirectional):
    rng = np.random.default_rng(5)
    T, B, D, H = 6, 3, 2, 4
    lstm = _with_random_peepholes(LSTM(D, H, bidirectional=bidirectional, peephole=True, seed=6), rng)
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
        P = lstm.params["peephole" + sfx]
        order = list(range(T - 1, -1, -1) if d else range(T))
        a, c, caches = h0[d], c0[d], {}
        tr = lstm.trace(0, d)
        for t in order:
            a, c, caches[t] = lstm_step_forward(x[t], a, c, W, U, b, peephole=P)
            assert_allclose(out[t, :, d * H:(d + 1) * H], a, rtol=0, atol=1e-13)
            assert_allclose(tr.c[t], c, rtol=0, atol=1e-13)
        assert_allclose(h_n[d], a, rtol=0, atol=1e-13)
        assert_allclose(c_n[d], c, rtol=0, atol=1e-13)
        da, dc = dh_n[d], dc_n[d]
        dP = np.zeros_like(P)
        for t in reversed(order):
            g = lstm_step_backward(dout[t, :, d * H:(d + 1) * H] + da, dc, caches[t])
            da, dc = g.da_prev, g.dc_prev
            dP += g.dpeephole
            dx_sum[t] += g.dx_t
        assert_allclose(lstm.grads["peephole" + sfx], dP, rtol=0, atol=1e-12)
        assert_allclose(lstm.state_grad[0][d], da, rtol=0, atol=1e-12)
        assert_allclose(lstm.state_grad[1][d], dc, rtol=0, atol=1e-12)
    assert_allclose(dx, dx_sum, rtol=0, atol=1e-12)


def _torch_peephole_lstm(torch, x, params, num_layers, bidirectional, state):
    """A peephole LSTM written with torch autograd, in PyTorch's parameter layout (i, f, g, o)."""
    T = x.shape[0]
    nd = 2 if bidirectional else 1
    layer_in, finals_h, finals_c = x, [], []
    for layer in range(num_layers):
        outs = []
        for d in range(nd):
            sfx = f"_l{layer}" + ("_reverse" if d else "")
            W, U = params["weight_ih" + sfx], params["weight_hh" + sfx]
            b = params["bias_ih" + sfx] + params["bias_hh" + sfx]
            P = params["peephole" + sfx]
            a, c = state[0][layer * nd + d], state[1][layer * nd + d]
            steps = range(T - 1, -1, -1) if d else range(T)
            out = [None] * T
            for t in steps:
                z_i, z_f, z, z_o = (layer_in[t] @ W.T + a @ U.T + b).chunk(4, dim=1)
                c = torch.tanh(z) * torch.sigmoid(z_i + P[0] * c) + c * torch.sigmoid(z_f + P[1] * c)
                a = torch.tanh(c) * torch.sigmoid(z_o + P[2] * c)
                out[t] = a
            outs.append(torch.stack(out))
            finals_h.append(a)
            finals_c.append(c)
        layer_in = torch.cat(outs, dim=2)
    return layer_in, torch.stack(finals_h), torch.stack(finals_c)


@pytest.mark.parametrize("num_layers,bidirectional", [(1, False), (2, True)])
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_matches_a_peephole_cell_written_with_torch_autograd(torch, num_layers, bidirectional, dtype, tol):
    rng = np.random.default_rng(7)
    T, B, D, H = 5, 3, 2, 4
    lstm = _with_random_peepholes(LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional, peephole=True,
                                       dtype=dtype, seed=8), rng)
    S = num_layers * lstm.num_directions
    x = rng.normal(size=(T, B, D)).astype(dtype)
    state = (rng.normal(size=(S, B, H)).astype(dtype), rng.normal(size=(S, B, H)).astype(dtype))
    out, (h_n, c_n) = lstm.forward(x, state)
    R, Rh, Rc = (rng.normal(size=v.shape).astype(dtype) for v in (out, h_n, c_n))
    dx = lstm.backward(R, (Rh, Rc))

    tp = {k: torch.tensor(v, requires_grad=True) for k, v in lstm.params.items()}
    tx = torch.tensor(x, requires_grad=True)
    ts = [torch.tensor(s, requires_grad=True) for s in state]
    tout, th, tc = _torch_peephole_lstm(torch, tx, tp, num_layers, bidirectional, ts)
    ((tout * torch.tensor(R)).sum() + (th * torch.tensor(Rh)).sum() + (tc * torch.tensor(Rc)).sum()).backward()
    assert_allclose(out, tout.detach().numpy(), rtol=0, atol=tol)
    assert_allclose(h_n, th.detach().numpy(), rtol=0, atol=tol)
    assert_allclose(c_n, tc.detach().numpy(), rtol=0, atol=tol)
    grad_tol = 10 * tol
    assert_allclose(dx, tx.grad.numpy(), rtol=0, atol=grad_tol)
    for k, p in tp.items():
        assert_allclose(lstm.grads[k], p.grad.numpy(), rtol=0, atol=grad_tol, err_msg=k)
    for g, s in zip(lstm.state_grad, ts):
        assert_allclose(g, s.grad.numpy(), rtol=0, atol=grad_tol)


def test_without_the_option_the_lstm_is_unchanged():
    rng = np.random.default_rng(9)
    x = rng.normal(size=(5, 2, 3))
    plain, zero = LSTM(3, 4, num_layers=2, seed=0), LSTM(3, 4, num_layers=2, peephole=True, seed=0)
    assert list(zero.params) == list(plain.params) + ["peephole_l0", "peephole_l1"]
    for name in plain.params:  # same draws: the peepholes come after, as zeros
        assert_allclose(zero.params[name], plain.params[name], rtol=0, atol=0)
    out_p, (h_p, c_p) = plain.forward(x)
    out_z, (h_z, c_z) = zero.forward(x)
    assert_allclose(out_z, out_p, rtol=0, atol=1e-15)
    assert_allclose(c_z, c_p, rtol=0, atol=1e-15)
    assert "peephole" not in repr(plain) and repr(zero) == "LSTM(3, 4, num_layers=2, peephole=True)"


def test_peephole_model_has_no_torch_twin_and_checks_its_option():
    lstm = LSTM(2, 3, peephole=True, seed=0)
    for call in (lstm.torch_state_dict, lstm.torch_grads, lambda: lstm.load_torch_state_dict(lstm.state_dict())):
        with pytest.raises(ValueError, match="PyTorch has no peephole LSTM"):
            call()
    lstm.load_state_dict(lstm.state_dict())  # the plain state dict round-trips
    with pytest.raises(ValueError, match="peephole"):
        LSTM(2, 3, peephole="yes")
    with pytest.raises(ValueError, match="peephole"):
        lstm_step_forward(*_step_args(np.random.default_rng(0)), peephole=np.zeros((3, 4)))
    assert isinstance(lstm_step_backward(np.ones((3, 5)), None,
                                         lstm_step_forward(*_step_args(np.random.default_rng(0)),
                                                           peephole=np.zeros((3, 5)))[2]), LSTMStepGrads)


def test_backward_after_a_parameter_update_differentiates_the_forward_pass():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5, 2, 3))
    lstm = _with_random_peepholes(LSTM(3, 4, bidirectional=True, peephole=True, seed=0), np.random.default_rng(1))
    twin = _with_random_peepholes(LSTM(3, 4, bidirectional=True, peephole=True, seed=0), np.random.default_rng(1))
    out, _ = lstm.forward(x)
    twin.forward(x)
    dout = rng.normal(size=out.shape)
    want = twin.backward(dout)
    for p in lstm.params.values():
        p *= 1.5
    assert_allclose(lstm.backward(dout), want, rtol=0, atol=0)
    for name in lstm.grads:
        assert_allclose(lstm.grads[name], twin.grads[name], rtol=0, atol=0, err_msg=name)
