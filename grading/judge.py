"""The judge: one submission of one notebook, graded by a process the submission never touches.

``python -m grading.judge JOB.json`` (started by :mod:`grading.batch`, one process per student and notebook)

1. *record*: starts the submission's process in the sandbox (:mod:`grading.sandbox`) and has it run the
   released read-only cells and the student's answer and added cells (:mod:`grading.worker`); a cell that
   runs past the timeout or kills its process is stopped, noted, and skipped when the process restarts;
2. *compute*: runs the instructor's source notebook here, read-only and test cells with their hidden tests,
   against a pristine ``companion``. Each function an answer cell of the source defines is replaced by a
   proxy that sends its arguments to the submission's process and returns what came back, as plain data
   (:mod:`grading.wire`); so the tests' expected values, their ``check`` and every comparison run here;
3. *judge*: a test cell scores its points when it runs to the end without an exception, else 0 with its
   message. Missing output (a function that is not defined, raises, hangs, returns something the grader
   cannot read, or a process that died) is a fail.

The result (scores, messages, what happened to the process, the notebook's structure, near-copies of
``companion``) is written as JSON for the batch, which records it in the gradebook.
"""
from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from grading import notebook, sandbox, similarity, wire

JUDGE_MEMORY = 4 * 2**30  # bytes of address space for the judge itself (it decodes the submission's data)


class SubmissionError(Exception):
    """The submission did not produce a value the tests can use."""


