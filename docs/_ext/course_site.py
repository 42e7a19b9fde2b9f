"""Local Sphinx extension of the course site (loaded through ``sphinx: local_extensions`` in _config.yml).

1. ``.. companion-module:: companion.lstm`` (used in the pages of book/api/) documents one module of
   ``companion`` in a section of its own, titled with the module's name, with every public member (``__all__``)
   rendered by autodoc + numpydoc. Adding a module to the API reference is one page with that line.
2. Inline scripts added by extensions are de-duplicated on every page. Sphinx 7.4 registers an inline script
   (``add_js_file(None, body=...)``) added after the builder exists twice, once with ``filename=None`` and once
   with ``filename=''``, so sphinx-thebe's ``const THEBE_JS_URL = ...`` appeared twice and the browser raised
   "Identifier 'THEBE_JS_URL' has already been declared" on every page.
3. The site's own stylesheet and script (``docs/_static/course.css``, ``course.js``): the sidebar and
   "On this page" buttons that work at every width, a hint under display equations too wide for the column,
   figures that open full size, code that wraps on wide screens, API signatures that wrap on phones.
5. The reference list labels each entry the way the text cites it, author-year ("Hochreiter & Schmidhuber,
   1997"), through the pybtex style ``course_author_year`` (``bibtex_default_style`` in _config.yml), instead
   of alpha codes ("[HS97]") that appear nowhere in the text.
4. Search ranks chapters first: ``course_search.js`` (written into the build's ``_static``) defines Sphinx's
   ``Scorer`` with the chapters of the table of contents (the documents of its *numbered* parts).
"""
from __future__ import annotations

import importlib
import json
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

STATIC = Path(__file__).resolve().parent.parent / "_static"
# Sphinx's default weights (searchtools.js); a chapter result gets CHAPTER_BOOST on top of its own score, so
# every chapter hit comes before every hit on another page, and hits keep their order within each group.
SCORER = """\
// Written by docs/_ext/course_site.py: search results on chapter pages come first.
var Scorer = {{
  chapters: new Set({chapters}),
  score: (result) => (Scorer.chapters.has(result[0]) ? {boost} : 0) + result[4],
  objNameMatch: 11, objPartialMatch: 6, objPrio: {{0: 15, 1: 5, 2: -5}}, objPrioDefault: 0,
  title: 15, partialTitle: 7, term: 5, partialTerm: 2,
}};
"""
CHAPTER_BOOST = 1000


def _author_year_style():
    """A pybtex formatting style (unsrt's entries, sorted by author and year) whose labels read like the
    author-year citations in the text: "Elman, 1990", "Hochreiter & Schmidhuber, 1997", "Cho et al., 2014"."""
    from pybtex.style.formatting.unsrt import Style as UnsrtStyle
    from pybtex.style.labels import BaseLabelStyle

    def surname(person) -> str:
        return " ".join(person.prelast_names + person.last_names).replace("{", "").replace("}", "")

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            seen: dict[str, int] = {}
            for entry in sorted_entries:
                people = entry.persons.get("author") or entry.persons.get("editor") or []
                if not people:
                    names = entry.fields.get("organization", entry.fields.get("title", entry.key))
                    names = names.replace("{", "").replace("}", "").replace("--", "\u2013")
                elif len(people) == 1:
                    names = surname(people[0])
                elif len(people) == 2:
                    names = f"{surname(people[0])} & {surname(people[1])}"
                else:
                    names = f"{surname(people[0])} et al."
                label = f"{names}, {entry.fields.get('year', 'n.d.')}"
                seen[label] = seen.get(label, 0) + 1
                yield label if seen[label] == 1 else f"{label}{chr(ord('a') + seen[label] - 1)}"

    class AuthorYearStyle(UnsrtStyle):
        default_sorting_style = "author_year_title"

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.label_style = AuthorYearLabels()
            self.format_labels = self.label_style.format_labels

    return AuthorYearStyle


class CompanionModule(SphinxDirective):
    """A section titled ``<module>`` holding ``.. automodule:: <module>`` with its members."""

    required_arguments = 1
    has_content = False

    def run(self):
        modname = self.arguments[0].strip()
        section_id = nodes.make_id(f"api-{modname}")
        section = nodes.section(ids=[section_id], names=[section_id])
        section += nodes.title("", "", nodes.literal(modname, modname))
        lines = StringList([f".. automodule:: {modname}", "   :members:"], source=self.get_source_info()[0])
        self.state.nested_parse(lines, self.content_offset, section)
        return [section]


class CompanionApiIndex(SphinxDirective):
    """A table of the API pages under the current page in the table of contents: module (linked), and the
    first line of its docstring. A page ``book/api/<a>/<b>.md`` documents the module ``companion.<a>.<b>``."""

    has_content = False

    def run(self):
        site_map = getattr(self.env, "external_site_map", None)
        base = self.env.docname.rsplit("/", 1)[0]  # book/api
        rows = []
        pending = [self.env.docname]
        while pending:
            doc = site_map[pending.pop(0)] if site_map is not None else None
            for tree in doc.subtrees if doc is not None else []:
                for name in tree.files():
                    module = "companion." + name.removeprefix(base + "/").replace("/", ".")
                    doc_lines = (importlib.import_module(module).__doc__ or "").strip().splitlines()
                    rows += [f"   * - :py:mod:`{module}`", f"     - {doc_lines[0] if doc_lines else ''}"]
                    pending.append(name)
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: auto", "",
                 "   * - module", "     - what it holds", *rows]
        container = nodes.container(classes=["course-api-index"])
        self.state.nested_parse(StringList(lines, source=self.get_source_info()[0]), self.content_offset, container)
        return [container]


def _dedupe_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        key = (
            getattr(js, "filename", js) or "",
            tuple(sorted((getattr(js, "attributes", None) or {}).items())),
        )
        if key not in seen:
            seen.add(key)
            unique.append(js)
    context["script_files"] = unique


def chapter_docnames(app) -> list[str]:
    """The documents of the numbered parts of the external table of contents (``_toc.yml``), in order."""
    site_map = getattr(app.env, "external_site_map", None)
    if site_map is None:
        return []
    chapters: list[str] = []
    pending = [site_map.root]
    while pending:
        doc = pending.pop(0)
        for tree in doc.subtrees:
            for name in tree.files():
                if tree.numbered and name not in chapters:
                    chapters.append(name)
                if name in site_map:
                    pending.append(site_map[name])
    return chapters


def _add_static_path(app):
    app.config.html_static_path.append(str(STATIC))


def _write_scorer(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / "course_search.js"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(SCORER.format(chapters=json.dumps(chapter_docnames(app)), boost=CHAPTER_BOOST), encoding="utf-8")


def setup(app):
    from pybtex.plugin import register_plugin

    register_plugin("pybtex.style.formatting", "course_author_year", _author_year_style())
    app.add_directive("companion-module", CompanionModule)
    app.add_directive("companion-api-index", CompanionApiIndex)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("builder-inited", _add_static_path)
    app.connect("build-finished", _write_scorer)
    app.add_css_file("course.css")
    app.add_js_file("course.js", loading_method="defer")
    # before searchtools.js (priority 500), which keeps a Scorer that is already defined
    app.add_js_file("course_search.js", priority=200)
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
