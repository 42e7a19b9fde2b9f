"""The table of contents and the book folder agree, and the API reference lists every module of companion.

Fast checks (no build): every notebook and page in book/ is in _toc.yml, every _toc.yml entry exists, nothing
is listed twice, every chapter notebook starts with the hidden Colab/Binder setup cell, and the API reference
has one page per public module of ``companion``: ``companion.a.b`` is documented by ``book/api/a/b.md``, whose
``.. companion-module:: companion.a.b`` line renders it (docs/_ext/course_site.py), listed under
``book/api/index`` in _toc.yml.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import re

import pytest
import yaml

import companion
from conftest import book_root, strip_suffix, toc_files

SOURCE_SUFFIXES = (".md", ".ipynb")
SETUP_CELL = '''# Setup for Colab/Binder: install the course's companion package if it is not importable yet.
try:
    import companion
except ImportError:
    %pip install --quiet "companion @ git+https://github.com/rnn-course/rnn-variants"
    import companion'''


def book_sources() -> set[str]:
    """Docnames (``book/x``) of every page and notebook under book/, checkpoints and build folders excluded."""
    root = book_root()
    found = set()
    for path in (root / "book").rglob("*"):
        rel = path.relative_to(root)
        if path.suffix in SOURCE_SUFFIXES and not any(
            part.startswith((".", "_")) for part in rel.parts
        ):
            found.add(strip_suffix(rel.as_posix()))
    return found


def test_toc_entries_exist():
    root = book_root()
    missing = [
        entry for entry in toc_files()
        if not any((root / f"{strip_suffix(entry)}{suffix}").exists() for suffix in SOURCE_SUFFIXES)
    ]
    assert missing == [], "entries of _toc.yml without a file"


def test_every_book_page_is_in_the_toc():
    listed = {strip_suffix(entry) for entry in toc_files()}
    assert sorted(book_sources() - listed) == [], "pages in book/ missing from _toc.yml"


def test_toc_has_no_duplicates():
    entries = [strip_suffix(entry) for entry in toc_files()]
    assert len(entries) == len(set(entries))


def test_no_page_exists_as_both_markdown_and_notebook():
    root = book_root()
    both = [d for d in book_sources() if all((root / f"{d}{s}").exists() for s in SOURCE_SUFFIXES)]
    assert both == []


def chapter_notebooks() -> list[str]:
    root = book_root()
    return [e for e in map(strip_suffix, toc_files()) if (root / f"{e}.ipynb").exists()]


@pytest.mark.parametrize("doc", chapter_notebooks())
def test_notebook_starts_with_hidden_setup_cell(doc):
    """Colab/Binder launch buttons work because the first cell installs companion there (hidden on the site)."""
    nb = json.loads((book_root() / f"{doc}.ipynb").read_text(encoding="utf-8"))
    first = nb["cells"][0]
    assert first["cell_type"] == "code"
    assert "".join(first["source"]).strip() == SETUP_CELL
    assert "remove-cell" in first.get("metadata", {}).get("tags", [])


def public_modules() -> set[str]:
    """Every module of companion whose name has no leading underscore (imported with the package)."""
    names = set()
    for info in pkgutil.walk_packages(companion.__path__, prefix="companion."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.add(info.name)
    return names


API_DIR = "book/api"
MODULE_LINE = re.compile(r"^\.\. companion-module:: (\S+)\s*$", flags=re.M)


def api_page(module: str) -> str:
    """The docname of a module's API page: companion.experiments.deep -> book/api/experiments/deep."""
    return f"{API_DIR}/" + module.removeprefix("companion.").replace(".", "/")


def api_pages() -> dict[str, list[str]]:
    """Every page under book/api/ (docname) with the modules its ``.. companion-module::`` lines document."""
    root = book_root()
    return {
        strip_suffix(path.relative_to(root).as_posix()): MODULE_LINE.findall(path.read_text(encoding="utf-8"))
        for path in sorted((root / API_DIR).rglob("*.md"))
    }


def test_every_public_module_has_its_api_page():
    pages = api_pages()
    missing = sorted(m for m in public_modules() if pages.get(api_page(m)) != [m])
    assert missing == [], (
        "each public module companion.<a>.<b> needs the page book/api/<a>/<b>.md holding the one line "
        "`.. companion-module:: companion.<a>.<b>` (in an {eval-rst} block), listed under book/api/index in _toc.yml"
    )


def test_api_pages_document_only_importable_modules_once():
    documented = [m for modules in api_pages().values() for m in modules]
    assert len(documented) == len(set(documented)), "a module is documented on two API pages"
    for name in documented:
        importlib.import_module(name)


def test_api_pages_sit_under_the_api_index_in_the_toc():
    toc = yaml.safe_load((book_root() / "_toc.yml").read_text(encoding="utf-8"))

    def under(entries, inside):
        for entry in entries or []:
            if "file" in entry:
                yield strip_suffix(entry["file"]), inside
                yield from under(entry.get("sections"), inside or strip_suffix(entry["file"]) == f"{API_DIR}/index")

    placed = dict(under([c for part in toc.get("parts", []) for c in part.get("chapters", [])], False))
    pages = [d for d in api_pages() if d != f"{API_DIR}/index"]
    assert [d for d in pages if not placed.get(d)] == [], "API pages belong in the sections of book/api/index"


#: How each edition's chapters open (issue 19): the title's paragraph, then this box in the first markdown cell.
OPENING = {
    "en": ("```{admonition} In this chapter", "You will be able to:", "It assumes:"),
    "zh": ("```{admonition} 本章目标", "学完本章，你将能够：", "本章假定你已了解："),
}


@pytest.mark.parametrize("lang", sorted(OPENING))
@pytest.mark.parametrize("doc", chapter_notebooks())
def test_chapter_opens_with_what_the_reader_will_do_and_what_it_assumes(doc, lang):
    """The first markdown cell ends with a tip box: at least two things the reader will be able to do, then
    what the chapter assumes, in this order (both editions)."""
    root = book_root() if lang == "en" else book_root() / "zh"
    nb = json.loads((root / f"{doc}.ipynb").read_text(encoding="utf-8"))
    first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"])
    box, able, assumes = OPENING[lang]
    assert first.count(box) == 1, f"{lang}/{doc}: no opening box {box!r} in the first markdown cell"
    opening = first[first.index(box):]
    assert opening.rstrip().endswith("```"), "the box closes the first markdown cell"
    assert able in opening and assumes in opening and opening.index(able) < opening.index(assumes)
    goals = opening[opening.index(able):opening.index(assumes)]
    assert len(re.findall(r"^- \S", goals, flags=re.M)) >= 2, "at least two things the reader will be able to do"
    assert len(opening[opening.index(assumes) + len(assumes):].strip("` \n")) > 20, "say what it assumes"
