"""Two editions, one course: every English page has its Chinese twin, in the same place, in lockstep.

For every page of ``_toc.yml`` the Chinese edition has ``zh/`` + the same path, listed in ``zh/_toc.yml`` at the
same place (same part, same parent, same order). A notebook twin has the same cells (count, types, order, cell
metadata), the same code after the declared differences of ``tools/editions.py`` (today ``LANG = "zh"``, commented in Chinese), the
same printed outputs (text; images may differ), the same figure labels (``mystnb.figure.name``) with their
captions translated, and in each markdown cell the same MyST and exercise/solution labels, cross-reference
targets, cited keys and formulas. A markdown page's twin has the same labels, targets,
citations and formulas. The comparison is ``tools/editions.py check``'s.

While the translation lands page by page, :data:`PENDING_TRANSLATION` lists the pages that have no twin yet. A
page listed there must NOT have a twin (so a translator who lands a page removes it from the list in the same
commit), and every run warns with the list until it is empty.
"""
from __future__ import annotations

import importlib.util
import sys
import warnings
from pathlib import Path

import nbformat
import pytest
import yaml

from conftest import REPO_ROOT, toc_files

ZH = REPO_ROOT / "zh"

#: Pages of _toc.yml (as written there) whose Chinese twin has not landed yet. Remove a page when its
#: translation lands (and add it to zh/_toc.yml in the same place); the lead empties this set at the end.
PENDING_TRANSLATION: set[str] = set()


def _load_editions():
    spec = importlib.util.spec_from_file_location("editions", REPO_ROOT / "tools" / "editions.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


editions = _load_editions()


def _docname(entry: str) -> str:
    for suffix in (".ipynb", ".md"):
        if entry.endswith(suffix):
            return entry[: -len(suffix)]
    return entry


def _source(root: Path, docname: str) -> Path | None:
    """The file of a document (``book/x`` -> ``book/x.ipynb`` or ``book/x.md``) under ``root``, if any."""
    for suffix in (".ipynb", ".md"):
        if (root / f"{docname}{suffix}").is_file():
            return root / f"{docname}{suffix}"
    return None


def _positions(root: Path) -> dict[str, tuple]:
    """Each document of ``root/_toc.yml`` -> (part number, part numbered?, parent document): its place."""
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    places = {_docname(toc["root"]): ("root", False, None)}

    def walk(entries, part, numbered, parent):
        for entry in entries or []:
            if "file" in entry:
                places[_docname(entry["file"])] = (part, numbered, parent)
            walk(entry.get("sections"), part, numbered, _docname(entry["file"]) if "file" in entry else parent)

    for k, part in enumerate(toc.get("parts", [])):
        walk(part.get("chapters"), k, bool(part.get("numbered")), None)
    walk(toc.get("chapters"), None, bool(toc.get("options", {}).get("numbered")), None)
    return places


EN_PAGES = [_docname(f) for f in toc_files(REPO_ROOT)]
TRANSLATED = [p for p in EN_PAGES if p not in PENDING_TRANSLATION]


def test_pending_pages_are_pages_of_the_book():
    assert sorted(PENDING_TRANSLATION - set(EN_PAGES)) == [], "PENDING_TRANSLATION names pages not in _toc.yml"


def test_a_pending_page_has_no_twin_yet():
    landed = sorted(page for page in PENDING_TRANSLATION if _source(ZH, page) is not None)
    assert not landed, (f"these pages have a Chinese twin: remove them from PENDING_TRANSLATION in "
                        f"tests/test_editions.py (and list them in zh/_toc.yml) so that the lockstep test covers "
                        f"them: {landed}")


def test_pending_translations_are_reported():
    if PENDING_TRANSLATION:
        warnings.warn(f"{len(PENDING_TRANSLATION)} page(s) still wait for their Chinese twin "
                      f"(tests/test_editions.py PENDING_TRANSLATION): {sorted(PENDING_TRANSLATION)}",
                      UserWarning, stacklevel=1)


def test_every_translated_page_has_its_twin():
    # one test over all pages (not one per page): while every page is pending there would be no case to run
    problems = []
    for page in TRANSLATED:
        en, zh = _source(REPO_ROOT, page), _source(ZH, page)
        if zh is None:
            problems.append(f"no Chinese twin zh/{page} (.ipynb or .md): translate it, or list it in "
                            f"PENDING_TRANSLATION")
        elif zh.suffix != en.suffix:
            problems.append(f"zh/{page} is a {zh.suffix} page, its English twin a {en.suffix} page")
    assert not problems, "\n".join(problems)


def test_zh_toc_lists_the_translated_pages_in_the_same_places():
    if not (ZH / "_toc.yml").is_file():
        assert not TRANSLATED, f"pages have twins but there is no zh/_toc.yml: {TRANSLATED}"
        return
    zh_pages = [_docname(f) for f in toc_files(ZH)]
    assert zh_pages == TRANSLATED, "zh/_toc.yml must list exactly the translated pages, in the English order"
    en_places, zh_places = _positions(REPO_ROOT), _positions(ZH)
    moved = {p: (zh_places[p], en_places[p]) for p in zh_pages if zh_places[p] != en_places[p]}
    assert not moved, f"pages in a different place of zh/_toc.yml than of _toc.yml: {moved}"


def test_every_twin_is_in_lockstep():
    out_of_step = {}
    for page in TRANSLATED:
        zh = _source(ZH, page)
        problems = editions.page_mismatches(zh) if zh is not None else [f"no Chinese twin zh/{page}"]
        if problems:
            out_of_step[page] = problems
    assert not out_of_step, "pages out of step with their English twin (tools/editions.py check):\n" + "\n".join(
        f"  zh/{page}: {problem}" for page, problems in out_of_step.items() for problem in problems)


# ------------------------------------------------------------------------- the comparison itself, on examples
def _pair(tmp_path, en_cells, zh_cells, monkeypatch):
    (tmp_path / "book").mkdir(parents=True)
    (tmp_path / "zh" / "book").mkdir(parents=True)
    monkeypatch.setattr(editions, "ROOT", tmp_path)
    paths = []
    for root, cells in ((tmp_path / "book", en_cells), (tmp_path / "zh" / "book", zh_cells)):
        nb = nbformat.v4.new_notebook(cells=cells)
        nbformat.write(nb, root / "page.ipynb")
        paths.append(root / "page.ipynb")
    return paths


def _code(source, text=None, tags=None):
    cell = nbformat.v4.new_code_cell(source, execution_count=1 if text is not None else None)
    if text is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text)]
    if tags:
        cell.metadata["tags"] = tags
    return cell


