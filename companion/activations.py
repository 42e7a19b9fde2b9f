"""Activation functions and their derivatives.

Every function works elementwise on arrays of any shape (``softmax`` works along
one axis) and keeps the input's floating-point dtype. The sigmoid is written so
that it never overflows: it only ever evaluates ``exp`` of a non-positive number.

The recurrent models need derivatives *in terms of the output* (the backward pass
has the activation ``y = f(z)`` at hand, not ``z``); :class:`Activation` bundles
the function, its derivative in terms of the input and in terms of the output.

``ACTIVATIONS`` is the dict of the elementwise activations by name (``"sigmoid"``, ``"tanh"``,
``"relu"``, ``"identity"``) mapping to their :class:`Activation`; :func:`get_activation` looks names
up in it with a clear error. The softmax is not elementwise, so it is not in it: see :func:`softmax`.

Inputs must be real numbers: floating arrays keep their dtype, integer and boolean arrays become
float64, and anything else (complex numbers, strings, None) raises ``ValueError``.

Examples
--------
>>> import numpy as np
>>> from companion.activations import sigmoid, get_activation
>>> sigmoid(np.array([-1e4, 0.0, 1e4]))
array([0. , 0.5, 1. ])
>>> act = get_activation("tanh")
>>> y = act.forward(np.array([0.5]))
>>> np.round(act.derivative_from_output(y), 4)
array([0.7864])
"""
from __future__ import annotations

import numbers
from typing import Callable, NamedTuple

import numpy as np

from companion._checks import as_real_array

__all__ = [
    "sigmoid",
    "sigmoid_derivative",
    "tanh",
    "tanh_derivative",
    "relu",
    "relu_derivative",
    "identity",
    "identity_derivative",
    "softmax",
    "softmax_backward",
    "Activation",
    "get_activation",
    "ACTIVATIONS",
]


def _float_array(x, name="x"):
    """``x`` as a real floating array: floats as they are, integers/bools -> float64, else ValueError."""
    x = as_real_array(x, name, kinds="biuf")  # rejects complex numbers, strings, None/objects
    return x if x.dtype.kind == "f" else x.astype(np.float64)


def _check_axis(axis, shape, name="x"):
    """Raise ValueError unless ``axis`` is an int indexing an axis of an array of ``shape``."""
    ndim = len(shape)
    if ndim == 0:
        raise ValueError(f"{name} must have at least one axis (the one that sums to one); got a scalar")
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral) or not -ndim <= axis < ndim:
        raise ValueError(f"axis must be an integer in [-{ndim}, {ndim}) for {name} of shape {shape}; got {axis!r}")


def sigmoid(x):
    """Logistic sigmoid ``f(z) = 1 / (1 + exp(-z))``, stable for inputs of any size.

    Only ``exp(-|z|)`` is evaluated, which lies in (0, 1], so nothing overflows
    and no warning is raised even for ``z = ±1e4`` (the gates of the classic
    LSTM worked example see inputs of ±110).

    Parameters
    ----------
    x : array_like, any shape
        Pre-activation ``z``, real numbers. Integer input is converted to float64.

    Returns
    -------
    ndarray, same shape and floating dtype as ``x``
        ``f(z)`` in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> [f"{v:.4g}" for v in sigmoid(np.array([-10.0, 0.0, 10.0]))]
    ['4.54e-05', '0.5', '1']
    >>> sigmoid(np.array([-1e4, 1e4], dtype=np.float32))
    array([0., 1.], dtype=float32)
    """
    x = _float_array(x)
    with np.errstate(under="ignore"):  # exp(-1e4) underflowing to 0 is the right answer
        e = np.exp(-np.abs(x))  # in (0, 1]: cannot overflow
        return np.where(x >= 0, 1.0, e) / (1.0 + e)


def sigmoid_derivative(x):
    """Derivative of the sigmoid, ``f'(z) = f(z) (1 - f(z))``.

    Parameters
    ----------
    x : array_like, any shape
        Pre-activation ``z``.

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> float(sigmoid_derivative(0.0))
    0.25
    """
    s = sigmoid(x)
    with np.errstate(under="ignore"):
        return s * (1.0 - s)


def tanh(x):
    """Hyperbolic tangent (numpy's, which is stable for any input).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``, values in [-1, 1]

    Examples
    --------
    >>> tanh(np.array([-1e4, 0.0, 1e4]))
    array([-1.,  0.,  1.])
    """
    return np.tanh(_float_array(x))


def tanh_derivative(x):
    """Derivative of tanh, ``1 - tanh(z)**2``.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> float(tanh_derivative(0.0))
    1.0
    """
    t = np.tanh(_float_array(x))
    return 1.0 - t * t


