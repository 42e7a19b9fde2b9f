r"""The experiments that established that an LSTM remembers longer than a simple RNN.

Three classic experiments, each a function that trains or probes companion models and
returns a small frozen dataclass of numbers (the chapter plots them, the tests assert them):

* :func:`temporal_xor_experiment` — Elman (1990): a 1-input, 2-hidden, 1-output simple
  recurrent network learns to predict the next bit of a stream in which every third bit is
  the XOR of the two before it; its error dips periodically, at the predictable bits only.
* :func:`elman_jacobian_norms` / :func:`lstm_memory_jacobian_norms` — vanishing and
  exploding gradients: the exact norm of :math:`\partial h_k / \partial h_0` of a tanh RNN
  whose recurrent matrix has spectral radius :math:`\rho`, beside the LSTM's memory path
  :math:`\partial c_k / \partial c_0`, both computed with the models' own backward pass
  (backpropagation through time).
* :func:`adding_problem_experiment` — Hochreiter & Schmidhuber (1997): remember two marked
  numbers over up to T = 100 steps and output their (scaled) sum; an LSTM solves it, an
  Elman network trained the same way stays at the trivial baseline.

Everything is seeded: the same call gives the same numbers on every machine (up to
floating-point rounding in the last digits).
"""
from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from companion.elman import ElmanRNN
from companion.gru import GRU
from companion.layers import Linear
from companion.losses import mse, sigmoid_cross_entropy
from companion.lstm import LSTM
from companion.optim import Adam, clip_grad_norm
from companion.sequence_model import SequenceModel
from companion.tasks import adding_problem, temporal_xor

__all__ = [
    "TemporalXORResult",
    "temporal_xor_experiment",
    "JacobianNorms",
    "ElmanProbe",
    "elman_probe",
    "check_jacobian_norms",
    "elman_jacobian_norms",
    "lstm_memory_jacobian_norms",
    "AddingStage",
    "AddingResult",
    "DEFAULT_CURRICULUM",
    "ADDING_MODELS",
    "make_adding_rnn",
    "adding_problem_experiment",
    "adding_seed_table",
    "format_adding_seed_table",
    "single_threaded_blas",
]


def _check_int(value, name, minimum=1):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}")
    return int(value)


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not (
        np.isfinite(value) and value > 0
    ):
        raise ValueError(f"{name} must be a finite number > 0; got {value!r}")
    return float(value)


@contextmanager
def single_threaded_blas():
    """Run the enclosed code with the BLAS library limited to one thread.

    These experiments multiply many small matrices, one per time step; splitting each product
    over several threads costs more than it saves, and far more on a busy machine. Uses
    ``threadpoolctl`` (installed by the course's requirements); without it, this does nothing.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: the package itself needs only numpy
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _single_threaded(func):
    """Decorator: run ``func`` inside :func:`single_threaded_blas`."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with single_threaded_blas():
            return func(*args, **kwargs)

    return wrapper


# ----------------------------------------------------------------------------- temporal XOR
@dataclass(frozen=True)
class TemporalXORResult:
    """What :func:`temporal_xor_experiment` measured.

    Attributes
    ----------
    seed : int
        Seed of the network's initialisation and of the training stream.
    hidden_size : int
        H, hidden (= context) units.
    passes : int
        Passes over the training stream (one Adam step each).
    losses : ndarray, (passes,)
        Mean binary cross-entropy of each pass (chance: log 2 ≈ 0.693).
    error_by_position : ndarray, (window,)
        Mean absolute error ``|p_t - bit_{t+1}|`` at each of ``window`` consecutive positions,
        averaged over every window of a fresh test stream; position j predicts the (j+1)-th
        bit of a run of triples, so positions 2, 5, 8, ... are the XOR bits.
    phase_error : ndarray, (3,)
        Mean absolute error over the whole test stream by the phase of the target bit inside
        its triple: 0 and 1 are random bits, 2 the predictable XOR bit. On a fair random bit it
        is 0.5 whatever the network predicts, so it cannot show whether those bits were learnt.
    sq_error_by_position : ndarray, (window,)
        Mean squared error ``(p_t - bit_{t+1})**2`` at each position, like ``error_by_position``
        (Elman plotted its square root, the RMS error).
    phase_sq_error : ndarray, (3,)
        Mean squared error by phase. A fair random bit scores 0.25 for the prediction 0.5 and
        more for any other prediction.
    phase_cross_entropy : ndarray, (3,)
        Mean binary cross-entropy (nats) by phase; chance, predicting 0.5, is log 2 ≈ 0.693.
    """

    seed: int
    hidden_size: int
    passes: int
    losses: np.ndarray
    error_by_position: np.ndarray
    phase_error: np.ndarray
    sq_error_by_position: np.ndarray
    phase_sq_error: np.ndarray
    phase_cross_entropy: np.ndarray

    @property
    def random_error(self):
        """Mean absolute error on the unpredictable bits (phases 0 and 1); chance is 0.5."""
        return float(self.phase_error[:2].mean())

    @property
    def predictable_error(self):
        """Mean absolute error on the predictable (XOR) bits."""
        return float(self.phase_error[2])

    @property
    def gap(self):
        """``random_error - predictable_error``: how much better the XOR bits are predicted."""
        return self.random_error - self.predictable_error


