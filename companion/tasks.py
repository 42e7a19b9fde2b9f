"""Small, seeded data sets for the chapters' experiments.

* :func:`temporal_xor` — Elman's (1990) bit stream where every third bit is the XOR of the
  two before it; next-bit prediction.
* :func:`slot_filling` — a toy flight-booking corpus for slot filling (槽填充). Some slot labels
  are decided by a word *before* the labelled word, others by a word *after* it, so a
  left-to-right RNN cannot do better than chance on the second kind while a bidirectional
  one can be perfect.
* :func:`adding_problem` — Hochreiter & Schmidhuber's (1997) long-time-lag adding problem,
  in the original form or the common modern variant.
* :func:`lstm_worked_example` — the lecture's one-cell LSTM with hand-set weights and its
  five-step input sequence.

Every generator takes ``seed`` (an int, a ``numpy.random.Generator`` or None) and returns a
frozen dataclass of numpy arrays, time-major like the models: inputs are (T, B, D).
"""
from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from companion._checks import as_array, as_bool_mask, check_dtype, check_int, check_positive_int
from companion.seeding import make_rng

__all__ = [
    "TemporalXOR",
    "temporal_xor",
    "SlotBatch",
    "SlotFillingCorpus",
    "slot_filling",
    "pad_sequences",
    "one_hot",
    "AddingProblem",
    "adding_problem",
    "LSTMWorkedExample",
    "lstm_worked_example",
]


# --------------------------------------------------------------------------- temporal XOR
@dataclass(frozen=True)
class TemporalXOR:
    """Elman's temporal-XOR stream, arranged for next-bit prediction.

    Attributes
    ----------
    bits : ndarray of int, (n_bits,)
        The stream: triples ``(a, b, a XOR b)`` one after another.
    inputs : ndarray of float64, (T, 1, 1)
        ``bits[:-1]``: the bit seen at step t (T = n_bits - 1, batch of one stream).
    targets : ndarray of float64, (T, 1, 1)
        ``bits[1:]``: the next bit, to be predicted at step t.
    phase : ndarray of int, (T,)
        Position of the *target* bit inside its triple: 0 and 1 are random bits, 2 is the XOR.
    predictable : ndarray of bool, (T,)
        ``phase == 2``: only these targets can be predicted (from the two bits before).

    Examples
    --------
    >>> from companion.tasks import temporal_xor
    >>> data = temporal_xor(7, seed=0)
    >>> data.bits, data.targets[:, 0, 0]            # targets: the next bit at each step
    (array([1, 1, 0, 1, 0, 1, 0]), array([1., 0., 1., 0., 1., 0.]))
    >>> data.predictable
    array([False,  True, False, False,  True, False])
    """

    bits: np.ndarray
    inputs: np.ndarray
    targets: np.ndarray
    phase: np.ndarray
    predictable: np.ndarray

    def windows(self, length):
        """Cut the stream into consecutive windows, stacked as a batch (for truncated BPTT).

        Backpropagating through one 3,000-step sequence is slow in numpy; training on
        windows of a few triples, each started from the zero state, learns the same rule.

        Parameters
        ----------
        length : int
            Steps per window (a multiple of 3 keeps every window in the same phase).
            The last ``T % length`` steps are dropped.

        Returns
        -------
        inputs : ndarray, (length, N, 1)
        targets : ndarray, (length, N, 1)
        phase : ndarray of int, (length, N)
            With N = T // length windows.

        Examples
        --------
        >>> from companion.tasks import temporal_xor
        >>> x, y, phase = temporal_xor(31, seed=0).windows(6)     # T = 30 steps -> 5 windows
        >>> x.shape, y.shape, phase[:, 0]
        ((6, 5, 1), (6, 5, 1), array([1, 2, 0, 1, 2, 0]))
        """
        length = check_positive_int(length, "length")
        T = self.inputs.shape[0]
        N = T // length
        if N == 0:
            raise ValueError(f"length must be <= the number of steps T = {T}; got {length}")

        def cut(a):  # (T, ...) -> (length, N, ...)
            return a[: N * length].reshape((N, length) + a.shape[1:]).swapaxes(0, 1)

        return tuple(np.ascontiguousarray(cut(a)) for a in (self.inputs[:, 0], self.targets[:, 0], self.phase))


