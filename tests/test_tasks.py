"""Tests of companion.tasks: the generators' defining properties, seeds, and the slot corpus's left/right design."""
import numpy as np
import pytest

from companion.elman import ElmanRNN
from companion.layers import Linear
from companion.losses import accuracy, softmax_cross_entropy
from companion.lstm import LSTM
from companion.optim import Adam
from companion.sequence_model import SequenceModel
from companion.tasks import (
    adding_problem,
    lstm_worked_example,
    one_hot,
    pad_sequences,
    slot_filling,
    temporal_xor,
)
from companion.training import train


# ----------------------------------------------------------------------------- temporal XOR
@pytest.mark.parametrize("n_bits", [4, 9, 10, 3000])
def test_temporal_xor_rule_and_layout(n_bits):
    d = temporal_xor(n_bits, seed=0)
    assert d.bits.shape == (n_bits,) and set(np.unique(d.bits)) <= {0, 1}
    full = d.bits[: n_bits // 3 * 3].reshape(-1, 3)
    np.testing.assert_array_equal(full[:, 2], full[:, 0] ^ full[:, 1])
    T = n_bits - 1
    assert d.inputs.shape == d.targets.shape == (T, 1, 1) and d.inputs.dtype == np.float64
    np.testing.assert_array_equal(d.inputs[1:], d.targets[:-1])  # targets are the next bits
    np.testing.assert_array_equal(d.targets[:, 0, 0], d.bits[1:])
    np.testing.assert_array_equal(d.phase, np.arange(1, n_bits) % 3)
    np.testing.assert_array_equal(d.predictable, d.phase == 2)
    # every predictable target is the XOR of the two inputs before it
    t = np.nonzero(d.predictable)[0]
    np.testing.assert_array_equal(d.targets[t, 0, 0], d.inputs[t, 0, 0].astype(int) ^ d.inputs[t - 1, 0, 0].astype(int))


def test_temporal_xor_random_bits_are_balanced_and_seeded():
    d = temporal_xor(3000, seed=1)
    assert 0.45 < d.bits[d.predictable.nonzero()[0] - 1].mean() < 0.55  # bits before an XOR bit: random
    np.testing.assert_array_equal(temporal_xor(30, seed=5).bits, temporal_xor(30, seed=5).bits)
    assert not np.array_equal(temporal_xor(30, seed=5).bits, temporal_xor(30, seed=6).bits)
    g = np.random.default_rng(0)
    assert temporal_xor(12, seed=g).bits.shape == (12,)


@pytest.mark.parametrize("kwargs, match", [(dict(n_bits=3), "n_bits must be >= 4"), (dict(n_bits=0), "n_bits"),
                                           (dict(n_bits=10, seed="x"), "seed must be")])
def test_temporal_xor_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        temporal_xor(**kwargs)


# ----------------------------------------------------------------------------- slot filling
CITIES = {"taipei", "tokyo", "seoul", "paris", "london", "boston", "sydney", "cairo"}
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
          "november", "december"}
DAYS = {"1st", "2nd", "3rd", "5th", "10th", "15th", "20th", "25th"}


def test_slot_labels_follow_the_deciding_word():
    c = slot_filling(300, seed=0)
    L = dict(zip(c.labels, range(len(c.labels))))
    for words, labels, ctx, template in zip(c.sentences, c.label_ids, c.context, c.templates):
        deciders = [i for i, w in enumerate(words) if w in ("arrive", "leave", "arrival", "departure")]
        assert len(deciders) == 1
        k = deciders[0]
        arriving = words[k] in ("arrive", "arrival")
        for i, (w, lab, cx) in enumerate(zip(words, labels, ctx)):
            if w in CITIES:
                assert lab == (L["dest"] if arriving else L["origin"])
            elif w in MONTHS or w in DAYS:
                assert lab == (L["arrive_time"] if arriving else L["leave_time"])
            else:
                assert lab == L["other"] and cx == 0  # decided by the word itself
                continue
            # a slot word: its context code says on which side the deciding word is
            assert cx == (1 if k < i else 2)
            assert c.context_names[cx] == ("left" if k < i else "right")
        assert c.template_names[template] == ("verb_first" if words[k] in ("arrive", "leave") else "verb_last")