@_single_threaded
def temporal_xor_experiment(seed=0, hidden_size=2, n_bits=3000, passes=600, lr=0.05, chunk=30, window=12,
                            test_bits=3000, test_seed=2024):
    r"""Train Elman's simple recurrent network on the temporal-XOR stream; error by position.

    The network is Elman's 1-H-1 architecture: one input unit (the current bit), H hidden
    units whose previous values are the context, one output unit with a sigmoid that
    predicts the next bit: :math:`h_t = \tanh(W x_t + U h_{t-1} + b)`,
    :math:`p_t = \sigma(V h_t + c)`. It is trained with binary cross-entropy by
    backpropagation through time and Adam (gradient norm clipped at 5). The ``n_bits`` stream
    is cut into ``chunk``-bit pieces, processed side by side as one batch, each from a zero
    context; one pass over the stream is one Adam step.

    Differences from Elman (1990), who used sigmoid hidden units, squared error, plain
    gradient descent and one-step backpropagation (the context is a copy): a tanh unit is a
    sigmoid unit rescaled (:math:`\tanh(u) = 2\sigma(2u) - 1`), so the family of networks is
    the same; both losses are minimised by the same prediction (the probability that the next
    bit is 1); the optimiser and backpropagation through whole pieces change how the weights
    get there.

    Parameters
    ----------
    seed : int
        Seeds the initialisation and the training stream.
    hidden_size : int, default 2
        H (Elman used 2).
    n_bits : int, default 3000
        Length of the training stream (Elman: 3,000).
    passes : int, default 600
        Passes over the stream (Elman: 600).
    lr : float, default 0.05
        Adam's learning rate.
    chunk : int, default 30
        Length of the pieces the stream is cut into (a multiple of 3 keeps every piece in phase).
    window : int, default 12
        Length of the error-by-position curve (Elman plotted 12 consecutive positions).
    test_bits : int, default 3000
        Length of the fresh test stream.
    test_seed : int, default 2024
        Seed of the test stream.

    Returns
    -------
    TemporalXORResult

    Examples
    --------
    >>> res = temporal_xor_experiment(seed=0, passes=5, n_bits=300, test_bits=300)
    >>> res.error_by_position.shape, res.phase_error.shape
    ((12,), (3,))
    """
    seed = _check_int(seed, "seed", minimum=0)
    hidden_size = _check_int(hidden_size, "hidden_size")
    passes = _check_int(passes, "passes")
    chunk = _check_int(chunk, "chunk", minimum=2)
    window = _check_int(window, "window", minimum=3)
    lr = _check_positive(lr, "lr")
    n_bits = _check_int(n_bits, "n_bits", minimum=chunk + 1)
    test_bits = _check_int(test_bits, "test_bits", minimum=window + 3)

    rng = np.random.default_rng(seed)
    rnn = ElmanRNN(1, hidden_size, seed=rng)
    model = SequenceModel(rnn, Linear(hidden_size, 1, seed=rng))
    stream = temporal_xor(n_bits, seed=rng)
    n_chunks = stream.inputs.shape[0] // chunk
    # (T, B, 1): piece b holds steps b*chunk ... (b+1)*chunk - 1 of the stream
    x = stream.inputs[: n_chunks * chunk, 0, 0].reshape(n_chunks, chunk).T[:, :, None].copy()
    y = stream.targets[: n_chunks * chunk, 0, 0].reshape(n_chunks, chunk).T[:, :, None].copy()
    opt = Adam(model.params, lr=lr)
    losses = np.empty(passes)
    for p in range(passes):
        loss, dlogits = sigmoid_cross_entropy(model.forward(x), y)
        model.backward(dlogits)
        clip_grad_norm(model.grads, 5.0)
        opt.step(model.grads)
        losses[p] = loss

    test = temporal_xor(test_bits, seed=test_seed)
    logits = model.forward(test.inputs)[:, 0, 0]  # (T,)
    prob = 0.5 * (1.0 + np.tanh(0.5 * logits))  # sigmoid
    target = test.targets[:, 0, 0]  # (T,)
    err = np.abs(prob - target)  # (T,)
    sq = err ** 2  # (T,)
    # binary cross-entropy from the logits, stable for large |logit|: softplus(l) - target * l
    xent = np.logaddexp(0.0, logits) - target * logits  # (T,)
    phase_error, phase_sq, phase_xent = (np.array([e[test.phase == k].mean() for k in range(3)])
                                         for e in (err, sq, xent))
    start = int(np.argmax(test.phase == 0))  # first step whose target starts a triple
    n_win = (err.size - start) // window
    by_pos = err[start:start + n_win * window].reshape(n_win, window).mean(axis=0)
    sq_by_pos = sq[start:start + n_win * window].reshape(n_win, window).mean(axis=0)
    return TemporalXORResult(seed, hidden_size, passes, losses, by_pos, phase_error, sq_by_pos, phase_sq,
                             phase_xent)


