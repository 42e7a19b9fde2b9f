"""Slot filling with a one-directional and a bidirectional RNN: which labels need the words after?

Two taggers that differ only in ``bidirectional`` (an :class:`~companion.elman.ElmanRNN` with one-hot words
as input, a per-step :class:`~companion.layers.Linear` output layer, softmax cross-entropy with a mask over
the padding, Adam) are trained on the same sentences from :func:`companion.tasks.slot_filling`. Every labelled
word is marked with the context its label needs: ``"left"`` (decided by a word before it), ``"right"``
(decided by a word after it) or ``"self"`` (decided by the word itself). The forward tagger cannot see a word
it has not read yet, so it is at chance on the ``"right"`` labels; the bidirectional one is not.

The chapter ``book/bidirectional.ipynb`` prints :func:`run_slot_filling_experiment`;
``tests/test_experiments_slot_filling.py`` asserts its claim over several seeds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from companion.elman import ElmanRNN
from companion.layers import Linear
from companion.losses import softmax_cross_entropy
from companion.optim import Adam
from companion.sequence_model import SequenceModel
from companion.tasks import slot_filling
from companion.training import train

__all__ = [
    "CONTEXTS",
    "TaggedCorpus",
    "TaggerResult",
    "SlotFillingExperiment",
    "load_corpus",
    "corpus_examples",
    "train_tagger",
    "accuracy_by_context",
    "chance_accuracy",
    "run_slot_filling_experiment",
    "predict_sentence",
    "format_accuracy_table",
    "format_prediction_table",
]

#: The kinds of context a label can need, in the order the tables show them.
CONTEXTS = ("left", "right", "self")


@dataclass(frozen=True)
class TaggedCorpus:
    """Sentences encoded for a tagger (time-major, padded to the longest sentence).

    Attributes
    ----------
    words, slots, contexts : list of list of str
        Per sentence: the words, their slot labels and the context each label needs.
    vocab, slot_names : tuple of str
        Word and slot vocabularies (index = id).
    x : ndarray, shape (T, B, V)
        One-hot words.
    targets : ndarray of int, shape (T, B)
        Slot ids (0 at padding).
    mask : ndarray of bool, shape (T, B)
        True on real words, False on padding.
    context : ndarray of int, shape (T, B)
        Index into :data:`CONTEXTS` of each position's context (-1 at padding).
    """

    words: list
    slots: list
    contexts: list
    vocab: tuple
    slot_names: tuple
    x: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    context: np.ndarray


@dataclass
class TaggerResult:
    """One trained tagger and what it measured.

    Attributes
    ----------
    bidirectional : bool
    model : SequenceModel
    epoch_losses : ndarray, shape (epochs,)
        Mean training loss of each epoch.
    accuracy : dict of str -> float
        Test accuracy on the labels of each context kind (keys of :data:`CONTEXTS`) and ``"all"``.
    predictions : ndarray of int, shape (T, B)
        Predicted slot ids on the test sentences.
    """

    bidirectional: bool
    model: SequenceModel
    epoch_losses: np.ndarray
    accuracy: dict
    predictions: np.ndarray


@dataclass
class SlotFillingExperiment:
    """Both taggers, the test sentences, and the settings used.

    Attributes
    ----------
    uni, bi : TaggerResult
        The forward-only and the bidirectional tagger.
    test : TaggedCorpus
    chance : dict of str -> float
        Accuracy of the best guess from the labelled word alone, per context kind (:func:`chance_accuracy`).
    example_index : int
        A test sentence with a right-context label that the forward tagger gets wrong (for the chapter).
    description : str
        Two lines with the settings.
    """

    uni: TaggerResult
    bi: TaggerResult
    test: TaggedCorpus
    chance: dict
    example_index: int
    description: str


def load_corpus(n_sentences: int, seed: int) -> TaggedCorpus:
    """Draw sentences from :func:`companion.tasks.slot_filling` and encode them as one padded batch.

    Parameters
    ----------
    n_sentences : int
    seed : int

    Returns
    -------
    TaggedCorpus

    Examples
    --------
    >>> corpus = load_corpus(3, seed=0)
    >>> corpus.x.shape[1:], corpus.targets.shape == corpus.mask.shape == corpus.context.shape
    ((3, 37), True)
    """
    corpus = slot_filling(n_sentences, seed)
    words = [list(s) for s in corpus.sentences]
    slots = [[corpus.labels[i] for i in ids] for ids in corpus.label_ids]
    contexts = [[corpus.context_names[i] for i in ids] for ids in corpus.context]
    x, targets, mask, codes = corpus.batch(range(n_sentences))  # (T, B, V), (T, B), (T, B), (T, B)
    # re-code contexts as indices into CONTEXTS (-1 at padding)
    lookup = np.array([CONTEXTS.index(name) for name in corpus.context_names])
    context = np.where(mask, lookup[np.asarray(codes)], -1)
    return TaggedCorpus(words, slots, contexts, tuple(corpus.vocab), tuple(corpus.labels), x,
                        np.asarray(targets), np.asarray(mask, dtype=bool), context)


def corpus_examples(n: int = 4, seed: int = 0):
    """The first ``n`` sentences of a corpus as (words, slots, contexts) triples, for display.

    Examples
    --------
    >>> words, slots, contexts = corpus_examples(1)[0]
    >>> len(words) == len(slots) == len(contexts)
    True
    """
    corpus = load_corpus(n, seed)
    return list(zip(corpus.words, corpus.slots, corpus.contexts))


def train_tagger(train_set: TaggedCorpus, test_set: TaggedCorpus, bidirectional: bool, *, hidden_size: int = 16,
                 epochs: int = 30, batch_size: int = 32, lr: float = 0.02, seed: int = 0) -> TaggerResult:
    """Train an ElmanRNN tagger (forward-only or bidirectional) and measure it on ``test_set``.

    Parameters
    ----------
    train_set, test_set : TaggedCorpus
        Sharing the same vocabularies.
    bidirectional : bool
    hidden_size : int
        H, per direction.
    epochs, batch_size : int
    lr : float
        Adam's learning rate.
    seed : int
        Seeds the weights and the shuffling.

    Returns
    -------
    TaggerResult
    """
    V, K = len(train_set.vocab), len(train_set.slot_names)
    rnn = ElmanRNN(V, hidden_size, bidirectional=bidirectional, seed=seed)
    head = Linear(hidden_size * (2 if bidirectional else 1), K, seed=seed + 1)
    model = SequenceModel(rnn, head)
    batches = [(train_set.x[:, i:i + batch_size], train_set.targets[:, i:i + batch_size],
                train_set.mask[:, i:i + batch_size]) for i in range(0, train_set.x.shape[1], batch_size)]
    history = train(model, softmax_cross_entropy, Adam(model.params, lr=lr), batches, epochs=epochs,
                    progress=False, shuffle=True, seed=seed)
    predictions = model.forward(test_set.x).argmax(axis=-1)  # (T, B)
    return TaggerResult(bidirectional, model, np.asarray(history.epoch_losses),
                        accuracy_by_context(predictions, test_set), predictions)


def accuracy_by_context(predictions, corpus: TaggedCorpus) -> dict:
    """Accuracy of ``predictions`` (T, B) on the labels of each context kind, and on all labels.

    Returns
    -------
    dict of str -> float
        Keys :data:`CONTEXTS` and ``"all"``; NaN for a kind that does not occur.
    """
    correct = np.asarray(predictions) == corpus.targets
    result = {}
    for k, name in enumerate(CONTEXTS):
        sel = corpus.mask & (corpus.context == k)
        result[name] = float(correct[sel].mean()) if sel.any() else float("nan")
    result["all"] = float(correct[corpus.mask].mean())
    return result


def chance_accuracy(train_set: TaggedCorpus, test_set: TaggedCorpus) -> dict:
    """Test accuracy of the best guess from the labelled word alone, per context kind.

    For each word, the guess is the slot that word most often has, among the training labels of the same
    context kind; it is scored on the test labels. This is what a tagger reaches without the deciding word
    (a forward RNN labelling a ``"right"`` word has read the word and the words before it, which in this
    corpus say nothing about the label). Fitted on the training set and scored on the test set, so it is not
    inflated by small groups.

    Returns
    -------
    dict of str -> float
        Keys :data:`CONTEXTS`; NaN for a kind that does not occur in the test set.
    """
    result = {}
    for name in CONTEXTS:
        counts: dict = {}
        for ws, ss, cs in zip(train_set.words, train_set.slots, train_set.contexts):
            for w, s, c in zip(ws, ss, cs):
                if c == name:
                    counts.setdefault(w, {}).setdefault(s, 0)
                    counts[w][s] += 1
        guess = {w: max(sorted(by_slot), key=by_slot.get) for w, by_slot in counts.items()}
        hits = total = 0
        for ws, ss, cs in zip(test_set.words, test_set.slots, test_set.contexts):
            for w, s, c in zip(ws, ss, cs):
                if c == name:
                    total += 1
                    hits += guess.get(w) == s
        result[name] = hits / total if total else float("nan")
    return result


def run_slot_filling_experiment(seed: int = 0, *, n_train: int = 512, n_test: int = 512, hidden_size: int = 16,
                                epochs: int = 30) -> SlotFillingExperiment:
    """Train the forward-only and the bidirectional tagger on the same data and measure both.

    Parameters
    ----------
    seed : int
        Seeds the training sentences (``seed``), the test sentences (``seed + 1000``), the weights and the
        shuffling.
    n_train, n_test : int
        Numbers of sentences.
    hidden_size : int
        H per direction.
    epochs : int

    Returns
    -------
    SlotFillingExperiment
    """
    train_set = load_corpus(n_train, seed)
    test_set = load_corpus(n_test, seed + 1000)
    uni = train_tagger(train_set, test_set, False, hidden_size=hidden_size, epochs=epochs, seed=seed)
    bi = train_tagger(train_set, test_set, True, hidden_size=hidden_size, epochs=epochs, seed=seed)
    right = CONTEXTS.index("right")
    wrong = (uni.predictions != test_set.targets) & test_set.mask & (test_set.context == right)
    candidates = [b for b in range(test_set.x.shape[1]) if wrong[:, b].any()]
    example = candidates[0] if candidates else 0
    description = (f"ElmanRNN taggers, H = {hidden_size} per direction, {epochs} epochs of Adam, seed {seed}\n"
                   f"{n_train} training and {n_test} test sentences, {len(train_set.vocab)} words, "
                   f"{len(train_set.slot_names)} slots")
    return SlotFillingExperiment(uni, bi, test_set, chance_accuracy(train_set, test_set), example, description)


def predict_sentence(experiment: SlotFillingExperiment, index: int = 0) -> list:
    """Per-word predictions of both taggers on test sentence ``index``.

    Returns
    -------
    list of tuple
        ``(word, true slot, context, forward-only prediction, bidirectional prediction)`` per word.
    """
    test = experiment.test
    names = test.slot_names
    rows = []
    for t, (w, s, c) in enumerate(zip(test.words[index], test.slots[index], test.contexts[index])):
        rows.append((w, s, c, names[experiment.uni.predictions[t, index]], names[experiment.bi.predictions[t, index]]))
    return rows


def format_accuracy_table(experiment: SlotFillingExperiment) -> str:
    """Plain-text table: accuracy per context kind for both taggers, beside the word-only baseline (percent)."""
    test = experiment.test
    names = {"left": "a word before (left)", "right": "a word after (right)", "self": "the word itself"}
    rows = []
    for k, name in enumerate(CONTEXTS):
        n = int((test.mask & (test.context == k)).sum())
        rows.append((names[name], str(n), _pct(experiment.uni.accuracy[name]), _pct(experiment.bi.accuracy[name]),
                     _pct(experiment.chance[name])))
    rows.append(("all labels", str(int(test.mask.sum())), _pct(experiment.uni.accuracy["all"]),
                 _pct(experiment.bi.accuracy["all"]), ""))
    headers = [("label decided by", "test labels", "forward only", "bidirectional", "word-only guess")]
    return _plain_table(headers, rows, left=1)


def format_prediction_table(rows) -> str:
    """Plain-text table of :func:`predict_sentence` rows; wrong predictions are marked with "x"."""
    body = []
    for word, true, context, uni, bi in rows:
        mark = lambda p: p if p == true else f"{p} (x)"  # noqa: E731
        body.append((word, true, context, mark(uni), mark(bi)))
    return _plain_table([("word", "true slot", "needs", "forward only", "bidirectional")], body, left=5)


def _plain_table(headers, rows, left=1) -> str:
    """Columns two spaces apart, the first ``left`` left-aligned and the others right-aligned, a rule under the header."""
    widths = [max(len(r[i]) for r in [*headers, *rows]) for i in range(len(rows[0]))]

    def line(r):
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()

    return "\n".join([*(line(h) for h in headers), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _pct(value: float) -> str:
    return "n/a" if value != value else f"{100 * value:.1f}%"
