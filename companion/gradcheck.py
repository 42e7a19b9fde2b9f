"""Numeric gradient checks with centred differences.

``numeric_gradient(f, x)`` estimates ``df/dx`` entry by entry with
``(f(x + eps) - f(x - eps)) / (2 eps)``; :func:`relative_error` compares it with an
analytic gradient; :func:`check_model_gradients` does both for every parameter and the
input (and the initial state) of a sequence model.

Examples
--------
>>> import numpy as np
>>> from companion.gradcheck import numeric_gradient, relative_error
>>> x = np.array([1.0, -2.0, 0.5])
>>> num = numeric_gradient(lambda v: float(np.sum(v ** 3)), x)
>>> relative_error(num, 3 * x ** 2) < 1e-9
True
"""
from __future__ import annotations

import numpy as np

__all__ = ["numeric_gradient", "relative_error", "check_model_gradients"]


def numeric_gradient(f, x, eps=1e-5):
    """Centred-difference gradient of a scalar function, perturbing ``x`` in place.

    Parameters
    ----------
    f : callable
        ``f()`` or ``f(x)`` returning a scalar; it must read the current values of ``x``.
    x : ndarray, any shape, float64
        The array to perturb (restored afterwards).
    eps : float, default 1e-5
        Step size.

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[2.0, 3.0]])
    >>> np.round(numeric_gradient(lambda: float((w ** 2).sum()), w), 6)
    array([[4., 6.]])
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError(f"x must be a floating-point ndarray (perturbed in place); got {type(x).__name__}")
    try:
        import inspect

        takes_arg = len(inspect.signature(f).parameters) > 0
    except (TypeError, ValueError):  # builtins without a signature
        takes_arg = True

    def call():
        return float(f(x) if takes_arg else f())

    grad = np.zeros(x.shape, dtype=np.float64)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        idx = it.multi_index
        old = x[idx]
        x[idx] = old + eps
        fp = call()
        x[idx] = old - eps
        fm = call()
        x[idx] = old
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def relative_error(a, b, floor=1e-12):
    """Relative error ``||a - b|| / max(||a|| + ||b||, floor)`` (Frobenius norms).

    A norm-wise measure: unlike the entry-wise maximum it is not dominated by
    entries that are both tiny.

    Parameters
    ----------
    a, b : array_like, same shape
    floor : float
        Guards against division by zero when both are zero.

    Returns
    -------
    float

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0], [1.1]), 4)
    0.0476
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def check_model_gradients(model, x, state=None, eps=1e-5, seed=0, params=None, check_state=True):
    """Compare a model's backward with centred differences, for every parameter and the input.

    The scalar loss is ``sum(R * out) + sum(S * state_n)`` with fixed random weights
    R and S (so the gradient of every output and of the final state is exercised).

    Parameters
    ----------
    model : ElmanRNN, LSTM or JordanRNN (anything with forward/backward/params/grads)
        Should be float64.
    x : ndarray
        Input as the model's ``forward`` expects it.
    state : optional
        Initial state passed to ``forward`` (its gradient is checked too if given and
        ``check_state``).
    eps : float
    seed : int
        Seed of the random loss weights.
    params : iterable of str, optional
        Names to check (default: all).
    check_state : bool
        Also check the gradient with respect to ``state``.

    Returns
    -------
    dict of str -> float
        Relative error per parameter name, ``"x"`` for the input, and ``"state"``
        (or ``"state[0]"``, ``"state[1]"``) for the initial state.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.elman import ElmanRNN
    >>> rnn = ElmanRNN(2, 3, seed=0)
    >>> errs = check_model_gradients(rnn, np.random.default_rng(0).normal(size=(4, 2, 2)))
    >>> sorted(errs)
    ['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0', 'x']
    >>> max(errs.values()) < 1e-7
    True
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    out, st = model.forward(x, state)
    R = rng.normal(size=out.shape)
    st_parts = list(st) if isinstance(st, tuple) else [st]
    S = [rng.normal(size=s.shape) for s in st_parts]

    def loss():
        o, s = model.forward(x, state)
        s = list(s) if isinstance(s, tuple) else [s]
        return float(np.sum(R * o) + sum(np.sum(w * v) for w, v in zip(S, s)))

    # analytic
    model.forward(x, state)
    dstate = tuple(S) if isinstance(st, tuple) else S[0]
    dx = model.backward(R, dstate)
    analytic = {name: g.copy() for name, g in model.grads.items()}
    state_grad = model.state_grad
    errors = {}
    for name in (params if params is not None else list(model.params)):
        errors[name] = relative_error(numeric_gradient(loss, model.params[name], eps), analytic[name])
    errors["x"] = relative_error(numeric_gradient(loss, x, eps), dx)
    if state is not None and check_state:
        if isinstance(state, tuple):
            state_arrays = tuple(np.array(s, dtype=np.float64) for s in state)
            state = state_arrays
            for k, (s_arr, g) in enumerate(zip(state_arrays, state_grad)):
                errors[f"state[{k}]"] = relative_error(numeric_gradient(loss, s_arr, eps), g)
        else:
            state = np.array(state, dtype=np.float64)
            errors["state"] = relative_error(numeric_gradient(loss, state, eps), state_grad)
    return errors
