"""Torch tensors in, numpy arrays out (private). torch is never imported here.

Examples
--------
>>> import numpy as np
>>> to_numpy([1.0, 2.0])
array([1., 2.])
"""
from __future__ import annotations

import numpy as np


def is_tensor(value):
    """Whether ``value`` looks like a torch tensor (has ``detach`` and ``numpy``), without importing torch."""
    return hasattr(value, "detach") and hasattr(value, "numpy")


def to_numpy(value):
    """``value`` as an ndarray: a torch tensor is detached and copied to the CPU, anything else goes
    through ``np.asarray`` (which may raise ``ValueError``/``TypeError`` for e.g. ragged nested lists).

    Examples
    --------
    >>> to_numpy(np.float32(1.5)).dtype
    dtype('float32')
    """
    if is_tensor(value):
        value = value.detach().cpu().numpy()
    return np.asarray(value)
