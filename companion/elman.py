r"""The Elman network (simple recurrent network) with backpropagation through time.

One step, with the chapters' symbols and PyTorch's weight layout
(``W`` = ``weight_ih`` (H, D), ``U`` = ``weight_hh`` (H, H)):

.. math::

    h_t = \tanh(x_t W^\top + h_{t-1} U^\top + b)

Its chain rule, with :math:`\delta_t = \partial L / \partial h_t \odot \tanh'`:
:math:`\partial x_t = \delta_t W`, :math:`\partial h_{t-1} = \delta_t U`,
:math:`\partial W = \delta_t^\top x_t`, :math:`\partial U = \delta_t^\top h_{t-1}`,
:math:`\partial b = \sum_B \delta_t`.

:func:`elman_step_forward` / :func:`elman_step_backward` are the step pair used in the
chapters and assignments; :class:`ElmanRNN` runs whole sequences (stacked, bidirectional)
like ``torch.nn.RNN``, with the input projection of all steps done as one matrix product.

Examples
--------
>>> import numpy as np
>>> from companion.elman import ElmanRNN
>>> rnn = ElmanRNN(input_size=3, hidden_size=4, seed=0)
>>> x = np.ones((5, 2, 3))               # (T, B, D)
>>> out, h_n = rnn.forward(x)
>>> out.shape, h_n.shape
((5, 2, 4), (1, 2, 4))
>>> dx = rnn.backward(np.ones_like(out))
>>> dx.shape, rnn.grads["weight_hh_l0"].shape
((5, 2, 3), (4, 4))
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion._checks import check_array, check_cache, check_choice
from companion.activations import get_activation
from companion.recurrent import StackedRecurrent, time_chunks, time_indices

__all__ = ["ElmanStepCache", "ElmanStepGrads", "elman_step_forward", "elman_step_backward", "ElmanRNN"]

_NONLINEARITIES = ("tanh", "relu")
_INITS = ("uniform", "identity")


class ElmanStepCache(NamedTuple):
    """What :func:`elman_step_backward` needs from one forward step.

    Attributes
    ----------
    x_t : ndarray, (B, D)
    h_prev : ndarray, (B, H)
    W : ndarray, (H, D)
    U : ndarray, (H, H)
    h_t : ndarray, (B, H)
    nonlinearity : str

    Examples
    --------
    >>> import numpy as np
    >>> from companion.elman import elman_step_forward
    >>> x, h0 = np.ones((1, 2)), np.zeros((1, 3))
    >>> h, cache = elman_step_forward(x, h0, np.full((3, 2), 0.1), np.eye(3), np.zeros(3))
    >>> cache.x_t.shape, cache.h_t.shape, cache.nonlinearity
    ((1, 2), (1, 3), 'tanh')
    """

    x_t: np.ndarray
    h_prev: np.ndarray
    W: np.ndarray
    U: np.ndarray
    h_t: np.ndarray
    nonlinearity: str


class ElmanStepGrads(NamedTuple):
    """Gradients of one Elman step.

    Attributes
    ----------
    dx_t : ndarray, (B, D)
    dh_prev : ndarray, (B, H)
    dW : ndarray, (H, D)
    dU : ndarray, (H, H)
    db : ndarray, (H,)

    Examples
    --------
    >>> import numpy as np
    >>> from companion.elman import elman_step_backward, elman_step_forward
    >>> h, cache = elman_step_forward(np.ones((1, 2)), np.zeros((1, 3)), np.full((3, 2), 0.1), np.eye(3), np.zeros(3))
    >>> grads = elman_step_backward(np.ones((1, 3)), cache)
    >>> grads.dx_t.shape, grads.dW.shape, grads.db.shape
    ((1, 2), (3, 2), (3,))
    """

    dx_t: np.ndarray
    dh_prev: np.ndarray
    dW: np.ndarray
    dU: np.ndarray
    db: np.ndarray


def _check_step_args(x_t, h_prev, W, U, b, G=1):
    W = check_array(W, "W", (None, None), ("G*H", "D"))
    dtype = W.dtype
    GH, D = W.shape
    if GH % G:
        raise ValueError(f"W must have shape ({G}*H, D); got shape {W.shape}")
    H = GH // G
    x_t = check_array(x_t, "x_t", (None, D), ("B", "D"), dtype=dtype)
    B = x_t.shape[0]
    h_prev = check_array(h_prev, "h_prev", (B, H), ("B", "H"), dtype=dtype)
    U = check_array(U, "U", (GH, H), ("G*H" if G > 1 else "H", "H"), dtype=dtype)
    b = check_array(b, "b", (GH,), ("G*H" if G > 1 else "H",), dtype=dtype)
    return x_t, h_prev, W, U, b


def elman_step_forward(x_t, h_prev, W, U, b, nonlinearity="tanh"):
    r"""One Elman step: :math:`h_t = \tanh(x_t W^\top + h_{t-1} U^\top + b)`.

    Parameters
    ----------
    x_t : ndarray, (B, D)
        Input at step t.
    h_prev : ndarray, (B, H)
        Hidden state :math:`h_{t-1}` (the context units).
    W : ndarray, (H, D)
        Input weights (PyTorch's ``weight_ih``).
    U : ndarray, (H, H)
        Recurrent weights (``weight_hh``).
    b : ndarray, (H,)
        Bias (PyTorch's ``bias_ih + bias_hh``).
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    h_t : ndarray, (B, H)
    cache : ElmanStepCache

    Examples
    --------
    >>> import numpy as np
    >>> W, U, b = np.eye(2), 0.5 * np.eye(2), np.zeros(2)
    >>> h, cache = elman_step_forward(np.array([[1.0, -1.0]]), np.zeros((1, 2)), W, U, b)
    >>> np.round(h, 4)
    array([[ 0.7616, -0.7616]])
    """
    check_choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
    x_t, h_prev, W, U, b = _check_step_args(x_t, h_prev, W, U, b)
    f = get_activation(nonlinearity).forward
    h_t = f(x_t @ W.T + h_prev @ U.T + b)  # (B, H)
    return h_t, ElmanStepCache(x_t, h_prev, W, U, h_t, nonlinearity)


def elman_step_backward(dh_t, cache):
    """Backward of :func:`elman_step_forward`.

    Parameters
    ----------
    dh_t : ndarray, (B, H)
        Gradient of the loss with respect to :math:`h_t` (from the output at t and from step t+1).
    cache : ElmanStepCache

    Returns
    -------
    ElmanStepGrads
        ``(dx_t, dh_prev, dW, dU, db)``.

    Examples
    --------
    >>> import numpy as np
    >>> W, U, b = np.eye(2), 0.5 * np.eye(2), np.zeros(2)
    >>> h, cache = elman_step_forward(np.array([[1.0, -1.0]]), np.zeros((1, 2)), W, U, b)
    >>> grads = elman_step_backward(np.ones((1, 2)), cache)
    >>> np.round(grads.dx_t, 4)
    array([[0.42, 0.42]])
    """
    check_cache(cache, ElmanStepCache, "elman_step_forward")
    dh_t = check_array(dh_t, "dh_t", cache.h_t.shape, ("B", "H"), dtype=cache.h_t.dtype)
    act = get_activation(cache.nonlinearity)
    dh_raw = dh_t * act.derivative_from_output(cache.h_t)  # (B, H): 1 - h_t**2 for tanh
    return ElmanStepGrads(
        dx_t=dh_raw @ cache.W,  # (B, D)
        dh_prev=dh_raw @ cache.U,  # (B, H)
        dW=dh_raw.T @ cache.x_t,  # (H, D)
        dU=dh_raw.T @ cache.h_prev,  # (H, H)
        db=dh_raw.sum(axis=0),  # (H,)
    )


class _ElmanDirectionCache(NamedTuple):
    X: np.ndarray  # (T, B, In) layer input
    hist: np.ndarray  # (T+1, B, H) initial state and the T hidden states
    W: np.ndarray
    U: np.ndarray
    reverse: bool


class ElmanRNN(StackedRecurrent):
    r"""Elman network over whole sequences, a numpy twin of ``torch.nn.RNN``.

    Each layer and direction runs :math:`h_t = \tanh(x_t W^\top + h_{t-1} U^\top + b)`;
    with ``num_layers > 1`` layer k reads the outputs of layer k - 1; with
    ``bidirectional=True`` a second recurrence runs from the last step to the first.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    num_layers : int, default 1
    bidirectional : bool, default False
    batch_first : bool, default False
        x and out are (B, T, .) instead of (T, B, .).
    nonlinearity : {"tanh", "relu"}
    init : {"uniform", "identity"}, default "uniform"
        ``"uniform"``: every weight and bias U(-1/sqrt(H), 1/sqrt(H)), like PyTorch.
        ``"identity"``: the recurrent matrices start as the identity and the biases at zero; with
        ``nonlinearity="relu"`` this is the IRNN of Le, Jaitly & Hinton (2015), whose state is
        carried over unchanged at first. The input weights keep the uniform initialisation (our
        choice).
    dtype : np.float64 or np.float32
    seed : None, int or numpy.random.Generator

    Attributes
    ----------
    params, grads : dict of str -> ndarray
        ``weight_ih_l{k}`` (H, D or num_directions*H), ``weight_hh_l{k}`` (H, H),
        ``bias_ih_l{k}`` (H,), ``bias_hh_l{k}`` (H,), and ``..._reverse``.
    state_grad : ndarray, (num_layers*num_directions, B, H)
        Gradient with respect to the initial state after :meth:`backward`.

    Examples
    --------
    >>> import numpy as np
    >>> rnn = ElmanRNN(2, 3, num_layers=2, bidirectional=True, batch_first=True, seed=1)
    >>> out, h_n = rnn.forward(np.zeros((4, 6, 2)))     # (B, T, D)
    >>> out.shape, h_n.shape, rnn.hidden_states(layer=1, direction=1).shape
    ((4, 6, 6), (4, 4, 3), (6, 4, 3))

    The IRNN (ReLU, identity recurrence, zero bias) keeps a positive state as it is:

    >>> irnn = ElmanRNN(1, 2, nonlinearity="relu", init="identity", seed=0)
    >>> out, h_n = irnn.forward(np.zeros((5, 1, 1)), np.array([[[1.0, 2.0]]]))
    >>> h_n
    array([[[1., 2.]]])
    """

    _gates = 1
    _state_parts = 1

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False,
                 nonlinearity="tanh", init="uniform", dtype=np.float64, seed=None):
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
        self.init = check_choice(init, "init", _INITS)
        super().__init__(input_size, hidden_size, num_layers, bidirectional, batch_first, dtype, seed)
        if self.init == "identity":  # after the uniform draws, so a seed gives the same input weights
            for name, p in self.params.items():
                if name.startswith("weight_hh"):
                    p[...] = np.eye(self.hidden_size)
                elif name.startswith("bias"):
                    p[...] = 0.0

    def _repr_extra(self):
        extra = [] if self.nonlinearity == "tanh" else [f"nonlinearity={self.nonlinearity!r}"]
        return extra + ([] if self.init == "uniform" else [f"init={self.init!r}"])

    def _unbounded(self):
        return self.nonlinearity == "relu"

    def hidden_states(self, layer=0, direction=0):
        """Hidden states of one layer and direction from the last forward pass.

        Parameters
        ----------
        layer : int, default 0
        direction : int, default 0
            0 forward, 1 backward (bidirectional only).

        Returns
        -------
        ndarray, (T, B, H)
            :math:`h_t` for t = 0..T-1 in time order (time-major even with ``batch_first``).
        """
        cache = self._check_index(layer, direction)
        _, _, out_sl, _ = time_indices(cache.X.shape[0], cache.reverse)
        h = cache.hist[out_sl].view()
        h.flags.writeable = False
        return h

    def _direction_forward(self, X, W, U, bias, state0, reverse):
        T, B, In = X.shape
        H = self.hidden_size
        steps, init, out_sl, prev_sl = time_indices(T, reverse)
        hist = np.empty((T + 1, B, H), dtype=self.dtype)  # h_{-1}(=h_0 given), h_0..h_{T-1}
        hist[init] = state0[0]
        Z = hist[out_sl]  # (T, B, H) pre-activations, then hidden states, in place
        np.matmul(X.reshape(T * B, In), W.T, out=Z.reshape(T * B, H))  # all input projections at once
        Z += bias
        UT = np.ascontiguousarray(U.T)  # (H, H): a C-ordered right operand is faster
        rec = np.empty((B, H), dtype=self.dtype)
        relu = self.nonlinearity == "relu"
        for t in steps:
            prev = t if not reverse else t + 1
            cur = t + 1 if not reverse else t
            np.matmul(hist[prev], UT, out=rec)  # (B, H)
            z = hist[cur]
            z += rec
            if relu:
                np.maximum(z, 0.0, out=z)
            else:
                np.tanh(z, out=z)
        final = hist[out_sl][-1] if not reverse else hist[0]
        out = hist[out_sl]
        # copies of the weights: backward must differentiate this pass even after an optimiser step
        return out, (final.copy(),), _ElmanDirectionCache(X, hist, W.copy(), U.copy(), reverse)

    def _direction_backward(self, cache, dout, dfinal):
        X, hist, W, U, reverse = cache
        T, B, In = X.shape
        H, dtype = self.hidden_size, self.dtype
        _, _, out_sl, prev_sl = time_indices(T, reverse)
        hs, hp = hist[out_sl], hist[prev_sl]  # (T, B, H) states after / before each step
        # Time is cut into chunks visited in backward order; each chunk's dZ is reduced into the
        # weight and input gradients by three products, so only a chunk of dZ is ever held.
        chunk, spans = time_chunks(T, B, H, reverse)
        dZ_buf = np.empty((chunk, B, H), dtype=dtype)
        dX = np.empty((T, B, In), dtype=dtype)
        dW = np.zeros((H, In), dtype=dtype)
        dU = np.zeros((H, H), dtype=dtype)
        db = np.zeros(H, dtype=dtype)
        ones = np.ones(chunk * B, dtype=dtype)
        dh = np.zeros((B, H), dtype=dtype) if dfinal[0] is None else dfinal[0].copy()
        for s0, s1 in spans:
            n = s1 - s0
            dZ = dZ_buf[:n]  # (n, B, H)
            if self.nonlinearity == "relu":
                np.greater(hs[s0:s1], 0.0, out=dZ)  # f'(z) from the output
            else:
                np.multiply(hs[s0:s1], hs[s0:s1], out=dZ)
                np.subtract(1.0, dZ, out=dZ)  # 1 - h^2
            for k in (range(n - 1, -1, -1) if not reverse else range(n)):
                dh += dout[s0 + k]
                dz = dZ[k]
                dz *= dh  # (B, H)
                np.matmul(dz, U, out=dh)  # gradient reaching h_{t-1}
            dZ2 = dZ.reshape(n * B, H)
            np.matmul(dZ2, W, out=dX[s0:s1].reshape(n * B, In))
            dW += (X[s0:s1].reshape(n * B, In).T @ dZ2).T  # (H, In); the faster operand order for BLAS
            dU += (hp[s0:s1].reshape(n * B, H).T @ dZ2).T  # (H, H)
            db += ones[:n * B] @ dZ2  # (H,)
        return dX, (dh,), (dW, dU, db)
