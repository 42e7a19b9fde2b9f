r"""Experiments of the deep-RNN chapter (``book/deep_rnn.ipynb``): is a stack of hidden layers worth it?

A deep (stacked) Elman RNN runs, at every step :math:`t` and for every layer :math:`l = 1, \dots, L`,

.. math::

    h^{(l)}_t = \tanh\big(W^{(l)} h^{(l-1)}_t + U^{(l)} h^{(l)}_{t-1} + b^{(l)}\big), \qquad h^{(0)}_t = x_t,

and reads the output :math:`y_t = V h^{(L)}_t + c` off the top layer. Each layer keeps its own memory
:math:`h^{(l)}_{t-1}`. In the code :math:`W^{(l)}` is ``weight_ih_l{l-1}``, :math:`U^{(l)}` is
``weight_hh_l{l-1}`` and :math:`b^{(l)}` is ``bias_ih_l{l-1} + bias_hh_l{l-1}`` (PyTorch's names).

The task, :func:`tent_task`, asks at every step for a *nonlinear combination* of the current input and the
previous one, :math:`y_t = 1 - |x_t + x_{t-1}|`. A single layer has to keep :math:`x_{t-1}` and bend the sum into
a tent with the same units; a stack can split the work between layers. :func:`run_depth_comparison` trains
depth 1, 2 and 3 with (about) the same number of parameters for the same number of steps and measures the
held-out mean squared error.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from companion._checks import check_positive_int
from companion.elman import ElmanRNN, elman_step_forward
from companion.layers import Linear
from companion.losses import mse
from companion.optim import Adam
from companion.sequence_model import SequenceModel
from companion.training import train

__all__ = [
    "DEPTH_CONFIGS",
    "DepthResult",
    "tent_task",
    "count_parameters",
    "make_deep_model",
    "run_depth_comparison",
    "summarize_depths",
    "format_depth_table",
    "moving_average",
    "layer_memories",
    "linear_probe_r2",
    "format_probe_table",
    "check_deep_forward",
]

#: (depth, hidden units per layer) compared in the chapter: deeper stacks get no more parameters than depth 1.
DEPTH_CONFIGS = ((1, 24), (2, 14), (3, 10))


def tent_task(n, T=24, seed=None):
    r"""Sequences for "a nonlinear combination at each step": :math:`y_t = 1 - |x_t + x_{t-1}|`.

    Parameters
    ----------
    n : int
        Number of sequences B.
    T : int, default 24
        Steps per sequence.
    seed : int, numpy.random.Generator or None

    Returns
    -------
    x : ndarray, (T, B, 1)
        Inputs drawn uniformly from [-1, 1].
    y : ndarray, (T, B, 1)
        Targets :math:`1 - |x_t + x_{t-1}|` with :math:`x_{-1} = 0`; values in [-1, 1].

    Examples
    --------
    >>> x, y = tent_task(2, T=3, seed=0)
    >>> x.shape, y.shape
    ((3, 2, 1), (3, 2, 1))
    >>> bool(np.allclose(y[1:], 1 - np.abs(x[1:] + x[:-1])))
    True
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(T, n, 1))  # (T, B, 1)
    x_prev = np.concatenate([np.zeros((1, n, 1)), x[:-1]])  # (T, B, 1), x_{-1} = 0
    y = 1.0 - np.abs(x + x_prev)  # (T, B, 1)
    return x, y


def count_parameters(model):
    """Number of trainable numbers in ``model.params``.

    Examples
    --------
    >>> count_parameters(make_deep_model(1, 24, seed=0))   # 24 + 24*24 + 2*24 + (24 + 1)
    673
    """
    return int(sum(p.size for p in model.params.values()))


def make_deep_model(depth, hidden_size, seed=None):
    """A stacked Elman RNN with ``depth`` layers of ``hidden_size`` units and a linear output layer.

    Parameters
    ----------
    depth : int
        Number of stacked hidden layers L.
    hidden_size : int
        Units per layer H.
    seed : int or None
        Seeds the RNN (``seed``) and the head (``seed + 100``).

    Returns
    -------
    SequenceModel
        One input feature, one output per step.
    """
    depth = check_positive_int(depth, "depth")
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    rnn = ElmanRNN(1, hidden_size, num_layers=depth, seed=seed)
    head = Linear(hidden_size, 1, seed=None if seed is None else seed + 100)
    return SequenceModel(rnn, head)


