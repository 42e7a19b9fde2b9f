"""Tests of companion.training: the loop's bookkeeping, determinism, learning, progress bar, errors."""
import sys

import numpy as np
import pytest

from companion.elman import ElmanRNN
from companion.layers import Linear
from companion.losses import accuracy, mse, softmax_cross_entropy
from companion.lstm import LSTM
from companion.optim import SGD, Adam, grad_norm
from companion.sequence_model import SequenceModel
from companion.tasks import adding_problem
from companion.training import History, evaluate, train


def _adding_batches(n=128, T=8, batch=32, seed=0):
    d = adding_problem(n, T, seed=seed, variant="modern")
    return [(d.inputs[:, i:i + batch], d.targets[i:i + batch]) for i in range(0, n, batch)]


def _model(seed=0, cls=ElmanRNN, H=8):
    return SequenceModel(cls(2, H, seed=seed), Linear(H, 1, seed=seed + 1), last_step=True)


def _run(seed=0, shuffle=True, epochs=3):
    model = _model()
    hist = train(model, mse, Adam(model.params, lr=0.01), _adding_batches(), epochs=epochs, shuffle=shuffle,
                 seed=seed, progress=False)
    return model, hist


def test_history_bookkeeping():
    _, hist = _run(epochs=3)
    assert isinstance(hist, History)
    assert len(hist.step_losses) == len(hist.grad_norms) == 12 and hist.epochs == 3
    np.testing.assert_allclose(hist.epoch_losses, np.reshape(hist.step_losses, (3, 4)).mean(axis=1))
    assert hist.final_loss == hist.epoch_losses[-1]
    assert hist.metrics == []
    assert np.isnan(History().final_loss)


def test_deterministic_for_a_seed():
    m1, h1 = _run(seed=3)
    m2, h2 = _run(seed=3)
    assert h1 == h2
    for k in m1.params:
        np.testing.assert_array_equal(m1.params[k], m2.params[k])
    _, h3 = _run(seed=4)
    assert h3.step_losses != h1.step_losses  # another shuffling order


def test_no_shuffle_visits_batches_in_order():
    seen = []

    class Recorder:
        params = {}

        def __init__(self):
            self.grads = {}

        def forward(self, x):
            seen.append(float(x[0]))
            return x

        def backward(self, dout):
            return dout

    class NoOpt:
        def step(self, grads):
            pass

    batches = [(np.array([float(i)]), np.array([0.0])) for i in range(5)]
    train(Recorder(), mse, NoOpt(), batches, epochs=2, progress=False)
    assert seen == [0, 1, 2, 3, 4] * 2
    seen.clear()
    train(Recorder(), mse, NoOpt(), batches, epochs=2, shuffle=True, seed=0, progress=False)
    assert sorted(seen[:5]) == [0, 1, 2, 3, 4] and seen != [0, 1, 2, 3, 4] * 2


def test_callable_batches_get_the_epoch():
    epochs_seen = []

    def batches(epoch):
        epochs_seen.append(epoch)
        return _adding_batches(seed=epoch)

    model = _model()
    train(model, mse, SGD(model.params, lr=0.01), batches, epochs=3, progress=False)
    assert epochs_seen == [0, 1, 2]


def test_eval_fn_called_every_epoch():
    model = _model()
    held_out = _adding_batches(seed=99)
    hist = train(model, mse, Adam(model.params, lr=0.01), _adding_batches(), epochs=4, progress=False,
                 eval_fn=lambda m: evaluate(m, mse, held_out))
    assert len(hist.metrics) == 4 and all(isinstance(v, float) for v in hist.metrics)


def test_clip_bounds_the_step_and_records_the_raw_norm():
    norms_seen = []

    class Spy(SGD):
        def step(self, grads):
            norms_seen.append(grad_norm(grads))
            super().step(grads)

    model = _model()
    hist = train(model, mse, Spy(model.params, lr=0.01), _adding_batches(), epochs=2, clip=1e-3, progress=False)
    assert max(norms_seen) <= 1e-3 * (1 + 1e-6)
    assert min(hist.grad_norms) > 1e-3  # the record is the norm before clipping


