"""The nbgrader course folder ``assignments/`` works the way ``book/instructors.md`` says.

One module-scoped fixture copies the course folder into a temporary directory the way a fresh clone
has it (``source/`` and ``nbgrader_config.py``: no gradebook, no release), then runs nbgrader's standard
commands there once, as the instructor would, from that folder:

1. ``nbgrader generate_assignment "*" --force``: the student release of every assignment;
2. submissions are written into ``submitted/<student>/<assignment>/`` (the instructor's solutions, the
   untouched release, plausible wrong answers, a submission that raises and one that never ends), and
   one more arrives as a download from a learning platform, collected by ``nbgrader zip_collect``;
3. ``nbgrader autograde "*"``: one call grades every student and every assignment;
4. ``nbgrader generate_feedback``: the HTML report of one student;
5. ``nbgrader export``: the grades as CSV.

The tests then read what those commands wrote: the release, the autograded notebooks and the CSV.
"""
import csv
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "assignments"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())
CELL_TIMEOUT = 10  # seconds per cell while grading here (the course's own config allows more)

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


# --------------------------------------------------------------------------------------------------
# Submissions: the instructor's solutions, and plausible wrong answers made from them by one edit.

# student -> {assignment: [(grade_id of the answer cell, text in the solution, replacement)]}
MUTATIONS = {
    "swapped_gates": {"lstm_gates": [(
        "lstm_step_forward",
        "z_i, z_f, z, z_o = np.split(",
        "z, z_i, z_f, z_o = np.split(",  # the source's listing order instead of PyTorch's i, f, g, o
    )]},
    "no_forget_gate": {"lstm_gates": [(
        "lstm_step_forward",
        "c = g_z * input_gate + c_prev * forget_gate",
        "c = g_z * input_gate + c_prev",
    )]},
    "missing_transpose": {"elman_jordan": [(
        "elman_step_backward",
        "dU = delta.T @ cache.h_prev",
        "dU = cache.h_prev.T @ delta",
    )]},
    "tanh_only": {"elman_jordan": [(  # right on the visible tests, wrong on a hidden one
        "elman_step_forward",
        'h_t = np.tanh(pre) if nonlinearity == "tanh" else np.maximum(pre, 0.0)',
        "h_t = np.tanh(pre)",  # ignores nonlinearity="relu"
    )]},
    "cho_reset": {"lstm_variants": [(  # the reset gate where Cho et al. (2014) put it, not where PyTorch does
        "gru_step_forward",
        "n = np.tanh(i_n + r * hn)",
        "n = np.tanh(i_n + (r * h_prev) @ U[2 * h_prev.shape[1]:].T + b_hh[2 * h_prev.shape[1]:])",
    )]},
    "no_direct_path": {"lstm_variants": [(
        "gru_step_backward",
        "dh_prev = dh_t * z + dgh @ cache.U",
        "dh_prev = dgh @ cache.U",  # forgets that h_prev reaches h_t through z * h_prev too
    )]},
    "raises": {"deep_rnn": [(
        "deep_rnn_forward",
        "def deep_rnn_forward(",
        "from companion.elman import elman_step_forwards  # a typo: ImportError\n\n\ndef deep_rnn_forward(",
    )]},
    # BPTT: the classic mistakes of the loop and of the step (each one edit of the instructor's solution)
    "bptt_overwrite": {"bptt": [(
        "elman_bptt", "dW = dW + dW_t", "dW = dW_t",  # the shared weight's gradient is not summed over time
    )]},
    "bptt_no_future": {"bptt": [(
        "elman_bptt", "elman_step_backward(dh[t] + dh_next, caches[t])", "elman_step_backward(dh[t], caches[t])",
    )]},
    "bptt_wrong_sign": {"bptt": [(
        "elman_step_backward", "dh_raw = dh_t * (1.0 - cache.h_t ** 2)", "dh_raw = dh_t * (cache.h_t ** 2 - 1.0)",
    )]},
    "bptt_not_truncated": {"bptt": [(  # "truncated" BPTT that is full BPTT
        "truncated_bptt", "parts = [elman_bptt(dh[s:s + k], caches[s:s + k]) for s in range(0, T, k)]",
        "parts = [elman_bptt(dh, caches)]",
    )]},
    "bptt_float32": {"bptt": [(  # not a mistake: float32 answers are accepted within float32's tolerance
        "elman_step_backward", "return dx_t, dh_prev, dW, dU, db",
        "return tuple(np.asarray(g, dtype=np.float32) for g in (dx_t, dh_prev, dW, dU, db))",
    )]},
    "loops": {"classic_experiments": [(
        "jacobian_norms",
        "def jacobian_norms(",
        # waits for a condition that never comes true (sleeping, so it does not eat a core meanwhile)
        "import time\n\nready = False\nwhile not ready:\n    time.sleep(0.1)\n\n\ndef jacobian_norms(",
    )]},
}
# the student whose submission comes through `nbgrader zip_collect` (a download from a learning platform)
ZIPPED_STUDENT, ZIPPED_ASSIGNMENT = "zipped_unreversed", "bidirectional"
ZIPPED_MUTATION = [(
    "bidirectional",
    "backward_states[t] = h_backward",
    "backward_states[T - 1 - t] = h_backward",  # stored in processing order, not time order
)]

