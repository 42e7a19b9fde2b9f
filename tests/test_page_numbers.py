"""Every number on a page is vouched for (GUIDE, "Standing rules"): the check over every chapter in book/.

For each notebook ``book/*.ipynb`` (chapters added later are picked up automatically), every number written in a
markdown cell must be printed by a code cell of that notebook, set in its code, or registered in
``tests/page_numbers.yml`` with the test that asserts it (or, for a fact about a paper, the reference that the cell
cites). ``tests/page_numbers.py`` defines precisely what counts as a number; this module runs it and tests the
rules themselves on small examples, so that the check can fail.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

import page_numbers as pn

NOTEBOOKS = pn.notebooks()  # both editions: book/*.ipynb and zh/book/*.ipynb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[str(p.relative_to(pn.ROOT)) for p in NOTEBOOKS])
def test_every_number_on_the_page_is_vouched_for(path):
    missing = pn.unvouched(path)
    assert not missing, (
        f"{path.name}: numbers in the prose that no cell prints and no registered test asserts "
        "(print them from a cell, or add a test and an entry to tests/page_numbers.yml):\n"
        + "\n".join(f"  cell {c.cell}: {c.text!r} in '… {c.context} …'" for c in missing))


def test_the_registry_holds():
    problems = pn.registry_problems()
    assert not problems, "tests/page_numbers.yml:\n" + "\n".join(f"  {p}" for p in problems)


# ----------------------------------------------------------------------------------- the rules, on examples
def _keys(markdown):
    return [c.key for c in pn.claims_in(markdown)]


def test_claims_are_found_in_prose_math_and_code_comments():
    md = ("The LSTM solved 98% of 1,000 sequences (MSE 3.0e-04), $R^2 \\approx 0.99$, "
          "$\\sigma(-10) \\approx 4.54\\times10^{-5}$.\n\n```python\nf(steps=1200)   # [581, 694]\n```")
    assert _keys(md) == ["98%", "1000", "3.0e-04", "0.99", "10", "4.54e-5", "581", "694"]


def test_what_is_not_a_claim():
    md = ("## 3. The adding problem\n```{exercise}\n:label: ex-deep-11\n```\n"
          "Layer 3 of 2 stacks {cite}`elman1990finding` in 1990, see {ref}`ex-deep-12` and {eq}`deep-rnn` "
          "or [the docs](https://example.org/v2024/page), {py:func}`f(x, 42) <companion.f>`; "
          "$h^{(12)}_{t-1}$, $10^{-3}$, $H = 24$, $z_f = 110$.")
    assert _keys(md) == []


def test_chinese_prose_numbers_are_claims_but_chapter_numbers_are_not():
    md = ("记忆元 c 的值为 3，共有2,560个参数，误差约为0.28（12%），见第 12 章和第12节、第 10 部分；"
          "x12 不是数字，$H = 24$ 是设定。")
    assert _keys(md) == ["2560", "0.28", "12%"]


def test_a_chinese_page_uses_its_own_outputs_and_its_english_twins_registry(tmp_path):
    path = _notebook(tmp_path, "我们训练了 400 步，误差为 0.31；论文给出 0.27。", "run(steps=400)", "error 0.3125\n")
    assert [c.text for c in pn.unvouched(path, registry={})] == ["0.27"]
    assert pn.unvouched(path, registry={"page.ipynb": [{"number": "0.27", "test": "x"}]}) == []


def test_printed_numbers_vouch_when_they_round_to_the_claim():
    claim = pn.claims_in("about 0.28")[0]
    assert pn.rounds_to(Decimal("0.2757"), claim)
    assert not pn.rounds_to(Decimal("0.2649"), claim)
    claim = pn.claims_in("$\\varepsilon \\approx 4.54\\times10^{-5}$")[0]
    assert pn.rounds_to(Decimal("4.5398e-05"), claim)
    assert not pn.rounds_to(Decimal("4.5498e-05"), claim)


def _notebook(tmp_path: Path, markdown: str, code: str, output: str) -> Path:
    nb = {"cells": [
        {"cell_type": "markdown", "id": "m", "metadata": {}, "source": markdown},
        {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": 1, "source": code,
         "outputs": [{"output_type": "stream", "name": "stdout", "text": output}]}],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "page.ipynb"
    path.write_text(json.dumps(nb))
    return path


def test_a_typed_number_is_caught_and_a_printed_or_set_one_is_not(tmp_path):
    path = _notebook(tmp_path, "We trained for 400 steps and reached 0.31; the paper says 0.27.",
                     "run(steps=400)  # takes 12.5 s", "error 0.3125\n")
    assert [c.text for c in pn.unvouched(path, registry={})] == ["0.27"]
    assert pn.unvouched(path, registry={"page.ipynb": [{"number": "0.27", "test": "x"}]}) == []


def test_a_figure_caption_is_prose_too(tmp_path):
    path = _notebook(tmp_path, "A figure:", "plot(steps=400)", "error 0.3125\n")
    nb = json.loads(path.read_text())
    nb["cells"][1]["metadata"] = {"mystnb": {"figure": {"name": "fig-x", "caption": "After 400 steps, 0.31 (not 0.27)."}}}
    path.write_text(json.dumps(nb))
    assert [c.text for c in pn.unvouched(path, registry={})] == ["0.27"]


def test_registry_entries_must_name_a_real_test_containing_the_number(tmp_path):
    book = tmp_path / "book"
    book.mkdir()
    _notebook(book, "The value is 0.8464 and 2,560 errors {cite}`hochreiter1997lstm`.", "", "").rename(
        book / "page.ipynb")
    good = {"page.ipynb": [
        {"number": "0.8464", "test": "tests/test_page_claims.py::test_classics_exercise_3_baseline_by_hand"},
        {"number": "2,560", "cite": "hochreiter1997lstm"}]}
    assert pn.registry_problems(good, book=book) == []
    bad = {"page.ipynb": [
        {"number": "0.8464", "test": "tests/test_page_claims.py::test_deep_exercise_1_counts"},
        {"number": "0.8464", "test": "tests/test_page_claims.py::no_such_test"},
        {"number": "2,560", "cite": "elman1990finding"},
        {"number": "2,560", "cite": "no_such_key"},
        {"number": "7.77", "test": "tests/test_page_claims.py::test_deep_exercise_1_counts"}],
        "missing.ipynb": []}
    problems = pn.registry_problems(bad, book=book)
    assert len(problems) == 7, problems
    assert any("does not contain" in p for p in problems) and any("does not exist" in p for p in problems)
    assert any("does not cite" in p for p in problems) and any("no entry" in p for p in problems)
    assert any("no longer written" in p for p in problems) and any("no such notebook" in p for p in problems)
