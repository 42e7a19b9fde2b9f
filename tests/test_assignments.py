"""The nbgrader course folder ``assignments/`` and its grader, run the way ``book/instructors.md`` says.

One module-scoped fixture copies the course folder into a temporary directory the way a fresh clone has
it (``source/``, ``nbgrader_config.py``, ``grading.toml``: no gradebook, no release), then works there
as the instructor would, once:

1. ``nbgrader generate_assignment "*" --force``: the student release of every assignment;
2. submissions are written into ``submitted/<student>/<assignment>/``: the instructor's solutions, the
   same solutions computed in float32, the untouched release, plausible wrong answers, a submission that
   raises and one that never ends, one collected from a download by ``nbgrader zip_collect``, and the
   *hostile battery*: a blank release with one cheat in it (patched ``np.allclose``, redefined
   ``check``, patched ``companion``, an IPython input transformer, a custom exception handler, reading
   the course's files, writing the gradebook, a pickle-like payload, calling the withheld reference)
   and correct work with an attack beside it (killing the grader, detached processes, a fork bomb, an
   interrupt-proof loop, an allocation far above the memory limit, duplicated, deleted and edited cells,
   noise on stderr, an exit in one function);
3. ``make grade COURSE=<copy> JOBS=2``: ONE grading run for all of them, as one batch;
4. the tests read what it wrote: ``grades.csv``, the gradebook, ``reports/``, ``feedback/``, and check the
   course's files and the machine's processes afterwards.

Every submission must score exactly what its honest content earns.
"""
import csv
import hashlib
import json
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

from grading.notebook import strip_markers

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "assignments"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())
TIMEOUT = 8  # seconds per cell or call while grading here (the course's grading.toml allows 60)

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
SURVIVOR_MARKS = ("7777", "7778")  # `sleep` arguments of the processes that attacks try to leave behind


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
    ZIPPED_STUDENT: {ZIPPED_ASSIGNMENT: ({"test_bidir_values"}, "order they were computed")},
}


# --------------------------------------------------------------------------------------------------
# The hostile battery. Each attack is (assignment, how the submission is made, expected score, what the
# report must say). "blank" attacks put a cheat into the untouched release: they must score 0. "solved"
# attacks put an attack beside the instructor's solutions: they must score full marks (the attack costs
# nothing and gains nothing), or exactly what the intact parts earn.

FLOAT32 = '''

import functools as _functools
import numpy as _np


def _to_float32(value):
    if isinstance(value, _np.ndarray) and value.dtype.kind == "f":
        return value.astype(_np.float32)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_to_float32, value))
    if isinstance(value, (tuple, list)):
        return type(value)(map(_to_float32, value))
    return value


def _in_float32(function):
    @_functools.wraps(function)
    def wrapped(*args, **kwargs):
        return _to_float32(function(*_to_float32(args), **{k: _to_float32(v) for k, v in kwargs.items()}))
    return wrapped


{name} = _in_float32({name})
'''

LEAK_PROBE = '''
import glob, os, sys
leaked = []
for path in {paths!r}:
    try:
        with open(path, "rb") as f:
            f.read(16)
        leaked.append(path)
    except OSError:
        pass
leaked += glob.glob({course!r} + "/*") + glob.glob({root!r} + "/*") + glob.glob(os.path.expanduser("~root") + "/*")
try:
    import socket
    socket.create_connection(("pypi.org", 443), timeout=3)
    leaked.append("network")
except OSError:
    pass
print("LEAKED:", leaked, file=sys.stderr)
'''

GRADEBOOK_WRITE = '''
import sqlite3, sys
for path in [{db!r}, "gradebook.db", "../gradebook.db", "../../gradebook.db", "../../../gradebook.db"]:
    try:
        db = sqlite3.connect(path)
        db.execute("UPDATE grade SET auto_score = 100")
        db.execute("UPDATE source_cell SET source = 'pass'")
        db.commit()
        print("WROTE", path, file=sys.stderr)
    except Exception as err:
        pass
for path in [{pwned!r}, {source_nb!r}]:
    try:
        with open(path, "a") as f:
            f.write("pwned")
    except OSError:
        pass
'''

KILL_GRADER = '''
import os, signal, subprocess
for pid in (os.getppid(), 1):
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
subprocess.run("pkill -9 -f grading; pkill -9 -f pytest; kill -9 -1", shell=True)
'''

DETACHED = '''
import os, subprocess
subprocess.Popen(["sleep", "7777"], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:  # a double-forked daemon
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "7777"])
    os._exit(0)
'''

