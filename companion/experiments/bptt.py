r"""The experiments of the chapter "Backpropagation through time by hand".

Small by design (the chapter runs in seconds with one BLAS thread):

- gradient checks of the Elman and LSTM step backward, and of the BPTT loop, against centred differences
  (:func:`elman_step_gradcheck`, :func:`lstm_step_gradcheck`, :func:`check_elman_bptt`);
- the lecture's rough error surface: the one-weight linear RNN :math:`y_{1000} = w^{999}`
  (:func:`linear_rnn_output`), and the cliff of a one-unit tanh RNN with gradient descent on it, with and
  without gradient clipping (:func:`cliff_loss`, :func:`cliff_descent`);
- the loss of a small trained Elman network along a line in weight space (:func:`line_scan`);
- truncated BPTT on a delayed-recall task (:func:`delay_task`, :func:`train_delay_network`);
- the gradient along the LSTM's memory path for a few forget-gate biases (:func:`memory_path_table`);
- the exercise "find the bug": :func:`buggy_elman_bptt`, a BPTT loop with one mistake.
"""
from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from companion._checks import check_choice, check_positive_int
from companion.bptt import elman_bptt, elman_forward
from companion.elman import ElmanRNN, ElmanStepCache, elman_step_backward, elman_step_forward
from companion.experiments.classics import elman_jacobian_norms, lstm_memory_jacobian_norms, single_threaded_blas
from companion.gradcheck import format_relative_error, numeric_gradient, relative_error
from companion.layers import Linear
from companion.losses import sigmoid_cross_entropy
from companion.lstm import lstm_step_backward, lstm_step_forward
from companion.optim import Adam, clip_grad_norm, grad_norm

__all__ = [
    "elman_step_gradcheck", "lstm_step_gradcheck", "check_elman_bptt", "buggy_elman_bptt",
    "linear_rnn_output", "cliff_loss", "DescentPath", "cliff_descent",
    "DelayTask", "delay_task", "DelayResult", "train_delay_network", "LineScan", "line_scan",
    "memory_path_table",
]


def _check_float(value, name):
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a finite number; got {value!r}")
    return float(value)


# ----------------------------------------------------------------------------------------------- gradient checks
def elman_step_gradcheck(nonlinearity="tanh", B=3, D=4, H=5, seed=0):
    r"""Relative error of :func:`~companion.elman.elman_step_backward` against centred differences.

    The loss is :math:`L = \sum R \odot h_t` with a fixed random R (so ``dh_t = R``); every input of the step
    is perturbed entry by entry (:func:`~companion.gradcheck.numeric_gradient`, step 1e-5, float64).

    Parameters
    ----------
    nonlinearity : {"tanh", "relu"}
    B, D, H : int
        Batch, input and hidden sizes.
    seed : int

    Returns
    -------
    dict of str -> float
        ``"dx_t"``, ``"dh_prev"``, ``"dW"``, ``"dU"``, ``"db"`` -> relative error (see
        :func:`~companion.gradcheck.relative_error`).

    Examples
    --------
    >>> errs = elman_step_gradcheck()
    >>> list(errs), max(errs.values()) < 1e-8
    (['dx_t', 'dh_prev', 'dW', 'dU', 'db'], True)
    """
    check_choice(nonlinearity, "nonlinearity", ("tanh", "relu"))
    rng = np.random.default_rng(seed)
    B, D, H = (check_positive_int(v, n) for v, n in ((B, "B"), (D, "D"), (H, "H")))
    args = {"x_t": rng.normal(size=(B, D)), "h_prev": rng.normal(size=(B, H)),
            "W": rng.normal(size=(H, D)) / np.sqrt(D), "U": rng.normal(size=(H, H)) / np.sqrt(H),
            "b": rng.normal(size=H)}
    R = rng.normal(size=(B, H))

    def loss():
        h_t, _ = elman_step_forward(args["x_t"], args["h_prev"], args["W"], args["U"], args["b"], nonlinearity)
        return float(np.sum(R * h_t))

    _, cache = elman_step_forward(args["x_t"], args["h_prev"], args["W"], args["U"], args["b"], nonlinearity)
    grads = elman_step_backward(R, cache)
    names = {"dx_t": "x_t", "dh_prev": "h_prev", "dW": "W", "dU": "U", "db": "b"}
    return {g: relative_error(numeric_gradient(loss, args[a]), getattr(grads, g)) for g, a in names.items()}


