"""Tests of companion.recurrent's time helpers (the stacking base class is tested through its models)."""
import companion.recurrent as recurrent
from companion.recurrent import time_chunks, time_indices


def test_time_chunks_cover_every_step_once_in_bptt_order(monkeypatch):
    monkeypatch.setattr(recurrent, "BPTT_CHUNK_ELEMENTS", 3 * 2 * 5)  # 3 steps of B=2, H=5
    chunk, spans = time_chunks(10, 2, 5, reverse=False)
    assert chunk == 3
    assert spans == [(9, 10), (6, 9), (3, 6), (0, 3)]  # latest steps first
    chunk, spans = time_chunks(10, 2, 5, reverse=True)
    assert spans == [(0, 3), (3, 6), (6, 9), (9, 10)]  # the reversed direction's BPTT runs upwards
    steps = sorted(t for s0, s1 in spans for t in range(s0, s1))
    assert steps == list(range(10))


def test_time_indices_read_the_previous_slot_and_write_the_next():
    steps, init, out_sl, prev_sl = time_indices(4, reverse=False)
    assert list(steps) == [0, 1, 2, 3] and init == 0 and (out_sl, prev_sl) == (slice(1, 5), slice(0, 4))
    steps, init, out_sl, prev_sl = time_indices(4, reverse=True)
    assert list(steps) == [3, 2, 1, 0] and init == 4 and (out_sl, prev_sl) == (slice(0, 4), slice(1, 5))