def temporal_xor(n_bits=3000, seed=None):
    """Elman's (1990) temporal XOR: a bit stream in which every third bit is the XOR of the previous two.

    Two random bits are followed by their XOR, again and again: ``1 0 1 0 0 0 1 1 0 ...``.
    A network that reads the stream one bit per step and predicts the next bit can only be
    right, beyond chance, at every third step; Elman's network learned exactly that, and its
    prediction error dips periodically (Elman used 3,000 bits).

    Parameters
    ----------
    n_bits : int, default 3000
        Length of the stream, >= 4 (it is cut after ``n_bits``, so it need not be a multiple of 3).
    seed : int >= 0, numpy.random.Generator or None

    Returns
    -------
    TemporalXOR
        ``inputs``/``targets`` (T, 1, 1) with T = n_bits - 1, and the ``phase`` of each target.

    Raises
    ------
    ValueError
        If ``n_bits`` < 4 or ``seed`` is not a valid seed.

    Examples
    --------
    >>> from companion.tasks import temporal_xor
    >>> data = temporal_xor(9, seed=0)
    >>> data.bits.reshape(3, 3)                     # each row: a, b, a XOR b
    array([[1, 1, 0],
           [1, 0, 1],
           [0, 0, 0]])
    >>> data.inputs.shape, data.targets.shape       # (T, B, D) and (T, B, O)
    ((8, 1, 1), (8, 1, 1))
    >>> data.phase                                  # the target at step t is bit t + 1
    array([1, 2, 0, 1, 2, 0, 1, 2])
    """
    n_bits = check_positive_int(n_bits, "n_bits")
    if n_bits < 4:
        raise ValueError(f"n_bits must be >= 4 (at least one predictable bit); got {n_bits}")
    rng = make_rng(seed)
    n_triples = -(-n_bits // 3)
    ab = rng.integers(0, 2, size=(n_triples, 2))
    bits = np.column_stack([ab, ab[:, 0] ^ ab[:, 1]]).ravel()[:n_bits]
    T = n_bits - 1
    phase = np.arange(1, n_bits) % 3
    return TemporalXOR(
        bits=bits,
        inputs=bits[:-1].astype(np.float64).reshape(T, 1, 1),
        targets=bits[1:].astype(np.float64).reshape(T, 1, 1),
        phase=phase,
        predictable=phase == 2,
    )


# --------------------------------------------------------------------------- slot filling
PAD = "<pad>"
_CITIES = ("taipei", "tokyo", "seoul", "paris", "london", "boston", "sydney", "cairo")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september",
           "october", "november", "december")
_DAYS = ("1st", "2nd", "3rd", "5th", "10th", "15th", "20th", "25th")
_FUNCTION_WORDS = ("please", "arrive", "leave", "on", "is", "my", "arrival", "departure")
SLOT_LABELS = ("other", "dest", "origin", "arrive_time", "leave_time")
CONTEXT_NAMES = ("self", "left", "right")
TEMPLATES = ("verb_first", "verb_last")


def pad_sequences(seqs, pad_value=0):
    """Stack 1-D integer sequences of different lengths into a time-major (T, B) array.

    Parameters
    ----------
    seqs : sequence of B array_like of int, the b-th of shape (L_b,)
        B non-empty integer sequences (e.g. a list of word-id arrays); T = max L_b. Values must
        fit in int64.
    pad_value : int, default 0
        Written after the end of the shorter sequences; an integer that fits in int64.

    Returns
    -------
    padded : ndarray of int64, (T, B)
        Column b holds ``seqs[b]`` followed by ``pad_value``.
    mask : ndarray of bool, (T, B)
        True at real elements, False at padding.

    Raises
    ------
    ValueError
        If ``seqs`` is not a non-empty sequence of non-empty 1-D integer sequences with values
        that fit in int64, or ``pad_value`` is not such an integer.

    Examples
    --------
    >>> from companion.tasks import pad_sequences
    >>> ids, mask = pad_sequences([[5, 6, 7], [8]])
    >>> ids
    array([[5, 8],
           [6, 0],
           [7, 0]])
    >>> mask[:, 1]
    array([ True, False, False])
    """
    expected = "a sequence of B non-empty 1-D integer sequences, the b-th of shape (L_b,)"
    if isinstance(seqs, (str, bytes)) or isinstance(seqs, np.ndarray) and seqs.ndim == 0:
        raise ValueError(f"seqs must be {expected}; got {seqs!r}")
    try:
        seqs = list(seqs)
    except TypeError:
        raise ValueError(f"seqs must be {expected}; got {type(seqs).__name__} {seqs!r}") from None
    if not seqs:
        raise ValueError("seqs is empty: need at least one sequence")
    info = np.iinfo(np.int64)
    pad_value = check_int(pad_value, "pad_value", "an integer (padded arrays hold int64 ids)")
    if not info.min <= pad_value <= info.max:
        raise ValueError(f"pad_value must fit in int64 [{info.min}, {info.max}]; got {pad_value}")
    arrays = []
    for i, s in enumerate(seqs):
        try:
            s = np.asarray(s)
        except (TypeError, ValueError):
            raise ValueError(f"seqs[{i}] must be a non-empty 1-D integer sequence of shape (L,); "
                             f"got {s!r}") from None
        if s.ndim != 1 or s.size == 0 or not np.issubdtype(s.dtype, np.integer):
            raise ValueError(f"seqs[{i}] must be a non-empty 1-D integer sequence; got shape {s.shape}, dtype {s.dtype}")
        if s.dtype == np.uint64 and s.max() > info.max:
            raise ValueError(f"seqs[{i}] has values > {info.max}, which do not fit in the int64 output")
        arrays.append(s)
    seqs = arrays
    T, B = max(len(s) for s in seqs), len(seqs)
    padded = np.full((T, B), pad_value, dtype=np.int64)
    mask = np.zeros((T, B), dtype=bool)
    for b, s in enumerate(seqs):
        padded[: len(s), b] = s
        mask[: len(s), b] = True
    return padded, mask