def lstm_step_gradcheck(g="tanh", h="tanh", B=3, D=4, H=5, seed=0):
    r"""Relative error of :func:`~companion.lstm.lstm_step_backward` against centred differences.

    The loss is :math:`L = \sum R_a \odot a + \sum R_c \odot c'` with fixed random :math:`R_a, R_c`
    (so ``da = R_a`` and ``dc = R_c``, the gradient of the memory from the next step).

    Parameters
    ----------
    g, h : {"tanh", "identity"}
    B, D, H : int
    seed : int

    Returns
    -------
    dict of str -> float
        ``"dx_t"``, ``"da_prev"``, ``"dc_prev"``, ``"dW"``, ``"dU"``, ``"db"`` -> relative error.

    Examples
    --------
    >>> errs = lstm_step_gradcheck()
    >>> list(errs), max(errs.values()) < 1e-8
    (['dx_t', 'da_prev', 'dc_prev', 'dW', 'dU', 'db'], True)
    """
    rng = np.random.default_rng(seed)
    B, D, H = (check_positive_int(v, n) for v, n in ((B, "B"), (D, "D"), (H, "H")))
    args = {"x_t": rng.normal(size=(B, D)), "a_prev": rng.normal(size=(B, H)), "c_prev": rng.normal(size=(B, H)),
            "W": rng.normal(size=(4 * H, D)) / np.sqrt(D), "U": rng.normal(size=(4 * H, H)) / np.sqrt(H),
            "b": rng.normal(size=4 * H)}
    Ra, Rc = rng.normal(size=(B, H)), rng.normal(size=(B, H))

    def step():
        return lstm_step_forward(args["x_t"], args["a_prev"], args["c_prev"], args["W"], args["U"], args["b"],
                                 g=g, h=h)

    def loss():
        a, c, _ = step()
        return float(np.sum(Ra * a) + np.sum(Rc * c))

    grads = lstm_step_backward(Ra, Rc, step()[2])
    names = {"dx_t": "x_t", "da_prev": "a_prev", "dc_prev": "c_prev", "dW": "W", "dU": "U", "db": "b"}
    return {gn: relative_error(numeric_gradient(loss, args[a]), getattr(grads, gn)) for gn, a in names.items()}


def _bptt_case(seed=0, T=6, B=2, D=3, H=4):
    rng = np.random.default_rng(seed)
    return {"x": rng.normal(size=(T, B, D)), "h0": rng.normal(size=(B, H)),
            "W": rng.normal(size=(H, D)) / np.sqrt(D), "U": 1.2 * rng.normal(size=(H, H)) / np.sqrt(H),
            "b": rng.normal(size=H)}, rng.normal(size=(T, B, H))


def check_elman_bptt(bptt, seed=0, tol=1e-7):
    r"""Compare a BPTT function with centred differences: the chapter's "find the bug" check.

    ``bptt(dh, caches)`` must return ``(dx, dh0, dW, dU, db)`` like :func:`~companion.bptt.elman_bptt`,
    for the caches of :func:`~companion.bptt.elman_forward`. The loss is :math:`\sum_t R_t \odot h_t` with a
    fixed random R, over a sequence of 6 steps; each returned gradient is compared with its numeric estimate.

    Parameters
    ----------
    bptt : callable
    seed : int
    tol : float, default 1e-7
        Largest relative error accepted.

    Returns
    -------
    str
        ``"correct: ..."`` or ``"not yet: ..."`` followed by the relative error of each gradient, so that a
        wrong one points at the line to fix (below 1e-9 printed as ``"< 1e-9"``: see
        :func:`~companion.gradcheck.format_relative_error`).

    Examples
    --------
    >>> from companion.bptt import elman_bptt
    >>> check_elman_bptt(elman_bptt).split(":")[0]
    'correct'
    >>> check_elman_bptt(buggy_elman_bptt).split(":")[0]
    'not yet'
    """
    if not callable(bptt):
        raise ValueError(f"bptt must be a function bptt(dh, caches) -> (dx, dh0, dW, dU, db); got {bptt!r}")
    args, R = _bptt_case(seed)

    def loss():
        h, _ = elman_forward(args["x"], args["h0"], args["W"], args["U"], args["b"])
        return float(np.sum(R * h))

    _, caches = elman_forward(args["x"], args["h0"], args["W"], args["U"], args["b"])
    got = tuple(bptt(R.copy(), caches))
    names = ("dx", "dh0", "dW", "dU", "db")
    if len(got) != 5:
        return f"not yet: bptt must return 5 arrays {names}; got {len(got)}"
    errors = {}
    for name, key, value in zip(names, ("x", "h0", "W", "U", "b"), got):
        expected = numeric_gradient(loss, args[key])
        value = np.asarray(value, dtype=float)
        errors[name] = relative_error(expected, value) if value.shape == expected.shape else 1.0
    verdict = "correct" if max(errors.values()) <= tol else "not yet"
    return f"{verdict}: relative error " + ", ".join(f"{n} {format_relative_error(e)}" for n, e in errors.items())


