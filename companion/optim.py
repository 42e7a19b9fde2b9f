"""Optimisers that update a model's parameter arrays in place, and gradient-norm clipping.

An optimiser is built on a model's ``params`` mapping (name -> ndarray) and, at every step,
is given the ``grads`` mapping with the same names. The update writes into the parameter
arrays themselves (``p -= ...``), so the model sees it without any copying back. The
update rules and their defaults are PyTorch's (``torch.optim.SGD`` without dampening or
weight decay, ``torch.optim.Adam``), which the tests check step by step.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from companion._checks import as_real_array

__all__ = ["SGD", "Adam", "clip_grad_norm", "grad_norm"]


def _check_lr(lr, name="lr"):
    if isinstance(lr, bool) or not isinstance(lr, (int, float, np.floating, np.integer)) or not (
        math.isfinite(lr) and lr > 0
    ):
        raise ValueError(f"{name} must be a finite number > 0; got {lr!r}")
    return float(lr)


def _check_params(params):
    if not hasattr(params, "keys") or not hasattr(params, "__getitem__"):
        raise ValueError(f"params must be a mapping name -> ndarray (e.g. model.params); got {type(params).__name__}")
    if len(params) == 0:
        raise ValueError("params is empty: nothing to optimise")
    for name in params.keys():
        p = params[name]
        if not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating):
            got = f"an ndarray of dtype {p.dtype}" if isinstance(p, np.ndarray) else type(p).__name__
            raise ValueError(f"params[{name!r}] must be a floating-point ndarray (updated in place); got {got}")
        if not p.flags.writeable:
            raise ValueError(
                f"params[{name!r}] is a read-only array: the optimiser updates parameters in place "
                "(pass the model's own writeable arrays, e.g. model.params)"
            )
    return params


def _check_grads(params, grads):
    """Return the grads as arrays, checking keys, shapes and finiteness against params."""
    if not hasattr(grads, "keys"):
        raise ValueError(f"grads must be a mapping name -> ndarray (e.g. model.grads); got {type(grads).__name__}")
    missing = [k for k in params.keys() if k not in grads]
    extra = [k for k in grads.keys() if k not in params]
    if missing or extra:
        raise ValueError(
            f"grads must have the same keys as params; missing {missing}, unexpected {extra}"
        )
    out = {}
    for name in params.keys():  # every gradient is checked before any parameter changes
        g = as_real_array(grads[name], f"grads[{name!r}]")
        if g.shape != params[name].shape:
            raise ValueError(f"grads[{name!r}] must have shape {params[name].shape} (the parameter's); got {g.shape}")
        if not np.isfinite(g).all():
            raise ValueError(
                f"grads[{name!r}] contains NaN or inf: the loss diverged (lower the learning rate or clip gradients)"
            )
        out[name] = g
    return out


def _commit(optimizer, updates):
    """Write a step's new values (``{name: {attribute: array}}``) into the parameters and the optimiser's
    state, after checking all of them: a step that overflows changes nothing and raises ValueError."""
    cast = {}
    for name, values in updates.items():
        for attr, value in values.items():
            target = getattr(optimizer, attr)[name]
            with np.errstate(over="ignore"):
                value = value.astype(target.dtype, copy=False)
            if not np.isfinite(value).all():
                raise ValueError(
                    f"the {type(optimizer).__name__} step overflowed: {attr}[{name!r}] would hold inf or NaN "
                    f"(as {target.dtype}); lower the learning rate (lr={optimizer.lr:g}) or clip the gradients. "
                    "Nothing was updated"
                )
            cast[name, attr] = (target, value)
    for target, value in cast.values():
        np.copyto(target, value)


class SGD:
    r"""Stochastic gradient descent with optional (heavy-ball) momentum.

    .. math:: v \leftarrow \mu v + g, \qquad \theta \leftarrow \theta - \eta v

    (``v`` starts at 0, so the first step is plain ``θ ← θ − η g``). This is PyTorch's
    ``torch.optim.SGD(params, lr, momentum)`` with no dampening, no Nesterov, no weight decay.

    Parameters
    ----------
    params : mapping of str to ndarray
        The model's parameters (``model.params``); updated in place.
    lr : float
        Learning rate ``η`` > 0. Can be changed between steps (``opt.lr = ...``).
    momentum : float, default 0.0
        Momentum factor ``μ`` in [0, 1).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.optim import SGD
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> opt = SGD(params, lr=0.1, momentum=0.9)
    >>> opt.step({"w": np.array([1.0, 1.0])}); params["w"]     # w - 0.1 * g
    array([ 0.9, -2.1])
    >>> opt.step({"w": np.array([1.0, 1.0])}); params["w"]     # v = 0.9 * 1 + 1 = 1.9
    array([ 0.71, -2.29])
    """

    def __init__(self, params, lr, momentum=0.0):
        self.params = _check_params(params)
        self.lr = _check_lr(lr)
        if isinstance(momentum, (bool, np.bool_)) or not (isinstance(momentum, numbers.Real) and 0.0 <= momentum < 1.0):
            raise ValueError(f"momentum must be a number in [0, 1); got {momentum!r}")
        self.momentum = float(momentum)
        self.velocity = {name: np.zeros_like(params[name]) for name in params.keys()}
        self.steps = 0

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"

    def step(self, grads):
        """Update every parameter in place from ``grads`` (same keys and shapes as ``params``).

        Parameters
        ----------
        grads : mapping of str to ndarray
            Gradient of the loss for each parameter (``model.grads``): the same keys as
            ``params``, each an array of real numbers with its parameter's shape, finite.
            All of them are checked before any parameter changes.

        Raises
        ------
        ValueError
            If the keys or shapes differ from ``params``, or a gradient is not a real array
            (complex, strings, None) or holds NaN/inf. Nothing is updated then.

        Examples
        --------
        >>> import numpy as np
        >>> params = {"w": np.array([1.0, 2.0]), "b": np.array([0.0])}    # (2,) and (1,)
        >>> opt = SGD(params, lr=0.5)
        >>> opt.step({"w": np.array([1.0, -1.0]), "b": np.array([np.nan])})
        Traceback (most recent call last):
        ...
        ValueError: grads['b'] contains NaN or inf: the loss diverged (lower the learning rate or clip gradients)
        >>> params["w"]                               # untouched: every gradient is checked first
        array([1., 2.])
        >>> opt.step({"w": np.array([1.0, -1.0]), "b": np.array([2.0])}); params["w"]
        array([0.5, 2.5])
        """
        grads = _check_grads(self.params, grads)
        updates = {}
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            for name, g in grads.items():
                p = self.params[name]
                if self.momentum:
                    v = self.velocity[name] * self.momentum
                    v += g
                    updates[name] = {"params": p - self.lr * v, "velocity": v}
                else:
                    updates[name] = {"params": p - self.lr * g}
        _commit(self, updates)
        self.steps += 1


class Adam:
    r"""Adam with bias correction (Kingma & Ba, 2015), as in ``torch.optim.Adam``.

    .. math::
        m &\leftarrow \beta_1 m + (1-\beta_1) g, \qquad v \leftarrow \beta_2 v + (1-\beta_2) g^2,\\
        \hat m &= m / (1-\beta_1^t), \qquad \hat v = v / (1-\beta_2^t), \qquad
        \theta \leftarrow \theta - \eta\, \hat m / (\sqrt{\hat v} + \epsilon).

    Parameters
    ----------
    params : mapping of str to ndarray
        The model's parameters; updated in place.
    lr : float, default 1e-3
        Step size ``η``.
    betas : (float, float), default (0.9, 0.999)
        Decay rates of the first and second moment estimates, each in [0, 1).
    eps : float, default 1e-8
        Added to the denominator.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.optim import Adam
    >>> params = {"w": np.array([1.0, -2.0])}
    >>> opt = Adam(params, lr=0.1)
    >>> opt.step({"w": np.array([0.5, -3.0])})
    >>> np.round(params["w"], 4)        # the first step moves each weight by ~lr against its gradient's sign
    array([ 0.9, -1.9])
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        self.params = _check_params(params)
        self.lr = _check_lr(lr)
        try:
            if isinstance(betas, (str, bytes)) or not all(
                isinstance(b, numbers.Real) and not isinstance(b, (bool, np.bool_)) for b in betas
            ):
                raise TypeError("betas must hold real numbers")
            beta1, beta2 = (float(b) for b in betas)
        except (TypeError, ValueError) as err:
            raise ValueError(f"betas must be a pair of numbers in [0, 1); got {betas!r}") from err
        if not (0.0 <= beta1 < 1.0 and 0.0 <= beta2 < 1.0):
            raise ValueError(f"betas must be a pair of numbers in [0, 1); got {betas!r}")
        self.betas = (beta1, beta2)
        self.eps = _check_lr(eps, "eps")
        self.m = {name: np.zeros_like(params[name]) for name in params.keys()}
        self.v = {name: np.zeros_like(params[name]) for name in params.keys()}
        self.steps = 0

    def __repr__(self):
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps})"

    def step(self, grads):
        """Update every parameter in place from ``grads`` (same keys and shapes as ``params``).

        Parameters
        ----------
        grads : mapping of str to ndarray
            Gradient of the loss for each parameter (``model.grads``): the same keys as
            ``params``, each an array of real numbers with its parameter's shape, finite.
            All of them are checked before any parameter changes.

        Raises
        ------
        ValueError
            If the keys or shapes differ from ``params``, or a gradient is not a real array
            (complex, strings, None) or holds NaN/inf. Nothing is updated then.

        Examples
        --------
        >>> import numpy as np
        >>> params = {"w": np.zeros((2, 2))}                              # (2, 2)
        >>> opt = Adam(params, lr=0.1)
        >>> opt.step({"w": np.array([[1.0, -1.0], [0.5, 0.0]])})
        >>> np.round(params["w"], 4)                  # first step: -lr * sign(g) (0 where g = 0)
        array([[-0.1,  0.1],
               [-0.1,  0. ]])
        """
        grads = _check_grads(self.params, grads)
        steps = self.steps + 1
        beta1, beta2 = self.betas
        bias1 = 1.0 - beta1**steps
        bias2 = 1.0 - beta2**steps
        updates = {}
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported below
            for name, g in grads.items():
                p = self.params[name]
                m = self.m[name] * beta1
                m += (1.0 - beta1) * g
                v = self.v[name] * beta2
                v += (1.0 - beta2) * g * g
                m_hat = m / bias1
                v_hat = v / bias2
                updates[name] = {"params": p - self.lr * m_hat / (np.sqrt(v_hat) + self.eps), "m": m, "v": v}
        _commit(self, updates)
        self.steps = steps


