r"""Every number on a page is vouched for: the check behind tests/test_page_numbers.py.

A chapter (``book/*.ipynb``) may quote a number in its prose (markdown cells, solutions included, and the
captions and text alternatives of its figures, ``mystnb: figure: caption`` and ``mystnb: image: alt`` of a code
cell) only if

1. a cell of the same notebook printed it: some number in the stored outputs (``stream`` text, ``text/plain``,
   ``text/markdown``), rounded to the digits the prose shows, equals it; or
2. a code cell of the same notebook sets it: it appears in the code (comments removed), e.g. ``steps=400``; or
3. the registry ``tests/page_numbers.yml`` vouches for it: an entry gives the notebook, the number as written on
   the page and either ``test``, the node id of a test that asserts it (the test must exist and its source must
   contain the number, or for a percentage the fraction), or, for a fact about a paper (what the paper did, not
   what we measured), ``cite``, a key of ``references.bib`` that the markdown cell quoting the number cites.
   Every entry must still match a number on the page.

A printed number vouches for a claim when it *rounds* to it (0.2757 printed vouches for "0.28"): a number the
prose got from a cell passes, a typed one almost never does, but a coincidence with an unrelated printed number
can pass too. The check catches numbers that appear nowhere; it does not prove that each appears for the right
reason.

What counts as a number (a *claim*), precisely:

* any run of digits, with an optional decimal part, thousands commas (``2,560``), exponent (``4.5e-05``,
  ``4.54\times10^{-5}``) and a trailing ``%``, in markdown text, in inline or display math, and in the
  comments of code blocks inside markdown (``# [581, 694]``);
* except: integers from 0 to 9 (counts, indices and step numbers, read as words: "3 layers", "step 4");
  integers from 1950 to 2030 without a comma or decimal part (years of citations); numbers inside MyST roles
  (``{cite}`...```, ``{ref}``, ``{eq}``, ``{term}``, ``{py:...}``), directive options (``:label: ex-deep-1``),
  links and URLs, headings' section numbers (``## 3. The adding problem``); in math, exponents and subscripts
  (``h^{(2)}_t``, ``x_{t-1}``), bare powers of ten (``a few $10^{-3}$``: a magnitude, like a word) and the
  right-hand side of a definition whose left-hand side is one symbol (``$H = 24$``, ``$L = 3$``: a setting, not
  a result); the code (not the comments) of code blocks.

A registry entry vouches for every occurrence of its number on its page. Only the notebooks are checked: the
markdown pages of ``book/`` (introduction, glossary, references) quote no measured numbers.

The Chinese edition (``zh/book/*.ipynb``) is checked the same way: a Chinese page's numbers are vouched for by
its own outputs and code, and the registry entries of its English twin (same file name) apply to it too. Chinese
characters count as word characters for Python's ``\w``, but a number right after one (``值为3``) is still a
claim; chapter, section and part numbers (``第 5 章``, ``第 2 节``, ``第 1 部分``) are not, like "Chapter 5".

Run ``python tests/page_numbers.py book/x.ipynb`` (or ``zh/book/x.ipynb``) to list the numbers of a page that
nothing vouches for.
"""
from __future__ import annotations

import ast
import io
import json
import re
import sys
import tokenize
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
ZH_BOOK = ROOT / "zh" / "book"
REGISTRY = Path(__file__).resolve().parent / "page_numbers.yml"

