"""Random-number setup shared by the models, layers, tasks and training loops.

Examples
--------
>>> from companion.seeding import make_rng
>>> float(make_rng(0).uniform()) == float(make_rng(0).uniform())
True
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["make_rng"]


def make_rng(seed):
    """Return a ``numpy.random.Generator`` for ``seed``.

    Parameters
    ----------
    seed : None, int or numpy.random.Generator
        ``None`` gives fresh entropy, an int a reproducible generator, a Generator is used as is.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    ValueError
        For anything else (a negative int, a float, a string, a bool), naming ``seed``.

    Examples
    --------
    >>> float(make_rng(0).uniform()) == float(make_rng(0).uniform())
    True
    >>> g = np.random.default_rng(1)
    >>> make_rng(g) is g
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