# --------------------------------------------------------------------- vanishing gradients
@dataclass(frozen=True)
class JacobianNorms:
    r"""Norms of the Jacobian of a state after k steps with respect to the initial state.

    Attributes
    ----------
    k : ndarray of int, (n,)
        Steps.
    norms : ndarray, (n,)
        Spectral norm (largest singular value) of :math:`\partial h_k/\partial h_0` (Elman) or
        :math:`\partial c_k/\partial c_0` (LSTM memory), exact, from backpropagation through time.
    label : str
        Legend label.
    forget_product : ndarray or None, (n,)
        LSTM only: the largest over memory cells of :math:`\prod_{t=1}^{k} f(z_f^{(t)})`, the
        gradient along the memory path alone.
    """

    k: np.ndarray
    norms: np.ndarray
    label: str
    forget_product: np.ndarray | None = None

    def at(self, k):
        """The norm at step ``k`` (one of ``self.k``)."""
        idx = np.flatnonzero(self.k == k)
        if idx.size == 0:
            raise ValueError(f"k={k} was not measured; measured steps: {self.k.tolist()}")
        return float(self.norms[idx[0]])


def _probe_inputs(steps, input_size, copies, seed):
    """One random input sequence (steps, 1, D), repeated ``copies`` times along the batch axis."""
    x = np.random.default_rng([seed, 2]).normal(size=(steps, 1, input_size))
    return np.repeat(x, copies, axis=1)  # (steps, copies, D)


def _check_ks(ks):
    ks = np.asarray(ks)
    if ks.ndim != 1 or ks.size == 0 or not np.issubdtype(ks.dtype, np.integer) or (ks < 1).any():
        raise ValueError(f"ks must be a non-empty 1-D sequence of integers >= 1; got {ks!r}")
    return np.unique(ks)


class ElmanProbe(NamedTuple):
    """The network and input sequence :func:`elman_jacobian_norms` measures.

    Attributes
    ----------
    rnn : ElmanRNN
        Default initialisation, except ``weight_hh_l0`` with spectral radius ``rho``.
    x : ndarray, (T, 1, D)
        The input sequence (one sequence, batch of one).
    """

    rnn: ElmanRNN
    x: np.ndarray


