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

import inspect
import math
import numbers

import numpy as np

from companion._checks import as_real_array, check_bool, check_model
from companion.seeding import make_rng

__all__ = ["numeric_gradient", "relative_error", "format_relative_error", "check_model_gradients"]


def _check_eps(eps):
    """Return ``eps`` if it is a finite real number > 0, else raise ValueError."""
    if (
        isinstance(eps, (bool, np.bool_))
        or not isinstance(eps, numbers.Real)
        or not (math.isfinite(eps) and eps > 0)
    ):
        raise ValueError(f"eps must be a finite number > 0 (e.g. 1e-5); got {eps!r}")
    return eps


def _scalar_value(value, where):
    """``float(value)`` for a finite real scalar returned by ``f``, else a ValueError."""
    what = f"f must return a finite real scalar (e.g. a float loss); {where} it returned "
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise ValueError(what + repr(value))
    if np.ndim(value) != 0:
        raise ValueError(what + f"an array of shape {np.shape(value)}")
    if np.iscomplexobj(value):
        raise ValueError(what + f"a complex number {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(what + f"{type(value).__name__} {value!r}") from err
    if not math.isfinite(v):
        raise ValueError(what + repr(v))
    return v


def numeric_gradient(f, x, eps=1e-5):
    """Centred-difference gradient of a scalar function, perturbing ``x`` in place.

    Entry by entry, ``grad[i] = (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)``; each entry of
    ``x`` is restored right after (also if ``f`` raises).

    Parameters
    ----------
    f : callable
        ``f()`` or ``f(x)`` returning a finite real scalar; it must read the current values of ``x``.
    x : ndarray, any shape (at least one element), float64, writeable
        The array to perturb (restored afterwards). float32 is refused: its rounding error
        (~1e-7 relative) divided by ``2 eps`` swamps the derivative.
    eps : float, default 1e-5
        Step size, a finite number > 0.

    Returns
    -------
    ndarray, same shape as ``x``, float64

    Raises
    ------
    ValueError
        If ``f`` is not callable or returns anything but a finite real scalar (None, NaN, an
        array, a complex number), ``x`` is not a non-empty writeable float64 ndarray, or ``eps``
        is not a finite number > 0.

    Examples
    --------
    >>> import numpy as np
    >>> w = np.array([[2.0, 3.0]])                      # (1, 2)
    >>> np.round(numeric_gradient(lambda: float((w ** 2).sum()), w), 6)
    array([[4., 6.]])
    """
    if not callable(f):
        raise ValueError(f"f must be a callable f() or f(x) returning a scalar; got {type(f).__name__}")
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        got = f"an ndarray of dtype {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"x must be a floating-point ndarray (perturbed in place), float64; got {got}")
    if x.dtype != np.float64:
        raise ValueError(
            f"x must be a float64 ndarray: centred differences in {x.dtype} are swamped by rounding "
            "(use float64 data and a float64 model)"
        )
    if x.size == 0:
        raise ValueError(f"x is empty (shape {x.shape}): there is nothing to differentiate")
    if not x.flags.writeable:
        raise ValueError("x must be a writeable array: it is perturbed in place (pass a copy, e.g. x.copy())")
    _check_eps(eps)
    try:
        takes_arg = len(inspect.signature(f).parameters) > 0
    except (TypeError, ValueError):  # builtins without a signature
        takes_arg = True

    def call(idx, sign):
        return _scalar_value(f(x) if takes_arg else f(), f"at x[{idx}] {sign} eps")

    grad = np.zeros(x.shape, dtype=np.float64)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        try:
            x[idx] = old + eps
            fp = call(idx, "+")
            x[idx] = old - eps
            fm = call(idx, "-")
        finally:
            x[idx] = old
        grad[idx] = (fp - fm) / (2 * eps)
    return grad


def _real_array(value, name):
    """``value`` as a float64 ndarray of finite real numbers (bools allowed), else a ValueError naming ``name``."""
    arr = as_real_array(value, name, kinds="biuf").astype(np.float64, copy=False)
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def relative_error(a, b, floor=1e-12):
    """Relative error ``||a - b|| / max(||a|| + ||b||, floor)`` (Frobenius norms).

    A norm-wise measure: unlike the entry-wise maximum it is not dominated by
    entries that are both tiny.

    Parameters
    ----------
    a, b : array_like of real numbers, same shape (any)
        E.g. a numeric and an analytic gradient; finite.
    floor : float, default 1e-12
        A finite number > 0 that guards against division by zero when both are zero.

    Returns
    -------
    float
        In [0, 1] (0 when equal, 1 when ``b = -a``).

    Raises
    ------
    ValueError
        If the shapes differ, ``a`` or ``b`` is not an array of real numbers (None, complex,
        strings) or holds NaN/inf, or ``floor`` is not a finite number > 0.

    Examples
    --------
    >>> relative_error([1.0, 2.0], [1.0, 2.0])
    0.0
    >>> round(relative_error([1.0], [1.1]), 4)
    0.0476
    """
    a = _real_array(a, "a")
    b = _real_array(b, "b")
    if (
        isinstance(floor, (bool, np.bool_))
        or not isinstance(floor, numbers.Real)
        or not (math.isfinite(floor) and floor > 0)
    ):
        raise ValueError(f"floor must be a finite number > 0; got {floor!r}")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape; got {a.shape} and {b.shape}")
    # Scaled by a power of two so that the largest entry is below 1: squares of entries beyond ~1e154
    # would overflow (a false 0.0, or NaN) and those below ~1e-154 underflow. The scaling is exact, so
    # in the ordinary range the result is the same as without it.
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if scale == 0.0:
        return 0.0
    e = math.frexp(scale)[1]
    a, b = np.ldexp(a, -e), np.ldexp(b, -e)
    try:
        floor = math.ldexp(floor, -e)
    except OverflowError:  # the floor dwarfs both: the error is 0 to float precision
        floor = math.inf
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), floor))


