"""The strict site build, and what can be checked in its HTML without a browser.

One build per test run (the ``site_build`` fixture in conftest.py, shared with test_browser.py):
``jupyter-book build . -W -n --keep-going`` must report zero warnings, serve MathJax from the build, load no
script, stylesheet, font or image from another host, and give notebook pages their launch, download,
repository and issue buttons.
"""
from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from conftest import strip_suffix, toc_files

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
            f"https://mybinder.org/v2/gh/rnn-course/rnn-variants/main?urlpath=tree/{nb_path}",
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
    page = soup(site_build.html / "book" / "api.html")
    ids = {tag.get("id") for tag in page.find_all(id=True)}
    api_md = (site_build.root / "book" / "api.md").read_text(encoding="utf-8")
    modules = re.findall(r"^\.\. companion-module:: (\S+)", api_md, flags=re.M)
    assert "companion.activations" in modules
    for module in modules:
        assert f"module-{module}" in ids, f"{module} is listed in api.md but not documented"
        assert any(i and i.startswith(module + ".") for i in ids), f"{module}: no member documented"
    assert "companion.activations.sigmoid" in ids