def elman_probe(rho, steps=100, hidden_size=64, input_size=8, seed=0):
    """A tanh Elman RNN whose recurrent matrix has spectral radius ``rho``, and a random input.

    ``weight_hh_l0`` is a Gaussian random matrix rescaled so that its largest absolute
    eigenvalue is ``rho``; the other parameters keep the default initialisation (from
    ``seed``); the input is ``steps`` standard-normal vectors (from ``seed`` too).

    Parameters
    ----------
    rho : float
        Spectral radius, > 0.
    steps : int, default 100
        T, length of the input sequence.
    hidden_size, input_size : int
        H and D.
    seed : int

    Returns
    -------
    ElmanProbe
        ``(rnn, x)`` with x of shape (T, 1, D).

    Examples
    --------
    >>> import numpy as np
    >>> rnn, x = elman_probe(0.9, steps=5, hidden_size=4, input_size=2)
    >>> x.shape, round(float(np.abs(np.linalg.eigvals(rnn.params["weight_hh_l0"])).max()), 6)
    ((5, 1, 2), 0.9)
    """
    rho = _check_positive(rho, "rho")
    steps = _check_int(steps, "steps")
    H = _check_int(hidden_size, "hidden_size")
    D = _check_int(input_size, "input_size")
    rnn = ElmanRNN(D, H, seed=np.random.default_rng(seed))
    M = np.random.default_rng([seed, 1]).normal(size=(H, H))
    rnn.params["weight_hh_l0"][:] = M * (rho / np.max(np.abs(np.linalg.eigvals(M))))
    return ElmanProbe(rnn, _probe_inputs(steps, D, 1, seed))


@_single_threaded
def elman_jacobian_norms(rho, ks=(1, 2, 5, 10, 25, 50, 75, 100), hidden_size=64,
                         input_size=8, seed=0):
    r""":math:`\|\partial h_k / \partial h_0\|` of a tanh Elman RNN with recurrent spectral radius ``rho``.

    The network and its input come from :func:`elman_probe`: the recurrent matrix
    ``weight_hh`` is a random Gaussian matrix rescaled so that its spectral radius (largest
    absolute eigenvalue) is ``rho``, the other weights keep the default initialisation and
    the input is a fixed random sequence (the same for every ``rho``). The Jacobian is exact and comes from one backward pass (backpropagation through
    time): the network runs on ``len(ks) * H`` identical copies of the sequence; copy block n
    receives the identity as the gradient of its output at step :math:`k_n` (zero elsewhere),
    so its rows of ``state_grad`` are the rows of :math:`\partial h_{k_n} / \partial h_0`,
    the product of the per-step Jacobians :math:`\mathrm{diag}(1 - h_t^2)\,U`.

    Parameters
    ----------
    rho : float
        Spectral radius of the recurrent matrix (> 0).
    ks : sequence of int
        Steps k at which to measure.
    hidden_size : int, default 64
    input_size : int, default 8
    seed : int, default 0
        Seeds the weights and the input.

    Returns
    -------
    JacobianNorms

    Examples
    --------
    >>> jn = elman_jacobian_norms(0.5, ks=[1, 5], hidden_size=4, input_size=2)
    >>> bool(jn.at(5) < jn.at(1))
    True
    """
    ks = _check_ks(ks)
    rnn, x1 = elman_probe(rho, int(ks.max()), hidden_size, input_size, seed)  # x1 (T, 1, D)
    H = rnn.hidden_size
    n = ks.size
    x = np.repeat(x1, n * H, axis=1)  # (T, n*H, D): n*H copies of the sequence
    out, _ = rnn.forward(x)
    dout = np.zeros(out.shape)  # (T, n*H, H)
    for j, k in enumerate(ks):
        dout[k - 1, j * H:(j + 1) * H] = np.eye(H)  # d(loss)/d h_k = I for block j
    rnn.backward(dout)
    J = rnn.state_grad[0].reshape(n, H, H)  # J[j] = d h_{k_j} / d h_0
    norms = np.linalg.norm(J, ord=2, axis=(1, 2))
    return JacobianNorms(ks, norms, f"tanh RNN, ρ = {rho:g}")


