"""Tests of companion.optim: hand-derived steps, step-by-step parity with torch.optim, clipping, errors."""
import numpy as np
import pytest

from companion.optim import SGD, Adam, clip_grad_norm, grad_norm


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {"w": rng.normal(size=(3, 2)), "b": rng.normal(size=3)}


def _grad_sequence(n, seed=1):
    rng = np.random.default_rng(seed)
    return [{"w": rng.normal(size=(3, 2)), "b": rng.normal(size=3)} for _ in range(n)]


def _torch_sgd_run(torch, start, grad_steps, lrs, **kw):
    """Final values of torch.optim.SGD run from ``start`` over ``grad_steps`` (one dict per step, lr per step)."""
    tparams = {k: torch.nn.Parameter(torch.tensor(v, dtype=torch.float64)) for k, v in start.items()}
    opt = torch.optim.SGD(list(tparams.values()), lr=lrs[0], **kw)
    for grads, lr in zip(grad_steps, lrs, strict=True):
        opt.param_groups[0]["lr"] = lr
        for k, tp in tparams.items():
            tp.grad = torch.tensor(grads[k], dtype=torch.float64)
        opt.step()
    return {k: tp.detach().numpy() for k, tp in tparams.items()}


def test_sgd_single_step_matches_torch(torch):
    params = {"w": np.array([1.0, 2.0])}
    grads = {"w": np.array([0.2, -0.4])}
    expected = _torch_sgd_run(torch, params, [grads], [0.5])
    SGD(params, lr=0.5).step(grads)
    np.testing.assert_allclose(params["w"], expected["w"], rtol=0, atol=1e-15)


def test_sgd_momentum_two_steps_match_torch(torch):
    params = {"w": np.array([0.0])}
    grad_steps = [{"w": np.array([1.0])}, {"w": np.array([2.0])}]
    expected = _torch_sgd_run(torch, params, grad_steps, [0.1, 0.1], momentum=0.5)
    opt = SGD(params, lr=0.1, momentum=0.5)
    opt.step(grad_steps[0])  # v = 1, w = -0.1
    opt.step(grad_steps[1])  # v = 0.5 + 2 = 2.5, w = -0.1 - 0.25
    np.testing.assert_allclose(params["w"], expected["w"], rtol=0, atol=1e-15)
    assert opt.steps == 2


def test_adam_single_step_by_hand():
    # t = 1: m_hat = g, v_hat = g^2, so the step is lr * g / (|g| + eps)
    g = np.array([0.5, -2.0, 1e-3])
    params = {"w": np.zeros(3)}
    Adam(params, lr=0.01, eps=1e-8).step({"w": g})
    np.testing.assert_allclose(params["w"], -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adam_two_steps_by_hand():
    b1, b2, lr, eps = 0.9, 0.999, 0.1, 1e-8
    g1, g2 = 1.0, -3.0
    m = (1 - b1) * g1
    v = (1 - b2) * g1**2
    w = -lr * (m / (1 - b1)) / (np.sqrt(v / (1 - b2)) + eps)
    m = b1 * m + (1 - b1) * g2
    v = b2 * v + (1 - b2) * g2**2
    w -= lr * (m / (1 - b1**2)) / (np.sqrt(v / (1 - b2**2)) + eps)
    params = {"w": np.array([0.0])}
    opt = Adam(params, lr=lr)
    opt.step({"w": np.array([g1])})
    opt.step({"w": np.array([g2])})
    np.testing.assert_allclose(params["w"], [w], rtol=1e-12)


@pytest.mark.parametrize(
    "make_ours, make_torch",
    [
        (lambda p: SGD(p, lr=0.1), lambda optim, tp: optim.SGD(tp, lr=0.1)),
        (lambda p: SGD(p, lr=0.05, momentum=0.9), lambda optim, tp: optim.SGD(tp, lr=0.05, momentum=0.9)),
        (lambda p: Adam(p), lambda optim, tp: optim.Adam(tp)),
        (lambda p: Adam(p, lr=0.03, betas=(0.8, 0.99), eps=1e-6),
         lambda optim, tp: optim.Adam(tp, lr=0.03, betas=(0.8, 0.99), eps=1e-6)),
    ],
)
def test_matches_torch_optim_over_several_steps(torch, make_ours, make_torch):
    params = _params()
    tparams = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in params.items()}
    ours, theirs = make_ours(params), make_torch(torch.optim, list(tparams.values()))
    for grads in _grad_sequence(6):
        for k, tp in tparams.items():
            tp.grad = torch.tensor(grads[k])
        theirs.step()
        ours.step(grads)
    for k in params:
        np.testing.assert_allclose(params[k], tparams[k].detach().numpy(), rtol=1e-12, atol=1e-14)


