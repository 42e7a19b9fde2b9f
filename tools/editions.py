"""Keep the Chinese edition's notebooks in lockstep with the English ones.

A page of the Chinese edition is its English twin at ``zh/`` + the English path (``book/lstm_gates.ipynb`` ->
``zh/book/lstm_gates.ipynb``). A Chinese notebook has the English notebook's cells, in the same order and of the
same types; its markdown cells are translations, its code cells are the English code with the differences
declared in :data:`DECLARED` applied, and nothing else (see ``/work/coord/TEAM.md``, "Fixed contracts").

Usage (from the repository root)::

    python tools/editions.py sync zh/book/lstm_gates.ipynb [...]   # copy the code cells from the English twin
    python tools/editions.py check [zh/book/lstm_gates.ipynb ...]  # report every mismatch (default: all of zh/)

``sync`` rewrites the Chinese notebook's code cells (source and cell metadata) from its English twin with the
declared differences applied, and keeps its markdown cells, its stored outputs and its translated figure
captions and text alternatives (one the Chinese cell lacks is copied in English, for ``check`` to report until it
is translated); it refuses, changing nothing, when the cell structure differs (count, types or order of the
cells). Re-execute the notebook after a sync that changed code (``cd zh/book && jupyter nbconvert --to notebook --execute --inplace X.ipynb``).

``check`` compares each Chinese notebook with its twin and prints every mismatch: cell structure, code after the
declared differences, cell metadata (apart from the execution timestamps and the translated figure captions and
text alternatives, :data:`TRANSLATED_METADATA`: each must be there, be Chinese and keep its formulas and
cross-references; the figure's name, its label, must be the English one), MyST and exercise/solution labels,
cross-reference targets, cited keys, the mathematics of each markdown cell, and the text outputs of each code
cell (images may differ: the Chinese figures have Chinese labels). It exits 1 if there is any.
``tests/test_editions.py`` runs the same comparison for every page of the book.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
#: The Chinese edition's folder: a page's twin is ZH_DIR / its English path.
ZH_DIR = "zh"

#: The declared differences between a code cell of the English edition and its Chinese twin, in order:
#: (pattern, replacement) applied with ``re.sub`` to the English source, line by line (``re.M``). Today one:
#: the figures' label language, ``LANG = "en"`` -> ``LANG = "zh"``, whose comment (if any) is written in Chinese.
ZH_LANG_LINE = 'LANG = "zh"  # 图中文字（标题、坐标轴、图例）的语言；英文版为 "en"'
DECLARED: list[tuple[re.Pattern, str]] = [
    (re.compile(r'^LANG = "en"(?:[ \t]*#[^\n]*)?[ \t]*$', re.M), ZH_LANG_LINE),
]

#: Cell metadata that a run of the notebook writes, and so may differ between the twins.
VOLATILE_METADATA = ("execution",)
#: Cell metadata that is translated, as key paths: the caption of the figure a code cell draws (MyST-NB's
#: ``mystnb: {figure: {caption, name}}``) and the figure's text alternative (``mystnb: {image: {alt}}``, what a
#: screen reader says instead of the image). The figure's ``name`` (its label, the target of ``{numref}``) is not
#: translated: it must be the same in both editions, like every other label.
TRANSLATED_METADATA: tuple[tuple[str, ...], ...] = (("mystnb", "figure", "caption"), ("mystnb", "image", "alt"))
_CJK = re.compile(r"[\u4e00-\u9fff]")


class EditionsError(Exception):
    """The two editions cannot be put in lockstep automatically (the cell structure differs)."""


def english_twin(zh_path: Path) -> Path:
    """The English page of a Chinese page: ``zh/book/x.ipynb`` -> ``book/x.ipynb`` (same root)."""
    zh_path = Path(zh_path).resolve()
    zh_root = (ROOT / ZH_DIR).resolve()
    try:
        rel = zh_path.relative_to(zh_root)
    except ValueError:
        raise EditionsError(f"{zh_path} is not a page of the Chinese edition (under {zh_root})") from None
    return ROOT / rel


def to_zh(source: str) -> str:
    """An English code cell's source with the declared differences applied: what its Chinese twin must hold."""
    for pattern, replacement in DECLARED:
        source = pattern.sub(replacement, source)
    return source


