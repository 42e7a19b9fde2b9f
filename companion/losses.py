"""Losses for sequence outputs, each returning ``(loss, gradient)``.

Every loss here is a *mean over the unmasked positions*: a mask marks the real steps of
padded sequences (True = counts, False = padding), so sentences of different lengths can
share one (T, B, ...) batch. The gradient has the shape of the prediction and is exactly
zero at masked positions.
"""
from __future__ import annotations

import math

import numpy as np

from companion._checks import as_array, as_bool_mask, as_float_array, check_finite

# `softmax` below serves the loss; the package-level softmax is companion.activations.softmax (no clash)
__all__ = ["softmax_cross_entropy", "sigmoid_cross_entropy", "mse", "accuracy", "log_softmax"]


def log_softmax(logits):
    """Numerically stable ``log(softmax(logits))`` over the last axis.

    Uses the log-sum-exp trick: subtracting each row's maximum keeps ``exp`` in range.

    Parameters
    ----------
    logits : ndarray, shape (..., K), e.g. (K,), (N, K) or (T, B, K)
        Real floating-point class scores, finite, with at least one axis and at least one element.

    Returns
    -------
    ndarray, same shape and dtype as ``logits``
        Log-probabilities; ``exp`` of each row (over K) sums to 1.

    Raises
    ------
    ValueError
        If ``logits`` is not a real floating-point array (integer, bool, complex, strings,
        None), is a scalar, is empty, or holds NaN/inf.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import log_softmax
    >>> np.round(log_softmax(np.array([0.0, 1000.0])), 4)   # (K,) = (2,); no overflow
    array([-1000.,     0.])
    >>> np.round(np.exp(log_softmax(np.zeros((2, 4)))), 4)  # (N, K) = (2, 4): uniform
    array([[0.25, 0.25, 0.25, 0.25],
           [0.25, 0.25, 0.25, 0.25]])
    """
    return _log_softmax(_check_logits(logits, min_ndim=1))


