r"""The gated recurrent unit (GRU) with exact backpropagation through time.

One step, in the chapter's symbols and PyTorch's convention (``torch.nn.GRU``): a reset gate
:math:`r`, an update gate :math:`z` and a candidate state :math:`n`,

.. math::

    r &= \sigma(W_r x_t + b_{ir} + U_r h_{t-1} + b_{hr}) \\
    z &= \sigma(W_z x_t + b_{iz} + U_z h_{t-1} + b_{hz}) \\
    n &= \tanh\big(W_n x_t + b_{in} + r \odot (U_n h_{t-1} + b_{hn})\big) \\
    h_t &= (1 - z) \odot n + z \odot h_{t-1}.

The reset gate multiplies the recurrent product *after* it is computed (PyTorch's choice;
Cho et al. 2014 put it before, :math:`U_n (r \odot h_{t-1})`), so the recurrent bias
:math:`b_{hn}` sits inside :math:`r \odot (\cdot)` and the two bias vectors ``bias_ih`` and
``bias_hh`` are separate parameters with different gradients. Weights follow PyTorch's
layout: ``W`` = ``weight_ih`` (3H, D) and ``U`` = ``weight_hh`` (3H, H) stack the row blocks
**r, z, n**.

Backward, for the gradient :math:`\delta h` of :math:`h_t` (with :math:`a_r, a_z, a_n` the
pre-activations of the three blocks):

.. math::

    \delta a_n = \delta h\,(1 - z)(1 - n^2), \quad
    \delta a_z = \delta h\,(h_{t-1} - n)\,z(1 - z), \quad
    \delta a_r = \delta a_n\,(U_n h_{t-1} + b_{hn})\,r(1 - r), \\
    \delta h_{t-1} = \delta h\, z + [\delta a_r, \delta a_z, r\,\delta a_n]\, U .

:func:`gru_step_forward` / :func:`gru_step_backward` implement one step literally (they are
what the chapter and the assignment use); :class:`GRU` runs whole sequences like
``torch.nn.GRU`` with the fast implementation of ``companion._gru_kernel``, which the
tests check against the step pair.

Examples
--------
>>> import numpy as np
>>> from companion.gru import GRU
>>> gru = GRU(input_size=3, hidden_size=4, seed=0)
>>> out, h_n = gru.forward(np.ones((5, 2, 3)))     # (T, B, D)
>>> out.shape, h_n.shape
((5, 2, 4), (1, 2, 4))
>>> dx = gru.backward(np.ones_like(out))
>>> dx.shape, gru.grads["weight_hh_l0"].shape
((5, 2, 3), (12, 4))
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion._checks import check_array, check_cache
from companion._gru_kernel import gru_direction_backward, gru_direction_forward
from companion.activations import sigmoid
from companion.recurrent import StackedRecurrent, time_indices

__all__ = ["GRUStepCache", "GRUStepGrads", "GRUTrace", "gru_step_forward", "gru_step_backward", "GRU"]


class GRUStepCache(NamedTuple):
    """What :func:`gru_step_backward` needs from one forward step (all (B, H) unless noted).

    Attributes
    ----------
    x_t : ndarray, (B, D)
    h_prev : ndarray
        :math:`h_{t-1}`.
    W : ndarray, (3H, D)
    U : ndarray, (3H, H)
    r, z, n : ndarray
        Reset gate, update gate and candidate state.
    hn : ndarray
        :math:`U_n h_{t-1} + b_{hn}`, the recurrent part of the candidate before the reset gate.
    h_t : ndarray
        The new state.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.gru import gru_step_forward
    >>> h, cache = gru_step_forward(np.ones((1, 2)), np.zeros((1, 3)), np.zeros((9, 2)), np.zeros((9, 3)),
    ...                             np.zeros(9), np.zeros(9))
    >>> cache.z        # sigma(0): the update gate starts half open
    array([[0.5, 0.5, 0.5]])
    """

    x_t: np.ndarray
    h_prev: np.ndarray
    W: np.ndarray
    U: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    hn: np.ndarray
    h_t: np.ndarray


class GRUStepGrads(NamedTuple):
    """Gradients of one GRU step.

    Attributes
    ----------
    dx_t : ndarray, (B, D)
    dh_prev : ndarray, (B, H)
    dW : ndarray, (3H, D)
    dU : ndarray, (3H, H)
    db_ih : ndarray, (3H,)
    db_hh : ndarray, (3H,)
        The two biases differ in their n block: ``b_hn`` is multiplied by the reset gate.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.gru import gru_step_backward, gru_step_forward
    >>> rng = np.random.default_rng(0)
    >>> h, cache = gru_step_forward(rng.normal(size=(1, 2)), np.zeros((1, 3)), rng.normal(size=(9, 2)),
    ...                             rng.normal(size=(9, 3)), np.zeros(9), np.zeros(9))
    >>> grads = gru_step_backward(np.ones((1, 3)), cache)
    >>> grads.dW.shape, grads.db_hh.shape
    ((9, 2), (9,))
    """

    dx_t: np.ndarray
    dh_prev: np.ndarray
    dW: np.ndarray
    dU: np.ndarray
    db_ih: np.ndarray
    db_hh: np.ndarray


class GRUTrace(NamedTuple):
    """Inside of one GRU layer/direction at every step (all (T, B, H), time order).

    Attributes
    ----------
    r, z : ndarray
        Reset and update gates, in [0, 1].
    n : ndarray
        Candidate states.
    h : ndarray
        States after each step.

    Examples
    --------
    >>> import numpy as np
    >>> gru = GRU(1, 2, seed=0)
    >>> _ = gru.forward(np.ones((4, 1, 1)))
    >>> tr = gru.trace()
    >>> tr.z.shape, bool(((tr.z > 0) & (tr.z < 1)).all())
    ((4, 1, 2), True)
    """

    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    h: np.ndarray


def _split3(a, H):
    """PyTorch's row blocks r, z, n."""
    return a[..., :H], a[..., H:2 * H], a[..., 2 * H:]