FORK_BOMB = '''
import os
for _ in range(100000):
    try:
        if os.fork() == 0:
            os.execvp("sleep", ["sleep", "7778"])
    except OSError:
        break
'''

UNSTOPPABLE = '''
import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    try:
        time.sleep(0.2)
    except BaseException:
        pass
'''

MEMORY_HOG = '''
hog = bytearray(16 * 2**30)  # 16 GiB: far above the sandbox's limit
'''

NOISE = '''
import sys, warnings
warnings.simplefilter("always")
warnings.warn("np.find_common_type is deprecated", DeprecationWarning)
for i in range(50):
    print(f"\\r{i * 2}%|####      | {i}/50 [00:00<00:00, 900.0it/s]", end="", file=sys.stderr)
print(file=sys.stderr)
'''

PICKLE_PAYLOAD = '''
import os
import numpy as np


class Payload:
    def __reduce__(self):
        return (os.system, ("touch {marker}",))


def lstm_step_forward(x_t, a_prev, c_prev, W, U, b, g="tanh", h="tanh"):
    return np.array([Payload()], dtype=object), Payload(), {{"cache": Payload()}}


def lstm_step_backward(da, dc, cache):
    return (Payload(),) * 6
'''

CALLS_REFERENCE = '''
def lstm_step_forward(x_t, a_prev, c_prev, W, U, b, g="tanh", h="tanh"):
    return reference_lstm.lstm_step_forward(x_t, a_prev, c_prev, W, U, b, g, h)


def lstm_step_backward(da, dc, cache):
    return reference_lstm.lstm_step_backward(da, dc, cache)
'''

GRU_CHEAT = '''
import numpy as np
import companion.gru

reference_gru.gru_step_backward = companion.gru.gru_step_backward = lambda *a, **k: (np.zeros(1),) * 6


def gru_step_forward(x_t, h_prev, W, U, b_ih, b_hh):
    return reference_gru.gru_step_forward(x_t, h_prev, W, U, b_ih, b_hh)


def gru_step_backward(dh_t, cache):
    return reference_gru.gru_step_backward(dh_t, cache)
'''


def _attacks(course):
    """student -> (assignment, [(kind, code)], expected score, phrases its report must contain).

    Attacks that do not interfere are grouped into one submission, so that the battery costs a few
    notebooks; each kind is applied in turn (see :func:`_attack`).
    """
    src = lambda a: str(course / "source" / a / f"{a}.ipynb")  # noqa: E731
    paths = [src("lstm_gates"), str(course / "gradebook.db"), str(course / "nbgrader_config.py"),
             str(course / "submitted" / "instructor" / "lstm_gates" / "lstm_gates.ipynb"), str(ROOT / "README.md"),
             "/root/.bashrc", "/etc/shadow", "/proc/1/environ"]
    cheats = "\n\n".join([
        LEAK_PROBE.format(paths=paths, course=str(course), root=str(ROOT)),
        GRADEBOOK_WRITE.format(db=str(course / "gradebook.db"), pwned=str(course / "pwned.txt"),
                               source_nb=src("lstm_gates")),
        "import numpy as np\nnp.allclose = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None",
        "import companion.testing\ndef check(*args, **kwargs):\n    pass\n"
        "companion.testing.check = check\ncompanion.testing.close = lambda *a, **k: True",
        "import companion.lstm\nfor _m in (reference_lstm, companion.lstm):\n"
        "    _m.lstm_step_forward = lambda *a, **k: (np.zeros(1), np.zeros(1), None)\n"
        "    _m.lstm_step_backward = lambda *a, **k: (np.zeros(1),) * 6",
        "import sys\nget_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
        "sys.excepthook = lambda *a: None",
    ])
    return {
        # the untouched release with cheats in it: 0, whatever the cheats do to their own process
        "cheater": ("lstm_gates", [("blank", cheats)], 0, ["LEAKED: []"]),
        "cheat_transformer": ("deep_rnn", [("blank", 'get_ipython().input_transformers_cleanup.append('
                                                    'lambda lines: ["pass\\n"])')], 0, []),
        "cheat_payloads": ("lstm_gates", [("replace", PICKLE_PAYLOAD.format(marker=course / "unpickled")
                                           + CALLS_REFERENCE.split("\n\n\n")[1])], 0,
                           ["cannot read", "withheld while grading"]),
        "cheat_gru": ("lstm_variants", [("replace", GRU_CHEAT)], 0, ["withheld while grading"]),
        # correct work beside attacks on the grader and the machine: full marks
        "saboteur": ("deep_rnn", [("solved_extra", code) for code in (KILL_GRADER, DETACHED, FORK_BOMB, MEMORY_HOG,
                                                                      NOISE, UNSTOPPABLE)], 5,
                     ["died during cell your cell", "MemoryError", "ran longer than", "DeprecationWarning"]),
        "structure": ("elman_jordan", [("duplicate", None), ("delete", None), ("metadata", None)], 10,
                      ["appears 2 times", "was deleted", "metadata of"]),
        # the intact parts earn their marks; a copy of companion earns marks and a flag
        "exits": ("elman_jordan", [("exit_backward", None)], 6, ["died while running elman_step_backward"]),
        "copied": ("lstm_gates", [("copy", None)], 10, ["matches `companion.lstm.lstm_step_forward`"]),
    }


