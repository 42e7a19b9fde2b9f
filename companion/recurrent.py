"""The stacked, optionally bidirectional sequence models' base class, and the helpers that walk time.

:class:`StackedRecurrent` implements, once, everything :class:`companion.elman.ElmanRNN`
and :class:`companion.lstm.LSTM` have in common with ``torch.nn.RNN`` / ``torch.nn.LSTM``:

* parameters named and laid out like PyTorch's (``weight_ih_l0``, ``weight_hh_l0``,
  ``bias_ih_l0``, ``bias_hh_l0``, ``..._reverse``), initialised U(-1/sqrt(H), 1/sqrt(H));
* ``num_layers`` stacking: each layer has its own memory, layer k > 0 reads the output of
  layer k - 1;
* ``bidirectional``: a second, independent recurrence runs from the last step to the first;
  the output concatenates ``[forward half, backward half]`` along the feature axis and the
  final states are ordered ``[l0 fwd, l0 bwd, l1 fwd, l1 bwd, ...]``;
* ``batch_first``, input validation, ``backward`` through the stack.

A subclass only supplies the recurrence of one layer in one direction over a whole
sequence (``_direction_forward`` / ``_direction_backward``).
"""
from __future__ import annotations

import numbers

import numpy as np

from companion._buffers import BufferPool
from companion._checks import (
    check_array,
    check_bool,
    check_dtype,
    check_forward_done,
    check_not_overflowed,
    check_parameter_count,
    check_positive_int,
    check_sequence,
    overflow_errstate,
)
from companion._params import ParamsMixin
from companion._record import ForwardRecord
from companion.seeding import make_rng

__all__ = ["StackedRecurrent", "time_chunks", "time_indices"]


