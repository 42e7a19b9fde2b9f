"""Sequence path of the peephole LSTM: one layer in one direction, forward and backward (private).

:class:`companion.lstm.LSTM` with ``peephole=True`` runs this module instead of the fused kernel of
``companion._lstm_kernel``, which stays as it is for the plain LSTM. The step is the one of
:func:`companion.lstm.lstm_step_forward` with ``peephole=(p_i, p_f, p_o)``,

.. math::

    c' = g(z) f(z_i + p_i c) + c f(z_f + p_f c), \\qquad a = h(c') f(z_o + p_o c'),

written batch-major over the whole sequence: the input projections of all steps are one matrix
product, the loop does one product per step, and the weight and input gradients are one product
each at the end. tests/test_lstm_peephole.py checks it against a loop of the step functions, against
numeric gradients and against a peephole cell written with torch autograd.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion.activations import get_activation, sigmoid
from companion.recurrent import time_indices


class PeepholeCache(NamedTuple):
    """What :func:`forward` leaves for :func:`backward` and for :meth:`companion.lstm.LSTM.trace`.

    Attributes
    ----------
    X : ndarray, (T, B, D)
        A copy of the layer input.
    A, C : ndarray, (T+1, B, H)
        Initial output and memory, then those of each step, history slots as in ``time_indices``.
    G : ndarray, (T, B, 4H)
        f(z_i), f(z_f), g(z), f(z_o) of each step (PyTorch's block order i, f, g, o).
    W, U, bias, peephole : ndarray
        Copies of the forward pass's parameters: (4H, D), (4H, H), (4H,) = bias_ih + bias_hh, (3, H).
    g, h : str
    reverse : bool
    """

    X: np.ndarray
    A: np.ndarray
    C: np.ndarray
    G: np.ndarray
    W: np.ndarray
    U: np.ndarray
    bias: np.ndarray
    peephole: np.ndarray
    g: str
    h: str
    reverse: bool

    def inputs(self):
        """The layer input x, (T, B, D)."""
        return self.X

    def initial_state(self):
        """``(a_0, c_0)``, each (B, H)."""
        init = time_indices(self.X.shape[0], self.reverse)[1]
        return self.A[init], self.C[init]

    def parameters(self):
        """``(W, U, b)`` of the forward pass in PyTorch's layout (b = bias_ih + bias_hh)."""
        return self.W, self.U, self.bias


def forward(X, W, U, bias, P, a0, c0, reverse, g, h):
    """One peephole-LSTM layer in one direction over the whole sequence.

    Parameters
    ----------
    X : ndarray, (T, B, D)
    W, U, bias : ndarray
        (4H, D), (4H, H), (4H,), PyTorch's blocks i, f, g, o; ``bias`` is bias_ih + bias_hh.
    P : ndarray, (3, H)
        Peephole weights p_i, p_f, p_o.
    a0, c0 : ndarray, (B, H)
    reverse : bool
    g, h : {"tanh", "identity"}

    Returns
    -------
    out : ndarray, (T, B, H)
        The outputs a in time order (a view into the cache).
    final : tuple (a_n, c_n) of ndarray, (B, H)
    cache : PeepholeCache
    """
    T, B, D = X.shape
    H = a0.shape[1]
    dtype = X.dtype
    gf, hf = get_activation(g).forward, get_activation(h).forward
    steps, init, out_sl, _ = time_indices(T, reverse)
    A = np.empty((T + 1, B, H), dtype=dtype)  # (T+1, B, H)
    C = np.empty((T + 1, B, H), dtype=dtype)  # (T+1, B, H)
    A[init], C[init] = a0, c0
    G = np.empty((T, B, 4 * H), dtype=dtype)  # (T, B, 4H)
    np.matmul(X.reshape(T * B, D), W.T, out=G.reshape(T * B, 4 * H))  # the input part of every step at once
    G += bias
    UT = np.ascontiguousarray(U.T)  # (H, 4H)
    p_i, p_f, p_o = P
    for t in steps:
        prev, cur = (t, t + 1) if not reverse else (t + 1, t)
        gt = G[t]
        gt += A[prev] @ UT  # z_i, z_f, z, z_o from x_t and a_{t-1}
        c_prev = C[prev]
        gt[:, :H] += p_i * c_prev  # the input and forget gates peep at the old memory
        gt[:, H:2 * H] += p_f * c_prev
        gt[:, :2 * H] = sigmoid(gt[:, :2 * H])  # f(z_i), f(z_f)
        gt[:, 2 * H:3 * H] = gf(gt[:, 2 * H:3 * H])  # g(z)
        c = C[cur]
        np.multiply(gt[:, 2 * H:3 * H], gt[:, :H], out=c)
        c += c_prev * gt[:, H:2 * H]  # c' = g(z) f(z_i) + c f(z_f)
        gt[:, 3 * H:] += p_o * c  # the output gate peeps at the new memory
        gt[:, 3 * H:] = sigmoid(gt[:, 3 * H:])  # f(z_o)
        np.multiply(hf(c), gt[:, 3 * H:], out=A[cur])  # a = h(c') f(z_o)
    last = T if not reverse else 0
    cache = PeepholeCache(X.copy(), A, C, G, W.copy(), U.copy(), bias.copy(), P.copy(), g, h, reverse)
    return A[out_sl], (A[last].copy(), C[last].copy()), cache


def backward(cache, dout, da_n, dc_n):
    """Backpropagation through time for one peephole-LSTM layer in one direction.

    Parameters
    ----------
    cache : PeepholeCache
    dout : ndarray, (T, B, H)
        Gradient with respect to the outputs, time order.
    da_n, dc_n : ndarray, (B, H), or None
        Gradients with respect to the final output and memory (None: zero).

    Returns
    -------
    dX : ndarray, (T, B, D)
    dstate0 : tuple (da_0, dc_0)
    grads : tuple
        ``(dW, dU, db, dP)`` with PyTorch's block order; dP (3, H) for p_i, p_f, p_o.
    """
    X, A, C, G, W, U, _, P, g, h, reverse = cache
    T, B, D = X.shape
    H = U.shape[1]
    dtype = X.dtype
    g_act, h_act = get_activation(g), get_activation(h)
    steps, _, _, prev_sl = time_indices(T, reverse)
    p_i, p_f, p_o = P
    da = np.zeros((B, H), dtype=dtype) if da_n is None else da_n.copy()
    dc = np.zeros((B, H), dtype=dtype) if dc_n is None else dc_n.copy()
    dZ = np.empty((T, B, 4 * H), dtype=dtype)  # gradients of the pre-activations z_i, z_f, z, z_o
    dP = np.zeros((3, H), dtype=dtype)
    for t in reversed(steps):
        prev, cur = (t, t + 1) if not reverse else (t + 1, t)
        gt = G[t]
        i, f, gz, o = gt[:, :H], gt[:, H:2 * H], gt[:, 2 * H:3 * H], gt[:, 3 * H:]
        c, c_prev = C[cur], C[prev]
        da += dout[t]
        hc = h_act.forward(c)
        dz_o = da * hc * o * (1.0 - o)
        dc += da * o * h_act.derivative_from_output(hc) + dz_o * p_o  # c' feeds a, and the output gate
        d = dZ[t]
        np.multiply(dc * gz, i * (1.0 - i), out=d[:, :H])  # dz_i
        np.multiply(dc * c_prev, f * (1.0 - f), out=d[:, H:2 * H])  # dz_f
        np.multiply(dc * i, g_act.derivative_from_output(gz), out=d[:, 2 * H:3 * H])  # dz
        d[:, 3 * H:] = dz_o
        dP[0] += (d[:, :H] * c_prev).sum(axis=0)
        dP[1] += (d[:, H:2 * H] * c_prev).sum(axis=0)
        dP[2] += (dz_o * c).sum(axis=0)
        dc = dc * f + d[:, :H] * p_i + d[:, H:2 * H] * p_f  # c reaches c', and the input and forget gates
        da = d @ U  # (B, H)
    dZ2 = dZ.reshape(T * B, 4 * H)
    dX = (dZ2 @ W).reshape(T, B, D)
    dW = dZ2.T @ X.reshape(T * B, D)  # (4H, D)
    dU = dZ2.T @ A[prev_sl].reshape(T * B, H)  # (4H, H)
    db = dZ2.sum(axis=0)  # (4H,)
    return dX, (da, dc), (dW, dU, db, dP)
