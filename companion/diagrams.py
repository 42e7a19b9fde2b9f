"""Schematic diagrams of the course, drawn with matplotlib.

The source article lost its figures; every one is redrawn here from code, so the book, the slides and the tests
all show the same picture. Each ``draw_*`` function returns a :class:`matplotlib.figure.Figure`.

Every drawn element carries a ``gid`` so that tests (and curious readers) can find it again:

- boxes and circles: ``"<kind>:<name>"``, e.g. ``"hidden:l1:t+1"``, ``"memory:l2:t"``, ``"input:t"``,
  ``"gate:input"``;
- their text: the same gid followed by ``":label"``;
- arrows (:class:`~matplotlib.patches.FancyArrowPatch`): ``"arrow:<kind>:<from>-><to>"``, where ``<from>`` and
  ``<to>`` are the gids of the two ends (an arrow between two patches also keeps them as ``patchA``/``patchB``).

Notation follows the chapters: inputs :math:`x_t`, hidden layers :math:`h_t`, outputs :math:`y_t`; the LSTM has
the four inputs :math:`z, z_i, z_f, z_o`, the memory :math:`c \\to c'` and the output :math:`a`; the GRU has the
reset gate :math:`r`, the update gate :math:`z` and the candidate :math:`n`.
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch

from companion._fonts import draws_in_language
from companion._labels import translate

__all__ = ["draw_deep_rnn", "draw_elman_jordan", "draw_bidirectional", "draw_lstm_cell", "draw_gru_cell",
           "draw_unrolled_bptt", "draw_lstm_backward"]

# one palette for every diagram: (face, edge)
_COLORS = {
    "input": ("#e6f4ea", "#2f7d46"),
    "hidden": ("#e3edf9", "#2b5fa8"),
    "backward": ("#efe6f7", "#6b3fa0"),
    "memory": ("#fff1d6", "#c26a00"),
    "output": ("#fde7ee", "#b0305e"),
    "gate": ("#f2f2f2", "#444444"),
    "op": ("#ffffff", "#222222"),
}
_ARROW = "#333333"
_HIGHLIGHT = "#e07b00"  # "what goes into the memory"
_GRADIENT = "#c62828"  # gradients flowing backward
_FONT = 13


@dataclass
class _Node:
    """A drawn box or circle: its patch, its centre and its half extents (for placing arrows and labels)."""

    patch: object
    x: float
    y: float
    half_w: float
    half_h: float

    @property
    def gid(self) -> str:
        return self.patch.get_gid()


def _step(s: int) -> str:
    """Time index as text: 0 -> 't', 2 -> 't+2'."""
    return "t" if s == 0 else f"t+{s}"


def _box(ax, x, y, text, gid, kind, *, width=1.4, height=0.62, fontsize=_FONT, lw=1.6, edge=None):
    face, default_edge = _COLORS[kind]
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2), width, height,
        boxstyle="round,pad=0,rounding_size=0.12", facecolor=face, edgecolor=edge or default_edge,
        linewidth=lw, zorder=2, gid=gid,
    )
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4, gid=f"{gid}:label")
    return _Node(patch, x, y, width / 2, height / 2)


def _circle(ax, x, y, text, gid, kind, *, radius=0.34, fontsize=_FONT, lw=1.4):
    face, edge = _COLORS[kind]
    patch = Circle((x, y), radius, facecolor=face, edgecolor=edge, linewidth=lw, zorder=2, gid=gid)
    ax.add_patch(patch)
    if text:
        ax.text(x, y, text, ha="center", va="center", fontsize=fontsize, zorder=4, gid=f"{gid}:label")
    return _Node(patch, x, y, radius, radius)


def _arrow(ax, a, b, kind, *, dashed=False, color=_ARROW, rad=0.0, lw=1.6, start=None, end=None,
           a_gid=None, b_gid=None):
    """Arrow from node ``a`` to node ``b`` (clipped at their outlines); ``start``/``end`` override the anchor."""
    pos_a = start if start is not None else (a.x, a.y)
    pos_b = end if end is not None else (b.x, b.y)
    a_name = a_gid or (a.gid if a.patch is not None else "?")
    b_name = b_gid or (b.gid if b.patch is not None else "?")
    arrow = FancyArrowPatch(
        pos_a, pos_b,
        patchA=a.patch if start is None else None, patchB=b.patch if end is None else None,
        arrowstyle="-|>", mutation_scale=15, connectionstyle=f"arc3,rad={rad}",
        linestyle=(0, (4, 3)) if dashed else "-", linewidth=lw, color=color,
        shrinkA=2, shrinkB=2, zorder=1, gid=f"arrow:{kind}:{a_name}->{b_name}",
    )
    ax.add_patch(arrow)
    return arrow


def _finish(ax, xlim, ylim):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.axis("off")


def _fit(fig, xlim, ylim, *, panels=1, scale=0.55, extra_h=0.6):
    """Size the figure to the drawing (equal aspect) plus ``extra_h`` inches for the title, then lay it out."""
    width = max(panels * (xlim[1] - xlim[0]) * scale, 6.0)  # room for the title and legend
    height = (ylim[1] - ylim[0]) * scale + extra_h
    fig.set_size_inches(width, height)
    fig.tight_layout(pad=0.3)


@draws_in_language
def draw_deep_rnn(num_layers: int = 3, steps: int = 3, *, lang: str = "en") -> Figure:
    """Draw an unrolled deep (stacked) RNN.

    The inputs :math:`x_t, x_{t+1}, \\dots` enter at the bottom and pass through ``num_layers`` hidden layers to the
    outputs :math:`y_t, \\dots` at the top. Every hidden layer writes its value :math:`h^{(l)}_t` into its own
    memory cell (solid orange arrow), and at the next step the *same* layer reads it back (dashed arrow).

    Parameters
    ----------
    num_layers : int, default 3
        Number of stacked hidden layers, 1 to 6.
    steps : int, default 3
        Number of time steps drawn, 1 to 6.
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        One axes. ``num_layers * steps`` hidden boxes (gid ``"hidden:l<l>:<t>"``), as many memory boxes
        (``"memory:l<l>:<t>"``), ``num_layers * (steps - 1)`` read-back arrows (gid ``"arrow:read:..."``).

    Raises
    ------
    ValueError
        If ``num_layers`` or ``steps`` is not an integer in 1..6, or ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_deep_rnn(num_layers=2, steps=3)
    >>> ax = fig.axes[0]
    >>> sum(p.get_gid().startswith("hidden:") for p in ax.patches)
    6
    >>> sum(p.get_gid().startswith("arrow:read:") for p in ax.patches)
    4
    >>> plt.close(fig)
    """
    num_layers = _check_count(num_layers, "num_layers")
    steps = _check_count(steps, "steps")
    dx, dy = 4.2, 1.55  # column and row spacing
    fig, ax = plt.subplots()

    for s in range(steps):
        x = s * dx
        below = _box(ax, x, 0.0, f"$x_{{{_step(s)}}}$", f"input:{_step(s)}", "input", width=1.1)
        for layer in range(1, num_layers + 1):
            y = layer * dy
            h = _box(ax, x, y, f"$h^{{({layer})}}_{{{_step(s)}}}$", f"hidden:l{layer}:{_step(s)}", "hidden")
            _arrow(ax, below, h, "forward")
            mem = _box(ax, x + dx / 2, y, f"$h^{{({layer})}}_{{{_step(s)}}}$", f"memory:l{layer}:{_step(s)}",
                       "memory", width=1.1, height=0.52, fontsize=11)
            _arrow(ax, h, mem, "write", color=_HIGHLIGHT)
            if s > 0:  # the memory written at the previous step is read back by the same layer
                prev = f"memory:l{layer}:{_step(s - 1)}"
                prev_node = _Node(next(p for p in ax.patches if p.get_gid() == prev), x - dx / 2, y, 0.55, 0.26)
                _arrow(ax, prev_node, h, "read", dashed=True, color=_HIGHLIGHT)
            below = h
        out = _box(ax, x, (num_layers + 1) * dy, f"$y_{{{_step(s)}}}$", f"output:{_step(s)}", "output", width=1.1)
        _arrow(ax, below, out, "forward")
        ax.text(x, -0.75, translate(f"step ${_step(s)}$", lang), ha="center", va="center", fontsize=11, color="#555555",
                gid=f"step:{_step(s)}")
    # the last memories are read at the step after the drawing ends
    last_x = (steps - 1) * dx + dx / 2
    for layer in range(1, num_layers + 1):
        ax.text(last_x + 1.05, layer * dy, r"$\cdots$", ha="center", va="center", fontsize=14, color=_HIGHLIGHT,
                gid=f"continue:l{layer}")
    # row names on the left
    left = -1.0
    rows = [(0.0, "input"), *((l * dy, f"hidden layer {l}") for l in range(1, num_layers + 1)),
            ((num_layers + 1) * dy, "output")]
    for y, name in rows:
        ax.text(left, y, translate(name, lang), ha="right", va="center", fontsize=11, gid=f"row:{name}")
    handles = [
        Line2D([], [], color=_ARROW, lw=1.6, label=translate("feed forward (to the layer above)", lang)),
        Line2D([], [], color=_HIGHLIGHT, lw=1.6, label=translate("store the layer's output in its memory cell", lang)),
        Line2D([], [], color=_HIGHLIGHT, lw=1.6, ls=(0, (4, 3)), label=translate("read back by the same layer at the next step", lang)),
    ]
    ax.legend(handles=handles, loc="lower center", ncol=1, frameon=False, fontsize=10)
    ax.set_title(translate(f"Deep RNN: {num_layers} stacked hidden layer{'s' if num_layers > 1 else ''}, "
                           f"unrolled over {steps} step{'s' if steps > 1 else ''}", lang), fontsize=13)
    xlim, ylim = (left - 2.5, (steps - 1) * dx + dx / 2 + 1.5), (-2.6, (num_layers + 1) * dy + 0.5)
    _finish(ax, xlim, ylim)
    _fit(fig, xlim, ylim, scale=0.6)
    return fig


def _check_count(value, name: str, low: int = 1, high: int = 6) -> int:
    """``value`` as an int in ``low..high``; ValueError naming ``name`` otherwise (floats, arrays, bools, ...)."""
    if isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}")
    try:
        value = operator.index(value)  # ints and integer scalars only: no truncation of 2.5 or array([2.7])
    except TypeError:
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be an integer in {low}..{high}, got {value}")
    return value


_EJ_XLIM, _EJ_YLIM = (-3.7, 1.7), (-1.2, 4.6)


def _draw_simple_recurrent(ax, kind: str, lang: str) -> None:
    """One panel of :func:`draw_elman_jordan`; ``kind`` is "elman" or "jordan"."""
    x_in = _box(ax, 0.0, 0.0, "$x_t$", f"{kind}:input", "input", width=1.2)
    h = _box(ax, 0.0, 2.0, "$h_t$", f"{kind}:hidden", "hidden", width=1.6, height=0.7,
             edge=_HIGHLIGHT if kind == "elman" else None, lw=2.8 if kind == "elman" else 1.6)
    y = _box(ax, 0.0, 4.0, "$y_t$", f"{kind}:output", "output", width=1.2, height=0.7,
             edge=_HIGHLIGHT if kind == "jordan" else None, lw=2.8 if kind == "jordan" else 1.6)
    stored = "$h_{t-1}$" if kind == "elman" else "$y_{t-1}$"
    mem = _box(ax, -2.6, 2.0, stored, f"{kind}:memory", "memory", width=1.25, height=0.62)
    ax.text(-2.6, 1.45, translate("memory", lang), ha="center", va="top", fontsize=10, color=_HIGHLIGHT, gid=f"{kind}:memory:name")
    _arrow(ax, x_in, h, "forward")
    _arrow(ax, h, y, "forward")
    if kind == "elman":
        write = _arrow(ax, h, mem, "write", color=_HIGHLIGHT, rad=0.55, lw=2.4,
                       start=(-0.3, 2.35), a_gid=f"{kind}:hidden")
        write.patchA = h.patch  # keep the source for readers of the figure; start point set explicitly
        ax.text(-1.3, 3.05, translate("store $h_t$", lang), ha="center", va="bottom", fontsize=11, color=_HIGHLIGHT,
                gid=f"{kind}:write:label")
    else:
        write = _arrow(ax, y, mem, "write", color=_HIGHLIGHT, rad=0.35, lw=2.4)
        ax.text(-2.1, 3.6, translate("store $y_t$", lang), ha="center", va="bottom", fontsize=11, color=_HIGHLIGHT,
                gid=f"{kind}:write:label")
    _arrow(ax, mem, h, "read", dashed=True, color=_HIGHLIGHT, end=(-0.8, 1.85), b_gid=f"{kind}:hidden").patchB = h.patch
    ax.text(-1.45, 1.62, translate("next step", lang), ha="center", va="top", fontsize=9, color="#666666", gid=f"{kind}:read:label")
    _finish(ax, _EJ_XLIM, _EJ_YLIM)


@draws_in_language
def draw_elman_jordan(*, lang: str = "en") -> Figure:
    """Draw the Elman and the Jordan network side by side.

    Left, the Elman network (simple recurrent network): the memory stores the *hidden layer* :math:`h_t` and gives
    it back to the hidden layer at the next step. Right, the Jordan network: the memory stores the network's
    *output* :math:`y_t` (which has a target) and feeds it into the hidden layer at the next step. The box whose
    value is stored, the memory and the store arrow are drawn in orange.

    Parameters
    ----------
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        Two axes (Elman, Jordan). In each, the store arrow has gid ``"arrow:write:<kind>:hidden-><kind>:memory"``
        (Elman) or ``"arrow:write:jordan:output->jordan:memory"`` (Jordan), and its ``patchA`` is the source box.

    Raises
    ------
    ValueError
        If ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_elman_jordan()
    >>> [ax.get_title().split(" (")[0] for ax in fig.axes]
    ['Elman network', 'Jordan network']
    >>> [p.get_gid() for p in fig.axes[1].patches if p.get_gid().startswith("arrow:write")]
    ['arrow:write:jordan:output->jordan:memory']
    >>> plt.close(fig)
    """
    fig, axes = plt.subplots(1, 2)
    for ax, kind, title, note in [
        (axes[0], "elman", "Elman network (simple recurrent network)",
         "memory stores the hidden layer: no target,\nso what it keeps is learned indirectly"),
        (axes[1], "jordan", "Jordan network",
         "memory stores the output: it has a target,\nso what the memory holds is clear"),
    ]:
        _draw_simple_recurrent(ax, kind, lang)
        ax.set_title(translate(title, lang), fontsize=12.5)
        ax.text(-1.0, -0.75, translate(note, lang), ha="center", va="center", fontsize=10.5, color="#444444", gid=f"{kind}:note")
    _fit(fig, _EJ_XLIM, _EJ_YLIM, panels=2, scale=0.85)
    return fig


@draws_in_language
def draw_bidirectional(steps: int = 3, *, lang: str = "en") -> Figure:
    """Draw a bidirectional RNN unrolled over ``steps`` steps.

    A forward RNN reads :math:`x_t, x_{t+1}, \\dots` left to right, a backward RNN reads the same inputs right to
    left, and at every step both hidden layers feed one output layer that produces :math:`y_t`: each output has
    seen the whole sequence.

    Parameters
    ----------
    steps : int, default 3
        Number of time steps drawn, 1 to 6.
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with ``steps`` boxes of each kind (gids ``"input:<t>"``, ``"forward:<t>"``, ``"backward:<t>"``,
        ``"output:<t>"``), ``steps - 1`` recurrent arrows per direction (``"arrow:forward-rec:..."``,
        ``"arrow:backward-rec:..."``) and two arrows into each output (``"arrow:to-output:..."``).

    Raises
    ------
    ValueError
        If ``steps`` is not an integer in 1..6, or ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_bidirectional(steps=3)
    >>> gids = [p.get_gid() for p in fig.axes[0].patches]
    >>> sum(g.startswith("arrow:backward-rec:") for g in gids), sum(g.startswith("arrow:to-output:") for g in gids)
    (2, 6)
    >>> plt.close(fig)
    """
    steps = _check_count(steps, "steps")
    dx = 3.4
    y_fwd, y_bwd, y_out = 1.7, 3.4, 5.1
    off = 0.75  # forward boxes sit left of the column, backward boxes right, so no arrow crosses a box
    fig, ax = plt.subplots()
    fwd, bwd = [], []
    for s in range(steps):
        x = s * dx
        t = _step(s)
        xin = _box(ax, x, 0.0, f"$x_{{{t}}}$", f"input:{t}", "input", width=1.1)
        f = _box(ax, x - off, y_fwd, f"$\\overrightarrow{{h}}_{{{t}}}$", f"forward:{t}", "hidden", width=1.2)
        b = _box(ax, x + off, y_bwd, f"$\\overleftarrow{{h}}_{{{t}}}$", f"backward:{t}", "backward", width=1.2)
        out = _box(ax, x, y_out, f"$y_{{{t}}}$", f"output:{t}", "output", width=1.1)
        _arrow(ax, xin, f, "input")
        _arrow(ax, xin, b, "input")
        _arrow(ax, f, out, "to-output", color=_COLORS["hidden"][1])
        _arrow(ax, b, out, "to-output", color=_COLORS["backward"][1])
        fwd.append(f)
        bwd.append(b)
    for s in range(steps - 1):
        _arrow(ax, fwd[s], fwd[s + 1], "forward-rec", color=_COLORS["hidden"][1], lw=2.0)
        _arrow(ax, bwd[s + 1], bwd[s], "backward-rec", color=_COLORS["backward"][1], lw=2.0)
    left = -off - 0.85
    for y, name, color in [(0.0, "input", "#222222"), (y_fwd, "forward RNN\n(reads left to right)",
                                                           _COLORS["hidden"][1]),
                           (y_bwd, "backward RNN\n(reads right to left)", _COLORS["backward"][1]),
                           (y_out, "output layer", "#222222")]:
        ax.text(left, y, translate(name, lang), ha="right", va="center", fontsize=10.5, color=color,
                gid=f"row:{name.split()[0]}")
    ax.set_title(translate("Bidirectional RNN: every output sees the whole sequence", lang), fontsize=13)
    xlim, ylim = (left - 2.8, (steps - 1) * dx + 1.6), (-0.6, y_out + 0.6)
    _finish(ax, xlim, ylim)
    _fit(fig, xlim, ylim, scale=0.6)
    return fig


@draws_in_language
def draw_lstm_cell(*, lang: str = "en") -> Figure:
    """Draw the LSTM memory cell with its four inputs and one output.

    From the bottom: the value to store :math:`z` passes the activation :math:`g`; the input gate
    :math:`f(z_i)` scales it (⊗); the forget gate :math:`f(z_f)` scales the old memory :math:`c`; the sum is the
    new memory :math:`c' = g(z) f(z_i) + c f(z_f)`; the output gate :math:`f(z_o)` scales :math:`h(c')` into the
    output :math:`a = h(c') f(z_o)`. ``f`` is the sigmoid, so each gate opening lies between 0 (closed) and 1
    (open); an *open* forget gate means *remember*.

    Parameters
    ----------
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the memory box (gid ``"memory:c"``), three gate circles (``"gate:input"``, ``"gate:forget"``,
        ``"gate:output"``), the activations ``"act:g"`` and ``"act:h"``, three products ``"op:mul:..."`` and one
        sum ``"op:add"``; the four inputs are texts with gids ``"in:z"``, ``"in:z_i"``, ``"in:z_f"``, ``"in:z_o"``.

    Raises
    ------
    ValueError
        If ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_lstm_cell()
    >>> ax = fig.axes[0]
    >>> sorted(p.get_gid() for p in ax.patches if p.get_gid().startswith("gate:"))
    ['gate:forget', 'gate:input', 'gate:output']
    >>> sum(p.get_gid().startswith("op:mul") for p in ax.patches)
    3
    >>> plt.close(fig)

    The Chinese edition draws the same cell with Chinese labels (the formulas are unchanged):

    >>> fig = draw_lstm_cell(lang="zh")
    >>> fig.axes[0].get_title()
    'LSTM 的记忆元：4 个输入（$z$、$z_i$、$z_f$、$z_o$），1 个输出（$a$）'
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots()
    gate_x, input_x = -2.0, -3.9
    texts = {}

    def input_label(gid, x, y, text):
        texts[gid] = ax.text(x, y, text, ha="center", va="center", fontsize=15, gid=gid)
        return _Node(None, x, y, 0, 0)

    # write path: z -> g(z) -> (x) f(z_i)
    z = input_label("in:z", 0.0, 0.0, "$z$")
    g = _circle(ax, 0.0, 1.2, "$g$", "act:g", "gate", radius=0.36)
    _arrow(ax, z, g, "input", start=(0.0, 0.3), a_gid="in:z")
    zi = input_label("in:z_i", input_x, 2.5, "$z_i$")
    gi = _circle(ax, gate_x, 2.5, "$f$", "gate:input", "gate", radius=0.36)
    _arrow(ax, zi, gi, "input", start=(input_x + 0.35, 2.5), a_gid="in:z_i")
    mul_i = _circle(ax, 0.0, 2.5, r"$\times$", "op:mul:input", "op", radius=0.26, fontsize=14)
    _arrow(ax, g, mul_i, "flow")
    _arrow(ax, gi, mul_i, "gate", color=_COLORS["gate"][1])
    ax.text(gate_x, 1.95, translate("input gate\n$f(z_i)$", lang), ha="center", va="top", fontsize=10, gid="gate:input:name")
    ax.text(0.35, 1.85, "$g(z)$", ha="left", va="center", fontsize=11, gid="value:g(z)")

    # memory: c' = g(z) f(z_i) + c f(z_f)
    add = _circle(ax, 0.0, 3.9, "$+$", "op:add", "op", radius=0.26, fontsize=14)
    _arrow(ax, mul_i, add, "flow")
    ax.text(0.35, 3.2, "$g(z)\\,f(z_i)$", ha="left", va="center", fontsize=11, gid="value:g(z)f(z_i)")
    mem = _box(ax, 0.0, 5.3, translate("memory\n$c \\;\\to\\; c'$", lang), "memory:c", "memory", width=1.9, height=0.95,
               fontsize=12, lw=2.2)
    _arrow(ax, add, mem, "write", color=_HIGHLIGHT, lw=2.0)
    mul_f = _circle(ax, 2.2, 3.9, r"$\times$", "op:mul:forget", "op", radius=0.26, fontsize=14)
    _arrow(ax, mem, mul_f, "old-memory", color=_HIGHLIGHT, start=(0.95, 5.1), a_gid="memory:c", rad=-0.25)
    ax.text(2.05, 4.95, "$c$", ha="left", va="center", fontsize=12, color=_HIGHLIGHT, gid="value:c")
    gf = _circle(ax, 4.1, 3.9, "$f$", "gate:forget", "gate", radius=0.36)
    zf = input_label("in:z_f", 4.1, 2.5, "$z_f$")
    _arrow(ax, zf, gf, "input", start=(4.1, 2.8), a_gid="in:z_f")
    _arrow(ax, gf, mul_f, "gate", color=_COLORS["gate"][1])
    ax.text(4.6, 3.9, translate("forget gate\n$f(z_f)$", lang), ha="left", va="center", fontsize=10, gid="gate:forget:name")
    _arrow(ax, mul_f, add, "flow")
    ax.text(1.1, 4.08, "$c\\,f(z_f)$", ha="center", va="bottom", fontsize=11, gid="value:cf(z_f)")

    # read path: c' -> h(c') -> (x) f(z_o) -> a
    h = _circle(ax, 0.0, 6.8, "$h$", "act:h", "gate", radius=0.36)
    _arrow(ax, mem, h, "flow")
    ax.text(0.3, 6.1, "$c'$", ha="left", va="center", fontsize=12, gid="value:c'")
    zo = input_label("in:z_o", input_x, 8.1, "$z_o$")
    go = _circle(ax, gate_x, 8.1, "$f$", "gate:output", "gate", radius=0.36)
    _arrow(ax, zo, go, "input", start=(input_x + 0.35, 8.1), a_gid="in:z_o")
    mul_o = _circle(ax, 0.0, 8.1, r"$\times$", "op:mul:output", "op", radius=0.26, fontsize=14)
    _arrow(ax, h, mul_o, "flow")
    _arrow(ax, go, mul_o, "gate", color=_COLORS["gate"][1])
    ax.text(gate_x, 8.65, translate("output gate\n$f(z_o)$", lang), ha="center", va="bottom", fontsize=10, gid="gate:output:name")
    ax.text(0.35, 7.45, "$h(c')$", ha="left", va="center", fontsize=11, gid="value:h(c')")
    a = input_label("out:a", 0.0, 9.4, "$a$")
    _arrow(ax, mul_o, a, "output", end=(0.0, 9.1), b_gid="out:a")

    # the two equations, in the chapter's notation
    ax.text(2.3, 6.0, "$c' = g(z)\\,f(z_i) + c\\,f(z_f)$", ha="left", va="center", fontsize=12.5,
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=_HIGHLIGHT), gid="eq:memory")
    ax.text(2.3, 8.1, "$a = h(c')\\,f(z_o)$", ha="left", va="center", fontsize=12.5,
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#888888"), gid="eq:output")
    ax.text(0.5, 0.01, translate("$f$ = sigmoid: gate opening between 0 (closed) and 1 (open).   "
                                 "Forget gate open = remember.", lang), transform=ax.transAxes, ha="center", va="bottom", fontsize=10,
            color="#444444", gid="note:gates")
    ax.set_title(translate("LSTM memory cell: 4 inputs ($z$, $z_i$, $z_f$, $z_o$), 1 output ($a$)", lang),
                 fontsize=13)
    xlim, ylim = (-4.6, 6.9), (-0.9, 9.9)
    _finish(ax, xlim, ylim)
    _fit(fig, xlim, ylim, scale=0.62)
    return fig


@draws_in_language
def draw_gru_cell(*, lang: str = "en") -> Figure:
    """Draw the GRU cell in PyTorch's convention (the one :class:`companion.gru.GRU` follows).

    The state runs along the top: :math:`h_{t-1}` is scaled by the update gate :math:`z` and added to the
    candidate :math:`n` scaled by :math:`1 - z`, giving :math:`h_t = (1 - z)\\,n + z\\,h_{t-1}`. Below, the
    reset gate :math:`r` scales the recurrent product :math:`U_n h_{t-1} + b_{hn}` (after it is computed), which
    is added to the input part :math:`W_n x_t + b_{in}` and squashed by tanh into :math:`n`. There is no separate
    memory: the state is also the output.

    Parameters
    ----------
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: gate circles ``"gate:reset"`` and ``"gate:update"``, the activation ``"act:tanh"``, products
        ``"op:mul:reset"``, ``"op:mul:keep"`` (z h), ``"op:mul:candidate"`` ((1 - z) n), the sums ``"op:add:candidate"``
        and ``"op:add"``, ``"op:one-minus"``; input texts ``"in:h_prev"``, ``"in:reset"``, ``"in:update"``,
        ``"in:hn"``, ``"in:xn"`` and the output ``"out:h"``.

    Raises
    ------
    ValueError
        If ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_gru_cell()
    >>> ax = fig.axes[0]
    >>> sorted(p.get_gid() for p in ax.patches if p.get_gid().startswith("gate:"))
    ['gate:reset', 'gate:update']
    >>> sum(p.get_gid().startswith("op:mul") for p in ax.patches)
    3
    >>> plt.close(fig)
    """
    fig, ax = plt.subplots()
    gate_color = _COLORS["gate"][1]

    def label(gid, x, y, text, **kw):
        ax.text(x, y, text, ha="center", va="center", fontsize=kw.pop("fontsize", 13), gid=gid, **kw)
        return _Node(None, x, y, 0, 0)

    # candidate: n = tanh(W_n x + b_in + r * (U_n h + b_hn))
    gr = _circle(ax, -3.2, 1.8, r"$\sigma$", "gate:reset", "gate", radius=0.36)
    r_in = label("in:reset", -3.2, 0.3, "$x_t,\\ h_{t-1}$")
    _arrow(ax, r_in, gr, "input", start=(-3.2, 0.6), a_gid="in:reset")
    ax.text(-3.2, 2.35, translate("reset gate $r$", lang), ha="center", va="bottom", fontsize=10, gid="gate:reset:name")
    hn = label("in:hn", -0.6, 0.3, "$U_n h_{t-1} + b_{hn}$")
    mul_r = _circle(ax, -0.6, 1.8, r"$\times$", "op:mul:reset", "op", radius=0.26, fontsize=14)
    _arrow(ax, hn, mul_r, "input", start=(-0.6, 0.6), a_gid="in:hn")
    _arrow(ax, gr, mul_r, "gate", color=gate_color)
    xn = label("in:xn", 2.2, 0.3, "$W_n x_t + b_{in}$")
    add_n = _circle(ax, 2.2, 1.8, "$+$", "op:add:candidate", "op", radius=0.26, fontsize=14)
    _arrow(ax, xn, add_n, "input", start=(2.2, 0.6), a_gid="in:xn")
    _arrow(ax, mul_r, add_n, "flow")
    tanh = _circle(ax, 2.2, 3.2, "tanh", "act:tanh", "gate", radius=0.42, fontsize=11)
    _arrow(ax, add_n, tanh, "flow")
    mul_n = _circle(ax, 2.2, 4.7, r"$\times$", "op:mul:candidate", "op", radius=0.26, fontsize=14)
    _arrow(ax, tanh, mul_n, "flow")
    ax.text(2.5, 3.95, "$n$", ha="left", va="center", fontsize=12, gid="value:n")

    # update gate: z scales the old state, 1 - z the candidate
    gz = _circle(ax, -1.6, 4.7, r"$\sigma$", "gate:update", "gate", radius=0.36)
    z_in = label("in:update", -3.6, 4.7, "$x_t,\\ h_{t-1}$")
    _arrow(ax, z_in, gz, "input", start=(-2.85, 4.7), a_gid="in:update")
    ax.text(-1.6, 4.15, translate("update gate $z$", lang), ha="center", va="top", fontsize=10, gid="gate:update:name")
    one_minus = _circle(ax, 0.4, 4.7, "$1-$", "op:one-minus", "op", radius=0.3, fontsize=11)
    _arrow(ax, gz, one_minus, "gate", color=gate_color)
    _arrow(ax, one_minus, mul_n, "gate", color=gate_color)

    # the state line: h_{t-1} -> (x z) -> (+) -> h_t
    h_prev = label("in:h_prev", -4.6, 6.3, "$h_{t-1}$", fontsize=15)
    mul_z = _circle(ax, -1.6, 6.3, r"$\times$", "op:mul:keep", "op", radius=0.26, fontsize=14)
    _arrow(ax, h_prev, mul_z, "state", color=_HIGHLIGHT, lw=2.0, start=(-4.1, 6.3), a_gid="in:h_prev")
    _arrow(ax, gz, mul_z, "gate", color=gate_color)
    add = _circle(ax, 2.2, 6.3, "$+$", "op:add", "op", radius=0.26, fontsize=14)
    _arrow(ax, mul_z, add, "state", color=_HIGHLIGHT, lw=2.0)
    _arrow(ax, mul_n, add, "flow")
    h_out = label("out:h", 4.6, 6.3, "$h_t$", fontsize=15)
    _arrow(ax, add, h_out, "state", color=_HIGHLIGHT, lw=2.0, end=(4.15, 6.3), b_gid="out:h")
    ax.text(0.3, 6.5, "$z\\,h_{t-1}$", ha="center", va="bottom", fontsize=11, gid="value:zh")

    ax.text(3.3, 2.5, "$n = \\tanh(W_n x_t + b_{in} + r \\odot (U_n h_{t-1} + b_{hn}))$", ha="left",
            va="center", fontsize=12, bbox=dict(boxstyle="round,pad=0.3", fc="white", ec="#888888"), gid="eq:candidate")
    ax.text(3.3, 5.0, "$h_t = (1 - z) \\odot n + z \\odot h_{t-1}$", ha="left", va="center", fontsize=12,
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=_HIGHLIGHT), gid="eq:state")
    ax.text(0.5, 0.01, translate("$\\sigma$ = sigmoid. The reset gate acts after the product $U_n h_{t-1}$ "
                                 "(PyTorch); the state is also the output.", lang), transform=ax.transAxes, ha="center", va="bottom", fontsize=10,
            color="#444444", gid="note:gates")
    ax.set_title(translate("GRU cell: 2 gates ($r$, $z$), a candidate $n$, one state $h$", lang), fontsize=13)
    xlim, ylim = (-5.2, 10.8), (-0.6, 7.0)
    _finish(ax, xlim, ylim)
    _fit(fig, xlim, ylim, scale=0.62)
    return fig


