"""The package as a reader installs it: a plain (non-editable) ``pip install``, as Colab and Binder do.

The editable install used for development finds every module through the source tree, so a package left
out of the wheel (``companion.experiments``, which every chapter imports) would only show up on Colab.
These tests build the wheel from a copy of the sources, check what it ships and declares, install it into
a separate folder and import every module from there.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def source_modules() -> list[str]:
    """Dotted names of every module of ``companion`` in the source tree."""
    names = []
    for path in sorted((REPO_ROOT / "companion").rglob("*.py")):
        parts = path.relative_to(REPO_ROOT).with_suffix("").parts
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(REPO_ROOT / name, src / name)
    shutil.copytree(REPO_ROOT / "companion", src / "companion",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(out), str(src)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("companion-*.whl")
    return built


def test_wheel_ships_every_module(wheel):
    with zipfile.ZipFile(wheel) as zf:
        shipped = {n for n in zf.namelist() if n.startswith("companion/") and n.endswith(".py")}
    expected = {str(p.relative_to(REPO_ROOT).as_posix()) for p in (REPO_ROOT / "companion").rglob("*.py")}
    assert sorted(expected - shipped) == []
    assert "companion/experiments/worked_example.py" in shipped


def test_wheel_metadata_declares_numpy_only(wheel):
    with zipfile.ZipFile(wheel) as zf:
        (meta_name,) = [n for n in zf.namelist() if n.endswith(".dist-info/METADATA")]
        meta = Parser().parsestr(zf.read(meta_name).decode())
        licenses = [n for n in zf.namelist() if n.endswith("LICENSE")]
    required = [r for r in meta.get_all("Requires-Dist") or [] if "extra ==" not in r]
    assert [r.split(">")[0].split("=")[0].split("<")[0].strip() for r in required] == ["numpy"]
    assert meta["License-Expression"] == "MIT AND OFL-1.1"
    assert licenses, "the wheel must carry the LICENSE file"


def test_wheel_ships_the_cjk_font_and_its_licence(wheel):
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    assert {"companion/fonts/NotoSansSC-Regular-GB2312.otf", "companion/fonts/OFL.txt"} <= names
    assert any(n.endswith(".dist-info/licenses/companion/fonts/OFL.txt") for n in names)


def test_installed_wheel_imports_every_module(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        capture_output=True, text=True, check=False,
    )
    assert done.returncode == 0, done.stderr
    modules = source_modules()
    code = (
        "import importlib, pathlib, sys\n"
        f"target = pathlib.Path({str(target)!r}).resolve()\n"
        f"for name in {modules!r}:\n"
        "    mod = importlib.import_module(name)\n"
        "    assert target in pathlib.Path(mod.__file__).resolve().parents, (name, mod.__file__)\n"
        "print(len(sys.modules))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(target), MPLBACKEND="Agg")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