def buggy_elman_bptt(dh, caches):
    """A BPTT loop with one mistake, for the exercise "find the bug" (compare :func:`~companion.bptt.elman_bptt`).

    Parameters
    ----------
    dh : ndarray, (T, B, H)
    caches : list of ElmanStepCache

    Returns
    -------
    tuple
        ``(dx, dh0, dW, dU, db)``, one of them wrong.

    Examples
    --------
    >>> print(check_elman_bptt(buggy_elman_bptt))   # doctest: +ELLIPSIS
    not yet: relative error dx < 1e-9, dh0 < 1e-9, dW ...e-01, dU ...e-01, db ...e-01
    """
    caches = list(caches)
    if not caches or not all(isinstance(c, ElmanStepCache) for c in caches):
        raise ValueError("caches must be the list of ElmanStepCache objects that elman_forward() returned")
    dh = np.asarray(dh, dtype=float)
    dh_next = np.zeros_like(dh[0])  # (B, H)
    dx = np.zeros(dh.shape[:2] + (caches[0].W.shape[1],))  # (T, B, D)
    for t in range(len(caches) - 1, -1, -1):
        step = elman_step_backward(dh[t] + dh_next, caches[t])
        dx[t] = step.dx_t
        dW, dU, db = step.dW, step.dU, step.db
        dh_next = step.dh_prev
    return dx, dh_next, dW, dU, db


# ------------------------------------------------------------------------------------------ the rough error surface
def linear_rnn_output(w, steps=1000):
    r"""The lecture's one-weight linear RNN: :math:`h_t = w\,h_{t-1} + x_t`, fed 1 then 0s; returns :math:`y_T = h_T`.

    The recurrence is run step by step (so underflow and overflow happen as they would in the network):
    :math:`y_T = w^{T-1}`.

    Parameters
    ----------
    w : float or array_like
        The recurrent weight(s); an array is run element-wise.
    steps : int, default 1000
        T.

    Returns
    -------
    float or ndarray
        :math:`y_T`, with the shape of ``w``.

    Examples
    --------
    >>> float(linear_rnn_output(1.0)), round(float(linear_rnn_output(1.01)), 1)
    (1.0, 20751.6)
    """
    steps = check_positive_int(steps, "steps")
    w = np.asarray(w, dtype=float)
    if not np.isfinite(w).all():
        raise ValueError("w must be finite")
    h = np.zeros_like(w)
    with np.errstate(over="ignore", under="ignore"):
        for t in range(steps):
            h = w * h + (1.0 if t == 0 else 0.0)
    return float(h) if h.ndim == 0 else h


def cliff_loss(w, b, steps=50, h0=0.5, target=0.7):
    r"""Loss :math:`(h_T - \text{target})^2` of a one-unit tanh RNN :math:`h_t = \tanh(w\,h_{t-1} + b)`.

    Element-wise over arrays ``w`` and ``b`` (e.g. a grid from :func:`numpy.meshgrid`): the error surface of
    Pascanu et al. (2013)'s figure, for the course's tanh unit. For :math:`w > 1` the unit has two stable
    states; which one :math:`h_T` reaches flips across a curve in the :math:`(w, b)` plane, where the loss
    jumps: a cliff.

    Parameters
    ----------
    w, b : float or array_like (broadcastable)
    steps : int, default 50
    h0, target : float

    Returns
    -------
    ndarray or float

    Examples
    --------
    >>> round(float(cliff_loss(2.0, 0.0)), 4), round(float(cliff_loss(2.0, -1.2)), 4)
    (0.0663, 2.8786)
    """
    steps = check_positive_int(steps, "steps")
    w, b = np.broadcast_arrays(np.asarray(w, dtype=float), np.asarray(b, dtype=float))
    h = np.full(w.shape, _check_float(h0, "h0"))
    for _ in range(steps):
        h = np.tanh(w * h + b)
    loss = (h - _check_float(target, "target")) ** 2
    return float(loss) if loss.ndim == 0 else loss