def one_hot(ids, size, mask=None, dtype=np.float64):
    """One-hot encode integer ids along a new last axis; masked-out positions become all zeros.

    Parameters
    ----------
    ids : array_like of int, any shape S (e.g. (T, B), or () for a single id)
        Values in ``[0, size)`` (at unmasked positions).
    size : int
        Length of the one-hot vectors (the vocabulary size V), >= 1.
    mask : array_like of bool (or of 0/1), shape S, optional
        False positions (padding) get a zero vector; their ids are not checked.
    dtype : {np.float64, np.float32}, default np.float64
        Floating dtype of the result (the models take floating inputs only).

    Returns
    -------
    ndarray of ``dtype``, shape S + (size,)

    Raises
    ------
    ValueError
        For non-integer ids, ids out of range, a mask of the wrong shape or with values other
        than True/False/0/1, ``size`` < 1, or a dtype other than float32/float64.

    Examples
    --------
    >>> from companion.tasks import one_hot
    >>> one_hot([[2], [0]], 3, mask=[[True], [False]])[:, 0]
    array([[0., 0., 1.],
           [0., 0., 0.]])
    >>> one_hot(1, 3)                               # a single id: shape () -> (3,)
    array([0., 1., 0.])
    """
    size = check_positive_int(size, "size")
    dtype = check_dtype(dtype)
    ids = as_array(ids, "ids", "an array of integer ids")
    if not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"ids must hold integers; got dtype {ids.dtype}")
    m = np.ones(ids.shape, bool) if mask is None else as_bool_mask(mask, ids.shape, shape_desc=f"the shape of ids {ids.shape}")
    if ((ids[m] < 0) | (ids[m] >= size)).any():
        raise ValueError(f"ids must lie in [0, size) = [0, {size}) at unmasked positions")
    out = np.zeros(ids.shape + (size,), dtype=dtype)
    rows = np.flatnonzero(m)  # positions in ids.ravel() that get a one
    out.reshape(-1, size)[rows, ids.reshape(-1)[rows]] = 1.0
    return out


class SlotBatch(NamedTuple):
    """A padded, time-major batch of sentences; see :meth:`SlotFillingCorpus.batch`.

    T is the length of the longest sentence in the batch, B the number of sentences and V the
    vocabulary size. Sentence b fills steps ``0 .. L_b - 1`` of column b; the rest is padding.
    The first three fields are what :func:`companion.training.train` and the losses take.

    Attributes
    ----------
    x : ndarray of float, (T, B, V)
        One-hot words (the model input); all zeros at padding.
    targets : ndarray of int64, (T, B)
        Slot label ids into ``SlotFillingCorpus.labels``; 0 at padding.
    mask : ndarray of bool, (T, B)
        True at real tokens, False at padding (pass it to the loss and the accuracy).
    context : ndarray of int64, (T, B)
        Which context decides each token's label: 0 ``"self"``, 1 ``"left"``, 2 ``"right"``
        (names in ``SlotFillingCorpus.context_names``); 0 at padding.

    Examples
    --------
    >>> from companion.tasks import slot_filling
    >>> b = slot_filling(3, seed=0).batch([0, 2])
    >>> b.x.shape, b.targets.shape, b.mask.shape, b.context.shape
    ((8, 2, 37), (8, 2), (8, 2), (8, 2))
    >>> x, targets, mask = b[:3]                    # what the training loop takes
    """

    x: np.ndarray  # (T, B, V) one-hot words, zeros at padding
    targets: np.ndarray  # (T, B) label ids (0 at padding)
    mask: np.ndarray  # (T, B) bool, True at real tokens
    context: np.ndarray  # (T, B) context codes: 0 self, 1 left, 2 right (0 at padding)


SlotBatch.x.__doc__ = "(T, B, V) one-hot words (float), all zeros at padding."
SlotBatch.targets.__doc__ = "(T, B) slot label ids (int64), 0 at padding."
SlotBatch.mask.__doc__ = "(T, B) bool, True at real tokens, False at padding."
SlotBatch.context.__doc__ = "(T, B) context codes (int64): 0 self, 1 left, 2 right; 0 at padding."


