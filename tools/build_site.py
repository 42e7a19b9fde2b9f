"""Build the course site: the English edition into ``<out>/_build/html/`` and the Chinese one into
``<out>/_build/html/zh/``, each with the strict ``jupyter-book build -W -n --keep-going``.

    python tools/build_site.py                 # both editions (what `make site` runs)
    python tools/build_site.py --edition en    # one edition only (`make site EDITIONS=en`)

The Chinese edition is its own Jupyter Book project in ``zh/`` (``zh/_config.yml``, ``zh/_toc.yml``); it is
built into ``<out>/_build/zh/`` and copied under the English site, so one folder holds the whole site: the
language switcher of each page links to its twin through a relative URL (``zh/...`` and ``../...``).

The build reads ``GITHUB_REPOSITORY``, ``GITHUB_SERVER_URL`` and ``GITHUB_SHA`` when they are set (the Pages
workflow on GitHub Actions): the repository, issue and launch buttons then point at that repository, and the
launch buttons open the notebooks of that commit (docs/_ext/course_site.py).

tests/conftest.py builds the site for the tests with :func:`build` (the same commands).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# edition -> (its book project relative to the repository, where its HTML goes inside the site)
EDITIONS = {"en": (".", ""), "zh": ("zh", "zh")}


def jupyter_book_executable() -> str:
    local = Path(sys.executable).parent / "jupyter-book"
    return str(local) if local.exists() else (shutil.which("jupyter-book") or "jupyter-book")


def build_edition(root: Path, edition: str, out: Path, env: dict | None = None, capture: bool = True,
                  alone: bool = False) -> dict:
    """Build one edition strictly; its HTML ends in ``out/_build/html/<subdir>``. Returns the exit code, the
    log (when captured) and the wall time."""
    project, subdir = EDITIONS[edition]
    # each edition builds into a folder of its own (the English one is the site's root); then the Chinese
    # HTML is copied under the English site
    path_output = out if edition == "en" else out / "_build" / edition
    if subdir:  # where the English site is: links to pages not translated yet go there (course_site.py)
        env = {"COURSE_TWIN_HTML": str(out / "_build" / "html"), **(env or {})}
    env = {**(env or {}), "COURSE_ALONE": "1" if alone else ""}
    start = time.perf_counter()
    proc = subprocess.run(
        [jupyter_book_executable(), "build", str(root / project), "-W", "-n", "--keep-going",
         "--path-output", str(path_output)],
        capture_output=capture,
        text=True,
        timeout=900,
        env={**os.environ, "NO_COLOR": "1", "TERM": "dumb", **(env or {})},
    )
    if alone and not subdir:  # the English site alone: no Chinese edition left over from an earlier build
        for name in (e for e, (_, sub) in EDITIONS.items() if sub):
            shutil.rmtree(out / "_build" / "html" / EDITIONS[name][1], ignore_errors=True)
    if subdir:
        html = path_output / "_build" / "html"
        site = out / "_build" / "html" / subdir
        if site.exists():
            shutil.rmtree(site)
        if html.exists():
            shutil.copytree(html, site)
    return {
        "returncode": proc.returncode,
        "log": (proc.stdout or "") + (proc.stderr or "") if capture else "",
        "seconds": time.perf_counter() - start,
    }


def build(root: Path = REPO_ROOT, out: Path | None = None, editions=("en", "zh"), env: dict | None = None,
          capture: bool = True, alone: bool = False) -> dict[str, dict]:
    """Build the editions in order (English first: the Chinese HTML goes inside the English site)."""
    out = out or root
    return {edition: build_edition(root, edition, out, env=env, capture=capture, alone=alone) for edition in editions}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edition", choices=[*EDITIONS, "all"], default="all",
                        help="build one edition (en: the English site at the root; zh: the Chinese one in zh/)")
    parser.add_argument("--alone", action="store_true",
                        help="a site of this edition alone: no language switcher, no links to the other edition")
    args = parser.parse_args(argv)
    editions = tuple(EDITIONS) if args.edition == "all" else (args.edition,)
    if args.alone and len(editions) > 1:
        parser.error("--alone builds one edition: give --edition en or --edition zh")
    if editions == ("zh",) and not args.alone and not (REPO_ROOT / "_build" / "html" / "objects.inv").exists():
        print("The Chinese edition links to the English one (untranslated pages, the switcher): build the English "
              "edition first (make site EDITION=en), or both (make site).", file=sys.stderr)
        return 2
    results = build(editions=editions, capture=False, alone=args.alone)
    failed = [e for e, r in results.items() if r["returncode"] != 0]
    for edition, result in results.items():
        where = "_build/html/" + EDITIONS[edition][1]
        print(f"{edition}: {'FAILED' if result['returncode'] else 'built'} in {result['seconds']:.0f} s -> {where}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
