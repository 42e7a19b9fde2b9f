"""Units of the grader (``grading/``) and of ``companion.testing``; the whole run is in test_assignments.py.

Also the measurement behind the course's tolerance: every test of every assignment, run in this process
with the instructor's solutions computed in float32, uses a small fraction of the tolerance, and each
named mistake misses it by a wide margin.
"""
import functools
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

import companion.testing
from companion.elman import ElmanStepCache, elman_step_forward
from companion.lstm import LSTMStepCache
from companion.testing import ATOL, RTOL, check, close
from grading import notebook, sandbox, similarity, wire
from grading.config import load_config
from grading.judge import Session, SubmissionError

ROOT = Path(__file__).resolve().parents[1]
COURSE = ROOT / "assignments"
ASSIGNMENTS = sorted(p.name for p in (COURSE / "source").iterdir() if (p / f"{p.name}.ipynb").exists())


def _source(assignment):
    return notebook.Assignment.read(COURSE / "source" / assignment / f"{assignment}.ipynb", assignment)


# --------------------------------------------------------------------------------------------------
# companion.testing

def test_check_accepts_float32_and_rejects_a_wrong_value_with_its_difference():
    rng = np.random.default_rng(0)
    expected = rng.normal(size=(3, 4))
    check("x", expected.astype(np.float32), expected)
    with pytest.raises(AssertionError, match=r"x differs from the reference \(largest difference 0\.01"):
        check("x", expected + 0.01, expected)


def test_check_names_shape_mistake_nan_and_non_numbers():
    e = np.zeros((2, 3))
    with pytest.raises(AssertionError, match=r"has shape \(3, 2\); expected \(2, 3\)"):
        check("dW", e.T, e)
    with pytest.raises(AssertionError, match="looks like a missing transpose"):
        check("dW", np.ones((3, 2)), e, [("a missing transpose", np.ones((3, 2))), ("skipped", None)])
    with pytest.raises(AssertionError, match="contains NaN"):
        check("a", np.full((2, 3), np.nan), e)
    with pytest.raises(AssertionError, match="should be an array of numbers; got str"):
        check("a", "zeros", e)
    with pytest.raises(AssertionError, match="should be an array of numbers"):
        check("a", [object()], e)


def test_close_is_the_stated_rule_at_its_boundary():
    assert close([1.0], [1.0 + 0.9 * (ATOL + RTOL)]) and not close([1.0], [1.0 + 1.1 * (ATOL + RTOL) / (1 - RTOL)])
    assert close([0.0], [0.9 * ATOL]) and not close([0.0], [1.1 * ATOL])
    assert not close([np.nan], [np.nan]) and not close([1.0, 2.0], [[1.0, 2.0]])


# --------------------------------------------------------------------------------------------------
# wire: plain data only

def _roundtrip(value, decoder=None):
    return wire.read_frame(io.BytesIO(wire.encode(value)), decoder or wire.Decoder())


def test_wire_round_trips_arrays_scalars_containers_namedtuples_and_companion_functions():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    cache = ElmanStepCache(x, x, x, x, x, "tanh")
    value = {"a": [x, (1, 2.5, None, True, "s")], "n": np.float64(3.0), "big": 2**70, "inf": float("inf"),
             "cache": cache, "step": functools.partial(elman_step_forward, nonlinearity="relu"),
             "f": elman_step_forward}
    out = _roundtrip(value)
    assert out["a"][0].dtype == np.float32 and np.array_equal(out["a"][0], x)
    assert out["a"][1] == (1, 2.5, None, True, "s") and out["big"] == 2**70 and out["inf"] == float("inf")
    assert out["n"] == 3.0
    assert isinstance(out["cache"], ElmanStepCache) and out["cache"].nonlinearity == "tanh"
    assert out["step"].func is elman_step_forward and out["step"].keywords == {"nonlinearity": "relu"}
    assert out["f"] is elman_step_forward
    plain = _roundtrip(cache, wire.Decoder(namedtuples=False))
    assert type(plain) is tuple and len(plain) == len(cache)


@pytest.mark.parametrize("value, match", [
    (np.array([object()], dtype=object), "dtype object"),
    (object(), "object"),
    (lambda: 0, "function"),
    (np.array(["a"]), "dtype <U1"),
    ({1: 2}, "keys that are not strings"),
    (json.dumps, "function"),
])
def test_wire_refuses_anything_but_plain_data(value, match):
    with pytest.raises(wire.WireError, match=match):
        wire.encode(value)