@_single_threaded
def lstm_memory_jacobian_norms(forget_bias, ks=(1, 2, 5, 10, 25, 50, 75, 100),
                               hidden_size=64, input_size=8, seed=0, recurrent=False):
    r""":math:`\|\partial c_k / \partial c_0\|` of an LSTM whose forget gates are held open by a bias.

    The LSTM keeps its default initialisation except the forget-gate bias, set to
    ``forget_bias`` (so :math:`f(z_f) \approx \sigma(\mathtt{forget\_bias})`), and, unless
    ``recurrent=True``, the recurrent weights ``weight_hh``, set to zero: then the memory path
    :math:`c' = g(z) f(z_i) + c\, f(z_f)` is the only way from :math:`c_0` to :math:`c_k` and
    :math:`\partial c_k / \partial c_0 = \mathrm{diag}\big(\prod_{t \le k} f(z_f^{(t)})\big)`.
    The Jacobian is computed exactly by the LSTM's backward pass for each k, with the
    identity as the gradient of the final memory (``dstate=(0, I)``) on H copies of the input.
    With ``recurrent=True`` the gates also see the previous output, which opens more paths.

    Parameters
    ----------
    forget_bias : float
        Value of the forget-gate bias (``bias_ih`` block f; the ``bias_hh`` block f is set to 0).
    ks, hidden_size, input_size, seed
        As in :func:`elman_jacobian_norms`.
    recurrent : bool, default False
        Keep the default recurrent weights instead of zeroing them.

    Returns
    -------
    JacobianNorms
        With ``forget_product``, the largest over cells of :math:`\prod_{t \le k} f(z_f^{(t)})`
        read from the forward pass (equal to ``norms`` when ``recurrent`` is False).

    Examples
    --------
    >>> jn = lstm_memory_jacobian_norms(10.0, ks=[1, 50], hidden_size=4, input_size=2)
    >>> round(jn.at(50), 2)
    1.0
    """
    forget_bias = float(forget_bias)
    if not np.isfinite(forget_bias):
        raise ValueError(f"forget_bias must be finite; got {forget_bias!r}")
    ks = _check_ks(ks)
    H = _check_int(hidden_size, "hidden_size")
    D = _check_int(input_size, "input_size")
    rng = np.random.default_rng(seed)
    lstm = LSTM(D, H, seed=rng)
    lstm.params["bias_ih_l0"][H:2 * H] = forget_bias  # PyTorch's blocks i, f, g, o
    lstm.params["bias_hh_l0"][H:2 * H] = 0.0
    if not recurrent:
        lstm.params["weight_hh_l0"][:] = 0.0
    x = _probe_inputs(int(ks.max()), D, H, seed)  # (T, H, D)
    eye = np.eye(H)[None]  # (1, B=H, H)
    zero = np.zeros_like(eye)
    lstm.forward(x[:, :1])
    forget = lstm.trace().forget_gate[:, 0, :]  # (T, H) openings f(z_f) along the sequence
    products = np.cumprod(forget, axis=0)[ks - 1].max(axis=1)  # (n,) largest prod_{t<=k} f(z_f)
    norms = np.empty(ks.size)
    for j, k in enumerate(ks):
        out, _ = lstm.forward(x[:k])
        lstm.backward(np.zeros(out.shape), dstate=(zero, eye))
        norms[j] = np.linalg.norm(lstm.state_grad[1][0], 2)  # rows: d c_k / d c_0
    label = f"LSTM memory, forget bias {forget_bias:g}" + (" (with recurrent weights)" if recurrent else "")
    return JacobianNorms(ks, norms, label, products)


def check_jacobian_norms(norms, rho, steps=20, hidden_size=8, input_size=2, seed=1, rtol=1e-6):
    r"""Check a reader's :math:`\|\partial h_k/\partial h_0\|`, k = 1..steps, for :func:`elman_probe`'s network.

    The chapter's coding exercise: multiply the per-step Jacobians
    :math:`\mathrm{diag}(1 - h_t^2)\,U` of ``elman_probe(rho, steps, hidden_size, input_size, seed)``
    by hand and take spectral norms; this compares them with :func:`elman_jacobian_norms`.

    Parameters
    ----------
    norms : array_like of float, (steps,), or None
        The reader's norms for k = 1, ..., steps (None: not attempted yet).
    rho, steps, hidden_size, input_size, seed
        The probe network, as passed to :func:`elman_probe`.
    rtol : float, default 1e-6
        Relative tolerance.

    Returns
    -------
    str
        ``"correct: ..."`` or a hint starting with ``"not yet: ..."``.

    Examples
    --------
    >>> check_jacobian_norms(None, rho=1.5)
    'not yet: compute the list of 20 norms for k = 1, ..., 20'
    >>> ref = elman_jacobian_norms(1.5, ks=range(1, 21), hidden_size=8, input_size=2, seed=1).norms
    >>> check_jacobian_norms(ref, rho=1.5)[:8]
    'correct:'
    """
    steps = _check_int(steps, "steps")
    if norms is None:
        return f"not yet: compute the list of {steps} norms for k = 1, ..., {steps}"
    norms = np.asarray(norms, dtype=float)
    if norms.shape != (steps,):
        return f"not yet: expected {steps} norms (k = 1, ..., {steps}), got an array of shape {norms.shape}"
    ref = elman_jacobian_norms(rho, ks=np.arange(1, steps + 1), hidden_size=hidden_size, input_size=input_size,
                               seed=seed).norms
    bad = np.flatnonzero(~np.isclose(norms, ref, rtol=rtol, atol=0.0))
    if bad.size:
        k = int(bad[0]) + 1
        hint = ("the first step already differs: is each factor diag(1 - h_t**2) @ U, with h_t the output at "
                "step t?" if k == 1 else "check the order of the product: the newest step's Jacobian goes on the left")
        return f"not yet: at k = {k} you have {norms[k - 1]:.4g}, BPTT gives {ref[k - 1]:.4g}; {hint}"
    return (f"correct: your product of {steps} step Jacobians matches backpropagation through time "
            f"(k = {steps}: {ref[-1]:.3g})")


