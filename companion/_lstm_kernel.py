r"""The LSTM's fast sequence path (private): one layer in one direction over a whole sequence.

:mod:`companion.lstm` states the model in the chapter's symbols, one step at a time
(:func:`~companion.lstm.lstm_step_forward`, :func:`~companion.lstm.lstm_step_backward`). This module
computes the same thing for all T steps with few, large numpy calls; ``tests/test_lstm_kernel.py``
checks it against a loop of those step functions. Three choices make it fast, each measured with
``benchmarks/`` (see the module's tests and the benchmark's docstring):

**Batch fastest.** Every per-step quantity is stored with the batch as the last axis: the gates of
step t are ``gates[t]``, a (4H, B) block whose four (H, B) gate blocks are contiguous, the memory is
``memory[s]`` (H, B). The per-step product and the elementwise work are faster this way than with
(B, 4H) rows, in which each gate block is a strided slice.

**One product per step.** Slab s of ``reads`` (T+1, K, B), with K = D + H + 1, stacks what the
step that reads it needs: its input x_t, the previous output a kept in history slot s (see
:func:`companion.recurrent.time_indices`) and a row of ones. With ``weights`` = [W | U | b] the four
gate inputs of step t are the single product ``weights @ reads[s]``: input projection,
recurrence and bias at once. Each step writes its output a straight into the slab the next step
reads. Each slab is one contiguous (K, B) block: with the slabs as columns of a (K, T+1, B) array
instead (which gave the weight gradients their (K, steps*B) matrix without a copy), the step's write
of a and the product's read were strided, and forward + backward took 4% (float64) to 7% (float32)
longer, copy included (``benchmarks/ab.py``, same process, alternating pairs; results bit-identical).

**Gate order o, i, f, g.** The kernel stores the four row blocks in the order :data:`KERNEL_ORDER`,
not PyTorch's i, f, g, o (:data:`PYTORCH_ORDER`): the three sigmoid gates are then the contiguous rows
[0:3H] and the three blocks whose gradient is scaled by dc' (i, f, g) the rows [H:4H], so each group
is one numpy call. :func:`to_kernel_rows` / :func:`from_kernel_rows` are the only places that
reorder.

**Gates from exp.** The sigmoid of the three gates and the tanh of g and of the memory are computed from
``np.exp`` (:mod:`companion._exp_gates`: :math:`f(z) = 1/(1 + e^{-z})`, :math:`\tanh(z) = 1 - 2/(1 + e^{2z})`),
with the factors -1 (rows o, i, f) and 2 (rows g) folded into the forward's copy of the weight rows, where
they are exact (:func:`_scale_rows_for_exp`). Against the tanh form (:math:`f(z) = (1 + \tanh(z/2))/2`,
one ``tanh`` call over the four blocks), same process, alternating pairs, on an AMD EPYC whose numpy
``tanh`` costs 14 ns a float64 value: forward + backward 0.775 in float64, 0.939 in float32, 0.827 at the
chapters' (100, 32, 2, 16) on one thread (``benchmarks/ab.py --model lstm``); results within 3e-14 of the
tanh form's in float64.

Backward visits time in chunks (:func:`companion.recurrent.time_chunks`), latest first. For each
chunk it computes at once what does not depend on the recurrence (the local derivatives of the
chunk's steps), then runs the steps one by one (a few small operations and one product each),
writing the gradient of each step's pre-activations over its gates, and last adds the chunk's share
of the weight and input gradients, one product each. The temporaries are chunk-sized, so the memory
stays near the forward's.

The work buffers come from the model's :class:`companion._buffers.BufferPool`.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion._exp_gates import sigmoid_of_negated_, tanh_of_doubled_
from companion.recurrent import time_chunks, time_indices

#: The kernel's order of the four row blocks (o and the two other sigmoid gates first, g last).
KERNEL_ORDER = ("o", "i", "f", "g")
#: PyTorch's order, used everywhere else in companion (``weight_ih``: rows of z_i, z_f, z, z_o).
PYTORCH_ORDER = ("i", "f", "g", "o")


def _blocks(H):
    """(kernel rows, PyTorch rows) of each gate, as slices.

    >>> _blocks(1)
    [(slice(0, 1, None), slice(3, 4, None)), (slice(1, 2, None), slice(0, 1, None)), \
(slice(2, 3, None), slice(1, 2, None)), (slice(3, 4, None), slice(2, 3, None))]
    """
    return [(slice(k * H, (k + 1) * H), slice(PYTORCH_ORDER.index(gate) * H, (PYTORCH_ORDER.index(gate) + 1) * H))
            for k, gate in enumerate(KERNEL_ORDER)]


def to_kernel_rows(m, H):
    """Rows of ``m`` (4H, ...) from PyTorch's block order to the kernel's (a new array).

    >>> to_kernel_rows(np.array(["i", "f", "g", "o"]), 1).tolist()
    ['o', 'i', 'f', 'g']
    """
    out = np.empty_like(m)
    for kernel, pytorch in _blocks(H):
        out[kernel] = m[pytorch]
    return out


def from_kernel_rows(m, H):
    """Rows of ``m`` (4H, ...) from the kernel's block order back to PyTorch's (a new array).

    >>> from_kernel_rows(np.array(["o", "i", "f", "g"]), 1).tolist()
    ['i', 'f', 'g', 'o']
    """
    out = np.empty_like(m)
    for kernel, pytorch in _blocks(H):
        out[pytorch] = m[kernel]
    return out


def _scale_rows_for_exp(weights, g_tanh):
    """A copy of ``weights`` (4H, K), kernel rows, with the rows of o, i, f negated and (if ``g_tanh``) those of
    g doubled.

    Its product with a slab gives -z for the three sigmoid gates and 2z (or z) for g: the arguments of
    :func:`~companion._exp_gates.sigmoid_of_negated_` and :func:`~companion._exp_gates.tanh_of_doubled_`.
    Both factors are exact, and so is the product: the same BLAS call on exactly negated or doubled numbers
    rounds every partial sum to exactly the negated or doubled value.

    >>> _scale_rows_for_exp(np.ones((4, 2)), g_tanh=True)[:, 0].tolist()
    [-1.0, -1.0, -1.0, 2.0]
    """
    scaled = weights.copy()
    H = weights.shape[0] // 4
    scaled[:3 * H] *= -1.0
    if g_tanh:
        scaled[3 * H:] *= 2.0
    return scaled


def pack_weights(W, U, b):
    """``[W | U | b]`` (4H, D + H + 1) in kernel row order.

    Parameters
    ----------
    W : ndarray, (4H, D)
    U : ndarray, (4H, H)
    b : ndarray, (4H,)
        PyTorch's layout (row blocks i, f, g, o); b is ``bias_ih + bias_hh``.
    """
    D, H = W.shape[1], U.shape[1]
    weights = np.empty((4 * H, D + H + 1), dtype=W.dtype)  # (4H, K)
    for kernel, pytorch in _blocks(H):
        weights[kernel, :D], weights[kernel, D:D + H], weights[kernel, D + H] = W[pytorch], U[pytorch], b[pytorch]
    return weights


def unpack_weights(weights, D):
    """Inverse of :func:`pack_weights`: ``(W, U, b)`` in PyTorch's layout."""
    H = weights.shape[0] // 4
    full = from_kernel_rows(weights, H)
    return full[:, :D], full[:, D:D + H], full[:, D + H]