#: Scripts whose characters are words to Python's ``\w`` but separate a number from the text before it (CJK
#: ideographs and punctuation, full-width forms): a number right after one of them is a claim.
_CJK = "\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
_NUMBER = re.compile(
    rf"(?<![.])(?<!(?![{_CJK}])\w)"  # not after a point or a word character, unless that is CJK
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?P<exp>(?:[eE][+\-−]?\d+)|(?:\s*\\times\s*10\^\{?[+\-−]?\d+\}?))?"
    r"(?P<pct>\s*\\?%)?"
)
_ROLE = re.compile(r"\{[\w:.-]+\}`[^`]*`")
_DIRECTIVE_OPTION = re.compile(r"^\s*:[\w-]+:.*$", re.M)
_FENCE_LINE = re.compile(r"^\s*(```+|~~~+)\s*\{?[\w:-]*\}?.*$")
_URL = re.compile(r"https?://\S+|\]\([^)]*\)")
_HEADING_NUMBER = re.compile(r"^(#+\s*)\d+(\.\d+)*\.?", re.M)
_ZH_PART_NUMBER = re.compile(r"第\s*\d+\s*(?=章|节|部分)")  # 第 5 章: a chapter number, like "Chapter 5"
_MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)
_SUPSUB = re.compile(r"[\^_]\s*(\{[^{}]*(\{[^{}]*\}[^{}]*)*\}|\\?\w)")
_DEFINITION = re.compile(r"(^|\$|[,;(]|\\quad|\\qquad)\s*(\\?[A-Za-z]+)(_\{?\w+\}?)?\s*=\s*-?\s*\d+(\.\d+)?\s*(?=$|\$|[,;)]|\\quad|\\qquad|\\;|\\,)")


@dataclass(frozen=True)
class Claim:
    """One number written in a markdown cell."""

    text: str  # as written, e.g. "2,560", "89.8%", "4.54\times10^{-5}"
    value: Decimal
    cell: int
    context: str

    @property
    def key(self) -> str:
        """The number as the registry writes it: digits, decimal point, exponent, percent sign."""
        return _canonical(self.text)


def _canonical(text: str) -> str:
    t = text.replace(",", "").replace("−", "-").replace("\\%", "%").replace(" ", "")
    m = re.match(r"^([\d.]+)\\times10\^\{?([+\-]?\d+)\}?(%?)$", t)
    if m:
        t = f"{m.group(1)}e{m.group(2)}{m.group(3)}"
    return t


def _value(text: str) -> Decimal | None:
    t = _canonical(text).rstrip("%")
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def _is_ignored_integer(text: str, value: Decimal) -> bool:
    if any(ch in text for ch in ".,eE%\\"):
        return False
    return 0 <= value <= 9 or 1950 <= value <= 2030


def _strip_math(math: str) -> str:
    body = re.sub(r"(\d)\s*\\times\s*10\^\{?([+\-−]?\d+)\}?", r"\1e\2", math)  # 4.5\times10^{-5} -> 4.5e-5
    body = re.sub(r"(?<![\d.])10\^\{?[+\-−]?\d+\}?", " ", body)  # a bare power of ten is a magnitude, not a claim
    body = _SUPSUB.sub(" ", body)
    prev = None
    while prev != body:
        prev = body
        body = _DEFINITION.sub(lambda m: m.group(1), body)
    return body


def _code_comments(code: str) -> str:
    """The comments of a Python snippet (the rest is code: settings, not claims)."""
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.COMMENT:
                out.append(tok.string)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        out = [line[line.index("#"):] for line in code.splitlines() if "#" in line]
    return "\n".join(out)


def _code_without_comments(code: str) -> str:
    lines = []
    for line in code.splitlines():
        if line.lstrip().startswith(("%", "!")):
            continue
        lines.append(line)
    code = "\n".join(lines)
    try:
        toks = [t for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type != tokenize.COMMENT]
        return " ".join(t.string for t in toks)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.sub(r"#.*", "", code)


