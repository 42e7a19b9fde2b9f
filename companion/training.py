"""The training loop: forward, loss, backward, (clip), step — and a record of what happened.

:func:`train` runs mini-batch gradient descent on any model with ``forward``/``backward``
and ``params``/``grads`` (a :class:`~companion.sequence_model.SequenceModel`, or a bare
recurrent model) and returns a :class:`History` of the losses, gradient norms and optional
evaluation metrics, ready to plot as learning curves. With the same seeds (model init,
data, shuffling) two runs give identical histories.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np

from companion._checks import check_model
from companion._record import forward_state_kept
from companion.optim import clip_grad_norm, grad_norm
from companion.seeding import make_rng

__all__ = ["History", "train", "evaluate"]


@dataclass
class History:
    """What :func:`train` recorded.

    Attributes
    ----------
    step_losses : list of float
        Training loss of every mini-batch, in order (one entry per optimiser step).
    epoch_losses : list of float
        Mean of ``step_losses`` over each epoch.
    grad_norms : list of float
        Global gradient norm of every step, *before* clipping.
    metrics : list
        What ``eval_fn(model)`` returned after each epoch (empty without ``eval_fn``).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> from companion.losses import mse
    >>> from companion.optim import SGD
    >>> x = np.linspace(-1, 1, 8).reshape(8, 1)
    >>> model = Linear(1, 1, seed=0)
    >>> hist = train(model, mse, SGD(model.params, lr=0.1), [(x, 3 * x), (x, 3 * x)], epochs=4, progress=False)
    >>> hist.epochs, len(hist.step_losses), len(hist.grad_norms)
    (4, 8, 8)
    >>> hist.final_loss < hist.epoch_losses[0]
    True
    """

    step_losses: list = field(default_factory=list)
    epoch_losses: list = field(default_factory=list)
    grad_norms: list = field(default_factory=list)
    metrics: list = field(default_factory=list)

    @property
    def epochs(self):
        """Number of completed epochs."""
        return len(self.epoch_losses)

    @property
    def final_loss(self):
        """Mean training loss of the last epoch (NaN before any epoch)."""
        return self.epoch_losses[-1] if self.epoch_losses else math.nan


def _check_optimizer_params(optimizer, model):
    """The optimiser must update the model's own arrays, else training silently changes nothing."""
    held = getattr(optimizer, "params", None)
    if held is None:
        return  # a duck-typed optimiser: nothing to compare
    mine = dict(model.params)
    if set(held) != set(mine) or any(held[k] is not mine[k] for k in mine):
        raise ValueError(
            "optimizer was built on other arrays than model.params (another model, or a copy): "
            "build it with e.g. SGD(model.params, lr=...), so that its steps update this model"
        )


def _unpack(batch, where):
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(f"{where}: each batch must be a tuple (x, targets) or (x, targets, mask); got {type(batch).__name__}")
    return batch[0], batch[1], (batch[2] if len(batch) == 3 else None)


def _outputs(result):
    """The outputs of ``model.forward``: a recurrent model returns ``(out, state)``, keep ``out``."""
    return result[0] if isinstance(result, tuple) else result


def _loss(loss_fn, out, targets, mask):
    result = loss_fn(out, targets) if mask is None else loss_fn(out, targets, mask)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ValueError(
            f"loss_fn must return a pair (loss, dout), like companion.losses.mse; got {type(result).__name__}"
        )
    loss, dout = result
    if isinstance(loss, (bool, np.bool_)) or not (isinstance(loss, numbers.Real) or
                                                   (isinstance(loss, np.ndarray) and loss.ndim == 0
                                                    and loss.dtype.kind in "iuf")):
        got = f"an array of shape {loss.shape}" if isinstance(loss, np.ndarray) else type(loss).__name__
        raise ValueError(f"loss_fn must return (loss, dout) with loss a real number (a scalar), like "
                         f"companion.losses.mse; got {got}")
    return float(loss), dout


def _metric(metric_fn, out, targets, mask):
    return metric_fn(out, targets) if mask is None else metric_fn(out, targets, mask)


def _check_iterable(items, what):
    if items is None or isinstance(items, (str, bytes)) or not hasattr(items, "__iter__"):
        raise ValueError(
            f"{what} must be a list of (x, targets) or (x, targets, mask) tuples; got {type(items).__name__}"
        )