class KernelCache(NamedTuple):
    """What :func:`forward` leaves for :func:`backward` and for :meth:`companion.lstm.LSTM.trace`.

    Attributes
    ----------
    reads : ndarray, (T+1, K, B)
        Slab s: ``[x of the step that reads it; a in history slot s; 1]``, K = D + H + 1.
    gates : ndarray, (T, 4H, B)
        Gate openings f(z_o), f(z_i), f(z_f) and g(z) of each step; backward overwrites them
        with the gradients of the pre-activations.
    memory : ndarray, (T+1, H, B)
        Initial memory and the memory c' after each step, history slots as in ``time_indices``.
    weights : ndarray, (4H, K)
        :func:`pack_weights` of the forward pass's parameters (a copy).
    reverse : bool
    """

    reads: np.ndarray
    gates: np.ndarray
    memory: np.ndarray
    weights: np.ndarray
    reverse: bool

    @property
    def _sizes(self):
        T, H4, B = self.gates.shape
        H = H4 // 4
        return T, B, self.reads.shape[1] - H - 1, H

    def inputs(self):
        """The layer input x, (T, B, D) (a view)."""
        T, _, D, _ = self._sizes
        _, _, _, prev_sl = time_indices(T, self.reverse)
        return self.reads[prev_sl, :D].transpose(0, 2, 1)

    def initial_state(self):
        """``(a_0, c_0)``, each (B, H) (views)."""
        T, _, D, H = self._sizes
        init = time_indices(T, self.reverse)[1]
        return self.reads[init, D:D + H].T, self.memory[init].T

    def parameters(self):
        """``(W, U, b)`` of the forward pass in PyTorch's layout (b = bias_ih + bias_hh)."""
        return unpack_weights(self.weights, self._sizes[2])