def prose_of(markdown: str) -> str:
    """The text of a markdown cell in which numbers are claims (see the module docstring)."""
    kept, code, fence, directives = [], [], None, []  # fence: the marker of an open code block
    for line in markdown.splitlines():
        m = _FENCE_LINE.match(line)
        if fence is not None:  # inside a code block: keep only the comments, at its closing fence
            if m and line.strip() == fence:
                kept.append(_code_comments("\n".join(code)))
                fence, code = None, []
            else:
                code.append(line)
            continue
        if m:
            marker, rest = m.group(1), line.strip()[len(m.group(1)):].strip()
            if rest.startswith("{"):  # a directive opens (```{exercise}, ````{solution})
                directives.append(marker)
            elif not rest and directives and directives[-1] == marker:  # it closes
                directives.pop()
            else:  # a code block opens (```python, or a bare fence)
                fence = marker
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = _DIRECTIVE_OPTION.sub("", text)
    text = _ROLE.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _HEADING_NUMBER.sub(r"\1", text)
    text = _ZH_PART_NUMBER.sub("第", text)
    text = _MATH.sub(lambda m: " " + _strip_math(m.group(0)) + " ", text)
    return text


def claims_in(markdown: str, cell: int = 0) -> list[Claim]:
    """Every number of a markdown cell that is a claim, in order."""
    text = prose_of(markdown)
    found = []
    for m in _NUMBER.finditer(text):
        written = m.group(0).strip()
        value = _value(written)
        if value is None or _is_ignored_integer(written, value):
            continue
        lo, hi = max(0, m.start() - 40), min(len(text), m.end() + 40)
        found.append(Claim(written, value, cell, " ".join(text[lo:hi].split())))
    return found


def _output_text(cell: dict) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if "text" in out:
            parts.append("".join(out["text"]))
        for key in ("text/plain", "text/markdown"):
            if key in out.get("data", {}):
                parts.append("".join(out["data"][key]))
    return "\n".join(parts)


def printed_numbers(notebook: dict) -> list[Decimal]:
    """Every number in the stored outputs of a notebook's code cells."""
    values = []
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            for m in _NUMBER.finditer(_output_text(cell)):
                v = _value(m.group(0).strip())
                if v is not None:
                    values.append(v)
    return values


def code_numbers(notebook: dict) -> set[Decimal]:
    """Every number written in the code (not the comments) of a notebook's code cells: its settings."""
    values = set()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            for m in _NUMBER.finditer(_code_without_comments("".join(cell["source"]))):
                v = _value(m.group(0).strip())
                if v is not None:
                    values.add(v)
    return values


def _decimals(text: str) -> int:
    mantissa = re.split(r"[eE]", _canonical(text).rstrip("%"))[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def rounds_to(printed: Decimal, claim: Claim) -> bool:
    """True when the printed value, rounded to the digits the claim shows, is the claim."""
    try:
        return _rounds_to(printed, claim)
    except InvalidOperation:  # far out of the claim's range
        return False


def _rounds_to(printed: Decimal, claim: Claim) -> bool:
    if printed == claim.value:
        return True
    canon = _canonical(claim.text).rstrip("%")
    quantum = Decimal(1).scaleb(-_decimals(claim.text))
    if "e" in canon.lower():
        exp = int(re.split(r"[eE]", canon)[1])
        if printed == 0:
            return False
        scale = Decimal(1).scaleb(exp)
        return any((printed / scale).quantize(quantum, rounding=r) == claim.value / scale
                   for r in (ROUND_HALF_UP, ROUND_HALF_EVEN))
    return any(printed.quantize(quantum, rounding=r) == claim.value for r in (ROUND_HALF_UP, ROUND_HALF_EVEN))


def load_registry(path: Path = REGISTRY) -> dict[str, list[dict]]:
    """``{notebook file name: [{"number": str, "test": node id, "why": str}, ...]}``."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    return data or {}


def test_source(node_id: str, root: Path = ROOT) -> str | None:
    """The source of the test function a node id (``tests/x.py::test_y``, parameters ignored) names."""
    file, _, name = node_id.partition("::")
    name = name.split("[")[0].split("::")[-1]
    path = root / file
    if not name or not path.is_file():
        return None
    source = path.read_text(encoding="utf-8")
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(source, node)
    return None


def unvouched(path: Path, registry: dict | None = None) -> list[Claim]:
    """The claims of a notebook that no output, no code cell and no registered test vouches for."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    registry = load_registry() if registry is None else registry
    printed = printed_numbers(notebook)
    printed_set = set(printed)
    code = code_numbers(notebook)
    registered = {_canonical(str(e["number"])) for e in registry.get(path.name, [])}
    missing = []
    for i, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] == "markdown":
            text = "".join(cell["source"])
        else:  # the caption and the text alternative of the figure a code cell draws are prose on the page too
            mystnb = cell.get("metadata", {}).get("mystnb", {})
            text = "\n".join(str(part or "") for part in (mystnb.get("figure", {}).get("caption"),
                                                          mystnb.get("image", {}).get("alt")))
        for claim in claims_in(text, i):
            if claim.value in printed_set or claim.value in code or claim.key in registered:
                continue
            if any(rounds_to(p, claim) for p in printed):
                continue
            missing.append(claim)
    return missing


