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
implementation (one matrix product per step for the four gates, input and bias
included; in-place activations on reused buffers; the weight and input gradients as
a few large products). Tests check that both agree.

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
# Layout. Inside a step every quantity is stored with the batch as the fastest axis: the
# gates of step t are G[t], a (4H, B) block whose four (H, B) gate blocks are contiguous, and
# the memory is C[t] (H, B). Both the per-step matrix product and the elementwise work are
# faster this way than with (B, 4H) rows, where each gate block is a strided slice.
#
# One product per step. Column block s of XA, a (K, B) slab with K = In + H + 1, holds the
# input of the step that reads it, the output a kept in history slot s (see time_indices),
# and a row of ones. With WU = [W | U | b] the four gates' inputs of step t are the single
# product WU @ XA[:, prev]: input projection, recurrence and bias at once. The output a of
# step t is written straight into the slab the next step reads. Because XA is (K, T+1, B),
# the slabs of consecutive steps side by side form the (K, steps*B) matrix that the weight
# gradients need, without a copy.
#
# Gate order and sigmoid. The four row blocks are reordered from PyTorch's (i, f, g, o) to
# (o, i, f, g): the three sigmoid gates are then the contiguous blocks [0:3H] and the three
# blocks whose gradient is scaled by dc (i, f, g) are [H:4H]. The sigmoid is computed as
# f(z) = (1 + tanh(z/2)) / 2 with the 1/2 folded into the (exactly scaled) weight rows, so
# one tanh call covers all four blocks. It never overflows.
#
# Backward. Chunk by chunk (latest first): the local derivatives of the chunk's steps at once,
# then, step by step, the gradients of the pre-activations dZ (4H, B), written over the gates
# in G. Rearranged to (4H, steps*B), the chunk's dZ gives its share of [dW | dU | db] and of dX
# in one matrix product each.

def _block_moves(H):
    """Row blocks ``(internal, pytorch)``: PyTorch's (i, f, g, o) become the internal (o, i, f, g).

    Four slice copies per matrix, cheaper than a fancy-indexed permutation (which builds an index
    array and gathers row by row).

    >>> _block_moves(2)
    [(slice(0, 2, None), slice(6, 8, None)), (slice(2, 4, None), slice(0, 2, None)), \
(slice(4, 6, None), slice(2, 4, None)), (slice(6, 8, None), slice(4, 6, None))]
    """
    return [(slice(k * H, (k + 1) * H), slice(p * H, (p + 1) * H)) for k, p in enumerate((3, 0, 1, 2))]


class _LSTMDirectionCache(NamedTuple):
    XA: np.ndarray  # (K, T+1, B) slab s = XA[:, s]: [x of the step reading it; a in history slot s; 1]
    G: np.ndarray  # (T, 4H, B) gate activations (o, i, f, g), later gradients of the pre-activations
    C: np.ndarray  # (T+1, H, B) initial memory and memories, history slots as in time_indices
    WU: np.ndarray  # (4H, K) [W | U | b] of the forward pass, rows permuted, sigmoid rows halved
    W: np.ndarray  # (4H, In) PyTorch layout (for trace)
    U: np.ndarray  # (4H, H)
    bias: np.ndarray  # (4H,)
    c0: np.ndarray  # (B, H) initial memory (kept for trace)
    reverse: bool

    def inputs(self):
        """The layer input, (T, B, In) (a view)."""
        In = self.W.shape[1]
        _, _, _, prev_sl = time_indices(self.G.shape[0], self.reverse)
        return self.XA[:In, prev_sl].transpose(1, 2, 0)

    def history(self):
        """Initial output and outputs in history slots, (T+1, B, H) (a view)."""
        In, H = self.W.shape[1], self.U.shape[1]
        return self.XA[In:In + H].transpose(1, 2, 0)