def test_updates_are_in_place():
    params = _params()
    ids = {k: id(v) for k, v in params.items()}
    w_view = params["w"]
    for opt in (SGD(params, lr=0.1, momentum=0.9), Adam(params)):
        opt.step(_grad_sequence(1)[0])
    assert {k: id(v) for k, v in params.items()} == ids
    assert w_view is params["w"]


def test_float32_params_stay_float32():
    params = {"w": np.ones(3, dtype=np.float32)}
    Adam(params).step({"w": np.ones(3)})
    assert params["w"].dtype == np.float32


def test_lr_can_change_between_steps(torch):
    params = {"w": np.array([1.0])}
    grad_steps = [{"w": np.array([1.0])}, {"w": np.array([1.0])}]
    expected = _torch_sgd_run(torch, params, grad_steps, [0.1, 1.0], momentum=0.9)
    opt = SGD(params, lr=0.1, momentum=0.9)
    opt.step(grad_steps[0])
    opt.lr = 1.0
    opt.step(grad_steps[1])
    np.testing.assert_allclose(params["w"], expected["w"], rtol=0, atol=1e-15)


@pytest.mark.parametrize("max_norm", [0.5, 2.0, 100.0])
def test_clip_grad_norm_matches_torch(torch, max_norm):
    grads = _grad_sequence(1)[0]
    tparams = [torch.nn.Parameter(torch.zeros(v.shape, dtype=torch.float64)) for v in grads.values()]
    for tp, g in zip(tparams, grads.values()):
        tp.grad = torch.tensor(g)
    ttotal = torch.nn.utils.clip_grad_norm_(tparams, max_norm).item()
    total = clip_grad_norm(grads, max_norm)
    assert total == pytest.approx(ttotal, rel=1e-12)
    for tp, g in zip(tparams, grads.values()):
        np.testing.assert_allclose(g, tp.grad.numpy(), rtol=1e-12)
    assert grad_norm(grads) <= max_norm + 1e-9


def test_clip_keeps_direction_and_is_in_place():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    a = grads["a"]
    before = {k: v.copy() for k, v in grads.items()}
    norm = np.sqrt(sum(np.sum(v**2) for v in before.values()))
    assert clip_grad_norm(grads, 1.0) == pytest.approx(norm, rel=1e-15)
    assert grads["a"] is a
    for k in grads:  # same direction, scaled by max_norm / (norm + 1e-6) as torch.nn.utils.clip_grad_norm_ does
        np.testing.assert_allclose(grads[k], before[k] * (1.0 / (norm + 1e-6)), rtol=0, atol=1e-15, err_msg=k)


def test_clip_zero_gradient_is_safe():
    grads = {"a": np.zeros(3)}
    assert clip_grad_norm(grads, 1.0) == 0.0
    np.testing.assert_array_equal(grads["a"], np.zeros(3))


def test_clip_below_threshold_changes_nothing():
    grads = {"a": np.array([0.3, 0.4])}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(grads["a"], [0.3, 0.4])