def registry_problems(registry: dict | None = None, book: Path = BOOK) -> list[str]:
    """Entries of the registry that do not hold: unknown notebook, number not on the page, test missing or
    not containing the number."""
    registry = load_registry() if registry is None else registry
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    problems = []
    for name, entries in registry.items():
        path = book / name
        if not path.is_file():
            problems.append(f"{name}: no such notebook in book/")
            continue
        notebook = json.loads(path.read_text(encoding="utf-8"))
        keys = {c.key for i, cell in enumerate(notebook["cells"]) if cell["cell_type"] == "markdown"
                for c in claims_in("".join(cell["source"]), i)}
        cells = {c.key: "".join(cell["source"]) for i, cell in enumerate(notebook["cells"])
                 if cell["cell_type"] == "markdown" for c in claims_in("".join(cell["source"]), i)}
        for entry in entries:
            number, node = _canonical(str(entry.get("number", ""))), entry.get("test", "")
            if number not in keys:
                problems.append(f"{name}: {number!r} is registered but no longer written on the page")
            if "cite" in entry:  # a fact about a paper: the key must exist and the cell must cite it
                key = str(entry["cite"])
                if not re.search(rf"@\w+\{{{re.escape(key)},", bib):
                    problems.append(f"{name}: {number!r}: no entry {key!r} in references.bib")
                elif number in cells and not re.search(rf"\{{cite[^}}]*\}}`[^`]*\b{re.escape(key)}\b", cells[number]):
                    problems.append(f"{name}: {number!r}: the cell that quotes it does not cite {key!r}")
                continue
            source = test_source(node)
            if source is None:
                problems.append(f"{name}: {number!r}: the test {node!r} does not exist")
            elif not _literal_in(number, source):
                problems.append(f"{name}: {number!r}: the test {node!r} does not contain that number")
    return problems


def _literal_in(number: str, source: str) -> bool:
    plain = number.rstrip("%")
    candidates = {plain, plain.replace("e-", "e-0") if re.search(r"e-\d$", plain) else plain}
    if number.endswith("%"):  # a percentage may be asserted as a fraction: 95% as 0.95
        candidates.add(format(Decimal(plain) / 100, "f"))
    flat = source.replace("_", "")
    return any(re.search(rf"(?<![\w.]){re.escape(c)}(?![\w])", flat) for c in candidates)


def notebooks() -> list[Path]:
    """The chapters of both editions: ``book/*.ipynb`` and ``zh/book/*.ipynb``."""
    return sorted(BOOK.glob("*.ipynb")) + sorted(ZH_BOOK.glob("*.ipynb"))


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or notebooks()
    bad = 0
    for path in paths:
        for claim in unvouched(path):
            bad += 1
            print(f"{path.name} cell {claim.cell}: {claim.text!r}  … {claim.context} …")
    for problem in registry_problems():
        bad += 1
        print(problem)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