@dataclass(frozen=True)
class SlotFillingCorpus:
    """A toy slot-filling corpus (see :func:`slot_filling`).

    Attributes
    ----------
    sentences : list of list of str
    token_ids : list of ndarray of int, (L_n,)
        Word ids into ``vocab`` (id 0 is the padding symbol ``"<pad>"`` and never occurs).
    label_ids : list of ndarray of int, (L_n,)
        Slot label ids into ``labels``.
    context : list of ndarray of int, (L_n,)
        Which context decides each token's label: 0 ``"self"`` (the word alone), 1 ``"left"``
        (a word before it), 2 ``"right"`` (a word after it); names in ``context_names``.
    templates : ndarray of int, (n_sentences,)
        0 ``"verb_first"`` or 1 ``"verb_last"``; names in ``template_names``.
    vocab, labels, context_names, template_names : tuple of str
    word_to_id : dict of str to int
        Inverse of ``vocab``.

    Examples
    --------
    >>> from companion.tasks import slot_filling
    >>> corpus = slot_filling(3, seed=0)
    >>> len(corpus), corpus.vocab_size, corpus.num_labels        # sentences, V, K
    (3, 37, 5)
    >>> corpus.sentences[0]
    ['taipei', 'on', 'january', '1st', 'is', 'my', 'departure']
    >>> [corpus.labels[k] for k in corpus.label_ids[0]]
    ['origin', 'other', 'leave_time', 'leave_time', 'other', 'other', 'other']
    """

    sentences: list
    token_ids: list
    label_ids: list
    context: list
    templates: np.ndarray
    vocab: tuple
    labels: tuple = SLOT_LABELS
    context_names: tuple = CONTEXT_NAMES
    template_names: tuple = TEMPLATES
    word_to_id: dict = field(default_factory=dict, repr=False)

    def __len__(self):
        return len(self.sentences)

    @property
    def vocab_size(self):
        """V, the length of the one-hot input vectors (including ``"<pad>"``)."""
        return len(self.vocab)

    @property
    def num_labels(self):
        """K, the number of slot labels."""
        return len(self.labels)

    def encode(self, words):
        """Word ids of a sentence, from the vocabulary.

        Parameters
        ----------
        words : str or sequence of str
            A space-separated string, or a list of L words.

        Returns
        -------
        ndarray of int64, (L,)
            ``vocab[ids[i]] == words[i]``.

        Raises
        ------
        ValueError
            If ``words`` is not a string or a sequence of strings, or a word is not in ``vocab``.

        Examples
        --------
        >>> from companion.tasks import slot_filling
        >>> corpus = slot_filling(3, seed=0)
        >>> ids = corpus.encode("arrive taipei on may 2nd")
        >>> ids.shape, [corpus.vocab[i] for i in ids[:2]]
        ((5,), ['arrive', 'taipei'])
        """
        if isinstance(words, str):
            words = words.split()
        expected = "a space-separated string or a sequence of str"
        if isinstance(words, (bytes, np.ndarray)) and np.ndim(words) == 0:
            raise ValueError(f"words must be {expected}; got {words!r}")
        try:
            words = list(words)
        except TypeError:
            raise ValueError(f"words must be {expected}; got {type(words).__name__} {words!r}") from None
        for i, w in enumerate(words):
            if not isinstance(w, str):
                raise ValueError(f"words must be {expected}; words[{i}] is {type(w).__name__} {w!r}")
        try:
            return np.array([self.word_to_id[w] for w in words], dtype=np.int64)
        except KeyError as err:
            raise ValueError(f"word {err.args[0]!r} is not in the vocabulary") from None

    def _check_indices(self, indices):
        """``indices`` as a list of ints in [0, len(self)), else ValueError naming ``indices``."""
        n = len(self)
        expected = f"a sequence of sentence indices, integers in [0, {n})"
        if isinstance(indices, (str, bytes)) or (isinstance(indices, np.ndarray) and indices.ndim != 1):
            raise ValueError(f"indices must be {expected}; got {indices!r}")
        try:
            items = list(indices)
        except TypeError:
            raise ValueError(f"indices must be {expected}; got {type(indices).__name__} {indices!r}") from None
        for i in items:
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, numbers.Integral):  # not check_int: names the element
                raise ValueError(f"indices must be {expected}; got the element {i!r} ({type(i).__name__})")
            if not 0 <= i < n:
                raise ValueError(f"indices must be {expected} (the corpus has {n} sentences); got {int(i)}")
        return [int(i) for i in items]

    def batch(self, indices, dtype=np.float64):
        """Padded, one-hot, time-major batch of the sentences at ``indices``.

        Parameters
        ----------
        indices : sequence of int, (B,)
            Sentence numbers in ``[0, len(corpus))`` (no negative indexing).
        dtype : {np.float64, np.float32}, default np.float64
            Floating dtype of ``x``.

        Returns
        -------
        SlotBatch
            ``x`` (T, B, V) one-hot (zeros at padding), ``targets`` (T, B) label ids,
            ``mask`` (T, B) True at real tokens, ``context`` (T, B) context codes. T is the
            longest sentence of the batch.

        Raises
        ------
        ValueError
            If ``indices`` is empty, not a sequence of integers, or has an index outside
            ``[0, len(corpus))``; or ``dtype`` is not float32/float64.

        Examples
        --------
        >>> from companion.tasks import slot_filling
        >>> corpus = slot_filling(3, seed=0)
        >>> b = corpus.batch([2, 0])
        >>> b.x.shape, b.mask.sum(axis=0)                 # (T, B, V), sentence lengths
        ((8, 2, 37), array([8, 7]))
        """
        dtype = check_dtype(dtype)
        indices = self._check_indices(indices)
        if not indices:
            raise ValueError("indices is empty: a batch needs at least one sentence")
        ids, mask = pad_sequences([self.token_ids[i] for i in indices])
        labels, _ = pad_sequences([self.label_ids[i] for i in indices])
        context, _ = pad_sequences([self.context[i] for i in indices])
        return SlotBatch(one_hot(ids, self.vocab_size, mask, dtype), labels, mask, context)

    def batches(self, batch_size, shuffle=False, seed=None, dtype=np.float64):
        """The whole corpus as a list of ``(x, targets, mask)`` batches for :func:`companion.training.train`.

        Parameters
        ----------
        batch_size : int
            Sentences per batch, >= 1 (the last batch may be smaller).
        shuffle : bool, default False
            Assign sentences to batches in a random order (drawn from ``seed``).
        seed : int, numpy.random.Generator or None
        dtype : {np.float64, np.float32}, default np.float64
            Floating dtype of ``x``.

        Returns
        -------
        list of tuple (x (T, B, V), targets (T, B), mask (T, B))
            As the first three fields of :class:`SlotBatch`; T and B vary between batches.

        Raises
        ------
        ValueError
            For ``batch_size`` < 1, a bad ``seed``, or a dtype other than float32/float64.

        Examples
        --------
        >>> from companion.tasks import slot_filling
        >>> batches = slot_filling(10, seed=0).batches(4, shuffle=True, seed=0)
        >>> [x.shape[1] for x, targets, mask in batches]        # B of each batch
        [4, 4, 2]
        """
        batch_size = check_positive_int(batch_size, "batch_size")
        dtype = check_dtype(dtype)
        order = make_rng(seed).permutation(len(self)) if shuffle else np.arange(len(self))
        return [tuple(self.batch(order[i:i + batch_size], dtype)[:3]) for i in range(0, len(self), batch_size)]