def test_right_context_labels_are_independent_of_the_prefix():
    """In verb_last sentences the deciding noun is independent of all words before it."""
    c = slot_filling(4000, seed=3)
    last = np.array([t == 1 for t in c.templates])
    arriving = np.array([s[-1] == "arrival" for s in c.sentences])
    assert 0.45 < arriving[last].mean() < 0.55
    first_slot = np.array([s[1] if s[0] == "please" else s[0] for s in c.sentences])
    please = np.array([s[0] == "please" for s in c.sentences])
    for city in np.unique(first_slot[last]):  # P(arrival | city) stays ~1/2 for every city
        sel = last & (first_slot == city)
        assert abs(arriving[sel].mean() - 0.5) < 4 * 0.5 / np.sqrt(sel.sum())
    for p in (True, False):
        sel = last & (please == p)
        assert abs(arriving[sel].mean() - 0.5) < 4 * 0.5 / np.sqrt(sel.sum())
    # both templates, with and without "please", in roughly equal shares
    assert 0.45 < last.mean() < 0.55 and 0.45 < please.mean() < 0.55
    # a right-context token always sees the same prefix shape: [please] CITY on MONTH DAY, all words uniform
    ctx = np.concatenate(c.context)
    assert set(np.unique(ctx)) == {0, 1, 2}


def test_unidirectional_rnn_stays_at_chance_on_right_context_bidirectional_does_not():
    train_c, test_c = slot_filling(400, seed=0), slot_filling(400, seed=1)
    V, K = train_c.vocab_size, train_c.num_labels
    b = test_c.batch(range(len(test_c)))
    acc = {}
    for bi in (False, True):
        H = 16
        model = SequenceModel(ElmanRNN(V, H, bidirectional=bi, seed=0), Linear(H * (1 + bi), K, seed=1))
        train(model, softmax_cross_entropy, Adam(model.params, lr=0.02), train_c.batches(32, shuffle=True, seed=0),
              epochs=15, shuffle=True, seed=0, progress=False)
        out = model.predict(b.x)
        acc[bi] = [accuracy(out, b.targets, b.mask & (b.context == k)) for k in range(3)]
    assert acc[False][0] == acc[False][1] == 1.0  # self- and left-context labels: easy
    assert 0.35 < acc[False][2] < 0.65  # right-context labels: a coin toss
    assert min(acc[True]) > 0.98


def test_slot_corpus_vocab_and_encoding():
    c = slot_filling(50, seed=0)
    assert c.vocab[0] == "<pad>" and len(set(c.vocab)) == len(c.vocab) == c.vocab_size
    assert c.num_labels == 5 and c.labels[0] == "other"
    assert all(0 not in ids for ids in c.token_ids)
    for words, ids, labels, ctx in zip(c.sentences, c.token_ids, c.label_ids, c.context):
        assert [c.vocab[i] for i in ids] == words
        assert len(labels) == len(ctx) == len(words)
        np.testing.assert_array_equal(c.encode(" ".join(words)), ids)
    with pytest.raises(ValueError, match="'rome' is not in the vocabulary"):
        c.encode("arrive rome")


def test_slot_corpus_is_seeded():
    a, b, other = slot_filling(20, seed=4), slot_filling(20, seed=4), slot_filling(20, seed=5)
    assert a.sentences == b.sentences and a.sentences != other.sentences


def test_slot_batches_are_padded_and_masked():
    c = slot_filling(10, seed=0)
    batches = c.batches(4)
    assert [x.shape[1] for x, _, _ in batches] == [4, 4, 2]
    lengths = []
    for x, targets, mask in batches:
        T, B, V = x.shape
        assert V == c.vocab_size and targets.shape == mask.shape == (T, B)
        assert mask.dtype == bool and targets.dtype.kind == "i"
        np.testing.assert_array_equal(x.sum(axis=2), mask.astype(float))  # one-hot at tokens, zeros at padding
        assert T == mask.sum(axis=0).max()
        lengths += mask.sum(axis=0).tolist()
    assert lengths == [len(s) for s in c.sentences]
    b = c.batch([2, 0])
    assert b.x.shape[1] == 2 and b.context.shape == b.mask.shape
    np.testing.assert_array_equal(b.targets[: len(c.sentences[2]), 0], c.label_ids[2])
    np.testing.assert_array_equal(b.x.argmax(axis=2)[: len(c.sentences[0]), 1], c.token_ids[0])
    x, targets, mask = b[:3]
    assert x is b.x and mask is b.mask
    s1 = [x.argmax(2).T.tolist() for x, _, _ in c.batches(4, shuffle=True, seed=1)]
    s2 = [x.argmax(2).T.tolist() for x, _, _ in c.batches(4, shuffle=True, seed=1)]
    assert s1 == s2
    assert c.batches(4, dtype=np.float32)[0][0].dtype == np.float32