EN_MD = ("(sec-gates)=\n## Gates\nThe forget gate {term}`forget gate` scales $c$ by $f(z_f)$ {cite}`hochreiter1997lstm`."
         "\n\n```{exercise}\n:label: ex-gates-1\nCompute $\\sigma(10)$.\n```\n\n```{solution} ex-gates-1\n"
         ":class: dropdown\nIt is $0.99995$.\n```")
ZH_MD = ("(sec-gates)=\n## 门\n{term}`遗忘门 <forget gate>` 把 $c$ 乘以 $f(z_f)$ {cite}`hochreiter1997lstm`。"
         "\n\n```{exercise}\n:label: ex-gates-1\n计算 $\\sigma(10)$。\n```\n\n```{solution} ex-gates-1\n"
         ":class: dropdown\n结果是 $0.99995$。\n```")


def test_a_faithful_translation_passes_and_sync_keeps_it(tmp_path, monkeypatch):
    en, zh = _pair(tmp_path, [nbformat.v4.new_markdown_cell(EN_MD), _code('LANG = "en"  # label language', "1\n"),
                              _code("print(2)", "2\n", tags=["remove-input"])],
                   [nbformat.v4.new_markdown_cell(ZH_MD), _code(editions.ZH_LANG_LINE, "1\n"),
                    _code("print(2)", "2\n", tags=["remove-input"])], monkeypatch)
    assert editions.notebook_mismatches(zh) == []
    assert editions.sync(zh) == 0