def _as_list(items, what):
    _check_iterable(items, what)
    return list(items)


def _epoch_batches(batches, epoch, rng, shuffle):
    if callable(batches):
        items = _as_list(batches(epoch), f"batches({epoch})")
    else:
        items = _as_list(batches, "batches")
    if not items:
        raise ValueError("batches is empty: nothing to train on")
    if shuffle:
        items = [items[i] for i in rng.permutation(len(items))]
    return items


def _progress_bar(progress, total, desc):
    """A tqdm bar if wanted and tqdm is installed, else None (tqdm is optional)."""
    if not progress:
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety: train without it
        return None
    return tqdm(total=total, desc=desc, unit="epoch", leave=False)


def train(model, loss_fn, optimizer, batches, epochs=1, clip=None, progress=True, shuffle=False, seed=None,
          eval_fn=None, desc="training"):
    """Train ``model`` by mini-batch gradient descent.

    Each step: ``out = model.forward(x)``; ``loss, dout = loss_fn(out, targets[, mask])``;
    ``model.backward(dout)``; optionally ``clip_grad_norm(model.grads, clip)``;
    ``optimizer.step(model.grads)``. Every sequence starts from the zero state.

    Parameters
    ----------
    model : SequenceModel or a recurrent model
        Anything with ``forward(x)``, ``backward(dout)`` and a ``grads`` mapping. If ``forward``
        returns a tuple ``(out, state)`` (a bare ``ElmanRNN``, ``LSTM`` or ``JordanRNN``), the
        loss is computed on ``out``; e.g. a ``JordanRNN`` trains on its outputs ``y`` directly.
    loss_fn : callable
        ``loss_fn(out, targets) -> (loss, dout)``, or ``loss_fn(out, targets, mask)`` for
        batches with a mask, e.g. :func:`companion.losses.softmax_cross_entropy` or
        :func:`companion.losses.mse`.
    optimizer : SGD or Adam
        Built on ``model.params``; its ``step(grads)`` updates them in place.
    batches : sequence of tuples, or callable
        A list of ``(x, targets)`` or ``(x, targets, mask)`` tuples, reused every epoch, or a
        function ``batches(epoch) -> iterable of tuples`` to draw fresh data each epoch (epochs
        count from 0). A one-shot iterator (e.g. a generator) is rejected: it would be empty
        after the first epoch.
    epochs : int, default 1
    clip : float, optional
        If given, clip the global gradient norm to this value before each step.
    progress : bool, default True
        Show a tqdm progress bar over epochs (with the latest mean loss) if tqdm is installed;
        silently none otherwise.
    shuffle : bool, default False
        Visit the batches in a new random order every epoch (drawn from ``seed``).
    seed : int, numpy.random.Generator or None
        Seed of the shuffling. Together with the model's and the data's seeds it makes a run
        reproducible.
    eval_fn : callable, optional
        ``eval_fn(model)`` called after every epoch; its results go to ``History.metrics``
        (e.g. held-out accuracy).
    desc : str, default "training"
        Label of the progress bar.

    Returns
    -------
    History

    Raises
    ------
    ValueError
        Bad arguments, a malformed batch, or a loss that is NaN/inf (the run diverged).

    Examples
    --------
    Fit ``y = 2x`` with a single linear unit (any model with the same interface trains the
    same way):

    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> from companion.losses import mse
    >>> from companion.optim import SGD
    >>> from companion.training import train
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=(32, 1))
    >>> model = Linear(1, 1, seed=0)
    >>> hist = train(model, mse, SGD(model.params, lr=0.1), [(x, 2 * x)], epochs=100, progress=False)
    >>> hist.epoch_losses[0] > 1.0 > 1e-3 > hist.final_loss
    True
    >>> round(float(model.params["weight"][0, 0]), 3)
    2.0
    """
    check_model(model)
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be an integer >= 1; got {epochs!r}")
    if clip is not None and (isinstance(clip, (bool, np.bool_)) or not isinstance(clip, numbers.Real)
                             or not (0 < clip < math.inf)):
        raise ValueError(f"clip must be None or a finite number > 0; got {clip!r}")
    if not callable(loss_fn):
        raise ValueError("loss_fn must be callable: loss_fn(out, targets[, mask]) -> (loss, dout)")
    if not callable(getattr(optimizer, "step", None)):
        raise ValueError("optimizer must have a step(grads) method (companion.optim.SGD or Adam)")
    _check_optimizer_params(optimizer, model)
    if eval_fn is not None and not callable(eval_fn):
        raise ValueError(f"eval_fn must be None or a function model -> metric; got {type(eval_fn).__name__}")
    if not callable(batches):
        _check_iterable(batches, "batches")
        if iter(batches) is batches:
            raise ValueError(
                "batches is a one-shot iterator (e.g. a generator); pass a list of batches or a "
                "function epoch -> batches"
            )
    rng = make_rng(seed)
    history = History()
    bar = _progress_bar(progress, int(epochs), desc)
    try:
        for epoch in range(int(epochs)):
            items = _epoch_batches(batches, epoch, rng, shuffle)
            epoch_losses = []
            for i, batch in enumerate(items):
                x, targets, mask = _unpack(batch, f"epoch {epoch}, batch {i}")
                out = _outputs(model.forward(x))
                loss, dout = _loss(loss_fn, out, targets, mask)
                loss = float(loss)
                if not math.isfinite(loss):
                    raise ValueError(
                        f"the loss is {loss} at epoch {epoch}, batch {i}: training diverged "
                        "(lower the learning rate or pass clip=...)"
                    )
                model.backward(dout)
                grads = model.grads
                norm = clip_grad_norm(grads, clip) if clip is not None else grad_norm(grads)
                optimizer.step(grads)
                history.step_losses.append(loss)
                history.grad_norms.append(norm)
                epoch_losses.append(loss)
            history.epoch_losses.append(float(np.mean(epoch_losses)))
            if eval_fn is not None:
                history.metrics.append(eval_fn(model))
            if bar is not None:
                bar.set_postfix(loss=f"{history.epoch_losses[-1]:.4g}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return history


def evaluate(model, loss_fn, batches, metric_fn=None):
    """Mean loss (and optionally a metric) of ``model`` over ``batches``, without updating it.

    Parameters
    ----------
    model : SequenceModel or a recurrent model
    loss_fn : callable
        As in :func:`train`.
    batches : sequence of tuples ``(x, targets)`` or ``(x, targets, mask)``
    metric_fn : callable, optional
        ``metric_fn(out, targets[, mask]) -> float``, e.g. :func:`companion.losses.accuracy`.

    Returns
    -------
    float or (float, float)
        The batch-size-weighted mean loss, or ``(loss, metric)`` if ``metric_fn`` is given
        (both averaged over batches with weights = number of counted positions).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> from companion.losses import mse
    >>> from companion.training import evaluate
    >>> model = Linear(1, 1, seed=0)
    >>> model.params["weight"][:] = 2.0; model.params["bias"][:] = 0.0
    >>> x = np.arange(4.0).reshape(4, 1)
    >>> evaluate(model, mse, [(x, 2 * x), (x, 2 * x + 1)])
    0.5
    """
    check_model(model)
    if not callable(loss_fn):
        raise ValueError("loss_fn must be callable: loss_fn(out, targets[, mask]) -> (loss, dout)")
    if metric_fn is not None and not callable(metric_fn):
        raise ValueError(f"metric_fn must be None or callable: metric_fn(out, targets[, mask]) -> float; "
                         f"got {type(metric_fn).__name__}")
    items = _as_list(batches, "batches")
    if not items:
        raise ValueError("batches is empty: nothing to evaluate")
    total_loss = total_metric = total_w = 0.0
    for i, batch in enumerate(items):
        x, targets, mask = _unpack(batch, f"batch {i}")
        with forward_state_kept(model, *(getattr(model, part, None) for part in ("rnn", "head"))):
            out = _outputs(model.forward(x))
        loss, _ = _loss(loss_fn, out, targets, mask)
        w = float(np.size(targets) if mask is None else np.count_nonzero(mask))
        total_loss += float(loss) * w
        if metric_fn is not None:
            total_metric += float(_metric(metric_fn, out, targets, mask)) * w
        total_w += w
    if metric_fn is None:
        return total_loss / total_w
    return total_loss / total_w, total_metric / total_w
