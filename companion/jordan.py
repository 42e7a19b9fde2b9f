r"""The Jordan network: the memory holds the previous *output*, not the hidden layer.

.. math::

    h_t = \sigma(x_t W^\top + y_{t-1} U^\top + b), \qquad y_t = \sigma_y(h_t V^\top + b_y)

with ``W`` (H, D), ``U`` (H, O), ``V`` (O, H). The state units copy :math:`y_{t-1}` with
fixed weight 1 (the textbook form, without the original's self-connection on the state
units). :func:`jordan_step_forward` / :func:`jordan_step_backward` are the step pair;
:class:`JordanRNN` runs whole sequences and backpropagates through time.

Examples
--------
>>> import numpy as np
>>> from companion.jordan import JordanRNN
>>> net = JordanRNN(input_size=3, hidden_size=4, output_size=2, output_activation="softmax", seed=0)
>>> y, y_n = net.forward(np.ones((5, 2, 3)))        # (T, B, D)
>>> y.shape, y_n.shape, net.hidden_states().shape
((5, 2, 2), (1, 2, 2), (5, 2, 4))
>>> np.allclose(y.sum(axis=-1), 1.0)
True
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion._checks import (
    check_array,
    check_bool,
    check_cache,
    check_choice,
    check_dtype,
    check_forward_done,
    check_not_overflowed,
    check_parameter_count,
    check_positive_int,
    check_sequence,
    overflow_errstate,
)
from companion.activations import get_activation, softmax, softmax_backward
from companion._params import ParamsMixin
from companion._record import ForwardRecord
from companion.seeding import make_rng

__all__ = ["JordanStepCache", "JordanStepGrads", "jordan_step_forward", "jordan_step_backward", "JordanRNN"]

_NONLINEARITIES = ("tanh", "sigmoid", "relu")
_OUTPUTS = ("identity", "sigmoid", "softmax")


def _output_forward(z, name):
    return softmax(z, axis=-1) if name == "softmax" else get_activation(name).forward(z)


def _output_backward(dy, y, name):
    if name == "softmax":
        return softmax_backward(dy, y, axis=-1)
    return dy * get_activation(name).derivative_from_output(y)


class JordanStepCache(NamedTuple):
    """What :func:`jordan_step_backward` needs from one step.

    Attributes
    ----------
    x_t : ndarray, (B, D)
    y_prev : ndarray, (B, O)
    W : ndarray, (H, D)
    U : ndarray, (H, O)
    V : ndarray, (O, H)
    h_t : ndarray, (B, H)
    y_t : ndarray, (B, O)
    nonlinearity, output_activation : str

    Examples
    --------
    >>> import numpy as np
    >>> from companion.jordan import jordan_step_forward
    >>> W, U, b, V, b_y = np.full((3, 2), 0.1), np.zeros((3, 1)), np.zeros(3), np.ones((1, 3)), np.zeros(1)
    >>> h, y, cache = jordan_step_forward(np.ones((1, 2)), np.zeros((1, 1)), W, U, b, V, b_y)
    >>> cache.h_t.shape, cache.y_t.shape, cache.output_activation
    ((1, 3), (1, 1), 'identity')
    """

    x_t: np.ndarray
    y_prev: np.ndarray
    W: np.ndarray
    U: np.ndarray
    V: np.ndarray
    h_t: np.ndarray
    y_t: np.ndarray
    nonlinearity: str
    output_activation: str


class JordanStepGrads(NamedTuple):
    """Gradients of one Jordan step.

    Attributes
    ----------
    dx_t : ndarray, (B, D)
    dy_prev : ndarray, (B, O)
    dW : ndarray, (H, D)
    dU : ndarray, (H, O)
    db : ndarray, (H,)
    dV : ndarray, (O, H)
    db_y : ndarray, (O,)

    Examples
    --------
    >>> import numpy as np
    >>> from companion.jordan import jordan_step_backward, jordan_step_forward
    >>> W, U, b, V, b_y = np.full((3, 2), 0.1), np.zeros((3, 1)), np.zeros(3), np.ones((1, 3)), np.zeros(1)
    >>> h, y, cache = jordan_step_forward(np.ones((1, 2)), np.zeros((1, 1)), W, U, b, V, b_y)
    >>> grads = jordan_step_backward(np.ones((1, 1)), cache)
    >>> grads.dy_prev.shape, grads.dU.shape, grads.dV.shape
    ((1, 1), (3, 1), (1, 3))
    """

    dx_t: np.ndarray
    dy_prev: np.ndarray
    dW: np.ndarray
    dU: np.ndarray
    db: np.ndarray
    dV: np.ndarray
    db_y: np.ndarray


def jordan_step_forward(x_t, y_prev, W, U, b, V, b_y, nonlinearity="tanh", output_activation="identity"):
    r"""One Jordan step: :math:`h_t = \sigma(x_t W^\top + y_{t-1} U^\top + b)`, :math:`y_t = \sigma_y(h_t V^\top + b_y)`.

    Parameters
    ----------
    x_t : ndarray, (B, D)
    y_prev : ndarray, (B, O)
        Previous output :math:`y_{t-1}` (the state units).
    W : ndarray, (H, D)
    U : ndarray, (H, O)
    b : ndarray, (H,)
    V : ndarray, (O, H)
    b_y : ndarray, (O,)
    nonlinearity : {"tanh", "sigmoid", "relu"}
        :math:`\sigma` of the hidden layer.
    output_activation : {"identity", "sigmoid", "softmax"}
        :math:`\sigma_y`.

    Returns
    -------
    h_t : ndarray, (B, H)
    y_t : ndarray, (B, O)
    cache : JordanStepCache

    Examples
    --------
    >>> import numpy as np
    >>> W, U, b = np.ones((2, 1)), np.zeros((2, 1)), np.zeros(2)
    >>> V, b_y = np.ones((1, 2)), np.zeros(1)
    >>> h, y, cache = jordan_step_forward(np.array([[0.5]]), np.zeros((1, 1)), W, U, b, V, b_y)
    >>> np.round(h, 4), np.round(y, 4)
    (array([[0.4621, 0.4621]]), array([[0.9242]]))
    """
    check_choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
    check_choice(output_activation, "output_activation", _OUTPUTS)
    W = check_array(W, "W", (None, None), ("H", "D"))
    H, D = W.shape
    V = check_array(V, "V", (None, H), ("O", "H"), dtype=W.dtype)
    O = V.shape[0]
    x_t = check_array(x_t, "x_t", (None, D), ("B", "D"), dtype=W.dtype)
    B = x_t.shape[0]
    y_prev = check_array(y_prev, "y_prev", (B, O), ("B", "O"), dtype=W.dtype)
    U = check_array(U, "U", (H, O), ("H", "O"), dtype=W.dtype)
    b = check_array(b, "b", (H,), ("H",), dtype=W.dtype)
    b_y = check_array(b_y, "b_y", (O,), ("O",), dtype=W.dtype)
    h_t = get_activation(nonlinearity).forward(x_t @ W.T + y_prev @ U.T + b)  # (B, H)
    y_t = _output_forward(h_t @ V.T + b_y, output_activation)  # (B, O)
    return h_t, y_t, JordanStepCache(x_t, y_prev, W, U, V, h_t, y_t, nonlinearity, output_activation)


def jordan_step_backward(dy_t, cache, dh_t=None):
    """Backward of :func:`jordan_step_forward`.

    Parameters
    ----------
    dy_t : ndarray, (B, O)
        Gradient with respect to :math:`y_t` (from the loss at t and, through U, from step t+1).
    cache : JordanStepCache
    dh_t : ndarray, (B, H), optional
        Extra gradient reaching :math:`h_t` directly (none in the plain network).

    Returns
    -------
    JordanStepGrads
        ``(dx_t, dy_prev, dW, dU, db, dV, db_y)``.

    Examples
    --------
    >>> import numpy as np
    >>> W, U, b = np.ones((2, 1)), np.zeros((2, 1)), np.zeros(2)
    >>> V, b_y = np.ones((1, 2)), np.zeros(1)
    >>> h, y, cache = jordan_step_forward(np.array([[0.5]]), np.zeros((1, 1)), W, U, b, V, b_y)
    >>> np.round(jordan_step_backward(np.ones((1, 1)), cache).dx_t, 4)
    array([[1.5729]])
    """
    check_cache(cache, JordanStepCache, "jordan_step_forward")
    dy_t = check_array(dy_t, "dy_t", cache.y_t.shape, ("B", "O"), dtype=cache.y_t.dtype)
    dzy = _output_backward(dy_t, cache.y_t, cache.output_activation)  # (B, O)
    dh = dzy @ cache.V  # (B, H)
    if dh_t is not None:
        dh = dh + check_array(dh_t, "dh_t", cache.h_t.shape, ("B", "H"), dtype=cache.h_t.dtype)
    dzh = dh * get_activation(cache.nonlinearity).derivative_from_output(cache.h_t)  # (B, H)
    return JordanStepGrads(
        dx_t=dzh @ cache.W,  # (B, D)
        dy_prev=dzh @ cache.U,  # (B, O)
        dW=dzh.T @ cache.x_t,  # (H, D)
        dU=dzh.T @ cache.y_prev,  # (H, O)
        db=dzh.sum(axis=0),  # (H,)
        dV=dzy.T @ cache.h_t,  # (O, H)
        db_y=dzy.sum(axis=0),  # (O,)
    )


class _JordanCache(NamedTuple):
    X: np.ndarray  # (T, B, D)
    Hs: np.ndarray  # (T, B, H) hidden layer
    Y: np.ndarray  # (T+1, B, O) initial state y_{-1} and outputs
    W: np.ndarray  # (H, D) the weights of the forward pass (copies: backward must not see later updates)
    U: np.ndarray  # (H, O)
    V: np.ndarray  # (O, H)


class JordanRNN(ParamsMixin):
    r"""Jordan network over whole sequences (single layer, unidirectional: the classic form).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    output_size : int
        O; the state units hold the previous output, so the state is (1, B, O).
    nonlinearity : {"tanh", "sigmoid", "relu"}
        Hidden activation :math:`\sigma`.
    output_activation : {"identity", "sigmoid", "softmax"}
        Output activation :math:`\sigma_y`.
    batch_first : bool, default False
    dtype : np.float64 or np.float32
    seed : None, int or numpy.random.Generator
        U(-1/sqrt(H), 1/sqrt(H)) initialisation.

    Attributes
    ----------
    params, grads : dict of str -> ndarray
        ``W`` (H, D), ``U`` (H, O), ``b`` (H,), ``V`` (O, H), ``b_y`` (O,).
    state_grad : ndarray, (1, B, O)
        Gradient with respect to the initial state after :meth:`backward`.

    Examples
    --------
    >>> import numpy as np
    >>> net = JordanRNN(2, 3, 1, output_activation="sigmoid", batch_first=True, seed=0)
    >>> y, y_n = net.forward(np.zeros((4, 6, 2)))      # (B, T, D)
    >>> y.shape, y_n.shape
    ((4, 6, 1), (1, 4, 1))
    >>> net.backward(np.ones_like(y)).shape
    (4, 6, 2)
    """

    def __init__(self, input_size, hidden_size, output_size, nonlinearity="tanh", output_activation="identity",
                 batch_first=False, dtype=np.float64, seed=None):
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.output_size = check_positive_int(output_size, "output_size")
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", _NONLINEARITIES)
        self.output_activation = check_choice(output_activation, "output_activation", _OUTPUTS)
        self.batch_first = check_bool(batch_first, "batch_first")
        self.dtype = check_dtype(dtype)
        D, H, O = self.input_size, self.hidden_size, self.output_size
        check_parameter_count(H * (D + O + 1) + O * (H + 1), {"input_size": D, "hidden_size": H, "output_size": O})
        rng = make_rng(seed)
        k = 1.0 / np.sqrt(H)
        shapes = {"W": (H, D), "U": (H, O), "b": (H,), "V": (O, H), "b_y": (O,)}
        self.params = {n: rng.uniform(-k, k, s).astype(self.dtype) for n, s in shapes.items()}
        self.grads = {n: np.zeros_like(p) for n, p in self.params.items()}
        self.state_grad = None
        self._record = None

    # The classic form: one layer, one direction (same attributes as ElmanRNN/LSTM).
    num_layers = 1
    num_directions = 1
    bidirectional = False

    def __repr__(self):
        return (f"JordanRNN({self.input_size}, {self.hidden_size}, {self.output_size}, "
                f"nonlinearity={self.nonlinearity!r}, output_activation={self.output_activation!r})")

    def forward(self, x, state=None):
        """Run the sequence.

        Parameters
        ----------
        x : ndarray, (T, B, D), or (B, T, D) if ``batch_first``
        state : ndarray, (1, B, O), optional
            Previous output :math:`y_{-1}`; zeros if None.

        Returns
        -------
        y : ndarray, (T, B, O) (or (B, T, O))
            Outputs at every step (read-only view).
        y_n : ndarray, (1, B, O)
            The last output (the next state).
        """
        X = check_sequence(x, self.input_size, self.batch_first, self.dtype)  # (T, B, D)
        T, B, D = X.shape
        H, O = self.hidden_size, self.output_size
        p = self.params
        Y = np.empty((T + 1, B, O), dtype=self.dtype)  # y_{-1}, y_0 .. y_{T-1}
        if state is None:
            Y[0] = 0.0
        else:
            Y[0] = check_array(state, "state", (1, B, O), ("1", "B", "O"), dtype=self.dtype)[0]
        Hs = (X.reshape(T * B, D) @ p["W"].T).reshape(T, B, H)  # input projections of all steps
        Hs += p["b"]
        act = get_activation(self.nonlinearity).forward
        UT, VT = p["U"].T, p["V"].T
        self._record = None  # a forward that fails leaves nothing for backward to misuse
        unbounded = self.nonlinearity == "relu" or self.output_activation == "identity"
        with overflow_errstate(unbounded):
            for t in range(T):
                Hs[t] = act(Hs[t] + Y[t] @ UT)  # h_t
                Y[t + 1] = _output_forward(Hs[t] @ VT + p["b_y"], self.output_activation)  # y_t
        if unbounded:
            check_not_overflowed(Y, "JordanRNN")
        self._record = ForwardRecord([_JordanCache(X, Hs, Y, p["W"].copy(), p["U"].copy(), p["V"].copy())], T, B,
                                     None)
        y = Y[1:].view()
        y.flags.writeable = False
        if self.batch_first:
            y = y.swapaxes(0, 1)
        self._record.out_shape = y.shape
        return y, Y[T][None].copy()

    __call__ = forward

    def hidden_states(self, layer=0, direction=0):
        """The hidden layer :math:`h_t` of the last forward pass.

        Parameters
        ----------
        layer, direction : int, default 0
            Only 0 (kept for the same call as :meth:`companion.elman.ElmanRNN.hidden_states`).

        Returns
        -------
        ndarray, (T, B, H)
            Time-major even with ``batch_first``.
        """
        if layer != 0 or direction != 0:
            raise ValueError(f"JordanRNN has one layer and one direction: layer and direction must be 0; "
                             f"got layer={layer!r}, direction={direction!r}")
        if self._record is None:
            raise ValueError("run forward(x) first: there are no stored states yet")
        h = self._record.caches[0].Hs.view()
        h.flags.writeable = False
        return h

    def backward(self, dout, dstate=None):
        """Backpropagation through time.

        Parameters
        ----------
        dout : ndarray, same shape as ``y`` of the last forward
            Gradient of the loss with respect to the outputs.
        dstate : ndarray, (1, B, O), optional
            Gradient with respect to ``y_n``.

        Returns
        -------
        dx : ndarray, same shape as the forward input
            Parameter gradients go to ``grads``; the initial-state gradient to ``state_grad``.
        """
        rec = self._record
        check_forward_done(rec, "JordanRNN")
        labels = ("B", "T", "O") if self.batch_first else ("T", "B", "O")
        dY = check_array(dout, "dout", rec.out_shape, labels, dtype=self.dtype)
        if self.batch_first:
            dY = dY.swapaxes(0, 1)
        X, Hs, Y, W, U, V = rec.caches[0]
        T, B, D = X.shape
        H, O = self.hidden_size, self.output_size
        dy = np.zeros((B, O), dtype=self.dtype)
        if dstate is not None:
            dy += check_array(dstate, "dstate", (1, B, O), ("1", "B", "O"), dtype=self.dtype)[0]
        dZh = np.empty((T, B, H), dtype=self.dtype)
        dZy = np.empty((T, B, O), dtype=self.dtype)
        dact = get_activation(self.nonlinearity).derivative_from_output
        for t in reversed(range(T)):
            dy += dY[t]
            dZy[t] = _output_backward(dy, Y[t + 1], self.output_activation)  # (B, O)
            dZh[t] = (dZy[t] @ V) * dact(Hs[t])  # (B, H)
            dy = dZh[t] @ U  # gradient reaching y_{t-1}
        dZh2, dZy2 = dZh.reshape(T * B, H), dZy.reshape(T * B, O)
        g = self.grads
        np.copyto(g["W"], dZh2.T @ X.reshape(T * B, D))
        np.copyto(g["U"], dZh2.T @ Y[:T].reshape(T * B, O))
        np.copyto(g["b"], dZh2.sum(axis=0))
        np.copyto(g["V"], dZy2.T @ Hs.reshape(T * B, H))
        np.copyto(g["b_y"], dZy2.sum(axis=0))
        rec.consumed = True
        self.state_grad = dy[None]
        dX = (dZh2 @ W).reshape(T, B, D)
        return dX.swapaxes(0, 1) if self.batch_first else dX
