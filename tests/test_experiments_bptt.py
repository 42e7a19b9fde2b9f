"""The experiments of the BPTT chapter: the claims the chapter's prose makes about them hold."""
import numpy as np
import pytest

from companion.bptt import elman_bptt
from companion.experiments import bptt as E


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_elman_step_backward_passes_its_gradient_check(nonlinearity):
    errors = E.elman_step_gradcheck(nonlinearity=nonlinearity, seed=3)
    assert set(errors) == {"dx_t", "dh_prev", "dW", "dU", "db"}
    assert max(errors.values()) < 1e-8


@pytest.mark.parametrize("g", ["tanh", "identity"])
def test_lstm_step_backward_passes_its_gradient_check(g):
    errors = E.lstm_step_gradcheck(g=g, h=g, seed=4)
    assert len(errors) == 6 and max(errors.values()) < 1e-8


def test_gradient_checks_catch_a_wrong_line(monkeypatch):
    """The checks can fail: a step backward without tanh' is caught on exactly the gradients it breaks."""
    import companion.elman as elman

    real = elman.elman_step_backward

    def no_derivative(dh_t, cache):
        return real(dh_t / np.maximum(1 - cache.h_t ** 2, 1e-12), cache)

    monkeypatch.setattr(E, "elman_step_backward", no_derivative)
    errors = E.elman_step_gradcheck()
    assert min(errors[n] for n in ("dx_t", "dh_prev", "dW", "dU", "db")) > 1e-2


def test_check_elman_bptt_accepts_the_reference_and_names_the_bug():
    assert E.check_elman_bptt(elman_bptt).startswith("correct:")
    message = E.check_elman_bptt(E.buggy_elman_bptt)
    assert message.startswith("not yet:")
    errors = dict(item.strip().split(" ", 1) for item in message.split(":", 1)[1].replace("relative error", "").split(","))
    # the chapter's solution: the states' gradients are right, the shared weights' are not (overwritten, not summed)
    assert errors["dx"] == errors["dh0"] == "< 1e-9"
    assert min(float(errors["dW"]), float(errors["dU"]), float(errors["db"])) > 0.1
    assert E.check_elman_bptt(lambda dh, caches: (1, 2)).startswith("not yet: bptt must return 5 arrays")
    with pytest.raises(ValueError, match="bptt must be a function"):
        E.check_elman_bptt(None)


def test_exercise_2_solution_is_correct():
    from companion.elman import elman_step_backward

    def my_bptt(dh, caches):  # the solution of ex-bptt-2, as printed in the chapter
        T = len(caches)
        dh_next = np.zeros_like(dh[0])
        dx = np.zeros(dh.shape[:2] + (caches[0].W.shape[1],))
        dW, dU, db = np.zeros_like(caches[0].W), np.zeros_like(caches[0].U), np.zeros(dh.shape[2])
        for t in range(T - 1, -1, -1):
            step = elman_step_backward(dh[t] + dh_next, caches[t])
            dx[t] = step.dx_t
            dW += step.dW
            dU += step.dU
            db += step.db
            dh_next = step.dh_prev
        return dx, dh_next, dW, dU, db

    message = E.check_elman_bptt(my_bptt)
    assert message == "correct: relative error dx < 1e-9, dh0 < 1e-9, dW < 1e-9, dU < 1e-9, db < 1e-9"


def test_linear_rnn_output_is_w_to_the_999():
    """The lecture's numbers: w = 1 -> 1, 1.01 -> about 20752, 0.99 -> about 4.36e-5, 0.01 -> 0 (underflow)."""
    assert E.linear_rnn_output(1.0) == 1.0
    assert round(E.linear_rnn_output(1.01)) == 20752
    assert f"{E.linear_rnn_output(0.99):.3g}" == "4.36e-05"
    assert E.linear_rnn_output(0.01) == 0.0
    w = np.array([0.5, 1.001])
    np.testing.assert_allclose(E.linear_rnn_output(w, steps=10), w ** 9, rtol=1e-12)
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        E.linear_rnn_output(1.0, steps=0)
    with pytest.raises(ValueError, match="w must be finite"):
        E.linear_rnn_output(np.nan)