def _get(metadata, path: tuple[str, ...]):
    """The value at a key path of (nested) cell metadata, or None."""
    for key in path:
        if not hasattr(metadata, "get"):
            return None
        metadata = metadata.get(key)
    return metadata


def _set(metadata: dict, path: tuple[str, ...], value) -> None:
    """Put ``value`` at a key path of cell metadata (None removes it), creating the dicts on the way."""
    *parents, last = path
    for key in parents:
        metadata = metadata.setdefault(key, {})
    if value is None:
        metadata.pop(last, None)
    else:
        metadata[last] = value


def _stable_metadata(metadata) -> dict:
    """Cell metadata that must be equal in both editions: without run timestamps and translated texts."""
    stable = copy.deepcopy({k: v for k, v in dict(metadata).items() if k not in VOLATILE_METADATA})
    for path in TRANSLATED_METADATA:
        _set(stable, path, None)
    return stable


def translated_metadata_mismatches(en_metadata, zh_metadata) -> list[str]:
    """How the translated metadata (figure captions, text alternatives) of a Chinese cell falls short of its
    English twin's."""
    problems = []
    for path in TRANSLATED_METADATA:
        key = ".".join(path)
        en, zh = _get(en_metadata, path), _get(zh_metadata, path)
        if en is None and zh is None:
            continue
        if en is None:
            problems.append(f"{key} {zh!r}: the English cell has none")
        elif zh is None:
            problems.append(f"{key} missing: translate the English one, {en!r}")
        elif not _CJK.search(str(zh)):
            problems.append(f"{key} not translated: {zh!r}")
        else:
            problems += [f"{key}: {d}" for d in markdown_facts(str(zh)).differences(markdown_facts(str(en)))]
    return problems


def structure_mismatches(en, zh) -> list[str]:
    """Differences in the cell count, types and order (empty if the structures agree)."""
    en_types = [c.cell_type for c in en.cells]
    zh_types = [c.cell_type for c in zh.cells]
    if en_types == zh_types:
        return []
    problems = []
    if len(en_types) != len(zh_types):
        problems.append(f"{len(zh_types)} cells, the English twin has {len(en_types)}")
    for i, (a, b) in enumerate(zip(en_types, zh_types)):
        if a != b:
            problems.append(f"cell {i} is a {b} cell, the English cell {i} is a {a} cell (first difference)")
            break
    return problems


# ---------------------------------------------------------------------------------------------- markdown facts
_FENCE = re.compile(r"^(`{3,}|~{3,})\s*\{([\w:-]+)\}[ \t]*(.*)$")
_MYST_LABEL = re.compile(r"^\(([^()\s]+)\)=\s*$", re.M)
_OPTION_LABEL = re.compile(r"^:label:\s*(\S+)\s*$", re.M)
_ROLE = re.compile(r"\{(cite(?::\w+)?|ref|numref|doc|eq|term|download|py:\w+)\}`([^`]*)`")
# inline math may run over a line break (MyST does; the English pages wrap long formulas), not over a blank line
_MATH = re.compile(r"\$\$(.+?)\$\$|\$((?:[^$\n]|\n(?![ \t]*\n))+?)\$", re.S)
_CODE = re.compile(r"``[^`]*``|`[^`]*`")


def _role_target(role: str, text: str) -> list[str]:
    if role.startswith("cite"):
        return [k.strip() for k in text.split(",") if k.strip()]
    match = re.search(r"<([^<>]+)>\s*$", text)
    return [(match.group(1) if match else text).strip()]


@dataclass
class MarkdownFacts:
    """What a markdown text must share with its twin: labels, directive targets, references, citations, math."""

    labels: list[str]  # MyST targets "(name)=" and directive ":label:" options, in order
    directives: list[str]  # "{exercise}", "{solution} ex-label", ...: the directive and its argument if a label
    references: Counter  # "ref:sec-x", "term:forget gate", ...
    citations: Counter  # cited keys
    math: Counter  # formulas, whitespace-normalised

    def differences(self, other: MarkdownFacts) -> list[str]:
        out = []
        for name in ("labels", "directives", "references", "citations", "math"):
            mine, theirs = getattr(self, name), getattr(other, name)
            if mine != theirs:
                if isinstance(mine, Counter):
                    missing, extra = sorted((theirs - mine).elements()), sorted((mine - theirs).elements())
                    out.append(f"{name}: missing {missing}, not in English {extra}")
                else:
                    out.append(f"{name}: {mine} vs English {theirs}")
        return out


