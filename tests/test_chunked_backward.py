"""Backpropagation through time in chunks of steps (companion.recurrent.time_chunks), against torch.

The LSTM, GRU and Elman backward passes cut time into chunks of about ``BPTT_CHUNK_ELEMENTS`` values
(steps x B x H) and visit them latest first. The parity tests' small shapes fit in one chunk, so
here the budget is lowered to force chunks of 1, 2 and 3 steps on the same configurations, and
one realistic shape (T x B x H above the default budget) runs without any patching. A chunk visited
in the wrong order, or a gradient that keeps only the last chunk's share, fails these tests.
"""
import pytest

import companion.recurrent as recurrent
import test_torch_parity as parity
from companion.recurrent import time_chunks

# configurations of test_torch_parity with at least 3 steps, so that chunks of 1-3 steps split them
CHUNKED_CONFIGS = [c for c in parity.CONFIGS if c[4] >= 3]
KINDS = [("lstm", {}), ("gru", {}), ("rnn", {"nonlinearity": "tanh"}), ("rnn", {"nonlinearity": "relu"})]


@pytest.mark.parametrize("steps_per_chunk", [1, 2, 3])
@pytest.mark.parametrize("kind,kw", KINDS, ids=["lstm", "gru", "elman-tanh", "elman-relu"])
@pytest.mark.parametrize("num_layers,bidirectional,batch_first,with_state,T,B", CHUNKED_CONFIGS)
def test_chunked_backward_matches_torch(monkeypatch, steps_per_chunk, kind, kw,
                                        num_layers, bidirectional, batch_first, with_state, T, B):
    monkeypatch.setattr(recurrent, "BPTT_CHUNK_ELEMENTS", steps_per_chunk * B * parity.H)
    chunk, spans = time_chunks(T, B, parity.H, reverse=False)
    assert chunk == min(T, steps_per_chunk) and len(spans) == -(-T // chunk)
    r = parity._run_pair(kind, num_layers, bidirectional, batch_first, with_state, T, B, **kw)
    parity._compare(r, parity.FWD_TOL, parity.GRAD_TOL)


@pytest.mark.parametrize("kind,kw", KINDS[:3], ids=["lstm", "gru", "elman-tanh"])
def test_default_chunking_at_a_realistic_size_matches_torch(monkeypatch, kind, kw):
    """T x B x H = 40 x 64 x 32 > BPTT_CHUNK_ELEMENTS: two chunks with the default budget."""
    monkeypatch.setattr(parity, "D", 8)
    monkeypatch.setattr(parity, "H", 32)
    T, B = 40, 64
    assert len(time_chunks(T, B, 32, reverse=False)[1]) == 2
    r = parity._run_pair(kind, 1, True, False, True, T, B, **kw)
    parity._compare(r, parity.FWD_TOL, parity.GRAD_TOL)