def format_relative_error(error, below=1e-9):
    """A relative error as the chapters print it: ``"< 1e-9"`` below ``below``, else two significant digits.

    A correct analytic gradient differs from its centred-difference estimate by a few roundings of float64,
    magnified by the difference quotient: around 1e-11 here, in digits that change from machine to machine
    (another BLAS kernel or numpy SIMD path rounds the last bit differently). Printed as a bound, the check
    reads the same everywhere; an error of a wrong line (of order 1e-3 to 1) is printed as it is.

    Parameters
    ----------
    error : float
        A relative error (:func:`relative_error`), >= 0.
    below : float, default 1e-9
        A power of ten > 0: errors smaller than it are printed as ``"< 1e-9"``.

    Returns
    -------
    str

    Raises
    ------
    ValueError
        If ``error`` is not a number >= 0, or ``below`` not a power of ten > 0.

    Examples
    --------
    >>> format_relative_error(2.6e-11), format_relative_error(0.62), format_relative_error(3.4e-6)
    ('< 1e-9', '6.2e-01', '3.4e-06')
    """
    if isinstance(error, (bool, np.bool_)) or not isinstance(error, numbers.Real) or not error >= 0:
        raise ValueError(f"error must be a relative error, a number >= 0; got {error!r}")
    exponent = math.log10(below) if isinstance(below, numbers.Real) and not isinstance(below, bool) and below > 0 \
        else math.nan
    if not (math.isfinite(exponent) and exponent == round(exponent)):
        raise ValueError(f"below must be a power of ten > 0, e.g. 1e-9; got {below!r}")
    return f"< 1e{round(exponent)}" if error < below else f"{float(error):.1e}"