def forward(x, W, U, b, a0, c0, reverse, g_tanh, h_tanh, pool):
    """One LSTM layer in one direction over the whole sequence.

    Parameters
    ----------
    x : ndarray, (T, B, D)
    W, U, b : ndarray
        (4H, D), (4H, H), (4H,) in PyTorch's layout; b = bias_ih + bias_hh.
    a0, c0 : ndarray, (B, H)
        Initial output and memory.
    reverse : bool
        Run from the last step to the first.
    g_tanh, h_tanh : bool
        Whether g and h are tanh (else the identity).
    pool : companion._buffers.BufferPool

    Returns
    -------
    out : ndarray, (T, B, H)
        The outputs a, in time order.
    (a_n, c_n) : tuple of ndarray, (B, H)
    cache : KernelCache
    """
    T, B, D = x.shape
    H = a0.shape[1]
    K = D + H + 1
    weights = pack_weights(W, U, b)  # (4H, K)
    steps, init, out_sl, prev_sl = time_indices(T, reverse)
    last = T if not reverse else 0  # history slot of the last output; no step reads its slab
    reads, gates, memory = pool.views("forward", x.dtype, (T + 1, K, B), (T, 4 * H, B), (T + 1, H, B))
    reads[prev_sl, :D] = x.transpose(0, 2, 1)  # x_t sits in the slab that step t reads
    reads[last, :D] = 0
    reads[init, D:D + H] = a0.T
    reads[:, D + H] = 1
    memory[init] = c0.T
    scaled = _scale_rows_for_exp(weights, g_tanh)  # (4H, K)
    tmp = np.empty((H, B), dtype=x.dtype)
    with np.errstate(over="ignore"):  # exp overflows to inf where a gate saturates: the right limit (_exp_gates)
        for t in steps:
            prev, cur = (t, t + 1) if not reverse else (t + 1, t)
            zz = gates[t]  # (4H, B), rows -z_o, -z_i, -z_f, 2z (or z)
            np.matmul(scaled, reads[prev], out=zz)  # from x_t, a_{t-1} and the bias in one product
            sigmoid_of_negated_(zz[:3 * H])  # f(z_o), f(z_i), f(z_f)
            if g_tanh:
                tanh_of_doubled_(zz[3 * H:])  # g(z)
            out_gate, in_gate, forget_gate, g_z = zz[:H], zz[H:2 * H], zz[2 * H:3 * H], zz[3 * H:]
            c = memory[cur]  # (H, B)
            np.multiply(g_z, in_gate, out=c)
            np.multiply(memory[prev], forget_gate, out=tmp)
            c += tmp  # c' = g(z) f(z_i) + c f(z_f)
            a = reads[cur, D:D + H]  # (H, B), in the slab the next step reads
            if h_tanh:
                np.multiply(c, 2.0, out=tmp)
                tanh_of_doubled_(tmp)
                np.multiply(tmp, out_gate, out=a)  # a = h(c') f(z_o)
            else:
                np.multiply(c, out_gate, out=a)
    cache = KernelCache(reads, gates, memory, weights, reverse)
    out = reads[out_sl, D:D + H].transpose(0, 2, 1).copy()  # (T, B, H)
    return out, (reads[last, D:D + H].T.copy(), memory[last].T.copy()), cache