def markdown_facts(text: str) -> MarkdownFacts:
    """Parse the MyST facts of a markdown text (code spans are not searched for math)."""
    labels = [m.group(1) for m in _MYST_LABEL.finditer(text)] + [m.group(1) for m in _OPTION_LABEL.finditer(text)]
    directives = []
    for line in text.splitlines():
        m = _FENCE.match(line.strip())
        if m and m.group(2) in ("exercise", "solution", "figure", "math", "glossary", "bibliography",
                                "eval-rst", "prf:theorem"):
            arg = m.group(3).strip()
            directives.append(f"{{{m.group(2)}}}" + (f" {arg}" if m.group(2) == "solution" else ""))
    references, citations = Counter(), Counter()
    for m in _ROLE.finditer(text):
        role = m.group(1)
        for target in _role_target(role, m.group(2)):
            (citations if role.startswith("cite") else references)[
                target if role.startswith("cite") else f"{role}:{target}"] += 1
    prose = _CODE.sub(" ", _ROLE.sub(" ", text))
    math = Counter(re.sub(r"\s+", " ", (m.group(1) or m.group(2))).strip() for m in _MATH.finditer(prose))
    # references, citations and formulas are compared as sets: a translation may mention one twice or once
    return MarkdownFacts(labels, directives, Counter(set(references)), Counter(set(citations)), Counter(set(math)))


# ---------------------------------------------------------------------------------------------------- outputs
def _sanitizers() -> list[tuple[re.Pattern, str]]:
    """nbval's sanitize rules (tests/nbval_sanitize.cfg): what nbval ignores is ignored here too."""
    path = ROOT / "tests" / "nbval_sanitize.cfg"
    rules, regex = [], None
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        if line.startswith("regex:"):
            regex = re.compile(line[len("regex:"):].strip())
        elif line.startswith("replace:") and regex is not None:
            rules.append((regex, line[len("replace:"):].strip()))
            regex = None
    return rules


