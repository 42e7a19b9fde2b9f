"""Local Sphinx extension of the course site (loaded through ``sphinx: local_extensions`` in _config.yml).

1. ``.. companion-module:: companion.lstm`` (used in book/api.md) documents one module of ``companion`` in a
   section of its own, titled with the module's name so that it shows in the page's table of contents, with
   every public member (``__all__``) rendered by autodoc + numpydoc. Adding a module to the API reference is
   one line.
2. Inline scripts added by extensions are de-duplicated on every page. Sphinx 7.4 registers an inline script
   (``add_js_file(None, body=...)``) added after the builder exists twice, once with ``filename=None`` and once
   with ``filename=''``, so sphinx-thebe's ``const THEBE_JS_URL = ...`` appeared twice and the browser raised
   "Identifier 'THEBE_JS_URL' has already been declared" on every page.
"""
from __future__ import annotations

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective


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


def setup(app):
    app.add_directive("companion-module", CompanionModule)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