def test_cliff_loss_has_a_cliff():
    ws, bs = np.linspace(0.5, 4.0, 141), np.linspace(-2.0, 4.0, 121)
    surface = E.cliff_loss(ws[None, :], bs[:, None])
    assert surface.shape == (121, 141)
    assert np.abs(np.diff(surface, axis=0)).max() > 2.0  # neighbouring grid points, a jump of most of the range
    assert E.cliff_loss(2.0, 0.0) == pytest.approx(float(E.cliff_loss(np.array([2.0]), np.array([0.0]))[0]))


def test_clipping_keeps_descent_at_the_foot_of_the_cliff():
    """The chapter: the same start; unclipped, one step of about 4.1 onto the plateau (loss 0.09); clipped, loss ~0."""
    plain = E.cliff_descent(start=(1.8, -0.5), lr=0.1, steps=80)
    clipped = E.cliff_descent(start=(1.8, -0.5), lr=0.1, steps=80, clip=1.0)
    steps = np.linalg.norm(np.diff(plain.path, axis=0), axis=1)
    assert round(plain.grad_norms.max()) == 41 and round(steps.max(), 1) == 4.1
    assert round(plain.losses[-1], 2) == 0.09
    assert clipped.losses[-1] < 1e-6
    assert np.linalg.norm(np.diff(clipped.path, axis=0), axis=1).max() <= 0.1 + 1e-12
    assert plain.grad_norms[:10].max() < 1  # "far below 1 on the way"
    # the same gradient at the start: clipping changes nothing where the gradient is small
    np.testing.assert_allclose(plain.path[:5], clipped.path[:5])
    with pytest.raises(ValueError, match="lr must be a finite number"):
        E.cliff_descent(lr=np.inf)


def test_delay_task_targets_are_the_delayed_inputs():
    task = E.delay_task(4, 10, 3, seed=1)
    assert task.x.shape == task.targets.shape == (10, 4, 1) and task.mask.shape == (10, 4)
    np.testing.assert_array_equal(task.targets[3:], (task.x[:-3] > 0).astype(float))
    assert not task.mask[:3].any() and task.mask[3:].all()
    with pytest.raises(ValueError, match="delay must be smaller than T"):
        E.delay_task(1, 5, 5)


@pytest.fixture(scope="module")
def delay_runs():
    return {k: E.train_delay_network(truncate=k, delay=6, T=24, hidden_size=16, updates=300, seed=0)
            for k in (None, 4, 8)}


def test_truncation_shorter_than_the_delay_cannot_learn_it(delay_runs):
    """The chapter's table: k = 4 stays at chance; k = 8 and full BPTT learn the task."""
    assert delay_runs[4].accuracy < 0.6
    assert delay_runs[8].accuracy > 0.99 and delay_runs[None].accuracy > 0.99


def test_line_scan_valley_and_wall(delay_runs):
    scan = E.line_scan(delay_runs[None].params, np.linspace(0.0, 3.0, 61))
    i1 = int(np.argmin(np.abs(scan.alphas - 1.0)))
    assert int(np.argmin(scan.losses)) in (i1 - 1, i1, i1 + 1)
    assert scan.losses[0] == pytest.approx(np.log(2), abs=0.01)  # no memory: chance
    i125 = int(np.argmin(np.abs(scan.alphas - 1.25)))
    assert scan.grad_norms[i125] > 100 * scan.grad_norms[i1]  # "orders of magnitude within a small step"
    with pytest.raises(ValueError, match="alphas must be a non-empty 1-D array"):
        E.line_scan(delay_runs[None].params, [])
    with pytest.raises(ValueError, match="missing"):
        E.line_scan({"W": 1}, [1.0])


def test_memory_path_table_lstm_with_open_forget_gate_beats_tanh():
    table = E.memory_path_table(forget_biases=(0.0, 3.0), ks=(10, 100), hidden_size=16)
    tanh, lstm3 = table["tanh RNN, rho = 1"], table["LSTM, forget bias 3"]
    assert lstm3[100] > 1e10 * tanh[100]
    assert table["LSTM, forget bias 0"][100] < tanh[100]  # "as fast as the tanh RNN's, or faster"
    for k in (10, 100):  # of the order of sigma(3)^k
        assert 0.5 < lstm3[k] / table["sigma(3)^k"][k] < 2
