r"""Experiments of the Elman-vs-Jordan chapter (``book/elman_jordan.ipynb``): what goes into the memory?

Both networks read one bit per step and have one output per step; they differ only in what they store:

.. math::

    \text{Elman:}\quad h_t = \tanh(W x_t + U h_{t-1} + b), \qquad y_t = V h_t + c,

    \text{Jordan:}\quad h_t = \tanh(W x_t + U y_{t-1} + b), \qquad y_t = V h_t + c.

The Elman memory :math:`h_{t-1}` is a hidden code with no target of its own; the Jordan memory :math:`y_{t-1}` is
the previous output, which has a target. Two tasks pull the two apart:

* :func:`delayed_echo` — output the bit seen two steps ago. The needed memory (the bit seen one step ago) is *not*
  the output, so the Jordan network cannot keep it.
* :func:`running_parity` — output the parity of all bits so far. The needed memory *is* the previous output:
  :math:`y_t = y_{t-1} \oplus x_t`. Because the Jordan memory has a target, the network can be trained by feeding
  the previous *targets* into its memory (teacher forcing, :class:`TeacherForcedJordan`): every step becomes a
  small feed-forward problem, with no backpropagation through time.

:func:`run_comparison` trains Elman (BPTT), Jordan (BPTT, its own outputs fed back) and Jordan (teacher forcing)
on both tasks and measures the held-out error, always running the Jordan network on its *own* outputs at test time.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from companion._checks import check_positive_int
from companion.elman import ElmanRNN
from companion.jordan import JordanRNN, jordan_step_forward
from companion.layers import Linear
from companion.losses import mse
from companion.optim import Adam
from companion.sequence_model import SequenceModel
from companion.training import train

__all__ = [
    "TASKS",
    "KINDS",
    "delayed_echo",
    "running_parity",
    "previous_targets",
    "make_elman",
    "make_jordan",
    "TeacherForcedJordan",
    "RunResult",
    "train_run",
    "run_comparison",
    "echo_accuracy_on_random_steps",
    "format_comparison_table",
    "jordan_memory",
    "elman_memory",
    "code_correlations",
    "check_jordan_forward",
]


def _bits(n, T, seed):
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2, size=(T, n, 1)).astype(np.float64)  # (T, B, 1)


def delayed_echo(n, T=20, delay=2, seed=None):
    r"""Random bits; the target at step t is the bit seen ``delay`` steps before, :math:`y_t = x_{t-2}`.

    Returns
    -------
    x, y : ndarray, (T, B, 1)
        Bits in {0, 1}; the first ``delay`` targets are 0.

    Examples
    --------
    >>> x, y = delayed_echo(1, T=6, seed=0)
    >>> x.ravel(), y.ravel()
    (array([1., 1., 1., 0., 0., 0.]), array([0., 0., 1., 1., 1., 0.]))
    """
    x = _bits(n, T, seed)
    delay = check_positive_int(delay, "delay")
    y = np.zeros_like(x)
    y[delay:] = x[:-delay]
    return x, y


def running_parity(n, T=20, seed=None):
    r"""Random bits; the target is the parity of all bits so far, :math:`y_t = y_{t-1} \oplus x_t` (:math:`y_{-1}=0`).

    Returns
    -------
    x, y : ndarray, (T, B, 1)
        Bits in {0, 1}.

    Examples
    --------
    >>> x, y = running_parity(1, T=6, seed=0)
    >>> x.ravel(), y.ravel()
    (array([1., 1., 1., 0., 0., 0.]), array([1., 0., 1., 1., 1., 1.]))
    """
    x = _bits(n, T, seed)
    return x, np.cumsum(x, axis=0) % 2


#: The two tasks of the chapter: name -> generator ``f(n, T, seed=...) -> (x, y)``.
TASKS = {"delayed echo": delayed_echo, "running parity": running_parity}
#: The three ways of building and training a network compared in the chapter.
KINDS = ("Elman", "Jordan", "Jordan, teacher forcing")


def previous_targets(y):
    """Shift targets one step later: entry t holds :math:`y_{t-1}` (zeros at t = 0), shape (T, B, O).

    Examples
    --------
    >>> previous_targets(np.arange(3.0).reshape(3, 1, 1)).ravel()
    array([0., 0., 1.])
    """
    y = np.asarray(y, dtype=np.float64)
    return np.concatenate([np.zeros_like(y[:1]), y[:-1]])


def make_elman(hidden_size=8, seed=None):
    """Elman network with a linear output layer: ``SequenceModel(ElmanRNN(1, H), Linear(H, 1))``."""
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    return SequenceModel(ElmanRNN(1, hidden_size, seed=seed),
                         Linear(hidden_size, 1, seed=None if seed is None else seed + 100))


def make_jordan(hidden_size=8, seed=None):
    """Jordan network with a linear output that is fed back: ``JordanRNN(1, H, 1)``."""
    hidden_size = check_positive_int(hidden_size, "hidden_size")
    return JordanRNN(1, hidden_size, 1, output_activation="identity", seed=seed)


class TeacherForcedJordan:
    r"""Train a :class:`~companion.jordan.JordanRNN` with the *targets* in its memory (teacher forcing).

    ``forward((x, y_prev))`` runs every step t as its own one-step sequence whose memory is the previous target
    :math:`y^*_{t-1}` instead of the network's own previous output. Only possible because the Jordan memory holds
    something with a target. The wrapped model's ``params``/``grads`` are shared, so after training
    ``model.forward(x)`` runs the same network on its own outputs.

    Parameters
    ----------
    model : JordanRNN

    Examples
    --------
    >>> net = make_jordan(4, seed=0)
    >>> x, y = running_parity(3, T=5, seed=1)
    >>> tf = TeacherForcedJordan(net)
    >>> out = tf.forward((x, previous_targets(y)))
    >>> out.shape, tf.backward(np.ones_like(out)).shape
    ((5, 3, 1), (5, 3, 1))
    """

    def __init__(self, model):
        if not isinstance(model, JordanRNN):
            raise ValueError(f"model must be a JordanRNN; got {type(model).__name__}")
        self.model = model
        self.params = model.params
        self.grads = model.grads

    def forward(self, inputs):
        """``inputs = (x (T, B, D), y_prev (T, B, O))`` -> outputs (T, B, O)."""
        x, y_prev = inputs
        x = np.asarray(x, dtype=np.float64)
        T, B, D = x.shape
        O = self.model.output_size
        y_prev = np.asarray(y_prev, dtype=np.float64)
        if y_prev.shape != (T, B, O):
            raise ValueError(f"y_prev must have shape (T, B, O) = {(T, B, O)}; got {y_prev.shape}")
        out, _ = self.model.forward(x.reshape(1, T * B, D), state=y_prev.reshape(1, T * B, O))
        return np.asarray(out).reshape(T, B, O)

    def backward(self, dout):
        """Gradient of the outputs (T, B, O) -> gradient of x (T, B, D); fills ``grads``."""
        T, B, O = dout.shape
        return self.model.backward(np.asarray(dout).reshape(1, T * B, O)).reshape(T, B, -1)


@dataclass(frozen=True)
class RunResult:
    """One training run.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    task : str
        A key of :data:`TASKS`.
    seed, n_params : int
    step_losses : ndarray, (steps,)
        Training MSE of every mini-batch.
    test_mse : float
        Held-out MSE, the Jordan network running on its own outputs.
    test_accuracy : float
        Fraction of held-out steps whose output, rounded to 0 or 1, equals the target.
    model : SequenceModel or JordanRNN
    """

    kind: str
    task: str
    seed: int
    n_params: int
    step_losses: np.ndarray
    test_mse: float
    test_accuracy: float
    model: object


def _predict(model, x):
    out = model.forward(x)
    return np.asarray(out[0] if isinstance(out, tuple) else out)  # JordanRNN returns (y, y_n)


def train_run(kind, task, seed=0, steps=400, batch_size=32, T=20, hidden_size=8, lr=0.01, test_size=500):
    """Build a network of ``kind`` and train it on ``task`` (one pass over ``steps`` fresh mini-batches).

    Adam, gradient norm clipped to 1, MSE on the 0/1 targets. Training data use seed ``1000 + seed``; the
    held-out set (seed 99) is the same for every run.

    Returns
    -------
    RunResult
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}; got {kind!r}")
    if task not in TASKS:
        raise ValueError(f"task must be one of {tuple(TASKS)}; got {task!r}")
    steps = check_positive_int(steps, "steps")
    make_data = TASKS[task]
    x, y = make_data(batch_size * steps, T, seed=1000 + seed)
    model = make_elman(hidden_size, seed) if kind == "Elman" else make_jordan(hidden_size, seed)
    trained = model
    inputs = x
    if kind == "Jordan, teacher forcing":
        trained = TeacherForcedJordan(model)
        inputs = None
        y_prev = previous_targets(y)
    batches = []
    for i in range(steps):
        part = slice(i * batch_size, (i + 1) * batch_size)
        xb = x[:, part] if inputs is not None else (x[:, part], y_prev[:, part])
        batches.append((xb, y[:, part]))
    history = train(trained, mse, Adam(model.params, lr=lr), batches, epochs=1, clip=1.0, progress=False)
    x_test, y_test = make_data(test_size, T, seed=99)
    out = _predict(model, x_test)  # the Jordan network feeds back its own outputs here
    test_mse = float(np.mean((out - y_test) ** 2))
    test_accuracy = float(np.mean((out > 0.5) == (y_test > 0.5)))
    n_params = int(sum(p.size for p in model.params.values()))
    return RunResult(kind, task, seed, n_params, np.array(history.step_losses), test_mse, test_accuracy, model)


