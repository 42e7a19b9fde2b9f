"""Grading time: seconds per student (every assignment) with ``make grade``'s sandbox, beside the target.

Builds a temporary copy of the course folder, releases it, submits the instructor's solutions for
``--students`` students and grades them with ``python -m grading --jobs N`` for each N of ``--jobs``.
It prints the wall time per student (all assignments), per notebook, and the time of a 200-student
course extrapolated from it, next to the target: **a course of 200 students graded within one hour on
a 2-core machine** (18 s per student of wall time). The grader's own phases (gradebook, feedback) are
printed too. Exits with status 1 when the target is missed.

The benchmark's processes run with the machine's native BLAS kernel: ``OPENBLAS_CORETYPE`` and
``OPENBLAS_L2_SIZE`` are removed from their environment (tests and CI keep it as it is), and the kernel
that ran is printed.

    python benchmarks/grading.py [--students 4] [--jobs 1 2]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COURSE_SIZE = 200
TARGET_SECONDS = 3600  # a course of COURSE_SIZE students, every assignment, on this 2-core machine


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", MPLBACKEND="Agg",
               PATH=str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", ""),
               PYTHONPATH=str(ROOT))
    return env


def kernel():
    code = ("import numpy, threadpoolctl; numpy.ones((64, 64)) @ numpy.ones((64, 64)); "
            "print([(i.get('internal_api'), i.get('architecture')) for i in threadpoolctl.threadpool_info()])")
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()[-200:]


def make_course(folder, students):
    import nbformat

    sys.path.insert(0, str(ROOT))
    from grading.notebook import meta, strip_markers

    course = Path(folder) / "assignments"
    course.mkdir()
    for name in ("nbgrader_config.py", "grading.toml"):
        shutil.copy(ROOT / "assignments" / name, course)
    shutil.copytree(ROOT / "assignments" / "source", course / "source")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "*", "--force"], cwd=course,
                   env=_env(), check=True, capture_output=True)
    for source in sorted((course / "source").glob("*/*.ipynb")):
        aid = source.parent.name
        nb = nbformat.read(course / "release" / aid / source.name, as_version=4)
        solutions = {meta(c)["grade_id"]: strip_markers(c.source)
                     for c in nbformat.read(source, as_version=4).cells if meta(c).get("solution")}
        for cell in nb.cells:
            if meta(cell).get("solution"):
                cell.source = solutions[meta(cell)["grade_id"]]
        for i in range(students):
            (course / "submitted" / f"student{i:03d}" / aid).mkdir(parents=True)
            nbformat.write(nb, course / "submitted" / f"student{i:03d}" / aid / source.name)
    return course


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--jobs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    print(f"BLAS kernel: {kernel()} (OPENBLAS_CORETYPE unset in the benchmark's processes)")
    missed = False
    with tempfile.TemporaryDirectory(prefix="grading-bench-") as tmp:
        course = make_course(tmp, args.students)
        notebooks = len(list((course / "source").glob("*/*.ipynb")))
        for jobs in args.jobs:
            for folder in ("autograded", "feedback", "reports"):
                shutil.rmtree(course / folder, ignore_errors=True)
            (course / "grades.csv").unlink(missing_ok=True)
            start = time.perf_counter()
            proc = subprocess.run([sys.executable, "-m", "grading", "--course", str(course), "--jobs", str(jobs)],
                                  cwd=ROOT, env=_env(), capture_output=True, text=True)
            wall = time.perf_counter() - start
            if proc.returncode != 0:
                raise SystemExit(f"grading failed:\n{proc.stdout}\n{proc.stderr}")
            run = json.loads((course / "reports" / "run.json").read_text())
            full = sum(r["score"] == r["max_score"] for r in run["notebooks"])
            assert full == args.students * notebooks, f"only {full} notebooks got full marks"
            per_student = wall / args.students
            per_notebook = [r["wall_seconds"] for r in run["notebooks"]]
            course_time = per_student * COURSE_SIZE
            ok = course_time <= TARGET_SECONDS
            missed |= not ok
            print(f"jobs={jobs}: {args.students} students x {notebooks} notebooks in {wall:.1f} s: "
                  f"{per_student:.1f} s per student (target {TARGET_SECONDS / COURSE_SIZE:.0f} s), "
                  f"{COURSE_SIZE} students in {course_time / 60:.0f} min (target {TARGET_SECONDS / 60:.0f} min) "
                  f"{'OK' if ok else 'MISSED'}")
            print(f"  one notebook (judge + sandbox, wall): median {sorted(per_notebook)[len(per_notebook) // 2]:.1f} s, "
                  f"max {max(per_notebook):.1f} s; phases: {run['phases']}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