def test_wire_never_unpickles_and_refuses_oversized_or_foreign_frames():
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    blob = buf.getvalue()
    head = json.dumps({"arrays": 1, "value": {"array": 0}}).encode()
    frame = wire._LEN.pack(len(head)) + head + wire._LEN.pack(len(blob)) + blob
    with pytest.raises(wire.WireError, match="not a plain .npy array"):
        wire.read_frame(io.BytesIO(frame), wire.Decoder())
    with pytest.raises(wire.WireError, match="at most"):
        wire.read_frame(io.BytesIO(wire._LEN.pack(wire.MAX_FRAME + 1)), wire.Decoder())
    for forged in ({"function": "os:system"}, {"namedtuple": "os:stat_result", "fields": [], "items": []}):
        head = json.dumps({"arrays": 0, "value": forged}).encode()
        frame = wire._LEN.pack(len(head)) + head
        if "function" in forged:
            with pytest.raises(wire.WireError, match="not a name from companion"):
                wire.read_frame(io.BytesIO(frame), wire.Decoder())
        else:
            assert wire.read_frame(io.BytesIO(frame), wire.Decoder()) == ()
    head = json.dumps({"arrays": 0, "value": {"function": "companion.elman:elman_step_forward"}}).encode()
    with pytest.raises(wire.WireError, match="a function where data was expected"):
        wire.read_frame(io.BytesIO(wire._LEN.pack(len(head)) + head), wire.Decoder(functions=False))


# --------------------------------------------------------------------------------------------------
# notebook: the source decides, the submission's structure is reported

def _release_like(assignment):
    nb = nbformat.from_dict(assignment.nb)
    for cell in nb.cells:
        cell.source = notebook.strip_secrets(cell.source)
    return nb


def test_sandbox_cells_never_contain_tests_hidden_tests_or_solutions():
    for name in ASSIGNMENTS:
        a = _source(name)
        sub = notebook.read_submission_nb(_release_like(a), a)
        code = "\n".join(c for _, c in notebook.sandbox_cells(a, sub))
        assert "HIDDEN" not in code and "BEGIN SOLUTION" not in code
        assert not any(notebook.strip_secrets(c.source) in code for c in a.tests)
        assert sub.findings == [], sub.findings
        assert [label for label, _ in notebook.sandbox_cells(a, sub)] == \
            [c.grade_id for c in a.cells if c.kind in ("locked", "answer")]


def test_submission_structure_duplicates_deletions_metadata_and_added_cells():
    a = _source("lstm_gates")
    nb = _release_like(a)
    answer = next(c for c in nb.cells if c.metadata["nbgrader"].get("solution"))
    answer.source = "def lstm_step_forward(*args):"
    half = nbformat.from_dict(answer)
    half.source = "    return 1"
    nb.cells.insert(nb.cells.index(answer) + 1, half)
    test = next(c for c in nb.cells if c.metadata["nbgrader"].get("grade"))
    nb.cells.insert(nb.cells.index(test), nbformat.from_dict(test))
    test.metadata["nbgrader"]["points"] = 99
    nb.cells = [c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] != "test_lstm_worked_example"]
    nb.cells.append(nbformat.v4.new_code_cell("helper = 1"))
    sub = notebook.read_submission_nb(nb, a)
    assert sub.answers["lstm_step_forward"] == "def lstm_step_forward(*args):\n\n    return 1"
    text = "\n".join(sub.findings)
    assert "answer cell lstm_step_forward appears 2 times" in text
    assert "read-only cell test_lstm_forward_shapes appears 2 times" in text
    assert "metadata of test_lstm_forward_shapes was edited" in text
    assert "test cell test_lstm_worked_example was deleted" in text
    labels = [label for label, _ in notebook.sandbox_cells(a, sub)]
    assert labels[-1] == "your cell after test_lstm_backward_weights"


def test_unreadable_submission_is_graded_as_empty(tmp_path):
    (tmp_path / "x.ipynb").write_text("{ not json")
    sub = notebook.read_submission(tmp_path / "x.ipynb", _source("deep_rnn"))
    assert sub.answers == {} and "could not be read" in sub.findings[0]


def test_defined_names_of_an_answer_cell():
    assert notebook.defined_names("import os\ndef f():\n    pass\nA, (B, C) = 1, (2, 3)\nclass K:\n    pass") \
        == {"f": "function", "A": "value", "B": "value", "C": "value", "K": "function"}


# --------------------------------------------------------------------------------------------------
# grading.toml and the withheld companion

