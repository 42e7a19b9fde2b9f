"""Shared machinery of the sequence models: parameters, seeding, stacking and bidirectionality.

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

import math
import numbers
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from companion._checks import (
    check_array,
    check_dtype,
    check_forward_done,
    check_not_overflowed,
    overflow_errstate,
    check_positive_int,
    check_sequence,
)

__all__ = ["StackedRecurrent", "make_rng", "time_chunks", "time_indices"]


def make_rng(seed):
    """Return a ``numpy.random.Generator`` for ``seed``.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` gives fresh entropy, an int a reproducible generator, a Generator is used as is.

    Returns
    -------
    numpy.random.Generator

    Examples
    --------
    >>> float(make_rng(0).uniform()) == float(make_rng(0).uniform())
    True
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_)):
        if seed < 0:
            raise ValueError(f"seed must be a non-negative int; got {seed!r}")
        return np.random.default_rng(seed)
    if isinstance(seed, np.random.Generator):
        return seed
    raise ValueError(f"seed must be None, an int or a numpy.random.Generator; got {seed!r}")


def _to_numpy(value):
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # torch tensor (torch is never imported here)
        value = value.detach().cpu().numpy()
    return np.asarray(value)


def copy_state_dict(params, state_dict):
    """Copy ``state_dict`` into the arrays of ``params`` in place, checking keys, shapes and values.

    The arrays keep their identity (optimisers holding them stay valid); values, numpy arrays or
    torch tensors, are cast to each array's dtype. Everything is checked before anything is
    copied, so a rejected ``state_dict`` leaves ``params`` untouched.

    Raises
    ------
    ValueError
        If ``state_dict`` is not a mapping, on missing or unexpected keys, a shape mismatch, or
        values that are not real numbers or are NaN/inf (also after the cast, e.g. 1e300 into
        float32).
    """
    if not isinstance(state_dict, Mapping):
        raise ValueError(
            f"state_dict must be a mapping of parameter name -> array (e.g. model.state_dict()); "
            f"got {type(state_dict).__name__}"
        )
    missing = sorted(set(params) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(params), key=str)
    if missing or unexpected:
        raise ValueError(f"state_dict keys do not match: missing {missing}, unexpected {unexpected}")
    checked = {}
    for name, target in params.items():
        value = _to_numpy(state_dict[name])
        if value.shape != target.shape:
            raise ValueError(f"state_dict[{name!r}] must have shape {target.shape}; got {value.shape}")
        if value.dtype.kind not in "biuf":
            raise ValueError(f"state_dict[{name!r}] must hold real numbers; got dtype {value.dtype}")
        with np.errstate(over="ignore"):
            cast = value.astype(target.dtype)
        if cast.size and not np.isfinite(cast).all():
            raise ValueError(f"state_dict[{name!r}] contains NaN or inf (as {target.dtype})")
        checked[name] = cast
    for name, target in params.items():
        np.copyto(target, checked[name])


class _ParamsMixin:
    """``params``/``grads`` dictionaries and state-dict helpers (PyTorch-style names)."""

    def state_dict(self):
        """Copies of the parameters.

        Returns
        -------
        dict of str -> ndarray

        Examples
        --------
        >>> from companion.elman import ElmanRNN
        >>> a, b = ElmanRNN(2, 3, seed=0), ElmanRNN(2, 3, seed=1)
        >>> b.load_state_dict(a.state_dict())
        >>> bool((a.params["weight_hh_l0"] == b.params["weight_hh_l0"]).all())
        True
        """
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state_dict):
        """Copy parameters in place from a mapping of name -> array (or torch tensor).

        The arrays of ``params`` keep their identity (optimisers holding them stay valid);
        values are cast to the model's dtype.

        Parameters
        ----------
        state_dict : mapping of str -> array_like
            Must hold exactly the keys of ``params`` with the same shapes.

        Raises
        ------
        ValueError
            If ``state_dict`` is not a mapping, on missing or unexpected keys, a shape mismatch,
            or values that are not real numbers or are NaN/inf. Nothing is copied then.
        """
        copy_state_dict(self.params, state_dict)

    # PyTorch interop: the names and layouts are PyTorch's already.
    def load_torch_state_dict(self, state_dict):
        """Load a PyTorch ``state_dict`` (tensors or numpy arrays), same names and layouts.

        Parameters
        ----------
        state_dict : mapping of str -> array_like or torch.Tensor

        Raises
        ------
        ValueError
            If ``state_dict`` is not a mapping, on missing or unexpected keys, a shape mismatch,
            or values that are not real numbers or are NaN/inf. Nothing is copied then.
        """
        self.load_state_dict(state_dict)

    def torch_state_dict(self):
        """The parameters as a dict of numpy arrays with PyTorch's names and layouts.

        ``torch_model.load_state_dict({k: torch.from_numpy(v) for k, v in d.items()})``
        loads them into the matching ``torch.nn`` module.

        Returns
        -------
        dict of str -> ndarray
        """
        return self.state_dict()

    def torch_grads(self):
        """Copies of the gradients of the last backward, keyed like ``torch_state_dict()``.

        Returns
        -------
        dict of str -> ndarray
            Compare with ``{n: p.grad for n, p in torch_model.named_parameters()}``.
        """
        return {k: v.copy() for k, v in self.grads.items()}


def _free_a_block(nbytes):
    """Allocate and free (untouched) a block of ``nbytes``, for glibc's sake.

    glibc's malloc returns freed memory at the top of its heap to the operating system once
    it exceeds a threshold, which it raises to twice the largest block it has unmapped so far
    (up to 32 MiB). The pooled buffers are never freed, so that threshold stayed at 128 KiB:
    the arrays a pass returns (outputs, gradients; a few MiB) went back to the OS after every
    pass and were page-faulted in again (measured: about 700 faults and +3 ms per forward +
    backward of the benchmark's float32 LSTM, 12%). Freeing one block of a new buffer's size
    just before allocating it sets the threshold as freeing a buffer every pass used to, and
    adds nothing to the peak (the buffer itself comes next). Elsewhere it is a no-op in effect.
    """
    block = np.empty(nbytes, dtype=np.uint8)
    del block


class _BufferPool:
    """Large work buffers of the forward and backward passes, reused once nothing refers to them.

    :meth:`views` hands out views of one buffer and remembers weak references to them. A later
    request of the same size and dtype reuses the buffer only when all of those views have been
    garbage collected, i.e. when the forward pass that owned them is gone. A forward pass kept
    alive elsewhere (``SequenceModel.predict`` keeps the one before it) keeps its buffers.

    Reusing matters for speed: allocating fresh buffers for every forward pass made glibc return
    the memory to the operating system after each backward pass, and the next forward pass paid
    thousands of page faults (measured: +35% time for a 2-layer bidirectional LSTM).

    Examples
    --------
    >>> pool = _BufferPool()
    >>> a, b = pool.views("demo", np.float64, (2, 3), (4,))
    >>> a.shape, b.shape
    ((2, 3), (4,))
    >>> c, _ = pool.views("demo", np.float64, (2, 3), (4,))  # a and b are alive: a new buffer
    >>> np.shares_memory(a, c)
    False
    >>> del a, b
    >>> d, _ = pool.views("demo", np.float64, (2, 3), (4,))  # reuses the first buffer
    >>> len(pool)
    2
    """

    def __init__(self):
        self._entries = []  # [kind, buffer, weak references to the views handed out]

    def __len__(self):
        return len(self._entries)

    def __reduce__(self):  # copies and pickles of a model start with an empty pool
        return (_BufferPool, ())

    @staticmethod
    def _free(entry):
        return all(ref() is None for ref in entry[2])

    def views(self, kind, dtype, *shapes):
        """Views of shapes ``shapes`` into one buffer (uninitialised), reusing a free one if possible.

        Parameters
        ----------
        kind : str
            What the buffer is for. A request that no free buffer of its kind fits lets the free
            buffers of that kind go (they were sized for earlier shapes).
        dtype : numpy dtype
        *shapes : tuple of int

        Returns
        -------
        list of ndarray
            One C-contiguous view per shape, side by side in the buffer.
        """
        dtype = np.dtype(dtype)
        sizes = [math.prod(shape) for shape in shapes]
        total = sum(sizes)
        entry = next((e for e in self._entries if e[0] == kind and e[1].size == total
                      and e[1].dtype == dtype and self._free(e)), None)
        if entry is None:
            self._entries = [e for e in self._entries if e[0] != kind or not self._free(e)]
            _free_a_block(total * dtype.itemsize)  # first: it then adds nothing to the peak memory
            entry = [kind, np.empty(total, dtype=dtype), []]
            self._entries.append(entry)
        out, offset = [], 0
        for shape, size in zip(shapes, sizes):
            out.append(entry[1][offset:offset + size].reshape(shape))
            offset += size
        entry[2] = [weakref.ref(view) for view in out]
        return out


@dataclass
class _ForwardRecord:
    """What a forward pass leaves for backward (one entry per layer and direction)."""

    caches: list
    T: int
    B: int
    out_shape: tuple
    consumed: bool = False
    extra: dict = field(default_factory=dict)


class StackedRecurrent(_ParamsMixin):
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

    def __init__(self, input_size, hidden_size, num_layers=1, bidirectional=False, batch_first=False,
                 dtype=np.float64, seed=None):
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.num_layers = check_positive_int(num_layers, "num_layers")
        if not isinstance(bidirectional, (bool, np.bool_)):
            raise ValueError(f"bidirectional must be True or False; got {bidirectional!r}")
        if not isinstance(batch_first, (bool, np.bool_)):
            raise ValueError(f"batch_first must be True or False; got {batch_first!r}")
        self.bidirectional = bool(bidirectional)
        self.batch_first = bool(batch_first)
        self.dtype = check_dtype(dtype)
        rng = make_rng(seed)
        H, G = self.hidden_size, self._gates
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
        self._pool = _BufferPool()  # work buffers of the forward and backward passes (see _BufferPool)

    # ------------------------------------------------------------------ helpers
    @property
    def num_directions(self):
        """int: 2 if bidirectional else 1."""
        return 2 if self.bidirectional else 1

    @staticmethod
    def _param_names(layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        return (f"weight_ih{suffix}", f"weight_hh{suffix}", f"bias_ih{suffix}", f"bias_hh{suffix}")

    def _state_shape(self, B):
        return (self.num_layers * self.num_directions, B, self.hidden_size)

    def _state_names(self):
        return ("state",) if self._state_parts == 1 else ("state[0] (h_0)", "state[1] (c_0)")

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
        if unbounded:
            check_not_overflowed(layer_in, type(self).__name__)
        out = layer_in.view()
        out.flags.writeable = False  # it is also the memory BPTT reads: protect it
        if self.batch_first:
            out = out.swapaxes(0, 1)
        self._record = _ForwardRecord(caches, T, B, out.shape)
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
                out_d, final, cache = self._direction_forward(layer_in, w_ih, w_hh, b_ih + b_hh, s0, d == 1)
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
                dX_d, ds0, (dW, dU, db) = self._direction_backward(rec.caches[k], dout_d, dfinal)
                w_ih, w_hh, b_ih, b_hh = self._param_names(layer, d)
                np.copyto(self.grads[w_ih], dW)
                np.copyto(self.grads[w_hh], dU)
                np.copyto(self.grads[b_ih], db)
                np.copyto(self.grads[b_hh], db)
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