def _lstm_direction_forward(X, W, U, bias, a0, c0, reverse, g_tanh, h_tanh, pool):
    T, B, In = X.shape
    H = a0.shape[1]
    K = In + H + 1
    dtype = X.dtype
    WU = np.empty((4 * H, K), dtype=dtype)  # (4H, K)
    for rows, pt in _block_moves(H):
        WU[rows, :In], WU[rows, In:In + H], WU[rows, In + H] = W[pt], U[pt], bias[pt]
    WU[:3 * H] *= 0.5  # fold z/2 of the sigmoid-by-tanh into the gate rows (exact)

    steps, init, out_sl, prev_sl = time_indices(T, reverse)
    last = T if not reverse else 0  # history slot of the last output; no step reads its slab
    XA, G, C = pool.views("forward", dtype, (K, T + 1, B), (T, 4 * H, B), (T + 1, H, B))  # uninitialised
    XA[:In, prev_sl] = X.transpose(2, 0, 1)  # x_t sits in the slab that step t reads
    XA[:In, last] = 0
    XA[In:In + H, init] = a0.T
    XA[In + H] = 1
    C[init] = c0.T
    tmp = np.empty((H, B), dtype=dtype)
    # The step loop is bound by per-call overhead (a (H, B) operation computes in a fraction of
    # the microsecond numpy needs to dispatch it), so the ufuncs are bound to locals and given
    # their output positionally: the out= keyword alone adds a third to each call.
    matmul, tanh, multiply = np.matmul, np.tanh, np.multiply
    for t in steps:
        prev, cur = (t, t + 1) if not reverse else (t + 1, t)
        gt = G[t]  # (4H, B): [z_o, z_i, z_f]/2 and z
        matmul(WU, XA[:, prev], gt)  # the four gates from x_t, a_{t-1} and the bias in one product
        s = gt[:3 * H]
        squashed = gt if g_tanh else s  # the identity g leaves z as it is
        tanh(squashed, squashed)
        s *= 0.5
        s += 0.5  # f(z_o), f(z_i), f(z_f)
        o, i, f, gz = gt[:H], gt[H:2 * H], gt[2 * H:3 * H], gt[3 * H:]
        c = C[cur]
        multiply(gz, i, c)  # g(z) f(z_i)
        multiply(C[prev], f, tmp)
        c += tmp  # c' = g(z) f(z_i) + c f(z_f)
        a = XA[In:In + H, cur]  # (H, B), read by the next step
        if h_tanh:
            tanh(c, tmp)
            multiply(tmp, o, a)  # a = h(c') f(z_o)
        else:
            multiply(c, o, a)
    cache = _LSTMDirectionCache(XA, G, C, WU, W, U, bias, c0.copy(), reverse)
    out = XA[In:In + H, out_sl].transpose(1, 2, 0).copy()  # (T, B, H)
    return out, (XA[In:In + H, last].T.copy(), C[last].T.copy()), cache