def grad_norm(grads):
    """Global L2 norm of all gradient arrays together, ``sqrt(sum_k ||g_k||^2)``.

    Computed in float64. Only when the plain sum of squares overflows (entries beyond about
    1e154) is it recomputed with every array scaled by the largest magnitude, so a huge but finite
    gradient gets its true norm rather than inf.

    Parameters
    ----------
    grads : mapping of str to array_like
        Gradients by name (``model.grads``); each value an array of real numbers of any shape.

    Returns
    -------
    float
        The total norm, >= 0 (inf only if the norm itself exceeds the float64 range).

    Raises
    ------
    ValueError
        If ``grads`` is not a mapping, or a value is not an array of real numbers (None, complex,
        strings) or holds NaN/inf; the message names its key.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.optim import grad_norm
    >>> grad_norm({"a": np.array([3.0]), "b": np.array([[4.0]])})   # shapes (1,) and (1, 1)
    5.0
    >>> f"{grad_norm({'w': np.full(3, 1e200)}):.4g}"                  # sqrt(3) * 1e200, no overflow
    '1.732e+200'
    """
    if not hasattr(grads, "keys") or not hasattr(grads, "__getitem__"):
        raise ValueError(f"grads must be a mapping name -> ndarray; got {type(grads).__name__}")
    arrays = {}
    for name in grads.keys():
        g = as_real_array(grads[name], f"grads[{name!r}]")
        arrays[name] = np.asarray(g, dtype=np.float64)
    total = 0.0
    for name, g in arrays.items():
        with np.errstate(over="ignore", invalid="ignore"):  # overflow and NaN are handled below
            sq = float(np.dot(g.ravel(), g.ravel()))
        if not math.isfinite(sq):
            _check_grad_finite(g, name)
        total += sq
    if math.isfinite(total) and (total > _SMALLEST_EXACT_SUM or total == 0.0 and _all_zero(arrays)):
        return math.sqrt(total)
    return _scaled_norm(arrays)  # the sum of squares overflowed, or underflowed (entries below ~1e-140)


