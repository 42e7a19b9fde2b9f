"""The LSTM's fast sequence path (companion._lstm_kernel) against a loop of the chapter's step functions.

No torch here: the reference is :func:`companion.lstm.lstm_step_forward` / :func:`lstm_step_backward`
run step by step through every layer and direction. Backward's chunking is forced to 1-4 steps per
chunk (a chunk visited in the wrong order, or a gradient that keeps one chunk's share, fails), on 1-3
layers, both directions and g, h in {tanh, identity}.
"""
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import companion.recurrent as recurrent
from companion import _lstm_kernel as kernel
from companion.lstm import LSTM, lstm_step_backward, lstm_step_forward

T, B, D, H = 6, 3, 2, 4
RTOL, ATOL = 1e-10, 1e-12


def reference(lstm, x, state, dout, dstate):
    """Forward and backward of ``lstm`` (time-major, float64) as loops of the step functions."""
    nd, L = lstm.num_directions, lstm.num_layers
    h0, c0 = state
    layer_in, caches, h_n, c_n = x, {}, np.empty_like(h0), np.empty_like(c0)
    for layer in range(L):
        outs = []
        for d in range(nd):
            k = layer * nd + d
            w_ih, w_hh, b_ih, b_hh = (lstm.params[n] for n in lstm._param_names(layer, d))
            a, c, out = h0[k], c0[k], np.empty((T, B, H))
            for t in (range(T - 1, -1, -1) if d else range(T)):
                a, c, caches[k, t] = lstm_step_forward(layer_in[t], a, c, w_ih, w_hh, b_ih + b_hh, lstm.g, lstm.h)
                out[t] = a
            h_n[k], c_n[k] = a, c
            outs.append(out)
        layer_in = np.concatenate(outs, axis=2)
    dh_n, dc_n = dstate
    grads, dh0, dc0 = {}, np.empty_like(h0), np.empty_like(c0)
    dlayer = dout
    for layer in reversed(range(L)):
        dx = 0
        for d in range(nd):
            k = layer * nd + d
            da, dc = dh_n[k], dc_n[k]
            names = lstm._param_names(layer, d)
            acc = [0, 0, 0]
            dx_d = np.empty((T,) + caches[k, 0].x_t.shape)  # (T, B, layer input)
            for t in (range(T) if d else range(T - 1, -1, -1)):
                g = lstm_step_backward(dlayer[t, :, d * H:(d + 1) * H] + da, dc, caches[k, t])
                da, dc = g.da_prev, g.dc_prev
                acc = [acc[0] + g.dW, acc[1] + g.dU, acc[2] + g.db]
                dx_d[t] = g.dx_t
            grads.update({names[0]: acc[0], names[1]: acc[1], names[2]: acc[2], names[3]: acc[2]})
            dh0[k], dc0[k] = da, dc
            dx = dx + dx_d
        dlayer = dx
    return layer_in, (h_n, c_n), dlayer, grads, (dh0, dc0)


@pytest.mark.parametrize("g,h", [("tanh", "tanh"), ("identity", "identity"), ("tanh", "identity"),
                                 ("identity", "tanh")])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("steps_per_chunk", [1, 2, 3, 4])
def test_fast_path_equals_a_loop_of_the_step_functions(monkeypatch, steps_per_chunk, num_layers, bidirectional,
                                                       g, h):
    monkeypatch.setattr(recurrent, "BPTT_CHUNK_ELEMENTS", steps_per_chunk * B * H)
    assert recurrent.time_chunks(T, B, H, reverse=False)[0] == steps_per_chunk
    rng = np.random.default_rng(steps_per_chunk * 100 + num_layers * 10 + bidirectional)
    lstm = LSTM(D, H, num_layers=num_layers, bidirectional=bidirectional, g=g, h=h, seed=1)
    S = num_layers * lstm.num_directions
    x = rng.normal(size=(T, B, D))
    state = (rng.normal(size=(S, B, H)), rng.normal(size=(S, B, H)))
    dout = rng.normal(size=(T, B, lstm.num_directions * H))
    dstate = (rng.normal(size=(S, B, H)), rng.normal(size=(S, B, H)))

    out, (h_n, c_n) = lstm.forward(x, state)
    dx = lstm.backward(dout, dstate)
    ref_out, (ref_h, ref_c), ref_dx, ref_grads, (ref_dh0, ref_dc0) = reference(lstm, x, state, dout, dstate)

    for name, got, want in [("out", out, ref_out), ("h_n", h_n, ref_h), ("c_n", c_n, ref_c), ("dx", dx, ref_dx),
                            ("dh_0", lstm.state_grad[0], ref_dh0), ("dc_0", lstm.state_grad[1], ref_dc0),
                            *((n, lstm.grads[n], ref_grads[n]) for n in lstm.params)]:
        assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=name)


def test_the_gate_order_is_mapped_in_one_place_and_back():
    rows = np.arange(4 * 3)
    kernel_rows = kernel.to_kernel_rows(rows, 3)
    assert kernel_rows.tolist() == [9, 10, 11, 0, 1, 2, 3, 4, 5, 6, 7, 8]  # o, i, f, g
    assert_array_equal(kernel.from_kernel_rows(kernel_rows, 3), rows)


def test_packed_weights_unpack_exactly():
    rng = np.random.default_rng(0)
    W, U, b = rng.normal(size=(8, 3)), rng.normal(size=(8, 2)), rng.normal(size=8)
    packed = kernel.pack_weights(W, U, b)
    assert packed.shape == (8, 3 + 2 + 1)
    assert_array_equal(packed[:2, :3], W[6:8])  # the o rows first
    assert_array_equal(packed[6:, :3], W[4:6])  # the g rows last
    assert_array_equal(packed[:, 5], kernel.to_kernel_rows(b, 2))
    for got, want in zip(kernel.unpack_weights(packed, 3), (W, U, b)):
        assert_array_equal(got, want)


def test_trace_uses_the_parameters_of_the_forward_pass():
    rng = np.random.default_rng(3)
    lstm = LSTM(D, H, seed=0)
    x = rng.normal(size=(T, B, D))
    out, _ = lstm.forward(x)
    before = lstm.trace()
    for p in lstm.params.values():  # an optimiser step after the forward pass
        p += 0.5
    after = lstm.trace()
    for field in before._fields:
        assert_array_equal(getattr(after, field), getattr(before, field), err_msg=field)
    assert_allclose(after.a, out, rtol=RTOL, atol=ATOL)
