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
6. Two editions, one site (``course_twin`` in each project's _config.yml: English at the root, Chinese in zh/):
   every page gets a language switcher in its header (``docs/_templates/course-language-switch.html``) that
   opens the same page in the other edition through a relative link, and a ``<link rel="alternate"
   hreflang>``; ``course.js`` keeps the reader's place: the search query, the #target, and the section the
   reader is in by its position (an unlabeled section's id differs between editions). A page the other
   edition does not have yet links to that edition's first page. In the Chinese
   edition (``fallback``) a link, {doc}, {term}, {ref}, {py:func}... or citation whose target is not translated
   yet opens the English page: Markdown links, {doc} and citations here, the rest through intersphinx with the
   English build's objects.inv (a local file: offline). Such links are marked (EN). Chapter N keeps its
   English number N while earlier chapters are not translated yet.
7. Chinese search: Sphinx segments the Chinese text with jieba when it builds the index; the course's terms
   (``zh/search_terms.txt``) are added to jieba's dictionary so that 遗忘门 is one word, not 遗忘 + 门 (Sphinx
   drops one-character words). In the browser, ``course_search.js`` segments a Chinese query the same way, by
   the longest words of the index (遗忘门的作用 -> 遗忘门, 作用).
8. Repository and launch buttons follow the repository the site is built from: ``GITHUB_REPOSITORY`` (and
   ``GITHUB_SERVER_URL``) replace ``repository.url`` of _config.yml, and ``GITHUB_SHA`` becomes the ref the
   launch buttons open, so Colab and Binder open the notebook of the commit the page was built from. The
   Pages workflow (GitHub Actions) sets all three; a local build keeps _config.yml's placeholder.
9. Numbered figure captions read "Figure 4.1: ..." (Chinese "图 4.1：..."): ``numfig_format`` in each project's
   _config.yml gives "Figure %s" / "图 %s" (also the text of a ``{numref}``), and :class:`CourseHTMLTranslator`
   puts ``course_caption_separator`` (": " / "：") between the number and the caption, where Sphinx puts a space.
   A chapter's figures are code-cell outputs made figures by MyST-NB's cell metadata
   ``mystnb: {figure: {name, caption}}``.
10. The site's root ``index.html`` (each edition's: the root document is not ``index``) is a whole page that
   sends the reader to the first page: sphinx-external-toc writes a bare ``<meta http-equiv="Refresh">``, with no
   language, title or icon, so the browser asked for ``/favicon.ico`` (a 404) before it followed the redirect.
"""
from __future__ import annotations

import html
import importlib
import json
import os
import posixpath
import re
from pathlib import Path

import yaml
from docutils import nodes
from docutils.statemachine import StringList
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import isurl, logging
from sphinx.util.docutils import SphinxDirective
from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "_static"
TEMPLATES = Path(__file__).resolve().parent.parent / "_templates"
# pages Sphinx writes besides the documents; each edition has them
SPECIAL_PAGES = ("search", "genindex")
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
# Chinese edition: a query is segmented like the indexed text (jieba at build time): each run of Han characters
# is cut into the longest words the index knows, left to right (Sphinx does not index one-character words).
SPLIT_QUERY_ZH = r"""
var splitQuery = (query) => {
  const parts = query.split(/[^\p{Letter}\p{Number}_\p{Emoji_Presentation}]+/gu).filter((t) => t);
  const index = (typeof Search !== "undefined" && Search._index) || null;
  if (!index) return parts;
  const known = (w) => Object.hasOwn(index.terms, w) || Object.hasOwn(index.titleterms, w);
  const words = [];
  for (const part of parts) {
    for (const run of part.split(/(\p{Script=Han}+)/u).filter((t) => t)) {
      if (!/\p{Script=Han}/u.test(run) || known(run.toLowerCase())) { words.push(run); continue; }
      let i = 0;
      while (i < run.length) {
        let j = run.length;
        while (j > i + 1 && !known(run.slice(i, j))) j--;
        if (j > i + 1) words.push(run.slice(i, j));
        i = Math.max(j, i + 1);
      }
    }
  }
  return words.length ? words : parts;
};
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