def slot_filling(n_sentences=500, seed=None):
    """A toy flight-booking corpus whose slot labels need left *or* right context.

    Every sentence mentions a city and a date. Whether the city is the destination
    (``dest``) or the place of departure (``origin``), and whether the date is the time of
    arrival (``arrive_time``) or of departure (``leave_time``), is decided by one word, which
    comes either *before* or *after* the slot words. Two templates, equally likely
    (``[please]`` is present with probability 1/2; all choices are independent and uniform):

    ====================  ===========================================================  ======================
    template              words                                                        slots decided by
    ====================  ===========================================================  ======================
    ``verb_first``        [please] {arrive, leave} CITY on MONTH DAY                   the verb, on the left
    ``verb_last``         [please] CITY on MONTH DAY is my {arrival, departure}        the noun, on the right
    ====================  ===========================================================  ======================

    e.g. "arrive taipei on november 2nd" -> taipei: dest, november 2nd: arrive_time;
    "taipei on november 2nd is my departure" -> taipei: origin, november 2nd: leave_time.
    All other words are labelled ``other``.

    **Why a left-to-right RNN stays at chance on the right-context slots.** In a
    ``verb_last`` sentence the deciding noun is drawn independently of every word before it,
    so for a slot word at step t the words x_1 ... x_t carry no information about its label:
    P(dest | x_1..x_t) = P(origin | x_1..x_t) = 1/2, and likewise for the two time labels.
    Any predictor that reads only x_1..x_t (a unidirectional RNN's y_t) is therefore right on
    these tokens with probability exactly 1/2 on average, however well trained. A
    bidirectional RNN's y_t also reads the words after x_t, including the noun, and can label
    every token correctly; the left-context (``verb_first``) slots are easy for both.

    Parameters
    ----------
    n_sentences : int, default 500
    seed : int, numpy.random.Generator or None

    Returns
    -------
    SlotFillingCorpus
        Sentences, token ids, label ids, per-token context codes, the vocabulary (id 0 =
        ``"<pad>"``) and label names, with :meth:`~SlotFillingCorpus.batches` for padded,
        masked training batches.

    Examples
    --------
    >>> from companion.tasks import slot_filling
    >>> corpus = slot_filling(4, seed=25)
    >>> for words, labels, ctx in zip(corpus.sentences, corpus.label_ids, corpus.context):
    ...     print(" ".join(words))
    ...     print("   ", ", ".join(f"{w}: {corpus.labels[l]} ({corpus.context_names[c]})"
    ...                          for w, l, c in zip(words, labels, ctx) if corpus.labels[l] != "other"))
    london on may 2nd is my departure
        london: origin (right), may: leave_time (right), 2nd: leave_time (right)
    arrive tokyo on april 25th
        tokyo: dest (left), april: arrive_time (left), 25th: arrive_time (left)
    please boston on february 2nd is my arrival
        boston: dest (right), february: arrive_time (right), 2nd: arrive_time (right)
    leave sydney on january 25th
        sydney: origin (left), january: leave_time (left), 25th: leave_time (left)
    >>> x, targets, mask = corpus.batches(batch_size=4)[0]
    >>> x.shape, targets.shape, mask.shape          # (T, B, V), (T, B), (T, B)
    ((8, 4, 37), (8, 4), (8, 4))
    >>> mask.sum(axis=0)                            # sentence lengths
    array([7, 5, 8, 5])
    """
    n_sentences = check_positive_int(n_sentences, "n_sentences")
    rng = make_rng(seed)
    vocab = (PAD,) + _FUNCTION_WORDS + _CITIES + _MONTHS + _DAYS
    word_to_id = {w: i for i, w in enumerate(vocab)}
    lab = {name: i for i, name in enumerate(SLOT_LABELS)}
    SELF, LEFT, RIGHT = range(3)

    sentences, token_ids, label_ids, contexts = [], [], [], []
    templates = rng.integers(0, 2, size=n_sentences)
    for template in templates:
        please = rng.integers(0, 2) == 1
        arriving = rng.integers(0, 2) == 1  # decides all slot labels of the sentence
        city = _CITIES[rng.integers(len(_CITIES))]
        month = _MONTHS[rng.integers(len(_MONTHS))]
        day = _DAYS[rng.integers(len(_DAYS))]
        place = lab["dest"] if arriving else lab["origin"]
        time = lab["arrive_time"] if arriving else lab["leave_time"]
        O = lab["other"]
        words, labels, ctx = (["please"], [O], [SELF]) if please else ([], [], [])
        if template == 0:  # verb_first: the verb on the left decides
            words += ["arrive" if arriving else "leave", city, "on", month, day]
            labels += [O, place, O, time, time]
            ctx += [SELF, LEFT, SELF, LEFT, LEFT]
        else:  # verb_last: the noun on the right decides
            words += [city, "on", month, day, "is", "my", "arrival" if arriving else "departure"]
            labels += [place, O, time, time, O, O, O]
            ctx += [RIGHT, SELF, RIGHT, RIGHT, SELF, SELF, SELF]
        sentences.append(words)
        token_ids.append(np.array([word_to_id[w] for w in words], dtype=np.int64))
        label_ids.append(np.array(labels, dtype=np.int64))
        contexts.append(np.array(ctx, dtype=np.int64))
    return SlotFillingCorpus(
        sentences=sentences,
        token_ids=token_ids,
        label_ids=label_ids,
        context=contexts,
        templates=templates.astype(np.int64),
        vocab=vocab,
        word_to_id=word_to_id,
    )


