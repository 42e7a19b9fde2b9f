"""The strict site build, and what can be checked in its HTML without a browser.

One build of both editions per test run (the ``site_builds`` fixture in conftest.py, shared with
test_browser.py; English at the root of the site, Chinese in zh/): ``jupyter-book build -W -n --keep-going``
of each must report zero warnings, serve MathJax from the build, load no script, stylesheet, font or image from
another host, and give notebook pages their launch, download, repository and issue buttons. Every page of
each edition links to its twin in the other edition, and the Chinese pages are Chinese (``lang="zh-CN"``,
the themes' Chinese interface strings, a search index that knows the course's Chinese terms). Every figure a
chapter draws is numbered per chapter and captioned ("Figure 4.1: ...", "图 4.1：...").
"""
from __future__ import annotations

import functools
import importlib
import json
import re
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup

from conftest import REPO_ROOT, book_root, build_site, chapter_files, editions, strip_suffix, toc_files

pytestmark = pytest.mark.slow

REPO_URL = "https://github.com/rnn-course/rnn-variants"
SETUP_CELL_MARKER = "Setup for Colab/Binder"
EDITIONS = editions()
OTHER = {"en": "zh", "zh": "en"}
HTML_LANG = {"en": "en", "zh": "zh-CN"}
EXERCISE = {"en": "Exercise", "zh": "练习"}
FIGURE = {"en": ("Figure ", ": "), "zh": ("图 ", "：")}  # "Figure 4.1: caption", "图 4.1：图注"


def page_html(site_build, docname: str) -> Path:
    return site_build.html / f"{strip_suffix(docname)}.html"


def notebook_docs(site_build) -> list[str]:
    return [d for d in toc_files(site_build.root) if (site_build.root / f"{strip_suffix(d)}.ipynb").exists()]


def all_pages(site_build) -> list[str]:
    """The documents of the table of contents and the pages Sphinx adds (search, index), without suffix."""
    return [strip_suffix(d) for d in toc_files(site_build.root)] + ["search", "genindex"]


@functools.lru_cache(maxsize=None)
def soup(path: Path) -> BeautifulSoup:
    """Parsed once per test run (the API page is large; the tests read several pages more than once)."""
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_both_editions_are_built():
    assert EDITIONS == ["en", "zh"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_build_has_zero_warnings(site_builds, edition):
    site_build = site_builds[edition]
    warnings = "\n".join(site_build.warnings())
    assert site_build.returncode == 0, f"jupyter-book build failed:\n{warnings or site_build.log[-3000:]}"
    assert "build succeeded" in site_build.log
    assert warnings == ""


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_toc_page_is_built(site_builds, edition):
    site_build = site_builds[edition]
    missing = [d for d in toc_files(site_build.root) if not page_html(site_build, d).exists()]
    assert missing == []
    assert (site_build.html / "search.html").exists()
    assert (site_build.html / "searchindex.js").exists()


@pytest.mark.parametrize("edition", EDITIONS)
def test_mathjax_is_served_from_the_site(site_builds, edition):
    site_build = site_builds[edition]
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


def _notebook_pages(site_builds):
    """(edition build, docname, the notebook's path in the repository) of every notebook page of both editions."""
    pages = []
    for edition, site_build in site_builds.items():
        prefix = build_site.EDITIONS[edition][0].strip(".").strip("/")
        for doc in notebook_docs(site_build):
            pages.append((site_build, doc, f"{prefix + '/' if prefix else ''}{strip_suffix(doc)}.ipynb"))
    if not pages:
        pytest.skip("no notebook in the table of contents yet")
    return pages


def test_notebook_pages_have_launch_download_and_repository_buttons(site_builds):
    for site_build, doc, repo_path in _notebook_pages(site_builds):
        nb_path = f"{strip_suffix(doc)}.ipynb"
        hrefs = [a.get("href", "") for a in soup(page_html(site_build, doc)).find_all("a")]
        expected = [
            f"https://colab.research.google.com/github/rnn-course/rnn-variants/blob/main/{repo_path}",
            f"https://mybinder.org/v2/gh/rnn-course/rnn-variants/main?urlpath=lab/tree/{repo_path}",  # JupyterLab
            REPO_URL,
        ]
        for url in expected:
            assert url in hrefs, f"{doc}: no button linking to {url}"
        assert any(h.startswith(f"{REPO_URL}/issues/new") for h in hrefs), f"{doc}: no issue button"
        download = [h for h in hrefs if h.endswith(f"_sources/{nb_path}")]
        assert download, f"{doc}: no .ipynb download button"
        assert (page_html(site_build, doc).parent / download[0]).resolve().exists()


def test_colab_setup_cell_is_hidden_on_the_site_but_kept_in_the_download(site_builds):
    for site_build, doc, _ in _notebook_pages(site_builds):
        nb_path = f"{strip_suffix(doc)}.ipynb"
        nb = json.loads((site_build.html / "_sources" / nb_path).read_text(encoding="utf-8"))
        first = nb["cells"][0]
        assert first["cell_type"] == "code" and SETUP_CELL_MARKER in "".join(first["source"]), doc
        assert "remove-cell" in first.get("metadata", {}).get("tags", []), doc
        assert SETUP_CELL_MARKER not in page_html(site_build, doc).read_text(encoding="utf-8"), doc


def test_setup_cells_are_one_and_the_same_and_install_from_the_configured_repository():
    """Every notebook of both editions starts with the same Colab/Binder setup cell (hidden on the site), which
    installs companion from the repository of _config.yml (a build for Pages pins the downloadable copies to
    the repository and commit it is built from: test_buttons_follow_the_repository_...)."""
    repository = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))["repository"]["url"]
    cells = {}
    for edition in EDITIONS:
        root = REPO_ROOT / build_site.EDITIONS[edition][0]
        for doc in toc_files(root):
            path = root / f"{strip_suffix(doc)}.ipynb"
            if path.exists():
                first = json.loads(path.read_text(encoding="utf-8"))["cells"][0]
                cells[path.relative_to(REPO_ROOT).as_posix()] = "".join(first["source"])
                assert "remove-cell" in first.get("metadata", {}).get("tags", []), path
    assert len(cells) >= 5
    assert len(set(cells.values())) == 1, "the setup cells differ"
    setup = next(iter(cells.values()))
    assert SETUP_CELL_MARKER in setup
    assert f'"companion @ git+{repository}"' in setup


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


