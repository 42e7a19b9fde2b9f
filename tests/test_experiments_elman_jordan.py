"""The Elman/Jordan chapter's claims: the Jordan memory is exactly the previous output; the Elman memory is a
hidden code; Elman wins where the needed memory is not the output (delayed echo); where the output itself is the
needed memory (running parity), the Jordan network can be trained by feeding in the previous targets and then
solves the task on its own outputs, while BPTT-trained Elman and Jordan networks stay near chance."""
import numpy as np
import pytest

from companion.experiments.elman_jordan import (
    KINDS,
    TASKS,
    TeacherForcedJordan,
    delayed_echo,
    elman_memory,
    format_comparison_table,
    jordan_memory,
    make_elman,
    make_jordan,
    previous_targets,
    run_comparison,
    running_parity,
    train_run,
)

CHANCE_MSE = 0.25  # always answering 0.5 to a fair 0/1 bit


@pytest.fixture(scope="module")
def results():
    return run_comparison(seeds=(0, 1))


def _get(results, task, kind):
    return [r for r in results if r.task == task and r.kind == kind]


def test_tasks():
    x, y = delayed_echo(4, T=9, seed=2)
    np.testing.assert_array_equal(y[2:], x[:-2])
    assert not y[:2].any()
    x, y = running_parity(4, T=9, seed=2)
    np.testing.assert_array_equal(y[0], x[0])
    np.testing.assert_array_equal(y[1:], np.logical_xor(y[:-1], x[1:]).astype(float))
    np.testing.assert_array_equal(previous_targets(y)[1:], y[:-1])


def test_jordan_memory_is_exactly_its_previous_output(results):
    model = _get(results, "running parity", "Jordan, teacher forcing")[0].model
    x, _ = running_parity(5, T=12, seed=7)
    y, y_n = model.forward(x)
    y = np.array(y)
    memory = jordan_memory(model, x)
    assert np.array_equal(memory[1:], y[:-1])  # exactly, bit for bit
    assert not memory[0].any()
    assert np.array_equal(y_n[0], y[-1])


def test_elman_memory_is_a_hidden_code_not_the_output(results):
    model = _get(results, "delayed echo", "Elman")[0].model
    x, target = delayed_echo(5, T=12, seed=7)
    memory = elman_memory(model, x)  # (T, B, H)
    assert memory.shape == (12, 5, 8)
    np.testing.assert_allclose(memory[1:], np.array(model.rnn.hidden_states())[:-1])
    out = model.forward(x)
    # the output is read from the code by the trained output layer, and it is right ...
    assert np.mean((out > 0.5) == (target > 0.5)) == 1.0
    # ... but no single memory unit is the output
    for unit in range(memory.shape[2]):
        assert not np.allclose(memory[1:, :, unit], out[:-1, :, 0], atol=0.1)


def test_elman_wins_when_the_needed_memory_is_not_the_output(results):
    for r in _get(results, "delayed echo", "Elman"):
        assert r.test_mse < 0.01 and r.test_accuracy == 1.0
    for kind in ("Jordan", "Jordan, teacher forcing"):
        for r in _get(results, "delayed echo", kind):
            assert r.test_mse > 0.15 and r.test_accuracy < 0.75


def test_jordan_with_targets_in_memory_wins_when_the_output_is_the_memory(results):
    for r in _get(results, "running parity", "Jordan, teacher forcing"):
        assert r.test_mse < 0.01 and r.test_accuracy == 1.0  # run on its own outputs at test time
    for kind in ("Elman", "Jordan"):
        for r in _get(results, "running parity", kind):
            assert r.test_mse > 0.8 * CHANCE_MSE and r.test_accuracy < 0.65


def test_jordan_has_fewer_parameters(results):
    counts = {r.kind: r.n_params for r in results}
    assert counts == {"Elman": 97, "Jordan": 33, "Jordan, teacher forcing": 33}


def test_teacher_forcing_matches_one_step_runs():
    net = make_jordan(4, seed=0)
    x, y = running_parity(3, T=5, seed=1)
    out = TeacherForcedJordan(net).forward((x, previous_targets(y)))
    for t in range(5):
        step, _ = net.forward(x[t:t + 1], state=previous_targets(y)[t:t + 1])
        np.testing.assert_allclose(out[t], step[0], atol=1e-14)
    with pytest.raises(ValueError, match="y_prev"):
        TeacherForcedJordan(net).forward((x, y[:-1]))
    with pytest.raises(ValueError, match="JordanRNN"):
        TeacherForcedJordan(make_elman(4, seed=0))


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        train_run("LSTM", "running parity")
    with pytest.raises(ValueError, match="task"):
        train_run("Elman", "copy")
    with pytest.raises(ValueError, match="JordanRNN"):
        jordan_memory(make_elman(4, seed=0), np.zeros((3, 1, 1)))


def test_table(results):
    text = format_comparison_table(results)
    assert text.splitlines()[0] == "| task | " + " | ".join(KINDS) + " |"
    assert len(text.splitlines()) == 2 + len(TASKS)


def test_jordan_memory_is_readable_elman_code_is_spread(results):
    """Jordan's memory matches the previous target without any read-out; Elman's units each carry a mix."""
    from companion.experiments.elman_jordan import code_correlations

    jordan = _get(results, "running parity", "Jordan, teacher forcing")[0].model
    x, y = running_parity(200, T=20, seed=5)
    assert np.max(np.abs(jordan_memory(jordan, x)[1:] - y[:-1])) < 0.01
    elman = _get(results, "delayed echo", "Elman")[0].model
    x, _ = delayed_echo(200, T=20, seed=5)
    memory = elman_memory(elman, x)
    corr = code_correlations(memory[2:], {"x_{t-1}": x[1:-1], "x_{t-2}": x[:-2]})
    assert corr.shape == (8, 2)
    assert np.all(np.abs(corr) < 0.99)  # no unit is a plain copy of either bit
    assert np.sum(np.abs(corr[:, 0]) > 0.2) >= 2 and np.sum(np.abs(corr[:, 1]) > 0.2) >= 2  # spread over units


def test_check_jordan_forward():
    from companion.experiments.elman_jordan import _reference_jordan_forward, check_jordan_forward

    assert check_jordan_forward(_reference_jordan_forward) < 1e-12
    with pytest.raises(ValueError, match="shape"):
        check_jordan_forward(lambda x, params: x)
