r"""The LSTM's variants measured side by side: tanh RNN, IRNN, LSTM, peephole LSTM and GRU.

Everything the chapter ``book/lstm_variants.ipynb`` prints or plots about the variants comes from here:

* :func:`gradient_flow` — how much the output read after the last step depends on the input of each
  earlier step, :math:`\|\partial \hat y / \partial x_t\|` (mean over sequences), computed with the
  models' own backpropagation through time; at initialisation (:func:`flow_at_init`, cheap) and after
  training on the adding problem (stored with the runs);
* :func:`run_variant` — one model trained on Hochreiter & Schmidhuber's adding problem with the
  protocol of the classic-experiments chapter (:func:`~companion.experiments.classics.adding_problem_experiment`):
  the same curriculum, optimiser, clipping and budget for every model; :data:`CONFIGS` lists the models
  (H = 16, plus two size-matched controls with about as many parameters as the LSTM), run at T = 50 and
  T = 100 over three seeds;
* :func:`parity_run` — the running-parity task of the Elman/Jordan chapter, for every variant.

The adding-problem runs take minutes, too long for the chapter, so their results are stored in the
generated module ``companion.experiments._variants_results``, written by ``python -m
companion.experiments.variants``; ``tests/test_experiments_variants.py`` reruns some of them and checks
that they reproduce the stored numbers. The IRNN's runs reproduce only on a machine that rounds as the one
that stored them: its training is chaotic (unbounded ReLU units, identity recurrence), so the last bit of a
product, which differs between CPUs and BLAS kernels, grows until the number of solved sequences shows it.
The other models' runs are stable.
"""
from __future__ import annotations

import argparse
import pprint
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from companion.experiments.classics import (
    DEFAULT_CURRICULUM,
    AddingStage,
    adding_problem_experiment,
    make_adding_rnn,
    single_threaded_blas,
)
from companion.experiments.elman_jordan import running_parity
from companion.gru import gru_step_forward
from companion.activations import sigmoid
from companion.layers import Linear
from companion.losses import mse
from companion.optim import Adam
from companion.sequence_model import SequenceModel
from companion.tasks import adding_problem
from companion.training import train

__all__ = [
    "MODELS",
    "LABELS",
    "HIDDEN_SIZE",
    "CONFIGS",
    "CURRICULA",
    "SEEDS",
    "FLOW_T",
    "VariantRun",
    "label",
    "count_parameters",
    "gradient_flow",
    "flow_probe",
    "adding_net",
    "flow_at_init",
    "run_variant",
    "run_all",
    "load_results",
    "format_adding_table",
    "adding_baseline",
    "cho_gru_step",
    "swapped_update_step",
    "check_cho_step",
    "ParityRun",
    "parity_run",
    "format_parity_table",
]

#: The variants compared, in the chapter's order (keys of :func:`companion.experiments.classics.make_adding_rnn`).
MODELS = ("elman", "irnn", "lstm", "peephole", "gru")
#: How the chapter names them.
LABELS = {"elman": "tanh RNN", "irnn": "IRNN", "lstm": "LSTM", "peephole": "peephole LSTM", "gru": "GRU"}
#: Hidden units of every variant in the main comparison (the classic-experiments chapter's choice).
HIDDEN_SIZE = 16
#: ``(model, hidden_size)`` of the adding-problem runs: every variant at H = 16, then the size-matched
#: controls, a tanh RNN and a GRU with about as many parameters as the LSTM at H = 16.
CONFIGS = tuple((m, HIDDEN_SIZE) for m in MODELS) + (("elman", 34), ("gru", 19))
#: Curriculum per final length: the classic chapter's for T = 100, and one of the same 1,600 Adam steps
#: ending at T = 50.
CURRICULA = {
    50: (AddingStage(10, 400, 1e-2), AddingStage(20, 200, 1e-2), AddingStage(50, 500, 5e-3),
         AddingStage(50, 500, 1e-3)),
    100: DEFAULT_CURRICULUM,
}
SEEDS = (0, 1, 2)
#: Length of the gradient-flow probe (the longer adding problem).
FLOW_T = 100
_PROBE_SEED = 777


