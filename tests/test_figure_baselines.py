"""Baseline images of companion's diagrams and plots: a changed drawing fails like a changed number.

Each case draws one figure from fixed data with a function of ``companion.diagrams`` or ``companion.plots``, in
each label language (English and Chinese), renders it to PNG at a fixed resolution and compares it with
``tests/baseline_images/<case>.png`` (English) or ``<case>.zh.png`` (Chinese) using the
comparison of ``tests/figure_regression.py`` (the one that guards the chapters' stored figures): same size,
RMS pixel difference and changed-pixel count within tolerance; on failure the baseline, the fresh image and
their difference are saved to ``test-artifacts/figures/``.

After a deliberate change to a figure, regenerate the baselines and look at them before committing::

    UPDATE_BASELINES=1 .venv/bin/python -m pytest tests/test_figure_baselines.py -p no:xdist

A missing baseline fails (it is never silently created outside that mode).
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import figure_regression as fr  # noqa: E402  (tests/ is on the path: see the root conftest.py)
from companion import diagrams, plots  # noqa: E402

BASELINES = Path(__file__).resolve().parent / "baseline_images"
DPI = 50  # small files; every line and label still moves pixels


def _trace():
    from companion.experiments.worked_example import run_worked_example

    return run_worked_example(g="identity", h="identity").trace


def _heatmaps(lang):
    rng = np.random.default_rng(0)
    return plots.plot_heatmaps({"input $x_t$": rng.uniform(-1, 1, (8, 1)),
                                "layer 1: $h^{(1)}_t$": rng.normal(size=(8, 4))},
                               title="Memories of a 3-layer RNN over one sequence", lang=lang)


def _error_surface(lang):
    w, b = np.linspace(0.5, 4.0, 36), np.linspace(-2.0, 4.0, 31)
    loss = np.where(b[:, None] > 1.5 - w[None, :], 0.09, 2.8) * (1 + 0.1 * np.sin(w[None, :]))  # a cliff
    return plots.plot_error_surface(w, b, loss, paths={"no clipping": [(1.8, -0.5), (1.6, -0.2), (3.3, 3.5)],
                                                       "clipped at 1": [(1.8, -0.5), (1.6, -0.2), (1.5, -0.2)]},
                                    title="One tanh unit over 50 steps: loss $(h_{50} - 0.7)^2$", lang=lang)


# Each case draws with the label language it is given. The free texts are the chapters' own (so that the
# Chinese figures show the translations the chapters get).
CASES = {
    "draw_deep_rnn": lambda lang: diagrams.draw_deep_rnn(num_layers=3, steps=3, lang=lang),
    "draw_elman_jordan": lambda lang: diagrams.draw_elman_jordan(lang=lang),
    "draw_bidirectional": lambda lang: diagrams.draw_bidirectional(steps=3, lang=lang),
    "draw_lstm_cell": lambda lang: diagrams.draw_lstm_cell(lang=lang),
    "draw_gru_cell": lambda lang: diagrams.draw_gru_cell(lang=lang),
    "plot_series": lambda lang: plots.plot_series({"a": 0.9 ** np.arange(30), "b": 0.8 ** np.arange(30)},
                                                  "training step", "loss", title="Slot filling: one direction vs two",
                                                  logy=True, baseline=(0.05, "baseline"), lang=lang),
    "plot_heatmaps": _heatmaps,
    "plot_lstm_trace": lambda lang: plots.plot_lstm_trace(_trace(), title="The worked example: linear g and h",
                                                          lang=lang),
    "plot_error_by_position": lambda lang: plots.plot_error_by_position(
        np.tile([0.27, 0.28, 0.11], 4), period=3, highlight_phase=2, ylabel="squared error", lang=lang),
    "plot_gradient_norms": lambda lang: plots.plot_gradient_norms(
        np.arange(1, 11), {"0.9": 0.9 ** np.arange(1, 11), "1.1": 1.1 ** np.arange(1, 11)}, lang=lang),
    "plot_gradient_flow": lambda lang: plots.plot_gradient_flow(
        {"at initialisation": {"RNN": 0.5 ** np.arange(19, -1, -1.0), "GRU": 0.8 ** np.arange(19, -1, -1.0)},
         "after training": {"RNN": 0.6 ** np.arange(19, -1, -1.0), "GRU": 0.95 ** np.arange(19, -1, -1.0)}},
        title="Gradient of the answer with respect to the input at step t (T = 100)", lang=lang),
    "plot_bar_table": lambda lang: plots.plot_bar_table({"LSTM": 0.98, "Elman": 0.14}, "squared error",
                                                        baseline=0.15, lang=lang),
    "plot_gate_opening": lambda lang: plots.plot_gate_opening(lang=lang),
    "draw_unrolled_bptt": lambda lang: diagrams.draw_unrolled_bptt(steps=3, lang=lang),
    "draw_lstm_backward": lambda lang: diagrams.draw_lstm_backward(lang=lang),
    "plot_error_surface": _error_surface,
    "plot_line_scan": lambda lang: plots.plot_line_scan(
        np.linspace(0, 3, 31), np.abs(np.linspace(0, 3, 31) - 1) ** 3, grad_norms=np.exp(3 * np.linspace(0, 3, 31)),
        title="Delayed recall, Elman network: the loss along a line in weight space", lang=lang),
}
#: The label languages every case is drawn in; English baselines are <case>.png, the others <case>.<lang>.png.
LANGS = ("en", "zh")


def baseline_path(name: str, lang: str) -> Path:
    return BASELINES / (f"{name}.png" if lang == "en" else f"{name}.{lang}.png")


def render(make, lang: str = "en") -> np.ndarray:
    """Draw a case in ``lang`` and render it to an RGBA array, with matplotlib's default style."""
    with plt.style.context("default"):
        fig = make(lang)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        plt.close(fig)
    return fr.decode_png(buf.getvalue())


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_matches_its_baseline(name, lang):
    from PIL import Image

    fresh = render(CASES[name], lang)
    path = baseline_path(name, lang)
    if os.environ.get("UPDATE_BASELINES") == "1":
        BASELINES.mkdir(exist_ok=True)
        Image.fromarray(fresh).save(path, optimize=True)
    assert path.exists(), f"no baseline {path}: create it with UPDATE_BASELINES=1 (see this module's docstring)"
    fr.compare_images(fr.decode_png(path.read_bytes()), fresh, f"baseline-{name}-{lang}")


def test_every_public_drawing_function_has_a_baseline():
    drawers = {n for n in diagrams.__all__ if n.startswith("draw_")} | {n for n in plots.__all__ if n.startswith("plot_")}
    assert drawers <= set(CASES), f"add baseline cases for {sorted(drawers - set(CASES))}"
