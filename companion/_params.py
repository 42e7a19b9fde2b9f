"""Parameters and gradients kept as PyTorch-named dictionaries, and state-dict copying (private).

Examples
--------
>>> import numpy as np
>>> params = {"w": np.zeros(2)}
>>> copy_state_dict(params, {"w": [1.0, 2.0]})
>>> params["w"]
array([1., 2.])
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from companion._tensors import to_numpy


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
        try:
            value = to_numpy(state_dict[name])
        except (TypeError, ValueError) as err:  # e.g. a ragged nested list
            raise ValueError(f"state_dict[{name!r}] must be an array of real numbers ({err})") from None
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


class ParamsMixin:
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