# --------------------------------------------------------------------------- adding problem
@dataclass(frozen=True)
class AddingStage:
    """One stage of the curriculum: ``iterations`` Adam steps on sequences of length ``T``."""

    T: int
    iterations: int
    lr: float


#: Curriculum used by the chapter: short sequences first, then longer ones (lr decays).
DEFAULT_CURRICULUM = (
    AddingStage(10, 400, 1e-2),
    AddingStage(20, 200, 1e-2),
    AddingStage(50, 200, 5e-3),
    AddingStage(100, 300, 3e-3),
    AddingStage(100, 500, 1e-3),
)


@dataclass(frozen=True)
class AddingResult:
    """What :func:`adding_problem_experiment` measured for one model.

    Attributes
    ----------
    model : str
        One of :data:`ADDING_MODELS`.
    hidden_size : int
    n_params : int
        Number of trained parameters (recurrent layer and output layer).
    stages : tuple of AddingStage
        The curriculum it was trained with.
    stage_success : ndarray, (n_stages,)
        After each stage, the fraction of held-out sequences *of that stage's length* with
        absolute error < ``tolerance``.
    stage_mse : ndarray, (n_stages,)
        The held-out mean squared error at the same moments.
    eval_steps : ndarray of int, (n_evals,)
        Training steps (Adam updates) at which held-out sequences of the final length were scored.
    eval_mse, eval_success : ndarray, (n_evals,)
        MSE and success rate at ``eval_steps`` on the first ``curve_size`` held-out sequences of
        the final length (learning curves).
    step_losses : ndarray, (total steps,)
        Training MSE of every mini-batch.
    success_rate : float
        Final held-out success rate at the final length.
    test_mse : float
        Final held-out MSE at the final length.
    baseline_mse : float
        MSE of always predicting the mean target 0.5 (1/24 ≈ 0.0417).
    baseline_success : float
        Success rate of always predicting 0.5 on the same held-out set.
    tolerance : float
        The success criterion (0.04, Hochreiter & Schmidhuber's).
    net : SequenceModel
        The trained network (not compared, not shown in the repr).
    """

    model: str
    hidden_size: int
    n_params: int
    stages: tuple
    stage_success: np.ndarray
    stage_mse: np.ndarray
    eval_steps: np.ndarray
    eval_mse: np.ndarray
    eval_success: np.ndarray
    step_losses: np.ndarray
    success_rate: float
    test_mse: float
    baseline_mse: float
    baseline_success: float
    tolerance: float
    net: object = field(default=None, repr=False, compare=False)

    @property
    def T(self):
        """The final (longest) sequence length."""
        return self.stages[-1].T


class _Subset(NamedTuple):
    inputs: np.ndarray  # (T, B, 2)
    targets: np.ndarray  # (B, 1)
    tolerance: float


#: The recurrent layers :func:`adding_problem_experiment` can train: tanh Elman network, IRNN (ReLU Elman
#: network, identity recurrence), LSTM, peephole LSTM and GRU.
ADDING_MODELS = ("elman", "irnn", "lstm", "peephole", "gru")