# --------------------------------------------------------------------------- adding problem
@dataclass(frozen=True)
class AddingProblem:
    """Sequences of the adding problem (see :func:`adding_problem`).

    Attributes
    ----------
    inputs : ndarray of float64, (T, n, 2)
        Per step: ``[value, marker]``.
    targets : ndarray of float64, (n, 1)
        One target per sequence (use ``SequenceModel(..., last_step=True)``).
    positions : ndarray of int, (n, 2)
        The two marked steps of each sequence, in increasing order.
    variant : str
        ``"hochreiter"`` or ``"modern"``.
    tolerance : float
        A sequence counts as solved if ``|prediction - target| < tolerance`` (0.04 for the
        original; 0.16, the same criterion on the modern variant's 4x larger target scale).
    baseline_mse : float
        Expected MSE of always predicting the mean target (1/24 for the original, 1/6 for the
        modern variant): a model must beat this to have learned anything.

    Examples
    --------
    >>> from companion.tasks import adding_problem
    >>> data = adding_problem(n=3, T=12, seed=0)
    >>> data.inputs.shape, data.targets.shape, data.positions.shape    # (T, n, 2), (n, 1), (n, 2)
    ((12, 3, 2), (3, 1), (3, 2))
    >>> data.variant, data.tolerance
    ('hochreiter', 0.04)
    """

    inputs: np.ndarray
    targets: np.ndarray
    positions: np.ndarray
    variant: str
    tolerance: float
    baseline_mse: float

    def solved(self, pred):
        """Fraction of sequences whose prediction is within ``tolerance`` of the target.

        Parameters
        ----------
        pred : array_like of real numbers, (n, 1)
            One prediction per sequence (e.g. ``SequenceModel(..., last_step=True)``'s output).

        Returns
        -------
        float
            The share, in [0, 1], of sequences with ``|pred - target| < tolerance``.

        Raises
        ------
        ValueError
            If ``pred`` does not have shape (n, 1), is not real-valued (complex, text, ...)
            or holds NaN/inf.

        Examples
        --------
        >>> from companion.tasks import adding_problem
        >>> data = adding_problem(n=4, T=10, seed=0)
        >>> data.solved(data.targets), data.solved(data.targets + 0.05)   # tolerance 0.04
        (1.0, 0.0)
        """
        expected = f"(n, 1) = {self.targets.shape}"
        arr = as_array(pred, "pred", f"a real-valued array of shape {expected}")
        if arr.dtype.kind not in "iuf":
            raise ValueError(f"pred must be a real-valued (int or float) array of shape {expected}; "
                             f"got dtype {arr.dtype}")
        pred = arr.astype(np.float64, copy=False)
        if pred.shape != self.targets.shape:
            raise ValueError(f"pred must have shape {expected}; got {pred.shape}")
        if not np.isfinite(pred).all():
            raise ValueError("pred contains NaN or inf: a prediction must be a finite number")
        return float(np.mean(np.abs(pred - self.targets) < self.tolerance))


