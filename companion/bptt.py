r"""Backpropagation through time (BPTT) for the Elman network, written as a loop over the step functions.

The chapter "Backpropagation through time by hand" derives these lines. The forward pass keeps one cache per
step; the backward pass visits the steps from the last to the first. At step t the gradient of the loss with
respect to :math:`h_t` has two parts, the one from the output at t (``dh[t]``) and the one that step t+1
sent back (``dh_next``); :func:`~companion.elman.elman_step_backward` turns their sum into the step's
gradients, and the weight gradients of all steps are **added up**, because the same ``W``, ``U``, ``b`` are
used at every step:

.. math::

    \frac{\partial L}{\partial U} = \sum_{t=1}^{T} \delta_t^\top h_{t-1}, \qquad
    \delta_t = \Big(\frac{\partial L_t}{\partial h_t} + \delta_{t+1} U\Big) \odot (1 - h_t^2).

With ``truncate=k`` the gradient is cut every k steps (truncated BPTT as it is used in practice: the state is
carried forward across the cut, but no gradient flows back through it).

This is the readable reference; :class:`~companion.elman.ElmanRNN` computes the same gradients with a faster
implementation (the tests check that both agree, and against PyTorch's ``nn.RNN``).

Examples
--------
>>> import numpy as np
>>> from companion.bptt import elman_bptt, elman_forward
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(4, 2, 3))                       # (T, B, D)
>>> W, U, b = rng.normal(size=(5, 3)), 0.5 * rng.normal(size=(5, 5)), np.zeros(5)
>>> h, caches = elman_forward(x, np.zeros((2, 5)), W, U, b)
>>> h.shape, len(caches)
((4, 2, 5), 4)
>>> grads = elman_bptt(np.ones_like(h), caches)          # loss = sum of all h_t
>>> grads.dx.shape, grads.dU.shape, grads.dh0.shape
((4, 2, 3), (5, 5), (2, 5))
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from companion._checks import check_array, check_choice
from companion.elman import ElmanStepCache, elman_step_backward, elman_step_forward

__all__ = ["ElmanBPTTGrads", "elman_forward", "elman_bptt"]


class ElmanBPTTGrads(NamedTuple):
    """Gradients of a loss with respect to everything an Elman sequence used.

    Attributes
    ----------
    dx : ndarray, (T, B, D)
        Gradient of every input :math:`x_t`.
    dh0 : ndarray, (B, H)
        Gradient of the initial state :math:`h_0` (with ``truncate``: from the first window only).
    dW : ndarray, (H, D)
        Sum over steps of the input weights' gradients.
    dU : ndarray, (H, H)
        Sum over steps of the recurrent weights' gradients.
    db : ndarray, (H,)
        Sum over steps (and the batch) of the bias gradients.

    Examples
    --------
    >>> ElmanBPTTGrads._fields
    ('dx', 'dh0', 'dW', 'dU', 'db')
    """

    dx: np.ndarray
    dh0: np.ndarray
    dW: np.ndarray
    dU: np.ndarray
    db: np.ndarray


def elman_forward(x, h0, W, U, b, nonlinearity="tanh"):
    r"""Run :func:`~companion.elman.elman_step_forward` over a sequence and keep every step's cache.

    Parameters
    ----------
    x : ndarray, (T, B, D)
        Inputs :math:`x_1, \dots, x_T`.
    h0 : ndarray, (B, H)
        Initial state.
    W : ndarray, (H, D)
    U : ndarray, (H, H)
    b : ndarray, (H,)
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    h : ndarray, (T, B, H)
        The states :math:`h_1, \dots, h_T`.
    caches : list of ElmanStepCache
        One per step, in time order: what :func:`elman_bptt` needs.

    Raises
    ------
    ValueError
        If ``x`` is not a non-empty (T, B, D) float array matching ``W``, or the other arrays have the wrong
        shapes (the step function's checks name them).

    Examples
    --------
    >>> import numpy as np
    >>> h, caches = elman_forward(np.ones((3, 1, 1)), np.zeros((1, 1)), np.ones((1, 1)), np.zeros((1, 1)),
    ...                           np.zeros(1))
    >>> np.round(h[:, 0, 0], 4)                  # no recurrence: tanh(1) at every step
    array([0.7616, 0.7616, 0.7616])
    """
    check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
    W = check_array(W, "W", (None, None), ("H", "D"))
    x = check_array(x, "x", (None, None, W.shape[1]), ("T", "B", "D"), dtype=W.dtype)
    if x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x is empty: expected shape (T, B, D) with T >= 1 and B >= 1; got shape {x.shape}")
    check_array(h0, "h0", (x.shape[1], W.shape[0]), ("B", "H"), dtype=W.dtype)
    h_t, caches, states = h0, [], []
    for x_t in x:  # x_t (B, D)
        h_t, cache = elman_step_forward(x_t, h_t, W, U, b, nonlinearity)  # (B, H)
        caches.append(cache)
        states.append(h_t)
    return np.stack(states), caches


def _check_truncate(truncate):
    if truncate is None:
        return None
    if isinstance(truncate, (bool, np.bool_)) or not isinstance(truncate, numbers.Integral) or truncate < 1:
        raise ValueError(f"truncate must be None (full BPTT) or an integer >= 1 (steps per window); got {truncate!r}")
    return int(truncate)


def elman_bptt(dh, caches, dh_last=None, truncate=None):
    r"""Backpropagation through time over the caches of :func:`elman_forward`.

    Visits the steps from the last to the first. At step t the gradient reaching :math:`h_t` is ``dh[t]``
    (from the loss at step t) plus what step t+1 sent back; :func:`~companion.elman.elman_step_backward`
    turns it into the step's gradients, the weight gradients are added up over the steps, and the step's
    ``dh_prev`` is carried to step t-1.

    Parameters
    ----------
    dh : ndarray, (T, B, H)
        :math:`\partial L / \partial h_t` through the outputs at each step (not through later steps).
    caches : sequence of ElmanStepCache
        The T caches of the forward pass, in time order.
    dh_last : ndarray, (B, H), optional
        Extra gradient of the final state :math:`h_T` (e.g. from a loss on the last state only). None: zero.
    truncate : int, optional
        Truncated BPTT: the sequence is cut into windows of ``truncate`` steps (steps 1..k, k+1..2k, ...)
        and no gradient crosses a cut, as when the state is detached every ``truncate`` steps.
        None (the default): full BPTT.

    Returns
    -------
    ElmanBPTTGrads
        ``(dx, dh0, dW, dU, db)``.

    Raises
    ------
    ValueError
        If ``caches`` is empty or holds anything but :class:`~companion.elman.ElmanStepCache` objects of one
        network, ``dh``/``dh_last`` have the wrong shape, or ``truncate`` is not None or an integer >= 1.

    Examples
    --------
    One unit, no input weight, :math:`h_t = \tanh(0.5\, h_{t-1})` from :math:`h_0 = 1`; the gradient of
    :math:`h_3` with respect to :math:`h_0` is the product of the three steps' derivatives
    :math:`0.5\,(1 - h_t^2)`:

    >>> import numpy as np
    >>> h, caches = elman_forward(np.zeros((3, 1, 1)), np.ones((1, 1)), np.zeros((1, 1)), np.full((1, 1), 0.5),
    ...                           np.zeros(1))
    >>> dh = np.zeros_like(h); dh[-1] = 1.0                 # loss = h_3
    >>> g = elman_bptt(dh, caches)
    >>> bool(np.isclose(g.dh0[0, 0], np.prod(0.5 * (1 - h[:, 0, 0] ** 2))))
    True
    >>> float(elman_bptt(dh, caches, truncate=2).dh0[0, 0])   # the cut after step 1 stops it
    0.0
    """
    caches = list(caches) if not isinstance(caches, ElmanStepCache) else None
    if not caches or not all(isinstance(c, ElmanStepCache) for c in caches):
        raise ValueError("caches must be a non-empty list of the ElmanStepCache objects that elman_forward() returned")
    truncate = _check_truncate(truncate)
    first = caches[0]
    T, (B, H), dtype = len(caches), first.h_t.shape, first.h_t.dtype
    if any(c.W is not first.W and not np.array_equal(c.W, first.W) for c in caches[1:]) or any(
            c.U is not first.U and not np.array_equal(c.U, first.U) for c in caches[1:]):
        raise ValueError("caches must come from one sequence of one network (the same W and U at every step)")
    dh = check_array(dh, "dh", (T, B, H), ("T", "B", "H"), dtype=dtype)
    dh_next = np.zeros((B, H), dtype=dtype) if dh_last is None else check_array(
        dh_last, "dh_last", (B, H), ("B", "H"), dtype=dtype)
    dx = np.empty((T, B, first.W.shape[1]), dtype=dtype)  # (T, B, D)
    dW, dU, db = np.zeros_like(first.W), np.zeros_like(first.U), np.zeros(H, dtype=dtype)
    for t in range(T - 1, -1, -1):  # t = T-1 ... 0 (steps T ... 1 of the page)
        step = elman_step_backward(dh[t] + dh_next, caches[t])  # the output's gradient + the future's
        dx[t] = step.dx_t
        dW += step.dW  # the same W at every step: the gradients add up
        dU += step.dU
        db += step.db
        dh_next = step.dh_prev  # (B, H), sent back to step t-1
        if truncate is not None and t % truncate == 0 and t > 0:
            dh_next = np.zeros_like(dh_next)  # a cut: no gradient crosses into the previous window
    return ElmanBPTTGrads(dx, dh_next, dW, dU, db)