def make_adding_rnn(model, hidden_size, seed=None, forget_bias=1.0, input_size=2):
    """The recurrent layer ``model`` (one of :data:`ADDING_MODELS`) as the adding problem trains it.

    The forget-gate bias of the LSTM and of the peephole LSTM starts at ``forget_bias`` (added to PyTorch's
    initialisation); every other model keeps its default initialisation.

    Examples
    --------
    >>> make_adding_rnn("irnn", 4, seed=0)
    ElmanRNN(2, 4, nonlinearity='relu', init='identity')
    """
    if model not in ADDING_MODELS:
        raise ValueError(f"model must be one of {ADDING_MODELS}; got {model!r}")
    H = _check_int(hidden_size, "hidden_size")
    if model in ("lstm", "peephole"):
        rnn = LSTM(input_size, H, peephole=model == "peephole", seed=seed)
        rnn.params["bias_ih_l0"][H:2 * H] += forget_bias  # PyTorch's blocks i, f, g, o
    elif model == "gru":
        rnn = GRU(input_size, H, seed=seed)
    elif model == "irnn":
        rnn = ElmanRNN(input_size, H, nonlinearity="relu", init="identity", seed=seed)
    else:
        rnn = ElmanRNN(input_size, H, seed=seed)
    return rnn


def _score(model, data):
    pred = model.forward(data.inputs)  # (B, 1)
    err = np.abs(pred - data.targets)[:, 0]
    return float(np.mean(err < data.tolerance)), float(np.mean(err ** 2))


@_single_threaded
def adding_problem_experiment(model="lstm", hidden_size=16, stages=DEFAULT_CURRICULUM, batch_size=32, seed=0,
                              n_test=1000, test_seed=12345, eval_every=100, curve_size=250, clip=1.0,
                              forget_bias=1.0):
    r"""Train a recurrent network (LSTM, Elman, IRNN or GRU) on Hochreiter & Schmidhuber's adding problem.

    Each step of a sequence carries a value in [-1, 1] and a marker; two steps are marked
    (one among the first 10, one before T/2) and the target, read out after the last step,
    is :math:`0.5 + (X_1 + X_2)/4` (:func:`companion.tasks.adding_problem`, ``variant=
    "hochreiter"``). A sequence counts as solved if the absolute error is below 0.04.

    The recurrent layer (H units) is followed by a linear output at the last step
    (``SequenceModel(..., last_step=True)``), trained on the mean squared error with Adam and
    gradient-norm clipping, on fresh random batches, following a curriculum of growing
    sequence lengths (``stages``). Both models get exactly the same data and updates.
    The LSTM's forget-gate bias starts at ``forget_bias`` (Gers et al., 2000, recommend a
    positive value so that the memory is kept at first).

    Parameters
    ----------
    model : {"lstm", "elman", "irnn", "peephole", "gru"}
        See :func:`make_adding_rnn`.
    hidden_size : int, default 16
    stages : sequence of AddingStage
        The curriculum; the last stage's T is the length the result is about.
    batch_size : int, default 32
    seed : int, default 0
        Seeds the initialisation and the training data.
    n_test : int, default 1000
        Held-out sequences per length.
    test_seed : int, default 12345
        Seed of the held-out sets.
    eval_every : int, default 100
        Score held-out sequences of the final length every this many steps (learning curves).
    curve_size : int, default 250
        How many of the held-out sequences the learning curves are scored on (the first ones).
    clip : float, default 1.0
        Maximum global gradient norm.
    forget_bias : float, default 1.0
        Initial forget-gate bias of the LSTM and the peephole LSTM (ignored for the other models).

    Returns
    -------
    AddingResult

    Examples
    --------
    >>> res = adding_problem_experiment("elman", hidden_size=4, stages=[AddingStage(10, 3, 1e-2)], n_test=20)
    >>> res.T, res.step_losses.shape, res.tolerance
    (10, (3,), 0.04)
    """
    if model not in ADDING_MODELS:
        raise ValueError(f"model must be one of {ADDING_MODELS}; got {model!r}")
    H = _check_int(hidden_size, "hidden_size")
    stages = tuple(stages)
    if not stages or not all(isinstance(s, AddingStage) for s in stages):
        raise ValueError("stages must be a non-empty sequence of AddingStage(T, iterations, lr)")
    batch_size = _check_int(batch_size, "batch_size")
    n_test = _check_int(n_test, "n_test")
    eval_every = _check_int(eval_every, "eval_every")
    curve_size = min(_check_int(curve_size, "curve_size"), n_test)
    clip = _check_positive(clip, "clip")

    rng = np.random.default_rng(seed)
    rnn = make_adding_rnn(model, H, seed=rng, forget_bias=forget_bias)
    net = SequenceModel(rnn, Linear(H, 1, seed=rng), last_step=True)
    opt = Adam(net.params, lr=stages[0].lr)
    tests = {T: adding_problem(n_test, T, seed=test_seed + T) for T in sorted({s.T for s in stages})}
    final = tests[stages[-1].T]
    curve_set = _Subset(final.inputs[:, :curve_size], final.targets[:curve_size], final.tolerance)

    step_losses, eval_steps, eval_mse, eval_success = [], [], [], []
    stage_success, stage_mse = [], []
    step = 0
    for stage in stages:
        opt.lr = _check_positive(stage.lr, "stage lr")
        for _ in range(_check_int(stage.iterations, "stage iterations")):
            batch = adding_problem(batch_size, stage.T, seed=rng)
            loss, dpred = mse(net.forward(batch.inputs), batch.targets)
            net.backward(dpred)
            clip_grad_norm(net.grads, clip)
            opt.step(net.grads)
            step_losses.append(loss)
            step += 1
            if step % eval_every == 0:
                success, err = _score(net, curve_set)
                eval_steps.append(step)
                eval_success.append(success)
                eval_mse.append(err)
        success, err = _score(net, tests[stage.T])
        stage_success.append(success)
        stage_mse.append(err)
    success, err = _score(net, final)
    base_err = np.abs(0.5 - final.targets[:, 0])
    return AddingResult(
        model=model,
        hidden_size=H,
        n_params=int(sum(p.size for p in net.params.values())),
        stages=stages,
        stage_success=np.array(stage_success),
        stage_mse=np.array(stage_mse),
        eval_steps=np.array(eval_steps, dtype=int),
        eval_mse=np.array(eval_mse),
        eval_success=np.array(eval_success),
        step_losses=np.array(step_losses),
        success_rate=success,
        test_mse=err,
        baseline_mse=float(np.mean(base_err ** 2)),
        baseline_success=float(np.mean(base_err < final.tolerance)),
        tolerance=float(final.tolerance),
        net=net,
    )


