"""Baseline images of companion's diagrams and plots: a changed drawing fails like a changed number.

Each case draws one figure from fixed data with a function of ``companion.diagrams`` or ``companion.plots``,
renders it to PNG at a fixed resolution and compares it with ``tests/baseline_images/<case>.png`` using the
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


def _heatmaps():
    rng = np.random.default_rng(0)
    return plots.plot_heatmaps({"input $x_t$": rng.uniform(-1, 1, (8, 1)), "layer 1": rng.normal(size=(8, 4))},
                               title="heatmaps")


def _error_surface():
    w, b = np.linspace(0.5, 4.0, 36), np.linspace(-2.0, 4.0, 31)
    loss = np.where(b[:, None] > 1.5 - w[None, :], 0.09, 2.8) * (1 + 0.1 * np.sin(w[None, :]))  # a cliff
    return plots.plot_error_surface(w, b, loss, paths={"no clipping": [(1.8, -0.5), (1.6, -0.2), (3.3, 3.5)],
                                                       "clipped at 1": [(1.8, -0.5), (1.6, -0.2), (1.5, -0.2)]},
                                    title="error surface")


CASES = {
    "draw_deep_rnn": lambda: diagrams.draw_deep_rnn(num_layers=3, steps=3),
    "draw_elman_jordan": diagrams.draw_elman_jordan,
    "draw_bidirectional": lambda: diagrams.draw_bidirectional(steps=3),
    "draw_lstm_cell": diagrams.draw_lstm_cell,
    "draw_gru_cell": diagrams.draw_gru_cell,
    "plot_series": lambda: plots.plot_series({"a": 0.9 ** np.arange(30), "b": 0.8 ** np.arange(30)}, "step", "loss",
                                             title="series", logy=True, baseline=(0.05, "baseline")),
    "plot_heatmaps": _heatmaps,
    "plot_lstm_trace": lambda: plots.plot_lstm_trace(_trace(), title="worked example"),
    "plot_error_by_position": lambda: plots.plot_error_by_position(np.tile([0.27, 0.28, 0.11], 4), period=3,
                                                                   highlight_phase=2, ylabel="squared error"),
    "plot_gradient_norms": lambda: plots.plot_gradient_norms(np.arange(1, 11), {"0.9": 0.9 ** np.arange(1, 11),
                                                                                "1.1": 1.1 ** np.arange(1, 11)}),
    "plot_gradient_flow": lambda: plots.plot_gradient_flow(
        {"at initialisation": {"RNN": 0.5 ** np.arange(19, -1, -1.0), "GRU": 0.8 ** np.arange(19, -1, -1.0)},
         "after training": {"RNN": 0.6 ** np.arange(19, -1, -1.0), "GRU": 0.95 ** np.arange(19, -1, -1.0)}},
        title="gradient flow"),
    "plot_bar_table": lambda: plots.plot_bar_table({"LSTM": 0.98, "Elman": 0.14}, "solved", baseline=0.15),
    "plot_gate_opening": plots.plot_gate_opening,
    "draw_unrolled_bptt": lambda: diagrams.draw_unrolled_bptt(steps=3),
    "draw_lstm_backward": diagrams.draw_lstm_backward,
    "plot_error_surface": _error_surface,
    "plot_line_scan": lambda: plots.plot_line_scan(np.linspace(0, 3, 31), np.abs(np.linspace(0, 3, 31) - 1) ** 3,
                                                   grad_norms=np.exp(3 * np.linspace(0, 3, 31)), title="line scan"),
}


def render(make) -> np.ndarray:
    """Draw a case and render it to an RGBA array, with matplotlib's default style."""
    with plt.style.context("default"):
        fig = make()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=DPI)
        plt.close(fig)
    return fr.decode_png(buf.getvalue())


@pytest.mark.parametrize("name", sorted(CASES))
def test_figure_matches_its_baseline(name):
    from PIL import Image

    fresh = render(CASES[name])
    path = BASELINES / f"{name}.png"
    if os.environ.get("UPDATE_BASELINES") == "1":
        BASELINES.mkdir(exist_ok=True)
        Image.fromarray(fresh).save(path, optimize=True)
    assert path.exists(), f"no baseline {path}: create it with UPDATE_BASELINES=1 (see this module's docstring)"
    fr.compare_images(fr.decode_png(path.read_bytes()), fresh, f"baseline-{name}")


def test_every_public_drawing_function_has_a_baseline():
    drawers = {n for n in diagrams.__all__ if n.startswith("draw_")} | {n for n in plots.__all__ if n.startswith("plot_")}
    assert drawers <= set(CASES), f"add baseline cases for {sorted(drawers - set(CASES))}"