class StackedRecurrent(ParamsMixin):
    """Base class of the stacked, optionally bidirectional sequence models.

    Parameters
    ----------
    input_size : int
        D, features per step of the input.
    hidden_size : int
        H, units per layer and direction.
    num_layers : int, default 1
        Stacked layers; layer k > 0 reads layer k - 1's output.
    bidirectional : bool, default False
        Add a backward-in-time recurrence to every layer.
    batch_first : bool, default False
        Inputs/outputs are (B, T, .) instead of (T, B, .).
    dtype : np.float64 or np.float32
        Dtype of the parameters; all computation follows it.
    seed : None, int or numpy.random.Generator
        Seeds the U(-1/sqrt(H), 1/sqrt(H)) initialisation.

    Attributes
    ----------
    params : dict of str -> ndarray
        PyTorch names and layouts; optimisers update these arrays in place.
    grads : dict of str -> ndarray
        Same keys; overwritten (in place) by each :meth:`backward`.
    state_grad : ndarray or tuple of ndarray or None
        Gradient with respect to the initial state of the last backward (same structure as the state).

    Examples
    --------
    The sequence models are its subclasses:

    >>> from companion.elman import ElmanRNN
    >>> rnn = ElmanRNN(3, 4, num_layers=2, bidirectional=True, seed=0)
    >>> isinstance(rnn, StackedRecurrent), rnn.num_directions
    (True, 2)
    >>> [name for name in rnn.params if name.endswith("l1_reverse")]
    ['weight_ih_l1_reverse', 'weight_hh_l1_reverse', 'bias_ih_l1_reverse', 'bias_hh_l1_reverse']
    >>> rnn.params["weight_ih_l1"].shape     # layer 1 reads both directions of layer 0
    (4, 8)
    """

    _gates = 1  # blocks of H rows in the weight matrices (4 for the LSTM)
    _keeps_input = True  # the caches keep the layer input itself (so forward passes them a private copy)
    _state_parts = 1  # 1: h; 2: (h, c)
    _separate_biases = False  # True: the recurrence gets (b_ih, b_hh) and returns their two gradients (GRU)

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False,
                 dtype=np.float64, seed=None):
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        self.bidirectional = check_bool(bidirectional, "bidirectional")
        self.batch_first = check_bool(batch_first, "batch_first")
        self.dtype = check_dtype(dtype)
        H, G, D, nd = self.hidden_size, self._gates, self.input_size, self.num_directions
        per_direction = G * H * (H + 2)  # weight_hh and the two biases (weight_ih depends on the layer)
        count = nd * (per_direction + G * H * D) + (self.num_layers - 1) * nd * (per_direction + G * H * nd * H)
        check_parameter_count(count, {"input_size": D, "hidden_size": H, "num_layers": self.num_layers,
                                      "bidirectional": self.bidirectional})
        rng = make_rng(seed)
        k = 1.0 / np.sqrt(H)
        self.params = {}
        for layer in range(self.num_layers):
            layer_in = self.input_size if layer == 0 else H * self.num_directions
            for d in range(self.num_directions):
                w_ih, w_hh, b_ih, b_hh = self._param_names(layer, d)
                # Same order and shapes as PyTorch's initialisation loop.
                self.params[w_ih] = rng.uniform(-k, k, (G * H, layer_in)).astype(self.dtype)
                self.params[w_hh] = rng.uniform(-k, k, (G * H, H)).astype(self.dtype)
                self.params[b_ih] = rng.uniform(-k, k, (G * H,)).astype(self.dtype)
                self.params[b_hh] = rng.uniform(-k, k, (G * H,)).astype(self.dtype)
        self.grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        self.state_grad = None
        self._record = None
        self._pool = BufferPool()  # work buffers of the forward and backward passes (see companion._buffers)

    # ------------------------------------------------------------------ helpers
    @property
    def num_directions(self):
        """int: 2 if bidirectional else 1."""
        return 2 if self.bidirectional else 1

    @staticmethod
    def _param_names(layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return (f"weight_ih{suffix}", f"weight_hh{suffix}", f"bias_ih{suffix}", f"bias_hh{suffix}")

    def _extra_param_names(self, layer, direction):
        """Names of a subclass's own parameters of one layer and direction, passed to ``_direction_forward``
        after its usual arguments; ``_direction_backward`` returns their gradients after ``(dW, dU, db)``."""
        return ()

    def _state_shape(self, B):
        return (self.num_layers * self.num_directions, B, self.hidden_size)

    def _split_state(self, state, B, what="state"):
        """Validate a state (array, or (h, c) tuple) -> list of arrays or None entries."""
        shape = self._state_shape(B)
        labels = ("num_layers*num_directions", "B", "H")
        if state is None:
            return [None] * self._state_parts
        if self._state_parts == 1:
            parts = [state]
            names = [what]
        else:
            if not isinstance(state, (tuple, list)) or len(state) != 2:
                raise ValueError(f"{what} must be a tuple (h, c) of two arrays of shape {shape}")
            parts = list(state)
            names = [f"{what}[0] (h)", f"{what}[1] (c)"]
        return [None if p is None else check_array(p, n, shape, labels, dtype=self.dtype)
                for p, n in zip(parts, names)]

    def _check_index(self, layer, direction):
        if not isinstance(layer, numbers.Integral) or not 0 <= layer < self.num_layers:
            raise ValueError(f"layer must be an int in [0, {self.num_layers - 1}]; got {layer!r}")
        if not isinstance(direction, numbers.Integral) or not 0 <= direction < self.num_directions:
            raise ValueError(f"direction must be an int in [0, {self.num_directions - 1}]; got {direction!r}")
        if self._record is None:
            raise ValueError("run forward(x) first: there are no stored states yet")
        return self._record.caches[layer * self.num_directions + direction]

    # ------------------------------------------------------------ forward/backward
    def forward(self, x, state=None):
        """Run the whole sequence through every layer and direction.

        Parameters
        ----------
        x : ndarray, (T, B, D), or (B, T, D) if ``batch_first``
            Input sequence (floating point).
        state : optional
            Initial state, shape (num_layers*num_directions, B, H) (Elman) or a tuple
            ``(h_0, c_0)`` of such arrays (LSTM); zeros if None.

        Returns
        -------
        out : ndarray, (T, B, num_directions*H) or (B, T, num_directions*H)
            Output of the last layer at every step (read-only view).
        state_n : ndarray or tuple
            Final state(s), shape (num_layers*num_directions, B, H), ordered
            [l0 fwd, l0 bwd, l1 fwd, ...].
        """
        X = check_sequence(x, self.input_size, self.batch_first, self.dtype, copy=self._keeps_input)  # (T, B, D)
        T, B, _ = X.shape
        init = self._split_state(state, B)
        S, H = self.num_layers * self.num_directions, self.hidden_size
        finals = [np.empty((S, B, H), dtype=self.dtype) for _ in range(self._state_parts)]
        caches = []
        self._record = None  # a forward that fails leaves nothing for backward to misuse
        unbounded = self._unbounded()
        with overflow_errstate(unbounded):
            layer_in = self._forward_layers(X, init, finals, caches, B)
        if unbounded:  # the outputs, and the memories of an LSTM (which its outputs may not show)
            for values in (layer_in, *finals):
                check_not_overflowed(values, type(self).__name__)
        out = layer_in.view()
        out.flags.writeable = False  # it is also the memory BPTT reads: protect it
        if self.batch_first:
            out = out.swapaxes(0, 1)
        self._record = ForwardRecord(caches, T, B, out.shape)
        state_n = finals[0] if self._state_parts == 1 else tuple(finals)
        return out, state_n

    def _unbounded(self):
        """Whether the activations can grow without bound (then forward checks for overflow)."""
        return False

    def _forward_layers(self, layer_in, init, finals, caches, B):
        H, nd = self.hidden_size, self.num_directions
        for layer in range(self.num_layers):
            outs = []
            for d in range(nd):
                k = layer * nd + d
                w_ih, w_hh, b_ih, b_hh = (self.params[n] for n in self._param_names(layer, d))
                s0 = tuple(np.zeros((B, H), self.dtype) if p is None else p[k] for p in init)
                bias = (b_ih, b_hh) if self._separate_biases else b_ih + b_hh  # only the sum matters, but for the GRU
                extra = tuple(self.params[n] for n in self._extra_param_names(layer, d))  # e.g. peepholes
                out_d, final, cache = self._direction_forward(layer_in, w_ih, w_hh, bias, s0, d == 1, *extra)
                for target, value in zip(finals, final):
                    target[k] = value
                outs.append(out_d)  # (T, B, H)
                caches.append(cache)
            layer_in = outs[0] if nd == 1 else np.concatenate(outs, axis=2)  # (T, B, nd*H)
        return layer_in

    def backward(self, dout, dstate=None):
        """Backpropagation through time through every layer and direction.

        Parameters
        ----------
        dout : ndarray, same shape as ``out`` of the last forward
            Gradient of the loss with respect to the outputs.
        dstate : optional
            Gradient with respect to the final state(s) returned by forward (same structure
            and shapes); None means zero.

        Returns
        -------
        dx : ndarray, same shape as the forward input ``x``
            Gradient with respect to the input. The parameter gradients go to ``grads``,
            the gradient with respect to the initial state to ``state_grad``.

        Raises
        ------
        ValueError
            If no forward pass precedes it, or ``dout``/``dstate`` have the wrong shape.
        """
        rec = self._record
        check_forward_done(rec, type(self).__name__)
        labels = ("B", "T", "num_directions*H") if self.batch_first else ("T", "B", "num_directions*H")
        dO = check_array(dout, "dout", rec.out_shape, labels, dtype=self.dtype)
        if self.batch_first:
            dO = dO.swapaxes(0, 1)  # (T, B, nd*H)
        dfin = self._split_state(dstate, rec.B, what="dstate")
        S, H, nd = self.num_layers * self.num_directions, self.hidden_size, self.num_directions
        dinit = [np.empty((S, rec.B, H), dtype=self.dtype) for _ in range(self._state_parts)]
        rec.consumed = True
        dlayer = dO
        for layer in reversed(range(self.num_layers)):
            dX = None
            for d in range(nd):
                k = layer * nd + d
                dout_d = dlayer if nd == 1 else dlayer[:, :, d * H:(d + 1) * H]  # (T, B, H)
                dfinal = tuple(None if p is None else p[k] for p in dfin)
                dX_d, ds0, (dW, dU, db, *dextra) = self._direction_backward(rec.caches[k], dout_d, dfinal)
                w_ih, w_hh, b_ih, b_hh = self._param_names(layer, d)
                for name, value in zip(self._extra_param_names(layer, d), dextra, strict=True):
                    np.copyto(self.grads[name], value)
                np.copyto(self.grads[w_ih], dW)
                np.copyto(self.grads[w_hh], dU)
                db_ih, db_hh = db if self._separate_biases else (db, db)
                np.copyto(self.grads[b_ih], db_ih)
                np.copyto(self.grads[b_hh], db_hh)
                for target, value in zip(dinit, ds0):
                    target[k] = value
                if dX is None:
                    dX = dX_d
                else:
                    dX += dX_d
            dlayer = dX  # (T, B, layer input size)
        self.state_grad = dinit[0] if self._state_parts == 1 else tuple(dinit)
        return dlayer.swapaxes(0, 1) if self.batch_first else dlayer

    __call__ = forward

    def __repr__(self):
        args = [f"{self.input_size}", f"{self.hidden_size}"]
        if self.num_layers != 1:
            args.append(f"num_layers={self.num_layers}")
        if self.bidirectional:
            args.append("bidirectional=True")
        if self.batch_first:
            args.append("batch_first=True")
        args.extend(self._repr_extra())
        if self.dtype != np.float64:
            args.append(f"dtype={self.dtype.name}")
        return f"{type(self).__name__}({', '.join(args)})"

    def _repr_extra(self):
        return []

    # ------------------------------------------------------- subclass interface
    def _direction_forward(self, X, W, U, bias, state0, reverse):  # pragma: no cover - abstract
        """Run one layer in one direction: X (T, B, In) -> (out (T, B, H), final state tuple, cache)."""
        raise NotImplementedError

    def _direction_backward(self, cache, dout, dfinal):  # pragma: no cover - abstract
        """Backward of one layer/direction -> (dX (T, B, In), dstate0 tuple, (dW, dU, db))."""
        raise NotImplementedError


#: Elements (steps x B x H) of one chunk of the backward pass's temporaries (see :func:`time_chunks`).
BPTT_CHUNK_ELEMENTS = 65536


def time_chunks(T, B, H, reverse):
    """Chunks of time for backpropagation, in the order BPTT visits them.

    The backward passes compute what does not depend on the recurrence vectorised over a chunk
    of steps, then run the chunk's steps one by one. A chunk holds about
    ``BPTT_CHUNK_ELEMENTS`` (steps x B x H) values, so the temporaries stay small.

    Parameters
    ----------
    T, B, H : int
        Steps, batch size and hidden size.
    reverse : bool
        True for the backward-in-time direction (its BPTT runs from step 0 upwards).

    Returns
    -------
    chunk : int
        Steps per chunk (the last one visited may be shorter).
    spans : list of (int, int)
        ``(s0, s1)`` step ranges in visiting order: latest first for the forward direction.

    Examples
    --------
    >>> time_chunks(5, 1, 1, reverse=False)
    (5, [(0, 5)])
    >>> import companion.recurrent as rec
    >>> saved, rec.BPTT_CHUNK_ELEMENTS = rec.BPTT_CHUNK_ELEMENTS, 2
    >>> time_chunks(5, 1, 1, reverse=False), time_chunks(5, 1, 1, reverse=True)
    ((2, [(4, 5), (2, 4), (0, 2)]), (2, [(0, 2), (2, 4), (4, 5)]))
    >>> rec.BPTT_CHUNK_ELEMENTS = saved
    """
    chunk = max(1, min(T, BPTT_CHUNK_ELEMENTS // max(1, B * H)))
    spans = [(s0, min(T, s0 + chunk)) for s0 in range(0, T, chunk)]
    return chunk, (spans if reverse else spans[::-1])


def time_indices(T, reverse):
    """Views into a (T+1, ...) history buffer for a recurrence run forwards or backwards.

    The buffer holds the initial state and the T states. Run forwards, step t reads
    slot t and writes slot t+1; run backwards, step t reads slot t+1 and writes slot t.
    Both the T outputs and the T "previous" states are therefore contiguous slices.

    Parameters
    ----------
    T : int
        Number of steps.
    reverse : bool
        True for the backward-in-time direction.

    Returns
    -------
    steps : range
        Processing order of the steps.
    init_slot : int
    out_slice, prev_slice : slice
        Slices of the buffer holding, in time order, the states after and before each step.

    Examples
    --------
    >>> steps, init, out_sl, prev_sl = time_indices(3, reverse=True)
    >>> list(steps), init, out_sl, prev_sl
    ([2, 1, 0], 3, slice(0, 3, None), slice(1, 4, None))
    """
    if reverse:
        return range(T - 1, -1, -1), T, slice(0, T), slice(1, T + 1)
    return range(T), 0, slice(1, T + 1), slice(0, T)
