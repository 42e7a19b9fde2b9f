"""Figures are outputs too: a fresh run of a chapter must draw the figures stored in it.

nbval compares the text outputs of every code cell of the chapters of both editions (``book/*.ipynb`` and the
Chinese ``zh/book/*.ipynb``, whose figures have Chinese labels) but skips images. This pytest plugin
(loaded by the repository's root ``conftest.py``, so it is active for ``make test`` and for
``pytest book/x.ipynb`` alike) reuses nbval's own run: after nbval has executed a cell and accepted its text,
it compares every ``image/png`` output of the fresh run with the stored one, in order, pixel by pixel.
No notebook is executed twice. An image whose PNG bytes are those stored is not decoded (identical bytes draw
identical pixels); only one that differs is compared pixel by pixel, which the 2x ("retina") figures of the
chapters make about three times as slow.

A figure fails when

* the cell drew a different number of images than it stored, or
* an image changed size (width x height in pixels), or
* the root-mean-square difference of the RGBA pixels (0-255 scale) exceeds :data:`RMS_TOLERANCE`, or
* more than :data:`MAX_CHANGED_PIXELS` pixels changed by more than :data:`CHANGED_LEVEL` in some channel (a few
  changed digits in a label move the RMS of a large figure only a little, but they change dozens of pixels
  completely).

A figure that plots what training computed may opt in to a small tolerance of *position*: the cell's metadata
``"figure_regression": {"shift_px": k}`` (k at most :data:`MAX_SHIFT_PX`; both editions' twins set the same)
compares each pixel of either image with the range of values the other image takes within k pixels of it, so
that a line drawn up to k pixels away from where it was stored still matches, while a line, mark or glyph that
is new, gone or moved farther does not (:func:`pixel_difference`). Training is where rounding shows: a network's
errors can differ in their third digit between machines (another BLAS kernel, another numpy SIMD path, both
rounding the last bit differently), which moves a curve by a pixel or two and nothing else. A cell that opts in
says why in its metadata (``"why"``).

On failure the stored image, the fresh one and an amplified difference image are written to
``test-artifacts/figures/`` (git-ignored) and named in the error. To accept a deliberate change, re-execute the
notebook and commit it (README, "Numbers and figures on the page").

The same comparison serves the baseline images of ``companion``'s diagrams and plots
(``tests/test_figure_baselines.py``).
"""
from __future__ import annotations

import base64
import io
import os
import re
from pathlib import Path

import numpy as np
import pytest

#: Largest accepted RMS difference between a stored and a fresh image, on the 0-255 scale of each RGBA
#: channel. A fresh run on the same pinned matplotlib draws identical pixels (RMS 0); the margin allows for
#: anti-aliasing differences of a few pixels, while a moved line, a changed number in a label or a new colour
#: exceeds it (tests/test_figure_regression.py measures both).
RMS_TOLERANCE = 1.0
#: A pixel counts as changed when one of its channels moved by more than this (0-255 scale) ...
CHANGED_LEVEL = 64
#: ... and a figure fails when more than this many pixels changed.
MAX_CHANGED_PIXELS = 8

#: The largest ``shift_px`` a cell may ask for (see the module docstring).
MAX_SHIFT_PX = 3

#: Where the images of a failed comparison go (``$FIGURE_ARTIFACTS`` overrides it).
ARTIFACTS = Path(os.environ.get("FIGURE_ARTIFACTS") or Path(__file__).resolve().parents[1] / "test-artifacts" / "figures")


class FigureMismatch(AssertionError):
    """A fresh figure differs from the stored one."""


def decode_png(data) -> np.ndarray:
    """A PNG (bytes, or the base64 text a notebook stores) as a (rows, cols, 4) uint8 RGBA array."""
    from PIL import Image

    if isinstance(data, list):  # nbformat may store multi-line strings as lists
        data = "".join(data)
    raw = base64.b64decode(data) if isinstance(data, str) else bytes(data)
    with Image.open(io.BytesIO(raw)) as img:
        return np.asarray(img.convert("RGBA"), dtype=np.uint8)


def pixel_difference(stored: np.ndarray, fresh: np.ndarray, shift_px: int = 0) -> np.ndarray:
    """Per pixel and channel (int16, 0-255 scale), how far each image lies outside what the other shows within
    ``shift_px`` pixels; with ``shift_px`` = 0 that is ``|stored - fresh|``.

    For every pixel of ``fresh``, the range (minimum to maximum, per channel) that ``stored`` takes in the square of
    side ``2 shift_px + 1`` around it; the excess is how far the fresh value lies outside that range (0 inside), and
    the same with the images' roles swapped; the result is the larger of the two. A line moved by at most
    ``shift_px`` pixels has no excess; a line, mark or glyph with no counterpart within ``shift_px`` pixels keeps
    its full contrast.
    """
    def ranges(img):
        if not shift_px:
            return img, img
        padded = np.pad(img, ((shift_px, shift_px), (shift_px, shift_px), (0, 0)), mode="edge")
        lo, hi = img.copy(), img.copy()
        rows, cols = img.shape[:2]
        for dy in range(2 * shift_px + 1):
            for dx in range(2 * shift_px + 1):
                window = padded[dy:dy + rows, dx:dx + cols]
                np.minimum(lo, window, out=lo)
                np.maximum(hi, window, out=hi)
        return lo, hi

    s, f = stored.astype(np.int16), fresh.astype(np.int16)
    (s_lo, s_hi), (f_lo, f_hi) = ranges(s), ranges(f)
    fresh_out = np.maximum(np.maximum(f - s_hi, s_lo - f), 0)
    stored_out = np.maximum(np.maximum(s - f_hi, f_lo - s), 0)
    return np.maximum(fresh_out, stored_out)


