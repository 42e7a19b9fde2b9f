"""What a forward pass leaves for backward (private).

Examples
--------
>>> rec = ForwardRecord(caches=[], T=5, B=2, out_shape=(5, 2, 3))
>>> rec.consumed
False
"""
from __future__ import annotations

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