@dataclass(frozen=True)
class DepthResult:
    """One training run of :func:`run_depth_comparison`.

    Attributes
    ----------
    depth, hidden_size, n_params, seed : int
    step_losses : ndarray, (steps,)
        Training loss (MSE) of every mini-batch.
    test_mse : float
        Mean squared error on held-out sequences after training.
    model : SequenceModel
        The trained model (for plotting its layers' memories).
    """

    depth: int
    hidden_size: int
    n_params: int
    seed: int
    step_losses: np.ndarray
    test_mse: float
    model: SequenceModel


def run_depth_comparison(configs=DEPTH_CONFIGS, seeds=(0, 1, 2), steps=400, batch_size=32, T=24, lr=0.01,
                         test_size=500):
    """Train one stacked RNN per (depth, hidden size) and seed on :func:`tent_task`; measure held-out MSE.

    Every run sees ``steps`` fresh mini-batches (one pass, Adam, gradient norm clipped to 1). The training data
    depend on the seed (``1000 + seed``); the held-out set (seed 99) is the same for all runs.

    Parameters
    ----------
    configs : sequence of (depth, hidden_size)
    seeds : sequence of int
    steps, batch_size, T : int
    lr : float
    test_size : int
        Held-out sequences.

    Returns
    -------
    list of DepthResult
        In the order configs x seeds.
    """
    steps = check_positive_int(steps, "steps")
    batch_size = check_positive_int(batch_size, "batch_size")
    x_test, y_test = tent_task(test_size, T, seed=99)
    results = []
    for depth, hidden_size in configs:
        for seed in seeds:
            x, y = tent_task(batch_size * steps, T, seed=1000 + seed)
            batches = [(x[:, i * batch_size:(i + 1) * batch_size], y[:, i * batch_size:(i + 1) * batch_size])
                       for i in range(steps)]
            model = make_deep_model(depth, hidden_size, seed=seed)
            history = train(model, mse, Adam(model.params, lr=lr), batches, epochs=1, clip=1.0, progress=False)
            test_mse = float(mse(model.forward(x_test), y_test)[0])
            results.append(DepthResult(depth, hidden_size, count_parameters(model), seed,
                                       np.array(history.step_losses), test_mse, model))
    return results


def summarize_depths(results):
    """Group results by depth.

    Returns
    -------
    dict of int -> dict
        depth -> ``{"hidden_size", "n_params", "test_mse" (list over seeds), "mean", "min", "max"}``.
    """
    table = {}
    for r in results:
        row = table.setdefault(r.depth, {"hidden_size": r.hidden_size, "n_params": r.n_params, "test_mse": []})
        row["test_mse"].append(r.test_mse)
    for row in table.values():
        values = np.array(row["test_mse"])
        row.update(mean=float(values.mean()), min=float(values.min()), max=float(values.max()))
    return table