def _lstm_direction_backward(cache, dout, da_n, dc_n, g_tanh, h_tanh, pool):
    XA, G, C, WU, _, _, _, _, reverse = cache
    T, H4, B = G.shape
    H = H4 // 4
    K = XA.shape[0]
    In = K - H - 1
    dtype = G.dtype
    unhalf = np.ones((4 * H, 1), dtype=dtype)
    unhalf[:3 * H] = 2
    Wp = WU[:, :In] * unhalf  # (4H, In) the forward's weights, permuted (exact: x 2 undoes x 0.5)
    UpT = (WU[:, In:In + H] * unhalf).T  # (H, 4H), a transposed view: BLAS reads it as fast
    da = np.zeros((H, B), dtype=dtype) if da_n is None else da_n.T.copy()  # gradient into a_t from step t+1
    dc = np.zeros((H, B), dtype=dtype) if dc_n is None else dc_n.T.copy()  # gradient into c' from step t+1
    dc_prev = np.empty((H, B), dtype=dtype)
    tmp = np.empty((H, B), dtype=dtype)
    dX = np.empty((T, B, In), dtype=dtype)  # (T, B, In)
    dWU = np.zeros((4 * H, K), dtype=dtype)  # (4H, K) [dW | dU | db], permuted rows
    part = np.empty((4 * H, K), dtype=dtype)
    G4 = G.reshape(T, 4, H, B)  # a view: blocks (o, i, f, g)
    # Time is cut into chunks, visited in backward order. For each chunk, everything that does not
    # depend on the recurrence is computed vectorised over the chunk's steps: the local
    # derivatives KD with dZ = KD * (da | dc'), and M = f(z_o) h'(c') with dc' = dc + da M. Then
    # the chunk's steps run: a few small operations and one matrix product each, writing dZ over
    # the gates in G. Last, the chunk's share of the weight and input gradients. The temporaries
    # are chunk-sized, so memory stays near the forward's.
    chunk, spans = time_chunks(T, B, H, reverse)
    run = np.dtype((np.void, B * G.itemsize))  # B contiguous values as one item
    matmul, multiply = np.matmul, np.multiply  # for the step loop below (see the forward's)
    # Three (chunk, H, B) temporaries, KD_buf (chunk, 4H, B) and Z_buf, a chunk's dZ as (4H, steps*B).
    M_buf, v_buf, D_buf, KD_buf, Z_buf = pool.views("backward", dtype, *[(chunk, H, B)] * 3, (chunk, 4 * H, B),
                                                    (4 * H, chunk * B))
    for s0, s1 in spans:
        n = s1 - s0
        gs = G[s0:s1]  # (n, 4H, B)
        o, i, f, gz = gs[:, :H], gs[:, H:2 * H], gs[:, 2 * H:3 * H], gs[:, 3 * H:]
        cc = C[s0 + 1:s1 + 1] if not reverse else C[s0:s1]  # c' of these steps
        cp = C[s0:s1] if not reverse else C[s0 + 1:s1 + 1]  # c before these steps
        M, v, D, KD = M_buf[:n], v_buf[:n], D_buf[:n], KD_buf[:n]
        K_o, K_i, K_f, K_g = KD[:, :H], KD[:, H:2 * H], KD[:, 2 * H:3 * H], KD[:, 3 * H:]
        if h_tanh:
            hc = np.tanh(cc, v)  # h(c')
            np.multiply(hc, hc, M)
            np.subtract(1.0, M, M)
            M *= o  # M = f(z_o) h'(c')
        else:
            hc = cc
            M[...] = o
        np.subtract(1.0, o, K_o)
        K_o *= o
        K_o *= hc  # K_o = h(c') f'(z_o)
        np.subtract(1.0, i, K_i)
        K_i *= i
        K_i *= gz  # K_i = g(z) f'(z_i)
        np.subtract(1.0, f, K_f)
        K_f *= f
        K_f *= cp  # K_f = c f'(z_f)
        if g_tanh:
            np.multiply(gz, gz, K_g)
            np.subtract(1.0, K_g, K_g)
            K_g *= i  # K_g = f(z_i) g'(z)
        else:
            K_g[...] = i
        np.copyto(D, dout[s0:s1].transpose(0, 2, 1))  # (n, H, B)
        KD4 = KD.reshape(n, 4, H, B)
        chunk_steps = range(n - 1, -1, -1) if not reverse else range(n)
        for k in chunk_steps:  # call-bound like the forward's loop: see there
            t = s0 + k
            g4, kd4 = G4[t], KD4[k]
            da += D[k]
            multiply(da, M[k], tmp)
            dc += tmp  # dc' = dc + da f(z_o) h'(c')
            multiply(kd4[0], da, g4[0])  # dz_o over z_o's gate
            multiply(dc, g4[2], dc_prev)  # dc_prev = dc' f(z_f), while the gate is still there
            multiply(kd4[1:], dc, g4[1:])  # dz_i, dz_f, dz
            matmul(UpT, G[t], da)  # da_prev
            dc, dc_prev = dc_prev, dc
        # The chunk's share of the weight and input gradients: one product each.
        Z = Z_buf[:, :n * B]
        # dZ as (4H, n*B), columns (step, batch). Each (step, gate row) is a run of B contiguous
        # values, so the copy moves whole runs, viewed as single items: about twice as fast.
        np.copyto(Z.view(run).reshape(4 * H, n), gs.view(run)[..., 0].T)
        S = XA[:, s0:s1] if not reverse else XA[:, s0 + 1:s1 + 1]  # the slabs these steps read
        np.matmul(Z, S.reshape(K, n * B).T, out=part)
        dWU += part  # [dW | dU | db] += dZ [x; a; 1]^T
        np.matmul(Z.T, Wp, out=dX[s0:s1].reshape(n * B, In))  # dx_t = dz_t W
    dW, dU, db = (np.empty_like(p) for p in (WU[:, :In], WU[:, In:In + H], WU[:, In + H]))
    for rows, pt in _block_moves(H):
        dW[pt], dU[pt], db[pt] = dWU[rows, :In], dWU[rows, In:In + H], dWU[rows, In + H]
    return dX, (da.T.copy(), dc.T.copy()), (dW, dU, db)


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
    _keeps_input = False  # forward copies the input into its own buffers

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
        return _lstm_direction_forward(X, W, U, bias, a0, c0, reverse, self.g == "tanh", self.h == "tanh",
                                       self._pool)

    def _direction_backward(self, cache, dout, dfinal):
        return _lstm_direction_backward(cache, dout, dfinal[0], dfinal[1], self.g == "tanh", self.h == "tanh",
                                        self._pool)

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
        X, A, W, U, bias, c0, reverse = (cache.inputs(), cache.history(), cache.W, cache.U, cache.bias,
                                         cache.c0, cache.reverse)
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