@pytest.mark.parametrize(
    "build, match",
    [
        (lambda: SGD({"w": np.ones(2)}, lr=0.0), "lr must be a finite number > 0"),
        (lambda: SGD({"w": np.ones(2)}, lr=0.1, momentum=1.0), r"momentum must be a number in \[0, 1\)"),
        (lambda: SGD({}, lr=0.1), "params is empty"),
        (lambda: SGD([np.ones(2)], lr=0.1), "params must be a mapping"),
        (lambda: SGD({"w": np.ones(2, dtype=int)}, lr=0.1), "floating-point ndarray"),
        (lambda: Adam({"w": np.ones(2)}, betas=(0.9, 1.0)), r"betas must be a pair of numbers in \[0, 1\)"),
        (lambda: Adam({"w": np.ones(2)}, betas=0.9), "betas must be a pair"),
        (lambda: Adam({"w": np.ones(2)}, lr=float("nan")), "lr must be a finite number"),
    ],
)
def test_bad_construction(build, match):
    with pytest.raises(ValueError, match=match):
        build()


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_bad_grads(opt_cls):
    opt = opt_cls({"w": np.ones(2), "b": np.ones(1)}, lr=0.1)
    with pytest.raises(ValueError, match=r"missing \['b'\], unexpected \['c'\]"):
        opt.step({"w": np.ones(2), "c": np.ones(1)})
    with pytest.raises(ValueError, match=r"grads\['w'\] must have shape \(2,\)"):
        opt.step({"w": np.ones(3), "b": np.ones(1)})
    with pytest.raises(ValueError, match=r"grads\['w'\] contains NaN or inf"):
        opt.step({"w": np.array([np.nan, 0.0]), "b": np.ones(1)})


def test_clip_errors():
    with pytest.raises(ValueError, match="max_norm must be a finite number > 0"):
        clip_grad_norm({"a": np.ones(2)}, 0.0)
    with pytest.raises(ValueError, match="gradients contain NaN or inf"):
        clip_grad_norm({"a": np.array([np.inf])}, 1.0)


@pytest.mark.parametrize(
    "value, match",
    [
        (None, r"grads\['a'\] must be an array of real numbers.*NoneType"),
        (np.array([1.0 + 2.0j]), r"grads\['a'\] must be an array of real numbers.*complex128"),
        (np.array(["x", "y"]), r"grads\['a'\] must be an array of real numbers.*<U1"),
        (np.array([np.nan, 1.0]), r"gradients contain NaN or inf: grads\['a'\] is not finite"),
        (np.array([-np.inf]), r"gradients contain NaN or inf: grads\['a'\] is not finite"),
    ],
)
def test_grad_norm_rejects_bad_values_naming_the_key(value, match):
    with pytest.raises(ValueError, match=match):
        grad_norm({"b": np.ones(2), "a": value})


def test_grad_norm_survives_overflow_of_the_sum_of_squares():
    assert grad_norm({"a": np.full(3, 1e200)}) == pytest.approx(np.sqrt(3) * 1e200, rel=1e-15)
    assert grad_norm({"a": np.array([1e300]), "b": np.array([1e300, 0.0])}) == pytest.approx(
        np.sqrt(2) * 1e300, rel=1e-15
    )
    grads = {"a": np.full(3, 1e200)}
    assert clip_grad_norm(grads, 1.0) == pytest.approx(np.sqrt(3) * 1e200, rel=1e-15)
    np.testing.assert_allclose(grads["a"], np.full(3, 1 / np.sqrt(3)), rtol=1e-12)


def test_grad_norm_is_the_norm_of_all_entries_together():
    grads = _grad_sequence(1)[0]
    grads["i"] = np.arange(4)  # integer arrays and lists are still fine for the norm
    grads["l"] = [0.5, -1.5]
    everything = np.concatenate([np.ravel(g).astype(np.float64) for g in grads.values()])
    np.testing.assert_allclose(grad_norm(grads), np.linalg.norm(everything), rtol=1e-14)


@pytest.mark.parametrize(
    "value, match",
    [
        (np.ones(2, dtype=int), r"grads\['a'\] must be a floating-point ndarray \(clipped in place\); got an ndarray of dtype int"),
        ([3.0, 4.0], r"grads\['a'\] must be a floating-point ndarray \(clipped in place\); got list"),
        ((3.0, 4.0), r"grads\['a'\] must be a floating-point ndarray \(clipped in place\); got tuple"),
        (np.ones(2, dtype=complex), r"grads\['a'\] must be a floating-point ndarray"),
    ],
)
def test_clip_rejects_values_it_cannot_scale_in_place(value, match):
    b = np.full(2, 10.0)
    with pytest.raises(ValueError, match=match):
        clip_grad_norm({"b": b, "a": value}, 1.0)
    np.testing.assert_array_equal(b, [10.0, 10.0])  # nothing was scaled