def format_depth_table(results):
    """A markdown table: depth, units per layer, parameters, held-out MSE (mean, worst and best seed).

    MSEs are printed in units of 1e-3 with two decimals, so every machine prints the same table.
    """
    lines = ["| depth $L$ | units per layer $H$ | parameters | held-out MSE ×1000 (mean) | worst seed | best seed |",
             "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for depth, row in sorted(summarize_depths(results).items()):
        lines.append(f"| {depth} | {row['hidden_size']} | {row['n_params']} | {row['mean'] * 1e3:.2f} | "
                     f"{row['max'] * 1e3:.2f} | {row['min'] * 1e3:.2f} |")
    return "\n".join(lines)


def moving_average(values, window=20):
    """Mean of each run of ``window`` consecutive values (a smoothed learning curve).

    Examples
    --------
    >>> moving_average([1.0, 2.0, 3.0, 4.0], window=2)
    array([1.5, 2.5, 3.5])
    """
    values = np.asarray(values, dtype=float)
    window = check_positive_int(window, "window")
    if values.ndim != 1 or values.size < window:
        raise ValueError(f"values must be 1-D with at least window={window} entries; got shape {values.shape}")
    kernel = np.ones(window) / window
    return np.convolve(values, kernel, mode="valid")


def layer_memories(model, x, sequence=0):
    r"""What each layer stores in its memory at every step: :math:`h^{(l)}_t` for one sequence.

    Parameters
    ----------
    model : SequenceModel
        With an :class:`~companion.elman.ElmanRNN` as ``model.rnn``.
    x : ndarray, (T, B, D)
    sequence : int, default 0
        Which sequence of the batch.

    Returns
    -------
    dict of str -> ndarray (T, H)
        ``"layer 1"``, ``"layer 2"``, ... (the value written to the memory at step t and read back at t + 1).
    """
    model.forward(x)
    rnn = model.rnn
    return {f"layer {l + 1}": np.array(rnn.hidden_states(layer=l)[:, sequence]) for l in range(rnn.num_layers)}


def linear_probe_r2(model, x, targets):
    r"""How well a *linear* read-out of each layer's memory recovers some signals: the :math:`R^2` of a probe.

    For every layer l and every named signal s (T, B, 1), fit s by least squares as an affine function of
    :math:`h^{(l)}_t` over all steps and sequences, and report :math:`R^2 = 1 - \operatorname{Var}(s - \hat s) /
    \operatorname{Var}(s)` (1: the layer holds s in a linearly readable form; 0: not at all).

    Parameters
    ----------
    model : SequenceModel
        With an :class:`~companion.elman.ElmanRNN` as ``model.rnn``.
    x : ndarray, (T, B, D)
    targets : dict of str -> ndarray (T, B, 1)

    Returns
    -------
    dict of str -> dict of str -> float
        ``{"layer 1": {name: R^2, ...}, ...}``.
    """
    model.forward(x)
    rnn = model.rnn
    table = {}
    for l in range(rnn.num_layers):
        h = np.array(rnn.hidden_states(layer=l))  # (T, B, H)
        A = np.concatenate([h.reshape(-1, h.shape[-1]), np.ones((h.shape[0] * h.shape[1], 1))], axis=1)
        row = {}
        for name, signal in targets.items():
            s = np.asarray(signal, dtype=float).reshape(-1)
            if s.size != A.shape[0]:
                raise ValueError(f"targets[{name!r}] must have shape (T, B, 1) = {h.shape[:2] + (1,)}; "
                                 f"got {np.shape(signal)}")
            coef = np.linalg.lstsq(A, s, rcond=None)[0]
            row[name] = float(1.0 - np.var(s - A @ coef) / np.var(s))
        table[f"layer {l + 1}"] = row
    return table


def format_probe_table(table):
    """Markdown table of :func:`linear_probe_r2`'s result, R^2 with 3 decimals."""
    names = list(next(iter(table.values())))
    lines = ["| memory | " + " | ".join(names) + " |", "| --- |" + " ---: |" * len(names)]
    for layer, row in table.items():
        lines.append(f"| {layer} | " + " | ".join(f"{row[n]:.3f}" for n in names) + " |")
    return "\n".join(lines)


def check_deep_forward(fn, num_layers=3, seed=0):
    r"""Check a reader's deep-RNN forward pass against :class:`~companion.elman.ElmanRNN`.

    ``fn(x, params, num_layers)`` must return the top layer's :math:`h^{(L)}_t` for every step, shape (T, B, H),
    where ``params`` holds PyTorch-named weights (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
    ``bias_hh_l0``, ``weight_ih_l1``, ...) and every layer starts from a zero memory.

    Parameters
    ----------
    fn : callable
    num_layers : int, default 3
    seed : int, default 0

    Returns
    -------
    float
        The largest absolute difference from ``ElmanRNN.forward`` (about 1e-16 for a correct ``fn``).

    Raises
    ------
    ValueError
        If ``fn`` returns the wrong shape.

    Examples
    --------
    >>> def top_layer_only_once(x, params, num_layers):      # wrong: ignores the memories
    ...     return np.tanh(x @ params["weight_ih_l0"].T + params["bias_ih_l0"] + params["bias_hh_l0"])
    >>> check_deep_forward(top_layer_only_once, num_layers=1) > 1e-3
    True
    """
    rng = np.random.default_rng(seed)
    rnn = ElmanRNN(3, 5, num_layers=num_layers, seed=seed)
    x = rng.normal(size=(6, 2, 3))  # (T, B, D)
    expected, _ = rnn.forward(x)  # (T, B, H)
    params = {k: v.copy() for k, v in rnn.params.items()}
    got = np.asarray(fn(x.copy(), params, num_layers), dtype=float)
    if got.shape != expected.shape:
        raise ValueError(f"fn must return the top layer's states with shape (T, B, H) = {expected.shape}; "
                         f"got {got.shape}")
    return float(np.max(np.abs(got - expected)))


def _reference_deep_forward(x, params, num_layers):
    """Loop over layers and steps with :func:`elman_step_forward` (used by the tests)."""
    layer_in = x  # (T, B, D)
    for l in range(num_layers):
        W, U = params[f"weight_ih_l{l}"], params[f"weight_hh_l{l}"]
        b = params[f"bias_ih_l{l}"] + params[f"bias_hh_l{l}"]
        h = np.zeros((x.shape[1], U.shape[0]))  # (B, H): the layer's memory, empty at the start
        outs = []
        for t in range(x.shape[0]):
            h, _ = elman_step_forward(layer_in[t], h, W, U, b)
            outs.append(h)
        layer_in = np.stack(outs)  # (T, B, H)
    return layer_in