def label(model, hidden_size=HIDDEN_SIZE):
    """The chapter's name of a configuration, e.g. ``"GRU"`` or ``"GRU, H = 19"``.

    Examples
    --------
    >>> label("irnn"), label("elman", 34)
    ('IRNN', 'tanh RNN, H = 34')
    """
    if model not in LABELS:
        raise ValueError(f"model must be one of {tuple(LABELS)}; got {model!r}")
    return LABELS[model] if hidden_size == HIDDEN_SIZE else f"{LABELS[model]}, H = {hidden_size}"


def count_parameters(model, hidden_size, input_size=2, output_size=1):
    """Trained parameters of ``model`` with a linear output layer (recurrent layer + output layer).

    Examples
    --------
    >>> [count_parameters(m, 16) for m in MODELS]
    [337, 337, 1297, 1345, 977]
    """
    rnn = make_adding_rnn(model, hidden_size, seed=0, input_size=input_size)
    return int(sum(p.size for p in rnn.params.values())) + hidden_size * output_size + output_size


def flow_probe(T=FLOW_T, n=100):
    """The fixed held-out sequences the gradient flow is measured on (``adding_problem(n, T, seed=777)``)."""
    return adding_problem(n, T, seed=_PROBE_SEED)


def gradient_flow(net, x):
    r"""Norm of the gradient of the output with respect to the input of every step.

    For a :class:`~companion.sequence_model.SequenceModel` that reads its output :math:`\hat y` after the last
    step (``last_step=True``), backpropagation through time from :math:`\hat y` gives
    :math:`\partial \hat y / \partial x_t` for every step t: how much the output still depends on what the
    network saw t steps before the end. Each sequence's output is differentiated on its own (``dy = 1``).

    Parameters
    ----------
    net : SequenceModel
        With ``last_step=True`` and one output.
    x : ndarray, (T, B, D)

    Returns
    -------
    ndarray, (T,)
        :math:`\|\partial \hat y / \partial x_t\|` averaged over the B sequences, in time order.

    Examples
    --------
    >>> from companion.elman import ElmanRNN
    >>> net = SequenceModel(ElmanRNN(2, 3, seed=0), Linear(3, 1, seed=0), last_step=True)
    >>> gradient_flow(net, np.ones((5, 4, 2))).shape
    (5,)
    """
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"x must have shape (T, B, D); got shape {x.shape}")
    y = net.forward(x)
    if y.shape != (x.shape[1], 1):
        raise ValueError(f"net must output one value per sequence, shape (B, 1); got shape {y.shape}")
    dx = net.backward(np.ones_like(y))  # (T, B, D)
    return np.linalg.norm(dx, axis=2).mean(axis=1)


def adding_net(model, hidden_size, seed):
    """The untrained network exactly as :func:`~companion.experiments.classics.adding_problem_experiment` builds it.

    Examples
    --------
    >>> adding_net("gru", 4, seed=0).rnn
    GRU(2, 4)
    """
    rng = np.random.default_rng(seed)
    rnn = make_adding_rnn(model, hidden_size, seed=rng)
    return SequenceModel(rnn, Linear(hidden_size, 1, seed=rng), last_step=True)


def flow_at_init(model, hidden_size=HIDDEN_SIZE, seed=0, T=FLOW_T):
    """:func:`gradient_flow` of the untrained network of ``model`` (the start of the run with ``seed``).

    Examples
    --------
    >>> flow = flow_at_init("lstm", T=20)
    >>> flow.shape, bool(flow[-1] > flow[0])
    ((20,), True)
    """
    return gradient_flow(adding_net(model, hidden_size, seed), flow_probe(T).inputs)


@dataclass(frozen=True)
class VariantRun:
    """One model trained on the adding problem (a row of the stored results).

    Attributes
    ----------
    model : str
    hidden_size, T, seed, n_params : int
    success_rate : float
        Held-out sequences of length T solved (absolute error < 0.04).
    test_mse, baseline_mse : float
        Held-out MSE, and that of always answering 0.5 on the same sequences.
    flow : tuple of float or None
        :func:`gradient_flow` of the trained network on :func:`flow_probe` (runs at ``FLOW_T`` only).
    """

    model: str
    hidden_size: int
    T: int
    seed: int
    n_params: int
    success_rate: float
    test_mse: float
    baseline_mse: float
    flow: tuple | None = None

    @property
    def label(self):
        """The chapter's name of the configuration."""
        return label(self.model, self.hidden_size)