def check_model_gradients(model, x, state=None, eps=1e-5, seed=0, params=None, check_state=True):
    """Compare a model's backward with centred differences, for every parameter and the input.

    For a recurrent model (``forward(x, state) -> (out, state_n)``) the scalar loss is
    ``sum(R * out) + sum(S * state_n)`` with fixed random weights R and S (so the gradient of
    every output and of the final state is exercised); for a model whose ``forward`` returns one
    array (:class:`~companion.sequence_model.SequenceModel`, :class:`~companion.layers.Linear`)
    it is ``sum(R * y)``.

    Parameters
    ----------
    model : ElmanRNN, LSTM, JordanRNN, SequenceModel or Linear
        Anything with ``forward``/``backward``/``params``/``grads`` like them. Its parameters
        must be float64 (build it with ``dtype=np.float64``, the default): in float32 the
        centred differences are swamped by rounding.
    x : array_like of real numbers
        Input as the model's ``forward`` expects it: (T, B, D), or (B, T, D) if the model is
        ``batch_first``, for the sequence models; (..., in_features) for a Linear. Checked in a
        float64 copy.
    state : optional
        Initial state passed to ``forward`` (recurrent models and SequenceModel only):
        ``h_0`` of shape (num_layers*num_directions, B, H) for an ElmanRNN, ``y_0`` of shape
        (1, B, O) for a JordanRNN, a pair ``(h_0, c_0)`` (tuple or list) of such arrays for an
        LSTM, where either may be None (zeros). Its gradient is checked too if given and
        ``check_state``.
    eps : float, default 1e-5
        Step of the centred differences, a finite number > 0.
    seed : int, numpy.random.Generator or None, default 0
        Seed of the random loss weights R and S.
    params : str or iterable of str, optional
        Parameter name(s) to check (keys of ``model.params``; default: all).
    check_state : bool, default True
        Also check the gradient with respect to ``state``.

    Returns
    -------
    dict of str -> float
        Relative error (see :func:`relative_error`) per parameter name, ``"x"`` for the input,
        and ``"state"`` (or ``"state[0]"``, ``"state[1]"``) for the initial state.

    Raises
    ------
    ValueError
        If ``model`` lacks the interface or is not float64, ``params`` names unknown parameters,
        ``eps``/``seed``/``check_state`` are invalid, ``state`` is given to a model without one,
        or ``x``/``state`` are not arrays of real numbers (the model's own checks then apply).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.elman import ElmanRNN
    >>> rnn = ElmanRNN(2, 3, seed=0)
    >>> x = np.random.default_rng(0).normal(size=(4, 2, 2))     # (T, B, D)
    >>> errs = check_model_gradients(rnn, x)
    >>> sorted(errs)
    ['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0', 'x']
    >>> max(errs.values()) < 1e-7
    True
    """
    _check_float64_params(model)
    names = _check_param_names(model, params)
    _check_eps(eps)
    check_bool(check_state, "check_state")
    rng = make_rng(seed)
    x = np.array(as_real_array(x, "x"), dtype=np.float64)
    state_owner = _state_owner(model)
    if state is not None and state_owner is None:
        raise ValueError(
            f"state must be None for a {type(model).__name__}: its forward takes no initial state "
            "(only the recurrent models and SequenceModel do)"
        )

    def call_forward(state):
        return model.forward(x) if state is None else model.forward(x, state)

    first = call_forward(state)  # the model validates x and state (shapes, NaN, ...)
    # recurrent models return (out, state_n) and take backward(dout, dstate); others return y
    recurrent = isinstance(first, tuple)
    if recurrent and len(first) != 2:
        raise ValueError(
            f"{type(model).__name__}.forward must return (out, state_n) or one array; "
            f"got a tuple of {len(first)} items"
        )

    def forward(state):
        res = call_forward(state)
        return res if recurrent else (np.asarray(res), None)

    out, st = first if recurrent else (np.asarray(first), None)
    if state is not None:
        state = _float64_state(state, st if recurrent else getattr(model, "state", None))
    R = rng.normal(size=out.shape)
    st_parts = [] if st is None else (list(st) if isinstance(st, tuple) else [st])
    S = [rng.normal(size=s.shape) for s in st_parts]

    def loss():
        o, s = forward(state)
        s = [] if s is None else (list(s) if isinstance(s, tuple) else [s])
        return float(np.sum(R * o) + sum(np.sum(w * v) for w, v in zip(S, s)))

    # analytic
    forward(state)
    if recurrent:
        dstate = tuple(S) if isinstance(st, tuple) else S[0]
        dx = model.backward(R, dstate)
    else:
        dx = model.backward(R)
    analytic = {name: np.array(g, copy=True) for name, g in model.grads.items()}
    state_grad = getattr(state_owner, "state_grad", None)
    errors = {}
    for name in names:
        errors[name] = relative_error(numeric_gradient(loss, model.params[name], eps), analytic[name])
    errors["x"] = relative_error(numeric_gradient(loss, x, eps), dx)
    if state is not None and check_state:
        if isinstance(state, tuple):
            for k, (s_arr, g) in enumerate(zip(state, state_grad)):
                if s_arr is not None:
                    errors[f"state[{k}]"] = relative_error(numeric_gradient(loss, s_arr, eps), g)
        else:
            errors["state"] = relative_error(numeric_gradient(loss, state, eps), state_grad)
    return errors


def _check_float64_params(model):
    """Raise ValueError unless ``model`` has the model interface and float64 writeable parameters."""
    check_model(model)
    for name in model.params.keys():
        p = model.params[name]
        if not isinstance(p, np.ndarray) or p.dtype != np.float64:
            got = p.dtype if isinstance(p, np.ndarray) else type(p).__name__
            raise ValueError(
                f"model must be float64 for a gradient check: params[{name!r}] is {got} "
                "(build the model with dtype=np.float64; float32 rounding swamps centred differences)"
            )
        if not p.flags.writeable:
            raise ValueError(f"params[{name!r}] is read-only: the gradient check perturbs it in place")


def _check_param_names(model, params):
    """The list of parameter names to check: all for None, one for a str, else each must be a key."""
    valid = list(model.params.keys())
    if params is None:
        return valid
    names = [params] if isinstance(params, str) else None
    if names is None:
        try:
            names = list(params)
        except TypeError:
            names = None
    if names is None or not all(isinstance(n, str) for n in names):
        raise ValueError(f"params must be None, a parameter name or an iterable of names; got {params!r}")
    unknown = [n for n in names if n not in valid]
    if unknown:
        raise ValueError(f"params must name parameters of the model, among {valid}; unknown {unknown}")
    return names


def _state_owner(model):
    """The object whose ``state_grad`` holds the initial-state gradient (the model, its rnn, or None)."""
    if hasattr(model, "state_grad"):
        return model
    rnn = getattr(model, "rnn", None)
    if rnn is not None and hasattr(rnn, "state_grad"):
        return rnn
    return None


def _float64_state(state, final_state):
    """float64 copies of the initial state, a tuple of parts (None kept) if the model's state is a pair."""
    if isinstance(final_state, tuple):  # LSTM: (h, c); the model accepted a tuple or a list
        return tuple(
            None if s is None else np.array(as_real_array(s, f"state[{k}]"), dtype=np.float64)
            for k, s in enumerate(state)
        )
    return np.array(as_real_array(state, "state"), dtype=np.float64)