def adding_seed_table(models=(("elman", 16), ("elman", 32)), seeds=(0, 1, 2), **kwargs):
    """Run :func:`adding_problem_experiment` for several models, sizes and seeds.

    Parameters
    ----------
    models : sequence of (str, int)
        ``(model, hidden_size)`` pairs, e.g. ``("elman", 32)``.
    seeds : sequence of int
        Seeds of each run (initialisation and training data; the held-out set is shared).
    **kwargs
        Passed on to :func:`adding_problem_experiment` (``stages``, ``n_test``, ...).

    Returns
    -------
    list of (int, AddingResult)
        ``(seed, result)`` in the order of ``models``, then ``seeds``.

    Examples
    --------
    >>> rows = adding_seed_table([("elman", 3)], seeds=(0, 1), stages=[AddingStage(10, 2, 1e-2)], n_test=20)
    >>> [(seed, r.model, r.hidden_size) for seed, r in rows]
    [(0, 'elman', 3), (1, 'elman', 3)]
    """
    models = tuple(models)
    if not models or not all(isinstance(m, tuple) and len(m) == 2 for m in models):
        raise ValueError(f"models must be a non-empty sequence of (model, hidden_size) pairs; got {models!r}")
    seeds = tuple(_check_int(s, "seed", minimum=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must not be empty")
    return [(seed, adding_problem_experiment(model, hidden_size=H, seed=seed, **kwargs))
            for model, H in models for seed in seeds]


def format_adding_seed_table(rows):
    """One line per run of :func:`adding_seed_table`: model, H, parameters, seed, MSE / baseline, solved.

    Examples
    --------
    >>> rows = adding_seed_table([("elman", 3)], seeds=(0,), stages=[AddingStage(10, 2, 1e-2)], n_test=20)
    >>> print(format_adding_seed_table(rows).splitlines()[0])
    model    H  params  seed  MSE / baseline  solved
    """
    lines = ["model    H  params  seed  MSE / baseline  solved"]
    for seed, r in rows:
        lines.append(f"{r.model:5s}  {r.hidden_size:3d}  {r.n_params:6d}  {seed:4d}  "
                     f"{r.test_mse / r.baseline_mse:14.2f}  {r.success_rate:6.0%}")
    return "\n".join(lines)