class DescentPath(NamedTuple):
    """Gradient descent on :func:`cliff_loss`.

    Attributes
    ----------
    path : ndarray, (steps + 1, 2)
        ``(w, b)`` before each update and after the last.
    losses : ndarray, (steps + 1,)
        The loss at each point of the path.
    grad_norms : ndarray, (steps,)
        Norm of the gradient at each update, before clipping.
    clip : float or None
    """

    path: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray
    clip: float | None


def cliff_descent(start=(1.8, -0.5), lr=0.1, steps=80, clip=None, T=50, h0=0.5, target=0.7):
    r"""Plain gradient descent on the cliff of :func:`cliff_loss`, optionally with gradient-norm clipping.

    The one-unit network is a :class:`~companion.elman.ElmanRNN` (its recurrent weight is w, its bias b, its
    input weight 0) and the gradient comes from its backward pass (BPTT over T steps); with ``clip`` the
    gradient goes through :func:`~companion.optim.clip_grad_norm` before the update.

    Parameters
    ----------
    start : (float, float)
        Starting ``(w, b)``.
    lr : float
    steps : int
    clip : float, optional
        Largest gradient norm (None: no clipping).
    T, h0, target
        As in :func:`cliff_loss` (``T`` is its ``steps``).

    Returns
    -------
    DescentPath

    Examples
    --------
    >>> p = cliff_descent(steps=3)
    >>> p.path.shape, p.losses.shape, p.grad_norms.shape
    ((4, 2), (4,), (3,))
    """
    steps, T = check_positive_int(steps, "steps"), check_positive_int(T, "T")
    lr = _check_float(lr, "lr")
    if clip is not None:
        clip = _check_float(clip, "clip")
    w, b = (_check_float(v, "start") for v in start)
    rnn = ElmanRNN(1, 1, seed=0)
    rnn.params["weight_ih_l0"][:] = 0.0
    rnn.params["bias_hh_l0"][:] = 0.0
    x = np.zeros((T, 1, 1))
    state = np.full((1, 1, 1), _check_float(h0, "h0"))
    path, losses, norms = [], [], []
    for i in range(steps + 1):
        rnn.params["weight_hh_l0"][:] = w
        rnn.params["bias_ih_l0"][:] = b
        out, _ = rnn.forward(x, state)  # (T, 1, 1)
        err = out[-1, 0, 0] - target
        path.append((w, b))
        losses.append(err ** 2)
        if i == steps:
            break
        dout = np.zeros_like(out)
        dout[-1] = 2.0 * err  # dL/dh_T
        rnn.backward(dout)
        grads = {"w": rnn.grads["weight_hh_l0"].copy(), "b": rnn.grads["bias_ih_l0"].copy()}
        norms.append(grad_norm(grads))
        if clip is not None:
            clip_grad_norm(grads, clip)
        w, b = w - lr * float(grads["w"][0, 0]), b - lr * float(grads["b"][0])
    return DescentPath(np.array(path), np.array(losses), np.array(norms), clip)


# ------------------------------------------------------------------------------------- truncated BPTT: delayed recall
class DelayTask(NamedTuple):
    """A batch of the delayed-recall task.

    Attributes
    ----------
    x : ndarray, (T, B, 1)
        Random signs ±1.
    targets : ndarray, (T, B, 1)
        1 where the input ``delay`` steps earlier was +1, else 0.
    mask : ndarray of bool, (T, B)
        False for the first ``delay`` steps (nothing to recall yet).
    """

    x: np.ndarray
    targets: np.ndarray
    mask: np.ndarray