class Session:
    """The submission's process: started, restarted after a crash or a timeout, and always killed at the end."""

    def __init__(self, cells, job, stderr_path):
        self.cells, self.job, self.stderr_path = cells, job, Path(stderr_path)
        self.timeout = float(job["timeout"])
        self.deadline = time.monotonic() + float(job["budget"])
        self.skip, self.events, self.cell_errors, self.stopped = set(), [], {}, {}
        self.proc, self.replies, self.next_id, self.starts = None, None, 0, 0
        self.cell_seconds = {}

    # -- process management ------------------------------------------------------------------------
    def _spawn(self):
        workdir = Path(self.job["workdir"]) / f"run{self.starts}"
        workdir.mkdir(parents=True, exist_ok=True)
        argv, env, cwd = sandbox.command(self.job["lib"], self.job["limits"], self.job["mode"], workdir)
        self.starts += 1
        with open(self.stderr_path, "ab") as err:
            if self.starts > 1:
                err.write(f"--- the process started again ({self.starts}) ---\n".encode())
                err.flush()
            self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err,
                                         env=env, cwd=cwd, start_new_session=True)
        self.replies = queue.Queue()
        threading.Thread(target=self._read, args=(self.proc, self.replies), daemon=True).start()

    @staticmethod
    def _read(proc, replies):
        decoder = wire.Decoder(namedtuples=True, functions=False)
        try:
            while True:
                replies.put(("message", wire.read_frame(proc.stdout, decoder)))
        except EOFError:
            replies.put(("eof", None))
        except wire.WireError as err:
            replies.put(("garbled", str(err)))
        except Exception as err:  # noqa: BLE001
            replies.put(("garbled", f"{type(err).__name__}: {err}"))

    def kill(self):
        proc, self.proc = self.proc, None
        if proc is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(Exception):
            proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(timeout=10)
        for stream in (proc.stdin, proc.stdout):
            with contextlib.suppress(Exception):
                stream.close()

    def _send(self, value):
        frame = wire.encode(value)
        proc = self.proc

        def write():
            with contextlib.suppress(BrokenPipeError, OSError, ValueError):
                proc.stdin.write(frame)
                proc.stdin.flush()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(self.timeout)
        if writer.is_alive():  # the submission stopped reading its input
            self.kill()
            raise SubmissionError("the submission's process stopped reading the grader's requests")

    def _wait(self, seconds):
        seconds = max(0.0, min(seconds, self.deadline - time.monotonic()))
        try:
            return self.replies.get(timeout=seconds)
        except queue.Empty:
            return ("timeout", None)

    def _exit_status(self):
        proc = self.proc
        if proc is None:
            return "killed"
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=2)
        code = proc.returncode
        if code is None:
            return "still running"
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def start(self):
        """Start the process and run the cells; cells that hang or kill it are skipped. True when ready."""
        while time.monotonic() < self.deadline:
            if self.starts > len(self.cells) + 1:
                break
            self._spawn()
            program = [(label, code) for i, (label, code) in enumerate(self.cells) if i not in self.skip]
            index_map = [i for i in range(len(self.cells)) if i not in self.skip]
            try:
                self._send({"cells": program})
            except SubmissionError as err:
                self.events.append(str(err))
                return False
            current, started, errors = None, time.monotonic(), {}
            while True:
                kind, msg = self._wait(self.timeout if current is not None else max(self.timeout, 30.0))
                if kind == "message" and isinstance(msg, dict) and msg.get("ready") is True:
                    self.cell_errors = {**self.stopped, **errors}
                    return True
                if kind == "message" and isinstance(msg, dict) and isinstance(msg.get("cell"), int) \
                        and 0 <= msg["cell"] < len(index_map):
                    if msg.get("started"):
                        current, started = index_map[msg["cell"]], time.monotonic()
                    else:
                        label = self.cells[index_map[msg["cell"]]][0]
                        self.cell_seconds[label] = round(time.monotonic() - started, 3)
                        if msg.get("error"):
                            errors[label] = str(msg["error"])[:2000]
                        current = None
                    continue
                # a timeout, a death or a garbled message: skip the cell that was running and start again
                status = self._exit_status() if kind != "timeout" else None
                self.kill()
                if current is None:
                    self.events.append(f"the submission's process failed before running its cells ({kind}: "
                                       f"{msg or status})")
                    if kind == "timeout" and time.monotonic() >= self.deadline:
                        self.events.append("the grading time budget of this submission ran out")
                    return False
                label = self.cells[current][0]
                if kind == "timeout":
                    what = (f"cell {label} ran longer than {self.timeout:g} s" if time.monotonic() < self.deadline
                            else f"the grading time budget ran out during cell {label}")
                else:
                    what = f"the process died during cell {label} ({status})" if kind == "eof" else \
                        f"cell {label} wrote something the grader cannot read ({msg})"
                self.events.append(f"{what}: it was stopped, and the cells were run again without it")
                self.stopped[label] = what
                self.cell_errors = {**self.stopped, **errors}
                self.skip.add(current)
                break
        self.events.append("the grading time budget ran out while running the cells")
        return False

    def call(self, op, name, args=(), kwargs=None):
        """Ask the submission's process for ``name(*args, **kwargs)`` (or the value ``name``)."""
        if self.proc is None or self.proc.poll() is not None:
            if time.monotonic() >= self.deadline:
                raise SubmissionError(f"{name} was not graded: the grading time budget ran out")
            if self.proc is not None:
                self.events.append(f"the process had ended ({self._exit_status()}); it was started again")
                self.kill()
            if not self.start():
                raise SubmissionError(f"{name} could not be called: the submission's process did not start "
                                      f"({'; '.join(self.events[-2:])})")
        self.next_id += 1
        rid = self.next_id
        try:
            self._send({"id": rid, "op": op, "name": name, "args": tuple(args), "kwargs": dict(kwargs or {})})
        except wire.WireError as err:  # the tests' own arguments: a grader bug, not the student's
            raise RuntimeError(f"the grader cannot send the arguments of {name}: {err}") from None
        kind, msg = self._wait(self.timeout)
        if kind == "message" and isinstance(msg, dict) and msg.get("id") == rid:
            if "error" in msg:
                raise SubmissionError(f"your {name} raised {msg['error']}")
            return msg.get("value")
        if kind == "timeout":
            what = f"{name} did not return within {self.timeout:g} s" if time.monotonic() < self.deadline \
                else f"{name} was stopped: the grading time budget ran out"
        elif kind == "eof":
            what = f"the submission's process died while running {name} ({self._exit_status()})"
        else:
            what = f"{name} answered something the grader cannot read ({msg if kind != 'message' else 'wrong reply'})"
        self.events.append(what)
        self.kill()
        raise SubmissionError(what)


def _proxy(session, name):
    def call(*args, **kwargs):
        return session.call("call", name, args, kwargs)

    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"The submission's {name}, called in its own process."
    return call


