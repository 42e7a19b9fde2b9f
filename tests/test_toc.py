"""The table of contents and the book folder agree, and the API reference lists every module of companion.

Fast checks (no build): every notebook and page in book/ is in _toc.yml, every _toc.yml entry exists, nothing
is listed twice, every chapter notebook starts with the hidden Colab/Binder setup cell, and book/api.md has one
``.. companion-module::`` line per public module of ``companion``.
"""
from __future__ import annotations

import importlib
import json
import pkgutil
import re

import pytest

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


def api_modules() -> list[str]:
    api = (book_root() / "book" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"^\.\. companion-module:: (\S+)\s*$", api, flags=re.M)


def test_api_reference_lists_every_public_module():
    listed = api_modules()
    assert len(listed) == len(set(listed)), "a module is listed twice in book/api.md"
    missing = sorted(public_modules() - set(listed))
    assert missing == [], "add one line `.. companion-module:: <name>` per module to book/api.md"


def test_api_reference_lists_only_importable_modules():
    for name in api_modules():
        importlib.import_module(name)
