"""The deep-RNN chapter's claims: each layer keeps its own memory (the chapter's equation), and on a task that
needs a nonlinear combination at every step a deeper stack with no more parameters learns better in the same
number of training steps."""
import numpy as np
import pytest

from companion.elman import ElmanRNN
from companion.experiments.deep import (
    DEPTH_CONFIGS,
    _reference_deep_forward,
    check_deep_forward,
    count_parameters,
    format_depth_table,
    layer_memories,
    make_deep_model,
    moving_average,
    run_depth_comparison,
    summarize_depths,
    tent_task,
)

SEEDS = (0, 1, 2)  # the chapter's seeds


@pytest.fixture(scope="module")
def results():
    return run_depth_comparison(seeds=SEEDS)


def test_tent_task_targets():
    x, y = tent_task(7, T=5, seed=3)
    assert x.shape == y.shape == (5, 7, 1)
    assert np.all(np.abs(x) <= 1)
    np.testing.assert_allclose(y[0], 1 - np.abs(x[0]))  # x_{-1} = 0
    np.testing.assert_allclose(y[1:], 1 - np.abs(x[1:] + x[:-1]))
    x2, _ = tent_task(7, T=5, seed=3)
    np.testing.assert_array_equal(x, x2)


def test_deeper_configs_have_no_more_parameters():
    counts = {d: count_parameters(make_deep_model(d, h, seed=0)) for d, h in DEPTH_CONFIGS}
    assert counts == {1: 673, 2: 673, 3: 581}


def test_each_layer_follows_the_chapters_equation():
    """h_t^(l) = tanh(W^(l) h_t^(l-1) + U^(l) h_{t-1}^(l) + b^(l)), every layer with its own memory."""
    model = make_deep_model(3, 4, seed=1)
    x, _ = tent_task(2, T=6, seed=0)
    mems = layer_memories(model, x, sequence=1)
    assert list(mems) == ["layer 1", "layer 2", "layer 3"]
    p = model.rnn.params
    below = x[:, 1]  # (T, D)
    for l in range(3):
        W, U = p[f"weight_ih_l{l}"], p[f"weight_hh_l{l}"]
        b = p[f"bias_ih_l{l}"] + p[f"bias_hh_l{l}"]
        h = np.zeros(4)
        for t in range(6):
            h = np.tanh(W @ below[t] + U @ h + b)
            np.testing.assert_allclose(mems[f"layer {l + 1}"][t], h, atol=1e-12)
        below = mems[f"layer {l + 1}"]


def test_check_deep_forward_accepts_a_correct_loop_and_rejects_a_wrong_one():
    assert check_deep_forward(_reference_deep_forward) < 1e-12
    assert check_deep_forward(_reference_deep_forward, num_layers=1, seed=5) < 1e-12

    def forgets_memory(x, params, num_layers):
        out = x
        for l in range(num_layers):
            out = np.tanh(out @ params[f"weight_ih_l{l}"].T + params[f"bias_ih_l{l}"] + params[f"bias_hh_l{l}"])
        return out

    assert check_deep_forward(forgets_memory) > 1e-2
    with pytest.raises(ValueError, match="shape"):
        check_deep_forward(lambda x, params, num_layers: x)


def test_deeper_stacks_learn_the_tent_task_better(results):
    """The chapter's key claim: every seed of depth 2 and 3 ends below every seed of depth 1, by a wide margin."""
    table = summarize_depths(results)
    assert sorted(table) == [1, 2, 3]
    for depth in (2, 3):
        assert table[depth]["max"] < table[1]["min"]
        assert table[depth]["mean"] < table[1]["mean"] / 2.5
    # all of them learned something: far below the variance of the targets (predicting the mean)
    _, y = tent_task(500, 24, seed=99)
    assert table[1]["max"] < 0.05 * float(np.var(y))


def test_runs_are_reproducible(results):
    again = run_depth_comparison(configs=((2, 14),), seeds=(1,))
    first = next(r for r in results if r.depth == 2 and r.seed == 1)
    np.testing.assert_array_equal(again[0].step_losses, first.step_losses)
    assert again[0].test_mse == first.test_mse


def test_table_and_smoothing(results):
    text = format_depth_table(results)
    assert text.count("\n") == 4 and "| 3 | 10 | 581 |" in text
    curve = moving_average(results[0].step_losses, window=20)
    assert curve.shape == (len(results[0].step_losses) - 19,)
    with pytest.raises(ValueError, match="window"):
        moving_average([1.0, 2.0], window=5)


def test_make_deep_model_is_an_elman_stack():
    model = make_deep_model(2, 3, seed=0)
    assert isinstance(model.rnn, ElmanRNN) and model.rnn.num_layers == 2
    with pytest.raises(ValueError, match="depth"):
        make_deep_model(0, 3)


def test_upper_layers_hold_the_tent_lower_layers_the_inputs(results):
    """What the chapter's probe table shows: layer 1 keeps x_t and x_{t-1} linearly readable; the target, a
    nonlinear function of them, becomes more linearly readable from layer to layer."""
    from companion.experiments.deep import format_probe_table, linear_probe_r2

    model = next(r for r in results if r.depth == 3 and r.seed == 0).model
    x, y = tent_task(300, 24, seed=5)
    x_prev = np.concatenate([np.zeros_like(x[:1]), x[:-1]])
    table = linear_probe_r2(model, x, {"x_t": x, "x_{t-1}": x_prev, "y_t": y})
    assert table["layer 1"]["x_t"] > 0.95 and table["layer 1"]["x_{t-1}"] > 0.95
    r2_y = [table[f"layer {l}"]["y_t"] for l in (1, 2, 3)]
    assert r2_y[0] < r2_y[1] < r2_y[2]
    assert r2_y[0] < 0.9 < 0.99 < r2_y[2]
    assert format_probe_table(table).splitlines()[0] == "| memory | x_t | x_{t-1} | y_t |"
    with pytest.raises(ValueError, match="targets"):
        linear_probe_r2(model, x, {"bad": y[:-1]})


def test_exercise_3_solution_single_layer_with_three_times_the_budget(results):
    """The numbers the solution of ex-deep-3 quotes: MSE x 1000 of about 0.72, 0.55, 0.55 after 1,200 steps,
    in the range the 2- and 3-layer stacks reach after the chapter's budget."""
    single = run_depth_comparison(configs=((1, 24),), seeds=SEEDS, steps=1200)
    assert [round(r.test_mse * 1000, 2) for r in single] == [0.72, 0.55, 0.55]
    deep = [r.test_mse for r in results if r.depth > 1]
    assert min(deep) <= max(r.test_mse for r in single) <= max(deep)


def test_mean_prediction_baseline_quoted_in_the_chapter():
    """The chapter's scale: predicting the mean target on the held-out set gives MSE about 0.22 (220 x 1e-3)."""
    _, y_test = tent_task(500, 24, seed=99)  # the held-out set of run_depth_comparison
    assert round(float(np.mean((y_test - y_test.mean()) ** 2)), 2) == 0.22