_SMALLEST_EXACT_SUM = 2.0**-900  # above this a sum of squares has lost nothing to underflow that matters


def _all_zero(arrays):
    return not any(np.any(g) for g in arrays.values())


def _check_grad_finite(g, name):
    if not np.isfinite(g).all():
        raise ValueError(
            f"gradients contain NaN or inf: grads[{name!r}] is not finite "
            "(the loss diverged; lower the learning rate or clip gradients)"
        )


def _scaled_norm(arrays):
    """Norm of finite arrays whose plain sum of squares over- or underflows: scale by the largest magnitude."""
    scale = max(float(np.max(np.abs(g))) for g in arrays.values() if g.size)
    total = 0.0
    with np.errstate(under="ignore"):  # tiny entries squared may underflow to 0: harmless here
        for g in arrays.values():
            r = g.ravel() / scale
            total += float(np.dot(r, r))
    return scale * math.sqrt(total)


def clip_grad_norm(grads, max_norm):
    r"""Rescale all gradients together so that their global L2 norm is at most ``max_norm``.

    If the total norm ``‖g‖ = sqrt(Σ_k ‖g_k‖²)`` exceeds ``max_norm``, every array is multiplied
    in place by ``max_norm / (‖g‖ + 1e-6)`` (PyTorch's ``clip_grad_norm_``); otherwise nothing
    changes. A zero gradient is left as it is. This keeps the *direction* of an exploding
    gradient and only shortens the step (Pascanu et al., 2013).

    Parameters
    ----------
    grads : mapping of str to ndarray
        Gradients (``model.grads``), modified in place: each value a writeable floating-point
        ndarray of any shape.
    max_norm : float
        Largest allowed total norm, > 0.

    Returns
    -------
    float
        The total norm *before* clipping.

    Raises
    ------
    ValueError
        If ``max_norm`` is not a positive number, a gradient is not a writeable floating-point
        ndarray (lists, integer arrays, read-only arrays), or the gradients hold NaN/inf, or
        their norm exceeds the float64 range. The message names the key; nothing is changed then.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.optim import clip_grad_norm
    >>> grads = {"w": np.array([3.0, 4.0])}
    >>> clip_grad_norm(grads, max_norm=1.0)
    5.0
    >>> np.round(grads["w"], 4)
    array([0.6, 0.8])
    """
    max_norm = _check_lr(max_norm, "max_norm")
    if hasattr(grads, "keys") and hasattr(grads, "__getitem__"):
        for name in grads.keys():  # all checked before anything is scaled
            g = grads[name]
            if not isinstance(g, np.ndarray) or not np.issubdtype(g.dtype, np.floating):
                got = f"an ndarray of dtype {g.dtype}" if isinstance(g, np.ndarray) else type(g).__name__
                raise ValueError(
                    f"grads[{name!r}] must be a floating-point ndarray (clipped in place); got {got}"
                )
            if not g.flags.writeable:
                raise ValueError(f"grads[{name!r}] is a read-only array: it cannot be clipped in place")
    total = grad_norm(grads)  # checks the mapping, the values' kinds and finiteness
    if not math.isfinite(total):
        raise ValueError("the gradients' total norm exceeds the float64 range: cannot clip")
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for name in grads.keys():
            grads[name][...] *= coef
    return total