def gru_step_forward(x_t, h_prev, W, U, b_ih, b_hh):
    r"""One GRU step: :math:`h_t = (1 - z) n + z h_{t-1}` (PyTorch's ``nn.GRU``).

    Parameters
    ----------
    x_t : ndarray, (B, D)
    h_prev : ndarray, (B, H)
        Previous state :math:`h_{t-1}`.
    W : ndarray, (3H, D)
        Input weights, row blocks r, z, n (PyTorch's ``weight_ih``).
    U : ndarray, (3H, H)
        Recurrent weights, same blocks (``weight_hh``).
    b_ih, b_hh : ndarray, (3H,)
        Input and recurrent biases (``bias_ih``, ``bias_hh``); in the n block only ``b_hh`` is
        reset by r.

    Returns
    -------
    h_t : ndarray, (B, H)
    cache : GRUStepCache

    Raises
    ------
    ValueError
        If an argument has the wrong shape or is not finite.

    Examples
    --------
    With every weight zero, r = z = 1/2 and n = tanh(0) = 0, so the state halves:

    >>> import numpy as np
    >>> h, cache = gru_step_forward(np.ones((1, 2)), np.array([[2.0, -4.0]]), np.zeros((6, 2)), np.zeros((6, 2)),
    ...                             np.zeros(6), np.zeros(6))
    >>> h
    array([[ 1., -2.]])
    """
    W = check_array(W, "W", (None, None), ("3H", "D"))
    if W.shape[0] % 3 or W.shape[0] == 0:
        raise ValueError(f"W must have shape (3H, D); got shape {W.shape}")
    H, D = W.shape[0] // 3, W.shape[1]
    x_t = check_array(x_t, "x_t", (None, D), ("B", "D"), dtype=W.dtype)
    h_prev = check_array(h_prev, "h_prev", (x_t.shape[0], H), ("B", "H"), dtype=W.dtype)
    U = check_array(U, "U", (3 * H, H), ("3H", "H"), dtype=W.dtype)
    b_ih = check_array(b_ih, "b_ih", (3 * H,), ("3H",), dtype=W.dtype)
    b_hh = check_array(b_hh, "b_hh", (3 * H,), ("3H",), dtype=W.dtype)

    gi = x_t @ W.T + b_ih  # (B, 3H) input part of r, z, n
    gh = h_prev @ U.T + b_hh  # (B, 3H) recurrent part
    i_r, i_z, i_n = _split3(gi, H)
    h_r, h_z, hn = _split3(gh, H)
    r = sigmoid(i_r + h_r)  # reset gate
    z = sigmoid(i_z + h_z)  # update gate
    n = np.tanh(i_n + r * hn)  # candidate: reset applied after the recurrent product
    h_t = (1.0 - z) * n + z * h_prev
    return h_t, GRUStepCache(x_t, h_prev, W, U, r, z, n, hn, h_t)


