"""``assignments/grading.toml``: the sandbox's limits and, per assignment, the functions withheld from it."""
from __future__ import annotations

from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DEFAULT_LIMITS = {
    "timeout": 60.0,  # seconds: one cell, or one call of a student's function
    "budget": 300.0,  # seconds: everything of one student's notebook
    "memory_mb": 2048,  # address space of the submission's process
    "cpu_seconds": 300,
    "processes": 64,
    "file_mb": 64,  # largest file it may write, and size of its /tmp
}


def load_config(course):
    """The parsed ``grading.toml`` of a course folder, limits completed with their defaults.

    Raises ``ValueError`` naming the file and the key when something is malformed.
    """
    path = Path(course) / "grading.toml"
    if not path.exists():
        raise ValueError(f"{path} is missing: it lists, per assignment, the companion functions the student "
                         "writes (see assignments/README.md)")
    with open(path, "rb") as f:
        data = tomllib.load(f)
    limits = dict(DEFAULT_LIMITS)
    for key, value in data.get("limits", {}).items():
        if key not in DEFAULT_LIMITS:
            raise ValueError(f"{path}: unknown key limits.{key}; expected one of {', '.join(DEFAULT_LIMITS)}")
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise ValueError(f"{path}: limits.{key} must be a positive number; got {value!r}")
        limits[key] = value
    assignments = {}
    for aid, table in data.get("assignments", {}).items():
        withheld = table.get("withheld")
        if not isinstance(withheld, list) or not all(isinstance(w, str) and w.startswith("companion.")
                                                     for w in withheld):
            raise ValueError(f"{path}: assignments.{aid}.withheld must be a list of dotted names starting "
                             f"with 'companion.'; got {withheld!r}")
        assignments[aid] = {"withheld": withheld}
    return {"limits": limits, "assignments": assignments}