def delay_task(batch_size, T, delay, seed=None):
    """Sequences of random signs; the target at step t is the sign read ``delay`` steps earlier.

    Parameters
    ----------
    batch_size, T, delay : int
        B, the sequence length, and the delay (1 <= delay < T).
    seed : int or None

    Returns
    -------
    DelayTask

    Examples
    --------
    >>> task = delay_task(1, 6, 2, seed=0)
    >>> task.x[:, 0, 0], task.targets[:, 0, 0], task.mask[:, 0]
    (array([ 1.,  1.,  1., -1., -1., -1.]), array([0., 0., 1., 1., 1., 0.]), array([False, False,  True,  True,  True,  True]))
    """
    B, T, delay = check_positive_int(batch_size, "batch_size"), check_positive_int(T, "T"), check_positive_int(delay, "delay")
    if delay >= T:
        raise ValueError(f"delay must be smaller than T={T}; got {delay}")
    bits = np.random.default_rng(seed).integers(0, 2, size=(T, B, 1))
    targets = np.zeros((T, B, 1))
    targets[delay:] = bits[:-delay]
    mask = np.zeros((T, B), dtype=bool)
    mask[delay:] = True
    return DelayTask(2.0 * bits - 1.0, targets, mask)


class DelayResult(NamedTuple):
    """A network trained on :func:`delay_task` with (truncated) BPTT.

    Attributes
    ----------
    truncate : int or None
        Window of truncated BPTT (None: full BPTT).
    accuracy : float
        Share of held-out targets predicted right (0.5 is chance).
    losses : ndarray, (updates,)
        Training cross-entropy at each update.
    params : dict of str -> ndarray
        ``W``, ``U``, ``b`` of the recurrent layer, ``V``, ``c`` of the output layer.
    """

    truncate: int | None
    accuracy: float
    losses: np.ndarray
    params: dict


def _delay_forward(params, task):
    """Logits (T, B, 1), the BPTT caches and the states of the network on ``task``."""
    B, H = task.x.shape[1], params["U"].shape[0]
    h, caches = elman_forward(task.x, np.zeros((B, H)), params["W"], params["U"], params["b"])
    logits = h @ params["V"].T + params["c"]  # (T, B, 1)
    return logits, caches, h


def _delay_loss_and_grads(params, task, truncate=None):
    logits, caches, h = _delay_forward(params, task)
    loss, dlogits = sigmoid_cross_entropy(logits, task.targets, task.mask)
    grads = elman_bptt(dlogits @ params["V"], caches, truncate=truncate)  # dh = dlogits V, (T, B, H)
    return loss, {"W": grads.dW, "U": grads.dU, "b": grads.db,
                  "V": np.einsum("tbo,tbh->oh", dlogits, h), "c": dlogits.sum(axis=(0, 1))}


def _delay_accuracy(params, task):
    logits, _, _ = _delay_forward(params, task)
    right = (logits[..., 0] > 0) == (task.targets[..., 0] > 0.5)
    return float(right[task.mask].mean())


@single_threaded_blas()
def train_delay_network(truncate=None, delay=6, T=24, hidden_size=16, batch_size=32, updates=300, lr=0.02,
                        clip=1.0, seed=0):
    r"""Train an Elman network (and a sigmoid output) to recall the sign read ``delay`` steps earlier.

    Each update draws a fresh batch, computes the gradient with :func:`~companion.bptt.elman_bptt`
    (``truncate`` steps per window: no gradient path is longer than the window), clips its norm and takes an
    Adam step. The accuracy is measured on 256 held-out sequences.

    Parameters
    ----------
    truncate : int, optional
        Window of truncated BPTT; None for full BPTT.
    delay, T, hidden_size, batch_size, updates : int
    lr, clip : float
    seed : int

    Returns
    -------
    DelayResult

    Examples
    --------
    >>> r = train_delay_network(truncate=4, delay=2, T=8, hidden_size=4, updates=5)
    >>> r.truncate, r.losses.shape, 0.0 <= r.accuracy <= 1.0
    (4, (5,), True)
    """
    H = check_positive_int(hidden_size, "hidden_size")
    updates = check_positive_int(updates, "updates")
    rng = np.random.default_rng([seed, 0])
    params = {"W": rng.uniform(-1, 1, (H, 1)) / np.sqrt(H), "U": rng.uniform(-1, 1, (H, H)) / np.sqrt(H),
              "b": np.zeros(H), "V": rng.uniform(-1, 1, (1, H)) / np.sqrt(H), "c": np.zeros(1)}
    opt = Adam(params, lr=lr)
    losses = []
    for i in range(updates):
        loss, grads = _delay_loss_and_grads(params, delay_task(batch_size, T, delay, seed=[seed, 1, i]), truncate)
        clip_grad_norm(grads, clip)
        opt.step(grads)
        losses.append(loss)
    accuracy = _delay_accuracy(params, delay_task(256, T, delay, seed=[seed, 2]))
    return DelayResult(truncate, accuracy, np.array(losses), params)