def _local_derivatives(opened, c_new, c_old, g_tanh, h_tanh, da_to_dc, h_c, local):
    r"""What BPTT needs of a chunk of n steps that does not depend on the recurrence, into the last three.

    Parameters
    ----------
    opened : ndarray, (n, 4H, B)
        The steps' f(z_o), f(z_i), f(z_f), g(z) (kernel rows).
    c_new, c_old : ndarray, (n, H, B)
        The memory after (c') and before (c) each step.
    g_tanh, h_tanh : bool
    da_to_dc : ndarray, (n, H, B), output
        :math:`f(z_o) h'(c')`, the factor of da in :math:`dc' = dc + da\, f(z_o) h'(c')`.
    h_c : ndarray, (n, H, B)
        Work space for :math:`h(c')`.
    local : ndarray, (n, 4H, B), output
        The local derivatives, kernel rows: :math:`dz_o = da \cdot` ``local[:, :H]``, and
        :math:`dz_i, dz_f, dz = dc' \cdot` the three other blocks.
    """
    H = c_new.shape[1]
    out_gate, in_gate, forget_gate, g_z = opened[:, :H], opened[:, H:2 * H], opened[:, 2 * H:3 * H], opened[:, 3 * H:]
    if h_tanh:
        np.multiply(c_new, 2.0, out=h_c)
        with np.errstate(over="ignore"):
            tanh_of_doubled_(h_c)  # h(c'), as forward computed it
        np.multiply(h_c, h_c, out=da_to_dc)
        np.subtract(1.0, da_to_dc, out=da_to_dc)
        da_to_dc *= out_gate  # f(z_o) (1 - h(c')^2)
    else:
        h_c = c_new
        np.copyto(da_to_dc, out_gate)
    local_o, local_i, local_f, local_g = local[:, :H], local[:, H:2 * H], local[:, 2 * H:3 * H], local[:, 3 * H:]
    np.subtract(1.0, out_gate, out=local_o)
    local_o *= out_gate
    local_o *= h_c  # h(c') f'(z_o)
    np.subtract(1.0, in_gate, out=local_i)
    local_i *= in_gate
    local_i *= g_z  # g(z) f'(z_i)
    np.subtract(1.0, forget_gate, out=local_f)
    local_f *= forget_gate
    local_f *= c_old  # c f'(z_f)
    if g_tanh:
        np.multiply(g_z, g_z, out=local_g)
        np.subtract(1.0, local_g, out=local_g)
        local_g *= in_gate  # f(z_i) g'(z)
    else:
        np.copyto(local_g, in_gate)