def echo_accuracy_on_random_steps(model, delay=2, n=500, T=20, seed=99):
    """Fraction of right answers of a delayed-echo model on the steps whose target is a random bit.

    The first ``delay`` targets of the echo task are always 0 (nothing was seen ``delay`` steps before), so
    a constant answer 0 gets them right; the accuracy over all steps mixes them in. This scores only the steps
    ``t >= delay``, where guessing is right half of the time.

    Parameters
    ----------
    model : SequenceModel or JordanRNN
        A network trained on :func:`delayed_echo` (JordanRNN runs on its own outputs).
    delay : int, default 2
    n, T : int
        Held-out sequences and their length.
    seed : int, default 99
        Seed of the held-out set (the one :func:`train_run` scores on).

    Returns
    -------
    float

    Examples
    --------
    >>> run = train_run("Elman", "delayed echo", seed=0, steps=2)
    >>> 0.0 <= echo_accuracy_on_random_steps(run.model) <= 1.0
    True
    """
    delay = check_positive_int(delay, "delay")
    x, y = delayed_echo(check_positive_int(n, "n"), T=check_positive_int(T, "T"), delay=delay, seed=seed)
    out = _predict(model, x)  # (T, B, 1)
    return float(np.mean((out[delay:] > 0.5) == (y[delay:] > 0.5)))