class LineScan(NamedTuple):
    r"""The loss along a line through a trained network's weights: :math:`U(\alpha) = \alpha\,U^*`.

    Attributes
    ----------
    alphas : ndarray, (n,)
    losses : ndarray, (n,)
        Held-out cross-entropy at each :math:`\alpha`.
    grad_norms : ndarray, (n,)
        Norm of the gradient of the loss with respect to U (full BPTT) at each :math:`\alpha`.
    """

    alphas: np.ndarray
    losses: np.ndarray
    grad_norms: np.ndarray


def line_scan(params, alphas, delay=6, T=24, seed=0):
    r"""Loss and gradient norm of a trained delayed-recall network with its recurrent matrix scaled by alpha.

    Parameters
    ----------
    params : dict
        The ``params`` of a :class:`DelayResult`.
    alphas : array_like, (n,)
        Scale factors of ``U`` (1 is the trained network).
    delay, T : int
        As in training.
    seed : int
        Seed of the 64 held-out sequences.

    Returns
    -------
    LineScan

    Examples
    --------
    >>> r = train_delay_network(delay=2, T=8, hidden_size=4, updates=5)
    >>> scan = line_scan(r.params, [0.5, 1.0], delay=2, T=8)
    >>> scan.losses.shape, scan.grad_norms.shape
    ((2,), (2,))
    """
    alphas = np.asarray(alphas, dtype=float)
    if alphas.ndim != 1 or alphas.size == 0 or not np.isfinite(alphas).all():
        raise ValueError(f"alphas must be a non-empty 1-D array of finite numbers; got shape {alphas.shape}")
    missing = {"W", "U", "b", "V", "c"} - set(params)
    if missing:
        raise ValueError(f"params must be the params of a DelayResult; missing {sorted(missing)}")
    task = delay_task(64, T, delay, seed=[seed, 3])
    losses, norms = [], []
    for alpha in alphas:
        p = dict(params, U=alpha * params["U"])
        loss, grads = _delay_loss_and_grads(p, task)
        losses.append(loss)
        norms.append(float(np.linalg.norm(grads["U"])))
    return LineScan(alphas, np.array(losses), np.array(norms))


# ----------------------------------------------------------------------------------------------- the LSTM's memory
def memory_path_table(forget_biases=(0.0, 1.0, 3.0), ks=(10, 50, 100), rho=1.0, hidden_size=16, seed=0):
    r"""Gradient norms through k steps: the LSTM's memory path for a few forget-gate biases, and a tanh RNN.

    Uses :func:`~companion.experiments.classics.lstm_memory_jacobian_norms` (recurrent weights zero, so the
    memory path is the only path: :math:`\|\partial c_k/\partial c_0\|`) and
    :func:`~companion.experiments.classics.elman_jacobian_norms` (:math:`\|\partial h_k/\partial h_0\|`,
    recurrent spectral radius ``rho``), both exact, from the models' backward passes.

    Parameters
    ----------
    forget_biases : sequence of float
    ks : sequence of int
    rho : float
    hidden_size : int
    seed : int

    Returns
    -------
    dict of str -> dict of int -> float
        Row label -> {k: norm}. The LSTM rows are labelled ``"LSTM, forget bias b"``, with the predicted
        :math:`\sigma(b)^k` in a row ``"sigma(b)^k"`` below each.

    Examples
    --------
    >>> table = memory_path_table(forget_biases=(3.0,), ks=(10,), hidden_size=4)
    >>> list(table)
    ['tanh RNN, rho = 1', 'LSTM, forget bias 3', 'sigma(3)^k']
    """
    from companion.activations import sigmoid

    table = {}
    jn = elman_jacobian_norms(rho, ks=ks, hidden_size=hidden_size)
    table[f"tanh RNN, rho = {rho:g}"] = {int(k): jn.at(k) for k in jn.k}
    for bias in forget_biases:
        jn = lstm_memory_jacobian_norms(bias, ks=ks, hidden_size=hidden_size)
        table[f"LSTM, forget bias {bias:g}"] = {int(k): jn.at(k) for k in jn.k}
        table[f"sigma({bias:g})^k"] = {int(k): float(sigmoid(np.float64(bias))) ** int(k) for k in jn.k}
    return table
