"""What a forward pass leaves for backward (private).

Examples
--------
>>> rec = ForwardRecord(caches=[], T=5, B=2, out_shape=(5, 2, 3))
>>> rec.consumed
False
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class ForwardRecord:
    """One forward pass of a sequence model, kept for its backward.

    Attributes
    ----------
    caches : list
        One cache per layer and direction (the model's own type).
    T, B : int
        Steps and batch size of the pass.
    out_shape : tuple
        Shape of the output the pass returned (what ``dout`` must match).
    consumed : bool
        Set by backward: a second backward of the same pass is refused.
    """

    caches: list
    T: int
    B: int
    out_shape: tuple
    consumed: bool = False


@contextmanager
def forward_state_kept(*objects):
    """Run a block that calls ``forward`` and leave ``objects`` as they were before it.

    What a forward pass stores for backward (records, caches, shapes) lives in the objects' attributes;
    they are all put back afterwards, so a later backward still differentiates the forward pass before
    the block (PyTorch's graphs are separate objects; here they are not). The parameter arrays are not
    copied: their identity and values are untouched by a forward pass anyway.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.layers import Linear
    >>> layer = Linear(2, 1, seed=0)
    >>> _ = layer.forward(np.ones((1, 2)))
    >>> with forward_state_kept(layer):
    ...     _ = layer.forward(np.zeros((3, 2)))
    >>> layer.backward(np.ones((1, 1))).shape    # the first pass, not the one in the block
    (1, 2)
    """
    saved = [(obj, dict(vars(obj))) for obj in objects if hasattr(obj, "__dict__")]
    try:
        yield
    finally:
        for obj, attrs in saved:
            vars(obj).clear()
            vars(obj).update(attrs)
