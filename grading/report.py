"""The reports of a grading run: ``reports/<student>.md`` per student, ``reports/run.md`` and ``run.json``."""
from __future__ import annotations

import datetime
import json
from pathlib import Path


def _cell(text, limit=300):
    text = " ".join(str(text).split())
    text = text if len(text) <= limit else text[:limit] + " [...]"
    return text.replace("|", "\\|")


def _student_report(student, jobs):
    lines = [f"# Grading report: {student}", ""]
    for job in jobs:
        r = job.result
        lines.append(f"## {job.assignment} ({job.source.name})")
        lines.append("")
        if "crash" in r:
            lines += ["**The grader failed on this notebook; it was recorded as 0.** Re-grade it after fixing "
                      "the cause:", "", "```", r["crash"][-3000:], "```", ""]
            continue
        lines.append(f"Score: **{r['score']:g} / {r['max_score']:g}** (graded in {r['seconds']:.1f} s, sandbox: "
                     f"{r['mode']}, process started {r['starts']} time(s))")
        lines += ["", "| test cell | points | score | message |", "| --- | --- | --- | --- |"]
        for t in r["tests"]:
            lines.append(f"| `{t['grade_id']}` | {t['points']:g} | {t['score']:g} | {_cell(t['message'] or '')} |")
        lines.append("")
        sections = [
            ("Answer cells that raised or were stopped", [f"`{k}`: {_cell(v)}" for k, v in r["cell_errors"].items()]),
            ("What happened to the submission's process", r["events"]),
            ("The notebook's structure", r["findings"]),
            ("Near-copies of companion (flagged, not penalised: the instructor decides)",
             [f"`{c['cell']}`: `{c['function']}` matches `{c['companion']}` (similarity {c['ratio']:.2f})"
              for c in r["near_copies"]]),
            ("Problems of the course itself (not the student's)", r.get("setup_errors", [])),
        ]
        for title, items in sections:
            if items:
                lines += [f"**{title}**", ""] + [f"- {_cell(i, 600)}" for i in items] + [""]
        if r.get("stderr", "").strip():
            lines += ["**Standard error of the submission's process** (shown for information; it never costs marks)",
                      "", "```", r["stderr"][:2000].replace("```", "'''"), "```", ""]
    return "\n".join(lines) + "\n"


def write_reports(course, jobs, mode, seconds, errors, cfg, phases=None):
    """Write the reports; return the run summary (also saved as ``reports/run.json``)."""
    folder = Path(course) / "reports"
    folder.mkdir(exist_ok=True)
    by_student = {}
    for job in jobs:
        by_student.setdefault(job.student, []).append(job)
    for student, student_jobs in by_student.items():
        (folder / f"{student}.md").write_text(_student_report(student, student_jobs), encoding="utf-8")
    rows = []
    for job in jobs:
        r = job.result
        rows.append({"student": job.student, "assignment": job.assignment, "notebook": job.source.stem,
                     "score": r.get("score", 0.0), "max_score": r.get("max_score"), "seconds": r.get("seconds"),
                     "wall_seconds": r.get("wall_seconds"),
                     "crash": "crash" in r, "events": r.get("events", []), "findings": r.get("findings", []),
                     "near_copies": r.get("near_copies", []), "cell_errors": r.get("cell_errors", {}),
                     "tests": r.get("tests", []), "starts": r.get("starts")})
    summary = {"finished": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "mode": mode, "seconds": round(seconds, 1), "phases": phases or {}, "limits": cfg["limits"], "problems": errors,
               "notebooks": rows}
    (folder / "run.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    lines = ["# Grading run", "", f"Finished {summary['finished']} in {seconds:.1f} s; sandbox: **{mode}**"
             + (" (weaker: submissions could read the grader's files; see book/instructors.md)" if mode == "none" else ""),
             "", "| student | assignment | score | notes |", "| --- | --- | --- | --- |"]
    for row in rows:
        notes = len(row["events"]) + len(row["findings"]) + len(row["near_copies"])
        score = "grader error" if row["crash"] else f"{row['score']:g} / {row['max_score']:g}"
        see = f"{notes}, see {row['student']}.md" if notes else ""
        lines.append(f"| {row['student']} | {row['assignment']} | {score} | {see} |")
    if errors:
        lines += ["", "## Problems", ""] + [f"- {_cell(e, 800)}" for e in errors]
    (folder / "run.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return summary
