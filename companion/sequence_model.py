"""A recurrent layer with an output layer on top: ``y_t = head(rnn(x)_t)``.

:class:`SequenceModel` joins any of the companion's recurrent models (``ElmanRNN``,
``LSTM``, ``JordanRNN``: ``forward(x, state=None) -> (out, state)``, ``backward(dout) -> dx``,
``params``/``grads`` dicts) with a :class:`~companion.layers.Linear` head applied at every
step (slot filling, next-bit prediction) or only at the last one (the adding problem).
It exposes the same small interface itself, so the optimisers and
:func:`companion.training.train` treat it like any other model.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from companion._checks import check_bool, check_model
from companion._params import copy_state_dict
from companion._record import forward_state_kept
from companion.layers import Linear

__all__ = ["SequenceModel"]


class _PrefixedView(Mapping):
    """Read-only, live view ``"rnn.<name>" -> rnn.<attr>[name]``, ``"head.<name>" -> head.<attr>[name]``.

    Each lookup goes to the sub-model's current dict, so the arrays returned are the
    sub-models' own arrays (in-place updates reach them) even if a sub-model rebinds its dict.
    """

    def __init__(self, parts, attr):
        self._parts = parts  # tuple of (prefix, module)
        self._attr = attr

    def _split(self, key):
        for prefix, module in self._parts:
            if isinstance(key, str) and key.startswith(prefix + "."):
                return getattr(module, self._attr), key[len(prefix) + 1 :]
        raise KeyError(key)

    def __getitem__(self, key):
        d, name = self._split(key)
        return d[name]

    def __iter__(self):
        for prefix, module in self._parts:
            for name in getattr(module, self._attr):
                yield f"{prefix}.{name}"

    def __len__(self):
        return sum(len(getattr(module, self._attr)) for _, module in self._parts)

    def __repr__(self):
        shapes = ", ".join(f"{k!r}: {tuple(np.shape(v))}" for k, v in self.items())
        return "{" + shapes + "}"


class SequenceModel:
    """A recurrent model followed by a per-step :class:`~companion.layers.Linear` output layer.

    Parameters
    ----------
    rnn : ElmanRNN, LSTM, JordanRNN or any object with the same interface
        ``forward(x, state=None) -> (out, state)`` with ``out`` (T, B, F) (or (B, T, F) if
        ``rnn.batch_first``), ``backward(dout) -> dx``, and ``params``/``grads`` dicts.
    head : Linear
        Output layer with ``in_features`` = F (H, or 2H for a bidirectional rnn).
    last_step : bool, default False
        If True, apply the head only to the rnn's output at the final step, giving one
        output per sequence (B, K), e.g. for the adding problem. For a bidirectional rnn
        the final step's reverse half has read only that one step; use per-step outputs
        there instead.

    Attributes
    ----------
    params, grads : Mapping of str to ndarray
        Live read-only views merging ``rnn.params``/``head.params`` under the prefixes
        ``"rnn."`` and ``"head."`` (e.g. ``"rnn.weight_ih_l0"``, ``"head.weight"``). The values
        are the sub-models' own arrays, so an optimiser built on ``model.params`` updates the
        rnn and the head in place.
    state :
        The rnn's final state from the last :meth:`forward` (``h_n``, or ``(h_n, c_n)``).

    Examples
    --------
    A stand-in "recurrent" model with the contract's interface (the real ones are
    ``companion.elman.ElmanRNN`` and friends) shows the shapes:

    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> from companion.sequence_model import SequenceModel
    >>> class Identity:                      # out = x, no parameters of its own
    ...     batch_first = False
    ...     params, grads = {}, {}
    ...     def forward(self, x, state=None):
    ...         return np.asarray(x, dtype=float), None
    ...     def backward(self, dout, dstate=None):
    ...         return dout
    >>> model = SequenceModel(Identity(), Linear(3, 2, seed=0))
    >>> x = np.ones((4, 5, 3))               # (T, B, D)
    >>> model.forward(x).shape               # (T, B, K)
    (4, 5, 2)
    >>> model.backward(np.ones((4, 5, 2))).shape
    (4, 5, 3)
    >>> list(model.params)
    ['head.weight', 'head.bias']
    >>> SequenceModel(Identity(), Linear(3, 1, seed=0), last_step=True).forward(x).shape   # (B, K)
    (5, 1)
    """

    def __init__(self, rnn, head, last_step=False):
        check_model(rnn, "rnn", "like ElmanRNN, LSTM or JordanRNN")
        if isinstance(rnn, Linear):
            raise ValueError("rnn must be a recurrent model (ElmanRNN, LSTM, JordanRNN); got a Linear layer, "
                             "which has no memory: use the Linear as the head")
        if not isinstance(head, Linear):
            raise ValueError(f"head must be a companion.layers.Linear; got {type(head).__name__}")
        out_size = _rnn_output_size(rnn)
        if out_size is not None and out_size != head.in_features:
            raise ValueError(
                f"head.in_features must equal the rnn's output size {out_size}; got {head.in_features}"
            )
        self.rnn = rnn
        self.head = head
        self.last_step = check_bool(last_step, "last_step")
        self.params = _PrefixedView((("rnn", rnn), ("head", head)), "params")
        self.grads = _PrefixedView((("rnn", rnn), ("head", head)), "grads")
        self.state = None
        self._out_shape = None

    @property
    def batch_first(self):
        """Whether inputs and per-step outputs are (B, T, ·) (taken from the rnn)."""
        return bool(getattr(self.rnn, "batch_first", False))

    def __repr__(self):
        return f"SequenceModel(rnn={self.rnn!r}, head={self.head!r}, last_step={self.last_step})"

    def forward(self, x, state=None):
        """Run the rnn over ``x`` and the head over its outputs.

        Parameters
        ----------
        x : ndarray, shape (T, B, D) (or (B, T, D) if the rnn is batch_first)
        state : ndarray or tuple of ndarray, optional
            Initial state passed to the rnn (None = zeros): (num_layers*num_directions, B, H)
            for ElmanRNN, a pair ``(h_0, c_0)`` of such arrays for LSTM, (1, B, O) for JordanRNN.

        Returns
        -------
        y : ndarray
            (T, B, K) per-step outputs ((B, T, K) if batch_first), or (B, K) with ``last_step``.
            The rnn's final state is kept in ``state``.
        """
        out, self.state = self.rnn.forward(x, state)  # (T, B, F) or (B, T, F)
        out = np.asarray(out)
        self._out_shape = out.shape
        if self.last_step:
            out = out[:, -1] if self.batch_first else out[-1]  # (B, F)
        return self.head.forward(out)

    __call__ = forward

    def predict(self, x, state=None):
        """Outputs for evaluation: the same values as :meth:`forward`, leaving the model as it was.

        Unlike :meth:`forward`, it keeps what the last :meth:`forward` stored (the rnn's and the
        head's records, ``state``), so a :meth:`backward` after ``predict`` still differentiates
        that forward pass. For class scores, ``model.predict(x).argmax(-1)`` gives the predicted
        class per step.

        Parameters
        ----------
        x : ndarray, shape (T, B, D) (or (B, T, D) if the rnn is batch_first)
        state : optional
            Initial state passed to the rnn (None = zeros).

        Returns
        -------
        y : ndarray
            As from :meth:`forward`: (T, B, K), (B, T, K) or (B, K).

        Examples
        --------
        >>> import numpy as np
        >>> from companion.elman import ElmanRNN
        >>> from companion.layers import Linear
        >>> model = SequenceModel(ElmanRNN(2, 4, seed=0), Linear(4, 3, seed=0))
        >>> x = np.random.default_rng(0).normal(size=(5, 1, 2))
        >>> y = model.forward(x)
        >>> dx = model.backward(np.ones_like(y))
        >>> y2 = model.forward(x)
        >>> _ = model.predict(x[:2])  # does not replace the forward pass above
        >>> np.array_equal(model.backward(np.ones_like(y2)), dx)
        True
        """
        with forward_state_kept(self, self.rnn, self.head):
            return self.forward(x, state)

    def state_dict(self):
        """Copies of all parameters, keyed like ``params`` (``"rnn.<name>"``, ``"head.<name>"``).

        Returns
        -------
        dict of str to ndarray
        """
        return {name: np.array(p, copy=True) for name, p in self.params.items()}

    def load_state_dict(self, state_dict):
        """Copy parameters in place from a mapping with the keys of :meth:`state_dict`.

        The arrays keep their identity, so an optimiser built on ``params`` stays valid (e.g.
        restore the best weights seen during training).

        Parameters
        ----------
        state_dict : mapping of str -> array_like
            The keys of :meth:`state_dict` (``"rnn.<name>"``, ``"head.<name>"``), same shapes.

        Raises
        ------
        ValueError
            If ``state_dict`` is not a mapping, on missing or unexpected keys, a shape mismatch,
            or values that are not real numbers or are NaN/inf. Nothing is copied then.
        """
        copy_state_dict(self.params, state_dict)

    def backward(self, dy):
        """Backpropagate through the head and the rnn; fills ``grads``.

        Parameters
        ----------
        dy : ndarray
            Gradient of the loss with respect to the output of :meth:`forward` (same shape).

        Returns
        -------
        dx : ndarray, the shape of ``x``.
        """
        if self._out_shape is None:
            raise ValueError("SequenceModel.backward() called before forward(): run forward(x) first")
        dfeat = self.head.backward(dy)
        if self.last_step:
            dout = np.zeros(self._out_shape, dtype=dfeat.dtype)  # only the last step feeds the head
            if self.batch_first:
                dout[:, -1] = dfeat
            else:
                dout[-1] = dfeat
        else:
            dout = dfeat
        return self.rnn.backward(dout)


def _rnn_output_size(rnn):
    """Feature size of the rnn's ``out`` if it can be read off its attributes, else None."""
    if hasattr(rnn, "output_size"):  # JordanRNN: out is y (T, B, O)
        return int(rnn.output_size)
    if hasattr(rnn, "hidden_size"):
        return int(rnn.hidden_size) * (2 if getattr(rnn, "bidirectional", False) else 1)
    return None