def changed_pixels(difference: np.ndarray, level: int = CHANGED_LEVEL) -> int:
    """How many pixels of a :func:`pixel_difference` differ by more than ``level`` in some channel."""
    return int(np.count_nonzero(difference.max(axis=2) > level))


def rms_difference(difference: np.ndarray) -> float:
    """Root-mean-square of a :func:`pixel_difference`, on the 0-255 scale."""
    return float(np.sqrt(np.mean(difference.astype(np.float64) ** 2)))


def _save(name: str, stored: np.ndarray, fresh: np.ndarray | None) -> list[Path]:
    from PIL import Image

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    paths = [ARTIFACTS / f"{name}-stored.png"]
    Image.fromarray(stored).save(paths[0])
    if fresh is not None:
        paths.append(ARTIFACTS / f"{name}-fresh.png")
        Image.fromarray(fresh).save(paths[1])
        if fresh.shape == stored.shape:
            # the absolute difference, amplified tenfold so that small changes are visible, on white
            diff = np.abs(stored.astype(np.int16) - fresh.astype(np.int16))[..., :3].max(axis=2)
            img = 255 - np.clip(diff * 10, 0, 255).astype(np.uint8)
            paths.append(ARTIFACTS / f"{name}-diff.png")
            Image.fromarray(img).save(paths[2])
    return paths


def compare_images(stored: np.ndarray, fresh: np.ndarray, name: str, tolerance: float = RMS_TOLERANCE,
                   shift_px: int = 0) -> float:
    """Raise :class:`FigureMismatch` (saving the images under ``name``) unless ``fresh`` draws ``stored``.

    With ``shift_px`` > 0 a pixel's difference is how far it lies outside what the other image shows within
    ``shift_px`` pixels (:func:`pixel_difference`: a cell's opt-in tolerance of position, see the module docstring). Returns the RMS difference when the images match.
    """
    if isinstance(shift_px, bool) or not isinstance(shift_px, int) or not 0 <= shift_px <= MAX_SHIFT_PX:
        raise ValueError(f"shift_px must be an int in [0, {MAX_SHIFT_PX}]; got {shift_px!r}")
    if stored.shape != fresh.shape:
        paths = _save(name, stored, fresh)
        raise FigureMismatch(
            f"{name}: the figure changed size: stored {stored.shape[1]}x{stored.shape[0]} px, "
            f"fresh run {fresh.shape[1]}x{fresh.shape[0]} px (saved: {', '.join(map(str, paths))})")
    difference = pixel_difference(stored, fresh, shift_px)
    rms, changed = rms_difference(difference), changed_pixels(difference)
    if rms > tolerance or changed > MAX_CHANGED_PIXELS:
        paths = _save(name, stored, fresh)
        allowed = f", lines allowed to move by {shift_px} px" if shift_px else ""
        raise FigureMismatch(
            f"{name}: the fresh figure differs from the stored one: RMS pixel difference {rms:.2f} "
            f"(tolerance {tolerance}{allowed}), {changed} pixels changed by more than {CHANGED_LEVEL} (at most "
            f"{MAX_CHANGED_PIXELS} allowed) (saved: {', '.join(map(str, paths))})")
    return rms


def png_outputs(outputs) -> list:
    """The ``image/png`` payloads of a cell's outputs, in order."""
    found = []
    for out in outputs or []:
        data = out.get("data") if hasattr(out, "get") else None
        if data and "image/png" in data:
            found.append(data["image/png"])
    return found


def compare_cell_figures(stored_outputs, fresh_outputs, name: str, shift_px: int = 0) -> int:
    """Compare the images a cell stored with those a fresh run drew; return how many were compared."""
    stored, fresh = png_outputs(stored_outputs), png_outputs(fresh_outputs)
    if len(stored) != len(fresh):
        raise FigureMismatch(f"{name}: the cell stored {len(stored)} image(s) but the fresh run drew {len(fresh)}")
    for k, (s, f) in enumerate(zip(stored, fresh)):
        if _text(s) == _text(f):
            continue  # the same PNG bytes draw the same pixels (the usual case: same pinned matplotlib)
        compare_images(decode_png(s), decode_png(f), f"{name}-{k}", shift_px=shift_px)
    return len(stored)


def _text(data) -> str:
    """A PNG payload as one base64 string (nbformat may store it as a list of lines)."""
    return "".join(data) if isinstance(data, list) else data if isinstance(data, str) else base64.b64encode(
        bytes(data)).decode()


def _cell_name(item) -> str:
    path = Path(str(item.fspath))
    edition = "zh-" if "zh" in path.parts else ""  # the twins share their file names
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{edition}{path.stem}-{item.name}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After nbval ran a cell and accepted its text outputs, compare its images with the stored ones."""
    result = yield
    cell = getattr(item, "cell", None)
    fresh = getattr(item, "test_outputs", None)
    if cell is not None and fresh is not None and type(item).__name__ == "IPyNbCell":
        # the cells nbval compares: checked, not skipped, stored executed
        if item.options.get("check", True) and not item.options.get("skip") and cell.get("execution_count"):
            shift_px = cell.get("metadata", {}).get("figure_regression", {}).get("shift_px", 0)
            compare_cell_figures(cell.get("outputs", []), fresh, _cell_name(item), shift_px=shift_px)
    return result
