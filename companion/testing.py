"""Comparing an answer with the reference: the one check the assignments' tests use.

The assignments (``assignments/source``) compare a student's arrays with the values the course's reference
implementation computes on the same inputs. One rule decides for every test, visible or hidden, in the
student's notebook and in the grader (``python -m grading``):

    ``|actual - expected| <= ATOL + RTOL * |expected|`` for every entry, with the same shape.

The tolerances are wide enough for a correct answer computed in float32 and narrow enough for every
classic mistake to fail clearly. ``tests/test_grading.py`` measures both over every test of every
assignment: the instructor's solutions computed in float32 use at most a fifth of the tolerance (the
30-step Jacobian products of ``classic_experiments``; the other assignments less than a hundredth), and
each named mistake (swapped gate order, forgotten forget gate, missing transpose, ...) misses it by at
least 69 times, most by thousands.

Examples
--------
>>> import numpy as np
>>> from companion.testing import check
>>> check("h_t", np.float32([0.5, -0.25]), np.array([0.5, -0.25]))  # float32 passes
>>> check("h_t", [0.5, 0.25], np.array([0.5, -0.25]),
...       mistakes=[("the sign is lost", np.array([0.5, 0.25]))])
Traceback (most recent call last):
...
AssertionError: h_t is wrong: it looks like the sign is lost
"""
from __future__ import annotations

import numpy as np

__all__ = ["ATOL", "RTOL", "check", "close"]

#: Absolute tolerance of :func:`check`: float32 rounding of values near zero.
ATOL = 1e-5
#: Relative tolerance of :func:`check`: five times float32's largest measured relative error (about 2e-4).
RTOL = 1e-3


def _as_float(value, name):
    try:
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError
        return arr.astype(np.float64)
    except (TypeError, ValueError):
        raise AssertionError(f"{name} should be an array of numbers; got {type(value).__name__}") from None


def close(actual, expected, rtol=RTOL, atol=ATOL):
    """True when ``actual`` has the shape of ``expected`` and every entry is within tolerance.

    Parameters
    ----------
    actual, expected : array_like
        Arrays of numbers (any float or integer dtype); NaN never counts as close.
    rtol, atol : float
        ``|actual - expected| <= atol + rtol * |expected|``.

    Returns
    -------
    bool

    Examples
    --------
    >>> close([1.0, 2.0], [1.0, 2.0005]), close([1.0], [1.0, 1.0])
    (True, False)
    """
    a, e = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if a.shape != e.shape:
        return False
    with np.errstate(invalid="ignore", over="ignore"):  # inf - inf is NaN, which is not close
        return bool(np.all(np.abs(a - e) <= atol + rtol * np.abs(e)))


def check(name, actual, expected, mistakes=(), *, rtol=RTOL, atol=ATOL):
    """Raise ``AssertionError`` unless ``actual`` equals ``expected`` to the course's tolerance.

    Parameters
    ----------
    name : str
        What is compared, for the message (``"h_t"``, ``"dW (relu)"``).
    actual : array_like
        The answer: any shape, float32 or float64.
    expected : array_like
        The reference's value.
    mistakes : sequence of (str, array_like)
        Classic mistakes and what each would produce; when ``actual`` matches one, the message names it.
        A candidate of ``None`` is skipped.
    rtol, atol : float
        The tolerance, ``|actual - expected| <= atol + rtol * |expected|`` (module constants by default).

    Raises
    ------
    AssertionError
        With a message naming the mistake, the shape expected, or the largest difference.

    Examples
    --------
    >>> check("a", np.ones((2, 3)), np.ones((3, 2)))
    Traceback (most recent call last):
    ...
    AssertionError: a has shape (2, 3); expected (3, 2)
    """
    got = _as_float(actual, name)
    want = np.asarray(expected, dtype=np.float64)
    if close(got, want, rtol, atol):
        return
    for description, candidate in mistakes:
        if candidate is not None and close(got, _as_float(candidate, description), rtol, atol):
            raise AssertionError(f"{name} is wrong: it looks like {description}")
    if got.shape != want.shape:
        raise AssertionError(f"{name} has shape {got.shape}; expected {want.shape}")
    if np.isnan(got).any():
        raise AssertionError(f"{name} contains NaN where the reference has numbers")
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(got - want)
    worst = np.max(diff) if diff.size else 0.0
    raise AssertionError(f"{name} differs from the reference (largest difference {worst:.3g}; "
                         f"allowed: {atol:g} + {rtol:g} * |reference|)")