def _answer_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]


def _solved(release_nb, source_nb, mutations=()):
    """The released notebook with the instructor's solutions typed into the answer cells (and edits)."""
    nb = nbformat.from_dict(release_nb)
    solutions = {c.metadata["nbgrader"]["grade_id"]: strip_markers(c.source)
                 for c in source_nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in _answer_cells(nb):
        cell.source = solutions[cell.metadata["nbgrader"]["grade_id"]]
    for grade_id, old, new in mutations:
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
        assert old in cell.source, f"the wrong-answer edit no longer applies to {grade_id}: {old!r}"
        cell.source = cell.source.replace(old, new, 1)
    return nb


def _float32(release_nb, source_nb):
    nb = _solved(release_nb, source_nb)
    for cell in _answer_cells(nb):
        for name in re.findall(r"^def (\w+)\(", cell.source, re.M):
            cell.source += FLOAT32.replace("{name}", name)
    return nb


def _attack(edits, release_nb, source_nb):
    """A submission made from the release ("blank") or the solutions, with attacks in it."""
    nb = nbformat.from_dict(release_nb) if edits[0][0] == "blank" else _solved(release_nb, source_nb)
    for kind, code in edits:
        _edit(nb, kind, code)
    return nb


def _edit(nb, kind, code):
    answers = _answer_cells(nb)
    if kind == "blank":
        answers[0].source = code + "\n\n" + answers[0].source
    elif kind == "solved":
        answers[0].source = code + "\n\n" + answers[0].source
    elif kind == "solved_extra":  # a cell of the student's own, after the first answer and earlier such cells
        at = nb.cells.index(answers[0]) + 1
        while at < len(nb.cells) and "nbgrader" not in nb.cells[at].metadata:
            at += 1
        nb.cells.insert(at, nbformat.v4.new_code_cell(code))
    elif kind == "replace":
        for cell in answers:
            cell.source = ""
        answers[0].source = code
    elif kind == "duplicate":  # a test cell pasted twice, and an answer cell split in two
        # Jupyter gives a pasted or split-off cell an id of its own; its nbgrader metadata is what repeats
        test = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade"))
        pasted = nbformat.from_dict(test)
        pasted.id = f"{test.id}-pasted"
        nb.cells.insert(nb.cells.index(test) + 1, pasted)
        cell = answers[0]
        lines = cell.source.splitlines(True)
        cut = next(i for i, line in enumerate(lines) if line.startswith("    pre ="))
        second = nbformat.from_dict(cell)
        second.id = f"{cell.id}-split"
        cell.source, second.source = "".join(lines[:cut]), "".join(lines[cut:])  # "split cell" mid-function
        nb.cells.insert(nb.cells.index(cell) + 1, second)
    elif kind == "delete":  # a test cell and the grading helper deleted
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") not in
                    ("test_elman_forward_cache", "check_helper")]
    elif kind == "metadata":  # points raised, a test made an answer, an answer made a test
        for cell in nb.cells:
            m = cell.metadata.get("nbgrader", {})
            if m.get("grade"):
                m["points"] = 100
            if m.get("grade_id") == "test_elman_forward":
                m.update(solution=True, grade=False, locked=False)
                cell.source = "pass"
        answers[-1].metadata["nbgrader"].update(grade=True, points=50, locked=True)
    elif kind == "exit_backward":  # forward and Jordan right, backward exits the process
        cell = next(c for c in answers if c.metadata["nbgrader"]["grade_id"] == "elman_step_backward")
        cell.source = cell.source.replace('    """Gradients', '    import os\n    os._exit(3)\n    """Gradients', 1)
        assert "os._exit" in cell.source
    elif kind == "copy":  # companion's own forward step, its docstring and comments gone, names changed
        import ast
        import inspect

        import companion.lstm as ref

        tree = ast.parse(inspect.getsource(ref.lstm_step_forward))
        tree.body[0].body = tree.body[0].body[1:]  # no docstring
        code = ast.unparse(tree).replace("zz", "pre").replace("gf", "g_fn").replace("hf", "h_fn")
        names = sorted(set(re.findall(r"\b([A-Za-z_]\w*)\b", code)) & set(dir(ref)) - {"lstm_step_forward", "np"})
        answers[0].source = f"from companion.lstm import {', '.join(names)}\n\n\n{code}\n"
    else:
        raise ValueError(kind)


