"""Grading every submission of a course folder: jobs, gradebook, feedback, CSV and reports.

One job per student and notebook, each in its own judge process (:mod:`grading.judge`), ``jobs`` at a
time. A job that crashes or overruns costs only its own student; nothing a submission does reaches this
process, which alone writes the gradebook (through nbgrader's API), the autograded notebooks, nbgrader's
feedback, ``grades.csv`` and the reports in ``reports/``.
"""
from __future__ import annotations

import concurrent.futures
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from grading import sandbox
from grading.config import load_config

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the folder holding grading/


@dataclass
class Job:
    student: str
    assignment: str
    source: Path
    submission: Path
    result: dict = field(default_factory=dict)


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PACKAGE_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg")
    return env


def _nbgrader(course, *args):
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                          capture_output=True, text=True)


def course_id(course):
    from traitlets.config.loader import PyFileConfigLoader

    path = Path(course) / "nbgrader_config.py"
    if not path.exists():
        return "default"
    cfg = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
    return cfg.CourseDirectory.get("course_id", "default") if "CourseDirectory" in cfg else "default"


def find_jobs(course, assignments, students=None):
    jobs = []
    submitted = Path(course) / "submitted"
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()) if submitted.is_dir() else []:
        if students and student_dir.name not in students:
            continue
        for aid in assignments:
            folder = student_dir / aid
            if not folder.is_dir():
                continue
            for source in sorted((Path(course) / "source" / aid).glob("*.ipynb")):
                jobs.append(Job(student_dir.name, aid, source, folder / source.name))
    return jobs


def _run_job(job, libs, cfg, mode, run_dir):
    work = Path(run_dir) / f"{job.student}--{job.assignment}--{job.source.stem}"
    work.mkdir(parents=True)
    limits = cfg["limits"]
    spec = {"student": job.student, "assignment": job.assignment, "source": str(job.source),
            "submission": str(job.submission), "lib": str(libs[job.assignment]), "limits": limits,
            "mode": mode, "timeout": limits["timeout"], "budget": limits["budget"],
            "workdir": str(work / "sandbox"), "result": str(work / "result.json")}
    (work / "job.json").write_text(json.dumps(spec))
    started = time.monotonic()
    try:
        proc = subprocess.run([sys.executable, "-m", "grading.judge", str(work / "job.json")], cwd=work,
                              env=_env(), capture_output=True, text=True, timeout=float(limits["budget"]) + 120)
        if (work / "result.json").exists():
            job.result = json.loads((work / "result.json").read_text())
        else:
            job.result = {"crash": f"the judge ended with code {proc.returncode} and no result:\n{proc.stderr[-3000:]}"}
    except subprocess.TimeoutExpired:
        job.result = {"crash": "the judge did not finish within the time budget"}
    job.result["wall_seconds"] = round(time.monotonic() - started, 2)  # with the judge's own start-up
    job.result.setdefault("seconds", job.result["wall_seconds"])
    return job


def check_sandbox(lib, cfg, mode, run_dir):
    """Start one empty sandbox first: a sandbox that cannot start must stop the run, not give everyone 0."""
    from grading.judge import Session

    work = Path(run_dir) / "sandbox-check"
    work.mkdir()
    limits = cfg["limits"]
    session = Session([], {"lib": str(lib), "mode": mode, "limits": limits, "timeout": limits["timeout"],
                           "budget": max(60.0, float(limits["timeout"])), "workdir": str(work)}, work / "stderr.txt")
    try:
        ready = session.start()
    finally:
        session.kill()
    if not ready:
        err = (work / "stderr.txt").read_text(errors="replace")[-2000:] if (work / "stderr.txt").exists() else ""
        raise sandbox.SandboxUnavailable(f"the {mode} sandbox cannot start the Python that grades ({sys.executable}); "
                                         f"nothing was graded. Its error output:\n{err}")


