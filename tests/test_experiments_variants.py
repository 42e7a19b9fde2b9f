"""companion.experiments.variants: the stored adding-problem runs are reproduced, and the chapter's claims hold."""
import numpy as np
import pytest
from numpy.testing import assert_allclose

from companion.elman import ElmanRNN
from companion.experiments import _variants_results as stored
from companion.experiments import variants
from companion.gru import gru_step_forward
from companion.layers import Linear
from companion.sequence_model import SequenceModel


def _find(runs, model, H, T, seed):
    (run,) = [r for r in runs if (r.model, r.hidden_size, r.T, r.seed) == (model, H, T, seed)]
    return run


def test_stored_results_are_those_of_the_current_configuration():
    assert stored.CONFIGS == variants.CONFIGS
    assert stored.SEEDS == variants.SEEDS
    assert stored.CURRICULA == {T: [(s.T, s.iterations, s.lr) for s in st] for T, st in variants.CURRICULA.items()}
    runs = variants.load_results()
    keys = [(r.model, r.hidden_size, r.T, r.seed) for r in runs]
    assert keys == [(m, H, T, s) for m, H in variants.CONFIGS for T in variants.CURRICULA for s in variants.SEEDS]
    for r in runs:
        has_flow = r.T == variants.FLOW_T and r.seed == variants.SEEDS[0]
        assert (r.flow is not None) == has_flow
        if has_flow:
            assert len(r.flow) == variants.FLOW_T and min(r.flow) > 0
        assert r.n_params == variants.count_parameters(r.model, r.hidden_size)


@pytest.mark.parametrize("model,H,T,seed", [("gru", 16, 50, 1), ("elman", 34, 50, 1)])
def test_rerunning_reproduces_the_stored_numbers(model, H, T, seed):
    """A gated network and a tanh RNN rerun here give the stored numbers (the IRNN: see the next test)."""
    expected = _find(variants.load_results(), model, H, T, seed)
    got = variants.run_variant(model, H, T, seed, flow=expected.flow is not None)
    assert got.n_params == expected.n_params
    assert got.success_rate == pytest.approx(expected.success_rate, abs=2e-3)  # 1-2 sequences of 1,000
    assert got.test_mse == pytest.approx(expected.test_mse, rel=1e-4)
    assert got.baseline_mse == pytest.approx(expected.baseline_mse, rel=1e-12)
    if expected.flow is not None:
        assert_allclose(got.flow, expected.flow, rtol=1e-4)


def test_rerunning_an_irnn_reproduces_its_outcome_not_its_digits():
    """The IRNN's training is chaotic: a difference in the last bit of one product grows until it shows.

    Rounding differs between machines (the BLAS kernel OpenBLAS picks for the CPU, numpy's SIMD paths):
    rerun on an AMD EPYC, the stored IRNN runs at T = 50 solved 0.995, 0.939 and 1.0 of the held-out
    sequences against the stored 0.993, 0.923 and 1.0, with MSEs up to twice the stored ones, and T = 100
    with seed 0 solved 0.946 against 0.942 (0.989 with OpenBLAS's Sandybridge kernel), while the gated
    networks and the tanh RNN reproduced every stored digit. So an IRNN run is checked for its outcome: the
    chapter's conclusion about it (it solves T = 50), on the run whose every sequence was solved.
    """
    expected = _find(variants.load_results(), "irnn", 16, 50, 2)
    got = variants.run_variant("irnn", 16, 50, 2)
    assert expected.success_rate == 1.0
    assert got.success_rate > 0.99
    assert got.test_mse < 0.1 * got.baseline_mse


def test_the_baseline_is_that_of_the_stored_runs():
    for r in variants.load_results():
        assert variants.adding_baseline(r.T)[0] == pytest.approx(r.baseline_mse, rel=1e-12)


