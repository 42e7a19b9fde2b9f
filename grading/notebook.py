"""Reading an nbgrader notebook: which cells are answers, tests and read-only code, and what a submission did.

The instructor's *source* notebook is the only authority on the cells: their kind, their code and their
points. A submission contributes its answer cells (found by ``grade_id``) and any cells it added; its copies
of read-only cells are ignored (the source's code is used), and what it did to the structure is noted:
a duplicated cell (nbgrader issue #1083), a deleted one, edited metadata or an edited read-only cell.
"""
from __future__ import annotations

import ast
import copy
import json
import re
import uuid
from dataclasses import dataclass, field

SOLUTION_BLOCK = re.compile(r"^[ \t]*### BEGIN SOLUTION.*?^[ \t]*### END SOLUTION[^\n]*\n?", re.M | re.S)
HIDDEN_BLOCK = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?^[ \t]*### END HIDDEN TESTS[^\n]*\n?", re.M | re.S)
MARKER_LINE = re.compile(r"^[ \t]*### (BEGIN|END) (SOLUTION|HIDDEN TESTS)[^\n]*\n?", re.M)


def read_notebook(path):
    """A notebook (nbformat 4) as plain dicts, every cell's source one string.

    The judge does not import ``nbformat``: its schema validator takes seconds to import.
    """
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or data.get("nbformat") != 4 or not isinstance(data.get("cells"), list):
        raise ValueError("not a Jupyter notebook of format 4")
    for cell in data["cells"]:
        if not isinstance(cell, dict):
            raise ValueError("a cell that is not a JSON object")
        if isinstance(cell.get("source"), list):
            cell["source"] = "".join(map(str, cell["source"]))
        if not isinstance(cell.get("metadata"), dict):
            cell["metadata"] = {}
    return data


def new_code_cell(source):
    return {"cell_type": "code", "execution_count": None, "id": uuid.uuid4().hex[:8], "metadata": {},
            "outputs": [], "source": source}


def meta(cell):
    value = cell.get("metadata", {}).get("nbgrader")
    return value if isinstance(value, dict) else {}


def kind(cell):
    """``answer``, ``test``, ``locked`` (read-only code), ``markdown`` or ``other`` (no nbgrader role)."""
    m = meta(cell)
    if cell.get("cell_type") != "code":
        return "markdown"
    if m.get("solution"):
        return "answer"
    if m.get("grade"):
        return "test"
    if m.get("locked") or m.get("grade_id"):
        return "locked"
    return "other"


def strip_secrets(source):
    """A source cell's code as the student version has it: no hidden tests, no solution."""
    source = HIDDEN_BLOCK.sub("", source)
    return SOLUTION_BLOCK.sub("raise NotImplementedError()\n", source)


def strip_markers(source):
    """The instructor's solution with its marker lines removed (the code a perfect student writes)."""
    return MARKER_LINE.sub("", source)


def _normal(code):
    return [line.rstrip() for line in code.splitlines() if line.strip()]


def defined_names(source):
    """The top-level names an answer cell defines: ``{name: "function" | "value"}`` (in order)."""
    try:
        tree = ast.parse(strip_markers(source))
    except SyntaxError:
        return {}
    names = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = "function"
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.setdefault(sub.id, "value")
    return names


@dataclass
class SourceCell:
    index: int
    grade_id: str
    kind: str
    source: str
    points: float = 0.0


@dataclass
class Assignment:
    """The source notebook of one assignment, read once per run."""

    name: str
    notebook_id: str
    nb: dict
    cells: list = field(default_factory=list)

    @classmethod
    def read(cls, path, name):
        nb = read_notebook(path)
        out = cls(name, path.stem, nb)
        for i, cell in enumerate(nb["cells"]):
            m = meta(cell)
            out.cells.append(SourceCell(i, m.get("grade_id", f"cell-{i}"), kind(cell), cell.get("source", ""),
                                        float(m.get("points", 0) or 0)))
        return out

    def by_id(self):
        return {c.grade_id: c for c in self.cells}

    @property
    def tests(self):
        return [c for c in self.cells if c.kind == "test"]

    @property
    def answers(self):
        return [c for c in self.cells if c.kind == "answer"]

    @property
    def max_score(self):
        return sum(c.points for c in self.tests)


@dataclass
class Submission:
    """A submission read against its assignment's source."""

    answers: dict  # grade_id of an answer cell -> the student's code (duplicates joined in order)
    extras: dict  # index of the source cell they follow (-1: before all) -> [code of added cells]
    findings: list  # what the student did to the notebook's structure, for the report and feedback


