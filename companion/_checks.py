"""Input validation shared by the models (private).

Every check raises :class:`ValueError` naming the argument and, for arrays, the
expected shape, e.g. ``x must have shape (T, B, D) = (T, B, 3) ...``.
"""
from __future__ import annotations

import contextlib
import numbers

import numpy as np

from companion._tensors import to_numpy


def _shape_str(shape):
    items = [str(s) for s in shape]
    return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"


def check_positive_int(value, name):
    """Return ``value`` as int if it is an integer >= 1, else raise ValueError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be an integer >= 1; got {value!r}")
    return int(value)


#: Our limit on the parameters of one model: 2**31 values (16 GiB in float64), far beyond a course's models.
MAX_PARAMETERS = 2**31


def check_parameter_count(count, sizes):
    """Raise ValueError if a model of ``sizes`` (a dict argument name -> value) would have more than
    :data:`MAX_PARAMETERS` parameters; checked before anything is allocated."""
    if count > MAX_PARAMETERS:
        args = ", ".join(f"{name}={value}" for name, value in sizes.items())
        raise ValueError(f"{args} give {count:,} parameters, more than the {MAX_PARAMETERS:,} (2**31) companion "
                         f"allows: use smaller sizes")


def check_int(value, name, expected="an integer"):
    """Return ``value`` as int if it is an integer (not a bool), else raise ValueError naming ``name``.

    ``expected`` completes the message "``name`` must be ...".
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be {expected}; got {value!r}")
    return int(value)