def test_slot_errors():
    c = slot_filling(5, seed=0)
    with pytest.raises(ValueError, match="batch_size"):
        c.batches(0)
    with pytest.raises(ValueError, match="indices is empty"):
        c.batch([])
    with pytest.raises(ValueError, match="n_sentences"):
        slot_filling(0)


def test_pad_sequences_and_one_hot():
    ids, mask = pad_sequences([np.array([1, 2]), np.array([3, 4, 5])], pad_value=-1)
    np.testing.assert_array_equal(ids, [[1, 3], [2, 4], [-1, 5]])
    np.testing.assert_array_equal(mask, [[True, True], [True, True], [False, True]])
    oh = one_hot(np.array([[0, 2]]), 3)
    np.testing.assert_array_equal(oh, [[[1, 0, 0], [0, 0, 1]]])
    with pytest.raises(ValueError, match="seqs is empty"):
        pad_sequences([])
    with pytest.raises(ValueError, match=r"seqs\[1\] must be a non-empty 1-D integer sequence"):
        pad_sequences([[1], []])
    with pytest.raises(ValueError, match=r"ids must lie in \[0, size\) = \[0, 3\)"):
        one_hot(np.array([3]), 3)
    with pytest.raises(ValueError, match="ids must hold integers"):
        one_hot(np.array([1.0]), 3)
    with pytest.raises(ValueError, match="mask must have the shape of ids"):
        one_hot(np.array([1, 2]), 3, mask=[True])