def backward(cache, dout, da_n, dc_n, g_tanh, h_tanh, pool):
    """Backpropagation through time of :func:`forward`.

    Parameters
    ----------
    cache : KernelCache
    dout : ndarray, (T, B, H)
        Gradient with respect to the outputs a.
    da_n, dc_n : ndarray, (B, H), or None (zero)
        Gradients with respect to the final output and memory.
    g_tanh, h_tanh : bool
    pool : companion._buffers.BufferPool

    Returns
    -------
    dx : ndarray, (T, B, D)
    (da_0, dc_0) : tuple of ndarray, (B, H)
    (dW, dU, db) : tuple of ndarray
        PyTorch's layout (row blocks i, f, g, o).
    """
    reads, gates, memory, weights, reverse = cache
    T, B, D, H = cache._sizes
    K = reads.shape[1]
    dtype = gates.dtype
    W_k = weights[:, :D]  # (4H, D) the forward's weights, kernel rows
    U_kT = np.ascontiguousarray(weights[:, D:D + H].T)  # (H, 4H); C-ordered, the per-step product is faster
    da = np.zeros((H, B), dtype=dtype) if da_n is None else da_n.T.copy()  # into a_t, from step t+1
    dc = np.zeros((H, B), dtype=dtype) if dc_n is None else dc_n.T.copy()  # into c', from step t+1
    dc_prev = np.empty((H, B), dtype=dtype)
    tmp = np.empty((H, B), dtype=dtype)
    dx = np.empty((T, B, D), dtype=dtype)
    dweights = np.zeros((4 * H, K), dtype=dtype)  # [dW | dU | db], kernel rows
    dweights_chunk = np.empty((4 * H, K), dtype=dtype)
    gates4 = gates.reshape(T, 4, H, B)  # a view: blocks o, i, f, g
    chunk, spans = time_chunks(T, B, H, reverse)
    da_to_dc_buf, h_c_buf, da_out_buf, local_buf, dz_cols_buf, read_cols_buf = pool.views(
        "backward", dtype, (chunk, H, B), (chunk, H, B), (chunk, H, B), (chunk, 4 * H, B), (4 * H, chunk * B),
        (K, chunk * B))
    for s0, s1 in spans:
        n = s1 - s0
        opened = gates[s0:s1]  # (n, 4H, B)
        c_new = memory[s0 + 1:s1 + 1] if not reverse else memory[s0:s1]  # c' of these steps
        c_old = memory[s0:s1] if not reverse else memory[s0 + 1:s1 + 1]  # c before these steps
        da_to_dc, da_out, local = da_to_dc_buf[:n], da_out_buf[:n], local_buf[:n]
        _local_derivatives(opened, c_new, c_old, g_tanh, h_tanh, da_to_dc, h_c_buf[:n], local)
        np.copyto(da_out, dout[s0:s1].transpose(0, 2, 1))  # (n, H, B)
        local4 = local.reshape(n, 4, H, B)
        for k in (range(n - 1, -1, -1) if not reverse else range(n)):
            t = s0 + k
            dz4 = gates4[t]  # (4, H, B): the gates of step t, overwritten with dz_o, dz_i, dz_f, dz
            da += da_out[k]
            np.multiply(da, da_to_dc[k], out=tmp)
            dc += tmp  # dc' = dc + da f(z_o) h'(c')
            np.multiply(dc, dz4[2], out=dc_prev)  # dc_prev = dc' f(z_f), while f(z_f) is still there
            np.multiply(local4[k, 0], da, out=dz4[0])  # dz_o
            np.multiply(local4[k, 1:], dc, out=dz4[1:])  # dz_i, dz_f, dz
            np.matmul(U_kT, gates[t], out=da)  # da_prev = dz U
            dc, dc_prev = dc_prev, dc
        # The chunk's share of the weight and input gradients, one product each.
        dz_cols = dz_cols_buf[:, :n * B]  # (4H, n*B), columns (step, batch)
        np.copyto(dz_cols.reshape(4 * H, n, B), opened.transpose(1, 0, 2))
        read = reads[s0:s1] if not reverse else reads[s0 + 1:s1 + 1]  # (n, K, B) the slabs these steps read
        read_cols = read_cols_buf[:, :n * B]  # (K, n*B), columns (step, batch)
        np.copyto(read_cols.reshape(K, n, B), read.transpose(1, 0, 2))
        np.matmul(dz_cols, read_cols.T, out=dweights_chunk)
        dweights += dweights_chunk  # [dW | dU | db] += dz [x; a; 1]^T
        np.matmul(dz_cols.T, W_k, out=dx[s0:s1].reshape(n * B, D))  # dx_t = dz_t W
    dweights = from_kernel_rows(dweights, H)
    return dx, (da.T.copy(), dc.T.copy()), (dweights[:, :D], dweights[:, D:D + H], dweights[:, D + H])