def ensure_assignments(course, assignments, cid):
    """Every assignment to grade must be in the gradebook (nbgrader generate_assignment records it)."""
    from nbgrader.api import Gradebook, MissingEntry

    db_url = f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"
    missing = []
    if (Path(course) / "gradebook.db").exists():
        with Gradebook(db_url, cid) as gb:
            for aid in assignments:
                try:
                    gb.find_assignment(aid)
                except MissingEntry:
                    missing.append(aid)
    else:
        missing = list(assignments)
    for aid in missing:
        proc = _nbgrader(course, "generate_assignment", aid, "--force")
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader generate_assignment {aid} failed:\n{proc.stdout}\n{proc.stderr}")
    return db_url


def _timestamp(folder):
    path = Path(folder) / "timestamp.txt"
    return path.read_text().strip() if path.exists() else None


def record(course, db_url, cid, job):
    """Scores into the gradebook, and the autograded notebook for nbgrader's feedback."""
    from nbgrader.api import Gradebook

    r = job.result
    with Gradebook(db_url, cid) as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbgrader's own SQLAlchemy warnings about its session
        gb.update_or_create_student(job.student)
        stamp = _timestamp(job.submission.parent)
        sub = gb.update_or_create_submission(job.assignment, job.student, **({"timestamp": stamp} if stamp else {}))
        notebook_id = job.source.stem
        scores = {t["grade_id"]: t["score"] for t in r.get("tests", [])}
        nb = next(n for n in sub.notebooks if n.name == notebook_id)
        for grade in nb.grades:
            grade.auto_score = float(scores.get(grade.name, 0.0))
            grade.needs_manual_grade = grade.manual_score is not None
        notes = notes_by_cell(r)
        for comment in nb.comments:
            comment.auto_comment = notes.get(comment.name) or None
        gb.db.commit()
    if "autograded" in r:
        folder = Path(course) / "autograded" / job.student / job.assignment
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(nbformat.from_dict(r["autograded"]), str(folder / job.source.name))
        if (job.submission.parent / "timestamp.txt").exists():
            (folder / "timestamp.txt").write_text((job.submission.parent / "timestamp.txt").read_text())


def notes_by_cell(r):
    """Comments for the answer cells: errors, timeouts, near-copies of companion."""
    notes = {}
    for gid, error in r.get("cell_errors", {}).items():
        notes.setdefault(gid, []).append(f"Grader: this cell raised or was stopped: {error}")
    for copy in r.get("near_copies", []):
        notes.setdefault(copy["cell"], []).append(
            f"Grader: {copy['function']} is a near-copy of {copy['companion']} (similarity {copy['ratio']:.2f}); "
            "flagged for the instructor, not penalised")
    return {k: "\n".join(v) for k, v in notes.items()}


def export_csv(course, db_url, cid):
    from nbgrader.api import Gradebook
    from nbgrader.plugins.export import CsvExportPlugin

    with Gradebook(db_url, cid) as gb:
        CsvExportPlugin(to=str(Path(course) / "grades.csv")).export(gb)


def feedback(course, pairs, students=None, assignments=None):
    """nbgrader's HTML feedback for the graded (assignment, student) pairs: one nbgrader call per run."""
    if not pairs:
        return []
    aid = assignments[0] if assignments and len(assignments) == 1 else "*"
    calls = [[aid, "--force"]] if not students else [[aid, "--force", f"--student={s}"] for s in students]
    failures = []
    for args in calls:
        proc = _nbgrader(course, "generate_feedback", *args)
        if proc.returncode != 0:
            failures.append(f"nbgrader generate_feedback {' '.join(args)}: {proc.stderr.strip()[-800:]}")
    return failures


