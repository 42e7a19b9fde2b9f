"""A per-step affine output layer, ``y = x W^T + b``.

A recurrent layer returns one hidden vector per step, ``out`` of shape (T, B, H).
The chapters turn each of them into an output ``y_t`` (a class score vector, or a
number) with the same affine map at every step. :class:`Linear` applies that map to
the last axis of an array of any shape ``(..., in_features)``, so one call covers all
steps and all sequences of a batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from companion._checks import as_float_array, check_dtype, check_finite, check_parameter_count, check_positive_int
from companion.seeding import make_rng

__all__ = ["Linear"]


@dataclass
class LinearCache:
    """What :meth:`Linear.backward` needs from the forward pass."""

    x: np.ndarray  # (..., in) a copy of the input, cast to the layer's dtype
    weight: np.ndarray  # (out, in) the weights of the forward pass


class Linear:
    r"""Affine map of the last axis: ``y = x W^T + b`` (PyTorch's ``nn.Linear`` layout).

    Parameters
    ----------
    in_features : int
        Size of the last axis of the input (H of the recurrent layer below, or 2H if it is
        bidirectional).
    out_features : int
        Size of the last axis of the output (K classes, or O outputs).
    dtype : {np.float64, np.float32}, default np.float64
        Dtype of the parameters; inputs are cast to it, so outputs and gradients have it too.
    seed : int >= 0, numpy.random.Generator or None
        Source of the initial weights: ``weight`` and ``bias`` are drawn from
        U(-1/sqrt(in_features), 1/sqrt(in_features)), PyTorch's default for ``nn.Linear``.

    Attributes
    ----------
    params : dict of str to ndarray
        ``weight`` (out_features, in_features) and ``bias`` (out_features,). Optimisers update
        these arrays in place.
    grads : dict of str to ndarray
        Same keys and shapes; overwritten (in place) by every :meth:`backward`.

    Notes
    -----
    For an input with leading axes flattened to N rows, ``X`` (N, in) and upstream gradient
    ``dY`` (N, out), the chain rule gives

    .. math:: \partial W = dY^T X, \qquad \partial b = \textstyle\sum_n dY_n, \qquad
              \partial X = dY\, W.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> head = Linear(4, 2, seed=0)
    >>> out = np.ones((5, 3, 4))        # (T, B, H): 5 steps, batch of 3
    >>> head.forward(out).shape        # (T, B, K)
    (5, 3, 2)
    >>> dx = head.backward(np.ones((5, 3, 2)))
    >>> dx.shape, head.grads["bias"]   # every step and sequence adds 1 to each bias gradient
    ((5, 3, 4), array([15., 15.]))
    """

    def __init__(self, in_features, out_features, dtype=np.float64, seed=None):
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        self.dtype = check_dtype(dtype)
        check_parameter_count(self.out_features * (self.in_features + 1),
                              {"in_features": self.in_features, "out_features": self.out_features})
        rng = make_rng(seed)
        bound = 1.0 / np.sqrt(self.in_features)
        self.params = {
            "weight": rng.uniform(-bound, bound, (self.out_features, self.in_features)).astype(self.dtype),
            "bias": rng.uniform(-bound, bound, self.out_features).astype(self.dtype),
        }
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self._cache = None

    def __repr__(self):
        return f"Linear(in_features={self.in_features}, out_features={self.out_features}, dtype={self.dtype.name})"

    def forward(self, x):
        """Apply the layer to the last axis of ``x``.

        Parameters
        ----------
        x : array_like, shape (..., in_features)
            Floating-point input, e.g. the (T, B, H) outputs of a recurrent layer.

        Returns
        -------
        y : ndarray, shape (..., out_features)
            ``x @ weight.T + bias``, in the layer's dtype.

        Raises
        ------
        ValueError
            If ``x`` is not a floating-point array with last axis ``in_features``, or holds NaN/inf.

        Examples
        --------
        >>> import numpy as np
        >>> from companion.layers import Linear
        >>> head = Linear(3, 2, seed=0)
        >>> head.params["weight"][...] = [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]
        >>> head.params["bias"][...] = [0.0, -1.0]
        >>> head.forward(np.array([[1.0, 2.0, 3.0]]))      # (B, in) -> (B, out)
        array([[1., 5.]])
        """
        expected = f"(..., in_features) = (..., {self.in_features})"
        x = as_float_array(x, "x", expected, dtype=self.dtype)
        if x.ndim < 1 or x.shape[-1] != self.in_features:
            raise ValueError(f"x must have shape {expected}; got shape {x.shape}")
        check_finite(x, "x")
        W, b = self.params["weight"], self.params["bias"]
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            y = x @ W.T + b  # (..., out)
        if y.size and not (np.isfinite(y.min()) and np.isfinite(y.max())):
            raise ValueError("Linear.forward() overflowed: x @ weight.T + bias reached inf/NaN; the inputs "
                             f"(up to {np.max(np.abs(x)):.3g}) or the weights are too large for {self.dtype}")
        # backward needs x as it is now: a copy, so that changing the caller's array later cannot
        # change the gradients (and a copy of the weights for the same reason, as the LSTM keeps).
        self._cache = LinearCache(x=np.array(x, copy=True), weight=W.copy())
        return y

    __call__ = forward

    def backward(self, dy):
        """Backpropagate ``dy`` through the last :meth:`forward`.

        Parameters
        ----------
        dy : array_like, shape (..., out_features)
            Gradient of the loss with respect to the output; same leading shape as the input.

        Returns
        -------
        dx : ndarray, shape (..., in_features)
            Gradient with respect to the input. ``grads["weight"]`` and ``grads["bias"]`` are
            overwritten with the parameter gradients (summed over all leading axes).

        Raises
        ------
        ValueError
            If called before :meth:`forward`, or if ``dy`` has the wrong shape or holds NaN/inf.

        Examples
        --------
        >>> import numpy as np
        >>> from companion.layers import Linear
        >>> head = Linear(3, 2, seed=0)
        >>> x = np.array([[1.0, 2.0, 3.0]])                 # (B, in)
        >>> y = head.forward(x)
        >>> dx = head.backward(np.array([[1.0, 0.0]]))     # dL/dy (B, out)
        >>> np.allclose(dx, head.params["weight"][0]), head.grads["weight"]
        (True, array([[1., 2., 3.],
               [0., 0., 0.]]))
        """
        if self._cache is None:
            raise ValueError("Linear.backward() called before forward(): run forward(x) first")
        x = self._cache.x  # (..., in)
        expected_shape = x.shape[:-1] + (self.out_features,)
        expected = f"(..., out_features) = {expected_shape}"
        dy = as_float_array(dy, "dy", expected, dtype=self.dtype)
        if dy.shape != expected_shape:
            raise ValueError(f"dy must have shape {expected} (the output's shape); got shape {dy.shape}")
        check_finite(dy, "dy")
        X = x.reshape(-1, self.in_features)  # (N, in)
        dY = dy.reshape(-1, self.out_features)  # (N, out)
        self.grads["weight"][...] = dY.T @ X  # (out, in)
        self.grads["bias"][...] = dY.sum(axis=0)  # (out,)
        dx = dy @ self._cache.weight  # (..., in)
        return dx