def run_variant(model, hidden_size, T, seed, flow=False):
    """Train ``model`` on the adding problem of length ``T`` with the curriculum ``CURRICULA[T]``.

    Parameters
    ----------
    model : str
        One of :data:`MODELS`.
    hidden_size, T, seed : int
        ``T`` must be a key of :data:`CURRICULA`.
    flow : bool, default False
        Also measure the trained network's :func:`gradient_flow` on :func:`flow_probe`.

    Returns
    -------
    VariantRun
    """
    if T not in CURRICULA:
        raise ValueError(f"T must be one of {tuple(CURRICULA)}; got {T!r}")
    res = adding_problem_experiment(model, hidden_size=hidden_size, stages=CURRICULA[T], seed=seed)
    curve = None
    if flow:
        with single_threaded_blas():
            curve = tuple(float(v) for v in gradient_flow(res.net, flow_probe().inputs))
    return VariantRun(model, hidden_size, T, seed, res.n_params, res.success_rate, res.test_mse,
                      res.baseline_mse, curve)


def run_all(configs=CONFIGS, Ts=tuple(CURRICULA), seeds=SEEDS, progress=False):
    """:func:`run_variant` for every configuration, length and seed; the flow for seed 0 at ``FLOW_T``."""
    runs = []
    for model, H in configs:
        for T in Ts:
            for seed in seeds:
                runs.append(run_variant(model, H, T, seed, flow=(T == FLOW_T and seed == SEEDS[0])))
                if progress:
                    r = runs[-1]
                    print(f"{r.label:22s} T = {T:3d} seed {seed}: solved {r.success_rate:.1%}", flush=True)
    return runs


def load_results():
    """The stored adding-problem runs (see the module docstring), as a list of :class:`VariantRun`."""
    from companion.experiments import _variants_results as stored

    return [VariantRun(**row) for row in stored.RUNS]


def _write_results(runs, path):
    curricula = {T: [(s.T, s.iterations, s.lr) for s in stages] for T, stages in CURRICULA.items()}
    rows = [asdict(r) for r in runs]
    text = (
        '"""Stored results of the adding-problem runs of companion.experiments.variants (GENERATED).\n\n'
        "Do not edit: regenerate with ``python -m companion.experiments.variants``.\n"
        'tests/test_experiments_variants.py checks that rerunning some of them reproduces these numbers.\n"""\n'
        f"CONFIGS = {CONFIGS!r}\n"
        f"SEEDS = {SEEDS!r}\n"
        f"CURRICULA = {curricula!r}  # T -> [(T, Adam steps, learning rate), ...]\n"
        f"RUNS = {pprint.pformat(rows, width=110, compact=True, sort_dicts=False)}\n"
    )
    Path(path).write_text(text, encoding="utf-8")


def adding_baseline(T, n_test=1000, test_seed=12345):
    """MSE and share solved of always answering 0.5, on the held-out set the runs of length ``T`` are scored on.

    The defaults are those of :func:`~companion.experiments.classics.adding_problem_experiment`, whose held-out
    set of length T is ``adding_problem(n_test, T, seed=test_seed + T)``.

    Returns
    -------
    mse, solved : float

    Examples
    --------
    >>> mse, solved = adding_baseline(50)
    >>> round(mse, 4), solved < 0.25
    (0.0426, True)
    """
    data = adding_problem(n_test, T, seed=test_seed + T)
    err = np.abs(0.5 - data.targets[:, 0])
    return float(np.mean(err ** 2)), float(np.mean(err < data.tolerance))


