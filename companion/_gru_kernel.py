"""Fast sequence-level GRU: one layer in one direction, forward and backward (private).

:class:`companion.gru.GRU` calls these two functions; they compute exactly what the step pair
:func:`companion.gru.gru_step_forward` / :func:`companion.gru.gru_step_backward` computes,
step after step (tests/test_gru.py checks both against each other, and against PyTorch).

What makes them faster than the step pair:

* **batch fastest**: every per-step quantity is stored with the batch as the last axis, so the
  gate values of step t are ``RZN[t]``, a (3H, B) block whose r, z and n blocks are each
  contiguous, and the state h_t is the (H, B) slab ``hist[s, :H]``. Elementwise numpy calls on
  contiguous blocks cost a fraction of what they cost on the column slices of (B, 3H) rows that
  this kernel used before (same-process A/B against that kernel, ``benchmarks/ab.py``: forward +
  backward 0.87 to 0.90 in float64 and 0.80 to 0.84 in float32 at the benchmark's shape, 0.95 in
  float64 at the chapters' (100, 32, 2, 16) on one thread);
* the input part of every gate, :math:`W x_t` (and ``b_in`` in the n block), is one batched product
  for all steps at once; the loop over steps keeps one product, ``[U | b] @ [h_{t-1}; 1]``, which
  also adds the biases of the r and z blocks (only the sum of ``b_ih`` and ``b_hh`` matters there)
  and ``b_hn``;
* the gates use ``np.exp``, not ``np.tanh`` (:mod:`companion._exp_gates`), with the factors -1 (rows
  r, z) and 2 (rows n) folded into the weights and biases, where they are exact (so the cache keeps
  :math:`2 r \\odot (U_n h + b_{hn})`); the loop computes 12,288 gate values per step at the
  benchmark's shape. Same-process A/B against the tanh form (:math:`\\sigma(a) = (1 + \\tanh(a/2))/2`),
  on an AMD EPYC: 0.864 in float64, 0.967 in float32, 0.946 at the chapters' shape (``benchmarks/ab.py
  --model gru``); results within 5.9e-14 of the tanh form's in float64;
* the loop's elementwise work runs in place on preallocated buffers;
* backward computes the local derivatives of a chunk of steps vectorised, runs the chunk's
  steps with three multiplications and one product each (the blocks of a step's gradient are
  stored in the order r da_n, da_r, da_z, da_n, so that the two multiplications by da_n are one
  call, the two by dh another, and the rows U multiplies are contiguous), and then reduces the
  chunk's pre-activation gradients into the weight and input gradients with one product each.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion._exp_gates import sigmoid_of_negated_, tanh_of_doubled_
from companion.recurrent import time_chunks, time_indices


class GRUDirectionCache(NamedTuple):
    """What the forward pass of one layer and direction leaves for backward.

    Attributes
    ----------
    X : ndarray, (T, B, In)
        The layer input.
    hist : ndarray, (T+1, H+1, B)
        Slab s: the state in history slot s (see :func:`companion.recurrent.time_indices`) and a row
        of ones.
    RZN : ndarray, (T, 3H, B)
        Gate values r, z and candidates n of every step (time order).
    RHN2 : ndarray, (T, H, B)
        :math:`2\\, r \\odot (U_n h_{t-1} + b_{hn})` of every step (twice: forward computes :math:`\\tanh(a)`
        from :math:`2a`).
    W, U : ndarray
        Copies of the weights of the forward pass (PyTorch layout).
    reverse : bool
    """

    X: np.ndarray
    hist: np.ndarray
    RZN: np.ndarray
    RHN2: np.ndarray
    W: np.ndarray
    U: np.ndarray
    reverse: bool


def gru_direction_forward(X, W, U, b_ih, b_hh, h0, reverse):
    """Run one GRU layer in one direction over a whole sequence.

    Parameters
    ----------
    X : ndarray, (T, B, In)
    W : ndarray, (3H, In)
    U : ndarray, (3H, H)
    b_ih, b_hh : ndarray, (3H,)
    h0 : ndarray, (B, H)
    reverse : bool
        Run from the last step to the first.

    Returns
    -------
    out : ndarray, (T, B, H)
        The states in time order (a view into the cache: do not write to it).
    final : tuple of one ndarray, (B, H)
    cache : GRUDirectionCache
    """
    T, B, In = X.shape
    H = h0.shape[1]
    dtype = X.dtype
    steps, init, out_sl, _ = time_indices(T, reverse)
    last = T if not reverse else 0  # history slot of the final state
    # sigma(a) = 1 / (1 + exp(-a)) and tanh(a) = 1 - 2 / (1 + exp(2a)): the factors -1 (rows r, z) and 2 (rows n)
    # go into the weights and biases, where they are exact
    scale = np.full(3 * H, 2.0, dtype=dtype)
    scale[:2 * H] = -1.0
    U_b = np.empty((3 * H, H + 1), dtype=dtype)  # (3H, H+1): [U | b], b = (b_ir + b_hr, b_iz + b_hz, b_hn)
    U_b[:, :H] = U
    U_b[:2 * H, H] = b_ih[:2 * H] + b_hh[:2 * H]  # outside the n block only the sum of the two biases matters
    U_b[2 * H:, H] = b_hh[2 * H:]
    U_b *= scale[:, None]

    hist = np.empty((T + 1, H + 1, B), dtype=dtype)  # (T+1, H+1, B): states, and a row of ones
    hist[init, :H] = h0.T
    hist[:, H] = 1
    RZN = np.empty((T, 3 * H, B), dtype=dtype)  # (T, 3H, B)
    np.matmul(W * scale[:, None], X.transpose(0, 2, 1), out=RZN)  # the input part of every step
    RZN[:, 2 * H:] += 2 * b_ih[2 * H:, None]  # 2 b_in (b_ir, b_iz are in U_b)
    RHN2 = np.empty((T, H, B), dtype=dtype)  # (T, H, B)
    gh = np.empty((3 * H, B), dtype=dtype)
    tmp = np.empty((H, B), dtype=dtype)
    with np.errstate(over="ignore"):  # exp(x) = inf for x > ~709 (float64) is right here: 1 / (1 + inf) = 0
        for t in steps:
            prev, cur = (t, t + 1) if not reverse else (t + 1, t)
            np.matmul(U_b, hist[prev], out=gh)  # -(U_r h + b_r), -(U_z h + b_z) and 2 (U_n h + b_hn): one product
            g = RZN[t]  # (3H, B)
            rz = g[:2 * H]
            rz += gh[:2 * H]  # -a_r, -a_z
            sigmoid_of_negated_(rz)  # r, z
            n = g[2 * H:]
            np.multiply(g[:H], gh[2 * H:], out=RHN2[t])  # 2 r (U_n h + b_hn)
            n += RHN2[t]  # 2 a_n
            tanh_of_doubled_(n)  # n = tanh(a_n) = tanh(W_n x + b_in + r (U_n h + b_hn))
            np.subtract(hist[prev, :H], n, out=tmp)
            tmp *= g[H:2 * H]
            np.add(tmp, n, out=hist[cur, :H])  # h = n + z (h_prev - n) = (1 - z) n + z h_prev
    out = hist[out_sl, :H].transpose(0, 2, 1)  # (T, B, H), a view
    # copies of the weights: backward must differentiate this pass even after an optimiser step
    return out, (hist[last, :H].T.copy(),), GRUDirectionCache(X, hist, RZN, RHN2, W.copy(), U.copy(), reverse)


def gru_direction_backward(cache, dout, dh_n):
    """Backpropagation through time for one GRU layer in one direction.

    Parameters
    ----------
    cache : GRUDirectionCache
    dout : ndarray, (T, B, H)
        Gradient with respect to the states (outputs) in time order.
    dh_n : ndarray, (B, H) or None
        Gradient with respect to the final state (None: zero).

    Returns
    -------
    dX : ndarray, (T, B, In)
    dstate0 : tuple of one ndarray, (B, H)
    grads : tuple of ndarray
        ``(dW, dU, (db_ih, db_hh))`` in PyTorch's layout.
    """
    X, hist, RZN, RHN2, W, U, reverse = cache
    T, B, In = X.shape
    H = U.shape[1]
    dtype = X.dtype
    U_nrz_T = np.concatenate([U[2 * H:], U[:2 * H]]).T.copy()  # (H, 3H) U's rows n, r, z (dG's first blocks), C-ordered
    dh = np.zeros((H, B), dtype=dtype) if dh_n is None else dh_n.T.copy()  # (H, B)
    dX = np.empty((T, B, In), dtype=dtype)
    dW = np.zeros((3 * H, In), dtype=dtype)
    dU_b = np.zeros((3 * H, H + 1), dtype=dtype)  # rows n, r, z: [dU | db_hh]
    db_ih = np.zeros(3 * H, dtype=dtype)
    chunk, spans = time_chunks(T, B, H, reverse)
    factors_buf = np.empty((chunk, 4, H, B), dtype=dtype)  # per step: r, Kr (times da_n); Kz, Kn (times dh)
    dG_buf = np.empty((chunk, 4 * H, B), dtype=dtype)  # per step: r da_n, da_r, da_z, da_n
    dout_buf = np.empty((chunk, H, B), dtype=dtype)
    cols_buf = np.empty((4 * H, chunk * B), dtype=dtype)  # dG of the chunk, columns (step, batch)
    reads_buf = np.empty((H + 1, chunk * B), dtype=dtype)  # [h_prev; 1] of the chunk, columns (step, batch)
    ones = np.ones(chunk * B, dtype=dtype)
    tmp = np.empty((H, B), dtype=dtype)
    for s0, s1 in spans:
        m = s1 - s0
        slabs = hist[s0:s1] if not reverse else hist[s0 + 1:s1 + 1]  # (m, H+1, B): [h_prev; 1] of each step
        g = RZN[s0:s1]
        r, z, n = g[:, :H], g[:, H:2 * H], g[:, 2 * H:]
        factors = factors_buf[:m]
        R, Kr, Kz, Kn = factors[:, 0], factors[:, 1], factors[:, 2], factors[:, 3]
        # The local derivatives of the chunk's steps, vectorised: da_n = dh Kn, da_z = dh Kz, da_r = da_n Kr.
        np.multiply(n, n, out=Kn)
        np.subtract(1.0, Kn, out=Kn)
        np.subtract(1.0, z, out=Kz)
        Kn *= Kz  # (1 - z)(1 - n^2)
        Kz *= z
        np.subtract(slabs[:, :H], n, out=Kr)
        Kz *= Kr  # (h_prev - n) z (1 - z)
        np.multiply(r, -0.5, out=Kr)
        Kr += 0.5
        Kr *= RHN2[s0:s1]  # r (U_n h_prev + b_hn) (1 - r)
        np.copyto(R, r)
        dG = dG_buf[:m]
        dG4 = dG.reshape(m, 4, H, B)
        dout_T = dout_buf[:m]
        np.copyto(dout_T, dout[s0:s1].transpose(0, 2, 1))
        for k in (range(m - 1, -1, -1) if not reverse else range(m)):
            dh += dout_T[k]
            np.multiply(dh, factors[k, 2:], out=dG4[k, 2:])  # da_z, da_n
            np.multiply(dG4[k, 3], factors[k, :2], out=dG4[k, :2])  # r da_n, da_r
            np.multiply(dh, z[k], out=tmp)
            np.matmul(U_nrz_T, dG[k, :3 * H], out=dh)
            dh += tmp  # dh_prev = dh z + dgh U
        cols = cols_buf[:, :m * B]  # (4H, m*B)
        np.copyto(cols.reshape(4 * H, m, B), dG.transpose(1, 0, 2))
        d_in, d_rec = cols[H:], cols[:3 * H]  # rows r, z, n (gradient of x W^T + b_ih); n, r, z (of h U^T + b_hh)
        np.matmul(d_in.T, W, out=dX[s0:s1].reshape(m * B, In))  # dx_t = dgi_t W
        dW += d_in @ X[s0:s1].reshape(m * B, In)  # (3H, In)
        reads = reads_buf[:, :m * B]  # (H+1, m*B)
        np.copyto(reads.reshape(H + 1, m, B), slabs.transpose(1, 0, 2))
        dU_b += d_rec @ reads.T  # (3H, H+1)
        db_ih += d_in @ ones[:m * B]
    dU_b = np.concatenate([dU_b[H:], dU_b[:H]])  # rows r, z, n
    return dX, (dh.T.copy(),), (dW, dU_b[:, :H], (db_ih, dU_b[:, H].copy()))