def test_grading_toml_withholds_existing_functions_of_every_assignment(tmp_path):
    cfg = load_config(COURSE)
    assert set(cfg["assignments"]) == set(ASSIGNMENTS)
    for name, table in cfg["assignments"].items():
        assert table["withheld"], f"{name} withholds nothing"
        sandbox.build_lib(tmp_path / name, table["withheld"])


def test_withheld_functions_only_raise_and_the_rest_is_intact(tmp_path):
    import subprocess
    import sys

    lib = sandbox.build_lib(tmp_path / "lib", ["companion.lstm.lstm_step_forward",
                                              "companion.recurrent.StackedRecurrent.forward"])
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import numpy as np, companion, companion.lstm as L\n"
            "assert companion.__file__.startswith(sys.argv[1])\n"
            "for f in (L.lstm_step_forward, companion.lstm_step_forward, companion.LSTM(1, 1).forward):\n"
            "    try:\n        f(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((4, 1)), "
            "np.zeros((4, 1)), np.zeros(4))\n    except NotImplementedError as e:\n        print(e)\n"
            "    except TypeError:\n        pass\n"
            "print(L.lstm_step_backward.__name__)")
    out = subprocess.run([sys.executable, "-I", "-c", code, str(lib)], capture_output=True, text=True, check=True)
    assert out.stdout.count("is withheld while grading") == 2 and "lstm_step_backward" in out.stdout
    for entry, match in [("companion.lstm.nothing_here", "is not defined"),
                         ("companion.elman.ElmanRNN.forward", "inherited method"),
                         ("companion.lstm.LSTMStepCache", "not a function"), ("numpy.dot", "does not name")]:
        with pytest.raises(ValueError, match=match):
            sandbox.build_lib(tmp_path / entry, [entry])


@pytest.mark.parametrize("text, match", [
    ("[limits]\ntimeout = -1\n", "limits.timeout must be a positive number"),
    ("[limits]\ntimeuot = 1\n", "unknown key limits.timeuot"),
    ("[assignments.x]\nwithheld = ['os.system']\n", "assignments.x.withheld must be a list"),
])
def test_config_errors_name_the_key(tmp_path, text, match):
    (tmp_path / "grading.toml").write_text(text)
    with pytest.raises(ValueError, match=match):
        load_config(tmp_path)


# --------------------------------------------------------------------------------------------------
# near-copies of companion

def test_instructor_solutions_are_not_flagged_but_a_copy_of_companion_is():
    import inspect

    import companion.lstm as ref

    for name in ASSIGNMENTS:
        a = _source(name)
        answers = {c.grade_id: notebook.strip_markers(c.source) for c in a.answers}
        assert similarity.near_copies(answers) == [], name
    copy = inspect.getsource(ref.lstm_step_backward)
    copy = re.sub(r"#[^\n]*", "", copy).replace("dZ", "grad_z").replace("cache", "memo")
    found = similarity.near_copies({"lstm_step_backward": copy})
    assert [(f["function"], f["companion"]) for f in found] == [("lstm_step_backward",
                                                                 "companion.lstm.lstm_step_backward")]
    assert found[0]["ratio"] >= similarity.THRESHOLD


# --------------------------------------------------------------------------------------------------
# the sandbox

def _session(tmp_path, cells, **limits):
    lib = sandbox.build_lib(tmp_path / "lib", [])
    job = {"lib": str(lib), "mode": "bwrap", "timeout": 20, "budget": 60, "workdir": str(tmp_path / "work"),
           "limits": {"memory_mb": 1024, "cpu_seconds": 30, "processes": 16, "file_mb": 8, **limits}}
    (tmp_path / "work").mkdir()
    return Session(cells, job, tmp_path / "stderr.txt")


PROBE = '''
import os, resource, socket
def probe(paths):
    seen = [p for p in paths if os.path.exists(p)]
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        net = True
    except OSError:
        net = False
    return {"uid": os.getuid(), "ppid": os.getppid(), "pid": os.getpid(), "seen": seen, "net": net,
            "as": resource.getrlimit(resource.RLIMIT_AS)[0], "nproc": resource.getrlimit(resource.RLIMIT_NPROC)[0],
            "cwd": os.getcwd(), "home": os.environ["HOME"], "env": sorted(os.environ)}
'''


