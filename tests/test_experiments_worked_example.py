"""The LSTM chapter's claims: the hand-set LSTM reproduces the lecture's worked example up to the sigmoid's leak."""
import numpy as np
import pytest

from companion.activations import sigmoid
from companion.experiments.worked_example import (
    IDEAL_MEMORY,
    IDEAL_OUTPUT,
    check_counting_cell,
    format_run_table,
    leak_bound,
    run_worked_example,
    worked_example_inputs,
    worked_example_state_dict,
)
from companion.lstm import LSTM, lstm_step_forward

EPS = float(sigmoid(np.float64(-10.0)))  # how far a "closed" gate with input -10 is open


def _step_loop(g, h):
    """Reference memory and output: companion.lstm.lstm_step_forward applied step by step with the same weights."""
    sd = worked_example_state_dict()
    W, U, b = sd["weight_ih_l0"], sd["weight_hh_l0"], sd["bias_ih_l0"] + sd["bias_hh_l0"]
    a, c = np.zeros((1, 1)), np.zeros((1, 1))  # (B, H)
    cs, as_ = [], []
    for x_t in worked_example_inputs():
        a, c, _ = lstm_step_forward(x_t[None, :], a, c, W, U, b, g=g, h=h)
        cs.append(c[0, 0])
        as_.append(a[0, 0])
    return np.array(cs), np.array(as_)  # (T,), (T,)


@pytest.fixture(scope="module")
def run():
    return run_worked_example(g="identity", h="identity")


def test_inputs_and_weights_are_the_lectures():
    assert worked_example_inputs().tolist() == [[3, 1, 0], [4, 1, 0], [2, 0, 0], [1, 0, 1], [3, -1, 0]]
    sd = worked_example_state_dict()
    # PyTorch's block order i, f, g, o = the source's z_i, z_f, z, z_o
    assert sd["weight_ih_l0"].tolist() == [[0, 100, 0], [0, 100, 0], [1, 0, 0], [0, 0, 100]]
    assert (sd["bias_ih_l0"] + sd["bias_hh_l0"]).tolist() == [-10, 10, 0, -10]
    assert not np.any(sd["weight_hh_l0"])


def test_four_inputs_follow_the_hand_set_rule(run):
    x = run.x
    np.testing.assert_allclose(run.z, x[:, 0])
    np.testing.assert_allclose(run.z_i, 100 * x[:, 1] - 10)
    np.testing.assert_allclose(run.z_f, 100 * x[:, 1] + 10)
    np.testing.assert_allclose(run.z_o, 100 * x[:, 2] - 10)


def test_gates_open_and_close_as_designed(run):
    open_, closed = 1 - 1e-4, 1e-4
    assert np.all(run.input_gate[:2] > open_) and np.all(run.input_gate[2:] < closed)      # write at steps 1, 2
    assert np.all(run.forget_gate[:4] > open_) and run.forget_gate[4] < closed             # keep, then reset
    assert run.output_gate[3] > open_ and np.all(np.delete(run.output_gate, 3) < closed)   # read at step 4


def test_memory_and_output_match_ideal_within_leak_bound(run):
    bound = leak_bound()
    assert bound < 5e-3
    assert np.max(np.abs(run.c - IDEAL_MEMORY)) <= bound
    assert np.max(np.abs(run.a - IDEAL_OUTPUT)) <= bound


def test_memory_and_output_are_not_exactly_ideal(run):
    # the leak of sigmoid(-10) is visible: the read-out is 6.9995..., not 7
    assert np.max(np.abs(run.c - IDEAL_MEMORY)) > EPS
    assert np.max(np.abs(run.a - IDEAL_OUTPUT)) > EPS
    ref_c, ref_a = _step_loop("identity", "identity")
    np.testing.assert_allclose(run.c, ref_c, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run.a, ref_a, rtol=0, atol=1e-12)
    assert run.a[3] < 7.0 and run.c[3] < 7.0
    assert 7.0 - run.a[3] > 10 * EPS  # the leak is about 11 eps, well above rounding
    # steps 1 and 2 write through sigmoid(90) == 1.0 exactly (exp(-90) is below float64's resolution near 1)
    assert run.c[0] == 3.0 and run.c[1] == 7.0
    # step 3 holds 7 - 5 eps (2 eps let in, 7 eps lost); step 4 (7 - 5 eps)(1 - eps) + eps = 7 - 11 eps + 5 eps**2
    assert run.c[2] == pytest.approx(7 - 5 * EPS, abs=1e-9)
    assert run.c[3] == pytest.approx(7 - 11 * EPS, abs=1e-7)  # + 5 eps**2