def read_submission(path, assignment):
    """Match a submitted notebook's cells with the source's; never trusts its metadata beyond grade_id."""
    try:
        nb = read_notebook(path)
    except Exception as err:  # noqa: BLE001 (an unreadable file is graded as an empty submission)
        return Submission({}, {}, [f"the notebook could not be read ({type(err).__name__}: {err}); "
                                   "it is graded as empty"])
    return read_submission_nb(nb, assignment)


def read_submission_nb(nb, assignment):
    """:func:`read_submission` of a notebook already read."""
    findings = []
    source = assignment.by_id()
    answers, extras, seen, last = {}, {}, {}, -1
    for cell in nb["cells"]:
        m, code = meta(cell), cell.get("source", "")
        if isinstance(code, list):
            code = "".join(map(str, code))
        if not isinstance(code, str):
            code = ""
        gid = m.get("grade_id")
        ref = source.get(gid) if isinstance(gid, str) else None
        if ref is None:
            if cell.get("cell_type") == "code" and code.strip():
                extras.setdefault(last, []).append(code)
                if gid is not None:
                    findings.append(f"a cell has an unknown grade_id {gid!r}: it ran as a cell of your own")
            continue
        seen[gid] = seen.get(gid, 0) + 1
        last = ref.index
        if ref.kind == "answer":
            if cell.get("cell_type") != "code":
                findings.append(f"answer cell {gid} was turned into {cell.get('cell_type')}: it ran as code")
            answers[gid] = answers[gid] + "\n\n" + code if gid in answers else code
            if not m.get("solution") or m.get("grade") or m.get("locked"):
                findings.append(f"the nbgrader metadata of answer cell {gid} was edited: the source's was used")
        elif ref.kind in ("test", "locked") and _normal(code) not in (_normal(ref.source),
                                                                       _normal(strip_secrets(ref.source))):
            if seen[gid] == 1:
                findings.append(f"read-only cell {gid} was edited or its metadata changed: the instructor's "
                                "version was used")
        elif ref.kind in ("test", "locked"):
            sub = meta(cell)
            if float(sub.get("points", ref.points) or 0) != ref.points or bool(sub.get("grade")) != (ref.kind == "test"):
                findings.append(f"the nbgrader metadata of {gid} was edited: the source's was used")
    for gid, count in seen.items():
        if count > 1:
            what = "answer" if source[gid].kind == "answer" else "read-only"
            how = "their code was joined in order" if what == "answer" else "the instructor's version was used once"
            findings.append(f"{what} cell {gid} appears {count} times (copy/paste or split cell): {how}")
    for ref in assignment.cells:
        if ref.kind in ("answer", "test", "locked") and ref.grade_id not in seen:
            if ref.kind == "answer":
                findings.append(f"answer cell {ref.grade_id} was deleted: the tests that need it fail")
            else:
                findings.append(f"{'test' if ref.kind == 'test' else 'read-only'} cell {ref.grade_id} was "
                                "deleted: the instructor's version was used")
    return Submission(answers, extras, findings)


def sandbox_cells(assignment, submission):
    """The code the submission's process runs, in order: ``[(label, code)]``.

    Read-only cells as the student version has them (the source's, without hidden tests), the student's
    answer cells and added cells; never a test cell.
    """
    def yours(codes, where):
        return [(f"your cell {n} {where}" if len(codes) > 1 else f"your cell {where}", code)
                for n, code in enumerate(codes, 1)]

    out = yours(submission.extras.get(-1, []), f"before {assignment.cells[0].grade_id}")
    for cell in assignment.cells:
        if cell.kind in ("locked", "other"):
            out.append((cell.grade_id, strip_secrets(cell.source)))
        elif cell.kind == "answer" and cell.grade_id in submission.answers:
            out.append((cell.grade_id, submission.answers[cell.grade_id]))
        out += yours(submission.extras.get(cell.index, []), f"after {cell.grade_id}")
    return out


def autograded_notebook(assignment, submission, outputs):
    """The source notebook with the student's answers (and added cells) and the grader's outputs.

    ``outputs`` maps a grade_id to a list of outputs (nbformat's dicts). nbgrader's ``generate_feedback`` reads
    this notebook together with the scores in the gradebook.
    """
    nb = copy.deepcopy(assignment.nb)
    cells = []
    for cell, ref in zip(nb["cells"], assignment.cells):
        if ref.kind == "answer":
            cell["source"] = submission.answers.get(ref.grade_id, "")
        if cell.get("cell_type") == "code":
            cell["outputs"] = list(outputs.get(ref.grade_id, []))
            cell["execution_count"] = None
        cells.append(cell)
        cells += [new_code_cell(code) for code in submission.extras.get(ref.index, [])]
    nb["cells"] = [new_code_cell(code) for code in submission.extras.get(-1, [])] + cells
    return nb
