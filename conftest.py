"""Root conftest: loads the figure-regression plugin for every test run, including ``pytest book/x.ipynb``.

``tests/figure_regression.py`` compares the images of each notebook cell that nbval executes with the stored
ones (see its docstring). It lives in ``tests/`` beside the other test code; this file only puts that folder on
the import path and registers the plugin.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "tests"))

pytest_plugins = ["figure_regression"]
