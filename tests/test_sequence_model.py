"""Tests of companion.sequence_model.SequenceModel with the real Elman, LSTM and Jordan models."""
import numpy as np
import pytest

from companion.elman import ElmanRNN
from companion.gradcheck import numeric_gradient, relative_error
from companion.jordan import JordanRNN
from companion.layers import Linear
from companion.lstm import LSTM
from companion.optim import SGD
from companion.sequence_model import SequenceModel


def _models():
    return {
        "elman": lambda: SequenceModel(ElmanRNN(3, 4, seed=0), Linear(4, 2, seed=1)),
        "lstm-bi": lambda: SequenceModel(LSTM(3, 4, bidirectional=True, seed=0), Linear(8, 2, seed=1)),
        "lstm-2layer-bf": lambda: SequenceModel(LSTM(3, 4, num_layers=2, batch_first=True, seed=0), Linear(4, 2, seed=1)),
        "jordan": lambda: SequenceModel(JordanRNN(3, 4, 2, seed=0), Linear(2, 2, seed=1)),
        "elman-last": lambda: SequenceModel(ElmanRNN(3, 4, seed=0), Linear(4, 2, seed=1), last_step=True),
        "lstm-last-bf": lambda: SequenceModel(LSTM(3, 4, batch_first=True, seed=0), Linear(4, 2, seed=1), last_step=True),
    }


@pytest.mark.parametrize("name", list(_models()))
def test_gradients_match_centred_differences(name):
    rng = np.random.default_rng(0)
    model = _models()[name]()
    x = rng.normal(size=(5, 2, 3))  # (T, B, D) or (B, T, D): both valid shapes here
    y = model.forward(x)
    R = rng.normal(size=y.shape)

    def loss():
        return float(np.sum(R * model.forward(x)))

    model.forward(x)
    dx = model.backward(R)
    analytic = {k: g.copy() for k, g in model.grads.items()}
    for k in model.params:
        num = numeric_gradient(loss, model.params[k])
        assert relative_error(num, analytic[k]) <= 1e-6, k
    assert relative_error(numeric_gradient(loss, x), dx) <= 1e-6


@pytest.mark.parametrize("name, shape", [("elman", (5, 2, 2)), ("lstm-bi", (5, 2, 2)), ("lstm-2layer-bf", (2, 5, 2)),
                                         ("jordan", (5, 2, 2)), ("elman-last", (2, 2)), ("lstm-last-bf", (2, 2))])
def test_output_shapes(name, shape):
    rng = np.random.default_rng(0)
    model = _models()[name]()
    x = rng.normal(size=(5, 2, 3)) if "bf" not in name else rng.normal(size=(2, 5, 3))
    y = model.forward(x)
    assert y.shape == shape
    assert model.backward(np.ones_like(y)).shape == x.shape
    np.testing.assert_array_equal(model.predict(x), y)


def test_params_are_live_prefixed_views():
    rng = np.random.default_rng(0)
    rnn, head = ElmanRNN(3, 4, seed=0), Linear(4, 2, seed=1)
    model = SequenceModel(rnn, head)
    assert list(model.params) == [f"rnn.{k}" for k in rnn.params] + ["head.weight", "head.bias"]
    assert model.params["rnn.weight_ih_l0"] is rnn.params["weight_ih_l0"]
    assert model.params["head.bias"] is head.params["bias"]
    assert len(model.params) == len(model.grads) == 6
    assert "rnn.nope" not in model.params and "x" not in model.params
    model.forward(rng.normal(size=(4, 2, 3)))
    dy = rng.normal(size=(4, 2, 2))  # (T, B, K)
    model.backward(dy)
    assert model.grads["head.bias"] is head.grads["bias"]
    # y = feat @ W.T + b at every (t, b), so dL/db is dy summed over time and batch.
    np.testing.assert_allclose(model.grads["head.bias"], dy.sum(axis=(0, 1)), rtol=0, atol=1e-12)
    assert "rnn.weight_hh_l0" in repr(model.params)