def test_training_lowers_the_loss():
    _, hist = _run(epochs=15)
    assert hist.epoch_losses[-1] < 0.5 * hist.epoch_losses[0]


def test_lstm_learns_the_adding_problem():
    """The chapters' use: an LSTM beats the adding problem's mean-prediction baseline by far (T = 10)."""
    model = _model(cls=LSTM, H=16)
    baseline = adding_problem(1, 10, seed=0, variant="modern").baseline_mse

    def batches(epoch):
        return _adding_batches(n=256, T=10, seed=epoch)

    hist = train(model, mse, Adam(model.params, lr=0.01), batches, epochs=60, progress=False)
    test = adding_problem(512, 10, seed=12345, variant="modern")
    test_mse = evaluate(model, mse, [(test.inputs, test.targets)])
    assert test_mse < 0.2 * baseline
    assert test.solved(model.predict(test.inputs)) > 0.8
    assert hist.final_loss < hist.epoch_losses[0]


def test_masked_classification_batches_and_evaluate_metric():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 4, 3))
    targets = (x[..., 0] > 0).astype(int)  # (T, B): the sign of the current input
    mask = np.ones((6, 4), bool)
    mask[4:, :2] = False
    model = SequenceModel(ElmanRNN(3, 8, seed=0), Linear(8, 2, seed=1))
    hist = train(model, softmax_cross_entropy, Adam(model.params, lr=0.05), [(x, targets, mask)], epochs=40,
                 progress=False)
    loss, acc = evaluate(model, softmax_cross_entropy, [(x, targets, mask)], metric_fn=accuracy)
    assert hist.final_loss < hist.epoch_losses[0] and loss < 0.2
    assert acc == 1.0


def test_progress_bar_with_tqdm(capsys):
    pytest.importorskip("tqdm")
    model = _model()
    train(model, mse, SGD(model.params, lr=0.01), _adding_batches(), epochs=2, progress=True, desc="adding")
    assert "adding" in capsys.readouterr().err


def test_no_progress_bar_without_tqdm(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # makes `import tqdm` raise ImportError
    model = _model()
    hist = train(model, mse, SGD(model.params, lr=0.01), _adding_batches(), epochs=2, progress=True)
    assert hist.epochs == 2
    assert capsys.readouterr().err == ""


def test_progress_false_prints_nothing(capsys):
    _run(epochs=1)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(epochs=0), "epochs must be an integer >= 1"),
        (dict(epochs=1.5), "epochs must be an integer"),
        (dict(clip=-1.0), "clip must be None or a finite number > 0"),
        (dict(batches=(b for b in _adding_batches())), "one-shot iterator"),
        (dict(batches=[]), "batches is empty"),
        (dict(batches=[(np.ones((3, 1, 2)),)]), r"epoch 0, batch 0: each batch must be a tuple \(x, targets\)"),
        (dict(loss_fn=lambda out, t: (float("nan"), np.zeros_like(out))), "training diverged"),
        (dict(loss_fn="mse"), "loss_fn must be callable"),
        (dict(optimizer=object()), "optimizer must have a step"),
        (dict(clip=np.inf), "clip must be None or a finite number > 0"),
        (dict(clip=True), "clip must be None or a finite number > 0"),
        (dict(batches=None), "batches must be a list of"),
        (dict(batches=5), "batches must be a list of"),
        (dict(batches=lambda epoch: None), r"batches\(0\) must be a list of"),
        (dict(model=None), "model must have forward"),
        (dict(loss_fn=lambda out, t: 1.0), r"loss_fn must return a pair \(loss, dout\)"),
        (dict(eval_fn=5), "eval_fn must be None or a function"),
        (dict(seed=-1), "seed must be a non-negative int"),
    ],
)
def test_bad_arguments(kwargs, match):
    model = _model()
    args = dict(model=model, loss_fn=mse, optimizer=SGD(model.params, lr=0.01), batches=_adding_batches(),
                epochs=1, progress=False)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        train(**args)


