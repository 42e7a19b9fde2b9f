"""``python -m grading``: grade every submission of the course folder (``make grade [JOBS=N]``)."""
import argparse
import sys

from grading import batch
from grading.sandbox import SandboxUnavailable


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading", description=(
        "Grade assignments/submitted/<student>/<id>/ in a sandbox; record the scores in nbgrader's gradebook, "
        "write feedback/, grades.csv and reports/."))
    parser.add_argument("--course", default="assignments", help="the nbgrader course folder (default: assignments)")
    parser.add_argument("--jobs", "-j", type=int, default=1, help="students graded in parallel (default 1)")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    parser.add_argument("--assignment", action="append", help="grade only this assignment (repeatable)")
    parser.add_argument("--timeout", type=float, help="seconds per cell or call (default: grading.toml)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run submissions without bubblewrap (weaker: see book/instructors.md)")
    parser.add_argument("--no-feedback", action="store_true", help="skip nbgrader's HTML feedback")
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error(f"--jobs must be at least 1; got {args.jobs}")
    try:
        _, _, errors = batch.run(args.course, jobs=args.jobs, mode="none" if args.no_sandbox else "bwrap",
                                 students=args.student, assignments=args.assignment,
                                 with_feedback=not args.no_feedback, timeout=args.timeout)
    except (SandboxUnavailable, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
