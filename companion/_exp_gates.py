r"""The gate activations of the fast kernels, from ``np.exp`` (private).

:mod:`companion._lstm_kernel` and :mod:`companion._gru_kernel` compute the sigmoid and tanh of their gates as

.. math::

    \sigma(z) = \frac{1}{1 + e^{-z}}, \qquad \tanh(z) = 1 - \frac{2}{1 + e^{2z}},

in place, on arguments that arrive already negated (sigmoid) or doubled (tanh): the kernels fold the factor
-1 or 2 into their copy of the weight rows and biases, where it is exact (it changes a sign or an exponent),
so the per-step product gives the argument ``exp`` needs.

Why not ``np.tanh``: numpy's float64 ``tanh`` cost 14 ns a value on an AMD EPYC (numpy 2.4, AVX2, no
AVX-512), against 5.4 ns for ``np.exp`` and well under 1 ns for each of the other three passes (timeit, 12,288
values); in float32 3.6 ns against 2.2 ns. ``benchmarks/ab.py`` (same process, alternating pairs) measured
each kernel against its tanh form, :math:`\sigma(z) = (1 + \tanh(z/2))/2`: see their docstrings.

``exp`` overflows to inf for an argument above about 709 (float64) or 88 (float32), and inf gives the right
limit (:math:`1/(1 + \infty) = 0`); callers run these functions under ``np.errstate(over="ignore")`` (once
around their loop: an ``errstate`` per call would cost more than it is worth). The results differ from
``np.tanh``'s by rounding: near 0 the tanh form is accurate to about 1e-16 absolutely, not relatively, which
is all a gate needs.
"""
from __future__ import annotations

import numpy as np


def sigmoid_of_negated_(v):
    """In place: ``v`` holds -z; afterwards it holds sigma(z) = 1 / (1 + exp(-z)).

    >>> z = np.array([-1e4, -2.0, 0.0, 2.0, 1e4])
    >>> v = -z
    >>> with np.errstate(over="ignore"):
    ...     sigmoid_of_negated_(v)
    >>> bool(np.allclose(v, [0.0, 1 / (1 + np.exp(2.0)), 0.5, 1 / (1 + np.exp(-2.0)), 1.0], rtol=1e-15, atol=0))
    True
    """
    np.exp(v, out=v)
    v += 1
    np.reciprocal(v, out=v)


def tanh_of_doubled_(v):
    """In place: ``v`` holds 2z; afterwards it holds tanh(z) = 1 - 2 / (1 + exp(2z)).

    >>> z = np.array([-1e4, -0.5, 0.0, 1e-3, 3.0, 1e4])
    >>> v = 2 * z
    >>> with np.errstate(over="ignore"):
    ...     tanh_of_doubled_(v)
    >>> bool(np.allclose(v, np.tanh(z), rtol=0, atol=2e-16)), v[0], v[-1]
    (True, np.float64(-1.0), np.float64(1.0))
    """
    np.exp(v, out=v)
    v += 1
    np.divide(2.0, v, out=v)
    np.subtract(1.0, v, out=v)