# ----------------------------------------------------------------------------- adding problem
@pytest.mark.parametrize("T", [4, 7, 20, 100])
def test_adding_problem_hochreiter(T):
    d = adding_problem(500, T, seed=0)
    n = 500
    assert d.inputs.shape == (T, n, 2) and d.targets.shape == (n, 1) and d.positions.shape == (n, 2)
    values, markers = d.inputs[..., 0], d.inputs[..., 1]
    assert set(np.unique(markers)) == {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=0), 2.0)
    assert np.all(values >= -1) and np.all(values <= 1) and values.min() < -0.9 and values.max() > 0.9
    cols = np.arange(n)
    np.testing.assert_array_equal(markers[d.positions[:, 0], cols], 1.0)
    np.testing.assert_array_equal(markers[d.positions[:, 1], cols], 1.0)
    assert np.all(d.positions[:, 0] < d.positions[:, 1])  # distinct, sorted
    assert np.all(d.positions[:, 0] < min(10, T // 2))  # one marker among the first 10 steps
    assert np.all(d.positions[:, 1] < T // 2)  # both before T/2
    x1, x2 = values[d.positions[:, 0], cols], values[d.positions[:, 1], cols]
    np.testing.assert_allclose(d.targets[:, 0], 0.5 + (x1 + x2) / 4)
    assert d.tolerance == 0.04 and d.variant == "hochreiter"


def test_adding_problem_modern_and_baselines():
    T, n = 50, 20000
    d = adding_problem(n, T, seed=1, variant="modern")
    values, markers = d.inputs[..., 0], d.inputs[..., 1]
    assert values.min() >= 0 and values.max() <= 1
    np.testing.assert_array_equal(markers.sum(axis=0), 2.0)
    assert np.all(d.positions[:, 0] < T // 2) and np.all(d.positions[:, 1] >= T // 2)
    cols = np.arange(n)
    np.testing.assert_allclose(d.targets[:, 0], values[d.positions[:, 0], cols] + values[d.positions[:, 1], cols])
    assert np.mean((d.targets - 1.0) ** 2) == pytest.approx(d.baseline_mse, rel=0.05)  # ~0.167
    h = adding_problem(n, T, seed=1)
    assert np.mean((h.targets - 0.5) ** 2) == pytest.approx(h.baseline_mse, rel=0.05)  # ~1/24


def test_adding_problem_seeds_and_solved():
    a, b, c = adding_problem(8, 12, seed=2), adding_problem(8, 12, seed=2), adding_problem(8, 12, seed=3)
    np.testing.assert_array_equal(a.inputs, b.inputs)
    assert not np.array_equal(a.inputs, c.inputs)
    assert a.solved(a.targets) == 1.0
    assert a.solved(a.targets + 0.05) == 0.0
    pred = a.targets.copy()
    pred[:2] += 1.0
    assert a.solved(pred) == 0.75
    with pytest.raises(ValueError, match=r"pred must have shape \(n, 1\) = \(8, 1\)"):
        a.solved(np.zeros(8))


@pytest.mark.parametrize("kwargs, match", [(dict(n=0, T=10), "n must be"), (dict(n=2, T=3), "T must be >= 4"),
                                           (dict(n=2, T=10, variant="x"), "variant must be 'hochreiter' or 'modern'"),
                                           (dict(n=2, T=10, seed=1.5), "seed must be")])
def test_adding_problem_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        adding_problem(**kwargs)


# ----------------------------------------------------------------------------- LSTM worked example
def test_lstm_worked_example_layout():
    ex = lstm_worked_example()
    assert ex.inputs.shape == (5, 1, 3)
    np.testing.assert_array_equal(ex.inputs[:, 0], [[3, 1, 0], [4, 1, 0], [2, 0, 0], [1, 0, 1], [3, -1, 0]])
    sd = ex.state_dict
    assert {k: v.shape for k, v in sd.items()} == {
        "weight_ih_l0": (4, 3), "weight_hh_l0": (4, 1), "bias_ih_l0": (4,), "bias_hh_l0": (4,)}
    assert not sd["weight_hh_l0"].any() and not sd["bias_hh_l0"].any()
    # rows i, f, g, o  <->  z_i = 100 x2 - 10, z_f = 100 x2 + 10, z = x1, z_o = 100 x3 - 10
    x = np.array([0.7, -0.3, 0.2])
    z_i, z_f, z, z_o = sd["weight_ih_l0"] @ x + sd["bias_ih_l0"]
    assert (z_i, z_f, z, z_o) == pytest.approx((100 * x[1] - 10, 100 * x[1] + 10, x[0], 100 * x[2] - 10))
    np.testing.assert_array_equal(ex.ideal_memory, [3, 7, 7, 7, 0])
    np.testing.assert_array_equal(ex.ideal_output, [0, 0, 0, 7, 0])
    assert ex.model_kwargs == {"input_size": 3, "hidden_size": 1, "g": "identity", "h": "identity"}


def test_lstm_worked_example_runs_close_to_the_ideal_values():
    ex = lstm_worked_example()
    lstm = LSTM(**ex.model_kwargs)
    lstm.load_torch_state_dict(ex.state_dict)
    out, (h_n, c_n) = lstm.forward(ex.inputs)
    trace = lstm.trace()
    np.testing.assert_allclose(trace.c[:, 0, 0], ex.ideal_memory, atol=1e-3)
    np.testing.assert_allclose(out[:, 0, 0], ex.ideal_output, atol=1e-3)
    assert out[3, 0, 0] != 7.0  # exact sigmoids leak: ~6.9995, not exactly the ideal value
    # with PyTorch's tanh for g and h the example breaks
    tanh_lstm = LSTM(3, 1)
    tanh_lstm.load_torch_state_dict(ex.state_dict)
    assert abs(tanh_lstm.forward(ex.inputs)[0][3, 0, 0] - 7.0) > 5.0


def test_lstm_worked_example_returns_fresh_arrays():
    a = lstm_worked_example()
    a.state_dict["weight_ih_l0"][:] = 0.0
    assert lstm_worked_example().state_dict["weight_ih_l0"].any()


def test_temporal_xor_windows():
    d = temporal_xor(31, seed=0)
    x, y, phase = d.windows(6)  # T = 30 -> 5 windows of 6 steps
    assert x.shape == y.shape == (6, 5, 1) and phase.shape == (6, 5)
    np.testing.assert_array_equal(x[:, 1, 0], d.inputs[6:12, 0, 0])
    np.testing.assert_array_equal(y[:, 4, 0], d.targets[24:30, 0, 0])
    np.testing.assert_array_equal(phase[:, 2], d.phase[12:18])
    x[:] = -1  # a copy: the data set is not changed
    assert d.inputs.min() == 0
    assert d.windows(7)[0].shape == (7, 4, 1)  # remainder dropped
    with pytest.raises(ValueError, match="length must be <= the number of steps T = 30"):
        d.windows(31)
    with pytest.raises(ValueError, match="length"):
        d.windows(0)


def test_elman_network_learns_only_the_predictable_bits():
    """Elman's finding: after training, the error is low at every third bit and near chance elsewhere."""
    from companion.losses import sigmoid_cross_entropy

    d = temporal_xor(3001, seed=0)
    x, y, phase = d.windows(12)
    batches = [(x[:, i:i + 25], y[:, i:i + 25]) for i in range(0, x.shape[1], 25)]
    model = SequenceModel(ElmanRNN(1, 8, seed=0), Linear(8, 1, seed=1))
    train(model, sigmoid_cross_entropy, Adam(model.params, lr=0.02), batches, epochs=60, progress=False)
    prob = 1.0 / (1.0 + np.exp(-model.predict(x)))
    err = np.abs(prob - y)[..., 0]
    assert err[phase == 2].mean() < 0.1
    assert err[phase == 0].mean() > 0.4 and err[phase == 1].mean() > 0.4


# ----------------------------------------------------------------------------- bad input -> ValueError naming it
@pytest.mark.parametrize("indices, match", [
    ([-1], r"indices must be .*integers in \[0, 5\).*got -1"),
    ([5], r"indices must be .*\[0, 5\).*got 5"),
    ([100], r"indices must be .*got 100"),
    ([1.7], r"indices must be .*1\.7"),
    ([1.0], r"indices must be .*float"),
    ([True], "indices must be"),
    (3, r"indices must be a sequence of sentence indices, integers in \[0, 5\)"),
    (None, "indices must be"),
    ("01", "indices must be"),
    (np.array([[0, 1]]), "indices must be"),
])
def test_slot_batch_rejects_bad_indices(indices, match):
    c = slot_filling(5, seed=0)
    with pytest.raises(ValueError, match=match):
        c.batch(indices)


def test_slot_batch_accepts_integer_sequences():
    c = slot_filling(5, seed=0)
    ref = c.batch([4, 0])
    for indices in ([np.int64(4), 0], np.array([4, 0]), range(4, -1, -4), (4, 0)):
        b = c.batch(indices)
        for got, want in zip(b, ref):
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype", [int, np.int64, "banana", None.__class__, bool])
def test_slot_batches_reject_non_float_dtype(dtype):
    c = slot_filling(5, seed=0)
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        c.batch([0], dtype=dtype)
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        c.batches(2, dtype=dtype)


@pytest.mark.parametrize("mask, match", [
    (["no", "no"], "mask must hold booleans"),
    ([2, 0], r"mask must hold booleans \(or the numbers 0/1\); got dtype int64 with values \[0, 2\]"),
    ([0.5, 1.0], "mask must hold booleans"),
    ([None, True], "mask must hold booleans"),
    ([True], "mask must have the shape of ids"),
])
def test_one_hot_rejects_bad_masks(mask, match):
    with pytest.raises(ValueError, match=match):
        one_hot([0, 1], 3, mask=mask)


def test_one_hot_accepts_0_1_masks_and_scalar_ids():
    want = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
    for mask in ([True, False], [1, 0], np.array([1.0, 0.0])):
        np.testing.assert_array_equal(one_hot([0, 1], 3, mask=mask), want)
    np.testing.assert_array_equal(one_hot(1, 3), [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(one_hot(np.int64(2), 3, mask=True), [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(one_hot(2, 3, mask=False), [0.0, 0.0, 0.0])
    assert one_hot(np.zeros((0, 2), dtype=int), 3).shape == (0, 2, 3)
    assert one_hot([[0]], 3, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("dtype", [int, "banana", np.complex128])
def test_one_hot_rejects_non_float_dtype(dtype):
    with pytest.raises(ValueError, match="dtype must be np.float32 or np.float64"):
        one_hot([0, 1], 3, dtype=dtype)


@pytest.mark.parametrize("seqs, kwargs, match", [
    ([[1, 2], [3]], dict(pad_value=1.5), "pad_value must be an integer"),
    ([[1, 2], [3]], dict(pad_value="0"), "pad_value must be an integer"),
    ([[1, 2], [3]], dict(pad_value=2 ** 63), "pad_value must fit in int64"),
    ([np.array([2 ** 63], dtype=np.uint64)], {}, r"seqs\[0\] has values > 9223372036854775807"),
    (None, {}, "seqs must be a sequence of B non-empty 1-D integer sequences"),
    (5, {}, "seqs must be a sequence of B non-empty 1-D integer sequences"),
    ("ab", {}, "seqs must be"),
    ([[[1, 2], [3]]], {}, r"seqs\[0\] must be a non-empty 1-D integer sequence"),
    ([[1.5, 2.0]], {}, r"seqs\[0\] must be a non-empty 1-D integer sequence"),
])
def test_pad_sequences_rejects_bad_input(seqs, kwargs, match):
    with pytest.raises(ValueError, match=match):
        pad_sequences(seqs, **kwargs)


def test_pad_sequences_accepts_int_like_inputs():
    ids, mask = pad_sequences((np.array([2 ** 63 - 1], dtype=np.uint64), range(3)), pad_value=np.int32(-2))
    np.testing.assert_array_equal(ids, [[2 ** 63 - 1, 0], [-2, 1], [-2, 2]])
    assert ids.dtype == np.int64 and mask.sum() == 4


@pytest.mark.parametrize("words", [None, 5, 1.5, ["arrive", 5], [["arrive"]], b"arrive"])
def test_encode_rejects_non_strings(words):
    c = slot_filling(3, seed=0)
    with pytest.raises(ValueError, match="words must be a space-separated string or a sequence of str"):
        c.encode(words)


def test_encode_accepts_lists_and_tuples():
    c = slot_filling(3, seed=0)
    np.testing.assert_array_equal(c.encode(("arrive", "taipei")), c.encode("arrive taipei"))
    assert c.encode([]).shape == (0,)


@pytest.mark.parametrize("pred, match", [
    (lambda t: t + 0j, r"pred must be a real-valued \(int or float\) array of shape \(n, 1\) = \(4, 1\)"),
    (lambda t: t.astype(str), "pred must be a real-valued"),
    (lambda t: np.where(np.arange(4)[:, None] == 1, np.nan, t), "pred contains NaN or inf"),
    (lambda t: np.full_like(t, np.inf), "pred contains NaN or inf"),
    (lambda t: [[None]] * 4, "pred must be a real-valued"),
])
def test_adding_solved_rejects_complex_and_nan(pred, match):
    d = adding_problem(4, 10, seed=0)
    with pytest.raises(ValueError, match=match):
        d.solved(pred(d.targets))


def test_adding_solved_accepts_ints_and_lists():
    d = adding_problem(4, 10, seed=0)
    assert d.solved(d.targets.tolist()) == 1.0
    assert d.solved(np.zeros((4, 1), dtype=np.int64)) == d.solved(np.zeros((4, 1)))


@pytest.mark.parametrize("make", [
    lambda seed: temporal_xor(10, seed=seed),
    lambda seed: slot_filling(3, seed=seed),
    lambda seed: slot_filling(3, seed=0).batches(2, shuffle=True, seed=seed),
    lambda seed: adding_problem(2, 10, seed=seed),
])
@pytest.mark.parametrize("seed", [-1, 1.5, "a", True])
def test_generators_name_a_bad_seed(make, seed):
    with pytest.raises(ValueError, match="seed must be"):
        make(seed)


@pytest.mark.parametrize("call, match", [
    (lambda: temporal_xor(4.5), "n_bits must be an integer"),
    (lambda: temporal_xor(-3), "n_bits must be an integer"),
    (lambda: temporal_xor("9"), "n_bits must be an integer"),
    (lambda: slot_filling(2.0), "n_sentences must be an integer"),
    (lambda: slot_filling(-1), "n_sentences must be an integer"),
    (lambda: adding_problem(2.5, 10), "n must be an integer"),
    (lambda: adding_problem(2, 10.0), "T must be an integer"),
    (lambda: adding_problem(2, 10, variant=["modern"]), "variant must be 'hochreiter' or 'modern'"),
    (lambda: slot_filling(3, seed=0).batches(1.5), "batch_size must be an integer"),
    (lambda: temporal_xor(10, seed=0).windows(2.0), "length must be an integer"),
])
def test_generators_reject_non_integer_sizes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_ragged_ids_and_masks_are_named():
    with pytest.raises(ValueError, match="ids must be an array of integer ids .*not rectangular"):
        one_hot([[0, 1], [1]], 3)
    with pytest.raises(ValueError, match="mask must be an array of booleans .*not rectangular"):
        one_hot([[0, 1], [1, 2]], 3, mask=[[True, False], [True]])