@pytest.mark.parametrize("change, expected", [
    (lambda md, code: (md.replace("(sec-gates)=", "(sec-men)="), code), "labels"),
    (lambda md, code: (md.replace("ex-gates-1\n:class", "ex-gates-2\n:class"), code), "directives"),
    (lambda md, code: (md.replace("hochreiter1997lstm", "gers2000learning"), code), "citations"),
    (lambda md, code: (md.replace("$f(z_f)$", "$f(z_i)$"), code), "math"),
    (lambda md, code: (md.replace("<forget gate>", "<input gate>"), code), "references"),
    (lambda md, code: (md, code.replace("print(2)", "print(3)")), "code differs"),
])
def test_each_kind_of_drift_is_reported(tmp_path, monkeypatch, change, expected):
    md, code = change(ZH_MD, "print(2)")
    _, zh = _pair(tmp_path, [nbformat.v4.new_markdown_cell(EN_MD), _code("print(2)", "2\n")],
                  [nbformat.v4.new_markdown_cell(md), _code(code, "2\n")], monkeypatch)
    problems = editions.notebook_mismatches(zh)
    assert len(problems) == 1 and expected in problems[0], problems


def test_inline_math_wrapped_over_two_lines_is_one_formula(tmp_path, monkeypatch):
    # book/bidirectional and book/lstm_gates wrap long inline formulas; a translation may keep them on one line
    en_md = "The output is $a = h(c')\\,\nf(z_o)$, with $c$ the memory.\n\nA price of $5 is not math."
    zh_md = "输出为 $a = h(c')\\, f(z_o)$，其中 $c$ 是记忆元。\n\n价格 $5 不是公式。"
    _, zh = _pair(tmp_path, [nbformat.v4.new_markdown_cell(en_md)], [nbformat.v4.new_markdown_cell(zh_md)],
                  monkeypatch)
    assert editions.notebook_mismatches(zh) == []
    assert editions.markdown_facts(en_md).math == {"a = h(c')\\, f(z_o)": 1, "c": 1}
    _, zh = _pair(tmp_path / "b", [nbformat.v4.new_markdown_cell(en_md)],
                  [nbformat.v4.new_markdown_cell(zh_md.replace("f(z_o)", "f(z_i)"))], monkeypatch)
    assert "math" in editions.notebook_mismatches(zh)[0]


def test_outputs_tags_and_structure_drift_is_reported(tmp_path, monkeypatch):
    _, zh = _pair(tmp_path, [_code("print(2)", "2\n", tags=["remove-cell"]), _code("print(3)", "3\n")],
                  [_code("print(2)", "2.0\n"), _code("print(3)", "3\n")], monkeypatch)
    problems = editions.notebook_mismatches(zh)
    assert any("metadata" in p for p in problems) and any("printed outputs differ" in p for p in problems)
    _, zh = _pair(tmp_path / "b", [_code("print(2)"), nbformat.v4.new_markdown_cell("x")],
                  [nbformat.v4.new_markdown_cell("x"), _code("print(2)")], monkeypatch)
    assert "is a markdown cell" in editions.notebook_mismatches(zh)[0]


def test_sync_copies_code_and_metadata_applies_the_declared_difference_and_keeps_markdown(tmp_path, monkeypatch):
    en, zh = _pair(tmp_path, [nbformat.v4.new_markdown_cell("English"),
                              _code('import numpy\nLANG = "en"  # label language\nprint(LANG)', tags=["x"])],
                   [nbformat.v4.new_markdown_cell("中文"), _code("old code")], monkeypatch)
    assert editions.sync(zh) == 1
    cells = nbformat.read(zh, as_version=4).cells
    assert cells[0].source == "中文"
    assert cells[1].source == f"import numpy\n{editions.ZH_LANG_LINE}\nprint(LANG)"
    assert cells[1].metadata["tags"] == ["x"]
    assert editions.main(["check", str(zh)]) == 0


def test_sync_refuses_a_different_structure_and_changes_nothing(tmp_path, monkeypatch):
    en, zh = _pair(tmp_path, [nbformat.v4.new_markdown_cell("a"), _code("x = 1")],
                   [nbformat.v4.new_markdown_cell("甲"), nbformat.v4.new_markdown_cell("乙"), _code("x = 2")],
                   monkeypatch)
    before = zh.read_bytes()
    with pytest.raises(editions.EditionsError, match="cell structure differs.*3 cells, the English twin has 2"):
        editions.sync(zh)
    assert zh.read_bytes() == before
    assert editions.main(["sync", str(zh)]) == 1