def test_clip_rejects_read_only_and_names_non_finite_key():
    g = np.full(2, 10.0)
    g.flags.writeable = False
    with pytest.raises(ValueError, match=r"grads\['a'\] is a read-only array"):
        clip_grad_norm({"a": g}, 1.0)
    with pytest.raises(ValueError, match=r"grads\['x'\] is not finite"):
        clip_grad_norm({"w": np.ones(2), "x": np.array([np.nan])}, 1.0)


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
@pytest.mark.parametrize(
    "bad, match",
    [
        (np.ones(1, dtype=complex), r"grads\['b'\] must be an array of real numbers.*complex128"),
        (np.array(["x"]), r"grads\['b'\] must be an array of real numbers.*<U1"),
        (None, r"grads\['b'\] must be an array of real numbers.*NoneType"),
        (np.array([True]), r"grads\['b'\] must be an array of real numbers.*bool"),
    ],
)
def test_step_checks_every_gradient_before_updating_anything(opt_cls, bad, match):
    params = {"a": np.ones(2), "b": np.ones(1)}
    opt = opt_cls(params, lr=0.1)
    with pytest.raises(ValueError, match=match):
        opt.step({"a": np.ones(2), "b": bad})
    np.testing.assert_array_equal(params["a"], [1.0, 1.0])
    assert opt.steps == 0


@pytest.mark.parametrize("opt_cls", [SGD, Adam])
def test_constructor_rejects_read_only_and_non_float_params(opt_cls):
    ro = np.ones(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match=r"params\['w'\] is a read-only array"):
        opt_cls({"w": ro}, lr=0.1)
    with pytest.raises(ValueError, match=r"params\['w'\] must be a floating-point ndarray.*dtype complex128"):
        opt_cls({"w": np.ones(2, dtype=complex)}, lr=0.1)
    with pytest.raises(ValueError, match=r"params\['w'\] must be a floating-point ndarray.*list"):
        opt_cls({"w": [1.0, 2.0]}, lr=0.1)


@pytest.mark.parametrize("betas", [("0.9", "0.999"), "ab", (True, 0.9), (0.9, None)])
def test_adam_rejects_non_numeric_betas(betas):
    with pytest.raises(ValueError, match="betas must be a pair of numbers"):
        Adam({"w": np.ones(2)}, betas=betas)


def test_grad_norm_of_tiny_gradients_is_not_zero():
    # The squares of 1e-300 underflowed: grad_norm said 0.0.
    assert grad_norm({"w": np.full(3, 1e-300)}) == pytest.approx(np.sqrt(3) * 1e-300, rel=1e-12)
    assert grad_norm({"w": np.array([1e-160, 0.0]), "b": np.array([1e-160])}) == pytest.approx(
        np.sqrt(2) * 1e-160, rel=1e-12)
    assert grad_norm({"w": np.zeros(3)}) == 0.0


@pytest.mark.parametrize("make", [lambda p: SGD(p, lr=1e300), lambda p: SGD(p, lr=1e300, momentum=0.5),
                                  lambda p: Adam(p, lr=1e300)], ids=["sgd", "sgd-momentum", "adam"])
def test_a_step_that_overflows_raises_and_changes_nothing(make):
    params = {"w": np.array([1.0, -2.0]), "b": np.array([0.5], dtype=np.float32)}
    opt = make(params)
    before = {k: v.copy() for k, v in params.items()}
    state = {k: {n: a.copy() for n, a in d.items()} for k, d in vars(opt).items() if isinstance(d, dict)}
    with pytest.raises(ValueError, match=r"step overflowed: .*lower the learning rate.*Nothing was updated"):
        opt.step({"w": np.array([1e10, 1.0]), "b": np.array([1e10])})
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
    for attr, d in state.items():
        for n, a in d.items():
            np.testing.assert_array_equal(getattr(opt, attr)[n], a, err_msg=f"{attr}[{n}]")
    assert opt.steps == 0


@pytest.mark.parametrize("momentum", [np.int64(0), np.float32(0.5), 0])
def test_sgd_accepts_numpy_and_integer_momentum(momentum):
    opt = SGD({"w": np.ones(2)}, lr=0.1, momentum=momentum)
    assert opt.momentum == float(momentum)


@pytest.mark.parametrize("momentum", [True, 1, -0.1, "0.5", None])
def test_sgd_rejects_bad_momentum(momentum):
    with pytest.raises(ValueError, match=r"momentum must be a number in \[0, 1\)"):
        SGD({"w": np.ones(2)}, lr=0.1, momentum=momentum)
