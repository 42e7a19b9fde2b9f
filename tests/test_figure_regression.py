"""The figure comparison that guards the chapters' stored images (tests/figure_regression.py) can fail.

The unit tests feed it drawn images; the end-to-end test runs nbval, with the plugin, on a small notebook whose
stored figure is right and on a copy whose stored figure is not, and checks that only the second fails and that
the stored, fresh and difference images are saved.
"""
from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import figure_regression as fr  # noqa: E402  (tests/ is on the path: see the root conftest.py)

TESTS = Path(__file__).resolve().parent


def _png(slope: float, label: str = "y") -> bytes:
    fig, ax = plt.subplots(figsize=(3, 2), dpi=80)
    ax.plot([0, 1], [0, slope])
    ax.set_title(label)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


@pytest.fixture
def artifacts(tmp_path, monkeypatch):
    monkeypatch.setattr(fr, "ARTIFACTS", tmp_path / "figures")
    return tmp_path / "figures"


def test_identical_images_match(artifacts):
    img = fr.decode_png(_png(1.0))
    assert fr.compare_images(img, img.copy(), "same") == 0.0
    assert not artifacts.exists()


def test_moved_line_fails_and_saves_stored_fresh_and_diff(artifacts):
    stored, fresh = fr.decode_png(_png(1.0)), fr.decode_png(_png(0.8))
    assert fr.rms_difference(fr.pixel_difference(stored, fresh)) > fr.RMS_TOLERANCE
    with pytest.raises(fr.FigureMismatch, match="RMS pixel difference"):
        fr.compare_images(stored, fresh, "moved")
    assert sorted(p.name for p in artifacts.iterdir()) == ["moved-diff.png", "moved-fresh.png", "moved-stored.png"]


def test_changed_label_fails(artifacts):
    with pytest.raises(fr.FigureMismatch, match="pixels changed"):
        fr.compare_images(fr.decode_png(_png(1.0, "loss 0.31")), fr.decode_png(_png(1.0, "loss 0.13")), "label")


def test_changed_size_fails(artifacts):
    small = fr.decode_png(_png(1.0))
    with pytest.raises(fr.FigureMismatch, match="changed size"):
        fr.compare_images(small, np.pad(small, ((0, 4), (0, 0), (0, 0))), "size")


def test_missing_image_fails():
    img = {"data": {"image/png": "x", "text/plain": "<Figure>"}}
    with pytest.raises(fr.FigureMismatch, match="stored 1 image"):
        fr.compare_cell_figures([img], [{"data": {"text/plain": "<Figure>"}}], "cell")


def _curve_png(offset: float = 0.0, extra_point: bool = False, label: str = "error", dpi: int = 160) -> bytes:
    """A curve on fixed axes (as plot_error_by_position draws), raised by ``offset`` (axes span 1.0)."""
    fig, ax = plt.subplots(figsize=(3, 2), dpi=dpi)
    x = np.arange(12)
    ax.plot(x, 0.4 + 0.3 * (x % 3 == 2) + offset, marker="o", markersize=3)
    if extra_point:
        ax.plot([5.5], [0.2], marker="o", markersize=3, color="C1")
    ax.set_ylim(0, 1)
    ax.set_title(label)
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def test_a_cell_that_opts_in_lets_a_curve_move_by_a_pixel_or_two(artifacts):
    stored = fr.decode_png(_curve_png())
    moved = fr.decode_png(_curve_png(offset=0.008))  # about 1.7 px of the 210-px axes: a third-digit change
    with pytest.raises(fr.FigureMismatch):
        fr.compare_images(stored, moved, "strict")
    assert fr.compare_images(stored, moved, "shift", shift_px=3) <= fr.RMS_TOLERANCE
    assert fr.compare_images(stored, stored.copy(), "same", shift_px=3) == 0.0


@pytest.mark.parametrize("fresh_kwargs", [{"offset": 0.05}, {"extra_point": True}, {"label": "errors"},
                                          {"label": "error 0.13"}])
def test_the_position_tolerance_still_fails_a_real_change(artifacts, fresh_kwargs):
    """A curve moved by ~10 px, a new point, a new letter, changed digits: each fails with shift_px = 3."""
    stored = fr.decode_png(_curve_png(label="error 0.31" if "0.13" in fresh_kwargs.get("label", "") else "error"))
    with pytest.raises(fr.FigureMismatch, match="lines allowed to move by 3 px"):
        fr.compare_images(stored, fr.decode_png(_curve_png(**fresh_kwargs)), "real", shift_px=3)


@pytest.mark.parametrize("shift_px", [-1, 4, 1.5, True])
def test_the_position_tolerance_is_small(shift_px):
    img = fr.decode_png(_curve_png())
    with pytest.raises(ValueError, match="shift_px must be an int in"):
        fr.compare_images(img, img, "bad", shift_px=shift_px)


def _notebook(source: str) -> dict:
    return {"cells": [{"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {},
                       "outputs": [], "source": source}],
            "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.slow
def test_nbval_run_with_the_plugin_catches_a_stale_figure(tmp_path):
    """nbval + the plugin: a notebook whose stored figure is what the code draws passes, a stale one fails."""
    import nbformat
    from nbclient import NotebookClient

    code = ("import matplotlib.pyplot as plt\n"
            "fig, ax = plt.subplots(figsize=(3, 2), dpi=80)\nax.plot([0, 1], [0, 1])\nplt.show()")
    nb = nbformat.from_dict(_notebook(code))
    NotebookClient(nb, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert fr.png_outputs(nb.cells[0].outputs), "the cell drew no image"
    (tmp_path / "fresh_ok.ipynb").write_text(nbformat.writes(nb))
    stale = json.loads(nbformat.writes(nb))
    for out in stale["cells"][0]["outputs"]:
        if "image/png" in out.get("data", {}):
            from PIL import Image

            img = fr.decode_png(out["data"]["image/png"]).copy()
            img[60:70, 100:110, :3] = 0                     # a small black square the code does not draw
            buf = io.BytesIO()
            Image.fromarray(img).save(buf, format="png")
            out["data"]["image/png"] = base64.b64encode(buf.getvalue()).decode()
    (tmp_path / "stale.ipynb").write_text(json.dumps(stale))

    artifacts = tmp_path / "artifacts"
    env = {**os.environ, "PYTHONPATH": str(TESTS), "FIGURE_ARTIFACTS": str(artifacts)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:xdist", "-p", "no:cacheprovider", "-p", "figure_regression",
         "--nbval", "--nbval-current-env", "-q", "-c", os.devnull, "--rootdir", str(tmp_path),
         "fresh_ok.ipynb", "stale.ipynb"],
        cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    out = proc.stdout + proc.stderr
    assert "1 failed, 1 passed" in out, out
    assert "stale.ipynb" in out and "RMS pixel difference" in out, out
    assert sorted(p.name.rsplit("-", 1)[1] for p in artifacts.iterdir()) == ["diff.png", "fresh.png", "stored.png"]