def run_comparison(tasks=tuple(TASKS), kinds=KINDS, seeds=(0,), **kwargs):
    """:func:`train_run` for every task, kind and seed (in that nesting order); ``kwargs`` go to it."""
    return [train_run(kind, task, seed, **kwargs) for task in tasks for kind in kinds for seed in seeds]


def format_comparison_table(results):
    """Markdown table: one row per task, one column per kind, "MSE / accuracy" averaged over seeds.

    MSE with 3 decimals and accuracy in whole percent, so every machine prints the same.
    """
    tasks = list(dict.fromkeys(r.task for r in results))
    kinds = list(dict.fromkeys(r.kind for r in results))
    lines = ["| task | " + " | ".join(kinds) + " |", "| --- |" + " ---: |" * len(kinds)]
    for task in tasks:
        cells = []
        for kind in kinds:
            runs = [r for r in results if r.task == task and r.kind == kind]
            m = np.mean([r.test_mse for r in runs])
            a = np.mean([r.test_accuracy for r in runs])
            cells.append(f"{m:.3f} / {100 * a:.0f}%")
        lines.append(f"| {task} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def jordan_memory(model, x):
    r"""What the Jordan network's memory holds at each step: the state it reads, :math:`y_{t-1}`.

    Read from the network itself: the memory at step t is the final state ``y_n`` that ``model.forward(x[:t])``
    hands on (zeros at t = 0). No output is copied by this function.

    Parameters
    ----------
    model : JordanRNN
    x : ndarray, (T, B, D)

    Returns
    -------
    ndarray, (T, B, O)
    """
    if not isinstance(model, JordanRNN):
        raise ValueError(f"model must be a JordanRNN; got {type(model).__name__}")
    x = np.asarray(x, dtype=np.float64)
    T, B, _ = x.shape
    memory = np.zeros((T, B, model.output_size))
    for t in range(1, T):
        _, state = model.forward(x[:t])  # state: (1, B, O)
        memory[t] = state[0]
    return memory


def elman_memory(model, x):
    r"""What the Elman network's memory holds at each step: the previous hidden layer :math:`h_{t-1}`.

    Parameters
    ----------
    model : SequenceModel
        With an :class:`~companion.elman.ElmanRNN` as ``model.rnn``.
    x : ndarray, (T, B, D)

    Returns
    -------
    ndarray, (T, B, H)
        Zeros at t = 0.
    """
    model.forward(x)
    h = np.array(model.rnn.hidden_states())  # (T, B, H)
    return np.concatenate([np.zeros_like(h[:1]), h[:-1]])


def code_correlations(memory, signals):
    """Correlation of every memory unit with some signals, over all steps and sequences.

    Parameters
    ----------
    memory : ndarray, (T, B, H)
    signals : dict of str -> ndarray (T, B, 1)

    Returns
    -------
    ndarray, (H, len(signals))
        Pearson correlations, in the order of ``signals``.

    Examples
    --------
    >>> m = np.arange(6.0).reshape(3, 2, 1)
    >>> code_correlations(m, {"same": m, "negated": -m}).round(3)
    array([[ 1., -1.]])
    """
    memory = np.asarray(memory, dtype=float)
    flat = memory.reshape(-1, memory.shape[-1])  # (T*B, H)
    out = np.empty((flat.shape[1], len(signals)))
    for j, signal in enumerate(signals.values()):
        s = np.asarray(signal, dtype=float).reshape(-1)
        for unit in range(flat.shape[1]):
            out[unit, j] = np.corrcoef(flat[:, unit], s)[0, 1]
    return out


def check_jordan_forward(fn, seed=0):
    r"""Check a reader's step-by-step Jordan forward pass against :class:`~companion.jordan.JordanRNN`.

    ``fn(x, params)`` gets x (T, B, D) and the parameters ``W``, ``U``, ``b``, ``V``, ``b_y`` of a Jordan network
    with a tanh hidden layer and a linear output, and must return the outputs :math:`y_t` of every step,
    (T, B, O), starting from the memory :math:`y_{-1} = 0` and feeding each output back.

    Returns
    -------
    float
        Largest absolute difference from ``JordanRNN.forward`` (about 1e-16 for a correct ``fn``).

    Raises
    ------
    ValueError
        If ``fn`` returns the wrong shape.

    Examples
    --------
    >>> def no_feedback(x, params):                         # wrong: the memory stays empty
    ...     h = np.tanh(x @ params["W"].T + params["b"])
    ...     return h @ params["V"].T + params["b_y"]
    >>> check_jordan_forward(no_feedback) > 1e-3
    True
    """
    rng = np.random.default_rng(seed)
    net = JordanRNN(3, 5, 2, seed=seed)
    x = rng.normal(size=(6, 2, 3))  # (T, B, D)
    expected, _ = net.forward(x)  # (T, B, O)
    got = np.asarray(fn(x.copy(), {k: v.copy() for k, v in net.params.items()}), dtype=float)
    if got.shape != expected.shape:
        raise ValueError(f"fn must return the outputs with shape (T, B, O) = {expected.shape}; got {got.shape}")
    return float(np.max(np.abs(got - expected)))


def _reference_jordan_forward(x, params):
    """Step loop with :func:`~companion.jordan.jordan_step_forward` (used by the tests)."""
    y = np.zeros((x.shape[1], params["V"].shape[0]))  # (B, O): the memory, empty at the start
    outs = []
    for t in range(x.shape[0]):
        _, y, _ = jordan_step_forward(x[t], y, params["W"], params["U"], params["b"], params["V"], params["b_y"])
        outs.append(y)
    return np.stack(outs)  # (T, B, O)
