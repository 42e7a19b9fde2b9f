"""The lecture's LSTM worked example, run by a companion LSTM whose weights are set by hand.

One memory cell reads three numbers per step, ``x_t = (x1, x2, x3)``. With linear ``g`` and ``h`` and sigmoid
gates ``f``, the four inputs are

    z = x1,   z_i = 100 x2 - 10,   z_f = 100 x2 + 10,   z_o = 100 x3 - 10,

so ``x2 = 1`` writes ``x1`` into the memory, ``x2 = -1`` resets it and ``x3 = 1`` reads it out. On the lecture's
sequence (3,1,0), (4,1,0), (2,0,0), (1,0,1), (3,-1,0) the ideal memory is 3, 7, 7, 7, 0 and the ideal output
0, 0, 0, 7, 0. Exact sigmoids are never exactly 0 or 1: a closed gate still lets
``sigmoid(-10) ≈ 4.54e-5`` through, so the measured values miss the ideal ones by a little (the output at step
4 is 6.9995..., not 7). :func:`leak_bound` bounds that miss.

The chapter ``book/lstm_gates.ipynb`` prints and plots :func:`run_worked_example`;
``tests/test_experiments_worked_example.py`` asserts its claims.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from companion.activations import sigmoid
from companion.lstm import LSTM
from companion.tasks import lstm_worked_example

__all__ = [
    "IDEAL_MEMORY",
    "IDEAL_OUTPUT",
    "WorkedExampleRun",
    "worked_example_inputs",
    "worked_example_state_dict",
    "run_worked_example",
    "leak_bound",
    "format_run_table",
    "check_counting_cell",
]

#: The lecture's idealised memory after each step (gates exactly 0 or 1).
IDEAL_MEMORY = (3.0, 7.0, 7.0, 7.0, 0.0)
#: The lecture's idealised output after each step.
IDEAL_OUTPUT = (0.0, 0.0, 0.0, 7.0, 0.0)


@dataclass(frozen=True)
class WorkedExampleRun:
    """Everything the cell computed at each of the ``T`` steps (one sequence, one cell: 1-D arrays).

    Attributes
    ----------
    x : ndarray, shape (T, 3)
        The inputs ``(x1, x2, x3)``.
    z, z_i, z_f, z_o : ndarray, shape (T,)
        The four inputs of the cell.
    input_gate, forget_gate, output_gate : ndarray, shape (T,)
        The gate openings ``f(z_i), f(z_f), f(z_o)``.
    c : ndarray, shape (T,)
        The memory after each step (``c'``).
    a : ndarray, shape (T,)
        The output ``a = h(c') f(z_o)``.
    g, h : str
        The activations used for the cell candidate and for the output.
    trace : LSTMTrace
        The model's full trace, (T, 1, 1) arrays, for :func:`companion.plots.plot_lstm_trace`.
    """

    x: np.ndarray
    z: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_o: np.ndarray
    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    c: np.ndarray
    a: np.ndarray
    g: str
    h: str
    trace: object


def worked_example_inputs() -> np.ndarray:
    """The lecture's five input vectors, shape (T, 3) = (5, 3).

    Examples
    --------
    >>> worked_example_inputs()[:, 0].tolist()
    [3.0, 4.0, 2.0, 1.0, 3.0]
    """
    x, _ = _task()
    return x.reshape(-1, 3).copy()


def worked_example_state_dict() -> dict:
    """The hand-set weights as a PyTorch-style state dict for ``LSTM(3, 1)`` (blocks in order i, f, g, o).

    Row 0 of ``weight_ih_l0`` drives ``z_i``, row 1 ``z_f``, row 2 ``z`` (PyTorch's ``g`` block), row 3 ``z_o``.

    Examples
    --------
    >>> sd = worked_example_state_dict()
    >>> sd["weight_ih_l0"].tolist()
    [[0.0, 100.0, 0.0], [0.0, 100.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 100.0]]
    >>> (sd["bias_ih_l0"] + sd["bias_hh_l0"]).tolist()
    [-10.0, 10.0, 0.0, -10.0]
    """
    _, state_dict = _task()
    return {name: np.array(value, dtype=np.float64, copy=True) for name, value in state_dict.items()}


def _task():
    """(x of shape (T, 1, 3), state dict) from :func:`companion.tasks.lstm_worked_example`."""
    example = lstm_worked_example()
    return np.asarray(example.inputs, dtype=np.float64), example.state_dict  # (T, 1, 3), dict


def run_worked_example(g: str = "identity", h: str = "identity", state_dict=None, x=None) -> WorkedExampleRun:
    """Run ``LSTM(3, 1, g=g, h=h)`` with the hand-set weights over the worked sequence.

    Parameters
    ----------
    g, h : {"identity", "tanh"}, default "identity"
        Activations of the cell candidate and of the output. The lecture's example needs "identity";
        PyTorch's LSTM uses "tanh".
    state_dict : dict, optional
        Weights to load instead of the lecture's (PyTorch names, blocks i, f, g, o).
    x : array_like of shape (T, 3), optional
        Inputs instead of the lecture's sequence.

    Returns
    -------
    WorkedExampleRun

    Examples
    --------
    >>> run = run_worked_example()
    >>> [round(float(v), 4) for v in run.c]
    [3.0, 7.0, 6.9998, 6.9995, 0.0]
    >>> [round(float(v), 4) for v in run.a]
    [0.0001, 0.0003, 0.0003, 6.9995, 0.0]
    """
    xs = worked_example_inputs() if x is None else np.asarray(x, dtype=np.float64)
    if xs.ndim != 2 or xs.shape[1] != 3:
        raise ValueError(f"x must have shape (T, 3), got shape {xs.shape}")
    model = LSTM(3, 1, g=g, h=h)
    model.load_torch_state_dict(worked_example_state_dict() if state_dict is None else state_dict)
    model.forward(xs[:, None, :])  # (T, 1, 3) -> out (T, 1, 1)
    trace = model.trace()
    flat = {name: np.asarray(getattr(trace, name))[:, 0, 0].copy()
            for name in ("z", "z_i", "z_f", "z_o", "input_gate", "forget_gate", "output_gate", "c", "a")}
    return WorkedExampleRun(x=xs.copy(), g=g, h=h, trace=trace, **flat)


def leak_bound(x=None, ideal_memory=IDEAL_MEMORY) -> float:
    r"""Bound on how far the exact-sigmoid memory and output can be from the ideal ones.

    A gate meant to be closed is ``sigmoid(-10) = eps`` open, one meant to be open is ``1 - eps`` open
    (``sigmoid(±90)`` and beyond are 0 or 1 to float64 precision). At each step a closed input gate lets in at most
    ``eps |x1|`` and an open forget gate loses at most ``eps |c|``, and the forget gate (< 1) never amplifies an
    earlier error, so errors add up over the steps; the output gate adds at most ``eps |c|`` more. Hence

    .. math:: |c_t - \bar c_t|,\ |a_t - \bar a_t| \le \varepsilon \sum_t \big(|x_{1,t}| + 2 \max_s |\bar c_s|\big),

    with :math:`\bar c, \bar a` the ideal memory and output and :math:`\varepsilon = \sigma(-10)`.

    Parameters
    ----------
    x : array_like of shape (T, 3), optional
        Inputs (default: the lecture's sequence).
    ideal_memory : sequence of float
        The ideal memory values.

    Returns
    -------
    float

    Examples
    --------
    >>> f"{leak_bound():.2e}"
    '3.77e-03'
    """
    xs = worked_example_inputs() if x is None else np.asarray(x, dtype=np.float64)
    eps = float(sigmoid(np.float64(-10.0)))
    return eps * float(np.sum(np.abs(xs[:, 0]) + 2 * np.max(np.abs(ideal_memory))))


def format_run_table(run: WorkedExampleRun, digits: int = 4) -> str:
    """A plain-text table of one run: inputs, the three gate openings, memory and output per step.

    Values are rounded to ``digits`` decimals (and -0 printed as 0) so every machine prints the same.

    Examples
    --------
    >>> print(format_run_table(run_worked_example()).splitlines()[3])
       1  (3, 1, 0)    1.0000    1.0000    0.0000   3.0000   0.0001
    """
    header = ("step", "x_t", "f(z_i)", "f(z_f)", "f(z_o)", "c'", "a")
    notes = ("", "", "input", "forget", "output", "memory", "output")
    rows = []
    for t in range(run.x.shape[0]):
        xt = "(" + ", ".join(f"{v:g}" for v in run.x[t]) + ")"
        values = (run.input_gate[t], run.forget_gate[t], run.output_gate[t], run.c[t], run.a[t])
        rows.append((str(t + 1), xt, *(f"{_clean(v, digits):.{digits}f}" for v in values)))
    return _plain_table([notes, header], rows)


def _plain_table(headers, rows) -> str:
    """Right-aligned columns, two spaces apart, a rule under the header lines."""
    widths = [max(len(r[i]) for r in [*headers, *rows]) for i in range(len(rows[0]))]
    line = lambda r: "  ".join(cell.rjust(w) for cell, w in zip(r, widths)).rstrip()  # noqa: E731
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([*(line(h) for h in headers), rule, *(line(r) for r in rows)])


def _clean(value: float, digits: int) -> float:
    """Round, and turn -0.0 into 0.0 so every machine prints the same."""
    value = round(float(value), digits)
    return 0.0 if value == 0 else value


def check_counting_cell(state_dict) -> str:
    """Check the chapter's coding exercise: weights for a cell that *counts* the steps with ``x2 = 1``.

    On the lecture's sequence the memory must be (about) 1, 2, 2, 2, 0 and the output (about) 0, 0, 0, 2, 0,
    with linear ``g`` and ``h``.

    Parameters
    ----------
    state_dict : dict
        PyTorch-style weights for ``LSTM(3, 1)``.

    Returns
    -------
    str
        "correct: ..." or "not yet: ..." with the memory and output obtained.
    """
    run = run_worked_example(state_dict=state_dict)
    want_c, want_a = np.array([1.0, 2.0, 2.0, 2.0, 0.0]), np.array([0.0, 0.0, 0.0, 2.0, 0.0])
    got = (f"memory {[round(float(v), 2) for v in run.c]}, output {[round(float(v), 2) for v in run.a]}")
    ok = np.allclose(run.c, want_c, atol=1e-2) and np.allclose(run.a, want_a, atol=1e-2)
    return ("correct: " if ok else "not yet: ") + got