def text_outputs(cell) -> list[str]:
    """The text a code cell printed or displayed (streams joined per stream, text/plain, markdown, errors)."""
    texts, stream = [], {}
    for out in cell.get("outputs", []):
        kind = out.get("output_type")
        if kind == "stream":
            stream[out.get("name")] = stream.get(out.get("name"), "") + "".join(out.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            data = out.get("data", {})
            for mime in ("text/markdown", "text/latex", "text/plain"):
                if mime in data and not ("image/png" in data and mime == "text/plain"):
                    texts.append(f"{mime}: " + "".join(data[mime]))
                    break
        elif kind == "error":
            texts.append(f"error: {out.get('ename')}: {out.get('evalue')}")
    texts = [f"{name}: {text}" for name, text in sorted(stream.items())] + texts
    rules = _sanitizers()
    for pattern, replacement in rules:
        texts = [pattern.sub(replacement, t) for t in texts]
    return texts


# ------------------------------------------------------------------------------------------------------ check
def notebook_mismatches(zh_path: Path) -> list[str]:
    """Every way the Chinese notebook at ``zh_path`` differs from its English twin (empty: in lockstep)."""
    zh_path = Path(zh_path)
    en_path = english_twin(zh_path)
    if not en_path.exists():
        return [f"no English twin {en_path.relative_to(ROOT)}"]
    en, zh = nbformat.read(en_path, as_version=4), nbformat.read(zh_path, as_version=4)
    problems = structure_mismatches(en, zh)
    if problems:
        return problems
    for i, (a, b) in enumerate(zip(en.cells, zh.cells)):
        where = f"cell {i} ({a.cell_type})"
        if _stable_metadata(a.metadata) != _stable_metadata(b.metadata):
            problems.append(f"{where}: metadata {_stable_metadata(b.metadata)} != English "
                            f"{_stable_metadata(a.metadata)}")
        problems += [f"{where}: {p}" for p in translated_metadata_mismatches(a.metadata, b.metadata)]
        if a.cell_type == "code":
            if b.source != to_zh(a.source):
                problems.append(f"{where}: code differs from the English cell beyond the declared differences "
                                f"(run: python tools/editions.py sync {zh_path})")
            if text_outputs(a) != text_outputs(b):
                problems.append(f"{where}: printed outputs differ: {text_outputs(b)!r} != English "
                                f"{text_outputs(a)!r}")
        elif a.cell_type == "markdown":
            problems += [f"{where}: {d}" for d in markdown_facts(b.source).differences(markdown_facts(a.source))]
    return problems


def page_mismatches(zh_path: Path) -> list[str]:
    """Mismatches of a Chinese page (a notebook, cell by cell; a markdown page, as one text)."""
    zh_path = Path(zh_path)
    if zh_path.suffix == ".ipynb":
        return notebook_mismatches(zh_path)
    en_path = english_twin(zh_path)
    if not en_path.exists():
        return [f"no English twin {en_path.relative_to(ROOT)}"]
    en_facts = markdown_facts(en_path.read_text(encoding="utf-8"))
    zh_facts = markdown_facts(zh_path.read_text(encoding="utf-8"))
    return zh_facts.differences(en_facts)


# ------------------------------------------------------------------------------------------------------- sync
def sync(zh_path: Path) -> int:
    """Rewrite the code cells of a Chinese notebook from its English twin; return how many changed.

    Raises
    ------
    EditionsError
        If the English twin is missing or the cell structure differs (nothing is written then).
    """
    zh_path = Path(zh_path)
    en_path = english_twin(zh_path)
    if not en_path.exists():
        raise EditionsError(f"{zh_path}: no English twin {en_path}")
    en, zh = nbformat.read(en_path, as_version=4), nbformat.read(zh_path, as_version=4)
    problems = structure_mismatches(en, zh)
    if problems:
        raise EditionsError(f"{zh_path}: cell structure differs from {en_path.relative_to(ROOT)}: "
                            + "; ".join(problems) + ". Make the cells match first (one markdown cell per "
                            "English markdown cell, one code cell per English code cell, same order).")
    changed = 0
    for a, b in zip(en.cells, zh.cells):
        if a.cell_type != "code":
            continue
        source, metadata = to_zh(a.source), copy.deepcopy(a.metadata)
        for key in VOLATILE_METADATA:  # keep the Chinese run's own timestamps
            metadata.pop(key, None)
            if key in b.metadata:
                metadata[key] = b.metadata[key]
        for path in TRANSLATED_METADATA:  # keep a translation; where there is none yet, the English text
            if _get(a.metadata, path) is not None and _get(b.metadata, path) is not None:
                _set(metadata, path, copy.deepcopy(_get(b.metadata, path)))
        if b.source != source or dict(b.metadata) != dict(metadata):
            b.source, b.metadata = source, metadata
            changed += 1
    if changed:
        nbformat.write(zh, zh_path)
    return changed


def zh_pages() -> list[Path]:
    """Every page of the Chinese edition (notebooks and markdown under zh/book)."""
    base = ROOT / ZH_DIR / "book"
    return sorted(p for p in base.rglob("*") if p.suffix in (".ipynb", ".md") and ".ipynb_checkpoints" not in p.parts)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_sync = sub.add_parser("sync", help="copy the code cells of the English twin into Chinese notebooks")
    p_sync.add_argument("pages", nargs="+", type=Path)
    p_check = sub.add_parser("check", help="report every mismatch between Chinese pages and their twins")
    p_check.add_argument("pages", nargs="*", type=Path)
    args = parser.parse_args(argv)
    if args.command == "sync":
        status = 0
        for page in args.pages:
            try:
                changed = sync(page)
            except EditionsError as err:
                print(f"refused: {err}", file=sys.stderr)
                status = 1
                continue
            print(f"{page}: {changed} code cell(s) rewritten from {english_twin(page).relative_to(ROOT)}"
                  + (" - re-execute the notebook" if changed else ""))
        return status
    pages = args.pages or zh_pages()
    total = 0
    for page in pages:
        problems = page_mismatches(page)
        total += len(problems)
        for problem in problems:
            print(f"{page}: {problem}")
    print(f"{len(pages)} page(s) checked, {total} mismatch(es)")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