def _error_output(exc):
    name = type(exc).__name__
    text = str(exc)
    return {"output_type": "error", "ename": name, "evalue": text, "traceback": [f"{name}: {text}"]}


def _without_magics(code):
    """The instructor's cell with IPython's ``%magic`` and ``!shell`` lines made to raise if they are reached.

    (The course's cells use one, ``%pip install`` when ``companion`` is missing, which never runs here.)
    """
    lines = []
    for line in code.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            line = line[:len(line) - len(stripped)] + f"raise RuntimeError({'IPython magic in the judge: ' + stripped!r})"
        lines.append(line)
    return "\n".join(lines)


def _run_code(code, namespace, transform):
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
            exec(compile(transform(code), "<cell>", "exec"), namespace)  # noqa: S102 (the source notebook: trusted)
        return out.getvalue(), None
    except Exception as exc:  # noqa: BLE001 (a failing test is an exception of any kind)
        return out.getvalue(), exc


def grade(job):
    """Grade one submitted notebook; return the result dict (see the module docstring)."""
    began = time.monotonic()
    assignment = notebook.Assignment.read(Path(job["source"]), job["assignment"])
    submission = notebook.read_submission(Path(job["submission"]), assignment)
    cells = notebook.sandbox_cells(assignment, submission)
    workdir = Path(job["workdir"])
    workdir.mkdir(parents=True, exist_ok=True)
    session = Session(cells, job, workdir / "stderr.txt")

    transform = _without_magics
    namespace = {"__name__": "__main__"}
    outputs, tests, setup_errors = {}, [], []
    try:
        ready = session.start()
        if not ready:
            session.events.append("no answer could be graded: the submission's process never got ready")
        for cell in assignment.cells:
            if cell.kind == "answer":
                for name, what in notebook.defined_names(cell.source).items():
                    if what == "function":
                        namespace[name] = _proxy(session, name)
                    else:
                        try:
                            namespace[name] = session.call("get", name)
                        except SubmissionError:
                            namespace.pop(name, None)
                error = session.cell_errors.get(cell.grade_id)
                if error:
                    ename, _, evalue = error.partition(": ")
                    outputs[cell.grade_id] = [{"output_type": "error", "ename": ename, "evalue": evalue,
                                               "traceback": [error]}]
            elif cell.kind in ("locked", "other"):
                printed, exc = _run_code(cell.source, namespace, transform)
                if exc is not None:  # the instructor's own cell failed: a problem of the course, not the student
                    setup_errors.append(f"{cell.grade_id}: {type(exc).__name__}: {exc}")
            elif cell.kind == "test":
                started = time.monotonic()
                printed, exc = _run_code(cell.source, namespace, transform)
                result = {"grade_id": cell.grade_id, "points": cell.points,
                          "score": cell.points if exc is None else 0.0,
                          "message": None if exc is None else f"{type(exc).__name__}: {exc}"[:4000],
                          "seconds": round(time.monotonic() - started, 3)}
                tests.append(result)
                outs = []
                if printed:
                    outs.append({"output_type": "stream", "name": "stdout", "text": printed[:10000]})
                if exc is not None:
                    outs.append(_error_output(exc))
                outputs[cell.grade_id] = outs
    finally:
        session.kill()
    stderr = session.stderr_path.read_bytes()[:4000].decode(errors="replace") if session.stderr_path.exists() else ""
    return {
        "student": job["student"], "assignment": job["assignment"], "notebook": assignment.notebook_id,
        "score": sum(t["score"] for t in tests), "max_score": assignment.max_score,
        "tests": tests, "cell_errors": session.cell_errors, "events": session.events,
        "findings": submission.findings, "setup_errors": setup_errors,
        "near_copies": similarity.near_copies(submission.answers),
        "starts": session.starts, "stderr": stderr, "mode": job["mode"],
        "seconds": round(time.monotonic() - began, 2),
        "autograded": notebook.autograded_notebook(assignment, submission, outputs),
    }


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    job = json.loads(Path(argv[0]).read_text())
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (JUDGE_MEMORY, JUDGE_MEMORY))
    try:
        result = grade(job)
    except Exception:  # noqa: BLE001 (reported to the batch, which records the reason)
        result = {"student": job["student"], "assignment": job["assignment"], "crash": traceback.format_exc()}
    Path(job["result"]).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