# student -> {assignment: (grade cells that must fail, a phrase their messages must contain)}
EXPECTED_LOSSES = {
    "swapped_gates": {"lstm_gates": (
        {"test_lstm_forward_fresh", "test_lstm_forward_memory", "test_lstm_worked_example"},
        "swapped gate order")},
    "no_forget_gate": {"lstm_gates": (
        {"test_lstm_forward_memory", "test_lstm_worked_example"}, "forgot the forget gate")},
    "missing_transpose": {"elman_jordan": ({"test_elman_backward_weights"}, "missing transpose")},
    "tanh_only": {"elman_jordan": ({"test_elman_forward"}, "h_t (relu")},  # caught by the hidden tests
    "cho_reset": {"lstm_variants": ({"test_gru_forward_fresh", "test_gru_forward_values"}, "Cho et al.")},
    "no_direct_path": {"lstm_variants": ({"test_gru_backward_inputs"}, "direct path is missing")},
    "bptt_overwrite": {"bptt": ({"test_bptt_weights", "test_truncated"}, "overwritten at every step")},
    "bptt_no_future": {"bptt": ({"test_bptt_states", "test_bptt_weights", "test_truncated"},
                                "gradient sent back by step t+1 is not added")},
    "bptt_wrong_sign": {"bptt": ({"test_step_inputs", "test_step_weights", "test_bptt_states", "test_bptt_weights",
                                  "test_truncated"}, "wrong sign")},
    "bptt_not_truncated": {"bptt": ({"test_truncated"}, "full BPTT: the gradient still crosses the cuts")},
    "bptt_float32": {"bptt": (set(), "")},
    ZIPPED_STUDENT: {ZIPPED_ASSIGNMENT: ({"test_bidir_values"}, "order they were computed")},
}


def _strip_markers(source):
    return "\n".join(line for line in source.splitlines() if line.strip() not in SOLUTION_MARKERS)


def _solved(release_nb, source_nb, mutations=()):
    """The released notebook with the instructor's solutions typed into the answer cells (and edits)."""
    nb = nbformat.from_dict(release_nb)
    solutions = {c.metadata["nbgrader"]["grade_id"]: _strip_markers(c.source)
                 for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = solutions[meta["grade_id"]]
    for grade_id, old, new in mutations:
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert old in cell.source, f"the wrong-answer edit no longer applies to {grade_id}: {old!r}"
        cell.source = cell.source.replace(old, new, 1)
    return nb


# --------------------------------------------------------------------------------------------------
# Running nbgrader as the instructor would, isolated from the user's own Jupyter configuration.

def _env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "NBGRADER"))}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        # nbgrader runs `alembic` (next to the interpreter) when it creates the gradebook
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    # keep matplotlib's font cache out of the fresh HOME (rebuilding it would eat the cell timeout)
    env.setdefault("MPLCONFIGDIR", str(Path.home() / ".cache" / "matplotlib"))
    return env