# -------------------------------------------------- figure captions: translated text, untranslated label
EN_CAPTION = "The gate opening $\\sigma(z)$; compare {numref}`fig-trace`."
ZH_CAPTION = "门被打开的程度 $\\sigma(z)$；请与{numref}`fig-trace`比较。"


def _figure(caption, name="fig-gate-opening"):
    cell = _code("plt.show()", "")
    cell.metadata["mystnb"] = {"figure": {"name": name, "caption": caption}}
    if caption is None:
        del cell.metadata["mystnb"]["figure"]["caption"]
    return cell


def test_a_translated_figure_caption_passes_and_sync_keeps_it(tmp_path, monkeypatch):
    _, zh = _pair(tmp_path, [_figure(EN_CAPTION)], [_figure(ZH_CAPTION)], monkeypatch)
    assert editions.notebook_mismatches(zh) == []
    assert editions.sync(zh) == 0
    assert nbformat.read(zh, as_version=4).cells[0].metadata["mystnb"]["figure"]["caption"] == ZH_CAPTION


@pytest.mark.parametrize("zh_cell, expected", [
    (_figure(ZH_CAPTION, name="fig-men"), "metadata"),  # the label is not translated
    (_figure(EN_CAPTION), "caption not translated"),
    (_figure(None), "caption missing"),
    (_figure(ZH_CAPTION.replace("\\sigma(z)", "\\sigma(x)")), "caption: math"),
    (_figure(ZH_CAPTION.replace("fig-trace", "fig-other")), "caption: references"),
])
def test_figure_caption_and_label_drift_is_reported(tmp_path, monkeypatch, zh_cell, expected):
    _, zh = _pair(tmp_path, [_figure(EN_CAPTION)], [zh_cell], monkeypatch)
    problems = editions.notebook_mismatches(zh)
    assert len(problems) == 1 and expected in problems[0], problems


EN_ALT = "Line chart of the gate opening against the gate input: an S-shaped curve from zero to one."
ZH_ALT = "门被打开的程度随门的输入变化的折线图：一条从零升到一的 S 形曲线。"


def _figure_with_alt(caption, alt):
    cell = _figure(caption)
    if alt is not None:
        cell.metadata["mystnb"]["image"] = {"alt": alt}
    return cell


@pytest.mark.parametrize("zh_alt, expected", [
    (ZH_ALT, None),
    (EN_ALT, "mystnb.image.alt not translated"),
    (None, "mystnb.image.alt missing"),
])
def test_a_figure_text_alternative_is_translated_like_its_caption(tmp_path, monkeypatch, zh_alt, expected):
    _, zh = _pair(tmp_path, [_figure_with_alt(EN_CAPTION, EN_ALT)], [_figure_with_alt(ZH_CAPTION, zh_alt)],
                  monkeypatch)
    problems = editions.notebook_mismatches(zh)
    if expected is None:
        assert problems == []
        assert editions.sync(zh) == 0  # sync keeps the translation
        assert nbformat.read(zh, as_version=4).cells[0].metadata["mystnb"]["image"]["alt"] == ZH_ALT
    else:
        assert len(problems) == 1 and expected in problems[0], problems


def test_sync_carries_a_new_label_keeps_the_translated_caption_and_brings_a_new_one_in_english(tmp_path, monkeypatch):
    en, zh = _pair(tmp_path, [_figure(EN_CAPTION, name="fig-renamed"), _figure("A second figure.", name="fig-b")],
                   [_figure(ZH_CAPTION), _code("plt.show()", "")], monkeypatch)
    assert editions.sync(zh) == 2
    first, second = (c.metadata["mystnb"]["figure"] for c in nbformat.read(zh, as_version=4).cells)
    assert first == {"name": "fig-renamed", "caption": ZH_CAPTION}
    assert second == {"name": "fig-b", "caption": "A second figure."}
    problems = editions.notebook_mismatches(zh)
    assert len(problems) == 1 and "cell 1" in problems[0] and "not translated" in problems[0], problems