def test_evaluate_errors():
    with pytest.raises(ValueError, match="batches is empty"):
        evaluate(_model(), mse, [])


def test_bare_recurrent_model_trains_on_its_outputs():
    """forward returning (out, state) is fine: a JordanRNN's outputs y are the predictions."""
    from companion.jordan import JordanRNN

    data = adding_problem(64, 6, seed=0, variant="modern")
    targets = np.broadcast_to(data.inputs[..., :1], (6, 64, 1)).copy()  # echo the value: y_t = x_t
    model = JordanRNN(2, 8, 1, seed=0)
    hist = train(model, mse, Adam(model.params, lr=0.02), [(data.inputs, targets)], epochs=30, progress=False)
    assert hist.final_loss < 0.2 * hist.epoch_losses[0]
    assert evaluate(model, mse, [(data.inputs, targets)]) == pytest.approx(
        mse(model.forward(data.inputs)[0], targets)[0])


def test_optimizer_built_on_another_model_is_rejected():
    model, other = _model(seed=0), _model(seed=1)
    before = {k: np.array(v, copy=True) for k, v in model.params.items()}
    with pytest.raises(ValueError, match="optimizer was built on other arrays than model.params"):
        train(model, mse, SGD(other.params, lr=0.5), _adding_batches(), progress=False)
    for k, v in model.params.items():
        np.testing.assert_array_equal(v, before[k])


def test_clip_accepts_numpy_integers():
    model = _model()
    hist = train(model, mse, SGD(model.params, lr=0.01), _adding_batches(), clip=np.int64(1), progress=False)
    assert max(hist.grad_norms) > 0


@pytest.mark.parametrize("kwargs,match", [
    (dict(batches=None), "batches must be a list of"),
    (dict(loss_fn=None), "loss_fn must be callable"),
    (dict(metric_fn=5), "metric_fn must be None or callable"),
    (dict(model=None), "model must have forward"),
])
def test_evaluate_bad_arguments(kwargs, match):
    args = dict(model=_model(), loss_fn=mse, batches=_adding_batches())
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        evaluate(**args)


def test_evaluate_leaves_the_forward_pass_for_backward():
    # evaluate() overwrote the model's forward record: a later backward differentiated the evaluation batch.
    rng = np.random.default_rng(3)
    model = SequenceModel(LSTM(2, 3, seed=0), Linear(3, 1, seed=0))
    x = rng.normal(size=(4, 2, 2))
    out = model.forward(x)
    evaluate(model, mse, [(rng.normal(size=(6, 3, 2)), rng.normal(size=(6, 3, 1)))])
    dx = model.backward(np.ones_like(out))
    twin = SequenceModel(LSTM(2, 3, seed=0), Linear(3, 1, seed=0))
    twin.forward(x)
    np.testing.assert_array_equal(dx, twin.backward(np.ones_like(out)))
    rnn = ElmanRNN(2, 3, seed=0)  # a bare model too
    rnn.forward(x)
    evaluate(rnn, lambda out, t: mse(out, t), [(x[:1], np.zeros((1, 2, 3)))])
    assert rnn.backward(np.ones((4, 2, 3))).shape == x.shape


@pytest.mark.parametrize("loss, match", [(np.array([1.0, 2.0]), "an array of shape \\(2,\\)"),
                                         (None, "got NoneType"), ("1.0", "got str")])
def test_a_loss_fn_whose_loss_is_not_a_number_is_named(loss, match):
    model = Linear(1, 1, seed=0)
    bad = lambda out, t: (loss, np.zeros_like(out))  # noqa: E731
    data = [(np.ones((2, 1)), np.ones((2, 1)))]
    for run in (lambda: train(model, bad, SGD(model.params, lr=0.1), data, epochs=1, progress=False),
                lambda: evaluate(model, bad, data)):
        with pytest.raises(ValueError, match="loss_fn must return \\(loss, dout\\) with loss a real number.*" + match):
            run()
