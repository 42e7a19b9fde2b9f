"""The chapters' figures as a reader sees them: sharp on high-DPI screens, and plots laid out for a phone.

These tests read the figures stored in the chapters of both editions (``book/*.ipynb``, ``zh/book/*.ipynb``);
nothing is executed (nbval and tests/figure_regression.py prove that a fresh run draws the same figures).

* **Sharp**: each chapter's imports cell sets ``%config InlineBackend.figure_formats = ["retina"]``, so every
  figure is stored with twice the pixels of its displayed size, and the displayed size (CSS pixels, what it
  was at 100 dpi) is stored beside it (``width``/``height`` output metadata, which MyST-NB writes on the
  ``<img>``). A 2x screen shows it pixel for pixel; a 3x phone, which shows a plot at half its size or less
  (below), has more than enough pixels too.
* **Readable on a phone**: a plot (a figure with axes and tick labels, drawn by ``companion.plots`` or by a
  chapter's own ``plt.subplots``) is at most :data:`MAX_PLOT_WIDTH` CSS pixels wide. On a 390 px phone a
  figure is shown 342 px wide (measured in Chromium), so a plot shows at 342/680 = 50 % of its size or more
  (52-53 % for today's plots, 651-671 px), and its tick labels (9-10 pt, 12.5-13.9 px at 100 dpi) are shown
  at a font size of 6.3 px or more (7.3 px for the 10 pt labels of the 651 px plots), as on the single-panel plots
  (6.4 in wide) every chapter had already; before, the two-panel plots showed theirs at 4.2-5.0 px. Multi-panel plots are stacked in one column
  to get there (``plot_error_by_position``, ``plot_gate_opening``, ``plot_gradient_flow``, the training curves
  of ``elman_jordan``), heatmaps take 0.28 in per time step. The diagrams of ``companion.diagrams`` (``draw_*``,
  no tick labels) are not held to this width: they open full size when tapped (tests/test_browser.py).
"""
from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from conftest import REPO_ROOT, chapter_files

#: The widest a plot may be, in CSS pixels (its width at 100 dpi): see the module docstring.
MAX_PLOT_WIDTH = 680
RETINA = '%config InlineBackend.figure_formats = ["retina"]'

CHAPTERS = [REPO_ROOT / f"{doc}.ipynb" for doc in chapter_files(REPO_ROOT)]
NOTEBOOKS = [p for chapter in CHAPTERS for p in (chapter, REPO_ROOT / "zh" / chapter.relative_to(REPO_ROOT))
             if p.exists()]


def _figures(path: Path):
    """(cell index, cell source, PNG size in pixels, displayed size in CSS pixels or None) of every stored figure."""
    nb = nbformat.read(path, as_version=4)
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            png = out.get("data", {}).get("image/png")
            if png is None:
                continue
            with Image.open(io.BytesIO(base64.b64decode(png))) as img:
                size = img.size
            shown = out.get("metadata", {}).get("image/png", {})
            yield index, cell.source, size, (shown["width"], shown["height"]) if "width" in shown else None


def _figure_cells():
    """(notebook, cell index, the cell's ``mystnb`` metadata) of every code cell that draws a figure, both
    editions."""
    for path in NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code" and any("image/png" in o.get("data", {}) for o in cell.outputs):
                yield path, index, cell.metadata.get("mystnb", {})


def _name(path: Path) -> str:
    return str(path.relative_to(REPO_ROOT))


def test_every_chapter_of_both_editions_is_checked():
    assert CHAPTERS and len(NOTEBOOKS) == 2 * len(CHAPTERS), "every chapter and its Chinese twin"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_figures_are_stored_with_twice_the_pixels_of_their_displayed_size(path):
    nb = nbformat.read(path, as_version=4)
    imports = [c for c in nb.cells if c.cell_type == "code" and "import matplotlib.pyplot as plt" in c.source]
    assert imports and RETINA in imports[0].source, f"{_name(path)}: the imports cell must set {RETINA}"
    figures = list(_figures(path))
    assert figures, f"{_name(path)} stores no figure"
    for index, _, (w, h), shown in figures:
        assert shown is not None, f"{_name(path)} cell {index}: no displayed size stored (not a retina figure)"
        assert (w // 2, h // 2) == shown, f"{_name(path)} cell {index}: {w}x{h} px stored for {shown} shown"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_name)
def test_plots_are_narrow_enough_for_a_phone(path):
    too_wide = [(index, shown[0]) for index, source, _, shown in _figures(path)
                if not re.search(r"\bdraw_\w+\(", source) and shown and shown[0] > MAX_PLOT_WIDTH]
    assert not too_wide, (f"{_name(path)}: plots wider than {MAX_PLOT_WIDTH} CSS px (cell, width): {too_wide}; "
                          f"stack the panels or narrow the figure")


def test_every_figure_a_chapter_draws_has_a_label_and_a_caption():
    """Each cell that draws a figure names it and captions it in its metadata (``mystnb: figure: {name,
    caption}``; MyST-NB makes the output a numbered figure, tests/test_site_build.py checks the built pages);
    the names are ``fig-...`` and unique in the book, so that ``{numref}`fig-...``` finds one figure."""
    names = []
    for path, index, mystnb in _figure_cells():
        figure = mystnb.get("figure", {})
        assert figure.get("name", "").startswith("fig-") and figure.get("caption"), (
            f"{_name(path)} cell {index}: a figure cell needs mystnb: figure: name: fig-..., caption: ...")
        if "zh" not in path.relative_to(REPO_ROOT).parts:
            names.append(figure["name"])
    assert len(names) == len(set(names)), f"figure names used twice: {sorted(n for n in names if names.count(n) > 1)}"


def test_every_figure_a_chapter_draws_has_a_text_alternative():
    """Each figure cell gives its image a text alternative, what a screen reader says in its place (``mystnb:
    image: alt``; without it the page's alt text is the image's file name). It describes what the figure shows,
    which the caption does not: so it is not the caption, and it is plain text (a screen reader would spell out
    TeX and MyST markup). tools/editions.py checks that the Chinese ones are translated."""
    for path, index, mystnb in _figure_cells():
        alt = mystnb.get("image", {}).get("alt", "")
        where = f"{_name(path)} cell {index}"
        assert len(alt) >= 60, f"{where}: a figure cell needs mystnb: image: alt: a description of the figure"
        assert not re.search(r"[$`{}\\]|\n", alt), f"{where}: the alt text must be plain text: {alt!r}"
        assert alt != mystnb.get("figure", {}).get("caption"), f"{where}: the alt text repeats the caption"
