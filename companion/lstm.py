r"""Long short-term memory (LSTM) in the source's notation, with exact BPTT.

A memory cell receives four inputs, computed from :math:`x_t` and the previous output
:math:`a_{t-1}`: the cell input :math:`z` and the gate inputs :math:`z_i, z_f, z_o`.
With f the sigmoid (gate opening in [0, 1]) and g, h the input/output squashing
functions (tanh by default, ``"identity"`` for the classic worked example):

.. math::

    c' = g(z)\, f(z_i) + c\, f(z_f), \qquad a = h(c')\, f(z_o).

With peephole connections (Gers & Schmidhuber 2000; ``LSTM(peephole=True)``) the gates also
see the memory through diagonal weights :math:`p_i, p_f, p_o`: :math:`z_i + p_i c` and
:math:`z_f + p_f c` (the old memory), :math:`z_o + p_o c'` (the new one).

Weights follow PyTorch's layout: ``W`` (4H, D) and ``U`` (4H, H) stack the row blocks in
the order **i, f, g, o**, i.e. ``[z_i; z_f; z; z_o] = x W^T + a U^T + b``.

Backward, for the gradients ``da`` (of a) and ``dc`` (of c' from the future):

.. math::

    dc' = dc + da\, f(z_o)\, h'(c'), \quad dz_o = da\, h(c') f'(z_o), \quad
    dz = dc'\, f(z_i)\, g'(z), \quad dz_i = dc'\, g(z) f'(z_i), \quad
    dz_f = dc'\, c\, f'(z_f), \quad dc_{prev} = dc'\, f(z_f).

:func:`lstm_step_forward` / :func:`lstm_step_backward` implement one step literally, and
:meth:`LSTM.trace` is a loop over :func:`lstm_step_forward`. :class:`LSTM` runs whole sequences
like ``torch.nn.LSTM`` with the fast sequence path of the private module
``companion._lstm_kernel`` (documented there); ``tests/test_lstm_kernel.py`` checks that it equals
a loop of the step functions.

Examples
--------
>>> import numpy as np
>>> from companion.lstm import LSTM
>>> lstm = LSTM(input_size=3, hidden_size=4, seed=0)
>>> out, (h_n, c_n) = lstm.forward(np.ones((5, 2, 3)))     # (T, B, D)
>>> out.shape, h_n.shape, c_n.shape
((5, 2, 4), (1, 2, 4), (1, 2, 4))
>>> tr = lstm.trace()
>>> tr.forget_gate.shape
(5, 2, 4)
>>> dx = lstm.backward(np.ones_like(out))
>>> dx.shape
(5, 2, 3)
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from companion import _lstm_kernel, _lstm_peephole
from companion._checks import check_array, check_bool, check_cache, check_choice
from companion.activations import get_activation, sigmoid
from companion.recurrent import StackedRecurrent, time_indices

__all__ = [
    "LSTMStepCache",
    "LSTMStepGrads",
    "LSTMTrace",
    "lstm_step_forward",
    "lstm_step_backward",
    "LSTM",
]

_SQUASH = ("tanh", "identity")


class LSTMStepCache(NamedTuple):
    """Everything :func:`lstm_step_backward` needs from one step (all (B, H) unless noted).

    Attributes
    ----------
    x_t : ndarray, (B, D)
    a_prev, c_prev : ndarray
        Previous output and memory.
    W : ndarray, (4H, D)
    U : ndarray, (4H, H)
    z, z_i, z_f, z_o : ndarray
        The four inputs of the cell.
    input_gate, forget_gate, output_gate : ndarray
        :math:`f(z_i), f(z_f), f(z_o)`.
    g_z : ndarray
        :math:`g(z)`.
    c : ndarray
        New memory :math:`c'`.
    h_c : ndarray
        :math:`h(c')`.
    a : ndarray
        Output.
    g, h : str
        Names of g and h.
    peephole : ndarray, (3, H), or None
        The peephole weights :math:`p_i, p_f, p_o` (rows), or None for the plain LSTM. The gate
        inputs ``z_i, z_f, z_o`` above include the peephole terms.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.lstm import lstm_step_forward
    >>> a0 = c0 = np.zeros((1, 2))
    >>> a, c, cache = lstm_step_forward(np.ones((1, 3)), a0, c0, np.zeros((8, 3)), np.zeros((8, 2)), np.zeros(8))
    >>> cache.forget_gate  # f(0) = 0.5: a closed-or-open gate starts half open
    array([[0.5, 0.5]])
    >>> cache.c.shape, cache.g, cache.h
    ((1, 2), 'tanh', 'tanh')
    """

    x_t: np.ndarray
    a_prev: np.ndarray
    c_prev: np.ndarray
    W: np.ndarray
    U: np.ndarray
    z: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_o: np.ndarray
    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    g_z: np.ndarray
    c: np.ndarray
    h_c: np.ndarray
    a: np.ndarray
    g: str
    h: str
    peephole: np.ndarray | None = None


class LSTMStepGrads(NamedTuple):
    """Gradients of one LSTM step.

    Attributes
    ----------
    dx_t : ndarray, (B, D)
    da_prev : ndarray, (B, H)
    dc_prev : ndarray, (B, H)
    dW : ndarray, (4H, D)
    dU : ndarray, (4H, H)
    db : ndarray, (4H,)
    dpeephole : ndarray, (3, H), or None
        Gradient of the peephole weights (None without them).

    Examples
    --------
    >>> import numpy as np
    >>> from companion.lstm import lstm_step_backward, lstm_step_forward
    >>> a0 = c0 = np.zeros((1, 2))
    >>> a, c, cache = lstm_step_forward(np.ones((1, 3)), a0, c0, np.zeros((8, 3)), np.zeros((8, 2)), np.zeros(8))
    >>> grads = lstm_step_backward(np.ones((1, 2)), None, cache)
    >>> grads.dc_prev  # dc_prev = dc' f(z_f), with dc' = da f(z_o) h'(c') = 0.5
    array([[0.25, 0.25]])
    >>> grads.dW.shape, grads.db.shape
    ((8, 3), (8,))
    """

    dx_t: np.ndarray
    da_prev: np.ndarray
    dc_prev: np.ndarray
    dW: np.ndarray
    dU: np.ndarray
    db: np.ndarray
    dpeephole: np.ndarray | None = None


class LSTMTrace(NamedTuple):
    """Inside of one LSTM layer/direction at every step (all (T, B, H), time order).

    Attributes
    ----------
    z, z_i, z_f, z_o : ndarray
        Cell input and gate inputs.
    input_gate, forget_gate, output_gate : ndarray
        Gate openings :math:`f(z_i), f(z_f), f(z_o)` in [0, 1].
    c : ndarray
        Memory after each step.
    a : ndarray
        Output at each step.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.lstm import LSTM
    >>> lstm = LSTM(1, 2, seed=0)
    >>> out, _ = lstm.forward(np.ones((4, 1, 1)))
    >>> tr = lstm.trace()
    >>> tr.c.shape, bool(((tr.forget_gate > 0) & (tr.forget_gate < 1)).all())
    ((4, 1, 2), True)
    """

    z: np.ndarray
    z_i: np.ndarray
    z_f: np.ndarray
    z_o: np.ndarray
    input_gate: np.ndarray
    forget_gate: np.ndarray
    output_gate: np.ndarray
    c: np.ndarray
    a: np.ndarray


def lstm_step_forward(x_t, a_prev, c_prev, W, U, b, g="tanh", h="tanh", peephole=None):
    r"""One LSTM step: :math:`c' = g(z) f(z_i) + c f(z_f)`, :math:`a = h(c') f(z_o)`.

    Parameters
    ----------
    x_t : ndarray, (B, D)
    a_prev : ndarray, (B, H)
        Previous output :math:`a_{t-1}`.
    c_prev : ndarray, (B, H)
        Previous memory :math:`c`.
    W : ndarray, (4H, D)
        Input weights, row blocks i, f, g, o (PyTorch's ``weight_ih``).
    U : ndarray, (4H, H)
        Recurrent weights, same blocks (``weight_hh``).
    b : ndarray, (4H,)
        Bias (PyTorch's ``bias_ih + bias_hh``).
    g, h : {"tanh", "identity"}
        Squashing of the cell input and of the memory.
    peephole : ndarray, (3, H), optional
        Peephole weights :math:`p_i, p_f, p_o` (rows): the input and forget gates see the old memory,
        :math:`f(z_i + p_i c)`, :math:`f(z_f + p_f c)`, the output gate the new one, :math:`f(z_o + p_o c')`.

    Returns
    -------
    a : ndarray, (B, H)
    c : ndarray, (B, H)
        The new memory :math:`c'`.
    cache : LSTMStepCache

    Examples
    --------
    The classic worked example (one cell, linear g and h): x = (3, 1, 0) writes 3.

    >>> import numpy as np
    >>> W = np.array([[0, 100, 0], [0, 100, 0], [1, 0, 0], [0, 0, 100]], float)  # rows i, f, g, o
    >>> b = np.array([-10.0, 10.0, 0.0, -10.0])
    >>> a, c, cache = lstm_step_forward(np.array([[3.0, 1.0, 0.0]]), np.zeros((1, 1)), np.zeros((1, 1)),
    ...                                 W, np.zeros((4, 1)), b, g="identity", h="identity")
    >>> float(np.round(c[0, 0], 4)), float(np.round(a[0, 0], 4))
    (3.0, 0.0001)
    """
    check_choice(g, "g", _SQUASH)
    check_choice(h, "h", _SQUASH)
    W = check_array(W, "W", (None, None), ("4H", "D"))
    if W.shape[0] % 4:
        raise ValueError(f"W must have shape (4H, D); got shape {W.shape}")
    H, D = W.shape[0] // 4, W.shape[1]
    x_t = check_array(x_t, "x_t", (None, D), ("B", "D"), dtype=W.dtype)
    B = x_t.shape[0]
    a_prev = check_array(a_prev, "a_prev", (B, H), ("B", "H"), dtype=W.dtype)
    c_prev = check_array(c_prev, "c_prev", (B, H), ("B", "H"), dtype=W.dtype)
    U = check_array(U, "U", (4 * H, H), ("4H", "H"), dtype=W.dtype)
    b = check_array(b, "b", (4 * H,), ("4H",), dtype=W.dtype)
    gf, hf = get_activation(g).forward, get_activation(h).forward

    if peephole is not None:
        peephole = check_array(peephole, "peephole", (3, H), ("3", "H"), dtype=W.dtype)

    zz = x_t @ W.T + a_prev @ U.T + b  # (B, 4H)
    z_i, z_f, z, z_o = np.split(zz, 4, axis=1)  # (B, H) each, PyTorch's blocks i, f, g, o
    if peephole is not None:  # the input and forget gates peep at the old memory
        z_i, z_f = z_i + peephole[0] * c_prev, z_f + peephole[1] * c_prev
    input_gate, forget_gate = sigmoid(z_i), sigmoid(z_f)
    g_z = gf(z)  # g(z)
    c = g_z * input_gate + c_prev * forget_gate  # c' = g(z) f(z_i) + c f(z_f)
    if peephole is not None:  # the output gate peeps at the new memory
        z_o = z_o + peephole[2] * c
    output_gate = sigmoid(z_o)
    h_c = hf(c)  # h(c')
    a = h_c * output_gate  # a = h(c') f(z_o)
    cache = LSTMStepCache(x_t, a_prev, c_prev, W, U, z, z_i, z_f, z_o,
                          input_gate, forget_gate, output_gate, g_z, c, h_c, a, g, h, peephole)
    return a, c, cache


def lstm_step_backward(da, dc, cache):
    """Backward of :func:`lstm_step_forward`.

    Parameters
    ----------
    da : ndarray, (B, H)
        Gradient with respect to the output ``a`` (from the layer above and from step t+1).
    dc : ndarray, (B, H) or None
        Gradient with respect to the new memory ``c`` coming from step t+1 (None: zero).
    cache : LSTMStepCache

    Returns
    -------
    LSTMStepGrads
        ``(dx_t, da_prev, dc_prev, dW, dU, db)``; ``dW``, ``dU``, ``db`` use PyTorch's
        i, f, g, o row blocks.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> W, U, b = rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), np.zeros(8)
    >>> a, c, cache = lstm_step_forward(rng.normal(size=(1, 3)), np.zeros((1, 2)), np.zeros((1, 2)), W, U, b)
    >>> grads = lstm_step_backward(np.ones((1, 2)), None, cache)
    >>> grads.dW.shape, grads.dc_prev.shape
    ((8, 3), (1, 2))
    """
    check_cache(cache, LSTMStepCache, "lstm_step_forward")
    shape = cache.a.shape
    da = check_array(da, "da", shape, ("B", "H"), dtype=cache.a.dtype)
    dc = np.zeros_like(da) if dc is None else check_array(dc, "dc", shape, ("B", "H"), dtype=cache.a.dtype)
    g_act, h_act = get_activation(cache.g), get_activation(cache.h)
    i, f_, o = cache.input_gate, cache.forget_gate, cache.output_gate

    p = cache.peephole
    dz_o = da * cache.h_c * o * (1.0 - o)
    dc = dc + da * o * h_act.derivative_from_output(cache.h_c)  # total gradient of c'
    if p is not None:
        dc = dc + dz_o * p[2]  # c' also reaches the output gate
    dz = dc * i * g_act.derivative_from_output(cache.g_z)
    dz_i = dc * cache.g_z * i * (1.0 - i)
    dz_f = dc * cache.c_prev * f_ * (1.0 - f_)
    dc_prev = dc * f_
    dpeephole = None
    if p is not None:  # c also reaches the input and forget gates
        dc_prev = dc_prev + dz_i * p[0] + dz_f * p[1]
        dpeephole = np.stack([(dz_i * cache.c_prev).sum(axis=0), (dz_f * cache.c_prev).sum(axis=0),
                              (dz_o * cache.c).sum(axis=0)])  # (3, H)
    dzz = np.concatenate([dz_i, dz_f, dz, dz_o], axis=1)  # (B, 4H), PyTorch's order i, f, g, o
    return LSTMStepGrads(
        dx_t=dzz @ cache.W,  # (B, D)
        da_prev=dzz @ cache.U,  # (B, H)
        dc_prev=dc_prev,  # (B, H)
        dW=dzz.T @ cache.x_t,  # (4H, D)
        dU=dzz.T @ cache.a_prev,  # (4H, H)
        db=dzz.sum(axis=0),  # (4H,)
        dpeephole=dpeephole,  # (3, H) or None
    )


class LSTM(StackedRecurrent):
    r"""LSTM over whole sequences, a numpy twin of ``torch.nn.LSTM``.

    Every layer and direction runs, at each step,
    :math:`c' = g(z) f(z_i) + c f(z_f)`, :math:`a = h(c') f(z_o)` (see the module docstring).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H, memory cells per layer and direction.
    num_layers : int, default 1
    bidirectional : bool, default False
    batch_first : bool, default False
    g, h : {"tanh", "identity"}
        Squashing of the cell input and of the memory (PyTorch: tanh, tanh).
    peephole : bool, default False
        Add peephole connections (Gers & Schmidhuber 2000): diagonal weights from the memory to the
        gates, :math:`f(z_i + p_i c)`, :math:`f(z_f + p_f c)`, :math:`f(z_o + p_o c')`. They start at
        zero (our choice), so a peephole LSTM starts as the plain LSTM of the same seed. PyTorch has no
        peephole LSTM: such a model has no ``torch_state_dict``. Without them the fast sequence path of
        ``companion._lstm_kernel`` runs; with them a plain one (``companion._lstm_peephole``).
    dtype : np.float64 or np.float32
    seed : None, int or numpy.random.Generator

    Attributes
    ----------
    params, grads : dict of str -> ndarray
        ``weight_ih_l{k}`` (4H, D or num_directions*H), ``weight_hh_l{k}`` (4H, H),
        ``bias_ih_l{k}``, ``bias_hh_l{k}`` (4H,), and ``..._reverse``; row blocks i, f, g, o.
        With ``peephole=True`` also ``peephole_l{k}`` (3, H), rows :math:`p_i, p_f, p_o`.
    state_grad : tuple of ndarray
        ``(dh_0, dc_0)`` after :meth:`backward`.

    Notes
    -----
    One backward per forward: backpropagation reuses the forward's buffers.

    Examples
    --------
    >>> import numpy as np
    >>> lstm = LSTM(2, 3, num_layers=2, bidirectional=True, seed=0)
    >>> out, (h_n, c_n) = lstm.forward(np.zeros((4, 1, 2)))
    >>> out.shape, h_n.shape
    ((4, 1, 6), (4, 1, 3))
    >>> np.allclose(lstm.trace(layer=1, direction=0).a, out[:, :, :3])
    True
    >>> LSTM(2, 3, peephole=True, seed=0).params["peephole_l0"].shape
    (3, 3)
    """

    _gates = 4
    _state_parts = 2
    _keeps_input = False  # forward copies the input into its own buffers

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False,
                 g="tanh", h="tanh", peephole=False, dtype=np.float64, seed=None):
        self.g = check_choice(g, "g", _SQUASH)
        self.h = check_choice(h, "h", _SQUASH)
        self.peephole = check_bool(peephole, "peephole")
        super().__init__(input_size, hidden_size, num_layers, bidirectional, batch_first, dtype, seed)
        if self.peephole:  # after the uniform draws: the other parameters are those of the plain LSTM
            for layer in range(self.num_layers):
                for d in range(self.num_directions):
                    for name in self._extra_param_names(layer, d):
                        self.params[name] = np.zeros((3, self.hidden_size), dtype=self.dtype)
                        self.grads[name] = np.zeros((3, self.hidden_size), dtype=self.dtype)

    def _extra_param_names(self, layer, direction):
        if not self.peephole:
            return ()
        return (f"peephole_l{layer}" + ("_reverse" if direction == 1 else ""),)

    def _repr_extra(self):
        extra = []
        if self.g != "tanh":
            extra.append(f"g={self.g!r}")
        if self.h != "tanh":
            extra.append(f"h={self.h!r}")
        if self.peephole:
            extra.append("peephole=True")
        return extra

    def _no_torch_twin(self, what):
        if self.peephole:
            raise ValueError(f"{what}: PyTorch has no peephole LSTM (torch.nn.LSTM has no peephole weights); "
                             "use state_dict() / load_state_dict() for this model")

    def load_torch_state_dict(self, state_dict):
        """Load a ``torch.nn.LSTM`` state dict (not for a peephole LSTM, which PyTorch lacks)."""
        self._no_torch_twin("load_torch_state_dict")
        super().load_torch_state_dict(state_dict)

    def torch_state_dict(self):
        """The parameters with PyTorch's names and layouts (not for a peephole LSTM, which PyTorch lacks)."""
        self._no_torch_twin("torch_state_dict")
        return super().torch_state_dict()

    def torch_grads(self):
        """Gradients keyed like ``torch_state_dict()`` (not for a peephole LSTM, which PyTorch lacks)."""
        self._no_torch_twin("torch_grads")
        return super().torch_grads()

    def forward(self, x, state=None):
        """Run the sequence; see :meth:`companion.recurrent.StackedRecurrent.forward`.

        Parameters
        ----------
        x : ndarray, (T, B, D), or (B, T, D) if ``batch_first``
        state : tuple (h_0, c_0) of ndarrays (num_layers*num_directions, B, H), optional
            Zeros if None (either part may be None).

        Returns
        -------
        out : ndarray, (T, B, num_directions*H) (or (B, T, .))
            The outputs ``a`` of the last layer.
        (h_n, c_n) : tuple of ndarray, (num_layers*num_directions, B, H)
        """
        return super().forward(x, state)

    def _unbounded(self):
        """With a linear g the memory grows without bound, and may overflow (forward then says so)."""
        return self.g == "identity"

    def _direction_forward(self, X, W, U, bias, state0, reverse, *peephole):
        a0, c0 = state0
        if self.peephole:
            return _lstm_peephole.forward(X, W, U, bias, peephole[0], a0, c0, reverse, self.g, self.h)
        return _lstm_kernel.forward(X, W, U, bias, a0, c0, reverse, self.g == "tanh", self.h == "tanh", self._pool)

    def _direction_backward(self, cache, dout, dfinal):
        if self.peephole:
            return _lstm_peephole.backward(cache, dout, dfinal[0], dfinal[1])
        return _lstm_kernel.backward(cache, dout, dfinal[0], dfinal[1], self.g == "tanh", self.h == "tanh",
                                     self._pool)

    def trace(self, layer=0, direction=0):
        """Cell inputs, gate openings, memory and outputs of the last forward pass.

        Recomputed by running :func:`lstm_step_forward` over the stored input of the layer,
        from its initial state, with the parameters of that forward pass (so it is available
        after backward too, and after an optimiser step).

        Parameters
        ----------
        layer : int, default 0
        direction : int, default 0
            0 forward, 1 backward (bidirectional only).

        Returns
        -------
        LSTMTrace
            (T, B, H) arrays in time order (time-major even with ``batch_first``).

        Examples
        --------
        >>> import numpy as np
        >>> lstm = LSTM(1, 1, seed=0)
        >>> _ = lstm.forward(np.ones((3, 1, 1)))
        >>> tr = lstm.trace()
        >>> bool(((tr.forget_gate > 0) & (tr.forget_gate < 1)).all())
        True
        """
        cache = self._check_index(layer, direction)
        x = cache.inputs()  # (T, B, D)
        a, c = cache.initial_state()  # (B, H) each
        W, U, b = cache.parameters()
        peephole = cache.peephole if self.peephole else None
        steps = time_indices(x.shape[0], cache.reverse)[0]
        step_caches = [None] * x.shape[0]
        for t in steps:
            a, c, step_caches[t] = lstm_step_forward(x[t], a, c, W, U, b, self.g, self.h, peephole)
        return LSTMTrace(*(np.stack([getattr(sc, name) for sc in step_caches]) for name in LSTMTrace._fields))