class Course:
    """The temporary course folder and what the nbgrader commands printed there."""

    def __init__(self, path, env):
        self.path, self.env, self.logs, self.durations = path, env, {}, {}

    def nbgrader(self, *args):
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.path, env=self.env,
                              capture_output=True, text=True, timeout=600)
        self.logs[args[0]] = proc
        self.durations[args[0]] = round(time.perf_counter() - start, 1)
        assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc

    def notebook(self, step, student, assignment):
        folder = self.path / step / student / assignment if student else self.path / step / assignment
        return nbformat.read(folder / f"{assignment}.ipynb", as_version=4)

    def grades(self):
        with open(self.path / "grades.csv", newline="") as f:
            return {(row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
                    for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course")
    path = tmp / "assignments"
    path.mkdir()
    shutil.copy(COURSE / "nbgrader_config.py", path)
    shutil.copytree(COURSE / "source", path / "source")
    (tmp / "home").mkdir()
    c = Course(path, _env(tmp / "home"))
    start = time.perf_counter()

    c.nbgrader("generate_assignment", "*", "--force")

    sources = {a: nbformat.read(path / "source" / a / f"{a}.ipynb", as_version=4) for a in ASSIGNMENTS}
    releases = {a: c.notebook("release", None, a) for a in ASSIGNMENTS}
    submissions = {("instructor", a): _solved(releases[a], sources[a]) for a in ASSIGNMENTS}
    submissions.update({("blank", a): releases[a] for a in ASSIGNMENTS})
    for student, edits in MUTATIONS.items():
        for a, mutations in edits.items():
            submissions[student, a] = _solved(releases[a], sources[a], mutations)
    for (student, a), nb in submissions.items():
        (path / "submitted" / student / a).mkdir(parents=True)
        nbformat.write(nb, path / "submitted" / student / a / f"{a}.ipynb")

    # a download from a learning platform: a zip of "<student id>--<notebook>.ipynb" files
    archive = path / "downloaded" / ZIPPED_ASSIGNMENT / "archive"
    archive.mkdir(parents=True)
    wrong = _solved(releases[ZIPPED_ASSIGNMENT], sources[ZIPPED_ASSIGNMENT], ZIPPED_MUTATION)
    with zipfile.ZipFile(archive / "submissions.zip", "w") as z:
        z.writestr(f"{ZIPPED_STUDENT}--{ZIPPED_ASSIGNMENT}.ipynb", nbformat.writes(wrong))
    c.nbgrader("zip_collect", ZIPPED_ASSIGNMENT)

    c.nbgrader("autograde", "*", f"--Execute.timeout={CELL_TIMEOUT}")
    c.nbgrader("generate_feedback", "lstm_gates", "--student=swapped_gates")
    c.nbgrader("export", "--to", "grades.csv")
    c.sources, c.releases, c.seconds = sources, releases, time.perf_counter() - start
    print(f"nbgrader wall time: {c.seconds:.0f} s, by command: {c.durations}")  # shown with pytest -s
    return c


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _failed(nb):
    """grade_id -> the text of its error output, for the grade cells of an autograded notebook that failed."""
    out = {}
    for cell in _grade_cells(nb):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if errors:
            out[cell.metadata["nbgrader"]["grade_id"]] = "\n".join(f"{e.ename}: {e.evalue}" for e in errors)
    return out


def _points(nb, grade_ids=None):
    return sum(c.metadata["nbgrader"]["points"] for c in _grade_cells(nb)
               if grade_ids is None or c.metadata["nbgrader"]["grade_id"] in grade_ids)


# --------------------------------------------------------------------------------------------------
# The course folder itself

def test_one_assignment_per_chapter():
    assert set(ASSIGNMENTS) >= {"deep_rnn", "elman_jordan", "bidirectional", "lstm_gates", "bptt",
                                "classic_experiments", "lstm_variants"}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebooks_have_solutions_hidden_tests_and_points(assignment):
    nb = nbformat.read(COURSE / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    metas = [c.metadata["nbgrader"] for c in nb.cells]  # every cell is an nbgrader cell
    assert all(m["schema_version"] == 3 for m in metas)
    assert len({m["grade_id"] for m in metas}) == len(metas), "grade_ids must be unique"
    solutions = [c for c in nb.cells if c.metadata["nbgrader"]["solution"]]
    grades = _grade_cells(nb)
    assert solutions and all(SOLUTION_MARKERS[0] in c.source for c in solutions)
    assert grades and all(c.metadata["nbgrader"]["locked"] and c.metadata["nbgrader"]["points"] > 0 for c in grades)
    assert any(HIDDEN_MARKERS[0] in c.source for c in grades), "no hidden tests"
    # expected values come from the course's reference implementation, never typed by hand
    assert any(re.search(r"^(import|from) companion", c.source, re.M) for c in nb.cells if c.cell_type == "code")
    assert all(re.search(r"\bcheck\w*\(|\bassert ", c.source) for c in grades)


def test_instructors_page_lists_every_assignment_with_its_points():
    page = (ROOT / "book" / "instructors.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \|.*\| (\d+) \|$", page, re.M))
    points = {a: _points(nbformat.read(COURSE / "source" / a / f"{a}.ipynb", as_version=4)) for a in ASSIGNMENTS}
    assert {a: int(p) for a, p in rows.items()} == points


def test_course_config_sets_a_timeout_and_leaves_the_root_unset():
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader("nbgrader_config.py", path=str(COURSE)).load_config()
    assert "root" not in cfg.CourseDirectory, "CourseDirectory.root must stay unset (the folder moves)"
    assert 0 < cfg.Execute.timeout <= 300
    assert cfg.Execute.interrupt_on_timeout is True
    assert "student_id" in cfg.FileNameCollectorPlugin.named_regexp


# --------------------------------------------------------------------------------------------------
# The student release

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_code_and_no_hidden_tests(course, assignment):
    source, release = course.sources[assignment], course.releases[assignment]
    text = "\n".join(c.source for c in release.cells)
    for marker in SOLUTION_MARKERS + HIDDEN_MARKERS:
        assert marker not in text
    # every line of a solution or hidden-test block that appears nowhere else in the source is gone
    secret, public = [], []
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            if line.strip() in (SOLUTION_MARKERS[0], HIDDEN_MARKERS[0]):
                inside = True
            elif line.strip() in (SOLUTION_MARKERS[1], HIDDEN_MARKERS[1]):
                inside = False
            elif line.strip():
                (secret if inside else public).append(line.strip())
    secret = set(secret) - set(public)
    assert secret
    leaked = [line for line in secret if line in {x.strip() for x in text.splitlines()}]
    assert not leaked, f"solution or hidden-test lines in the release of {assignment}: {leaked}"
    # the test cells and their points are all there, read-only
    assert [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"]) for c in _grade_cells(release)] \
        == [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"]) for c in _grade_cells(source)]
    assert all(c.metadata["nbgrader"]["locked"] for c in _grade_cells(release))
    assert all("raise NotImplementedError()" in c.source for c in release.cells
               if c.metadata["nbgrader"].get("solution"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_and_only_the_work_to_do_raises(course, assignment):
    """The student version, run top to bottom: NotImplementedError where work is expected, nothing else.

    The "blank" student submitted the release untouched, so its autograded notebook is the release run
    top to bottom in a fresh kernel (plus the hidden tests, which meet the same NotImplementedError);
    running the release a second time here would only double the cost.
    """
    nb = course.notebook("autograded", "blank", assignment)
    assert [c.source for c in nb.cells if not c.metadata["nbgrader"].get("grade")] == \
        [c.source for c in course.releases[assignment].cells if not c.metadata["nbgrader"].get("grade")]
    raised = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        meta = cell.metadata["nbgrader"]
        if not (meta.get("solution") or meta.get("grade")):
            assert not errors, f"{meta['grade_id']} fails in the release: {errors}"
        for e in errors:
            assert e.ename == "NotImplementedError", f"{meta['grade_id']}: {e.ename}: {e.evalue}"
            raised += 1
    assert raised >= len(_grade_cells(nb)), "every test should meet the NotImplementedError of the work to do"


# --------------------------------------------------------------------------------------------------
# Grading

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_instructor_solutions_get_full_marks(course, assignment):
    nb = course.notebook("autograded", "instructor", assignment)
    assert _failed(nb) == {}
    score, max_score = course.grades()["instructor", assignment]
    assert score == max_score == _points(course.sources[assignment]) > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_unmodified_release_gets_zero(course, assignment):
    score, max_score = course.grades()["blank", assignment]
    assert score == 0 and max_score > 0


@pytest.mark.parametrize("student", sorted(EXPECTED_LOSSES))
def test_plausible_mistake_loses_exactly_its_points_and_is_named(course, student):
    for assignment, (losses, phrase) in EXPECTED_LOSSES[student].items():
        nb = course.notebook("autograded", student, assignment)
        failed = _failed(nb)
        assert set(failed) == losses, f"{student} should fail exactly {sorted(losses)}; failed: {failed}"
        for grade_id in losses:
            assert "AssertionError" in failed[grade_id] and phrase in failed[grade_id], failed[grade_id]
        score, max_score = course.grades()[student, assignment]
        assert max_score == _points(course.sources[assignment])
        assert score == max_score - _points(nb, losses)


def test_feedback_report_shows_the_message(course):
    html = (course.path / "feedback" / "swapped_gates" / "lstm_gates" / "lstm_gates.html").read_text()
    assert "swapped gate order" in html


def test_zip_collect_files_the_download_under_its_student(course):
    assert (course.path / "submitted" / ZIPPED_STUDENT / ZIPPED_ASSIGNMENT / f"{ZIPPED_ASSIGNMENT}.ipynb").exists()


@pytest.mark.parametrize("student, assignment, error", [
    ("raises", "deep_rnn", "ImportError"),
    ("loops", "classic_experiments", None),
])
def test_submission_that_raises_or_never_ends_gets_zero_and_grading_goes_on(course, student, assignment, error):
    nb = course.notebook("autograded", student, assignment)
    assert set(_failed(nb)) == {c.metadata["nbgrader"]["grade_id"] for c in _grade_cells(nb)}
    assert course.grades()[student, assignment][0] == 0
    answer = next(c for c in nb.cells if c.metadata["nbgrader"].get("solution"))
    names = [o.ename for o in answer.outputs if o.output_type == "error"]
    if error:
        assert error in names
    else:  # interrupted at the timeout
        assert names and names[0] in ("KeyboardInterrupt", "CellTimeoutError"), names
    # the same autograde call went on to grade everyone else
    assert course.grades()["instructor", assignment] == (_points(nb),) * 2
    for other, edits in MUTATIONS.items():
        for a in edits:
            assert (course.path / "autograded" / other / a / f"{a}.ipynb").exists(), (other, a)
