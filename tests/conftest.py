"""Shared fixtures: the repository root, the table of contents, and ONE strict build of the site per test run.

The site is built with ``jupyter-book build <root> -W -n --keep-going --path-output <dir>`` (the HTML lands in
``<dir>/_build/html``). ``make test`` runs pytest with ``-n 2 --dist loadfile``, so the modules that need the
built site (``test_site_build.py``, ``test_browser.py``) may run in two xdist workers at once: the build is
done under a file lock in a directory shared by the workers of this run, and the second worker reuses it.

Set ``RNN_BOOK_ROOT=/path/to/a/copy`` to point the site tests at another checkout (e.g. a throwaway copy with
placeholder chapters); by default they test this repository.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]


def book_root() -> Path:
    """The book checkout under test: ``$RNN_BOOK_ROOT`` if set, else this repository."""
    return Path(os.environ.get("RNN_BOOK_ROOT", REPO_ROOT)).resolve()


def toc_files(root: Path | None = None) -> list[str]:
    """Every document of ``_toc.yml`` in reading order, as written there (``book/intro``, ...)."""
    root = root or book_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    files = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    walk(toc.get("sections"))
    return files


def chapter_files(root: Path | None = None) -> list[str]:
    """The chapters: the documents of the numbered parts of ``_toc.yml`` (chapter 1, 2, ...), suffix stripped."""
    root = root or book_root()
    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    return [strip_suffix(c["file"]) for part in toc.get("parts", []) if part.get("numbered") for c in part["chapters"]]


def strip_suffix(docname: str) -> str:
    for suffix in (".ipynb", ".md"):
        if docname.endswith(suffix):
            return docname[: -len(suffix)]
    return docname


@dataclass(frozen=True)
class SiteBuild:
    """The result of one strict build: where the HTML is, the exit code and the full log."""

    root: Path  # the book that was built
    html: Path  # <path-output>/_build/html
    returncode: int
    log: str
    seconds: float

    def warnings(self) -> list[str]:
        """Sphinx's WARNING/ERROR lines (``-W --keep-going`` reports them all, then exits 1)."""
        return [line for line in self.log.splitlines() if "WARNING" in line or "ERROR" in line]


def jupyter_book_executable() -> str:
    local = Path(sys.executable).parent / "jupyter-book"
    return str(local) if local.exists() else (shutil.which("jupyter-book") or "jupyter-book")


def _build(root: Path, out: Path) -> dict:
    start = time.perf_counter()
    proc = subprocess.run(
        [jupyter_book_executable(), "build", str(root), "-W", "-n", "--keep-going", "--path-output", str(out)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb"},
    )
    return {
        "returncode": proc.returncode,
        "log": proc.stdout + proc.stderr,
        "seconds": time.perf_counter() - start,
    }


@pytest.fixture(scope="session")
def site_build(tmp_path_factory, worker_id) -> SiteBuild:
    """Build the site once per test run (shared by xdist workers through a file lock)."""
    root = book_root()
    # Under xdist each worker's basetemp is <run dir>/popen-gwN: share <run dir> between the workers of this run.
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent
    out = shared / "site"
    result_file = shared / "site-build.json"
    with open(shared / "site-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if result_file.exists():
                result = json.loads(result_file.read_text())
            else:
                result = _build(root, out)
                result_file.write_text(json.dumps(result))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return SiteBuild(root=root, html=out / "_build" / "html", **result)


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """xdist's worker id ("gw0", ...), or "master" without xdist (also when run with ``-p no:xdist``)."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "master"


def running_in_ci() -> bool:
    """True when ``CI`` is set to a true value (``.ci/run`` exports ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI every test must run: a skip (a missing browser, an importorskip, an empty table of
    contents) is reported as a failure there, with the skip's reason. Locally a skip stays a skip."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail") and running_in_ci():
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every test must run: {reason}"


@pytest.fixture(scope="session")
def torch():
    """PyTorch, for the tests that compare with it: the only place the numpy tests meet torch.

    A learner without torch can run the rest locally (these are skipped); in CI a skip is a failure.
    """
    return pytest.importorskip("torch")