@pytest.mark.parametrize("edition", EDITIONS)
def test_exercises_are_numbered_per_chapter_and_every_reference_resolves(site_builds, edition):
    """Chapter N's exercises are "Exercise N.1", "N.2", ... in order ("练习 N.1" in Chinese, where chapter N is
    the English chapter N even while some chapters are not translated yet); every link to an exercise (a
    solution's title, a {ref}/{numref} in the text) lands on an exercise of the page it names and says its
    number; a code comment that names an exercise ("# Exercise 5.4: ...") names one of its own chapter that
    exists."""
    site_build = site_builds[edition]
    word = EXERCISE[edition]
    english = chapter_files(book_root())
    chapters = chapter_docs(site_build)
    assert len(chapters) >= (5 if edition == "en" else 0)
    numbers = {}  # (html path, id) -> "N.k"
    for doc in chapters:
        n = english.index(doc) + 1
        page = soup(page_html(site_build, doc))
        labels = [(div["id"], div.select_one(".admonition-title .caption-number").get_text(strip=True))
                  for div in page.select("article div.exercise.admonition")]
        assert labels, f"{doc} has no exercise"
        assert [label for _, label in labels] == [f"{word} {n}.{k}" for k in range(1, len(labels) + 1)], doc
        numbers.update({(page_html(site_build, doc).resolve(), i): label.split()[-1] for i, label in labels})
        nb = json.loads((site_build.root / f"{doc}.ipynb").read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        for named in re.findall(r"#.*?\bExercise (\d+(?:\.\d+)?)", code):
            assert named in {label.split()[-1] for _, label in labels}, f"{doc}: a code comment names Exercise {named}"
    checked = 0
    other = site_build.html / "zh" if edition == "en" else None  # the English site holds the Chinese one
    for path in sorted(site_build.html.rglob("*.html")):
        if other is not None and other in path.parents:
            continue
        for a in soup(path).select("article a[href*='#']"):
            href = a["href"]
            target = (path.parent / href.split("#")[0]).resolve() if not href.startswith("#") else path.resolve()
            key = (target, href.split("#", 1)[1])
            text = a.get_text(" ", strip=True)
            if key in numbers:
                checked += 1
                assert text.endswith(f"{word} {numbers[key]}"), f"{path.name}: link {href} says {text!r}"
            elif re.search(rf"\b{word}\b", text):
                raise AssertionError(f"{path.name}: {text!r} links to {href}, which is not an exercise")
    assert checked >= len(numbers), "every exercise is linked at least from its solution"


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_figure_a_chapter_draws_is_numbered_and_captioned(site_builds, edition):
    """Every image a chapter's cells draw is a numbered figure with a caption: "Figure N.k: ..." in chapter N
    ("图 N.k：..." in Chinese), k = 1, 2, ... in page order. Its id is the label the notebook gives it
    (``mystnb: figure: name``, the same in both editions: tools/editions.py), its image's alt text is the one
    the notebook gives it (``mystnb: image: alt``; without it the alt text is the image's file name), and every
    link to a figure (a {numref} in the text) says its number."""
    site_build = site_builds[edition]
    word, separator = FIGURE[edition]
    english = chapter_files(book_root())
    numbers = {}  # (html path, figure id) -> "N.k"
    for doc in chapter_docs(site_build):
        n = english.index(doc) + 1
        page = soup(page_html(site_build, doc))
        images = page.select("article .cell_output img")
        assert images, f"{doc} draws no figure"
        figures = [img.find_parent("figure") for img in images]
        assert None not in figures, f"{doc}: images drawn by a cell without a figure caption: " + str(
            [img["src"] for img, fig in zip(images, figures) if fig is None])
        for k, figure in enumerate(figures, 1):
            number = figure.select_one("figcaption .caption-number")
            text = figure.select_one("figcaption .caption-text")
            assert number is not None and number.get_text() == f"{word}{n}.{k}{separator}", (
                f"{doc}: figure {k} is numbered {number.get_text() if number else None!r}")
            assert text is not None and len(text.get_text(strip=True)) > 20, f"{doc}: figure {n}.{k} has no caption"
            numbers[(page_html(site_build, doc).resolve(), figure["id"])] = f"{n}.{k}"
        nb = json.loads((site_build.root / f"{doc}.ipynb").read_text(encoding="utf-8"))
        drawn = [c["metadata"]["mystnb"] for c in nb["cells"] if c["cell_type"] == "code"
                 and any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
        labels = [mystnb["figure"]["name"] for mystnb in drawn]
        assert [figure["id"] for figure in figures] == labels, f"{doc}: figure ids are not the notebook's labels"
        alts = [mystnb.get("image", {}).get("alt") for mystnb in drawn]
        assert [img.get("alt") for img in images] == alts, (
            f"{doc}: a figure's alt text on the page is not its notebook's mystnb: image: alt (a screen reader "
            f"would read {[img.get('alt') for img in images if img.get('alt') not in alts][:1]})")
    checked = 0
    other = site_build.html / "zh" if edition == "en" else None  # the English site holds the Chinese one
    for path in sorted(site_build.html.rglob("*.html")):
        if other is not None and other in path.parents:
            continue
        for a in soup(path).select("article a[href*='#']:not(.headerlink)"):  # not the figure's own permalink
            href = a["href"]
            target = (path.parent / href.split("#")[0]).resolve() if not href.startswith("#") else path.resolve()
            key = (target, href.split("#", 1)[1])
            if key in numbers:
                checked += 1
                assert a.get_text(" ", strip=True) == f"{word}{numbers[key]}", f"{path.name}: link {href} says {a.get_text()!r}"
    assert checked >= 2, "the chapters refer to their figures by {numref} (lstm_variants does, twice)"


@pytest.mark.parametrize("edition", EDITIONS)
def test_no_output_shows_a_raw_markdown_table(site_builds, edition):
    """A table a cell prints as Markdown renders as a table (nb_render_markdown_format: myst), never as
    ``| a | b |`` / ``|---|`` text; each chapter that prints one has a rendered table in its outputs."""
    raw = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$", flags=re.M)
    site_build = site_builds[edition]
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


@pytest.mark.parametrize("edition", EDITIONS)
def test_search_scorer_ranks_the_chapters_first(site_builds, edition):
    site_build = site_builds[edition]
    scorer = (site_build.html / "_static" / "course_search.js").read_text(encoding="utf-8")
    listed = json.loads(re.search(r"new Set\((\[.*?\])\)", scorer).group(1))
    assert listed == chapter_docs(site_build)
    page = soup(page_html(site_build, (chapter_docs(site_build) or toc_files(site_build.root))[0]))
    scripts = [s.get("src", "") for s in page.find_all("script")]
    order = [i for i, src in enumerate(scripts) if "course_search.js" in src or "searchtools.js" in src]
    assert len(order) == 2 and "course_search.js" in scripts[order[0]], "course_search.js must come first"


@pytest.mark.parametrize("edition", EDITIONS)
def test_pages_have_a_favicon(site_builds, edition):
    site_build = site_builds[edition]
    for doc in toc_files(site_build.root):
        icons = soup(page_html(site_build, doc)).select("link[rel~=icon]")
        assert icons, doc
        assert (page_html(site_build, doc).parent / icons[0]["href"]).resolve().exists(), doc


@pytest.mark.parametrize("edition", EDITIONS)
def test_root_index_is_a_page_of_its_edition_that_redirects_to_the_first_page(site_builds, edition):
    """A reader who opens the site's (or the Chinese edition's) address lands on the first page; the redirecting
    page has the edition's language and title and declares the icon (without one the browser asks for
    /favicon.ico, a 404, before it follows the redirect)."""
    site_build = site_builds[edition]
    index = site_build.html / "index.html"
    page = soup(index)
    first = strip_suffix(toc_files(site_build.root)[0]) + ".html"
    assert page.find("meta", attrs={"http-equiv": "Refresh"})["content"] == f"0; url={first}"
    assert page.select_one("body a")["href"] == first and (site_build.html / first).exists()
    assert page.html["lang"] == soup(site_build.html / first).html["lang"]
    config = yaml.safe_load((site_build.root / "_config.yml").read_text(encoding="utf-8"))
    assert page.title.get_text() == config["title"]
    icons = page.select("link[rel~=icon]")
    assert icons and (index.parent / icons[0]["href"]).resolve().exists()


@pytest.mark.parametrize("edition", EDITIONS)
def test_reference_list_is_author_year_and_no_page_shows_authoring_notes(site_builds, edition):
    """Entries are labelled as the text cites them ("Elman, 1990", not "[Elm90]"); the glossary and reference
    pages do not show MyST syntax meant for authors."""
    site_build = site_builds[edition]
    listed = site_build
    if edition != "en" and "book/references" not in map(strip_suffix, toc_files(site_build.root)):
        listed = site_builds["en"]  # not translated yet: the citations link to the English list
    refs = soup(listed.html / "book" / "references.html")
    labels = [span.get_text(strip=True).strip("[]") for span in refs.select("article div.citation span.label")]
    assert len(labels) >= 10
    odd = [label for label in labels if not re.search(r"\D, (\d{4}[a-z]?|n\.d\.)$", label) or "{" in label]
    assert odd == [], "labels that are not 'Author(s), year'"
    for doc in toc_files(site_build.root):
        text = soup(page_html(site_build, doc)).select_one("article").get_text(" ")
        assert "{term}" not in text and "{cite}" not in text, f"{doc} shows MyST syntax"


# --- two editions ---------------------------------------------------------------------------------------------

def _twin_link(site_build, page: str):
    """The language switcher's target on a page, resolved to a file (None if the page has no switcher)."""
    html = site_build.html / f"{page}.html"
    links = soup(html).select("a.course-lang-switch")
    assert len(links) == 1, f"{site_build.edition} {page}: {len(links)} language switchers"
    href = links[0]["href"]
    assert not _external(href) and not href.startswith("/"), f"{page}: the switcher's link is not relative: {href}"
    return links[0], (html.parent / href).resolve()


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_page_links_to_the_same_page_in_the_other_edition(site_builds, edition):
    """Each page's switcher (relative link: works from file:// and under a Pages sub-path) opens its twin: the
    same page in the other edition, or, while that edition does not have the page yet, its first page. The
    <link rel="alternate" hreflang> says the same."""
    site_build, other = site_builds[edition], site_builds[OTHER[edition]]
    other_pages = all_pages(other)
    twins = 0
    for page in all_pages(site_build):
        link, target = _twin_link(site_build, page)
        expected = page if page in other_pages else other_pages[0]
        assert target == (other.html / f"{expected}.html").resolve(), f"{edition} {page} -> {target}"
        assert target.exists(), f"{edition} {page}: the twin {target} does not exist"
        assert link["hreflang"] == HTML_LANG[other.edition]
        alternate = soup(site_build.html / f"{page}.html").select_one("link[rel=alternate][hreflang]")
        assert alternate is not None and alternate["href"] == link["href"], page
        twins += page in other_pages
    assert twins >= 3, "the two editions share at least the first page, the search page and the index"


def test_twin_pages_have_the_same_sections_in_the_same_order(site_builds):
    """The language switcher takes a reader to the section at the same position in the twin (course.js): a
    section without a label has an id made from its title, different in each edition, so the position is what
    both editions share."""
    en, zh = site_builds["en"], site_builds["zh"]
    shared = [p for p in all_pages(en) if p in all_pages(zh) and p not in ("search", "genindex")]
    assert len(shared) >= 10
    for page in shared:
        counts = [len(soup(page_html(b, page)).select("article section[id]")) for b in (en, zh)]
        assert counts[0] == counts[1], f"{page}: {counts[0]} sections in English, {counts[1]} in Chinese"


@pytest.mark.parametrize("edition", EDITIONS)
def test_pages_declare_their_language_and_use_its_interface_strings(site_builds, edition):
    site_build = site_builds[edition]
    expected = {"en": ("Search", "Download source file"), "zh": ("搜索", "下载源文件")}[edition]
    for page in all_pages(site_build):
        html = soup(site_build.html / f"{page}.html")
        assert html.html["lang"] == HTML_LANG[edition], page
        if page in ("search", "genindex"):
            continue
        text = str(html.select_one(".bd-header-article")) + str(html.select_one("button.search-button, .search-button"))
        for string in expected:
            assert string in text, f"{edition} {page}: the interface does not say {string!r}"
        if edition == "zh":  # what the themes leave in English or in traditional-Chinese wording
            labels = " | ".join(t.get(a, "") for t in html.find_all(True) for a in ("title", "aria-label", "placeholder"))
            for english in ("Print to PDF", "Color mode", "System Settings", "Toggle primary sidebar",
                            "Search this book", "Launch on Colab", "列印"):
                assert english not in labels, f"zh {page}: the interface says {english!r}"
            # What a screen reader announces: every aria-label is Chinese, but the language switcher's, which
            # speaks to English readers in English (and says so: lang="en").
            for tag in html.select("[aria-label]"):
                if not re.search(r"[\u4e00-\u9fff]", tag["aria-label"]):
                    assert tag.get("lang") == "en", f"zh {page}: aria-label {tag['aria-label']!r} is not Chinese"


def test_chinese_search_index_knows_the_course_terms(site_builds):
    """Sphinx splits the Chinese text into words with jieba; zh/search_terms.txt makes each course term one word
    (jieba alone cuts 遗忘门 into 遗忘 + 门, and Sphinx drops one-character words). Every listed term that occurs
    in the text of a Chinese page must be a word of the search index."""
    zh = site_builds["zh"]
    raw = (zh.html / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1: raw.rindex(")")])
    words = set(index["terms"]) | set(index["titleterms"])
    terms = [line.split()[0] for line in (zh.root / "search_terms.txt").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    text = "".join(soup(page_html(zh, d)).select_one("article").get_text() for d in toc_files(zh.root))
    used = [t for t in terms if t in text]
    assert used, "no course term on the Chinese pages"
    assert [t for t in used if t not in words] == []
    scorer = (zh.html / "_static" / "course_search.js").read_text(encoding="utf-8")
    assert "var splitQuery" in scorer, "the browser must segment a Chinese query the same way"


def test_untranslated_pages_are_linked_in_english_until_they_are_translated(site_builds):
    """While a page has no Chinese version, a Chinese page's link to it opens the English page (marked
    course-untranslated); a link to a translated page stays inside the Chinese edition."""
    zh, en = site_builds["zh"], site_builds["en"]
    zh_pages = set(all_pages(zh))
    for doc in toc_files(zh.root):
        page = page_html(zh, doc)
        for a in soup(page).select("article a[href]"):
            href = a["href"].split("#")[0]
            if not href or _external(href):
                continue
            target = (page.parent / href).resolve()
            assert target.exists(), f"zh {doc}: {a['href']} leads nowhere"
            inside = zh.html.resolve() in target.parents
            if not inside:
                name = target.relative_to(en.html.resolve()).with_suffix("").as_posix()
                assert name not in zh_pages, f"zh {doc}: links to the English {name}, which is translated"
                assert "course-untranslated" in (a.get("class", []) + a.parent.get("class", [])), a


def _small_book(tmp_path) -> Path:
    """A one-notebook book with the site's extension and button settings, and an English twin project next
    to it (for the switcher), built like the real site."""
    config = yaml.safe_load((REPO_ROOT / "_config.yml").read_text(encoding="utf-8"))
    book = tmp_path / "book"
    (book / "book").mkdir(parents=True)
    (book / "twin" / "book").mkdir(parents=True)
    small = {
        "title": "buttons", "only_build_toc_files": True, "execute": {"execute_notebooks": "off"},
        "repository": config["repository"], "html": {**config["html"], "favicon": ""},
        "launch_buttons": config["launch_buttons"],
        "sphinx": {"local_extensions": {"course_site": str(REPO_ROOT / "docs" / "_ext")},
                   "config": {"course_twin": {**config["sphinx"]["config"]["course_twin"], "root": "twin"}}},
    }
    (book / "_config.yml").write_text(yaml.safe_dump(small, allow_unicode=True), encoding="utf-8")
    for project in (book, book / "twin"):
        (project / "_toc.yml").write_text("format: jb-book\nroot: book/page\n", encoding="utf-8")
    notebook = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# A page\n"]},
                          {"cell_type": "code", "metadata": {}, "execution_count": 1, "outputs": [],
                           "source": ["1 + 1"]}],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (book / "book" / "page.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    setup = json.loads((REPO_ROOT / "book" / f"{chapter_files(REPO_ROOT)[0].split('/')[-1]}.ipynb").read_text(
        encoding="utf-8"))["cells"][0]
    notebook["cells"].insert(0, setup)  # the chapters' Colab/Binder setup cell
    (book / "book" / "page.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    return book


def test_buttons_follow_the_repository_and_commit_the_site_is_built_from(tmp_path):
    """The Pages workflow builds with GITHUB_REPOSITORY and GITHUB_SHA set: the repository, issue and launch
    buttons then point at that repository, and Colab/Binder open the notebook of that very commit."""
    book = _small_book(tmp_path)
    sha = "0123456789abcdef0123456789abcdef01234567"
    env = {"GITHUB_REPOSITORY": "someone/their-fork", "GITHUB_SHA": sha, "GITHUB_SERVER_URL": "https://github.com"}
    result = build_site.build_edition(book, "en", tmp_path / "out", env=env)
    assert result["returncode"] == 0, result["log"][-3000:]
    page = soup(tmp_path / "out" / "_build" / "html" / "book" / "page.html")
    hrefs = [a.get("href", "") for a in page.find_all("a")]
    fork = "https://github.com/someone/their-fork"
    assert fork in hrefs
    assert any(h.startswith(f"{fork}/issues/new") for h in hrefs)
    assert f"https://colab.research.google.com/github/someone/their-fork/blob/{sha}/book/page.ipynb" in hrefs
    assert f"https://mybinder.org/v2/gh/someone/their-fork/{sha}?urlpath=lab/tree/book/page.ipynb" in hrefs
    assert not [h for h in hrefs if "rnn-course/rnn-variants" in h], "the placeholder repository is still linked"
    assert [a["href"] for a in page.select("a.course-lang-switch")] == ["../zh/book/page.html"]
    # the downloadable notebook installs companion from that very commit (the repository's own copy cannot name it)
    download = json.loads((tmp_path / "out" / "_build" / "html" / "_sources" / "book" / "page.ipynb").read_text(
        encoding="utf-8"))
    setup = "".join(download["cells"][0]["source"])
    assert SETUP_CELL_MARKER in setup
    assert f'"companion @ git+https://github.com/someone/their-fork@{sha}"' in setup, setup
    assert "".join(download["cells"][2]["source"]) == "1 + 1", "only the setup cell changes"


def test_an_edition_built_alone_has_no_language_switcher(tmp_path):
    """`make site EDITION=en ALONE=1`: a site of one edition, with no link into an edition that is not there."""
    book = _small_book(tmp_path)
    result = build_site.build(book, tmp_path / "out", editions=("en",), alone=True)["en"]
    assert result["returncode"] == 0, result["log"][-3000:]
    page = soup(tmp_path / "out" / "_build" / "html" / "book" / "page.html")
    assert page.select("a.course-lang-switch, link[rel=alternate][hreflang]") == []
    assert not [a for a in page.find_all("a", href=True) if "zh/" in a["href"]]