@draws_in_language
def draw_unrolled_bptt(steps: int = 3, *, lang: str = "en") -> Figure:
    r"""Draw an Elman network unrolled over time with its forward pass and the gradients of BPTT.

    Each column is one step: the input :math:`x_t` (bottom), the state :math:`h_t` and the loss :math:`L_t` of
    the output (top). Solid black arrows are the forward pass (the same :math:`W` and :math:`U` at every step);
    dashed red arrows are the backward pass: each :math:`L_t` sends :math:`\partial L_t/\partial h_t` down to
    :math:`h_t`, and each step sends :math:`\delta_t U` back to the step before, so the gradient reaching
    :math:`h_t` is the sum of the two.

    Parameters
    ----------
    steps : int, default 3
        Number of steps drawn, 1 to 6.
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        One axes with ``steps`` hidden boxes (gid ``"hidden:<t>"``, t = 1..steps) and the initial state
        ``"hidden:0"``, ``steps`` loss boxes (``"loss:<t>"``), forward arrows ``"arrow:forward:..."`` and
        gradient arrows ``"arrow:gradient:..."``.

    Raises
    ------
    ValueError
        If ``steps`` is not an integer in 1..6, or ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_unrolled_bptt(steps=3)
    >>> ax = fig.axes[0]
    >>> sum(p.get_gid().startswith("arrow:gradient:") for p in ax.patches)   # 3 from the losses, 3 back in time
    6
    >>> plt.close(fig)
    """
    steps = _check_count(steps, "steps")
    dx = 3.6
    fig, ax = plt.subplots()
    prev = _box(ax, 0.0, 1.6, "$h_0$", "hidden:0", "hidden", width=1.0)
    for t in range(1, steps + 1):
        x = t * dx
        xin = _box(ax, x, 0.0, f"$x_{t}$", f"input:{t}", "input", width=1.0)
        h = _box(ax, x, 1.6, f"$h_{t}$", f"hidden:{t}", "hidden", width=1.0)
        loss = _box(ax, x, 3.4, f"$L_{t}$", f"loss:{t}", "output", width=1.0)
        _arrow(ax, xin, h, "forward")
        ax.text(x - 0.12, 0.8, "$W$", ha="right", va="center", fontsize=11, gid=f"label:W:{t}")
        _arrow(ax, h, loss, "forward", start=(x - 0.2, 1.91), end=(x - 0.2, 3.09))
        _arrow(ax, prev, h, "forward", start=(prev.x + prev.half_w, 1.75), end=(x - h.half_w, 1.75))
        ax.text((prev.x + x) / 2, 1.95, "$U$", ha="center", va="bottom", fontsize=11, gid=f"label:U:{t}")
        # backward: from the loss down to h_t, and from h_t back to h_{t-1}
        _arrow(ax, loss, h, "gradient", dashed=True, color=_GRADIENT, start=(x + 0.2, 3.09), end=(x + 0.2, 1.91))
        ax.text(x + 0.3, 2.5, rf"$\partial L_{t} / \partial h_{t}$", ha="left", va="center",
                fontsize=11, color=_GRADIENT, gid=f"label:dL:{t}")
        _arrow(ax, h, prev, "gradient", dashed=True, color=_GRADIENT, start=(x - h.half_w, 1.42),
               end=(prev.x + prev.half_w, 1.42))
        ax.text((prev.x + x) / 2, 1.22, rf"$\delta_{t} U$", ha="center", va="top", fontsize=11,
                color=_GRADIENT, gid=f"label:delta:{t}")
        ax.text(x, -0.75, translate(f"step {t}", lang), ha="center", va="center", fontsize=10.5, color="#555555", gid=f"step:{t}")
        prev = h
    ax.text(steps * dx / 2, 4.35,
            r"$\delta_t = \left(\frac{\partial L_t}{\partial h_t} + \delta_{t+1} U\right) \odot (1 - h_t^2)$"
            r"$\qquad \frac{\partial L}{\partial U} = \sum_t \delta_t^\top h_{t-1}$",
            ha="center", va="center", fontsize=12.5, gid="eq:bptt",
            bbox=dict(boxstyle="round,pad=0.3", fc="white", ec=_GRADIENT))
    handles = [
        Line2D([], [], color=_ARROW, lw=1.6, label=translate("forward: the same $W$, $U$ at every step", lang)),
        Line2D([], [], color=_GRADIENT, lw=1.6, ls=(0, (4, 3)), label=translate("backward: gradients, last step first", lang)),
    ]
    ax.legend(handles=handles, loc="lower center", ncol=2, frameon=False, fontsize=10,
              bbox_to_anchor=(0.5, -0.02))
    ax.set_title(translate(f"Backpropagation through time: an Elman network unrolled over {steps} step"
                           f"{'s' if steps > 1 else ''}", lang), fontsize=13)
    xlim, ylim = (-0.9, steps * dx + 1.4), (-1.7, 4.9)
    _finish(ax, xlim, ylim)
    _fit(fig, xlim, ylim, scale=0.75)
    return fig


