"""Shared fixtures: the repository root, the table of contents, and ONE strict build of the site per test run.

The site is built as `make site` builds it (tools/build_site.py): ``jupyter-book build <root> -W -n
--keep-going --path-output <dir>`` for the English edition (the HTML lands in ``<dir>/_build/html``), then the
same for the Chinese edition in ``<root>/zh`` (copied to ``<dir>/_build/html/zh``). ``make test`` runs pytest
with ``-n 2 --dist loadfile``, so the modules that need the built site (``test_site_build.py``,
``test_browser.py``) may run in two xdist workers at once: the build is done under a file lock in a directory
shared by the workers of this run, and the second worker reuses it. ``site_build`` is the English edition,
``site_builds`` both (``{"en": ..., "zh": ...}``).

Set ``RNN_BOOK_ROOT=/path/to/a/copy`` to point the site tests at another checkout (e.g. a throwaway copy with
placeholder chapters); by default they test this repository.
"""
from __future__ import annotations

import fcntl
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tools"))

import build_site  # noqa: E402  (tools/build_site.py: what `make site` runs)

# The test build ignores the CI environment's repository and commit (GITHUB_REPOSITORY, GITHUB_SHA), so the
# buttons point at _config.yml's repository wherever the tests run; test_site_build.py builds with them set.
NO_GITHUB_ENV = {"GITHUB_REPOSITORY": "", "GITHUB_SHA": "", "GITHUB_SERVER_URL": ""}


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
    """The result of one strict build of one edition: where the HTML is, the exit code and the full log."""

    root: Path  # the book project that was built (the repository, or its zh/ folder)
    html: Path  # <path-output>/_build/html, or <path-output>/_build/html/zh
    returncode: int
    log: str
    seconds: float
    edition: str = "en"

    def warnings(self) -> list[str]:
        """Sphinx's WARNING/ERROR lines (``-W --keep-going`` reports them all, then exits 1)."""
        return [line for line in self.log.splitlines() if "WARNING" in line or "ERROR" in line]


def editions(root: Path | None = None) -> list[str]:
    """The editions of the book under test: those whose project (``_config.yml``) exists."""
    root = root or book_root()
    return [e for e, (project, _) in build_site.EDITIONS.items() if (root / project / "_config.yml").exists()]


@pytest.fixture(scope="session")
def site_builds(tmp_path_factory, worker_id) -> dict[str, SiteBuild]:
    """Build the whole site (every edition) once per test run (shared by xdist workers through a file lock)."""
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
                results = json.loads(result_file.read_text())
            else:
                results = build_site.build(root, out, editions=editions(root), env=NO_GITHUB_ENV)
                result_file.write_text(json.dumps(results))
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return {
        edition: SiteBuild(
            root=(root / build_site.EDITIONS[edition][0]).resolve(),
            html=out / "_build" / "html" / build_site.EDITIONS[edition][1],
            edition=edition,
            **result,
        )
        for edition, result in results.items()
    }


@pytest.fixture(scope="session")
def site_build(site_builds) -> SiteBuild:
    """The English edition (the site's root)."""
    return site_builds["en"]


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
