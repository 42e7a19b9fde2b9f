r"""Long short-term memory (LSTM) in the source's notation, with exact BPTT.

A memory cell receives four inputs, computed from :math:`x_t` and the previous output
:math:`a_{t-1}`: the cell input :math:`z` and the gate inputs :math:`z_i, z_f, z_o`.
With f the sigmoid (gate opening in [0, 1]) and g, h the input/output squashing
functions (tanh by default, ``"identity"`` for the classic worked example):

.. math::

    c' = g(z)\, f(z_i) + c\, f(z_f), \qquad a = h(c')\, f(z_o).

Weights follow PyTorch's layout: ``W`` (4H, D) and ``U`` (4H, H) stack the row blocks in
the order **i, f, g, o**, i.e. ``[z_i; z_f; z; z_o] = x W^T + a U^T + b``.

Backward, for the gradients ``da`` (of a) and ``dc`` (of c' from the future):

.. math::

    dc' = dc + da\, f(z_o)\, h'(c'), \quad dz_o = da\, h(c') f'(z_o), \quad
    dz = dc'\, f(z_i)\, g'(z), \quad dz_i = dc'\, g(z) f'(z_i), \quad
    dz_f = dc'\, c\, f'(z_f), \quad dc_{prev} = dc'\, f(z_f).

:func:`lstm_step_forward` / :func:`lstm_step_backward` implement one step literally;
:class:`LSTM` runs whole sequences like ``torch.nn.LSTM`` with a fast sequence-level
implementation (one matrix product for the input projections of all steps, one
product per step for the four gates, in-place activations on preallocated buffers,
one product for each weight gradient). Tests check that both agree.

Examples
--------
>>> import numpy as np
>>> from companion.lstm import LSTM
>>> lstm = LSTM(input_size=3, hidden_size=4, seed=0)
>>> out, (h_n, c_n) = lstm.forward(np.ones((5, 2, 3)))     # (T, B, D)
>>> out.shape, h_n.shape, c_n.shape
((5, 2, 4), (1, 2, 4), (1, 2, 4))
>>> tr = lstm.trace()
>>> tr.forget_gate.shape
(5, 2, 4)
>>> dx = lstm.backward(np.ones_like(out))
>>> dx.shape
(5, 2, 3)
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion._checks import check_array, check_cache, check_choice
from companion.activations import get_activation, sigmoid
from companion.recurrent import StackedRecurrent, time_chunks, time_indices

__all__ = [
    "LSTMStepCache",
    "LSTMStepGrads",
    "LSTMTrace",
    "lstm_step_forward",
    "lstm_step_backward",
    "LSTM",
]

_SQUASH = ("tanh", "identity")


class LSTMStepCache(NamedTuple):
    """Everything :func:`lstm_step_backward` needs from one step (all (B, H) unless noted).

    Attributes
    ----------
    x_t : ndarray, (B, D)
    a_prev, c_prev : ndarray
        Previous output and memory.
    W : ndarray, (4H, D)
    U : ndarray, (4H, H)
    z, z_i, z_f, z_o : ndarray
        The four inputs of the cell.
    input_gate, forget_gate, output_gate : ndarray
        :math:`f(z_i), f(z_f), f(z_o)`.
    g_z : ndarray
        :math:`g(z)`.
    c : ndarray
        New memory :math:`c'`.
    h_c : ndarray
        :math:`h(c')`.
    a : ndarray
        Output.
    g, h : str
        Names of g and h.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.lstm import lstm_step_forward
    >>> a0 = c0 = np.zeros((1, 2))
    >>> a, c, cache = lstm_step_forward(np.ones((1, 3)), a0, c0, np.zeros((8, 3)), np.zeros((8, 2)), np.zeros(8))
    >>> cache.forget_gate  # f(0) = 0.5: a closed-or-open gate starts half open
    array([[0.5, 0.5]])
    >>> cache.c.shape, cache.g, cache.h
    ((1, 2), 'tanh', 'tanh')
    """

    x_t: np.ndarray
    a_prev: np.ndarray
    c_prev: np.ndarray
    W: np.ndarray
    U: np.ndarray
    z: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_o: np.ndarray
    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    g_z: np.ndarray
    c: np.ndarray
    h_c: np.ndarray
    a: np.ndarray
    g: str
    h: str


class LSTMStepGrads(NamedTuple):
    """Gradients of one LSTM step.

    Attributes
    ----------
    dx_t : ndarray, (B, D)
    da_prev : ndarray, (B, H)
    dc_prev : ndarray, (B, H)
    dW : ndarray, (4H, D)
    dU : ndarray, (4H, H)
    db : ndarray, (4H,)

    Examples
    --------
    >>> import numpy as np
    >>> from companion.lstm import lstm_step_backward, lstm_step_forward
    >>> a0 = c0 = np.zeros((1, 2))
    >>> a, c, cache = lstm_step_forward(np.ones((1, 3)), a0, c0, np.zeros((8, 3)), np.zeros((8, 2)), np.zeros(8))
    >>> grads = lstm_step_backward(np.ones((1, 2)), None, cache)
    >>> grads.dc_prev  # dc_prev = dc' f(z_f), with dc' = da f(z_o) h'(c') = 0.5
    array([[0.25, 0.25]])
    >>> grads.dW.shape, grads.db.shape
    ((8, 3), (8,))
    """

    dx_t: np.ndarray
    da_prev: np.ndarray
    dc_prev: np.ndarray
    dW: np.ndarray
    dU: np.ndarray
    db: np.ndarray


class LSTMTrace(NamedTuple):
    """Inside of one LSTM layer/direction at every step (all (T, B, H), time order).

    Attributes
    ----------
    z, z_i, z_f, z_o : ndarray
        Cell input and gate inputs.
    input_gate, forget_gate, output_gate : ndarray
        Gate openings :math:`f(z_i), f(z_f), f(z_o)` in [0, 1].
    c : ndarray
        Memory after each step.
    a : ndarray
        Output at each step.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.lstm import LSTM
    >>> lstm = LSTM(1, 2, seed=0)
    >>> out, _ = lstm.forward(np.ones((4, 1, 1)))
    >>> tr = lstm.trace()
    >>> tr.c.shape, bool(((tr.forget_gate > 0) & (tr.forget_gate < 1)).all())
    ((4, 1, 2), True)
    """

    z: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_o: np.ndarray
    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    c: np.ndarray
    a: np.ndarray


def _split4(zz, H):
    """PyTorch's row blocks i, f, g, o -> (z, z_i, z_f, z_o) in the source's notation."""
    return zz[..., 2 * H:3 * H], zz[..., 0:H], zz[..., H:2 * H], zz[..., 3 * H:4 * H]


def lstm_step_forward(x_t, a_prev, c_prev, W, U, b, g="tanh", h="tanh"):
    r"""One LSTM step: :math:`c' = g(z) f(z_i) + c f(z_f)`, :math:`a = h(c') f(z_o)`.

    Parameters
    ----------
    x_t : ndarray, (B, D)
    a_prev : ndarray, (B, H)
        Previous output :math:`a_{t-1}`.
    c_prev : ndarray, (B, H)
        Previous memory :math:`c`.
    W : ndarray, (4H, D)
        Input weights, row blocks i, f, g, o (PyTorch's ``weight_ih``).
    U : ndarray, (4H, H)
        Recurrent weights, same blocks (``weight_hh``).
    b : ndarray, (4H,)
        Bias (PyTorch's ``bias_ih + bias_hh``).
    g, h : {"tanh", "identity"}
        Squashing of the cell input and of the memory.

    Returns
    -------
    a : ndarray, (B, H)
    c : ndarray, (B, H)
        The new memory :math:`c'`.
    cache : LSTMStepCache

    Examples
    --------
    The classic worked example (one cell, linear g and h): x = (3, 1, 0) writes 3.

    >>> import numpy as np
    >>> W = np.array([[0, 100, 0], [0, 100, 0], [1, 0, 0], [0, 0, 100]], float)  # rows i, f, g, o
    >>> b = np.array([-10.0, 10.0, 0.0, -10.0])
    >>> a, c, cache = lstm_step_forward(np.array([[3.0, 1.0, 0.0]]), np.zeros((1, 1)), np.zeros((1, 1)),
    ...                                 W, np.zeros((4, 1)), b, g="identity", h="identity")
    >>> float(np.round(c[0, 0], 4)), float(np.round(a[0, 0], 4))
    (3.0, 0.0001)
    """
    check_choice(g, "g", _SQUASH)
    check_choice(h, "h", _SQUASH)
    W = check_array(W, "W", (None, None), ("4H", "D"))
    if W.shape[0] % 4:
        raise ValueError(f"W must have shape (4H, D); got shape {W.shape}")
    H, D = W.shape[0] // 4, W.shape[1]
    x_t = check_array(x_t, "x_t", (None, D), ("B", "D"), dtype=W.dtype)
    B = x_t.shape[0]
    a_prev = check_array(a_prev, "a_prev", (B, H), ("B", "H"), dtype=W.dtype)
    c_prev = check_array(c_prev, "c_prev", (B, H), ("B", "H"), dtype=W.dtype)
    U = check_array(U, "U", (4 * H, H), ("4H", "H"), dtype=W.dtype)
    b = check_array(b, "b", (4 * H,), ("4H",), dtype=W.dtype)
    gf, hf = get_activation(g).forward, get_activation(h).forward

    zz = x_t @ W.T + a_prev @ U.T + b  # (B, 4H), blocks [z_i; z_f; z; z_o]
    z, z_i, z_f, z_o = _split4(zz, H)  # (B, H) each
    input_gate, forget_gate, output_gate = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    g_z = gf(z)
    c = g_z * input_gate + c_prev * forget_gate  # c' = g(z) f(z_i) + c f(z_f)
    h_c = hf(c)
    a = h_c * output_gate  # a = h(c') f(z_o)
    cache = LSTMStepCache(x_t, a_prev, c_prev, W, U, z, z_i, z_f, z_o,
                          input_gate, forget_gate, output_gate, g_z, c, h_c, a, g, h)
    return a, c, cache


def lstm_step_backward(da, dc, cache):
    """Backward of :func:`lstm_step_forward`.

    Parameters
    ----------
    da : ndarray, (B, H)
        Gradient with respect to the output ``a`` (from the layer above and from step t+1).
    dc : ndarray, (B, H) or None
        Gradient with respect to the new memory ``c`` coming from step t+1 (None: zero).
    cache : LSTMStepCache

    Returns
    -------
    LSTMStepGrads
        ``(dx_t, da_prev, dc_prev, dW, dU, db)``; ``dW``, ``dU``, ``db`` use PyTorch's
        i, f, g, o row blocks.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> W, U, b = rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), np.zeros(8)
    >>> a, c, cache = lstm_step_forward(rng.normal(size=(1, 3)), np.zeros((1, 2)), np.zeros((1, 2)), W, U, b)
    >>> grads = lstm_step_backward(np.ones((1, 2)), None, cache)
    >>> grads.dW.shape, grads.dc_prev.shape
    ((8, 3), (1, 2))
    """
    check_cache(cache, LSTMStepCache, "lstm_step_forward")
    shape = cache.a.shape
    da = check_array(da, "da", shape, ("B", "H"), dtype=cache.a.dtype)
    dc = np.zeros_like(da) if dc is None else check_array(dc, "dc", shape, ("B", "H"), dtype=cache.a.dtype)
    g_act, h_act = get_activation(cache.g), get_activation(cache.h)
    i, f_, o = cache.input_gate, cache.forget_gate, cache.output_gate

    dc = dc + da * o * h_act.derivative_from_output(cache.h_c)  # total gradient of c'
    dz_o = da * cache.h_c * o * (1.0 - o)
    dz = dc * i * g_act.derivative_from_output(cache.g_z)
    dz_i = dc * cache.g_z * i * (1.0 - i)
    dz_f = dc * cache.c_prev * f_ * (1.0 - f_)
    dc_prev = dc * f_
    dzz = np.concatenate([dz_i, dz_f, dz, dz_o], axis=1)  # (B, 4H), PyTorch's order i, f, g, o
    return LSTMStepGrads(
        dx_t=dzz @ cache.W,  # (B, D)
        da_prev=dzz @ cache.U,  # (B, H)
        dc_prev=dc_prev,  # (B, H)
        dW=dzz.T @ cache.x_t,  # (4H, D)
        dU=dzz.T @ cache.a_prev,  # (4H, H)
        db=dzz.sum(axis=0),  # (4H,)
    )


# ----------------------------------------------------------------------------------------
# Fast sequence-level implementation.
#
# Internally the four row blocks are reordered from PyTorch's (i, f, g, o) to (o, i, f, g):
# the three sigmoid gates are then one contiguous slice [0:3H] and the three blocks whose
# gradient is scaled by dc (i, f, g) are the contiguous slice [H:4H]. The sigmoid is
# computed as f(z) = (1 + tanh(z/2)) / 2 with the 1/2 folded into the (exactly scaled)
# weights, so one tanh call covers all four blocks. It never overflows.

def _perm(H):
    """Row permutation PyTorch (i, f, g, o) -> internal (o, i, f, g)."""
    return np.concatenate([np.arange(k * H, (k + 1) * H) for k in (3, 0, 1, 2)])


class _LSTMDirectionCache(NamedTuple):
    X: np.ndarray  # (T, B, In) layer input
    G: np.ndarray  # (T, B, 4H) gate activations (o, i, f, g), later gradients of the pre-activations
    A: np.ndarray  # (T+1, B, H) initial output and outputs
    C: np.ndarray  # (T+1, B, H) initial memory and memories (reused by backward)
    W: np.ndarray  # (4H, In) PyTorch layout (for trace)
    U: np.ndarray  # (4H, H)
    bias: np.ndarray  # (4H,)
    Wp: np.ndarray  # (4H, In) permuted, unscaled
    Up: np.ndarray  # (4H, H) permuted, unscaled
    c0: np.ndarray  # (B, H) initial memory (kept for trace)
    reverse: bool


def _lstm_direction_forward(X, W, U, bias, a0, c0, reverse, g_tanh, h_tanh):
    T, B, In = X.shape
    H = a0.shape[1]
    dtype = X.dtype
    perm = _perm(H)
    Wp, Up, bp = W[perm], U[perm], bias[perm]
    half = np.ones(4 * H, dtype=dtype)
    half[:3 * H] = 0.5  # fold z/2 of the sigmoid-by-tanh into the gate rows (exact)
    Wh, bh = Wp * half[:, None], bp * half
    UhT = np.ascontiguousarray((Up * half[:, None]).T)  # (H, 4H): a C-ordered right operand is faster

    steps, init, out_sl, prev_sl = time_indices(T, reverse)
    G = np.empty((T, B, 4 * H), dtype=dtype)  # (T, B, 4H)
    np.matmul(X.reshape(T * B, In), Wh.T, out=G.reshape(T * B, 4 * H))  # input projections of all steps
    G += bh
    A = np.empty((T + 1, B, H), dtype=dtype)
    C = np.empty((T + 1, B, H), dtype=dtype)
    A[init] = a0
    C[init] = c0
    rec = np.empty((B, 4 * H), dtype=dtype)
    tmp = np.empty((B, H), dtype=dtype)
    shift = np.where(half == 0.5, 0.5, 0.0).astype(dtype)  # (4H,) with half: f = tanh(z/2)/2 + 1/2
    for t in steps:
        prev, cur = (t, t + 1) if not reverse else (t + 1, t)
        gt = G[t]  # (B, 4H): [z_o, z_i, z_f]/2 and z
        np.matmul(A[prev], UhT, out=rec)  # the four gates' recurrent inputs in one product
        gt += rec
        if g_tanh:
            np.tanh(gt, out=gt)
        else:
            np.tanh(gt[:, :3 * H], out=gt[:, :3 * H])
        gt *= half  # whole rows: faster than a strided [:, :3H] slice; the g block is unchanged (x 1 + 0)
        gt += shift  # f(z_o), f(z_i), f(z_f)
        o, i, f, gz = gt[:, :H], gt[:, H:2 * H], gt[:, 2 * H:3 * H], gt[:, 3 * H:]
        c = C[cur]
        np.multiply(gz, i, out=c)  # g(z) f(z_i)
        np.multiply(C[prev], f, out=tmp)
        c += tmp  # c' = g(z) f(z_i) + c f(z_f)
        if h_tanh:
            np.tanh(c, out=tmp)
            np.multiply(tmp, o, out=A[cur])  # a = h(c') f(z_o)
        else:
            np.multiply(c, o, out=A[cur])
    cache = _LSTMDirectionCache(X, G, A, C, W, U, bias, Wp, Up, c0.copy(), reverse)
    a_n = A[T] if not reverse else A[0]
    c_n = C[T] if not reverse else C[0]
    return A[out_sl], (a_n.copy(), c_n.copy()), cache


def _lstm_direction_backward(cache, dout, da_n, dc_n, g_tanh, h_tanh):
    X, G, A, C, _, _, _, Wp, Up, _, reverse = cache
    T, B, In = X.shape
    H = A.shape[2]
    dtype = X.dtype
    steps, _, out_sl, prev_sl = time_indices(T, reverse)
    G4 = G.reshape(T, B, 4, H)  # a view: blocks (o, i, f, g)
    da = np.zeros((B, H), dtype=dtype) if da_n is None else da_n.copy()  # gradient into a_t from step t+1
    dc = np.zeros((B, H), dtype=dtype) if dc_n is None else dc_n.copy()  # gradient into c' from step t+1
    tmp = np.empty((B, H), dtype=dtype)
    # Time is cut into chunks, visited in backward order. For each chunk, everything that does not
    # depend on the recurrence is computed vectorised over the chunk's steps: G becomes the local
    # derivatives K with dZ = K * (da | dc'), M = f(z_o) h'(c') gives dc' = dc + da M, and F keeps
    # the forget gates for dc_prev = dc' f(z_f). Then the chunk's steps run: a few small operations
    # and one matrix product each. The temporaries are chunk-sized, so memory stays near the forward's.
    chunk, spans = time_chunks(T, B, H, reverse)
    M_buf, F_buf, u_buf, v_buf = (np.empty((chunk, B, H), dtype=dtype) for _ in range(4))
    for s0, s1 in spans:
        n = s1 - s0
        gs = G[s0:s1]
        o, i, f, gz = gs[..., :H], gs[..., H:2 * H], gs[..., 2 * H:3 * H], gs[..., 3 * H:]
        cc = C[s0 + 1:s1 + 1] if not reverse else C[s0:s1]  # c' of these steps
        cp = C[s0:s1] if not reverse else C[s0 + 1:s1 + 1]  # c before these steps
        M, F, u, v = M_buf[:n], F_buf[:n], u_buf[:n], v_buf[:n]
        F[...] = f
        np.subtract(1.0, f, out=u)
        u *= f
        np.multiply(u, cp, out=f)  # K_f = c f'(z_f)
        if h_tanh:
            np.tanh(cc, out=v)  # h(c')
            np.multiply(v, v, out=M)
            np.subtract(1.0, M, out=M)
            M *= o  # M = f(z_o) h'(c')
        else:
            v[...] = cc
            M[...] = o
        np.subtract(1.0, o, out=u)
        u *= o
        np.multiply(u, v, out=o)  # K_o = h(c') f'(z_o)
        np.subtract(1.0, i, out=u)
        u *= i  # f'(z_i)
        if g_tanh:
            np.multiply(gz, gz, out=v)
            np.subtract(1.0, v, out=v)
            v *= i  # K_g = f(z_i) g'(z)
        else:
            v[...] = i
        np.multiply(u, gz, out=i)  # K_i = g(z) f'(z_i)
        gz[...] = v
        chunk_steps = range(n - 1, -1, -1) if not reverse else range(n)
        for k in chunk_steps:
            t = s0 + k
            da += dout[t]  # (B, H)
            np.multiply(da, M[k], out=tmp)
            dc += tmp  # dc' = dc + da f(z_o) h'(c')
            dz = G[t]  # (B, 4H) -> dZ in place
            dz[:, :H] *= da  # dz_o
            G4[t, :, 1:] *= dc[:, None, :]  # dz_i, dz_f, dz
            np.matmul(dz, Up, out=da)  # da_prev
            dc *= F[k]  # dc_prev = dc' f(z_f)
    # Weight and input gradients: one product each over all steps.
    dZ = G.reshape(T * B, 4 * H)
    dX = (dZ @ Wp).reshape(T, B, In)
    dWp = (X.reshape(T * B, In).T @ dZ).T  # (4H, In); this operand order is the faster one for BLAS
    dUp = (A[prev_sl].reshape(T * B, H).T @ dZ).T  # (4H, H)
    dbp = np.ones(T * B, dtype=dtype) @ dZ  # (4H,) sum over steps and batch
    perm = _perm(H)
    dW, dU, db = np.empty_like(dWp), np.empty_like(dUp), np.empty_like(dbp)
    dW[perm], dU[perm], db[perm] = dWp, dUp, dbp
    return dX, (da, dc), (dW, dU, db)


class LSTM(StackedRecurrent):
    r"""LSTM over whole sequences, a numpy twin of ``torch.nn.LSTM``.

    Every layer and direction runs, at each step,
    :math:`c' = g(z) f(z_i) + c f(z_f)`, :math:`a = h(c') f(z_o)` (see the module docstring).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H, memory cells per layer and direction.
    num_layers : int, default 1
    bidirectional : bool, default False
    batch_first : bool, default False
    g, h : {"tanh", "identity"}
        Squashing of the cell input and of the memory (PyTorch: tanh, tanh).
    dtype : np.float64 or np.float32
    seed : None, int or numpy.random.Generator

    Attributes
    ----------
    params, grads : dict of str -> ndarray
        ``weight_ih_l{k}`` (4H, D or num_directions*H), ``weight_hh_l{k}`` (4H, H),
        ``bias_ih_l{k}``, ``bias_hh_l{k}`` (4H,), and ``..._reverse``; row blocks i, f, g, o.
    state_grad : tuple of ndarray
        ``(dh_0, dc_0)`` after :meth:`backward`.

    Notes
    -----
    One backward per forward: backpropagation reuses the forward's buffers.

    Examples
    --------
    >>> import numpy as np
    >>> lstm = LSTM(2, 3, num_layers=2, bidirectional=True, seed=0)
    >>> out, (h_n, c_n) = lstm.forward(np.zeros((4, 1, 2)))
    >>> out.shape, h_n.shape
    ((4, 1, 6), (4, 1, 3))
    >>> np.allclose(lstm.trace(layer=1, direction=0).a, out[:, :, :3])
    True
    """

    _gates = 4
    _state_parts = 2

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False,
                 g="tanh", h="tanh", dtype=np.float64, seed=None):
        self.g = check_choice(g, "g", _SQUASH)
        self.h = check_choice(h, "h", _SQUASH)
        super().__init__(input_size, hidden_size, num_layers, bidirectional, batch_first, dtype, seed)

    def _repr_extra(self):
        extra = []
        if self.g != "tanh":
            extra.append(f"g={self.g!r}")
        if self.h != "tanh":
            extra.append(f"h={self.h!r}")
        return extra

    def forward(self, x, state=None):
        """Run the sequence; see :meth:`companion.recurrent.StackedRecurrent.forward`.

        Parameters
        ----------
        x : ndarray, (T, B, D), or (B, T, D) if ``batch_first``
        state : tuple (h_0, c_0) of ndarrays (num_layers*num_directions, B, H), optional
            Zeros if None (either part may be None).

        Returns
        -------
        out : ndarray, (T, B, num_directions*H) (or (B, T, .))
            The outputs ``a`` of the last layer.
        (h_n, c_n) : tuple of ndarray, (num_layers*num_directions, B, H)
        """
        return super().forward(x, state)

    def _direction_forward(self, X, W, U, bias, state0, reverse):
        a0, c0 = state0
        return _lstm_direction_forward(X, W, U, bias, a0, c0, reverse, self.g == "tanh", self.h == "tanh")

    def _direction_backward(self, cache, dout, dfinal):
        return _lstm_direction_backward(cache, dout, dfinal[0], dfinal[1], self.g == "tanh", self.h == "tanh")

    def trace(self, layer=0, direction=0):
        """Cell inputs, gate openings, memory and outputs of the last forward pass.

        Recomputed from the stored inputs and outputs with the standard formulas
        (so it is available after backward too, and uses the current parameters).

        Parameters
        ----------
        layer : int, default 0
        direction : int, default 0
            0 forward, 1 backward (bidirectional only).

        Returns
        -------
        LSTMTrace
            (T, B, H) arrays in time order (time-major even with ``batch_first``).

        Examples
        --------
        >>> import numpy as np
        >>> lstm = LSTM(1, 1, seed=0)
        >>> _ = lstm.forward(np.ones((3, 1, 1)))
        >>> tr = lstm.trace()
        >>> bool(((tr.forget_gate > 0) & (tr.forget_gate < 1)).all())
        True
        """
        cache = self._check_index(layer, direction)
        X, A, W, U, bias, c0, reverse = cache.X, cache.A, cache.W, cache.U, cache.bias, cache.c0, cache.reverse
        T, B, In = X.shape
        H = self.hidden_size
        steps, _, out_sl, prev_sl = time_indices(T, reverse)
        zz = (X.reshape(T * B, In) @ W.T + A[prev_sl].reshape(T * B, H) @ U.T + bias).reshape(T, B, 4 * H)
        z, z_i, z_f, z_o = (np.ascontiguousarray(p) for p in _split4(zz, H))
        input_gate, forget_gate, output_gate = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
        g_z = get_activation(self.g).forward(z)
        c = np.empty((T, B, H), dtype=self.dtype)
        c_prev = c0
        for t in steps:
            c[t] = g_z[t] * input_gate[t] + c_prev * forget_gate[t]
            c_prev = c[t]
        a = get_activation(self.h).forward(c) * output_gate
        return LSTMTrace(z, z_i, z_f, z_o, input_gate, forget_gate, output_gate, c, a)