# the API index table's header in each edition's language (the docstring lines below it stay English)
API_INDEX_HEADERS = {"en": ("module", "what it holds"), "zh": ("模块", "内容")}


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
        module_head, holds_head = API_INDEX_HEADERS["zh" if _is_chinese(self.env.app) else "en"]
        lines = [".. list-table::", "   :header-rows: 1", "   :widths: auto", "",
                 f"   * - {module_head}", f"     - {holds_head}", *rows]
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


def _is_chinese(app) -> bool:
    return (app.config.language or "").lower().startswith("zh")


SETUP_CELL_MARKER = "Setup for Colab/Binder"
GIT_INSTALL = re.compile(r"git\+https?://[^\s\"'@]+(?:@[^\s\"']+)?")


def _pin_downloads(app, exception):
    """Pin the setup cell of every downloadable notebook to the repository and commit the site is built from
    (when GITHUB_REPOSITORY and GITHUB_SHA say so): see 8. above."""
    repo, sha = os.environ.get("GITHUB_REPOSITORY", "").strip(), os.environ.get("GITHUB_SHA", "").strip()
    if exception is not None or app.builder.format != "html" or not (repo and sha):
        return
    server = (os.environ.get("GITHUB_SERVER_URL", "").strip() or "https://github.com").rstrip("/")
    pinned = f"git+{server}/{repo}@{sha}"
    elsewhere = set()
    for path in sorted((Path(app.outdir) / "_sources").rglob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook.get("cells", []):
            source = "".join(cell.get("source", []))
            if cell.get("cell_type") == "code" and SETUP_CELL_MARKER in source:
                elsewhere |= {m.split("@")[0] for m in GIT_INSTALL.findall(source)} - {f"git+{server}/{repo}"}
                new = GIT_INSTALL.sub(pinned, source)
                if new != source:
                    cell["source"] = new.splitlines(keepends=True)
                    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
                break
    if elsewhere:  # an annotation in the Pages workflow's log (not a Sphinx warning: a fork still publishes)
        print(f"::warning::the notebooks' setup cells install from {', '.join(sorted(elsewhere))}, not from "
              f"{server}/{repo}: on Colab they install that repository's companion (edit the cells and "
              "repository.url in _config.yml)")


def _write_scorer(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "_static" / "course_search.js"
    out.parent.mkdir(parents=True, exist_ok=True)
    script = SCORER.format(chapters=json.dumps(chapter_docnames(app)), boost=CHAPTER_BOOST)
    out.write_text(script + (SPLIT_QUERY_ZH if _is_chinese(app) else ""), encoding="utf-8")


# --- two editions -------------------------------------------------------------------------------------------

# Interface strings of the Chinese edition that the themes leave in English, or give in traditional-Chinese
# wording ("列印"): added to (or corrected in) their zh_CN catalogs for this build only.
ZH_INTERFACE = {
    "Print to PDF": "打印成 PDF",
    "Launch interactive content": "启动交互式环境",
    "Launch on Binder": "在 Binder 上启动",
    "Launch on Colab": "在 Colab 上启动",
    "Source repositories": "源代码仓库",
    "Repository": "代码仓库",
    "Open issue": "提交问题",
    "Color mode": "颜色模式",
    "System Settings": "跟随系统",
    "Toggle primary sidebar": "显示或隐藏目录",
    "Toggle secondary sidebar": "显示或隐藏本页内容",
    "Main": "主导航",
    "Page": "本页",
    "logo": "标志",
    "Link to this heading": "链接到此标题",
    "Link to this equation": "链接到此公式",
    "Link to this definition": "链接到此定义",
    "Link to this table": "链接到此表格",
    "Link to this image": "链接到此图片",
    "Link to this code": "链接到此代码",
}
ZH_SEARCH_BAR = "搜索本书……"


#: Labels that sphinx-book-theme writes into its templates as fixed English text, without passing them through
#: the translation catalog (``components/sbt-sidebar-nav.html``: ``aria-label="Main"``; ``layout.html``:
#: ``aria-label="Page"``): :func:`_translate_fixed_labels` puts ZH_INTERFACE's words in their place.
FIXED_THEME_LABELS = ("Main", "Page")


def _translate_fixed_labels(app, exception):
    """On the Chinese site, replace the theme's untranslated ``aria-label`` s of FIXED_THEME_LABELS in every page
    (a screen reader announced the main navigation as "Main" on a Chinese page)."""
    if exception is not None or app.builder.format != "html" or not _is_chinese(app):
        return
    fixed = re.compile(r'aria-label="(%s)"' % "|".join(map(re.escape, FIXED_THEME_LABELS)))
    for path in Path(app.outdir).rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        new = fixed.sub(lambda m: f'aria-label="{ZH_INTERFACE[m.group(1)]}"', text)
        if new != text:
            path.write_text(new, encoding="utf-8")


ROOT_REDIRECT = """<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta http-equiv="Refresh" content="0; url={first}">
<title>{title}</title>
<link rel="icon" href="{icon}">
</head>
<body><p><a href="{first}">{title}</a></p></body>
</html>
"""


def _write_root_redirect(app, exception):
    """Write the root ``index.html`` as a page of this edition that redirects to the first page (10. above);
    it runs before sphinx-external-toc's, which then leaves the file alone. Language, title and icon are the
    ones Sphinx gives every page (its builder's global context)."""
    if exception is not None or app.builder.name != "html" or app.config.root_doc == "index":
        return
    context = app.builder.globalcontext
    icon = context["favicon_url"] or ""
    if icon and not isurl(icon):
        icon = "_static/" + icon
    Path(app.outdir, "index.html").write_text(ROOT_REDIRECT.format(
        lang=html.escape(context["language"] or "en", quote=True),
        first=html.escape(app.builder.get_target_uri(app.config.root_doc), quote=True),
        title=html.escape(context["docstitle"] or context["project"]), icon=html.escape(icon, quote=True),
    ), encoding="utf-8")


def _chinese_interface(app):
    """Put ZH_INTERFACE into the catalogs the themes translate with (sphinx-book-theme's "booktheme",
    pydata-sphinx-theme's and Sphinx's "sphinx"), in front of what they hold."""
    if not _is_chinese(app):
        return
    from sphinx.locale import translators

    for catalog in ("booktheme", "sphinx"):
        translator = translators.get(("general", catalog))
        table = getattr(translator, "_catalog", None)
        if isinstance(table, dict):
            table.update(ZH_INTERFACE)

def _strip_suffix(name: str) -> str:
    for suffix in (".ipynb", ".md"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def toc_chapters(project: Path) -> list[str]:
    """The chapters of a Jupyter Book project: the documents of the numbered parts of its ``_toc.yml``."""
    toc = yaml.safe_load((project / "_toc.yml").read_text(encoding="utf-8"))
    return [_strip_suffix(c["file"]) for part in toc.get("parts") or [] if part.get("numbered")
            for c in part.get("chapters") or []]


def toc_docnames(project: Path) -> list[str]:
    """Every document of a Jupyter Book project's ``_toc.yml`` (root first, then in reading order)."""
    toc = yaml.safe_load((project / "_toc.yml").read_text(encoding="utf-8"))
    names = [_strip_suffix(toc["root"])]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(_strip_suffix(entry["file"]))
            walk(entry.get("sections"))

    for part in toc.get("parts") or []:
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    return names


def _twin(app) -> dict | None:
    """``course_twin`` with the other edition's documents read from its _toc.yml (once per build); None for a
    site of one edition alone (``COURSE_ALONE=1``, `make site EDITION=en ALONE=1`): no switcher, no links into
    the other edition."""
    twin = app.config.course_twin
    if not twin or _alone():
        return None
    cached = getattr(app, "course_twin_cache", None)
    if cached is None:
        project = (Path(app.srcdir) / twin["root"]).resolve()
        docs = toc_docnames(project)
        cached = {**twin, "project": project, "docs": docs, "root_doc": docs[0], "chapters": toc_chapters(project)}
        app.course_twin_cache = cached
    return cached


def _alone() -> bool:
    return os.environ.get("COURSE_ALONE", "").strip() not in ("", "0")


def _outdated_when_the_twin_changes(app, env, added, changed, removed):
    """An incremental build rewrites every page when the other edition gained or lost a page, or when the
    edition is built alone after being built with its twin or back (the switchers and the links to
    untranslated pages change)."""
    twin = _twin(app)
    docs = list(twin["docs"]) if twin else []
    before = getattr(env, "course_twin_docs", None)
    env.course_twin_docs = docs
    return sorted(env.found_docs) if before is not None and before != docs else []


def _relative_root(pagename: str) -> str:
    """From a page of this edition to the root of this edition's site, e.g. 'book/api/lstm' -> '../../'."""
    return "../" * pagename.count("/")


def twin_href(app, pagename: str) -> str:
    """The other edition's version of a page, relative to the page: the same page when the other edition has
    it, else the other edition's first page."""
    twin = _twin(app)
    target = pagename if pagename in twin["docs"] or pagename in SPECIAL_PAGES else twin["root_doc"]
    return _relative_root(pagename) + twin["url"] + target + ".html"


def _add_language_switch(app, pagename, templatename, context, doctree):
    if app.builder.format != "html" or not _twin(app):
        return
    twin = _twin(app)
    href = twin_href(app, pagename)
    context["course_twin_url"] = href
    context["course_twin_lang"] = twin["lang"]
    context["course_twin_label"] = twin["label"]
    context["course_twin_title"] = twin["title"]
    context["metatags"] = context.get("metatags", "") + (
        f'\n    <link rel="alternate" hreflang="{twin["lang"]}" href="{href}" />'
    )


class _WordSet(set):
    """A set that takes ``extend``, the one list method Sphinx's Chinese search calls on its Latin words."""

    def extend(self, words):
        self.update(words)


def _search_chinese_latin_set():
    """Sphinx's Chinese search language with its Latin words kept in a set (see the class docstring)."""
    from sphinx.search.zh import SearchChinese

    class SearchChineseLatinSet(SearchChinese):
        """``sphinx.search.zh.SearchChinese`` (Sphinx 7.4) collects every Latin word it splits off in a list,
        ``latin_terms``, shared by all instances, and ``stem()`` asks ``word in latin_terms`` for every word
        of every page: a scan of a list that grows with the book (a third of the Chinese build's time). The
        same words in a set of this instance's own give the same index."""

        def init(self, options):
            super().init(options)
            self.latin_terms = _WordSet()

    return SearchChineseLatinSet


def _configure(app, config):
    """Language switcher in every page's header; the search dictionary; repository and launch buttons from
    the CI environment (see the module docstring, 6-8)."""
    # first: docs/_templates also replaces two of sphinx-book-theme's components (translated tooltips)
    config.templates_path.insert(0, str(TEMPLATES))
    options = config.html_theme_options
    header = list(options.get("article_header_end") or ["article-header-buttons.html"])
    if "course-language-switch.html" not in header:
        header.insert(0, "course-language-switch.html")
    options["article_header_end"] = header

    twin = {} if _alone() else (config.course_twin or {})
    if twin.get("fallback"):
        # the other edition's objects.inv: the site being built (tools/build_site.py says where), else the
        # other project's own _build/html
        html = os.environ.get("COURSE_TWIN_HTML") or str(Path(app.srcdir) / twin["root"] / "_build" / "html")
        inventory = Path(html) / "objects.inv"
        if not inventory.exists():
            logger.warning("%s is missing: build the other edition first (tools/build_site.py does)", inventory,
                           type="course")
        else:
            config.intersphinx_mapping = {"twin": (twin["url"], str(inventory))}
            config.intersphinx_disabled_reftypes = []
            config.intersphinx_cache_limit = 0

    if _is_chinese(app):
        options["search_bar_text"] = ZH_SEARCH_BAR
        terms = Path(app.srcdir) / "search_terms.txt"
        search_options = dict(config.html_search_options or {})
        if terms.exists() and "dict" not in search_options:
            search_options["dict"] = str(terms)
        config.html_search_options = search_options
        try:
            import jieba  # noqa: F401  (Sphinx's Chinese search needs it to split words)
        except ImportError:
            logger.warning("jieba is not installed: the Chinese search index cannot split words", type="course")
        else:
            import logging as _logging

            jieba.setLogLevel(_logging.WARNING)
            import sphinx.search

            sphinx.search.languages["zh"] = _search_chinese_latin_set()

    repo = os.environ.get("GITHUB_REPOSITORY", "").strip()
    if repo:
        server = (os.environ.get("GITHUB_SERVER_URL", "").strip() or "https://github.com").rstrip("/")
        options["repository_url"] = f"{server}/{repo}"
    ref = os.environ.get("GITHUB_SHA", "").strip()
    if ref:
        options["repository_branch"] = ref


def _follow_the_twin_chapter_numbers(app, env):
    """Chinese edition: chapter N is English chapter N, even while the chapters before it are not translated
    yet (Sphinx numbers the chapters of a table of contents 1, 2, ...). Section, figure, equation and exercise
    numbers of a chapter start with its English number, so "练习 4.2" is "Exercise 4.2", as the identical code
    cells' comments say. Runs after Sphinx has numbered everything (env-get-updated, late)."""
    twin = _twin(app)
    if not twin or not twin.get("fallback"):
        return []
    changed = []
    for doc in chapter_docnames(app):
        current = (env.toc_secnumbers.get(doc) or {}).get("")
        if doc not in twin["chapters"] or not current:
            continue
        old, new = current[0], twin["chapters"].index(doc) + 1
        if old == new:
            continue

        def renumber(number, old=old, new=new):
            return (new, *number[1:]) if number and number[0] == old else number

        env.toc_secnumbers[doc] = {anchor: renumber(n) for anchor, n in env.toc_secnumbers[doc].items()}
        for numbers in (env.toc_fignumbers.get(doc) or {}).values():
            numbers.update({target: renumber(n) for target, n in numbers.items()})
        for node in [*env.tocs[doc].findall(nodes.reference), env.titles.get(doc)]:
            if node is not None and node.get("secnumber"):
                node["secnumber"] = list(renumber(tuple(node["secnumber"])))
        changed.append(doc)
    return changed


class UntranslatedLinks(SphinxPostTransform):
    """Chinese edition, while a page is not translated yet: a Markdown link to it opens the English page, and a
    citation whose bibliography page is not translated yet links to the English reference list. Without
    ``fallback`` in ``course_twin`` (the English edition) nothing changes, and a missing page stays an error."""

    default_priority = 8  # before myst's resolver (9) and Sphinx's (10)
    formats = ("html",)

    def run(self, **kwargs):
        twin = _twin(self.app)
        if not twin or not twin.get("fallback"):
            return
        docname = self.env.docname
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") == "myst" and node.get("refdomain") != "doc":
                target = node["reftarget"].split("#")[0]
                if target.endswith((".md", ".ipynb")) and "://" not in target:
                    self._link_page(node, docname, twin, _strip_suffix(target), node["reftarget"].partition("#")[2])
            elif node.get("refdomain") == "std" and node.get("reftype") == "doc":
                self._link_page(node, docname, twin, node["reftarget"], "")
            elif node.get("refdomain") == "cite":
                self._link_citation(node, docname, twin)

    def _link_page(self, node, docname, twin, target, anchor):
        name = posixpath.normpath(posixpath.join(posixpath.dirname(docname), target.lstrip("/")))
        if target.startswith("/"):
            name = target.lstrip("/")
        if name in self.env.all_docs or name not in twin["docs"]:
            return
        uri = twin_href_for(self.app, docname, name) + (f"#{anchor}" if anchor else "")
        ref = nodes.reference("", "", internal=False, refuri=uri, classes=["course-untranslated"],
                              reftitle=twin["untranslated"])
        if node.get("refexplicit", True) and len(node):
            ref += node[0].deepcopy()
        else:  # {doc}`x` without a title: the English page's title
            ref += nodes.inline(name, name)
        node.replace_self(ref)

    def _link_citation(self, node, docname, twin):
        domain = self.env.get_domain("cite")
        cited = {c.key for c in domain.citations}
        keys = [k.strip() for k in node["reftarget"].split(",")]
        if all(k in cited for k in keys):
            return
        references = twin.get("references")
        entries = domain.bibdata.data.entries
        if not references or any(k not in entries for k in keys):
            return
        labels = _author_year_style()().format_labels([entries[k] for k in keys])
        href = twin_href_for(self.app, docname, references)
        span = nodes.inline("", "", classes=["bibtex-citation", "course-untranslated"])
        span += nodes.Text("[")
        for i, label in enumerate(labels):
            if i:
                span += nodes.Text("; ")
            span += nodes.reference(label, label, internal=False, refuri=href, reftitle=twin["untranslated"])
        span += nodes.Text("]")
        node.replace_self(span)


def twin_href_for(app, pagename: str, other_doc: str) -> str:
    return _relative_root(pagename) + _twin(app)["url"] + other_doc + ".html"


def _mark_links_to_the_twin(app, doctree, docname):
    """Links that leave this edition for the other one (untranslated targets, resolved by intersphinx or by
    UntranslatedLinks) are marked: class course-untranslated and a tooltip saying so."""
    twin = _twin(app)
    if not twin or not twin.get("fallback"):
        return
    prefix = _relative_root(docname) + twin["url"]
    for ref in doctree.findall(nodes.reference):
        if ref.get("refuri", "").startswith(prefix):
            if "course-untranslated" not in ref["classes"]:
                ref["classes"].append("course-untranslated")
            ref["reftitle"] = twin["untranslated"]


class CourseHTMLTranslator(HTML5Translator):
    """Sphinx's HTML translator, with ``course_caption_separator`` after the number of a figure's caption.

    Sphinx writes ``<span class="caption-number">Figure 4.1 </span>``; this writes ``Figure 4.1: `` (or, with
    the Chinese edition's separator "：", ``图 4.1：``). Tables and code blocks keep Sphinx's form.
    pydata-sphinx-theme adds its own mixin to whatever translator is registered.
    """

    def add_fignumber(self, node) -> None:
        start = len(self.body)
        super().add_fignumber(node)
        separator = self.config.course_caption_separator
        if (separator and len(self.body) - start == 3  # '<span class="caption-number">', 'Figure 4.1 ', '</span>'
                and self.builder.env.domains["std"].get_enumerable_node_type(node) == "figure"):
            number = self.body[start + 1].rstrip()
            self.body[start + 1] = number + separator


def setup(app):
    from pybtex.plugin import register_plugin

    register_plugin("pybtex.style.formatting", "course_author_year", _author_year_style())
    # the other edition of this book (see 6. above): {"root": its project folder relative to this one, "url": its
    # site relative to this site, "lang", "label", "title" of the switcher, and for the Chinese edition
    # "fallback": true, "untranslated": the tooltip of a link to an English page, "references": docname}
    app.add_config_value("course_twin", None, "html", types=[dict, type(None)])
    # what follows the number of a figure's caption: "Figure 4.1: ..." (9. above)
    app.add_config_value("course_caption_separator", ": ", "html", types=[str])
    app.set_translator("html", CourseHTMLTranslator, override=True)
    app.connect("config-inited", _configure)
    app.connect("html-page-context", _add_language_switch)
    app.connect("env-get-outdated", _outdated_when_the_twin_changes)
    app.connect("env-get-updated", _follow_the_twin_chapter_numbers, priority=900)
    app.add_post_transform(UntranslatedLinks)
    app.connect("doctree-resolved", _mark_links_to_the_twin)
    app.add_directive("companion-module", CompanionModule)
    app.add_directive("companion-api-index", CompanionApiIndex)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    app.connect("builder-inited", _add_static_path)
    app.connect("builder-inited", _chinese_interface)
    app.connect("build-finished", _write_scorer)
    app.connect("build-finished", _pin_downloads)
    app.connect("build-finished", _translate_fixed_labels)
    app.connect("build-finished", _write_root_redirect, priority=100)  # before sphinx-external-toc's (500)
    app.add_css_file("course.css")
    app.add_js_file("course.js", loading_method="defer")
    # before searchtools.js (priority 500), which keeps a Scorer that is already defined
    app.add_js_file("course_search.js", priority=200)
    return {"version": "0.2", "parallel_read_safe": True, "parallel_write_safe": True}
