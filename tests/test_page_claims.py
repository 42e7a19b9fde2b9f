"""Numbers the chapters quote that no cell of their page prints: settings stated in prose, and the results quoted
in exercise solutions. Each test computes the quoted number with ``companion`` and compares it, rounded as
written on the page; ``tests/page_numbers.yml`` names the test for each number, and ``tests/test_page_numbers.py``
checks that every number of a page is printed there or registered here (see README, "Numbers and figures on the
page").
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

from companion.activations import sigmoid


def _default(func, name):
    return inspect.signature(func).parameters[name].default


# ------------------------------------------------------------------------------------------- deep_rnn.ipynb
def test_deep_settings_quoted_in_the_chapter():
    """"400 fresh mini-batches of 32 sequences of 24 steps, learning rate 0.01 ... the same 500 held-out sequences"."""
    from companion.experiments.deep import run_depth_comparison

    assert [_default(run_depth_comparison, k) for k in ("steps", "batch_size", "T", "lr")] == [400, 32, 24, 0.01]
    assert _default(run_depth_comparison, "test_size") == 500


def test_deep_exercise_1_counts():
    """ex-deep-1: ``[count_parameters(make_deep_model(3, h)) for h in (10, 11)]`` is [581, 694]."""
    from companion.experiments.deep import count_parameters, make_deep_model

    assert [count_parameters(make_deep_model(3, h)) for h in (10, 11)] == [581, 694]


def test_deep_exercise_2_reference_loop_is_exact():
    """ex-deep-2: a correct loop is within 1e-12 of ElmanRNN ("should be below 1e-12"; the solution's is about
    1e-16, i.e. a few float64 roundings)."""
    from companion.elman import elman_step_forward
    from companion.experiments.deep import check_deep_forward

    def deep_forward(x, params, num_layers):
        layer_in = x
        for l in range(num_layers):
            W, U = params[f"weight_ih_l{l}"], params[f"weight_hh_l{l}"]
            b = params[f"bias_ih_l{l}"] + params[f"bias_hh_l{l}"]
            h = np.zeros((x.shape[1], U.shape[0]))
            outs = []
            for t in range(x.shape[0]):
                h, _ = elman_step_forward(layer_in[t], h, W, U, b)
                outs.append(h)
            layer_in = np.stack(outs)
        return layer_in

    err = check_deep_forward(deep_forward)
    assert err < 1e-12
    assert err < 10 * 1e-16


# ------------------------------------------------------------------------------------- elman_jordan.ipynb
def test_elman_jordan_settings_quoted_in_the_chapter():
    """"one pass over 400 mini-batches of 32 sequences", "learning rate 0.01"."""
    from companion.experiments.elman_jordan import train_run

    assert [_default(train_run, k) for k in ("steps", "batch_size", "lr", "hidden_size")] == [400, 32, 0.01, 8]


def test_elman_jordan_exercise_2_reference_loop_is_exact():
    """ex-ej-2: a correct loop is within 1e-12 of JordanRNN (the solution's is about 1e-16)."""
    from companion.experiments.elman_jordan import check_jordan_forward
    from companion.jordan import jordan_step_forward

    def jordan_forward(x, params):
        y = np.zeros((x.shape[1], params["V"].shape[0]))
        outs = []
        for t in range(x.shape[0]):
            _, y, _ = jordan_step_forward(x[t], y, params["W"], params["U"], params["b"], params["V"], params["b_y"])
            outs.append(y)
        return np.stack(outs)

    err = check_jordan_forward(jordan_forward)
    assert err < 1e-12
    assert err < 10 * 1e-16


def test_elman_jordan_exercise_3_two_hidden_units():
    """ex-ej-3: with H = 2, seeds 0 and 1 get every step right (MSE about 0.0001 and 0.004), seed 2 about 90%
    (MSE about 0.10)."""
    from companion.experiments.elman_jordan import train_run

    runs = [train_run("Jordan, teacher forcing", "running parity", seed, hidden_size=2) for seed in (0, 1, 2)]
    assert [r.test_accuracy for r in runs[:2]] == [1.0, 1.0]
    assert round(runs[0].test_mse, 4) == 0.0001
    assert round(runs[1].test_mse, 3) == 0.004
    assert round(runs[2].test_accuracy, 2) == 0.90
    assert round(runs[2].test_mse, 2) == 0.10


# --------------------------------------------------------------------------------------- lstm_gates.ipynb
def test_lstm_worked_example_gate_inputs():
    """The worked example's gate inputs are ±10 (x2 = 0 or x3 = 0), ±90 and 110 (x2 = ±1 or x3 = 1)."""
    from companion.experiments.worked_example import worked_example_inputs, worked_example_state_dict

    sd = worked_example_state_dict()
    z = np.asarray(worked_example_inputs(), dtype=float) @ sd["weight_ih_l0"].T + sd["bias_ih_l0"]  # (T, 4)
    gates = np.abs(z[:, [0, 1, 3]])  # blocks i, f, o
    assert sorted(set(gates.ravel().tolist())) == [10.0, 90.0, 110.0]


def test_lstm_exercise_2_doubled_weights():
    """ex-lstm-2: doubling the weights makes the leak sigma(-20) about 2.1e-9, about 20,000 times smaller."""
    eps10, eps20 = float(sigmoid(np.float64(-10.0))), float(sigmoid(np.float64(-20.0)))
    assert f"{eps20:.1e}" == "2.1e-09"
    assert round(eps10 / eps20, -4) == 20000


def test_lstm_exercise_4_scaled_tanh_cell():
    """ex-lstm-4: with z = x1 / 100 the memory holds about 0.07, the output at step 4 is about 0.0699, and a
    layer with weight 100 recovers about 6.99."""
    from companion.experiments.worked_example import run_worked_example, worked_example_state_dict

    sd = worked_example_state_dict()
    sd["weight_ih_l0"][2, 0] = 0.01
    r = run_worked_example(g="tanh", h="tanh", state_dict=sd)
    assert round(float(r.c[3]), 2) == 0.07
    assert round(float(r.a[3]), 4) == 0.0699
    assert round(float(r.a[3]) * 100, 2) == 6.99


# ------------------------------------------------------------------------------ classic_experiments.ipynb
def test_classics_settings_quoted_in_the_chapter():
    """Elman's numbers: a 3,000-bit stream, 600 passes, 30-bit pieces (99 of them), windows of 12 positions;
    the gradient probes use H = 64."""
    from companion.experiments import classics
    from companion.tasks import temporal_xor

    xor = classics.temporal_xor_experiment
    assert [_default(xor, k) for k in ("n_bits", "passes", "chunk", "window")] == [3000, 600, 30, 12]
    assert temporal_xor(3000, seed=0).inputs.shape[0] // 30 == 99
    assert _default(classics.elman_jacobian_norms, "hidden_size") == 64
    assert _default(classics.lstm_memory_jacobian_norms, "hidden_size") == 64


def test_classics_exercise_2_recurrent_paths_grow():
    """ex-classics-2: with recurrent weights the norm grows to about 150 after 100 steps, while the product of
    forget gates stays at about 0.997."""
    from companion.experiments.classics import lstm_memory_jacobian_norms

    jn = lstm_memory_jacobian_norms(10.0, recurrent=True)
    assert abs(jn.at(100) - 150) < 10
    assert round(float(jn.forget_product[-1]), 3) == 0.997


def test_classics_exercise_3_baseline_by_hand():
    """ex-classics-3: P(|S| < 0.16) = 1 - 1.84**2 / 4 = 1 - 0.8464 = 0.1536, and the MSE 1/24 is about 0.042;
    the experiment's own baseline agrees."""
    from companion.experiments.classics import AddingStage, adding_problem_experiment

    assert 4 * 0.04 == pytest.approx(0.16) and 2 - 0.16 == pytest.approx(1.84)
    assert 1.84 ** 2 / 4 == pytest.approx(0.8464) and 1 - 0.8464 == pytest.approx(0.1536)
    assert round(1 / 24, 3) == 0.042
    res = adding_problem_experiment("elman", hidden_size=2, stages=[AddingStage(100, 1, 1e-3)], n_test=20000,
                                    curve_size=10)
    assert res.baseline_success == pytest.approx(0.1536, abs=0.01)
    assert res.baseline_mse == pytest.approx(1 / 24, rel=0.03)


def test_classics_exercise_4_printed_check():
    """ex-classics-4: the solution's check prints k = 20: 0.00414."""
    from companion.experiments.classics import check_jacobian_norms, elman_jacobian_norms

    ref = elman_jacobian_norms(1.5, ks=range(1, 21), hidden_size=8, input_size=2, seed=1).norms
    assert check_jacobian_norms(ref, rho=1.5).endswith("(k = 20: 0.00414)")


# ------------------------------------------------------------------------------------ bidirectional.ipynb
def test_bidirectional_exercise_2_parameter_counts():
    """ex-bi-2: with V = 37, H = 16, K = 5 the taggers have 965 and 1925 parameters: the formula of the solution,
    the corpus's vocabulary and the models' own parameter arrays agree."""
    from companion.elman import ElmanRNN
    from companion.experiments.slot_filling import load_corpus
    from companion.layers import Linear

    corpus = load_corpus(512, seed=0)
    V, H, K = len(corpus.vocab), 16, len(corpus.slot_names)
    assert (V, K) == (37, 5)
    counts = []
    for bidirectional in (False, True):
        rnn = ElmanRNN(V, H, bidirectional=bidirectional, seed=0)
        out = Linear(2 * H if bidirectional else H, K, seed=0)
        counts.append(sum(p.size for p in rnn.params.values()) + sum(p.size for p in out.params.values()))
    assert counts == [H * V + H ** 2 + 2 * H + K * H + K, 2 * (H * V + H ** 2 + 2 * H) + 2 * K * H + K]
    assert counts == [965, 1925]


# ------------------------------------------------------------------------------------------- bptt.ipynb
def test_bptt_exercise_4_forget_bias_2():
    """ex-bptt-4: sigma(2) is about 0.881, the prediction sigma(2)^50 about 0.0018, the measured norm 0.0016."""
    from companion.experiments.bptt import memory_path_table

    table = memory_path_table(forget_biases=(2.0,), ks=(50,), hidden_size=16)
    assert round(float(sigmoid(np.float64(2.0))), 3) == 0.881
    assert round(table["sigma(2)^k"][50], 4) == 0.0018
    assert round(table["LSTM, forget bias 2"][50], 4) == 0.0016


def test_bptt_exercise_5_window_of_the_linear_unit():
    """ex-bptt-5: 0.5 <= w^999 <= 2 for 0.99931 <= w <= 1.00069, a window of width about 0.0014, where the
    derivative 999 w^998 lies between about 500 and 2000; a step with learning rate 0.01 moves w by 5 to 20."""
    from companion.experiments.bptt import linear_rnn_output

    low, high = 0.5 ** (1 / 999), 2 ** (1 / 999)
    assert (round(low, 5), round(high, 5), round(high - low, 4)) == (0.99931, 1.00069, 0.0014)
    assert linear_rnn_output(low) == pytest.approx(0.5, rel=1e-9)
    assert linear_rnn_output(high) == pytest.approx(2, rel=1e-9)
    slopes = 999 * np.array([low, high]) ** 998
    assert (round(slopes[0], -2), round(slopes[1], -3)) == (500, 2000)
    assert (round(0.01 * slopes[0]), round(0.01 * slopes[1])) == (5, 20)