def format_adding_table(runs):
    """One line per configuration and length: parameters, held-out MSE / baseline and solved per seed.

    Percentages are rounded to whole numbers and ratios to three decimals, so every machine prints the same.

    Examples
    --------
    >>> runs = [VariantRun("gru", 16, 50, s, 977, 0.5 + s / 10, 0.01, 0.04) for s in (0, 1)]
    >>> print(format_adding_table(runs))
    model              params    T   MSE / baseline   solved per seed
    GRU                   977   50    0.250 - 0.250   50%  60%
    """
    lines = [f"{'model':18s} {'params':>6s} {'T':>4s}   MSE / baseline   solved per seed"]
    keys = list(dict.fromkeys((r.model, r.hidden_size, r.T) for r in runs))
    for model, H, T in keys:
        group = [r for r in runs if (r.model, r.hidden_size, r.T) == (model, H, T)]
        ratios = [r.test_mse / r.baseline_mse for r in group]
        solved = "  ".join(f"{r.success_rate:4.0%}" for r in group)
        lines.append(f"{label(model, H):18s} {group[0].n_params:6d} {T:4d}   {min(ratios):6.3f} - {max(ratios):5.3f}   "
                     f"{solved}")
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ conventions
def cho_gru_step(x_t, h_prev, W, U, b_ih, b_hh):
    r"""One GRU step with the reset gate where Cho et al. (2014) put it: before the recurrent product.

    :math:`n = \tanh(W_n x_t + b_{in} + U_n (r \odot h_{t-1}) + b_{hn})`; everything else as in
    :func:`companion.gru.gru_step_forward` (same arguments, PyTorch's r, z, n blocks). Not what
    :class:`companion.gru.GRU` computes: the chapter compares the two.

    Returns
    -------
    h_t : ndarray, (B, H)

    Examples
    --------
    With a zero state the two placements differ only by the reset gate on ``b_hn``:

    >>> rng = np.random.default_rng(0)
    >>> args = (rng.normal(size=(1, 2)), np.zeros((1, 3)), rng.normal(size=(9, 2)), rng.normal(size=(9, 3)),
    ...         np.zeros(9), np.zeros(9))
    >>> bool(np.allclose(cho_gru_step(*args), gru_step_forward(*args)[0]))
    True
    """
    _, cache = gru_step_forward(x_t, h_prev, W, U, b_ih, b_hh)  # checks the arguments; r and z are shared
    H = cache.h_prev.shape[1]
    n = np.tanh(cache.x_t @ cache.W[2 * H:].T + b_ih[2 * H:] + (cache.r * cache.h_prev) @ cache.U[2 * H:].T
                + b_hh[2 * H:])
    return (1.0 - cache.z) * n + cache.z * cache.h_prev


def swapped_update_step(x_t, h_prev, W, U, b_ih, b_hh):
    r"""One GRU step in the other common convention, :math:`h_t = z\,n + (1 - z)\,h_{t-1}`.

    Examples
    --------
    Negating the z block of every weight and bias turns one convention into the other,
    since :math:`\sigma(-a) = 1 - \sigma(a)`:

    >>> rng = np.random.default_rng(0)
    >>> args = [rng.normal(size=s) for s in ((2, 2), (2, 3), (9, 2), (9, 3), (9,), (9,))]
    >>> flipped = [a.copy() for a in args]
    >>> for a in flipped[2:]:
    ...     a[3:6] *= -1
    >>> bool(np.allclose(swapped_update_step(*flipped), gru_step_forward(*args)[0]))
    True
    """
    _, cache = gru_step_forward(x_t, h_prev, W, U, b_ih, b_hh)
    return cache.z * cache.n + (1.0 - cache.z) * cache.h_prev


def check_cho_step(fn, seed=0):
    """Check a learner's Cho-style GRU step ``fn(x_t, h_prev, W, U, b_ih, b_hh) -> h_t`` (the chapter's exercise).

    Returns
    -------
    str
        ``"correct: ..."`` or ``"not yet: ..."`` with a hint.

    Examples
    --------
    >>> check_cho_step(cho_gru_step)
    'correct: your step is the GRU of Cho et al. (2014), with the reset gate before the product'
    >>> check_cho_step(lambda *args: gru_step_forward(*args)[0])[:8]
    'not yet:'
    >>> check_cho_step(None)
    'not yet: pass your function, fn(x_t, h_prev, W, U, b_ih, b_hh) -> h_t'
    """
    if not callable(fn):
        return "not yet: pass your function, fn(x_t, h_prev, W, U, b_ih, b_hh) -> h_t"
    rng = np.random.default_rng(seed)
    B, D, H = 3, 2, 4
    args = (rng.normal(size=(B, D)), rng.normal(size=(B, H)), rng.normal(size=(3 * H, D)),
            rng.normal(size=(3 * H, H)), rng.normal(size=3 * H), rng.normal(size=3 * H))
    expected = cho_gru_step(*args)
    got = np.asarray(fn(*args), dtype=float)
    if got.shape != expected.shape:
        return f"not yet: h_t should have shape (B, H) = {expected.shape}; got {got.shape}"
    if np.allclose(got, expected, rtol=1e-9, atol=1e-12):
        return "correct: your step is the GRU of Cho et al. (2014), with the reset gate before the product"
    if np.allclose(got, gru_step_forward(*args)[0], rtol=1e-9, atol=1e-12):
        return "not yet: this is PyTorch's GRU (reset after the product); apply r to h_prev before multiplying by U_n"
    if np.allclose(got, swapped_update_step(*args), rtol=1e-9, atol=1e-12):
        return "not yet: z and 1 - z are swapped; h_t = (1 - z) n + z h_prev"
    return f"not yet: largest difference from the reference {np.max(np.abs(got - expected)):.3g}"