def run(course, jobs=1, mode="bwrap", students=None, assignments=None, with_feedback=True, timeout=None, log=print):
    """Grade the course folder ``course``; return the list of finished :class:`Job` (see the module doc)."""
    course = Path(course).resolve()
    started = time.monotonic()
    cfg = load_config(course)
    if timeout is not None:
        cfg["limits"]["timeout"] = float(timeout)
    if mode == "bwrap":
        sandbox.check_bwrap()
    available = sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    wanted = [a for a in available if not assignments or a in assignments]
    unconfigured = [a for a in wanted if a not in cfg["assignments"]]
    if unconfigured:
        raise SystemExit(f"{course / 'grading.toml'} has no [assignments.<id>] table for {', '.join(unconfigured)}: "
                         "say which companion functions the student writes (withheld = [...]) before grading")
    phases = {}
    mark = time.monotonic()

    def phase(name):
        nonlocal mark
        phases[name] = round(time.monotonic() - mark, 1)
        mark = time.monotonic()

    todo = find_jobs(course, wanted, students)
    if not todo:
        log(f"nothing to grade: no notebook in {course / 'submitted'}/<student>/<{'|'.join(wanted)}>/")
        return [], {}, []
    cid = course_id(course)
    db_url = ensure_assignments(course, sorted({j.assignment for j in todo}), cid)
    phase("gradebook check")
    log(f"grading {len(todo)} notebook(s) of {len({j.student for j in todo})} student(s), {jobs} at a time, "
        f"sandbox: {mode}")
    done = []
    with tempfile.TemporaryDirectory(prefix="grading-") as run_dir:
        libs = {}
        for aid in sorted({j.assignment for j in todo}):
            libs[aid] = sandbox.build_lib(Path(run_dir) / "lib" / aid, cfg["assignments"][aid]["withheld"])
        check_sandbox(libs[min(libs)], cfg, mode, run_dir)
        phase("sandbox libraries")
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, int(jobs))) as pool:
            futures = [pool.submit(_run_job, j, libs, cfg, mode, run_dir) for j in todo]
            for future in concurrent.futures.as_completed(futures):
                job = future.result()
                r = job.result
                if "crash" in r:
                    log(f"  {job.student}/{job.assignment}: GRADER ERROR (recorded as 0): {r['crash'].splitlines()[-1]}")
                else:
                    notes = len(r["events"]) + len(r["findings"]) + len(r["near_copies"])
                    log(f"  {job.student}/{job.assignment}: {r['score']:g}/{r['max_score']:g} "
                        f"({r['seconds']:.1f} s{f', {notes} note(s)' if notes else ''})")
                done.append(job)
    phase("grading")
    done.sort(key=lambda j: (j.student, j.assignment, j.source.name))
    errors = []
    for job in done:
        try:
            record(course, db_url, cid, job)
        except Exception as err:  # noqa: BLE001 (one broken record must not stop the others)
            errors.append(f"gradebook for {job.student}/{job.assignment}: {type(err).__name__}: {err}")
    phase("gradebook")
    if with_feedback:
        errors += feedback(course, [(j.assignment, j.student) for j in done if "autograded" in j.result],
                           students, assignments)
        phase("feedback")
    export_csv(course, db_url, cid)
    phase("grades.csv")
    from grading.report import write_reports

    summary = write_reports(course, done, mode, time.monotonic() - started, errors, cfg, phases)
    log(f"done in {time.monotonic() - started:.1f} s ({', '.join(f'{k} {v:g} s' for k, v in phases.items())}): "
        f"{course / 'grades.csv'}, reports in {course / 'reports'}"
        + (f"; {len(errors)} problem(s), see reports/run.md" if errors else ""))
    for e in errors:
        log(f"  problem: {e}")
    return done, summary, errors


def read_grades(course):
    """``{(student, assignment): (score, max_score)}`` from ``grades.csv``."""
    with open(Path(course) / "grades.csv", newline="") as f:
        return {(row["student_id"], row["assignment"]): (float(row["score"]), float(row["max_score"]))
                for row in csv.DictReader(f)}