@draws_in_language
def draw_lstm_backward(*, lang: str = "en") -> Figure:
    r"""Draw the LSTM memory cell of :func:`draw_lstm_cell` with the gradient paths of its step backward.

    Dashed red arrows carry the gradients backward, from the output :math:`a` to the memory and from the
    memory to the cell's four inputs; each node is numbered with the line of the backward that computes its
    gradient, and the six lines are listed on the right:

    1. :math:`dc' = dc + da\, f(z_o)\, h'(c')` (the memory receives gradient from the output *and* from the
       next step);
    2. :math:`dz_o = da\, h(c')\, f'(z_o)`;
    3. :math:`dz = dc'\, f(z_i)\, g'(z)`;
    4. :math:`dz_i = dc'\, g(z)\, f'(z_i)`;
    5. :math:`dz_f = dc'\, c\, f'(z_f)`;
    6. :math:`dc_{prev} = dc'\, f(z_f)`: the memory path, drawn thick and highlighted: no squashing function
       on it, only the forget gate's opening.

    Parameters
    ----------
    lang : {"en", "zh"}, default "en"
        Label language of every text drawn: English, or simplified Chinese (the Chinese edition's terms, drawn
        with the CJK font companion ships). Formulas, symbols and numbers are the same in both.

    Returns
    -------
    matplotlib.figure.Figure
        One axes: the patches of :func:`draw_lstm_cell` plus gradient arrows (gid ``"arrow:gradient:..."``),
        the highlighted memory path (two arrows ``"arrow:memory-path:..."``), six number badges (``"badge:1"`` ...
        ``"badge:6"``) and the list of the six lines (texts ``"eq:backward:1"`` ... ``"eq:backward:6"``).

    Raises
    ------
    ValueError
        If ``lang`` is not "en" or "zh".

    Examples
    --------
    >>> import matplotlib.pyplot as plt
    >>> fig = draw_lstm_backward()
    >>> ax = fig.axes[0]
    >>> sorted(t.get_gid() for t in ax.texts if (t.get_gid() or "").startswith("eq:backward:"))[:2]
    ['eq:backward:1', 'eq:backward:2']
    >>> sum(p.get_gid().startswith("arrow:memory-path") for p in ax.patches)
    2
    >>> plt.close(fig)
    """
    fig = draw_lstm_cell(lang=lang)
    ax = fig.axes[0]
    for text in list(ax.texts):  # the forward equations and the note give way to the backward lines
        if text.get_gid() in ("eq:memory", "eq:output", "note:gates"):
            text.remove()
    nodes = {p.get_gid(): p for p in ax.patches if p.get_gid() and not p.get_gid().startswith("arrow:")}

    def node(gid, x, y, r):
        return _Node(nodes[gid], x, y, r, r)

    mem, h, mul_o = _Node(nodes["memory:c"], 0.0, 5.3, 0.95, 0.48), node("act:h", 0.0, 6.8, 0.36), \
        node("op:mul:output", 0.0, 8.1, 0.26)
    add, mul_i, g = node("op:add", 0.0, 3.9, 0.26), node("op:mul:input", 0.0, 2.5, 0.26), node("act:g", 0.0, 1.2, 0.36)
    mul_f, gi, gf, go = node("op:mul:forget", 2.2, 3.9, 0.26), node("gate:input", -2.0, 2.5, 0.36), \
        node("gate:forget", 4.1, 3.9, 0.36), node("gate:output", -2.0, 8.1, 0.36)
    off = 0.42  # gradient arrows run beside the forward ones
    grad = dict(dashed=True, color=_GRADIENT, lw=1.5)
    _arrow(ax, mul_o, h, "gradient", start=(-off, 9.2), end=(-off, 7.1), a_gid="out:a", b_gid="act:h", **grad)
    _arrow(ax, h, mem, "gradient", start=(-off, 6.5), end=(-off, 5.8), **grad)
    _arrow(ax, mem, add, "gradient", start=(-off, 4.8), end=(-off, 4.1), **grad)
    _arrow(ax, add, mul_i, "gradient", start=(-off, 3.7), end=(-off, 2.7), **grad)
    _arrow(ax, mul_i, g, "gradient", start=(-off, 2.3), end=(-off, 1.5), **grad)
    _arrow(ax, mul_o, go, "gradient", start=(-0.3, 8.45), end=(-1.7, 8.45), **grad)
    _arrow(ax, mul_i, gi, "gradient", start=(-0.3, 2.15), end=(-1.7, 2.15), **grad)
    _arrow(ax, mul_f, gf, "gradient", start=(2.5, 3.55), end=(3.8, 3.55), **grad)
    # the memory path: dc_prev = dc' f(z_f), out of the cell to the previous step
    _arrow(ax, add, mul_f, "memory-path", color=_GRADIENT, lw=3.0, start=(0.3, 3.66), end=(1.95, 3.66))
    _arrow(ax, mul_f, mem, "memory-path", color=_GRADIENT, lw=3.0, start=(2.35, 3.62), end=(2.9, 1.6),
           a_gid="op:mul:forget", b_gid="c_prev")
    ax.text(2.95, 1.45, translate("$dc_{prev} = dc'\\,f(z_f)$\nto step $t-1$", lang), ha="left", va="top", fontsize=11.5,
            color=_GRADIENT, fontweight="bold", gid="label:memory-path")
    badges = {1: (-0.95, 5.95), 2: (-0.95, 8.95), 3: (-0.95, 1.2), 4: (-1.0, 1.8), 5: (4.1, 4.75), 6: (2.75, 2.45)}
    for k, (x, y) in badges.items():
        ax.add_patch(Circle((x, y), 0.24, facecolor=_GRADIENT, edgecolor="white", zorder=5, gid=f"badge:{k}"))
        ax.text(x, y, str(k), ha="center", va="center", fontsize=10, color="white", fontweight="bold", zorder=6,
                gid=f"badge:{k}:label")
    lines = [r"$dc' = dc + da\,f(z_o)\,h'(c')$", r"$dz_o = da\,h(c')\,f'(z_o)$", r"$dz = dc'\,f(z_i)\,g'(z)$",
             r"$dz_i = dc'\,g(z)\,f'(z_i)$", r"$dz_f = dc'\,c\,f'(z_f)$", r"$dc_{prev} = dc'\,f(z_f)$"]
    top = 8.9
    ax.text(7.3, top + 0.55, translate("the step backward", lang), ha="left", va="center", fontsize=12, gid="eq:backward:title")
    for k, line in enumerate(lines, start=1):
        y = top - 0.75 * k
        ax.add_patch(Circle((7.45, y), 0.22, facecolor=_GRADIENT, edgecolor="white", zorder=5,
                            gid=f"badge:list:{k}"))
        ax.text(7.45, y, str(k), ha="center", va="center", fontsize=9.5, color="white", fontweight="bold", zorder=6)
        ax.text(7.85, y, line, ha="left", va="center", fontsize=12.5, gid=f"eq:backward:{k}",
                color=_GRADIENT if k == 6 else "black")
    ax.text(7.3, top - 0.75 * 7 - 0.2, "$f' = f(1-f)$,  $\\tanh' = 1-\\tanh^2$\n"
            "$dW = dZ^\\top x_t$,  $dU = dZ^\\top a_{t-1}$,\n$dZ = [dz_i, dz_f, dz, dz_o]$",
            ha="left", va="top", fontsize=11, color="#444444", gid="note:backward")
    handles = [Line2D([], [], color=_GRADIENT, lw=1.5, ls=(0, (4, 3)), label=translate("gradient (backward)", lang)),
               Line2D([], [], color=_GRADIENT, lw=3.0, label=translate("memory path: only $f(z_f)$ on it", lang))]
    ax.legend(handles=handles, loc="lower right", frameon=False, fontsize=10)
    ax.set_title(translate("LSTM step backward: the gradient paths through the cell", lang), fontsize=13)
    xlim, ylim = (-4.6, 12.6), (-0.9, 9.9)
    _finish(ax, xlim, ylim)
    _fit(fig, xlim, ylim, scale=0.62)
    return fig