# ------------------------------------------------------------------- running parity (Elman/Jordan chapter)
@dataclass(frozen=True)
class ParityRun:
    """One variant trained on the running-parity task of the Elman/Jordan chapter."""

    model: str
    seed: int
    n_params: int
    test_accuracy: float
    test_mse: float


def parity_run(model, seed=0, steps=400, batch_size=32, T=20, hidden_size=8, lr=0.01, test_size=500):
    """Train ``model`` (one of :data:`MODELS`) on running parity with the Elman/Jordan chapter's protocol.

    The target at step t is the parity of the bits so far (:func:`companion.experiments.elman_jordan.running_parity`);
    a linear output at every step, MSE on the 0/1 targets, Adam with the gradient norm clipped to 1, one pass over
    ``steps`` fresh mini-batches (data seed ``1000 + seed``), scored on 500 held-out sequences (seed 99): the
    fraction of steps whose output, rounded, is the right bit.

    Examples
    --------
    >>> r = parity_run("gru", steps=2)
    >>> r.model, 0.0 <= r.test_accuracy <= 1.0
    ('gru', True)
    """
    x, y = running_parity(batch_size * steps, T, seed=1000 + seed)
    rng = np.random.default_rng(seed)
    rnn = make_adding_rnn(model, hidden_size, seed=rng, input_size=1)
    net = SequenceModel(rnn, Linear(hidden_size, 1, seed=rng))
    batches = [(x[:, i * batch_size:(i + 1) * batch_size], y[:, i * batch_size:(i + 1) * batch_size])
               for i in range(steps)]
    with single_threaded_blas():
        train(net, mse, Adam(net.params, lr=lr), batches, epochs=1, clip=1.0, progress=False)
        x_test, y_test = running_parity(test_size, T, seed=99)
        out = net.forward(x_test)
    return ParityRun(model, seed, int(sum(p.size for p in net.params.values())),
                     float(np.mean((out > 0.5) == (y_test > 0.5))), float(np.mean((out - y_test) ** 2)))


def format_parity_table(runs):
    """Accuracy per variant and seed, whole percent.

    Examples
    --------
    >>> print(format_parity_table([ParityRun("lstm", 0, 337, 0.5, 0.25)]))
    model          params   accuracy per seed
    LSTM              337   50%
    """
    lines = [f"{'model':14s} {'params':>6s}   accuracy per seed"]
    for model in dict.fromkeys(r.model for r in runs):
        group = [r for r in runs if r.model == model]
        lines.append(f"{LABELS[model]:14s} {group[0].n_params:6d}   " + "  ".join(f"{r.test_accuracy:4.0%}" for r in group))
    return "\n".join(lines)


def main(argv=None):
    """Regenerate ``companion.experiments._variants_results`` (a few minutes)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--out", default=str(Path(__file__).with_name("_variants_results.py")))
    parser.add_argument("--only", nargs="+", choices=MODELS, metavar="MODEL",
                        help="rerun only these models and keep the stored runs of the others (each run is "
                             "independent and deterministic, so the file is the same as a full regeneration)")
    args = parser.parse_args(argv)
    if args.only:
        kept = {(r.model, r.hidden_size, r.T, r.seed): r for r in load_results() if r.model not in args.only}
        fresh = run_all(configs=[c for c in CONFIGS if c[0] in args.only], progress=True)
        kept.update({(r.model, r.hidden_size, r.T, r.seed): r for r in fresh})
        runs = [kept[m, H, T, s] for m, H in CONFIGS for T in CURRICULA for s in SEEDS]
    else:
        runs = run_all(progress=True)
    _write_results(runs, args.out)
    print(f"wrote {len(runs)} runs to {args.out}")


if __name__ == "__main__":
    main()