def adding_problem(n, T, seed=None, variant="hochreiter"):
    """The adding problem: remember two marked numbers across a long sequence and add them.

    Each of the T steps carries a pair ``(value, marker)``. Exactly two steps have marker 1,
    all others 0; the target, given after the last step, depends only on the two marked values
    X1 and X2, so the network must keep them for up to T steps.

    * ``variant="hochreiter"`` (Hochreiter & Schmidhuber, 1997, experiment 4): values uniform in
      [-1, 1]; the first marked step is among the first 10, the second among the first T/2 (and
      different); target ``0.5 + (X1 + X2) / 4``, solved if the absolute error < 0.04. The
      original LSTM solved it at T = 100, where RNNs trained by BPTT failed.
    * ``variant="modern"`` (the form common in later papers): values uniform in [0, 1]; one
      marked step in the first half, one in the second half; target ``X1 + X2``. Always
      predicting 1 gives MSE 1/6 ≈ 0.167, the baseline to beat.

    Parameters
    ----------
    n : int
        Number of sequences (the batch size B).
    T : int
        Sequence length, >= 4.
    seed : int, numpy.random.Generator or None
    variant : {"hochreiter", "modern"}

    Returns
    -------
    AddingProblem
        ``inputs`` (T, n, 2), ``targets`` (n, 1), the marked ``positions`` (n, 2) and the
        variant's ``tolerance`` and ``baseline_mse``.

    Raises
    ------
    ValueError
        For n < 1, T < 4, an unknown variant or a bad seed.

    Examples
    --------
    >>> import numpy as np
    >>> from companion.tasks import adding_problem
    >>> data = adding_problem(n=3, T=20, seed=0)
    >>> data.inputs.shape, data.targets.shape        # (T, B, D), (B, O)
    ((20, 3, 2), (3, 1))
    >>> data.inputs[:, :, 1].sum(axis=0)             # two markers per sequence
    array([2., 2., 2.])
    >>> x1, x2 = (data.inputs[data.positions[:, k], np.arange(3), 0] for k in range(2))
    >>> np.allclose(data.targets[:, 0], 0.5 + (x1 + x2) / 4)
    True
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    if T < 4:
        raise ValueError(f"T must be >= 4; got {T}")
    if not isinstance(variant, str) or variant not in ("hochreiter", "modern"):
        raise ValueError(f"variant must be 'hochreiter' or 'modern'; got {variant!r}")
    rng = make_rng(seed)
    half = T // 2
    if variant == "hochreiter":
        values = rng.uniform(-1.0, 1.0, size=(T, n))
        first = rng.integers(0, min(10, half), size=n)
        # second: uniform over [0, half) without `first`
        second = rng.integers(0, half - 1, size=n)
        second = second + (second >= first)
    else:
        values = rng.uniform(0.0, 1.0, size=(T, n))
        first = rng.integers(0, half, size=n)
        second = rng.integers(half, T, size=n)
    positions = np.sort(np.stack([first, second], axis=1), axis=1)  # (n, 2)
    markers = np.zeros((T, n))
    cols = np.arange(n)
    markers[positions[:, 0], cols] = 1.0
    markers[positions[:, 1], cols] = 1.0
    x1, x2 = values[positions[:, 0], cols], values[positions[:, 1], cols]
    if variant == "hochreiter":
        targets, tolerance, baseline = 0.5 + (x1 + x2) / 4.0, 0.04, 1.0 / 24.0
    else:
        targets, tolerance, baseline = x1 + x2, 0.16, 1.0 / 6.0
    return AddingProblem(
        inputs=np.stack([values, markers], axis=2),
        targets=targets.reshape(n, 1),
        positions=positions,
        variant=variant,
        tolerance=tolerance,
        baseline_mse=baseline,
    )


# --------------------------------------------------------------------------- LSTM worked example
@dataclass(frozen=True)
class LSTMWorkedExample:
    """The lecture's one-cell LSTM example (see :func:`lstm_worked_example`).

    Attributes
    ----------
    inputs : ndarray of float64, (5, 1, 3)
        The five steps ``(x1, x2, x3)``, (T, B, D).
    state_dict : dict of str to ndarray
        PyTorch-style parameters for ``LSTM(3, 1, g="identity", h="identity")``:
        ``weight_ih_l0`` (4, 3), ``weight_hh_l0`` (4, 1), ``bias_ih_l0`` (4,), ``bias_hh_l0`` (4,),
        row blocks in PyTorch's order i, f, g, o (i.e. z_i, z_f, z, z_o).
    model_kwargs : dict
        Keyword arguments of the matching ``companion.lstm.LSTM``.
    ideal_memory : ndarray, (5,)
        The memory c after each step with ideal (0/1) gates: 3, 7, 7, 7, 0.
    ideal_output : ndarray, (5,)
        The output a after each step with ideal gates: 0, 0, 0, 7, 0.

    Examples
    --------
    >>> from companion.tasks import lstm_worked_example
    >>> ex = lstm_worked_example()
    >>> ex.inputs[:, 0]                             # (T, D): the five steps (x1, x2, x3)
    array([[ 3.,  1.,  0.],
           [ 4.,  1.,  0.],
           [ 2.,  0.,  0.],
           [ 1.,  0.,  1.],
           [ 3., -1.,  0.]])
    >>> sorted(ex.state_dict), ex.model_kwargs["g"]
    (['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0'], 'identity')
    """

    inputs: np.ndarray
    state_dict: dict
    model_kwargs: dict
    ideal_memory: np.ndarray
    ideal_output: np.ndarray


def lstm_worked_example():
    """The lecture's hand-wired LSTM cell and the five-step sequence it is run on.

    One memory cell, inputs ``(x1, x2, x3)``, linear g and h, sigmoid gates, no recurrent
    weights:

    * cell input ``z = x1``;
    * input gate ``z_i = 100 x2 - 10``: x2 = 1 opens it (write x1 into memory);
    * forget gate ``z_f = 100 x2 + 10``: open (remember) unless x2 = -1, which resets the memory;
    * output gate ``z_o = 100 x3 - 10``: x3 = 1 opens it (read the memory out).

    On ``(3,1,0), (4,1,0), (2,0,0), (1,0,1), (3,-1,0)`` the memory becomes 3, 7, 7, 7, 0 and the
    output 0, 0, 0, 7, 0. These are the *idealised* values (gates exactly 0 or 1): with real
    sigmoids, ``σ(-10) ≈ 4.5e-5`` leaks through a closed gate at every step, so e.g. the output at
    step 4 is ≈ 6.9995 rather than 7. The example needs linear g and h (``"identity"``); with
    PyTorch's tanh it breaks.

    Returns
    -------
    LSTMWorkedExample
        ``inputs`` (5, 1, 3), a PyTorch-style ``state_dict``, ``model_kwargs``, and the ideal
        memory and outputs (5,).

    Examples
    --------
    >>> from companion.tasks import lstm_worked_example
    >>> ex = lstm_worked_example()
    >>> ex.state_dict["weight_ih_l0"]            # rows: z_i, z_f, z, z_o (PyTorch's i, f, g, o)
    array([[  0., 100.,   0.],
           [  0., 100.,   0.],
           [  1.,   0.,   0.],
           [  0.,   0., 100.]])
    >>> ex.state_dict["bias_ih_l0"]
    array([-10.,  10.,   0., -10.])
    >>> ex.ideal_memory, ex.ideal_output
    (array([3., 7., 7., 7., 0.]), array([0., 0., 0., 7., 0.]))

    Run it with the companion LSTM:

    >>> from companion.lstm import LSTM
    >>> lstm = LSTM(**ex.model_kwargs)
    >>> lstm.load_torch_state_dict(ex.state_dict)
    >>> out, (h_n, c_n) = lstm.forward(ex.inputs)
    >>> out[:, 0, 0].round(3)
    array([0., 0., 0., 7., 0.])
    """
    inputs = np.array([[3, 1, 0], [4, 1, 0], [2, 0, 0], [1, 0, 1], [3, -1, 0]], dtype=np.float64).reshape(5, 1, 3)
    weight_ih = np.array(
        [
            [0.0, 100.0, 0.0],  # i: z_i = 100 x2 - 10
            [0.0, 100.0, 0.0],  # f: z_f = 100 x2 + 10
            [1.0, 0.0, 0.0],  # g: z = x1
            [0.0, 0.0, 100.0],  # o: z_o = 100 x3 - 10
        ]
    )
    state_dict = {
        "weight_ih_l0": weight_ih,  # (4H, D) = (4, 3)
        "weight_hh_l0": np.zeros((4, 1)),  # (4H, H): no recurrent input
        "bias_ih_l0": np.array([-10.0, 10.0, 0.0, -10.0]),  # (4H,)
        "bias_hh_l0": np.zeros(4),
    }
    return LSTMWorkedExample(
        inputs=inputs,
        state_dict=state_dict,
        model_kwargs={"input_size": 3, "hidden_size": 1, "g": "identity", "h": "identity"},
        ideal_memory=np.array([3.0, 7.0, 7.0, 7.0, 0.0]),
        ideal_output=np.array([0.0, 0.0, 0.0, 7.0, 0.0]),
    )