def test_sandbox_hides_the_machine_and_sets_limits(tmp_path):
    shutil.which("bwrap") or pytest.fail("bubblewrap (bwrap) is required: apt-get install bubblewrap")
    secret = tmp_path / "secret.txt"
    secret.write_text("x")
    session = _session(tmp_path, [("probe", PROBE)])
    try:
        assert session.start()
        out = session.call("call", "probe", ([str(secret), str(ROOT / "assignments"), str(ROOT / "README.md"),
                                              str(Path.home() / ".bashrc"), "/etc/shadow", "/etc/passwd"],))
    finally:
        session.kill()
    assert out["seen"] == [] and out["net"] is False and out["uid"] == 65534
    assert out["ppid"] in (0, 1) and out["pid"] < 10  # its own pid namespace: the grader is invisible
    assert out["as"] == 1024 * 2**20 and out["nproc"] == 16
    assert out["cwd"] == "/tmp" and out["home"] == "/tmp/home"
    assert not any("TOKEN" in k or "KEY" in k or k.startswith("PYTEST") for k in out["env"])


def test_session_restarts_without_a_cell_that_hangs_and_reports_a_call_that_hangs(tmp_path):
    cells = [("ok", "def f(x):\n    return x * 2"), ("hangs", "while True:\n    pass"),
             ("slow", "import time\ndef g():\n    time.sleep(60)")]
    session = _session(tmp_path, cells)
    session.timeout = 3
    try:
        assert session.start()
        assert "ran longer than 3 s" in session.cell_errors["hangs"]
        assert np.array_equal(session.call("call", "f", (np.arange(3),)), np.arange(3) * 2)
        with pytest.raises(SubmissionError, match="g did not return within 3 s"):
            session.call("call", "g")
        assert session.call("call", "f", (2,)) == 4  # started again, still without the hanging cell
        with pytest.raises(SubmissionError, match="does not define nope"):
            session.call("call", "nope")
    finally:
        session.kill()
    assert session.starts == 3


# --------------------------------------------------------------------------------------------------
# The tolerance: measured float32 errors, and the margin of each named mistake

def _run_in_process(assignment, edit=None, names=None):
    """Run the source notebook here with its solutions (edited); return the tolerance used by each check.

    Returns ``{grade_id: [(name, fraction)]}`` where fraction is ``max |got - expected| / (ATOL + RTOL |expected|)``
    (inf for a shape mismatch): below 1 passes.
    """
    a = _source(assignment)
    ns, used = {"__name__": "__main__", **(names or {})}, {}
    current = [None]

    def measuring_check(name, got, expected, mistakes=()):
        g, e = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
        frac = float(np.max(np.abs(g - e) / (ATOL + RTOL * np.abs(e)))) if g.shape == e.shape and g.size else np.inf
        used.setdefault(current[0], []).append((name, frac))
        return check(name, got, expected, mistakes)

    for cell in a.cells:
        if cell.kind == "markdown":
            continue
        code = cell.source if cell.kind != "answer" else notebook.strip_markers(cell.source)
        if cell.kind == "answer" and edit:
            code = edit(cell.grade_id, code)
        if "%pip" in code:
            continue
        current[0] = cell.grade_id
        try:
            exec(compile(code, cell.grade_id, "exec"), ns)  # noqa: S102 (the course's own notebook)
        except Exception:  # noqa: BLE001 (a test that raises fails, by an infinite margin)
            used.setdefault(cell.grade_id, []).append(("raised", np.inf))
        if cell.grade_id == "check_helper":
            ns["check"] = measuring_check
    return used


def _float32_edit(grade_id, code):
    out = code
    for name in re.findall(r"^def (\w+)\(", code, re.M):
        out += (f"\n\n_{name}64 = {name}\n"
                f"def {name}(*args, **kwargs):\n"
                f"    return _to32(_{name}64(*_to32(args), **{{k: _to32(v) for k, v in kwargs.items()}}))\n")
    return out


def _to32(value):
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.astype(np.float32)
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_to32, value))
    if isinstance(value, (tuple, list)):
        return type(value)(map(_to32, value))
    return value


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_float32_solutions_use_a_small_fraction_of_the_tolerance(assignment):
    used = _run_in_process(assignment, _float32_edit, {"_to32": _to32})
    assert used  # every graded check ran
    worst = max(frac for checks in used.values() for _, frac in checks)
    print(f"{assignment}: float32 uses at most {worst:.3g} of the tolerance")  # pytest -s
    assert worst < 0.25  # measured: at most 0.19 (classic_experiments, 30-step products of Jacobians)


