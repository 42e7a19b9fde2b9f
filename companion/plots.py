"""Data charts for the chapters: curves, memory heatmaps, LSTM gate traces, error profiles, bar tables.

Every function takes plain numpy data (dicts of labelled arrays), draws with one consistent style, and returns the
:class:`matplotlib.figure.Figure` (in a notebook, ``plt.show()`` displays it). Bad input (an empty dict, a wrong
number of dimensions, series of different lengths where they must match) raises ``ValueError`` naming the argument.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from companion._checks import check_int
from companion._fonts import draws_in_language
from companion._labels import translate

__all__ = [
    "plot_series",
    "plot_heatmaps",
    "plot_lstm_trace",
    "plot_error_by_position",
    "plot_gradient_norms",
    "plot_gradient_flow",
    "plot_bar_table",
    "plot_gate_opening",
    "plot_error_surface",
    "plot_line_scan",
]

_TITLE_SIZE = 13
_LABEL_SIZE = 11.5
_GATE_FIELDS = ("input_gate", "forget_gate", "output_gate")
_TRACE_LABELS = {
    "input_gate": "input gate $f(z_i)$",
    "forget_gate": "forget gate $f(z_f)$",
    "output_gate": "output gate $f(z_o)$",
    "c": "memory $c$",
    "a": "output $a$",
}


# ----------------------------------------------------------------------------------------------- validation helpers
def _as_real(values, name: str, expected: str) -> np.ndarray:
    """``values`` as a float array; ValueError naming ``name`` for non-numeric or complex data."""
    if np.iscomplexobj(values):  # float() would drop the imaginary part (with only a ComplexWarning)
        raise ValueError(f"{name} must be real numbers of shape {expected}, got complex values")
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be an array of real numbers of shape {expected}, "
                         f"got {type(values).__name__}") from err


def _check_some_finite(arr: np.ndarray, name: str) -> None:
    """A chart of only NaN/inf is blank: reject it (single NaN gaps are fine)."""
    if arr.size and not np.isfinite(arr).any():
        raise ValueError(f"{name} has no finite value (all NaN or inf): nothing to draw")


def _as_1d(values, name: str) -> np.ndarray:
    arr = _as_real(values, name, "(n,)")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of shape (n,), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    _check_some_finite(arr, name)
    return arr


def _real_scalar(value, name: str) -> float:
    """A finite real number, else ValueError naming ``name``."""
    if isinstance(value, (complex, np.complexfloating)) or isinstance(value, (str, bytes)):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a finite real number, got {value!r}") from err
    if not np.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return value


def _index(value, name: str, size: int | None = None, what: str = "") -> int:
    """A non-negative integer (below ``size`` if given), else ValueError naming ``name``."""
    value = check_int(value, name, f"an integer{what}")
    if value < 0 or (size is not None and value >= size):
        raise ValueError(f"{name} must be an integer{what}, got {value}")
    return value


def _labels(labels, name: str, count: int, per: str = "time step") -> list:
    """``labels`` as a list of exactly ``count`` tick labels, else ValueError naming ``name``."""
    if isinstance(labels, (str, bytes)) or isinstance(labels, Mapping) or not hasattr(labels, "__len__"):
        raise ValueError(f"{name} must be a sequence of labels, one per {per} (T={count}), got {labels!r}")
    labels = list(labels)
    if len(labels) != count:
        raise ValueError(f"{name} must have one label per {per} (T={count}), got {len(labels)}")
    return labels


def _check_ax(ax) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise ValueError(f"ax must be a matplotlib Axes (or None for a new figure), got {type(ax).__name__}")


def _as_series(series, name: str = "series") -> dict[str, np.ndarray]:
    if not isinstance(series, Mapping):
        raise ValueError(f"{name} must be a dict mapping a label to a 1-D array, got {type(series).__name__}")
    if len(series) == 0:
        raise ValueError(f"{name} must not be empty: give at least one labelled 1-D array")
    return {str(label): _as_1d(values, f"{name}[{label!r}]") for label, values in series.items()}


def _mean_ignoring_nan(values: np.ndarray) -> float:
    """Mean of the non-NaN values; NaN (without numpy's RuntimeWarning) if there are none."""
    kept = values[~np.isnan(values)]
    return float(kept.mean()) if kept.size else float("nan")


def _style(ax, *, title=None, xlabel=None, ylabel=None, legend=True, outside=False, lang="en") -> None:
    if title:
        ax.set_title(translate(title, lang), fontsize=_TITLE_SIZE)
    if xlabel:
        ax.set_xlabel(translate(xlabel, lang), fontsize=_LABEL_SIZE)
    if ylabel:
        ax.set_ylabel(translate(ylabel, lang), fontsize=_LABEL_SIZE)
    ax.grid(True, alpha=0.3)
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    if legend and ax.get_legend_handles_labels()[0]:
        if outside:
            ax.legend(fontsize=10, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        else:
            ax.legend(fontsize=10, frameon=False)


def _baseline(baseline):
    """``baseline`` as (value, label): a number, a (value, label) pair, or None."""
    if baseline is None:
        return None
    if isinstance(baseline, (tuple, list)):
        if len(baseline) != 2:
            raise ValueError(f"baseline must be a number or a (value, label) pair, got {baseline!r}")
        value, label = baseline
    else:
        value, label = baseline, "baseline"
    return _real_scalar(value, "baseline value"), str(label)


# ---------------------------------------------------------------------------------------------------------- charts
@draws_in_language
def plot_series(series, xlabel: str, ylabel: str, title: str | None = None, logy: bool = False, baseline=None,
                ax=None, markers: bool = False, x=None, *, lang: str = "en") -> Figure:
    """Plot labelled 1-D series (loss curves, accuracies, norms) as lines on one axes.

    Parameters
    ----------
    series : dict[str, array_like of shape (n,)]
        Label -> 1-D real values (NaN leaves a gap; at least one must be finite). Without ``x`` each series is drawn against ``0, 1, ..., n-1`` and the series may
        have different lengths.
    xlabel, ylabel : str
        Axis labels.
    title : str, optional
        Axes title.
    logy : bool, default False
        Logarithmic y axis (all finite values must then be positive).
    baseline : float or (float, str), optional
        A horizontal dashed reference line, e.g. ``(0.5, "chance")``.
    ax : matplotlib.axes.Axes, optional
        Draw into this axes (its figure is returned) instead of a new figure.
    markers : bool, default False
        Mark every point (for short series).
    x : array_like, shape (n,), optional
        Shared 1-D x values; every series must then have ``len(x)`` values.
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Empty ``series``, a series that is not 1-D, is empty, is complex or has no finite value, a length
        different from ``len(x)``, non-positive values with ``logy=True``, a non-finite ``baseline`` or an
        ``ax`` that is not an Axes, or ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_series({"Elman": [1.0, 0.6, 0.4], "Jordan": [1.0, 0.7, 0.5]}, "epoch", "loss",
    ...                   baseline=(0.69, "chance"))
    >>> [line.get_label() for line in fig.axes[0].get_lines()]
    ['Elman', 'Jordan', 'chance']
    >>> plt.close(fig)

    With ``lang="zh"`` the texts the course's label table knows are drawn in Chinese, the others as given:

    >>> fig = plot_series({"forward only": [0.7, 0.4], "bidirectional": [0.7, 0.1]}, "epoch",
    ...                   "training loss (cross-entropy)", lang="zh")
    >>> ax = fig.axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), [line.get_label() for line in ax.get_lines()]
    ('轮次', '训练损失（交叉熵）', ['只有正向', '双向'])
    >>> plt.close(fig)
    """
    return _plot_series(series, xlabel, ylabel, title=title, logy=logy, baseline=baseline, ax=ax, markers=markers,
                        x=x, lang=lang)


def _plot_series(series, xlabel, ylabel, *, title, logy, baseline, ax, markers, x, name="series",
                 x_name="x", lang="en", linestyles=("-",)) -> Figure:
    """:func:`plot_series`, with the argument names ``name``/``x_name`` used in its error messages; the series
    take the ``linestyles`` in turn, and a broken line is drawn over the solid ones (it hides less of them)."""
    data = _as_series(series, name)
    ref = _baseline(baseline)
    _check_ax(ax)
    if x is not None:
        x = _as_1d(x, x_name)
        for label, values in data.items():
            if values.shape != x.shape:
                raise ValueError(f"{name}[{label!r}] has {values.size} values but {x_name} has {x.size}: "
                                 f"lengths must match")
    if logy:
        for label, values in data.items():
            finite = values[np.isfinite(values)]
            if np.any(finite <= 0):
                raise ValueError(f"{name}[{label!r}] has values <= 0, which a log y axis (logy=True) cannot show")
        if ref is not None and ref[0] <= 0:
            raise ValueError(f"baseline {ref[0]} must be positive with logy=True")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
    else:
        fig = ax.figure
    for k, (label, values) in enumerate(data.items()):
        xs = x if x is not None else np.arange(values.size)
        style = linestyles[k % len(linestyles)]
        ax.plot(xs, values, marker="o" if markers else None, markersize=4, linewidth=1.8, linestyle=style,
                zorder=2 if style == "-" else 2.5, label=translate(label, lang))
    if ref is not None:
        ax.axhline(ref[0], color="0.35", linestyle="--", linewidth=1.2, label=translate(ref[1], lang))
    if logy:
        ax.set_yscale("log")
    _style(ax, title=title, xlabel=xlabel, ylabel=ylabel, lang=lang)
    return fig


@draws_in_language
def plot_heatmaps(arrays, xticklabels=None, title: str | None = None, cmap: str = "RdBu_r", vmin=None,
                  vmax=None, xlabel: str = "time step $t$", ylabel: str = "unit", *, lang: str = "en") -> Figure:
    """Plot one heatmap per labelled (T, H) array, stacked in rows with a shared colour scale.

    Made for "the memory of every layer over a sequence": each row is one layer (or direction), time runs left to
    right, hidden units top to bottom.

    Parameters
    ----------
    arrays : dict[str, array_like of shape (T, H)]
        Label -> real array of shape (T, H), with at least one finite value. All arrays share T; H may differ.
    xticklabels : sequence of str, (T,), optional
        One label per time step (e.g. the words of a sentence).
    title : str, optional
        Figure title.
    cmap : str, default "RdBu_r"
        Colour map (diverging, so 0 is white).
    vmin, vmax : float, optional
        Colour limits, finite with ``vmin < vmax``; by default symmetric, ``±max|value|`` over all arrays. If only
        one is given, the scale is symmetric, ``±|given value|`` (which must then not be 0).
    xlabel, ylabel : str
        Axis labels (x on the bottom row only).
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure
        ``len(arrays)`` heatmap axes and one colorbar axes.

    Raises
    ------
    ValueError
        Empty ``arrays``, an array that is not 2-D, is empty, is complex or has no finite value, different T
        between arrays, ``xticklabels`` that is not a sequence of T labels, or ``vmin``/``vmax`` that are not
        finite numbers with ``vmin < vmax``, or ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> h = np.tanh(np.arange(12.0).reshape(4, 3) - 6)
    >>> fig = plot_heatmaps({"layer 1": h, "layer 2": -h}, xticklabels=["a", "b", "c", "d"])
    >>> len(fig.axes)  # two heatmaps + the shared colorbar
    3
    >>> plt.close(fig)
    """
    if not isinstance(arrays, Mapping) or len(arrays) == 0:
        raise ValueError("arrays must be a non-empty dict mapping a label to a (T, H) array")
    data = {}
    for label, values in arrays.items():
        arr = _as_real(values, f"arrays[{label!r}]", "(T, H)")
        if arr.ndim != 2:
            raise ValueError(f"arrays[{label!r}] must have shape (T, H), got shape {arr.shape}")
        if arr.size == 0:
            raise ValueError(f"arrays[{label!r}] must not be empty, got shape {arr.shape}")
        _check_some_finite(arr, f"arrays[{label!r}]")
        data[str(label)] = arr
    steps = {arr.shape[0] for arr in data.values()}
    if len(steps) != 1:
        raise ValueError(f"all arrays must have the same number of time steps T, got {sorted(steps)}")
    (T,) = steps
    if xticklabels is not None:
        xticklabels = _labels(xticklabels, "xticklabels", T)
    if vmin is not None:
        vmin = _real_scalar(vmin, "vmin")
    if vmax is not None:
        vmax = _real_scalar(vmax, "vmax")
    if vmin is None and vmax is None:
        finite = np.concatenate([arr[np.isfinite(arr)] for arr in data.values()])
        bound = float(np.max(np.abs(finite))) if finite.size else 1.0
        bound = bound if bound > 0 else 1.0
        vmin, vmax = -bound, bound
    elif vmin is None or vmax is None:
        given = "vmin" if vmax is None else "vmax"
        bound = abs(vmax if vmin is None else vmin)
        if bound == 0:
            raise ValueError(f"{given} alone gives the symmetric scale ±|{given}|, which is empty for {given}=0: "
                             f"give both vmin and vmax")
        vmin, vmax = (-bound, bound)
    elif not vmin < vmax:
        raise ValueError(f"vmin must be smaller than vmax, got vmin={vmin}, vmax={vmax}")
    heights = [max(arr.shape[1], 1) for arr in data.values()]
    fig, axes = plt.subplots(len(data), 1, sharex=True, squeeze=False, layout="constrained",
                             # 0.28 in per time step: 16 steps fit a 6.5 in figure, which a phone shows at half size
                             figsize=(max(5.0, 0.28 * T + 2.0), 1.0 + sum(0.32 * h + 0.5 for h in heights)),
                             gridspec_kw={"height_ratios": heights})
    axes = axes[:, 0]
    image = None
    for ax, (label, arr) in zip(axes, data.items()):
        image = ax.imshow(arr.T, aspect="auto", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        ax.set_title(translate(label, lang), loc="left", fontsize=_LABEL_SIZE)
        ax.set_ylabel(translate(ylabel, lang), fontsize=_LABEL_SIZE - 1)
        ax.set_yticks(range(arr.shape[1]))
        ax.tick_params(labelsize=9)
    axes[-1].set_xticks(range(T))
    axes[-1].set_xticklabels([translate(str(t), lang) for t in xticklabels] if xticklabels is not None
                             else [str(t) for t in range(T)],
                             rotation=45 if xticklabels is not None and max(map(len, map(str, xticklabels))) > 3
                             else 0)
    axes[-1].set_xlabel(translate(xlabel, lang), fontsize=_LABEL_SIZE)
    fig.colorbar(image, ax=list(axes), shrink=0.9, label=translate("value", lang))
    if title:
        fig.suptitle(translate(title, lang), fontsize=_TITLE_SIZE)
    return fig


def _trace_series(trace, batch: int, unit: int) -> dict[str, np.ndarray]:
    """Turn an LSTM trace (object with (T, B, H) fields) or a dict of 1-D series into label -> 1-D array."""
    if isinstance(trace, Mapping):
        return _as_series(trace, "trace")
    missing = [f for f in (*_GATE_FIELDS, "c", "a") if not hasattr(trace, f)]
    if missing:
        raise ValueError(
            f"trace must be a dict of 1-D series or an object with fields input_gate, forget_gate, output_gate, "
            f"c, a (each (T, B, H)); missing {missing}")
    out = {}
    for field in (*_GATE_FIELDS, "c", "a"):
        arr = _as_real(getattr(trace, field), f"trace.{field}", "(T, B, H)")
        if arr.ndim != 3:
            raise ValueError(f"trace.{field} must have shape (T, B, H), got shape {arr.shape}")
        if not (0 <= batch < arr.shape[1] and 0 <= unit < arr.shape[2]):
            raise ValueError(f"batch={batch}, unit={unit} out of range for trace.{field} of shape {arr.shape}")
        out[field] = arr[:, batch, unit]
        if out[field].size == 0:
            raise ValueError(f"trace.{field} must not be empty (T >= 1), got shape {arr.shape}")
        _check_some_finite(out[field], f"trace.{field}[:, {batch}, {unit}]")
    return out


@draws_in_language
def plot_lstm_trace(trace, x_labels=None, batch: int = 0, unit: int = 0, title: str | None = None, *,
                    lang: str = "en") -> Figure:
    """Plot an LSTM memory cell over time: the gate openings above, the memory and the output below.

    Parameters
    ----------
    trace : LSTMTrace-like or dict[str, array_like of shape (T,)]
        Either an object with (T, B, H) fields ``input_gate, forget_gate, output_gate, c, a`` (such as
        ``LSTM.trace()``), of which ``[:, batch, unit]`` is drawn, or a dict of 1-D series of equal length. In a
        dict, keys containing "gate" go to the gate axes, the others (memory, output, ...) to the lower axes.
    x_labels : sequence of str, (T,), optional
        One tick label per step (e.g. the input vectors); default ``1..T``.
    batch, unit : int, default 0
        Which sequence of the batch and which hidden unit to show (for a trace object).
    title : str, optional
        Figure title.
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure
        Axes sharing x: the gate openings in [0, 1] as a strip, one row per gate (top), the other series as
        lines (bottom); then the colorbar of the gate strip.

    Raises
    ------
    ValueError
        Empty dict, series of different lengths, complex or without a finite value, a trace field that is not
        (T, B, H), ``batch``/``unit`` not integers in range, ``x_labels`` not a sequence of T labels, or ``lang``
        not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_lstm_trace({"input_gate": [1, 0, 1], "forget_gate": [1, 1, 0], "output_gate": [0, 1, 1],
    ...                        "c": [3, 3, 0], "a": [0, 3, 0]}, x_labels=["x1", "x2", "x3"])
    >>> gate_ax, memory_ax = fig.axes[:2]
    >>> gate_ax.images[0].get_array().shape, len(memory_ax.get_lines())
    ((3, 3), 2)
    >>> plt.close(fig)
    """
    batch = _index(batch, "batch", what=" >= 0 (which sequence of the batch)")
    unit = _index(unit, "unit", what=" >= 0 (which hidden unit)")
    data = _trace_series(trace, batch, unit)
    lengths = {values.size for values in data.values()}
    if len(lengths) != 1:
        raise ValueError(f"all trace series must have the same length, got lengths "
                         f"{ {label: v.size for label, v in data.items()} }")
    (T,) = lengths
    if x_labels is not None:
        x_labels = _labels(x_labels, "x_labels", T, per="step")
    gates = {k: v for k, v in data.items() if "gate" in k.lower()}
    others = {k: v for k, v in data.items() if "gate" not in k.lower()}
    steps = np.arange(1, T + 1)
    fig, (ax_gate, ax_mem) = plt.subplots(2, 1, sharex=True, figsize=(max(6.5, 0.55 * T + 3.5), 5.6),
                                          layout="constrained", height_ratios=[max(len(gates), 1), 4])
    # gate openings as a strip: one row per gate, one column per step, darker = more open
    if gates:
        strip = np.vstack(list(gates.values()))  # (gates, T)
        image = ax_gate.imshow(strip, aspect="auto", cmap="Greens", vmin=0.0, vmax=1.0, interpolation="nearest",
                               extent=(0.5, T + 0.5, len(gates) - 0.5, -0.5))
        if T <= 16:  # write the openings when they fit
            for row, values in enumerate(gates.values()):
                for t, v in zip(steps, values):
                    ax_gate.text(t, row, f"{v:.2f}".rstrip("0").rstrip(".") if np.isfinite(v) else "nan",
                                 ha="center", va="center", fontsize=9, color="white" if v > 0.6 else "black")
        ax_gate.set_yticks(range(len(gates)))
        ax_gate.set_yticklabels([translate(_TRACE_LABELS.get(k, k), lang) for k in gates])
        fig.colorbar(image, ax=ax_gate, label=translate("opening", lang), ticks=[0, 0.5, 1], fraction=0.04,
                     pad=0.02)
    ax_gate.set_title(translate("gate openings (0 = closed, 1 = open)", lang), fontsize=_LABEL_SIZE + 0.5)
    ax_gate.tick_params(labelbottom=False, length=0)
    for key, values in others.items():
        ax_mem.plot(steps, values, marker="o", markersize=4, linewidth=1.8,
                    label=translate(_TRACE_LABELS.get(key, key), lang))
    _style(ax_mem, title="memory and output", xlabel="time step", ylabel="value", lang=lang)
    if ax_mem.get_lines():
        ax_mem.legend(fontsize=9.5, frameon=False, loc="best")
    ax_mem.set_xticks(steps)
    ax_mem.set_xticklabels([translate(str(s), lang) for s in x_labels] if x_labels is not None
                           else [str(s) for s in steps])
    if title:
        fig.suptitle(translate(title, lang), fontsize=_TITLE_SIZE)
    return fig


@draws_in_language
def plot_error_by_position(errors, period: int = 3, title: str | None = None, highlight_phase: int | None = None,
                           ylabel: str = "error", *, lang: str = "en") -> Figure:
    """Plot the error at each position of a sequence, and its mean per phase ``t mod period``.

    Made for Elman's temporal XOR: every third bit is the XOR of the two before it, so only those positions can
    be predicted and the error curve dips with period 3.

    Parameters
    ----------
    errors : array_like of shape (n,), or dict[str, array_like of shape (n,)]
        Error per position ``t = 0, 1, ..., n-1`` (1-D, at least ``period`` values), or several labelled such
        curves of equal length (e.g. one per model).
    period : int, default 3
        Length of the repeating pattern.
    title : str, optional
        Figure title.
    highlight_phase : int, optional
        Shade the positions with ``t % period == highlight_phase`` (e.g. the predictable bits).
    ylabel : str, default "error"
        Label of the error axes.
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes, stacked: error against position (top), mean error per phase as bars (bottom).

    Raises
    ------
    ValueError
        ``period`` not an integer >= 1, empty input, series that are not 1-D, complex, without a finite value,
        shorter than ``period`` or of different lengths, ``highlight_phase`` not an integer in ``0..period-1``,
        ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> err = np.tile([0.25, 0.25, 0.02], 4)
    >>> fig = plot_error_by_position(err, period=3, highlight_phase=2)
    >>> [round(float(bar.get_height()), 2) for bar in fig.axes[1].patches]
    [0.25, 0.25, 0.02]
    >>> plt.close(fig)
    """
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 1:
        raise ValueError(f"period must be a positive integer, got {period!r}")
    data = _as_series(errors, "errors") if isinstance(errors, Mapping) else {"error": _as_1d(errors, "errors")}
    lengths = {v.size for v in data.values()}
    if len(lengths) != 1:
        raise ValueError(f"all error curves must have the same length, got {sorted(lengths)}")
    (n,) = lengths
    if n < period:
        raise ValueError(f"errors must have at least period={period} positions, got {n}")
    if highlight_phase is not None:
        highlight_phase = _index(highlight_phase, "highlight_phase", period, f" in 0..{period - 1}")
    positions = np.arange(n)
    # stacked, one column wide: on a phone the figure shrinks by half at most, and its tick labels stay readable
    fig, (ax, ax_bar) = plt.subplots(2, 1, figsize=(6.4, 6.2), layout="constrained", height_ratios=[1.4, 1])
    if highlight_phase is not None:
        for t in positions[positions % period == highlight_phase]:
            ax.axvspan(t - 0.5, t + 0.5, color="#fde3b8", alpha=0.7, linewidth=0, zorder=0)
    width = 0.8 / len(data)
    for i, (label, values) in enumerate(data.items()):
        ax.plot(positions, values, marker="o", markersize=3.5, linewidth=1.6, label=translate(label, lang))
        phase_means = [_mean_ignoring_nan(values[p::period]) for p in range(period)]
        ax_bar.bar(np.arange(period) + (i - (len(data) - 1) / 2) * width, phase_means, width=width,
                   label=translate(label, lang))
    _style(ax, title="error at each position", xlabel="position $t$ in the sequence", ylabel=ylabel,
           legend=False, lang=lang)
    _style(ax_bar, title=f"mean by phase ($t$ mod {period})", xlabel="phase $t$ mod " + str(period),
           ylabel=f"mean {ylabel}", legend=len(data) > 1, lang=lang)
    ax_bar.set_xticks(range(period))
    # Errors are >= 0: both axes from 0 to a round value, not to limits fitted to the data, which a change in the
    # data's third digit (another machine's rounding, amplified by training) would move, and every line with them.
    finite = np.concatenate([values[np.isfinite(values)] for values in data.values()])
    if finite.max() > 0 and min(float(np.nanmin(values)) for values in data.values()) >= 0:
        top = _rounded_up(1.05 * float(finite.max()))
        ax.set_ylim(0, top)
        ax_bar.set_ylim(0, top)
    if len(data) > 1:  # legend above the bars, in head room
        ax_bar.set_ylim(top=ax_bar.get_ylim()[1] * 1.3)
        ax_bar.legend(fontsize=9.5, frameon=False, loc="upper center", ncol=min(len(data), 2))
    if highlight_phase is not None:
        ax_bar.get_xticklabels()[highlight_phase].set_fontweight("bold")
    if title:
        fig.suptitle(translate(title, lang), fontsize=_TITLE_SIZE)
    return fig


def _rounded_up(value):
    """``value`` > 0 rounded up to a multiple of half its power of ten: 0.294 -> 0.3, 0.31 -> 0.35, 7.2 -> 7.5.

    >>> _rounded_up(0.294), _rounded_up(0.31), _rounded_up(7.2), _rounded_up(0.3), _rounded_up(1.05e-300)
    (0.3, 0.35, 7.5, 0.3, 1.5e-300)
    """
    step = 10.0 ** math.floor(math.log10(value)) / 2
    return float(f"{math.ceil(value / step - 1e-9) * step:.6g}")


@draws_in_language
def plot_gradient_norms(k, norms, logy: bool = True, title: str | None = None,
                        ylabel: str = "gradient norm", *, lang: str = "en") -> Figure:
    """Plot how the gradient norm changes with the distance ``k`` (steps back in time).

    A thin wrapper of :func:`plot_series` for the vanishing/exploding-gradient plots.

    Parameters
    ----------
    k : array_like, shape (n,)
        1-D distances (steps back in time), shared by all curves.
    norms : dict[str, array_like of shape (n,)]
        Label -> 1-D norms with ``len(k)`` values each.
    logy : bool, default True
        Logarithmic y axis (vanishing gradients decay geometrically, a straight line on a log axis).
    title, ylabel : str
        Title and y label.
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        ``norms`` not a non-empty dict of 1-D real series with ``len(k)`` values each (and some finite value),
        ``k`` not 1-D, values <= 0 with ``logy=True``, or ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> k = np.arange(1, 6)
    >>> fig = plot_gradient_norms(k, {"Elman": 0.5 ** k, "LSTM": 0.95 ** k})
    >>> fig.axes[0].get_yscale()
    'log'
    >>> plt.close(fig)
    """
    return _plot_series(norms, "$k$ (steps back in time)", ylabel, title=title, logy=logy, baseline=None, ax=None,
                        markers=True, x=k, name="norms", x_name="k", lang=lang)


@draws_in_language
def plot_gradient_flow(panels, title: str | None = None,
                       ylabel: str = r"$\|\partial \hat y / \partial x_t\|$", *, lang: str = "en") -> Figure:
    """Plot, per model, the gradient reaching each step of the input from an output read after the last step.

    One panel per situation (e.g. at initialisation, after training), stacked (one column wide, so that a phone
    shows the figure at half size or more) with shared axes, the y axis logarithmic, so that a gradient that
    vanishes on its way back in time shows as a line falling to the left. The models' lines are solid and
    dashed in turn, so that a model whose gradient equals the one before it still shows (a peephole LSTM whose
    peepholes start at zero starts as the LSTM).

    Parameters
    ----------
    panels : dict[str, dict[str, array_like of shape (T,)]]
        Panel title -> (model label -> gradient norm at steps 1..T, in time order). Every series of every panel
        must have the same length T and positive values (a log axis).
    title : str, optional
        Figure title.
    ylabel : str
        Label of the y axis (of every panel).
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        ``panels`` not a non-empty dict of non-empty dicts of 1-D real series, series of different lengths, a
        value <= 0, or ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> t = np.arange(1, 11)
    >>> fig = plot_gradient_flow({"at initialisation": {"RNN": 0.5 ** (10 - t), "LSTM": 0.9 ** (10 - t)},
    ...                           "after training": {"RNN": 0.6 ** (10 - t), "LSTM": 0.95 ** (10 - t)}})
    >>> len(fig.axes), fig.axes[1].get_title()
    (2, 'after training')
    >>> plt.close(fig)
    """
    if not isinstance(panels, Mapping) or not panels:
        raise ValueError("panels must be a non-empty dict mapping a panel title to a dict of labelled 1-D arrays")
    data = {str(name): _as_series(series, f"panels[{name!r}]") for name, series in panels.items()}
    lengths = {v.size for series in data.values() for v in series.values()}
    if len(lengths) != 1:
        raise ValueError(f"every series in panels must have the same length T; got lengths {sorted(lengths)}")
    T = lengths.pop()
    t = np.arange(1, T + 1)
    fig, axes = plt.subplots(len(data), 1, figsize=(6.4, 0.4 + 3.3 * len(data)), sharex=True, sharey=True,
                             layout="constrained", squeeze=False)
    for k, (ax, (name, series)) in enumerate(zip(axes[:, 0], data.items())):
        _plot_series(series, "step $t$" if k == len(data) - 1 else None, ylabel, title=name, logy=True,
                     baseline=None, ax=ax, markers=False, x=t, name=f"panels[{name!r}]", x_name="steps", lang=lang,
                     linestyles=("-", "--"))
    if title:
        fig.suptitle(translate(title, lang), fontsize=_TITLE_SIZE)
    return fig


@draws_in_language
def plot_bar_table(values, ylabel: str, title: str | None = None, baseline=None, fmt: str = "{:.3f}", *,
                   lang: str = "en") -> Figure:
    """Bar chart with the value written on each bar: a small results table drawn as bars.

    Parameters
    ----------
    values : dict[str, float] or dict[str, dict[str, float]]
        Label -> number (one bar each), or group -> {label -> number} for grouped bars (e.g. model ->
        {metric -> value}); every group must have the same labels.
    ylabel : str
        Label of the value axis.
    title : str, optional
        Axes title.
    baseline : float or (float, str), optional
        A horizontal dashed reference line.
    fmt : str, default "{:.3f}"
        Format of the numbers written on the bars: a ``str.format`` string with one field for the number.
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    ValueError
        Empty input, values that are not finite real numbers, groups with different labels, a non-finite
        ``baseline``, a ``fmt`` that cannot format a number, or ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_bar_table({"forward": {"needs left": 0.98, "needs right": 0.51},
    ...                       "bidirectional": {"needs left": 0.99, "needs right": 0.97}}, "accuracy")
    >>> len(fig.axes[0].patches), [t.get_text() for t in fig.axes[0].texts][:2]
    (4, ['0.980', '0.510'])
    >>> plt.close(fig)
    """
    if not isinstance(values, Mapping) or len(values) == 0:
        raise ValueError("values must be a non-empty dict: label -> number, or group -> {label -> number}")
    grouped = all(isinstance(v, Mapping) for v in values.values())
    if not grouped and any(isinstance(v, Mapping) for v in values.values()):
        raise ValueError("values must be either all numbers or all dicts (grouped bars), not a mix")
    table = {str(g): dict(v) for g, v in values.items()} if grouped else {"": dict(values)}
    labels = list(next(iter(table.values())).keys())
    if not labels:
        raise ValueError("values must contain at least one number")
    for group, row in table.items():
        if list(row.keys()) != labels:
            raise ValueError(f"every group must have the labels {labels}, group {group!r} has {list(row.keys())}")
        for label, v in row.items():
            row[label] = _real_scalar(v, f"value of {group!r}/{label!r}")
    ref = _baseline(baseline)
    if not isinstance(fmt, str):
        raise ValueError(f"fmt must be a format string such as '{{:.3f}}', got {fmt!r}")
    try:
        fmt.format(0.5)
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as err:
        raise ValueError(f"fmt must be a format string with one field for a number, such as '{{:.3f}}'; "
                         f"{fmt!r} fails: {err}") from err
    fig, ax = plt.subplots(figsize=(max(4.5, 1.1 * len(labels) * len(table) + 2.0), 3.8), layout="constrained")
    width = 0.8 / len(table)
    xs = np.arange(len(labels))
    for i, (group, row) in enumerate(table.items()):
        heights = [row[label] for label in labels]
        bars = ax.bar(xs + (i - (len(table) - 1) / 2) * width, heights, width=width,
                      label=translate(group, lang) or None)
        for bar, h in zip(bars, heights):
            ax.text(bar.get_x() + bar.get_width() / 2, h, fmt.format(h), ha="center",
                    va="bottom" if h >= 0 else "top", fontsize=9)
    if ref is not None:
        ax.axhline(ref[0], color="0.35", linestyle="--", linewidth=1.2, label=translate(ref[1], lang))
    ax.set_xticks(xs)
    ax.set_xticklabels([translate(label, lang) for label in labels])
    ax.margins(y=0.12)
    _style(ax, title=title, ylabel=ylabel, legend=grouped or ref is not None, outside=True, lang=lang)
    ax.grid(False, axis="x")
    return fig


@draws_in_language
def plot_gate_opening(marks=(10, 90), z_max: float = 100.0, title: str | None = None, *,
                      lang: str = "en") -> Figure:
    r"""The sigmoid as a gate opening: :math:`f(z) = \sigma(z)`, and how far a gate stays from shut or open.

    Top, the opening :math:`\sigma(z)` for :math:`|z| \le` ``z_max`` with the gate inputs ``±marks`` marked.
    Below it, on a log scale, the leak :math:`\varepsilon(z) = \sigma(-|z|)`: how much a gate driven by
    :math:`-|z|` still lets through, and how much one driven by :math:`+|z|` still holds back
    (:math:`1 - \sigma(|z|) = \sigma(-|z|)`), with each mark labelled by its value. This is the set-up of the
    LSTM worked example, whose gate inputs are ±10 and ±90.

    Parameters
    ----------
    marks : sequence of float, default (10, 90)
        Positive gate inputs to mark (each at ``+m`` and ``-m``), each at most ``z_max``.
    z_max : float, default 100
        Half-width of the plotted range of z.
    title : str, optional
        Figure title.
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes; ``fig.axes[1]`` holds one text label per mark, e.g. ``"σ(−10) = 4.54e-05"``.

    Raises
    ------
    ValueError
        ``marks`` empty or not positive finite numbers up to ``z_max``; ``z_max`` not a positive finite number;
        ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = plot_gate_opening()
    >>> [t.get_text() for t in fig.axes[1].texts]
    ['σ(−10) = 4.54e-05', 'σ(−90) = 8.19e-40']
    >>> plt.close(fig)
    """
    z_max = _real_scalar(z_max, "z_max")
    if not z_max > 0:
        raise ValueError(f"z_max must be a positive number, got {z_max!r}")
    marks = _as_1d(marks, "marks")
    if not np.all(np.isfinite(marks)) or np.any(marks <= 0) or np.any(marks > z_max):
        raise ValueError(f"marks must be positive finite numbers up to z_max={z_max:g}, got {marks.tolist()}")
    z = np.linspace(-z_max, z_max, 2001)
    from companion.activations import sigmoid  # numerically stable for any |z|

    opening = sigmoid(z)
    # stacked, one column wide: on a phone the figure shrinks by half at most, and its tick labels stay readable
    fig, (ax, ax_leak) = plt.subplots(2, 1, figsize=(6.4, 6.4), layout="constrained")
    ax.plot(z, opening, color="C0", linewidth=2)
    zr = np.linspace(0.0, z_max, 1001)
    ax_leak.semilogy(zr, sigmoid(-zr), color="C3", linewidth=2)
    for m in marks:
        eps = float(sigmoid(np.float64(-m)))
        for sign in (-1, 1):
            ax.axvline(sign * m, color="0.5", linestyle=":", linewidth=1)
            ax.plot([sign * m], [1.0 - eps if sign > 0 else eps], "o", color="C1", markersize=5)
        ax_leak.plot([m], [eps], "o", color="C1", markersize=5)
        right = m > z_max / 2  # labels of far marks go to the left of the point, inside the axes
        ax_leak.annotate(f"σ(−{m:g}) = {eps:.2e}", (m, eps), textcoords="offset points",
                         xytext=(-8, -16) if right else (6, 6), ha="right" if right else "left", fontsize=10)
    ax.set_yticks([0, 0.5, 1])
    _style(ax, title="gate opening $f(z) = \\sigma(z)$", xlabel="gate input $z$", ylabel="opening", legend=False,
           lang=lang)
    _style(ax_leak, title="leak $\\sigma(-|z|)$ = distance from shut or open", xlabel="$|z|$",
           ylabel="leak (log scale)", legend=False, lang=lang)
    if title:
        fig.suptitle(translate(title, lang), fontsize=_TITLE_SIZE)
    return fig


@draws_in_language
def plot_error_surface(w, b, loss, paths=None, title: str | None = None, xlabel: str = "$w$",
                       ylabel: str = "$b$", floor: float = 1e-6, *, lang: str = "en") -> Figure:
    r"""An error surface over two parameters, on a log colour scale, with optimisation paths drawn on it.

    Parameters
    ----------
    w : array_like, shape (n,)
        Values of the first parameter (x axis), increasing.
    b : array_like, shape (m,)
        Values of the second parameter (y axis), increasing.
    loss : array_like, shape (m, n)
        The loss at every ``(b[i], w[j])`` (rows follow ``b``, as :func:`numpy.meshgrid` gives them), >= 0.
    paths : dict[str, array_like of shape (k, 2)], optional
        Label -> the ``(w, b)`` points visited by an optimiser; each is drawn as a line with its start marked.
    title, xlabel, ylabel : str
    floor : float, default 1e-6
        Losses below it are drawn at it (the colour scale is :math:`\log_{10}` of the loss).
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure
        The surface (a QuadMesh) in ``fig.axes[0]`` and its colorbar in ``fig.axes[1]``; each path is two lines of
        ``fig.axes[0]``, the path (labelled) and its start (a star, label ``"_start"``).

    Raises
    ------
    ValueError
        ``w``/``b`` not 1-D increasing, ``loss`` not of shape (m, n), negative or without finite values, a
        path that is not (k, 2), ``floor`` not a positive number, or ``lang`` not "en" or "zh".

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> w, b = np.linspace(0, 2, 5), np.linspace(-1, 1, 4)
    >>> loss = (w[None, :] - 1) ** 2 + b[:, None] ** 2                # (m, n)
    >>> fig = plot_error_surface(w, b, loss, paths={"descent": [(0.0, 1.0), (0.5, 0.5), (1.0, 0.0)]})
    >>> [line.get_label() for line in fig.axes[0].get_lines()]     # the path, and its start (not in the legend)
    ['descent', '_start']
    >>> plt.close(fig)
    """
    w, b = _as_1d(w, "w"), _as_1d(b, "b")
    for name, v in (("w", w), ("b", b)):
        if v.size < 2 or not np.all(np.diff(v) > 0):
            raise ValueError(f"{name} must hold at least 2 increasing values")
    loss = _as_real(loss, "loss", f"(m, n) = ({b.size}, {w.size})")
    if loss.shape != (b.size, w.size):
        raise ValueError(f"loss must have shape (m, n) = ({b.size}, {w.size}) (rows follow b), got {loss.shape}")
    _check_some_finite(loss, "loss")
    if np.any(loss[np.isfinite(loss)] < 0):
        raise ValueError("loss must be >= 0 (it is drawn on a log scale)")
    floor = _real_scalar(floor, "floor")
    if floor <= 0:
        raise ValueError(f"floor must be a positive number, got {floor}")
    drawn = {}
    for label, points in (paths or {}).items():
        pts = _as_real(points, f"paths[{label!r}]", "(k, 2)")
        if pts.ndim != 2 or pts.shape[1] != 2 or pts.shape[0] == 0:
            raise ValueError(f"paths[{label!r}] must have shape (k, 2): the (w, b) points, got {pts.shape}")
        drawn[str(label)] = pts
    fig, ax = plt.subplots(figsize=(6.6, 4.6), layout="constrained")
    mesh = ax.pcolormesh(w, b, np.log10(np.maximum(loss, floor)), shading="auto", cmap="viridis")
    cbar = fig.colorbar(mesh, ax=ax)
    cbar.set_label(translate(r"$\log_{10}$ loss", lang), fontsize=_LABEL_SIZE)
    colors = ["#ff5252", "#ffffff", "#ffd54f", "#80d8ff"]
    for i, (label, pts) in enumerate(drawn.items()):
        color = colors[i % len(colors)]
        ax.plot(pts[:, 0], pts[:, 1], "-o", color=color, markersize=2.5, linewidth=1.4,
                label=translate(label, lang))
        ax.plot([pts[0, 0]], [pts[0, 1]], marker="*", color=color, markersize=12, markeredgecolor="black",
                linestyle="none", label="_start")
    ax.set_xlim(w[0], w[-1])
    ax.set_ylim(b[0], b[-1])
    _style(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=False, lang=lang)
    ax.grid(False)
    if drawn:
        ax.legend(fontsize=10, loc="upper left", framealpha=0.85)
    return fig


@draws_in_language
def plot_line_scan(alphas, losses, grad_norms=None, mark: float | None = 1.0, title: str | None = None,
                   xlabel: str = r"$\alpha$", ylabel: str = "loss", *, lang: str = "en") -> Figure:
    r"""The loss along a line through weight space, and (optionally) the gradient norm on a log axis beside it.

    Parameters
    ----------
    alphas : array_like, shape (n,)
        Positions along the line.
    losses : array_like, shape (n,)
        The loss at each position.
    grad_norms : array_like, shape (n,), optional
        Gradient norms, drawn on a second (log) y axis on the right; must be positive.
    mark : float, optional
        Position to mark with a vertical line (default 1: the trained weights); None for none.
    title, xlabel, ylabel : str
    lang : {"en", "zh"}, default "en"
        Label language. With "zh" the texts this function draws (titles, axis labels, legends, annotations) are in
        simplified Chinese, drawn with the CJK font companion ships; texts you pass are translated when the
        course's label table knows them (companion._labels) and drawn as given otherwise. Formulas, symbols and
        numbers are the same in both languages.

    Returns
    -------
    matplotlib.figure.Figure
        ``fig.axes[0]`` holds the loss; with ``grad_norms``, ``fig.axes[1]`` the norms (log scale).

    Raises
    ------
    ValueError
        Arrays that are not 1-D of one length, non-positive ``grad_norms``, a non-finite ``mark``, or ``lang``
        not "en" or "zh".

    Examples
    --------
    >>> import numpy as np, matplotlib.pyplot as plt
    >>> a = np.linspace(0, 2, 9)
    >>> fig = plot_line_scan(a, (a - 1) ** 2, grad_norms=np.exp(a))
    >>> len(fig.axes), fig.axes[1].get_yscale()
    (2, 'log')
    >>> plt.close(fig)
    """
    alphas, losses = _as_1d(alphas, "alphas"), _as_1d(losses, "losses")
    if losses.shape != alphas.shape:
        raise ValueError(f"losses has {losses.size} values but alphas has {alphas.size}: lengths must match")
    norms = None
    if grad_norms is not None:
        norms = _as_1d(grad_norms, "grad_norms")
        if norms.shape != alphas.shape:
            raise ValueError(f"grad_norms has {norms.size} values but alphas has {alphas.size}: lengths must match")
        if np.any(norms[np.isfinite(norms)] <= 0):
            raise ValueError("grad_norms must be positive (they are drawn on a log axis)")
    fig, ax = plt.subplots(figsize=(6.6, 3.8), layout="constrained")
    ax.plot(alphas, losses, color="C0", linewidth=2, label=translate("loss", lang))
    if mark is not None:
        ax.axvline(_real_scalar(mark, "mark"), color="0.35", linestyle="--", linewidth=1.2,
                   label=translate("trained weights", lang))
    _style(ax, title=title, xlabel=xlabel, ylabel=ylabel, legend=False, lang=lang)
    handles, labels = ax.get_legend_handles_labels()
    if norms is not None:
        ax2 = ax.twinx()
        ax2.semilogy(alphas, norms, color="C3", linewidth=1.6, linestyle="-.",
                     label=translate("gradient norm", lang))
        ax2.set_ylabel(translate("gradient norm (log scale)", lang), fontsize=_LABEL_SIZE, color="C3")
        ax2.spines["top"].set_visible(False)
        h2, l2 = ax2.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, fontsize=10, frameon=False, loc="upper left")
    return fig
