"""The numpy models against torch.nn.RNN / torch.nn.LSTM / torch.nn.GRU on identical weights (float64 and float32).

torch is a test-only dependency (requirements-test.txt); the package never imports it.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.elman import ElmanRNN
from companion.gru import GRU
from companion.lstm import LSTM

torch = pytest.importorskip("torch")  # every test here compares with torch; CI counts a skip as a failure

torch.set_num_threads(1)

D, H = 3, 4
FWD_TOL, GRAD_TOL = 1e-10, 1e-9

# (num_layers, bidirectional, batch_first, with_state, T, B): 1-3 layers, uni/bi, batch_first on/off,
# with and without initial state, T = 1 and longer, batch 1 and more.
CONFIGS = [
    (1, False, False, False, 1, 1),
    (1, False, True, True, 6, 3),
    (1, True, False, True, 5, 1),
    (2, False, False, True, 4, 2),
    (2, True, True, False, 7, 2),
    (3, True, False, True, 3, 2),
    (3, False, True, False, 1, 3),
    (2, True, False, True, 1, 1),
]


def _run_pair(kind, num_layers, bidirectional, batch_first, with_state, T, B, dtype=np.float64, **kw):
    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    torch.manual_seed(0)
    if kind == "lstm":
        tm = torch.nn.LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
        nm = LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                  dtype=dtype, seed=1)
    elif kind == "gru":
        tm = torch.nn.GRU(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first)
        nm = GRU(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                 dtype=dtype, seed=1)
    else:
        tm = torch.nn.RNN(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first, **kw)
        nm = ElmanRNN(D, H, num_layers=num_layers, bidirectional=bidirectional, batch_first=batch_first,
                      dtype=dtype, seed=1, **kw)
    tm = tm.to(tdtype)
    nm.load_torch_state_dict(tm.state_dict())  # torch tensors are accepted directly
    rng = np.random.default_rng(2)
    S = num_layers * (2 if bidirectional else 1)
    x = rng.normal(size=(B, T, D) if batch_first else (T, B, D)).astype(dtype)
    xt = torch.tensor(x, requires_grad=True)
    n_parts = 2 if kind == "lstm" else 1
    states = [rng.normal(size=(S, B, H)).astype(dtype) for _ in range(n_parts)] if with_state else None
    st_t = [torch.tensor(s, requires_grad=True) for s in states] if with_state else None

    if kind == "lstm":
        tout, (th, tc) = tm(xt, tuple(st_t) if with_state else None)
        tfinal = [th, tc]
        out, (h_n, c_n) = nm.forward(x, tuple(states) if with_state else None)
        final = [h_n, c_n]
    else:
        tout, th = tm(xt, st_t[0] if with_state else None)
        tfinal = [th]
        out, h_n = nm.forward(x, states[0] if with_state else None)
        final = [h_n]
    R = rng.normal(size=out.shape).astype(dtype)
    Rs = [rng.normal(size=f.shape).astype(dtype) for f in final]
    loss = (tout * torch.tensor(R)).sum() + sum((f * torch.tensor(r)).sum() for f, r in zip(tfinal, Rs))
    loss.backward()
    dx = nm.backward(R, tuple(Rs) if kind == "lstm" else Rs[0])
    return dict(tm=tm, nm=nm, out=out, tout=tout, final=final, tfinal=tfinal, dx=dx, xt=xt,
                st_t=st_t, with_state=with_state)


def _compare(r, fwd_tol, grad_tol):
    assert_allclose(r["out"], r["tout"].detach().numpy(), rtol=0, atol=fwd_tol)
    assert len(r["final"]) == len(r["tfinal"])
    for f, tf in zip(r["final"], r["tfinal"]):
        assert_allclose(f, tf.detach().numpy(), rtol=0, atol=fwd_tol)
    assert_allclose(r["dx"], r["xt"].grad.numpy(), rtol=0, atol=grad_tol)
    grads = r["nm"].torch_grads()
    names = [n for n, _ in r["tm"].named_parameters()]
    assert sorted(grads) == sorted(names)
    for name, p in r["tm"].named_parameters():
        assert_allclose(grads[name], p.grad.numpy(), rtol=0, atol=grad_tol, err_msg=name)
    if r["with_state"]:
        sg = r["nm"].state_grad
        sg = list(sg) if isinstance(sg, tuple) else [sg]
        assert len(sg) == len(r["st_t"])  # zip would silently drop an unchecked state gradient
        for g, st in zip(sg, r["st_t"]):
            assert_allclose(g, st.grad.numpy(), rtol=0, atol=grad_tol)


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state,T,B", CONFIGS)
def test_lstm_matches_torch_float64(num_layers, bidirectional, batch_first, with_state, T, B):
    _compare(_run_pair("lstm", num_layers, bidirectional, batch_first, with_state, T, B), FWD_TOL, GRAD_TOL)


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state,T,B", CONFIGS)
def test_elman_matches_torch_rnn_float64(nonlinearity, num_layers, bidirectional, batch_first, with_state, T, B):
    _compare(_run_pair("rnn", num_layers, bidirectional, batch_first, with_state, T, B, nonlinearity=nonlinearity),
             FWD_TOL, GRAD_TOL)


@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state,T,B", CONFIGS)
def test_gru_matches_torch_float64(num_layers, bidirectional, batch_first, with_state, T, B):
    _compare(_run_pair("gru", num_layers, bidirectional, batch_first, with_state, T, B), FWD_TOL, GRAD_TOL)


@pytest.mark.parametrize("kind", ["lstm", "rnn", "gru"])
def test_float32_matches_torch_loosely(kind):
    r = _run_pair(kind, 2, True, False, True, 6, 3, dtype=np.float32)
    assert r["out"].dtype == np.float32 and r["dx"].dtype == np.float32
    _compare(r, 1e-5, 1e-4)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_longer_sequence_float64(kind):
    r = _run_pair(kind, 1, True, False, True, 60, 4)
    _compare(r, FWD_TOL, GRAD_TOL)


def test_gru_state_dict_round_trip_into_torch():
    nm = GRU(D, H, num_layers=2, bidirectional=True, seed=3)
    tm = torch.nn.GRU(D, H, num_layers=2, bidirectional=True).double()
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in nm.torch_state_dict().items()})
    x = np.random.default_rng(0).normal(size=(4, 2, D))
    out, h_n = nm.forward(x)
    tout, th = tm(torch.from_numpy(x))
    assert_allclose(out, tout.detach().numpy(), rtol=0, atol=FWD_TOL)
    assert_allclose(h_n, th.detach().numpy(), rtol=0, atol=FWD_TOL)


def test_state_dict_round_trip_into_torch():
    nm = LSTM(D, H, num_layers=2, bidirectional=True, seed=3)
    tm = torch.nn.LSTM(D, H, num_layers=2, bidirectional=True).double()
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in nm.torch_state_dict().items()})
    x = np.random.default_rng(0).normal(size=(4, 2, D))
    out, (h_n, c_n) = nm.forward(x)
    tout, (th, tc) = tm(torch.from_numpy(x))
    assert_allclose(out, tout.detach().numpy(), rtol=0, atol=FWD_TOL)
    assert_allclose(h_n, th.detach().numpy(), rtol=0, atol=FWD_TOL)
    assert_allclose(c_n, tc.detach().numpy(), rtol=0, atol=FWD_TOL)


def test_tensors_with_requires_grad_are_accepted():
    tm = torch.nn.RNN(D, H).double()
    nm = ElmanRNN(D, H, seed=0)
    nm.load_torch_state_dict(dict(tm.named_parameters()))
    tparams = dict(tm.named_parameters())
    assert sorted(nm.params) == sorted(tparams)
    for name, p in tparams.items():
        assert_allclose(nm.params[name], p.detach().numpy(), rtol=0, atol=0, err_msg=name)