def _log_softmax(logits):
    """``log_softmax`` without the checks (``logits`` already validated)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(logits):
    """Numerically stable softmax over the last axis.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import softmax
    >>> np.round(softmax(np.array([1.0, 1.0, 1.0 + np.log(2.0)])), 4)
    array([0.25, 0.25, 0.5 ])
    """
    return np.exp(log_softmax(logits))


def _check_mask(mask, shape, name="mask"):
    """Return a boolean mask of ``shape`` (None -> all True); reject non-0/1 values and an empty mask."""
    if mask is None:
        return np.ones(shape, dtype=bool)
    m = as_bool_mask(mask, shape, name)
    if not m.any():
        raise ValueError(f"{name} masks out every position: nothing to average over")
    return m


def _check_logits(logits, name="logits", min_ndim=2):
    """Return ``logits`` as a finite real floating array of shape (..., K) with >= ``min_ndim`` axes."""
    logits = as_float_array(logits, name, "(..., K)")
    if logits.ndim < min_ndim:
        if min_ndim == 1:
            raise ValueError(f"{name} must be an array of shape (..., K) with at least one axis; got a scalar")
        raise ValueError(f"{name} must have shape (N, K) or (T, B, K); got shape {logits.shape}")
    if logits.shape[-1] < 1 or logits.size == 0:
        raise ValueError(f"{name} is empty: got shape {logits.shape}")
    check_finite(logits, name)
    return logits


def _check_targets(targets, shape, name="targets"):
    t = as_array(targets, name, "an array of class indices")
    if t.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (logits' shape without the class axis); got shape {t.shape}")
    if not (np.issubdtype(t.dtype, np.integer) or t.dtype == bool):
        raise ValueError(f"{name} must hold integer class ids; got dtype {t.dtype}")
    return t.astype(np.intp)


def _check_class_ids(targets, m, K, name="targets"):
    """Raise ValueError unless ``targets`` are class ids in [0, K) wherever the mask ``m`` is True."""
    bad = m & ((targets < 0) | (targets >= K))
    if bad.any():
        raise ValueError(
            f"{name} must be class ids in [0, K) = [0, {K}) at unmasked positions; "
            f"got values {np.unique(targets[bad])[:5].tolist()}"
        )


def softmax_cross_entropy(logits, targets, mask=None):
    r"""Mean cross-entropy of softmax class scores, and its gradient.

    .. math:: L = -\frac{1}{|M|} \sum_{n \in M} \log \operatorname{softmax}(s_n)_{k_n}, \qquad
              \frac{\partial L}{\partial s_n} = \frac{\operatorname{softmax}(s_n) - e_{k_n}}{|M|}
              \;(n \in M), \quad 0 \text{ otherwise,}

    where ``s_n`` are the logits of position ``n``, ``k_n`` its target class and ``M`` the set of
    unmasked positions. Equal to PyTorch's ``F.cross_entropy`` (mean reduction) on the unmasked rows.

    Parameters
    ----------
    logits : ndarray, shape (T, B, K) or (N, K) (any (..., K))
        Unnormalised class scores.
    targets : array_like of int, shape (T, B) or (N,) (the logits' shape without K)
        Class ids in ``[0, K)``. Masked positions may hold anything (e.g. a padding value).
    mask : array_like of bool, same shape as ``targets``, optional
        True where the position counts, False for padding. None means every position counts.

    Returns
    -------
    loss : float
        Mean negative log-likelihood over the unmasked positions.
    dlogits : ndarray, same shape and dtype as ``logits``
        Gradient of ``loss``; zero at masked positions.

    Raises
    ------
    ValueError
        Shape mismatch, non-integer or out-of-range targets, NaN/inf logits, or a mask that keeps
        no position.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import softmax_cross_entropy
    >>> logits = np.zeros((2, 3))                     # (N, K): uniform scores over 3 classes
    >>> loss, dlogits = softmax_cross_entropy(logits, np.array([0, 2]))
    >>> round(loss, 4), round(float(np.log(3)), 4)
    (1.0986, 1.0986)
    >>> np.round(dlogits, 4)
    array([[-0.3333,  0.1667,  0.1667],
           [ 0.1667,  0.1667, -0.3333]])
    """
    logits = _check_logits(logits)
    K = logits.shape[-1]
    targets = _check_targets(targets, logits.shape[:-1])
    m = _check_mask(mask, targets.shape)
    _check_class_ids(targets, m, K)
    count = int(m.sum())
    safe_targets = np.where(m, targets, 0)[..., None]  # (..., 1)
    logp = _log_softmax(logits)  # (..., K)
    nll = -np.take_along_axis(logp, safe_targets, axis=-1)[..., 0]  # (...)
    loss = float(nll[m].sum() / count)
    dlogits = np.exp(logp)  # softmax, (..., K)
    np.put_along_axis(dlogits, safe_targets, np.take_along_axis(dlogits, safe_targets, axis=-1) - 1.0, axis=-1)
    dlogits *= m[..., None] / count
    return loss, dlogits.astype(logits.dtype, copy=False)


def sigmoid_cross_entropy(logits, targets, mask=None):
    r"""Mean binary cross-entropy of sigmoid outputs (from logits), and its gradient.

    .. math:: L = \frac{1}{|M|}\sum_{n \in M} \big[\log(1 + e^{s_n}) - y_n s_n\big], \qquad
              \frac{\partial L}{\partial s_n} = \frac{\sigma(s_n) - y_n}{|M|},

    computed stably for large ``|s|``. Equal to PyTorch's ``F.binary_cross_entropy_with_logits``
    (mean reduction) on the unmasked elements. Use it for bit prediction (temporal XOR).

    Parameters
    ----------
    logits : ndarray, any shape, e.g. (T, B, 1)
        Scores ``s``; the predicted probability is ``sigmoid(s)``.
    targets : array_like, same shape as ``logits``
        Targets in [0, 1] (usually 0 or 1).
    mask : array_like of bool, optional
        Same shape as ``logits``, or ``logits.shape[:-1]`` (one flag per step, e.g. (T, B)).

    Returns
    -------
    loss : float
    dlogits : ndarray, same shape and dtype as ``logits``

    Raises
    ------
    ValueError
        Shape mismatch, empty logits, targets outside [0, 1], NaN/inf, or a mask that keeps nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import sigmoid_cross_entropy
    >>> loss, d = sigmoid_cross_entropy(np.zeros((3, 1, 1)), np.ones((3, 1, 1)))
    >>> round(loss, 4), np.round(d.ravel(), 4)     # log 2, and (0.5 - 1) / 3
    (0.6931, array([-0.1667, -0.1667, -0.1667]))
    """
    s = as_float_array(logits, "logits", "(...)")
    if s.size == 0:
        raise ValueError(f"logits is empty: got shape {s.shape}")
    check_finite(s, "logits")
    y = as_array(targets, "targets", "an array of 0/1 labels")
    if y.dtype.kind in "iub":  # 0/1 labels given as ints or bools
        y = y.astype(s.dtype)
    y = as_float_array(y, "targets", f"{s.shape}")
    if y.shape != s.shape:
        raise ValueError(f"targets must have the logits' shape {s.shape}; got shape {y.shape}")
    check_finite(y, "targets")
    if ((y < 0) | (y > 1)).any():
        raise ValueError("targets must lie in [0, 1] for sigmoid_cross_entropy")
    m = _broadcast_mask(mask, s.shape)
    count = int(m.sum())
    # log(1 + e^s) - y s, written so that exp never overflows
    per_elem = np.maximum(s, 0) - y * s + np.log1p(np.exp(-np.abs(s)))
    loss = float(per_elem[m].sum() / count)
    prob = np.exp(-np.logaddexp(0.0, -s))  # sigmoid(s), stable
    ds = (prob - y) * m / count
    return loss, ds.astype(s.dtype, copy=False)


def _broadcast_mask(mask, shape):
    """Mask of the full ``shape``; accepts ``shape`` or ``shape[:-1]`` (one flag per step)."""
    if mask is not None:
        mask = as_array(mask, "mask", "an array of booleans")
    if mask is not None and np.ndim(mask) == len(shape) - 1:
        m = _check_mask(mask, shape[:-1])
        return np.broadcast_to(m[..., None], shape)
    return _check_mask(mask, shape)


def mse(pred, target, mask=None):
    r"""Mean squared error over the unmasked elements, and its gradient.

    .. math:: L = \frac{1}{|M|}\sum_{e \in M} (\hat y_e - y_e)^2, \qquad
              \frac{\partial L}{\partial \hat y_e} = \frac{2(\hat y_e - y_e)}{|M|},

    where ``M`` is the set of unmasked *elements*. Without a mask this equals PyTorch's
    ``F.mse_loss`` (mean reduction).

    Parameters
    ----------
    pred : ndarray, any shape, e.g. (B, O) or (T, B, O)
        Predictions.
    target : array_like, same shape as ``pred``
    mask : array_like of bool, optional
        Same shape as ``pred``, or ``pred.shape[:-1]`` (one flag per step, applied to all O outputs).

    Returns
    -------
    loss : float
    dpred : ndarray, same shape and dtype as ``pred``

    Raises
    ------
    ValueError
        Shape mismatch, NaN/inf, integer predictions, or a mask that keeps nothing.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import mse
    >>> loss, dpred = mse(np.array([[1.0], [3.0]]), np.array([[0.0], [1.0]]))   # (B, O) = (2, 1)
    >>> loss, dpred.ravel()          # (1 + 4) / 2; 2 * (1, 2) / 2
    (2.5, array([1., 2.]))
    """
    pred = as_float_array(pred, "pred", "(...)")
    if pred.size == 0:
        raise ValueError(f"pred is empty: got shape {pred.shape}")
    check_finite(pred, "pred")
    target = as_array(target, "target", "an array of real numbers")
    if target.dtype.kind in "iub":
        target = target.astype(pred.dtype)
    target = as_float_array(target, "target", f"{pred.shape}")
    if target.shape != pred.shape:
        raise ValueError(f"target must have the shape of pred {pred.shape}; got shape {target.shape}")
    check_finite(target, "target")
    m = _broadcast_mask(mask, pred.shape)
    count = int(m.sum())
    with np.errstate(over="ignore", invalid="ignore"):  # reported below
        diff = np.where(m, pred - target, 0.0)
        loss = float((diff**2).sum() / count)
        dpred = (2.0 * diff / count).astype(pred.dtype, copy=False)
    if not (math.isfinite(loss) and np.isfinite(dpred).all()):
        raise ValueError(f"mse overflowed: pred and target differ by up to {np.max(np.abs(diff)):.3g}, whose "
                         f"square exceeds the {pred.dtype} range (the model diverged; lower the learning rate)")
    return loss, dpred


def accuracy(logits, targets, mask=None):
    """Fraction of unmasked positions whose arg-max class equals the target.

    Parameters
    ----------
    logits : ndarray, shape (..., K)
        Class scores (or probabilities).
    targets : array_like of int, shape (...) (the logits' shape without K)
        Class ids in ``[0, K)`` at the unmasked positions (masked ones may hold a padding value).
    mask : array_like of bool, shape (...), optional
        True where the position counts; None means every position counts.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        The checks of :func:`softmax_cross_entropy`: shape mismatch, non-integer or out-of-range
        targets, NaN/inf or empty logits, or a mask that keeps no position.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.losses import accuracy
    >>> logits = np.array([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0]])
    >>> accuracy(logits, np.array([0, 1, 1]))
    0.6666666666666666
    >>> accuracy(logits, np.array([0, 1, 1]), mask=np.array([True, True, False]))
    1.0
    """
    logits = _check_logits(logits)
    targets = _check_targets(targets, logits.shape[:-1])
    m = _check_mask(mask, targets.shape)
    _check_class_ids(targets, m, logits.shape[-1])
    hits = logits.argmax(axis=-1) == targets
    return float(hits[m].mean())
