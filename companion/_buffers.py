"""The work-buffer pool of the sequence models' fast paths (private).

A forward + backward pass of the LSTM needs a few large work buffers (the gates, memories and inputs of
every step, and chunk-sized temporaries of backpropagation). Allocating them afresh for every pass made
glibc hand the memory back to the operating system after each pass, and the next pass paid for it in page
faults: about 2,200 per forward + backward of the benchmark's float32 LSTM, about 15% of its time
(measured by turning the pool off). :class:`BufferPool` keeps the buffers and hands them out again once
nothing refers to the previous pass's views.
"""
from __future__ import annotations

import math
import weakref

import numpy as np


class _Entry:
    """One pooled buffer: what it is for, the memory, and weak references to the views handed out."""

    __slots__ = ("kind", "buffer", "views")

    def __init__(self, kind, buffer):
        self.kind, self.buffer, self.views = kind, buffer, []

    def free(self):
        """True when every view handed out from this buffer has been garbage collected."""
        return all(ref() is None for ref in self.views)

    def fits(self, kind, dtype, size):
        return self.kind == kind and self.buffer.dtype == dtype and self.buffer.size == size


class BufferPool:
    """Large work buffers of the forward and backward passes, reused once nothing refers to them.

    :meth:`views` hands out views of one buffer and remembers weak references to them. A later
    request of the same kind, size and dtype reuses the buffer only when all of those views have
    been garbage collected, i.e. when the pass that owned them is gone. A pass kept alive elsewhere
    (``SequenceModel.predict`` keeps the one before it) keeps its buffers.

    Copies and pickles of a model start with an empty pool.

    Examples
    --------
    >>> pool = BufferPool()
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
        self._entries = []  # list of _Entry

    def __len__(self):
        return len(self._entries)

    def __reduce__(self):  # copies and pickles of a model start with an empty pool
        return (BufferPool, ())

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
        entry = next((e for e in self._entries if e.fits(kind, dtype, total) and e.free()), None)
        if entry is None:
            self._entries = [e for e in self._entries if e.kind != kind or not e.free()]
            entry = _Entry(kind, np.empty(total, dtype=dtype))
            self._entries.append(entry)
        out, offset = [], 0
        for shape, size in zip(shapes, sizes):
            out.append(entry.buffer[offset:offset + size].reshape(shape))
            offset += size
        entry.views = [weakref.ref(view) for view in out]
        return out
