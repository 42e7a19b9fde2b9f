"""The strict site build, and what can be checked in its HTML without a browser.

One build per test run (the ``site_build`` fixture in conftest.py, shared with test_browser.py):
``jupyter-book build . -W -n --keep-going`` must report zero warnings, serve MathJax from the build, load no
script, stylesheet, font or image from another host, and give notebook pages their launch, download,
repository and issue buttons.
"""
from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import chapter_files, strip_suffix, toc_files

pytestmark = pytest.mark.slow

REPO_URL = "https://github.com/rnn-course/rnn-variants"
SETUP_CELL_MARKER = "Setup for Colab/Binder"


def page_html(site_build, docname: str) -> Path:
    return site_build.html / f"{strip_suffix(docname)}.html"


def notebook_docs(site_build) -> list[str]:
    return [d for d in toc_files(site_build.root) if (site_build.root / f"{strip_suffix(d)}.ipynb").exists()]


@functools.lru_cache(maxsize=None)
def soup(path: Path) -> BeautifulSoup:
    """Parsed once per test run (the API page is large; the tests read several pages more than once)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_build_has_zero_warnings(site_build):
    warnings = "\n".join(site_build.warnings())
    assert site_build.returncode == 0, f"jupyter-book build failed:\n{warnings or site_build.log[-3000:]}"
    assert "build succeeded" in site_build.log
    assert warnings == ""


def test_every_toc_page_is_built(site_build):
    missing = [d for d in toc_files(site_build.root) if not page_html(site_build, d).exists()]
    assert missing == []
    assert (site_build.html / "search.html").exists()
    assert (site_build.html / "searchindex.js").exists()


def test_mathjax_is_served_from_the_site(site_build):
    mathjax = site_build.html / "_static" / "mathjax"
    assert (mathjax / "tex-chtml.js").stat().st_size > 100_000
    fonts = list((mathjax / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) > 10, "MathJax's CHTML fonts must be in the build too"
    pages_with_math = 0
    for doc in toc_files(site_build.root):
        page = soup(page_html(site_build, doc))
        if not page.select("article .math"):
            continue  # Sphinx adds MathJax only to the pages that have math
        pages_with_math += 1
        scripts = [s.get("src", "") for s in page.find_all("script")]
        assert any(src.endswith("_static/mathjax/tex-chtml.js") for src in scripts), doc
    assert pages_with_math >= 1


def _external(url: str) -> bool:
    return bool(re.match(r"^(https?:)?//", url.strip()))


def test_no_asset_is_loaded_from_another_host(site_build):
    """Scripts, stylesheets, fonts, icons and images all come from the build (links to other sites are fine)."""
    offenders = []
    for path in sorted(site_build.html.rglob("*.html")):
        page = soup(path)
        for tag in page.find_all(["script", "img", "iframe", "source", "video", "audio", "embed"]):
            if _external(tag.get("src", "")):
                offenders.append(f"{path.name}: <{tag.name} src={tag['src']}>")
        for tag in page.find_all("link"):
            if _external(tag.get("href", "")) and set(tag.get("rel", [])) & {
                "stylesheet", "preload", "icon", "modulepreload", "prefetch", "manifest", "shortcut",
            }:
                offenders.append(f"{path.name}: <link rel={tag['rel']} href={tag['href']}>")
    for css in site_build.html.rglob("*.css"):
        for url in re.findall(r"@import\s+(?:url\()?['\"]?([^'\")\s;]+)", css.read_text(errors="replace")):
            if _external(url):
                offenders.append(f"{css.name}: @import {url}")
        for url in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.read_text(errors="replace")):
            if _external(url) and not url.startswith("http://www.w3.org/"):
                offenders.append(f"{css.name}: url({url})")
    assert offenders == []


def test_notebook_pages_have_launch_download_and_repository_buttons(site_build):
    docs = notebook_docs(site_build)
    if not docs:
        pytest.skip("no notebook in the table of contents yet")
    for doc in docs:
        nb_path = f"{strip_suffix(doc)}.ipynb"
        hrefs = [a.get("href", "") for a in soup(page_html(site_build, doc)).find_all("a")]
        expected = [
            f"https://colab.research.google.com/github/rnn-course/rnn-variants/blob/main/{nb_path}",
            f"https://mybinder.org/v2/gh/rnn-course/rnn-variants/main?urlpath=lab/tree/{nb_path}",  # JupyterLab
            REPO_URL,
        ]
        for url in expected:
            assert url in hrefs, f"{doc}: no button linking to {url}"
        assert any(h.startswith(f"{REPO_URL}/issues/new") for h in hrefs), f"{doc}: no issue button"
        download = [h for h in hrefs if h.endswith(f"_sources/{nb_path}")]
        assert download, f"{doc}: no .ipynb download button"
        assert (page_html(site_build, doc).parent / download[0]).resolve().exists()


def test_colab_setup_cell_is_hidden_on_the_site_but_kept_in_the_download(site_build):
    docs = notebook_docs(site_build)
    if not docs:
        pytest.skip("no notebook in the table of contents yet")
    for doc in docs:
        nb_path = f"{strip_suffix(doc)}.ipynb"
        nb = json.loads((site_build.html / "_sources" / nb_path).read_text(encoding="utf-8"))
        first = nb["cells"][0]
        assert first["cell_type"] == "code" and SETUP_CELL_MARKER in "".join(first["source"]), doc
        assert "remove-cell" in first.get("metadata", {}).get("tags", []), doc
        assert SETUP_CELL_MARKER not in page_html(site_build, doc).read_text(encoding="utf-8"), doc


def test_api_reference_documents_companion(site_build):
    """Every page under book/api/ documents the module it names, with its members; the index links them all."""
    pages = sorted((site_build.root / "book" / "api").rglob("*.md"))
    modules = {}
    for md in pages:
        found = re.findall(r"^\.\. companion-module:: (\S+)", md.read_text(encoding="utf-8"), flags=re.M)
        if found:
            modules[found[0]] = site_build.html / md.relative_to(site_build.root).with_suffix(".html")
    assert "companion.activations" in modules
    index = soup(site_build.html / "book" / "api" / "index.html")
    index_links = {a.get("href", "").split("#")[0] for a in index.select("article a.reference.internal")}
    for module, html in modules.items():
        ids = {tag.get("id") for tag in soup(html).find_all(id=True)}
        assert f"module-{module}" in ids, f"{module}: {html.name} does not document it"
        if importlib.import_module(module).__dict__.get("__all__"):  # a package may only hold modules
            assert any(i and i.startswith(module + ".") for i in ids), f"{module}: no member documented"
        assert html.relative_to(site_build.html / "book" / "api").as_posix() in index_links, f"index misses {module}"
    assert "companion.activations.sigmoid" in {t.get("id") for t in soup(modules["companion.activations"]).find_all(id=True)}


def chapter_docs(site_build) -> list[str]:
    return chapter_files(site_build.root)


def test_exercises_are_numbered_per_chapter_and_every_reference_resolves(site_build):
    """Chapter N's exercises are "Exercise N.1", "N.2", ... in order; every link to an exercise (a solution's
    title, a {ref}/{numref} in the text) lands on an exercise of the page it names and says its number; a code
    comment that names an exercise ("# Exercise 5.4: ...") names one of its own chapter that exists."""
    chapters = chapter_docs(site_build)
    assert len(chapters) >= 5
    numbers = {}  # (html path, id) -> "N.k"
    for n, doc in enumerate(chapters, start=1):
        page = soup(page_html(site_build, doc))
        labels = [(div["id"], div.select_one(".admonition-title .caption-number").get_text(strip=True))
                  for div in page.select("article div.exercise.admonition")]
        assert labels, f"{doc} has no exercise"
        assert [label for _, label in labels] == [f"Exercise {n}.{k}" for k in range(1, len(labels) + 1)], doc
        numbers.update({(page_html(site_build, doc).resolve(), i): label.split()[-1] for i, label in labels})
        nb = json.loads((site_build.root / f"{doc}.ipynb").read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        for named in re.findall(r"#.*?\bExercise (\d+(?:\.\d+)?)", code):
            assert named in {label.split()[-1] for _, label in labels}, f"{doc}: a code comment names Exercise {named}"
    checked = 0
    for path in sorted(site_build.html.rglob("*.html")):
        for a in soup(path).select("article a[href*='#']"):
            href = a["href"]
            target = (path.parent / href.split("#")[0]).resolve() if not href.startswith("#") else path.resolve()
            key = (target, href.split("#", 1)[1])
            text = a.get_text(" ", strip=True)
            if key in numbers:
                checked += 1
                assert text.endswith(f"Exercise {numbers[key]}"), f"{path.name}: link {href} says {text!r}"
            elif re.search(r"\bExercise\b", text):
                raise AssertionError(f"{path.name}: {text!r} links to {href}, which is not an exercise")
    assert checked >= len(numbers), "every exercise is linked at least from its solution"


def test_no_output_shows_a_raw_markdown_table(site_build):
    """A table a cell prints as Markdown renders as a table (nb_render_markdown_format: myst), never as
    ``| a | b |`` / ``|---|`` text; each chapter that prints one has a rendered table in its outputs."""
    raw = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", flags=re.M)
    for doc in chapter_docs(site_build):
        page = soup(page_html(site_build, doc))
        for out in page.select("article .cell_output"):
            assert not raw.search(out.get_text("\n")), f"{doc}: raw Markdown table in an output"
        nb = json.loads((site_build.root / f"{doc}.ipynb").read_text(encoding="utf-8"))
        markdown_tables = sum(
            "|---" in "".join(o.get("data", {}).get("text/markdown", "")).replace(" ", "")
            for c in nb["cells"] for o in c.get("outputs", [])
        )
        assert len(page.select("article .cell_output table")) >= markdown_tables, doc


def test_search_scorer_ranks_the_chapters_first(site_build):
    scorer = (site_build.html / "_static" / "course_search.js").read_text(encoding="utf-8")
    listed = json.loads(re.search(r"new Set\((\[.*?\])\)", scorer).group(1))
    assert listed == chapter_docs(site_build)
    page = soup(page_html(site_build, chapter_docs(site_build)[0]))
    scripts = [s.get("src", "") for s in page.find_all("script")]
    order = [i for i, src in enumerate(scripts) if "course_search.js" in src or "searchtools.js" in src]
    assert len(order) == 2 and "course_search.js" in scripts[order[0]], "course_search.js must come first"


def test_pages_have_a_favicon(site_build):
    for doc in toc_files(site_build.root):
        icons = soup(page_html(site_build, doc)).select("link[rel~=icon]")
        assert icons, doc
        assert (page_html(site_build, doc).parent / icons[0]["href"]).resolve().exists(), doc


def test_reference_list_is_author_year_and_no_page_shows_authoring_notes(site_build):
    """Entries are labelled as the text cites them ("Elman, 1990", not "[Elm90]"); the glossary and reference
    pages do not show MyST syntax meant for authors."""
    refs = soup(site_build.html / "book" / "references.html")
    labels = [span.get_text(strip=True).strip("[]") for span in refs.select("article div.citation span.label")]
    assert len(labels) >= 10
    odd = [label for label in labels if not re.search(r"\D, (\d{4}[a-z]?|n\.d\.)$", label) or "{" in label]
    assert odd == [], "labels that are not 'Author(s), year'"
    for doc in toc_files(site_build.root):
        text = soup(page_html(site_build, doc)).select_one("article").get_text(" ")
        assert "{term}" not in text and "{cite}" not in text, f"{doc} shows MyST syntax"