# named mistake -> (assignment, answer cell, text, replacement)
NAMED_MISTAKES = {
    "swapped gate order": ("lstm_gates", "lstm_step_forward", "z_i, z_f, z, z_o = np.split(", "z, z_i, z_f, z_o = np.split("),
    "forgotten forget gate": ("lstm_gates", "lstm_step_forward", "c_prev * forget_gate", "c_prev"),
    "missing transpose": ("elman_jordan", "elman_step_backward", "dU = delta.T @ cache.h_prev", "dU = (delta.T @ cache.h_prev).T"),
    "gradients stacked in the wrong order": ("lstm_gates", "lstm_step_backward", "[dz_i, dz_f, dz, dz_o]", "[dz, dz_i, dz_f, dz_o]"),
    "every layer reads x": ("deep_rnn", "deep_rnn_forward", "inputs = np.stack(states)", "inputs = x"),
    "backward states in computation order": ("bidirectional", "bidirectional", "backward_states[t] = h_backward",
                                             "backward_states[T - 1 - t] = h_backward"),
    "Cho's reset placement (GRU)": ("lstm_variants", "gru_step_forward", "n = np.tanh(i_n + r * hn)",
                                    "n = np.tanh(i_n + (r * h_prev) @ U[2 * h_prev.shape[1]:].T + b_hh[2 * h_prev.shape[1]:])"),
    "missing direct path (GRU)": ("lstm_variants", "gru_step_backward", "dh_prev = dh_t * z + dgh @ cache.U",
                                  "dh_prev = dgh @ cache.U"),
    "BPTT overwrites the shared weights' gradient": ("bptt", "elman_bptt", "dW = dW + dW_t", "dW = dW_t"),
    "BPTT without the gradient from the future": ("bptt", "elman_bptt", "elman_step_backward(dh[t] + dh_next, caches[t])",
                                                  "elman_step_backward(dh[t], caches[t])"),
    "tanh derivative with the wrong sign": ("bptt", "elman_step_backward", "dh_raw = dh_t * (1.0 - cache.h_t ** 2)",
                                            "dh_raw = dh_t * (cache.h_t ** 2 - 1.0)"),
    "truncated BPTT that is full BPTT": ("bptt", "truncated_bptt",
                                         "parts = [elman_bptt(dh[s:s + k], caches[s:s + k]) for s in range(0, T, k)]",
                                         "parts = [elman_bptt(dh, caches)]"),
    "Jacobians in the wrong order": ("classic_experiments", "jacobian_norms", "J = ((1.0 - h_t[0] ** 2)[:, None] * U) @ J",
                                     "J = J @ ((1.0 - h_t[0] ** 2)[:, None] * U)"),
}


@pytest.mark.parametrize("mistake", sorted(NAMED_MISTAKES))
def test_each_named_mistake_misses_the_tolerance_by_a_wide_margin(mistake):
    assignment, cell, old, new = NAMED_MISTAKES[mistake]

    def edit(grade_id, code):
        if grade_id == cell:
            assert old in code, (mistake, old)
            return code.replace(old, new)
        return code

    used = _run_in_process(assignment, edit)
    # in each test cell that the mistake fails, the first failing check misses by this many tolerances
    margins = [next(frac for _, frac in checks if frac >= 1) for checks in used.values() if any(f >= 1 for _, f in checks)]
    assert margins, f"{mistake} fails no test"
    print(f"{mistake}: misses the tolerance by at least {min(margins):.3g} times")  # pytest -s
    assert min(margins) > 20  # measured: at least 69 (Jacobians in the wrong order); most miss by thousands


def test_a_sandbox_that_cannot_start_stops_the_run_before_anyone_gets_zero(tmp_path, monkeypatch):
    from grading import batch

    lib = sandbox.build_lib(tmp_path / "lib", [])
    cfg = {"limits": {"timeout": 5, "budget": 10, "memory_mb": 1024, "cpu_seconds": 10, "processes": 16,
                      "file_mb": 8}}
    monkeypatch.setattr(sandbox, "_worker_argv", lambda *a, **k: ["/nonexistent/python"])
    with pytest.raises(sandbox.SandboxUnavailable, match="nothing was graded"):
        batch.check_sandbox(lib, cfg, "bwrap", tmp_path)


def test_the_python_is_bound_over_the_private_tmp_not_hidden_by_it():
    """A virtual environment under /tmp (bwrap mounts in order: the tmpfs first, then the binds on it)."""
    import sys

    limits = {"memory_mb": 1024, "cpu_seconds": 10, "processes": 16, "file_mb": 8}
    argv, _, _ = sandbox.command("/somewhere/lib", limits, "bwrap")
    tmpfs = argv.index("--tmpfs")
    assert argv[tmpfs + 1] == "/tmp"
    assert tmpfs < argv.index(sys.prefix) and tmpfs < argv.index(sandbox.LIB_MOUNT)