def test_adding_problem_conclusions_of_the_chapter():
    runs = variants.load_results()
    by = {}
    for r in runs:
        by.setdefault((r.model, r.hidden_size, r.T), []).append(r)
    for T in variants.CURRICULA:
        # the tanh RNN, at either size, stays at or near the baseline (one seed of H = 16 picks up a little)
        for H in (16, 34):
            assert all(r.test_mse / r.baseline_mse > 0.6 and r.success_rate < 0.25 for r in by["elman", H, T])
        assert all(r.test_mse / r.baseline_mse > 0.99 for r in by["elman", 34, T])
        # the gated networks solve it with every seed
        for key in (("lstm", 16, T), ("peephole", 16, T), ("gru", 16, T), ("gru", 19, T)):
            assert all(r.success_rate > 0.95 for r in by[key]), key
        # the GRU matches or beats the LSTM on average
        assert np.mean([r.test_mse for r in by["gru", 16, T]]) <= np.mean([r.test_mse for r in by["lstm", 16, T]])
    # the IRNN solves T = 50 with every seed, but not T = 100 with every seed
    assert all(r.success_rate > 0.9 for r in by["irnn", 16, 50])
    assert min(r.success_rate for r in by["irnn", 16, 100]) < 0.5


def test_gradient_flow_at_initialisation_as_the_chapter_says():
    flows = {m: variants.flow_at_init(m) for m in variants.MODELS}
    assert flows["elman"][0] < 1e-15 * flows["elman"][-1]  # vanishes
    assert flows["gru"][0] < 1e-15 * flows["gru"][-1]  # vanishes as fast at initialisation
    assert flows["irnn"][0] > 0.05 * flows["irnn"][-1]  # hardly falls
    assert 1e-10 * flows["lstm"][-1] < flows["lstm"][0] < 1e-3 * flows["lstm"][-1]  # in between
    assert_allclose(flows["peephole"], flows["lstm"], rtol=1e-12)  # zero peepholes: the same network at first


def test_exercise_3_tanh_with_identity_keeps_most_of_its_gradient():
    rng = np.random.default_rng(0)
    net = SequenceModel(ElmanRNN(2, 16, init="identity", seed=rng), Linear(16, 1, seed=rng), last_step=True)
    flow = variants.gradient_flow(net, variants.flow_probe().inputs)
    assert 0.01 * flow[-1] < flow[0] < flow[-1]


def test_exercise_4_update_gate_bias_lets_the_gradient_reach_the_first_step():
    x = variants.flow_probe().inputs
    first = []
    for bias in (0.0, 1.0):
        net = variants.adding_net("gru", 16, seed=0)
        net.rnn.params["bias_ih_l0"][16:32] += bias
        first.append(variants.gradient_flow(net, x)[0])
    assert first[1] > 1e6 * first[0]


def test_exercise_1_counts():
    assert variants.count_parameters("lstm", 16) == 1297
    assert variants.count_parameters("peephole", 16) == 1297 + 3 * 16
    assert [variants.count_parameters("gru", H) for H in (18, 19, 20)] == [1207, 1331, 1461]


def test_conventions_and_the_cho_step_checker():
    rng = np.random.default_rng(0)
    B, D, H = 4, 3, 5
    args = [rng.normal(size=s) for s in [(B, D), (B, H), (3 * H, D), (3 * H, H), (3 * H,), (3 * H,)]]
    assert np.abs(gru_step_forward(*args)[0] - variants.cho_gru_step(*args)).max() > 0.1
    assert variants.check_cho_step(variants.cho_gru_step).startswith("correct")
    assert "PyTorch's GRU" in variants.check_cho_step(lambda *a: gru_step_forward(*a)[0])
    assert "swapped" in variants.check_cho_step(variants.swapped_update_step)
    assert "shape" in variants.check_cho_step(lambda *a: np.zeros((1, 1)))
    assert variants.check_cho_step(lambda *a: variants.cho_gru_step(*a) + 1e-3).startswith("not yet: largest")


def test_parity_runs_gated_networks_solve_it_plain_ones_do_not():
    for model in ("lstm", "peephole", "gru"):
        assert variants.parity_run(model, seed=0).test_accuracy > 0.99
    for model in ("elman", "irnn"):
        assert variants.parity_run(model, seed=0).test_accuracy < 0.65


def test_bad_input():
    with pytest.raises(ValueError, match="model must be one of"):
        variants.label("rnn")
    with pytest.raises(ValueError, match="T must be one of"):
        variants.run_variant("gru", 4, 70, seed=0)
    net = variants.adding_net("gru", 4, seed=0)
    with pytest.raises(ValueError, match="x must have shape"):
        variants.gradient_flow(net, np.ones((5, 2)))
    with pytest.raises(ValueError, match="model must be one of"):
        variants.adding_net("transformer", 4, seed=0)