def check_bool(value, name):
    """Return ``value`` as bool if it is True or False (Python's or numpy's), else raise ValueError."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False; got {value!r}")
    return bool(value)


def check_model(model, name="model", example="e.g. ElmanRNN, LSTM, JordanRNN, SequenceModel or Linear"):
    """Raise ValueError unless ``model`` has the models' interface: ``forward`` and ``backward`` methods
    and ``params``/``grads`` mappings (names -> arrays)."""
    for attr in ("forward", "backward"):
        if not callable(getattr(model, attr, None)):
            raise ValueError(f"{name} must have forward, backward, params and grads ({example}); "
                             f"{type(model).__name__} has no {attr}()")
    for attr in ("params", "grads"):
        if not hasattr(getattr(model, attr, None), "keys"):
            raise ValueError(f"{name} must have forward, backward, params and grads ({example}); "
                             f"{type(model).__name__} has no {attr} mapping")


def check_choice(value, name, choices):
    """Return ``value`` if it is one of ``choices``, else raise ValueError."""
    if not isinstance(value, str) or value not in choices:
        opts = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {opts}; got {value!r}")
    return value


def check_dtype(dtype, name="dtype"):
    """Return a floating numpy dtype (float32 or float64), else raise ValueError."""
    try:
        dt = np.dtype(dtype)
    except TypeError as err:
        raise ValueError(f"{name} must be np.float32 or np.float64; got {dtype!r}") from err
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name} must be np.float32 or np.float64; got {dt}")
    return dt


def as_array(value, name, what="an array"):
    """``value`` (array_like or torch tensor) as an ndarray, else a ValueError naming ``name``.

    Only the conversion is checked (a ragged nested list, or an object numpy cannot convert, is
    rejected with a message saying so instead of numpy's); dtype and shape are the caller's to check.

    >>> as_array([[1, 2], [3]], "targets")
    Traceback (most recent call last):
    ...
    ValueError: targets must be an array (a rectangular nested list or an ndarray); got a list that is not rectangular
    """
    try:
        return to_numpy(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be {what} (a rectangular nested list or an ndarray); got a "
                         f"{type(value).__name__} that is not rectangular") from None


def as_float_array(a, name, expected, dtype=None):
    """Convert ``a`` to a floating ndarray (of ``dtype`` if given), rejecting integer/bool data.

    Parameters
    ----------
    a : array_like
    name : str
        Argument name for the error message.
    expected : str
        Expected shape for the error message, e.g. ``"(T, B, D) = (T, B, 3)"``.
    dtype : numpy dtype, optional
        Cast to this dtype (after the kind check).
    """
    try:
        arr = to_numpy(a)
    except (ValueError, TypeError) as err:  # e.g. a ragged nested list
        raise ValueError(f"{name} must be a floating-point array of shape {expected}; got {type(a).__name__} "
                         f"that is not a rectangular array ({err})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(
            f"{name} must be a floating-point array of shape {expected}; got dtype {arr.dtype} "
            f"(convert with .astype(np.float64))"
        )
    if dtype is not None and arr.dtype != dtype:
        with np.errstate(over="ignore"):  # a value beyond the target range becomes inf: check_finite says so
            arr = arr.astype(dtype)
    return arr


def as_real_array(value, name, kinds="iuf"):
    """``value`` (array_like or torch tensor) as an ndarray of real numbers, else a ValueError naming ``name``.

    ``kinds`` lists the accepted numpy dtype kinds ("b" bool, "i"/"u" integers, "f" floating).
    None, strings, complex numbers and ragged nested lists are rejected.
    """
    try:
        arr = to_numpy(value)
    except (TypeError, ValueError) as err:  # e.g. ragged nested lists
        raise ValueError(f"{name} must be an array of real numbers; got {type(value).__name__} ({err})") from None
    if arr.dtype.kind not in kinds:
        got = type(value).__name__ if arr.dtype == object else f"dtype {arr.dtype}"
        raise ValueError(f"{name} must be an array of real numbers; got {got}")
    return arr


def as_bool_mask(mask, shape, name="mask", shape_desc=None):
    """``mask`` as a boolean array of ``shape``; booleans or the numbers 0/1, else ValueError.

    ``shape_desc`` describes the expected shape in the message (default: ``shape`` itself).
    """
    m = as_array(mask, name, "an array of booleans")
    if m.shape != shape:
        raise ValueError(f"{name} must have {shape_desc or f'shape {shape}'} (True = counts, False = padding); "
                         f"got shape {m.shape}")
    if m.dtype != bool:
        if not (m.dtype.kind in "iuf" and np.isin(m, (0, 1)).all()):
            raise ValueError(f"{name} must hold booleans (or the numbers 0/1); got dtype {m.dtype}"
                             + (f" with values {np.unique(m)[:5].tolist()}" if m.dtype.kind in "iuf" else ""))
        m = m.astype(bool)
    return m


def check_finite(arr, name):
    """Raise ValueError if ``arr`` contains NaN or inf."""
    # min and max propagate NaN and expose +-inf, without a full-size boolean temporary
    if arr.size and not (np.isfinite(arr.min()) and np.isfinite(arr.max())):
        hint = " (or values beyond the float32 range)" if arr.dtype == np.float32 else ""
        raise ValueError(f"{name} contains NaN or inf{hint}")


def check_array(a, name, shape, labels, dtype=None, finite=True):
    """Validate an array against an expected shape.

    Parameters
    ----------
    a : array_like
    name : str
        Argument name for messages.
    shape : tuple of int or None
        Expected shape; ``None`` entries are free (e.g. T and B).
    labels : tuple of str
        Letters for the axes, e.g. ``("T", "B", "D")``.
    dtype : numpy dtype, optional
        Cast to this dtype.
    finite : bool
        Reject NaN/inf.

    Returns
    -------
    ndarray
    """
    expected = _shape_str(labels)
    if any(s is not None for s in shape):
        expected += " = " + _shape_str(l if s is None else s for s, l in zip(shape, labels))
    arr = as_float_array(a, name, expected, dtype)
    if arr.ndim != len(shape):
        raise ValueError(f"{name} must be a {len(shape)}-D array of shape {expected}; got shape {arr.shape}")
    for axis, (want, got, lab) in enumerate(zip(shape, arr.shape, labels)):
        if want is not None and got != want:
            raise ValueError(
                f"{name} must have shape {expected}; got shape {arr.shape} (axis {axis}, {lab}, is {got}, expected {want})"
            )
    if finite:
        check_finite(arr, name)
    return arr


def check_sequence(x, input_size, batch_first, dtype, name="x", copy=True):
    """Validate a sequence input and return it time-major, ``(T, B, D)``.

    Raises ValueError for the wrong ndim or feature size, integer/bool data,
    NaN/inf, and empty sequences (T = 0 or B = 0). With ``copy`` (the default) the result is a
    private C-contiguous copy; without, it may be a view of ``x`` (for a model that copies
    what it keeps anyway).
    """
    labels = ("B", "T", "D") if batch_first else ("T", "B", "D")
    arr = check_array(x, name, (None, None, input_size), labels, dtype=dtype, finite=False)
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(
            f"{name} is empty: expected shape {_shape_str(labels)} with T >= 1 and B >= 1; got shape {arr.shape}"
        )
    check_finite(arr, name)
    if batch_first:
        arr = arr.swapaxes(0, 1)
    # The models keep their input for backward: a private, time-major copy means that changing
    # x afterwards (x[:] = ..., or a torch tensor in place) cannot silently change the gradients.
    return np.array(arr, order="C", copy=True) if copy else arr


def check_cache(cache, cache_type, producer):
    """Raise ValueError unless ``cache`` is the named cache a step's forward function returned."""
    if not isinstance(cache, cache_type):
        raise ValueError(
            f"cache must be the {cache_type.__name__} returned by {producer}(); got {type(cache).__name__}"
        )


def overflow_errstate(unbounded):
    """Context for a forward pass: with an unbounded activation, overflow is not warned about by
    numpy but reported afterwards by :func:`check_not_overflowed`; otherwise numpy's defaults."""
    return np.errstate(over="ignore", invalid="ignore") if unbounded else contextlib.nullcontext()


def check_not_overflowed(values, model_name):
    """Raise ValueError if a forward pass produced NaN or inf (an unbounded activation overflowed)."""
    if values.size and not (np.isfinite(values.min()) and np.isfinite(values.max())):
        raise ValueError(
            f"{model_name}.forward() overflowed: its activations reached inf/NaN. The weights (or the "
            "inputs) are too large for an unbounded activation; use smaller weights, a lower learning "
            "rate or gradient clipping"
        )


def check_forward_done(cache, model_name):
    """Raise ValueError if backward() is called without a fresh forward()."""
    if cache is None:
        raise ValueError(f"{model_name}.backward() called before forward(): run forward(x) first")
    if getattr(cache, "consumed", False):
        raise ValueError(
            f"{model_name}.backward() was already called for this forward pass "
            "(its buffers are reused by backpropagation): run forward(x) again"
        )