def test_optimizer_updates_reach_the_submodels():
    rng = np.random.default_rng(0)
    rnn, head = LSTM(3, 4, seed=0), Linear(4, 2, seed=1)
    model = SequenceModel(rnn, head)
    before_rnn, before_head = rnn.params["weight_hh_l0"].copy(), head.params["weight"].copy()
    opt = SGD(model.params, lr=0.1)
    model.forward(rng.normal(size=(4, 2, 3)))
    model.backward(np.ones((4, 2, 2)))
    opt.step(model.grads)
    np.testing.assert_allclose(rnn.params["weight_hh_l0"], before_rnn - 0.1 * rnn.grads["weight_hh_l0"])
    np.testing.assert_allclose(head.params["weight"], before_head - 0.1 * head.grads["weight"])


def test_matches_torch_lstm_plus_linear(torch):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 3, 3))
    rnn, head = LSTM(3, 4, bidirectional=True, seed=2), Linear(8, 5, seed=3)
    model = SequenceModel(rnn, head)
    tl, th = torch.nn.LSTM(3, 4, bidirectional=True).double(), torch.nn.Linear(8, 5).double()
    tl.load_state_dict({k: torch.from_numpy(v) for k, v in rnn.torch_state_dict().items()})
    th.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in head.params.items()})
    tx = torch.tensor(x, requires_grad=True)
    ty = th(tl(tx)[0])
    dy = rng.normal(size=ty.shape)
    ty.backward(torch.from_numpy(dy))
    y = model.forward(x)
    dx = model.backward(dy)
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=0, atol=1e-9)
    names = [k for k, _ in tl.named_parameters()]
    assert sorted(model.grads) == sorted([f"rnn.{k}" for k in names] + ["head.weight", "head.bias"])
    for k, p in tl.named_parameters():
        np.testing.assert_allclose(model.grads[f"rnn.{k}"], p.grad.numpy(), rtol=0, atol=1e-9, err_msg=k)
    np.testing.assert_allclose(model.grads["head.weight"], th.weight.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(model.grads["head.bias"], th.bias.grad.numpy(), rtol=0, atol=1e-9)


def test_last_step_uses_only_the_final_output():
    rng = np.random.default_rng(0)
    model = SequenceModel(ElmanRNN(3, 4, seed=0), Linear(4, 1, seed=1), last_step=True)
    x = rng.normal(size=(5, 2, 3))
    y = model.forward(x)
    out, h_n = model.rnn.forward(x)
    np.testing.assert_allclose(y, model.head.forward(out[-1]), rtol=0, atol=1e-14)
    # Spy on the rnn's backward: the dout it receives must be zero at every step but the last.
    seen = []
    rnn_backward = model.rnn.backward
    model.rnn.backward = lambda dout, *a, **k: (seen.append(dout.copy()), rnn_backward(dout, *a, **k))[1]
    model.forward(x)
    dy = rng.normal(size=y.shape)  # (B, K)
    dx = model.backward(dy)
    assert len(seen) == 1 and seen[0].shape == out.shape
    np.testing.assert_array_equal(seen[0][:-1], 0.0)
    # y = out[-1] @ W.T + b, so the last step receives dy @ W.
    np.testing.assert_allclose(seen[0][-1], dy @ model.head.params["weight"], rtol=0, atol=1e-14)
    ref = ElmanRNN(3, 4, seed=0)
    ref.forward(x)
    expected_dout = np.zeros_like(out)
    expected_dout[-1] = dy @ model.head.params["weight"]
    np.testing.assert_allclose(dx, ref.backward(expected_dout), rtol=0, atol=1e-14)


def test_state_is_passed_through():
    rng = np.random.default_rng(0)
    model = SequenceModel(ElmanRNN(3, 4, seed=0), Linear(4, 2, seed=1))
    x = rng.normal(size=(5, 2, 3))
    y1 = model.forward(x[:3])
    y2 = model.forward(x[3:], model.state)
    np.testing.assert_allclose(np.concatenate([y1, y2]), model.forward(x), atol=1e-14)


class _ForeignLinear:
    """A head from another library (e.g. torch.nn.Linear): forward/backward-like, but not companion's Linear."""

    in_features, out_features = 4, 2

    def forward(self, x):
        return x[..., :2]


def test_errors():
    with pytest.raises(ValueError, match=r"head.in_features must equal the rnn's output size 8"):
        SequenceModel(ElmanRNN(3, 4, bidirectional=True), Linear(4, 2))
    with pytest.raises(ValueError, match=r"head.in_features must equal the rnn's output size 2"):
        SequenceModel(JordanRNN(3, 4, 2), Linear(4, 2))
    with pytest.raises(ValueError, match="head must be a companion.layers.Linear"):
        SequenceModel(ElmanRNN(3, 4), _ForeignLinear())
    with pytest.raises(ValueError, match="rnn must have forward, backward, params and grads"):
        SequenceModel(object(), Linear(4, 2))
    model = SequenceModel(ElmanRNN(3, 4), Linear(4, 2))
    with pytest.raises(ValueError, match=r"backward\(\) called before forward"):
        model.backward(np.ones((2, 1, 2)))
    with pytest.raises(ValueError, match="x must"):
        model.forward(np.ones((2, 1, 5)))
    model.forward(np.ones((2, 1, 3)))
    with pytest.raises(ValueError, match=r"dy must have shape"):
        model.backward(np.ones((2, 1, 3)))
    assert "SequenceModel(rnn=ElmanRNN(3, 4)" in repr(model)


def test_state_dict_roundtrip_in_place():
    rng = np.random.default_rng(0)
    model = SequenceModel(LSTM(3, 4, seed=0), Linear(4, 2, seed=1))
    saved = model.state_dict()
    assert set(saved) == set(model.params)
    w = model.params["rnn.weight_ih_l0"]
    assert saved["rnn.weight_ih_l0"] is not w
    x = rng.normal(size=(4, 2, 3))
    y0 = model.forward(x)
    w += 1.0
    model.params["head.bias"][:] = 5.0
    assert not np.allclose(model.forward(x), y0)
    model.load_state_dict(saved)
    assert model.params["rnn.weight_ih_l0"] is w
    np.testing.assert_array_equal(model.forward(x), y0)
    with pytest.raises(ValueError, match=r"missing \['head.bias'\]"):
        model.load_state_dict({k: v for k, v in saved.items() if k != "head.bias"})
    with pytest.raises(ValueError, match=r"state_dict\['head.bias'\] must have shape \(2,\)"):
        model.load_state_dict({**saved, "head.bias": np.zeros(3)})


@pytest.mark.parametrize("other_shape", [(4, 3, 3), (6, 2, 3)])
def test_predict_leaves_the_last_forward_for_backward(other_shape):
    # With the same shape, predict's forward pass must not reuse the kept forward's buffers.
    rng = np.random.default_rng(0)
    model = SequenceModel(LSTM(3, 5, seed=0), Linear(5, 2, seed=0))
    x, other = rng.normal(size=(6, 2, 3)), rng.normal(size=other_shape)
    y = model.forward(x)
    dx_ref = model.backward(np.ones_like(y))
    grads_ref = {k: np.array(v, copy=True) for k, v in model.grads.items()}
    model.forward(x)
    state_ref = model.state
    trace_ref = model.rnn.trace()
    p = model.predict(other)
    assert p.shape == other_shape[:2] + (2,)
    assert model.state is state_ref
    for a, b in zip(model.rnn.trace(), trace_ref):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(model.backward(np.ones_like(y)), dx_ref)
    for k, v in model.grads.items():
        np.testing.assert_array_equal(v, grads_ref[k], err_msg=k)


@pytest.mark.parametrize("last_step", ["no", 1, None])
def test_last_step_must_be_a_bool(last_step):
    with pytest.raises(ValueError, match="last_step must be True or False"):
        SequenceModel(ElmanRNN(3, 4, seed=0), Linear(4, 2, seed=0), last_step=last_step)


def test_a_linear_layer_is_not_accepted_as_the_rnn():
    with pytest.raises(ValueError, match="rnn must be a recurrent model .* got a Linear layer"):
        SequenceModel(Linear(3, 4), Linear(4, 2))