# --------------------------------------------------------------------------------------------------
# Running the instructor's commands, isolated from the user's own Jupyter configuration.

def _env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "IPYTHON", "NBGRADER"))}
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / ".local" / "share" / "jupyter" / "runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
    )
    env.setdefault("MPLCONFIGDIR", str(Path.home() / ".cache" / "matplotlib"))
    return env


def _tree_digest(folder):
    h = hashlib.sha256()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        h.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _gradebook_course_digest(path):
    """What generate_assignment recorded (cells, sources, points): grading must leave it as it was."""
    import sqlite3

    db = sqlite3.connect(path)
    rows = []
    for table in ("assignment", "notebook", "base_cells", "grade_cells", "solution_cells", "source_cells"):
        try:
            rows.append(sorted(map(repr, db.execute(f"SELECT * FROM {table}").fetchall())))
        except sqlite3.OperationalError:
            continue
    db.close()
    assert rows, "no course tables found in the gradebook"
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _survivors():
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if argv and argv[0].endswith(b"sleep") and any(m.encode() in argv for m in SURVIVOR_MARKS):
                found.append((proc.name, argv))
    return found


class Course:
    """The temporary course folder and what the commands wrote there."""

    def __init__(self, path, env):
        self.path, self.env, self.logs, self.durations = path, env, {}, {}

    def run(self, name, argv, cwd):
        start = time.perf_counter()
        proc = subprocess.run(argv, cwd=cwd, env=self.env, capture_output=True, text=True, timeout=900)
        self.logs[name] = proc
        self.durations[name] = round(time.perf_counter() - start, 1)
        assert proc.returncode == 0, f"{name} failed:\n{proc.stdout[-5000:]}\n{proc.stderr[-5000:]}"
        return proc

    def nbgrader(self, *args):
        return self.run(args[0], [sys.executable, "-m", "nbgrader", *args], self.path)

    def notebook(self, step, student, assignment):
        folder = self.path / step / student / assignment if student else self.path / step / assignment
        return nbformat.read(folder / f"{assignment}.ipynb", as_version=4)

    def grades(self):
        with open(self.path / "grades.csv", newline="") as f:
            return {(row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
                    for row in csv.DictReader(f)}

    def report(self, student):
        return (self.path / "reports" / f"{student}.md").read_text()

    def run_row(self, student, assignment):
        return next(r for r in self.summary["notebooks"] if r["student"] == student and r["assignment"] == assignment)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    assert shutil.which("bwrap"), "bubblewrap (bwrap) is required: apt-get install bubblewrap (.ci/run does)"
    tmp = tmp_path_factory.mktemp("course")
    path = tmp / "assignments"
    path.mkdir()
    for name in ("nbgrader_config.py", "grading.toml"):
        shutil.copy(COURSE / name, path)
    shutil.copytree(COURSE / "source", path / "source")
    (tmp / "home").mkdir()
    c = Course(path, _env(tmp / "home"))
    start = time.perf_counter()
    assert not _survivors(), f"processes of an earlier run are still there: {_survivors()}"

    c.nbgrader("generate_assignment", "*", "--force")

    sources = {a: nbformat.read(path / "source" / a / f"{a}.ipynb", as_version=4) for a in ASSIGNMENTS}
    releases = {a: c.notebook("release", None, a) for a in ASSIGNMENTS}
    submissions = {("instructor", a): _solved(releases[a], sources[a]) for a in ASSIGNMENTS}
    submissions.update({("blank", a): releases[a] for a in ASSIGNMENTS})
    submissions.update({("float32", a): _float32(releases[a], sources[a]) for a in ASSIGNMENTS})
    for student, edits in MUTATIONS.items():
        for a, mutations in edits.items():
            submissions[student, a] = _solved(releases[a], sources[a], mutations)
    c.attacks = _attacks(path)
    for student, (a, edits, _, _) in c.attacks.items():
        submissions[student, a] = _attack(edits, releases[a], sources[a])
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

    c.before = {"source": _tree_digest(path / "source"), "gradebook": _gradebook_course_digest(path / "gradebook.db")}
    grade_start = time.perf_counter()
    c.run("make grade", ["make", "-C", str(ROOT), "grade", f"COURSE={path}", "JOBS=2",
                         f"VENV={Path(sys.executable).parent.parent}", f"GRADE_ARGS=--timeout {TIMEOUT}"], ROOT)
    c.grade_seconds = time.perf_counter() - grade_start
    c.after = {"source": _tree_digest(path / "source"), "gradebook": _gradebook_course_digest(path / "gradebook.db")}
    c.survivors = _survivors()
    c.summary = json.loads((path / "reports" / "run.json").read_text())
    c.sources, c.releases, c.seconds = sources, releases, time.perf_counter() - start
    print(f"wall time: {c.seconds:.0f} s (make grade: {c.grade_seconds:.0f} s for {len(submissions) + 1} notebooks); "
          f"by command: {c.durations}")  # shown with pytest -s
    return c


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _points(nb, grade_ids=None):
    return sum(c.metadata["nbgrader"]["points"] for c in _grade_cells(nb)
               if grade_ids is None or c.metadata["nbgrader"]["grade_id"] in grade_ids)


def _failed(course, student, assignment):
    return {t["grade_id"]: t["message"] for t in course.run_row(student, assignment)["tests"] if t["score"] == 0}


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
    # expected values come from the course's reference implementation, never typed by hand, and are
    # compared by the course's one check, whose tolerance the task text states
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert re.search(r"^(import|from) companion", code, re.M)
    assert "from companion.testing import check" in code and "np.allclose" not in code
    assert all(re.search(r"\bcheck\w*\(|\bassert ", c.source) for c in grades)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "float32" in text and "10^{-5} + 10^{-3}" in text, "the task text must state precision and tolerance"


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
    assert "student_id" in cfg.FileNameCollectorPlugin.named_regexp


def test_every_assignment_has_a_grading_table():
    from grading.config import load_config

    assert set(load_config(COURSE)["assignments"]) == set(ASSIGNMENTS)


# --------------------------------------------------------------------------------------------------
# The student release

@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_has_no_solution_code_and_no_hidden_tests(course, assignment):
    source, release = course.sources[assignment], course.releases[assignment]
    text = "\n".join(c.source for c in release.cells)
    for marker in SOLUTION_MARKERS + HIDDEN_MARKERS:
        assert marker not in text
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
    assert [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"]) for c in _grade_cells(release)] \
        == [(c.metadata["nbgrader"]["grade_id"], c.metadata["nbgrader"]["points"]) for c in _grade_cells(source)]
    assert all(c.metadata["nbgrader"]["locked"] for c in _grade_cells(release))
    assert all("raise NotImplementedError()" in c.source for c in release.cells
               if c.metadata["nbgrader"].get("solution"))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_runs_and_only_the_work_to_do_raises(course, assignment):
    """The untouched release ran in the sandbox without an error; every test met its NotImplementedError."""
    row = course.run_row("blank", assignment)
    assert row["cell_errors"] == {} and row["events"] == [] and row["findings"] == []
    assert row["tests"] and all("NotImplementedError" in t["message"] for t in row["tests"])


# --------------------------------------------------------------------------------------------------
# Grading: honest work

def test_grading_run_finished_without_problems(course):
    assert course.summary["problems"] == []
    assert course.summary["mode"] == "bwrap"
    assert not any(r["crash"] for r in course.summary["notebooks"])
    assert "GRADER ERROR" not in course.logs["make grade"].stdout


@pytest.mark.parametrize("student", ["instructor", "float32"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_solutions_get_full_marks_in_float64_and_float32(course, student, assignment):
    assert _failed(course, student, assignment) == {}
    score, max_score = course.grades()[student, assignment]
    assert score == max_score == _points(course.sources[assignment]) > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_unmodified_release_gets_zero(course, assignment):
    score, max_score = course.grades()["blank", assignment]
    assert score == 0 and max_score > 0


@pytest.mark.parametrize("student", sorted(EXPECTED_LOSSES))
def test_plausible_mistake_loses_exactly_its_points_and_is_named(course, student):
    for assignment, (losses, phrase) in EXPECTED_LOSSES[student].items():
        failed = _failed(course, student, assignment)
        assert set(failed) == losses, f"{student} should fail exactly {sorted(losses)}; failed: {failed}"
        for grade_id in losses:
            assert "AssertionError" in failed[grade_id] and phrase in failed[grade_id], failed[grade_id]
        score, max_score = course.grades()[student, assignment]
        assert max_score == _points(course.sources[assignment])
        assert score == max_score - _points(course.sources[assignment], losses)


def test_gradebook_autograded_notebook_and_feedback_show_the_result(course):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course.path / 'gradebook.db'}", "rnn-variants") as gb:
        sub = gb.find_submission("lstm_gates", "swapped_gates")
        assert sub.score == 10 - 5 and sub.max_score == 10
        assert gb.find_submission("lstm_gates", "instructor").score == 10
    nb = course.notebook("autograded", "swapped_gates", "lstm_gates")
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert len(errors) == 3 and all("swapped gate order" in e.evalue for e in errors)
    html = (course.path / "feedback" / "swapped_gates" / "lstm_gates" / "lstm_gates.html").read_text()
    assert "swapped gate order" in html


def test_zip_collect_files_the_download_under_its_student(course):
    assert (course.path / "submitted" / ZIPPED_STUDENT / ZIPPED_ASSIGNMENT / f"{ZIPPED_ASSIGNMENT}.ipynb").exists()


def test_submission_that_raises_gets_zero_and_grading_goes_on(course):
    assert course.grades()["raises", "deep_rnn"][0] == 0
    assert "ImportError" in course.run_row("raises", "deep_rnn")["cell_errors"]["deep_rnn_forward"]
    assert "ImportError" in course.report("raises")


def test_cells_that_never_end_kill_their_process_or_eat_memory_are_stopped_and_the_rest_is_graded(course):
    row = course.run_row("saboteur", "deep_rnn")
    errors = json.dumps(row["cell_errors"])
    assert "ran longer than" in errors and "MemoryError" in errors and "died during cell" in errors
    assert row["score"] == row["max_score"] == 5 and row["starts"] == 3


# --------------------------------------------------------------------------------------------------
# Grading: the hostile battery

def test_every_attack_scores_exactly_what_its_honest_content_earns(course):
    grades = course.grades()
    wrong = {s: (grades[s, a][0], expected) for s, (a, _, expected, _) in course.attacks.items()
             if grades[s, a][0] != expected}
    assert wrong == {}, f"(score, expected) of the attacks that were not graded right: {wrong}"
    for student, (assignment, _, _, phrases) in course.attacks.items():
        assert grades[student, assignment][1] == _points(course.sources[assignment])
        report = course.report(student)
        for phrase in phrases:
            assert phrase in report, f"{student}'s report should say {phrase!r}:\n{report}"


def test_every_student_of_the_batch_was_graded(course):
    submitted = {(s.name, a.name) for s in (course.path / "submitted").iterdir() for a in s.iterdir()}
    graded = {(r["student"], r["assignment"]) for r in course.summary["notebooks"]}
    assert graded == submitted and submitted <= set(course.grades())


def test_course_files_and_gradebook_are_untouched_by_submissions(course):
    assert course.after["source"] == course.before["source"], "source/ changed during grading"
    assert course.after["gradebook"] == course.before["gradebook"], "the gradebook's course cells changed"
    assert not (course.path / "pwned.txt").exists()
    assert not (course.path / "unpickled").exists(), "the judge ran a pickle payload"
    assert "WROTE" not in course.report("cheater")


def test_no_process_survives_grading(course):
    assert course.survivors == []


def test_stderr_noise_costs_nothing_and_is_shown_in_the_report(course):
    assert course.grades()["saboteur", "deep_rnn"][0] == 5
    assert "DeprecationWarning" in course.report("saboteur")


def test_a_duplicated_cell_does_not_stop_the_others(course):
    """nbgrader #1083: a duplicated grade_id stopped autograde for everyone after; here it is handled."""
    row = course.run_row("structure", "elman_jordan")
    assert any("appears 2 times" in f and "test_elman_forward" in f for f in row["findings"])
    assert any("appears 2 times" in f and "elman_step_forward" in f for f in row["findings"])
    assert course.grades()["structure", "elman_jordan"][0] == 10  # and the others: test_every_student...