def relu(x):
    """Rectified linear unit ``max(z, 0)``.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    x = _float_array(x)
    return np.maximum(x, 0.0)


def relu_derivative(x):
    """Derivative of ReLU: 1 where ``z > 0``, else 0 (PyTorch's convention at 0).

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, same shape as ``x``

    Examples
    --------
    >>> relu_derivative(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 1.])
    """
    x = _float_array(x)
    return (x > 0).astype(x.dtype)


def identity(x):
    """Identity (linear) activation ``f(z) = z``.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray, the same values as a floating array

    Examples
    --------
    >>> identity(np.array([1.5, -2.0]))
    array([ 1.5, -2. ])
    """
    return _float_array(x)


def identity_derivative(x):
    """Derivative of the identity: ones.

    Parameters
    ----------
    x : array_like, any shape

    Returns
    -------
    ndarray of ones, same shape as ``x``

    Examples
    --------
    >>> identity_derivative(np.array([1.5, -2.0]))
    array([1., 1.])
    """
    return np.ones_like(_float_array(x))


def softmax(x, axis=-1):
    """Softmax along ``axis``, shifted by the maximum so it never overflows.

    Parameters
    ----------
    x : array_like, e.g. (B, K)
        Scores (logits).
    axis : int, default -1
        The axis that sums to one.

    Returns
    -------
    ndarray, same shape as ``x``

    Raises
    ------
    ValueError
        If ``x`` is not real (complex, strings, None), is a scalar or empty along ``axis``, or
        ``axis`` is not an axis of ``x``.

    Examples
    --------
    >>> np.round(softmax(np.array([[1.0, 2.0, 3.0], [1e4, 0.0, -1e4]])), 4)
    array([[0.09  , 0.2447, 0.6652],
           [1.    , 0.    , 0.    ]])
    """
    x = _float_array(x)
    _check_axis(axis, x.shape)
    if x.shape[axis] == 0:
        raise ValueError(f"x is empty along axis {axis}: got shape {x.shape}")
    with np.errstate(under="ignore"):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))  # exponents <= 0: no overflow
        return e / np.sum(e, axis=axis, keepdims=True)


def softmax_backward(dy, y, axis=-1):
    """Vector-Jacobian product of the softmax: ``dz = y * (dy - sum(dy * y))``.

    Parameters
    ----------
    dy : ndarray, e.g. (B, K)
        Gradient of the loss with respect to the softmax output.
    y : ndarray, same shape as ``dy``
        The softmax output.
    axis : int, default -1
        The axis the softmax was taken along.

    Returns
    -------
    ndarray, same shape as ``dy``
        Gradient with respect to the softmax input.

    Raises
    ------
    ValueError
        If ``dy`` and ``y`` differ in shape (no broadcasting), are not real arrays, or ``axis``
        is not an axis of them.

    Examples
    --------
    >>> y = softmax(np.array([[0.0, 0.0]]))
    >>> softmax_backward(np.array([[1.0, 0.0]]), y)
    array([[ 0.25, -0.25]])
    """
    dy = _float_array(dy, "dy")
    y = _float_array(y, "y")
    if dy.shape != y.shape:
        raise ValueError(f"dy must have the shape of y {y.shape} (the softmax output); got shape {dy.shape}")
    _check_axis(axis, y.shape, "y")
    return y * (dy - np.sum(dy * y, axis=axis, keepdims=True))


def _sigmoid_from_output(y):
    y = _float_array(y, "y")
    return y * (1.0 - y)


def _tanh_from_output(y):
    y = _float_array(y, "y")
    return 1.0 - y * y


def _relu_from_output(y):
    y = _float_array(y, "y")
    return (y > 0).astype(y.dtype)


def _identity_from_output(y):
    y = _float_array(y, "y")
    return np.ones_like(y)


class Activation(NamedTuple):
    """An elementwise activation with its derivatives.

    Every callable maps an array of any shape to an array of the same shape.

    Attributes
    ----------
    name : str
    forward : callable, ``z -> f(z)``
    derivative : callable, ``z -> f'(z)``
    derivative_from_output : callable, ``f(z) -> f'(z)`` (what backpropagation uses)

    Examples
    --------
    >>> act = ACTIVATIONS["sigmoid"]                 # or get_activation("sigmoid")
    >>> z = np.array([[0.0, 2.0]])                   # (B, H) = (1, 2)
    >>> y = act.forward(z)
    >>> np.round(y, 4)
    array([[0.5   , 0.8808]])
    >>> np.allclose(act.derivative(z), act.derivative_from_output(y))
    True
    """

    name: str
    forward: Callable
    derivative: Callable
    derivative_from_output: Callable


ACTIVATIONS = {
    "sigmoid": Activation("sigmoid", sigmoid, sigmoid_derivative, _sigmoid_from_output),
    "tanh": Activation("tanh", tanh, tanh_derivative, _tanh_from_output),
    "relu": Activation("relu", relu, relu_derivative, _relu_from_output),
    "identity": Activation("identity", identity, identity_derivative, _identity_from_output),
}


def get_activation(name, allowed=None, argname="activation"):
    """Look an elementwise activation up by name.

    Parameters
    ----------
    name : str
        One of ``"sigmoid"``, ``"tanh"``, ``"relu"``, ``"identity"``.
    allowed : str or sequence of str, optional
        Restrict the accepted names (e.g. ``("tanh", "identity")`` for the LSTM's g and h); a
        single string is one name. None allows every name.
    argname : str
        Argument name used in the error message.

    Returns
    -------
    Activation

    Raises
    ------
    ValueError
        If ``name`` is unknown or not allowed, or ``allowed`` is not a name or a sequence of
        known names.

    Examples
    --------
    >>> get_activation("relu").forward(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> get_activation("softsign")
    Traceback (most recent call last):
    ...
    ValueError: activation must be one of 'sigmoid', 'tanh', 'relu', 'identity'; got 'softsign'
    """
    names = _allowed_names(allowed)
    if not isinstance(name, str) or name not in names:
        choices = ", ".join(repr(n) for n in names)
        raise ValueError(f"{argname} must be one of {choices}; got {name!r}")
    return ACTIVATIONS[name]


def _allowed_names(allowed):
    """The tuple of names ``allowed`` stands for (None: all; a str: that one name)."""
    if allowed is None:
        return tuple(ACTIVATIONS)
    if isinstance(allowed, str):
        names = (allowed,)
    else:
        try:
            names = tuple(allowed)
        except TypeError:
            names = None
    known = ", ".join(repr(n) for n in ACTIVATIONS)
    if not names or not all(isinstance(n, str) and n in ACTIVATIONS for n in names):
        raise ValueError(f"allowed must be None, a name or a non-empty sequence of names among {known}; got {allowed!r}")
    return names