@pytest.mark.parametrize("g,h", [("identity", "identity"), ("tanh", "tanh")])
def test_model_forward_agrees_with_the_reported_run(g, h):
    # run_worked_example reports the model's trace (a recomputation); the model's own forward pass must agree.
    model = LSTM(3, 1, g=g, h=h)
    model.load_torch_state_dict(worked_example_state_dict())
    out, (a_n, c_n) = model.forward(worked_example_inputs()[:, None, :])  # (T, 1, 1)
    ref_c, ref_a = _step_loop(g, h)
    np.testing.assert_allclose(out[:, 0, 0], ref_a, rtol=0, atol=1e-12)
    np.testing.assert_allclose(c_n[0, 0, 0], ref_c[-1], rtol=0, atol=1e-12)
    run_gh = run_worked_example(g=g, h=h)
    np.testing.assert_allclose(run_gh.a, out[:, 0, 0], rtol=0, atol=1e-12)


def test_tanh_g_and_h_break_the_example():
    run_tanh = run_worked_example(g="tanh", h="tanh")
    # the gates do exactly the same ...
    run_lin = run_worked_example()
    np.testing.assert_allclose(run_tanh.input_gate, run_lin.input_gate)
    np.testing.assert_allclose(run_tanh.forget_gate, run_lin.forget_gate)
    # ... but the memory cannot hold 7 and the output cannot exceed 1
    assert np.all(np.abs(run_tanh.a) < 1.0)
    assert abs(run_tanh.a[3] - 7.0) > 6.0
    ref_c, ref_a = _step_loop("tanh", "tanh")
    np.testing.assert_allclose(run_tanh.c, ref_c, rtol=0, atol=1e-12)
    np.testing.assert_allclose(run_tanh.a, ref_a, rtol=0, atol=1e-12)


def test_tanh_version_matches_torch(torch):
    lstm = torch.nn.LSTM(3, 1).double()
    with torch.no_grad():
        for name, value in worked_example_state_dict().items():
            getattr(lstm, name).copy_(torch.from_numpy(value))
        out, (h_n, c_n) = lstm(torch.from_numpy(worked_example_inputs()[:, None, :]))
    run_tanh = run_worked_example(g="tanh", h="tanh")
    np.testing.assert_allclose(run_tanh.a, out.numpy()[:, 0, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(run_tanh.c[-1], c_n.numpy()[0, 0, 0], rtol=0, atol=1e-12)


def test_counting_cell_exercise_checker():
    assert check_counting_cell(worked_example_state_dict()).startswith("not yet")
    sd = worked_example_state_dict()
    sd["weight_ih_l0"][2] = 0.0
    sd["bias_ih_l0"][2] = 1.0
    assert check_counting_cell(sd).startswith("correct")


def test_table_prints_rounded_values(run):
    lines = format_run_table(run).splitlines()
    assert len(lines) == 3 + 5
    step4 = [f"{float(v[3]):.4f}" for v in (run.input_gate, run.forget_gate, run.output_gate, run.c, run.a)]
    assert lines[6].split() == ["4", "(1,", "0,", "1)", *step4]
    assert "-0.0000" not in format_run_table(run)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="x must have shape"):
        run_worked_example(x=np.zeros((5, 2)))


def test_ideal_values_agree_with_the_task():
    from companion.tasks import lstm_worked_example

    example = lstm_worked_example()
    assert tuple(example.ideal_memory) == IDEAL_MEMORY
    assert tuple(example.ideal_output) == IDEAL_OUTPUT
