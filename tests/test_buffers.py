"""Tests of companion._buffers.BufferPool, through the pool and through the LSTM that uses it."""
import copy
import gc
import pickle
import tracemalloc

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from companion.lstm import LSTM
from companion._buffers import BufferPool


def test_pool_reuses_a_buffer_only_when_all_its_views_are_gone():
    pool = BufferPool()
    a, b = pool.views("k", np.float64, (2, 3), (4,))
    assert a.shape == (2, 3) and b.shape == (4,) and a.flags.c_contiguous
    assert not np.shares_memory(a, b)
    a[...] = 1.0
    del b  # a is still alive: the buffer is in use
    c, d = pool.views("k", np.float64, (2, 3), (4,))
    assert not np.shares_memory(a, c) and not np.shares_memory(a, d)
    assert_array_equal(a, 1.0)
    del a
    gc.collect()
    e, _ = pool.views("k", np.float64, (2, 3), (4,))
    assert len(pool) == 2  # the first buffer came back
    assert not np.shares_memory(e, c)


def test_pool_keeps_kinds_and_dtypes_apart_and_drops_stale_sizes():
    pool = BufferPool()
    x, = pool.views("forward", np.float64, (10,))
    y, = pool.views("backward", np.float64, (10,))
    assert not np.shares_memory(x, y)
    del x, y
    z, = pool.views("forward", np.float32, (10,))  # other dtype: a new buffer; the free float64 one goes
    assert z.dtype == np.float32
    assert len(pool) == 2  # float32 forward + the free backward buffer (another kind: kept)
    w, = pool.views("backward", np.float64, (10,))
    assert len(pool) == 2


def test_repeated_passes_reuse_buffers_and_give_identical_results():
    rng = np.random.default_rng(0)
    lstm = LSTM(3, 4, num_layers=2, bidirectional=True, seed=0)
    x1, x2 = rng.normal(size=(2, 7, 2, 3))
    dy = rng.normal(size=(7, 2, 8))

    def run(x):
        out, (h, c) = lstm.forward(x)
        dx = lstm.backward(dy)
        return [np.array(a, copy=True) for a in (out, h, c, dx, *lstm.grads.values())]

    first = run(x1)
    size = len(lstm._pool)
    run(x2)
    again = run(x1)
    assert len(lstm._pool) == size  # steady state: no buffer added
    for a, b in zip(first, again):
        assert_array_equal(a, b)


def test_outputs_kept_by_the_caller_are_never_overwritten():
    rng = np.random.default_rng(1)
    lstm = LSTM(3, 4, seed=0)
    x1, x2 = rng.normal(size=(2, 5, 2, 3))
    out1, (h1, c1) = lstm.forward(x1)
    dx1 = lstm.backward(np.ones_like(out1))
    kept = [np.array(a, copy=True) for a in (out1, h1, c1, dx1)]
    for _ in range(3):
        out2, _ = lstm.forward(x2)
        lstm.backward(np.ones_like(out2))
    for a, b in zip((out1, h1, c1, dx1), kept):
        assert_array_equal(a, b)


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_model_with_buffers_can_be_copied(how):
    lstm = LSTM(2, 3, seed=0)
    x = np.random.default_rng(2).normal(size=(4, 1, 2))
    out, _ = lstm.forward(x)
    twin = copy.deepcopy(lstm) if how == "deepcopy" else pickle.loads(pickle.dumps(lstm))
    assert_array_equal(twin.backward(np.ones_like(out)), lstm.backward(np.ones_like(out)))
    assert_array_equal(twin.forward(x)[0], lstm.forward(x)[0])


def _new_bytes_of_a_steady_pass(lstm, x, dy):
    """Peak of the memory allocated during one forward + backward, after warm-up passes (tracemalloc)."""
    for _ in range(2):
        lstm.forward(x)
        lstm.backward(dy)
    gc.collect()
    tracemalloc.start()
    try:
        lstm.forward(x)
        lstm.backward(dy)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


class _NoReusePool(BufferPool):
    """A pool that never hands a buffer out twice: what the models did before the pool."""

    def views(self, kind, dtype, *shapes):
        self._entries.clear()
        return super().views(kind, dtype, *shapes)


def test_steady_passes_allocate_none_of_the_pooled_buffers_again():
    # Without the pool every pass allocates its work buffers afresh, and glibc hands the memory back to
    # the operating system after the pass: the benchmark measured ~2,200 page faults and ~15% of the time
    # per pass at its shape. Here the allocations themselves are counted (tracemalloc sees numpy's).
    T, B, D, H = 20, 8, 6, 16
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=(T, B, D)), rng.normal(size=(T, B, H))
    lstm = LSTM(D, H, seed=0)
    lstm.forward(x)
    lstm.backward(dy)
    pooled = sum(entry.buffer.nbytes for entry in lstm._pool._entries)
    forward_buffer = ((D + H + 1) * (T + 1) * B + T * 4 * H * B + (T + 1) * H * B) * 8  # reads, gates, memory
    assert pooled > forward_buffer  # the forward's buffer and backward's
    with_pool = _new_bytes_of_a_steady_pass(lstm, x, dy)
    lstm._pool = _NoReusePool()
    without_pool = _new_bytes_of_a_steady_pass(lstm, x, dy)
    assert with_pool < pooled / 2  # outputs, gradients and small temporaries only
    assert without_pool - with_pool > 0.9 * pooled  # the control: the same pass, allocating its buffers