def gru_step_backward(dh_t, cache):
    """Backward of :func:`gru_step_forward`.

    Parameters
    ----------
    dh_t : ndarray, (B, H)
        Gradient of the loss with respect to :math:`h_t` (from the output at t and from step t+1).
    cache : GRUStepCache

    Returns
    -------
    GRUStepGrads
        ``(dx_t, dh_prev, dW, dU, db_ih, db_hh)`` with PyTorch's r, z, n row blocks.

    Raises
    ------
    ValueError
        If ``cache`` does not come from :func:`gru_step_forward` or ``dh_t`` has the wrong shape.

    Examples
    --------
    >>> import numpy as np
    >>> h, cache = gru_step_forward(np.ones((1, 2)), np.array([[2.0, -4.0]]), np.zeros((6, 2)), np.zeros((6, 2)),
    ...                             np.zeros(6), np.zeros(6))
    >>> gru_step_backward(np.ones((1, 2)), cache).dh_prev   # dh z, with z = 1/2 (U is zero)
    array([[0.5, 0.5]])
    """
    check_cache(cache, GRUStepCache, "gru_step_forward")
    dh_t = check_array(dh_t, "dh_t", cache.h_t.shape, ("B", "H"), dtype=cache.h_t.dtype)
    r, z, n = cache.r, cache.z, cache.n
    da_n = dh_t * (1.0 - z) * (1.0 - n * n)  # through h = (1 - z) n + z h_prev, then tanh
    da_z = dh_t * (cache.h_prev - n) * z * (1.0 - z)
    da_r = da_n * cache.hn * r * (1.0 - r)
    dgi = np.concatenate([da_r, da_z, da_n], axis=1)  # (B, 3H) gradient of x W^T + b_ih
    dgh = np.concatenate([da_r, da_z, da_n * r], axis=1)  # (B, 3H) gradient of h_prev U^T + b_hh
    return GRUStepGrads(
        dx_t=dgi @ cache.W,  # (B, D)
        dh_prev=dh_t * z + dgh @ cache.U,  # (B, H)
        dW=dgi.T @ cache.x_t,  # (3H, D)
        dU=dgh.T @ cache.h_prev,  # (3H, H)
        db_ih=dgi.sum(axis=0),  # (3H,)
        db_hh=dgh.sum(axis=0),  # (3H,)
    )


class GRU(StackedRecurrent):
    r"""GRU over whole sequences, a numpy twin of ``torch.nn.GRU``.

    Every layer and direction runs, at each step, :math:`h_t = (1 - z) n + z h_{t-1}` with
    the reset gate applied after the recurrent product (see the module docstring).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    num_layers : int, default 1
    bidirectional : bool, default False
    batch_first : bool, default False
        x and out are (B, T, .) instead of (T, B, .).
    dtype : np.float64 or np.float32
    seed : None, int or numpy.random.Generator

    Attributes
    ----------
    params, grads : dict of str -> ndarray
        ``weight_ih_l{k}`` (3H, D or num_directions*H), ``weight_hh_l{k}`` (3H, H),
        ``bias_ih_l{k}``, ``bias_hh_l{k}`` (3H,), and ``..._reverse``; row blocks r, z, n.
    state_grad : ndarray, (num_layers*num_directions, B, H)
        Gradient with respect to the initial state after :meth:`backward`.

    Notes
    -----
    One backward per forward: backpropagation reads the forward's buffers.

    Examples
    --------
    >>> import numpy as np
    >>> gru = GRU(2, 3, num_layers=2, bidirectional=True, seed=0)
    >>> out, h_n = gru.forward(np.zeros((4, 1, 2)))
    >>> out.shape, h_n.shape
    ((4, 1, 6), (4, 1, 3))
    >>> sum(p.size for p in gru.params.values())   # 3 blocks of rows: three quarters of an LSTM's 432
    324
    """

    _gates = 3
    _state_parts = 1
    _keeps_input = True  # the cache keeps the layer input (so forward passes it a private copy)
    _separate_biases = True

    def forward(self, x, state=None):
        """Run the sequence; see :meth:`companion.recurrent.StackedRecurrent.forward`.

        Parameters
        ----------
        x : ndarray, (T, B, D), or (B, T, D) if ``batch_first``
        state : ndarray, (num_layers*num_directions, B, H), optional
            Initial state h_0; zeros if None.

        Returns
        -------
        out : ndarray, (T, B, num_directions*H) (or (B, T, .))
        h_n : ndarray, (num_layers*num_directions, B, H)
        """
        return super().forward(x, state)

    def _direction_forward(self, X, W, U, bias, state0, reverse):
        b_ih, b_hh = bias
        return gru_direction_forward(X, W, U, b_ih, b_hh, state0[0], reverse)

    def _direction_backward(self, cache, dout, dfinal):
        return gru_direction_backward(cache, dout, dfinal[0])

    def trace(self, layer=0, direction=0):
        """Gates, candidates and states of the last forward pass.

        Parameters
        ----------
        layer : int, default 0
        direction : int, default 0
            0 forward, 1 backward (bidirectional only).

        Returns
        -------
        GRUTrace
            (T, B, H) copies in time order (time-major even with ``batch_first``).

        Examples
        --------
        >>> import numpy as np
        >>> gru = GRU(1, 1, seed=0)
        >>> out, _ = gru.forward(np.ones((3, 1, 1)))
        >>> bool(np.allclose(gru.trace().h, out))
        True
        """
        cache = self._check_index(layer, direction)
        T = cache.RZN.shape[0]
        _, _, out_sl, _ = time_indices(T, cache.reverse)
        r, z, n = (p.copy() for p in _split3(cache.RZN.transpose(0, 2, 1), self.hidden_size))
        return GRUTrace(r, z, n, cache.hist[out_sl, :self.hidden_size].transpose(0, 2, 1).copy())
