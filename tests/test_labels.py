"""Figures in both label languages: ``lang=`` on every drawing function, the Chinese table, the CJK font.

The Chinese edition draws every figure with ``lang="zh"``. These tests hold it to what a Chinese reader must
see: every text in Chinese (apart from formulas, symbols, numbers and model names), every glyph in the font
companion ships (no tofu boxes, no "Glyph ... missing" warning, no font message on stderr, which would break
nbval), and the chapters' own titles and labels in the table.
"""
from __future__ import annotations

import ast
import inspect
import json
import logging
import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from companion import _labels, diagrams, plots  # noqa: E402
from companion._fonts import CJK_FONT_FILE, cjk_font_family  # noqa: E402
from test_figure_baselines import CASES  # noqa: E402  (tests/ is on the path: see the root conftest.py)

REPO_ROOT = Path(__file__).resolve().parents[1]
DRAWERS = {name: getattr(diagrams, name) for name in diagrams.__all__} | {
    name: getattr(plots, name) for name in plots.__all__}

#: Latin words that stay as they are in the Chinese figures: model names, function names, units of the course.
KEPT_WORDS = {"RNN", "LSTM", "GRU", "IRNN", "Elman", "Jordan", "tanh", "sigmoid", "PyTorch", "MSE", "Adam", "BPTT",
              "ln", "mod"}


def english_words(text: str) -> list[str]:
    """The Latin words of ``text`` outside ``$...$`` formulas that a Chinese figure should not show."""
    prose = re.sub(r"\$[^$]*\$", " ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", prose) if w not in KEPT_WORDS]


def figure_texts(fig) -> list[str]:
    fig.canvas.draw()  # creates the tick labels
    return [t.get_text() for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


@pytest.fixture
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("name", sorted(DRAWERS))
def test_every_drawing_function_takes_lang_keyword_documented(name):
    func = DRAWERS[name]
    param = inspect.signature(func).parameters.get("lang")
    assert param is not None and param.kind is inspect.Parameter.KEYWORD_ONLY and param.default == "en"
    assert re.search(r"^    lang : \{\"en\", \"zh\"\}, default \"en\"$", func.__doc__, re.M), \
        f"{name}'s docstring must document lang in its Parameters section"


@pytest.mark.parametrize("bad", ["fr", "EN", "zh-CN", None, 1])
@pytest.mark.parametrize("name", sorted(CASES))
def test_unknown_lang_is_a_value_error_naming_lang_and_the_choices(name, bad, close_figures):
    with pytest.raises(ValueError, match=r"lang must be one of 'en', 'zh'"):
        CASES[name](bad)


@pytest.mark.parametrize("name", sorted(CASES))
def test_chinese_figure_draws_without_warnings_and_in_chinese(name, close_figures, caplog):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph ... missing from font" is a UserWarning
        with caplog.at_level(logging.INFO, logger="matplotlib"):
            texts = figure_texts(CASES[name]("zh"))  # a full Agg draw: a missing glyph warns here
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING or "findfont" in r.name]
    assert any(re.search(r"[\u4e00-\u9fff]", t) for t in texts), f"{name}: no Chinese text at all"
    leftovers = {t: english_words(t) for t in texts if english_words(t)}
    assert not leftovers, f"{name}: English left in the Chinese figure: {leftovers}"


def test_chinese_texts_use_the_shipped_font_and_every_glyph_is_in_it(close_figures):
    from fontTools.ttLib import TTFont

    cmap = TTFont(CJK_FONT_FILE).getBestCmap()
    chinese = "".join(_labels.ZH.values()) + "".join(
        str(r) for _, r in _labels.ZH_PATTERNS if isinstance(r, str))
    missing = sorted({c for c in re.sub(r"\$[^$]*\$", "", chinese) if c.strip() and ord(c) not in cmap})
    assert not missing, f"characters of the label table missing from {CJK_FONT_FILE.name}: {missing}"
    fig = diagrams.draw_lstm_cell(lang="zh")
    families = {tuple(t.get_fontfamily()) for t in fig.findobj(Text) if re.search(r"[\u4e00-\u9fff]", t.get_text())}
    assert families == {tuple(cjk_font_family())}


def test_chinese_labels_on_axes_the_caller_made_use_the_shipped_font(close_figures, caplog):
    # a chapter may draw into its own plt.subplots() (ax=...): the axes' title and axis labels then exist before
    # the drawing function runs, and must still be drawn with the CJK font (elman_jordan, training curves)
    fig, axes = plt.subplots(1, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with caplog.at_level(logging.INFO, logger="matplotlib"):
            for ax in axes:
                plots.plot_series({"Elman": [0.5, 0.2, 0.1]}, "training step", "training MSE", title="delayed echo",
                                  baseline=(0.25, "guessing 0.5"), ax=ax, lang="zh")
            fig.savefig(__import__("io").BytesIO(), format="png", dpi=50)
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING or "findfont" in r.name]
    chinese = [t for t in fig.findobj(Text) if re.search(r"[\u4e00-\u9fff]", t.get_text())]
    assert len(chinese) >= 6  # two titles, two x labels, two y labels (and the legends)
    assert {tuple(t.get_fontfamily()) for t in chinese} == {tuple(cjk_font_family())}


def test_font_licence_ships_beside_the_font():
    licence = (CJK_FONT_FILE.parent / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and CJK_FONT_FILE.name in licence


def test_translate_tables():
    assert _labels.translate("hidden layer 3", "zh") == "隐藏层 3"
    assert _labels.translate("depth 2 (H = 11)", "zh") == "深度 2（H = 11）"
    assert _labels.translate("mean squared error", "zh") == "平均平方误差"
    assert _labels.translate("tanh RNN, H = 34", "zh") == "tanh RNN，H = 34"
    assert _labels.translate("my own label", "zh") == "my own label"  # unknown: drawn as given
    for english in _labels.ZH:
        assert _labels.translate(english, "en") == english
    for chinese in _labels.ZH.values():  # full-width punctuation in the Chinese, no ASCII comma or colon
        assert not re.search(r"[\u4e00-\u9fff][,:;()]|[,:;(][\u4e00-\u9fff]", re.sub(r"\$[^$]*\$", "$", chinese)), chinese


# ------------------------------------------------------------------------------ the chapters' texts are in the table
def _chapter_call_strings() -> dict[str, set[str]]:
    """Every string a code cell of an English chapter passes to a draw_*/plot_* call: constants and f-strings
    (rendered with "1" for each placeholder) in the arguments, in dict/list/tuple literals and comprehensions,
    and in the values of the names they use that the same cell assigns (``curves = {...}``)."""
    found: dict[str, set[str]] = {}

    def strings(node, assigns, seen):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.value
        elif isinstance(node, ast.JoinedStr):
            yield "".join(v.value if isinstance(v, ast.Constant) else "1" for v in node.values)
        elif isinstance(node, ast.Dict):
            for child in [*node.keys, *node.values]:
                if child is not None:
                    yield from strings(child, assigns, seen)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for child in node.elts:
                yield from strings(child, assigns, seen)
        elif isinstance(node, ast.DictComp):
            yield from strings(node.key, assigns, seen)
            yield from strings(node.value, assigns, seen)
        elif isinstance(node, ast.Subscript):
            yield from strings(node.value, assigns, seen)
        elif isinstance(node, ast.Name) and node.id in assigns and node.id not in seen:
            yield from strings(assigns[node.id], assigns, seen | {node.id})

    for path in sorted((REPO_ROOT / "book").glob("*.ipynb")):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            source = "\n".join(line for line in "".join(cell["source"]).splitlines()
                               if not line.lstrip().startswith(("%", "!")))
            tree = ast.parse(source)
            assigns = {t.id: node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
                       for t in node.targets if isinstance(t, ast.Name)}
            for node in ast.walk(tree):
                if isinstance(node, ast.Call):
                    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                    if name in DRAWERS:
                        for arg in [*node.args, *(k.value for k in node.keywords)]:
                            found.setdefault(path.stem, set()).update(strings(arg, assigns, frozenset()))
    return found


def _computed_chapter_labels() -> set[str]:
    """Labels the chapters build from companion's experiments (names of tasks, models, curves)."""
    from companion.experiments import classics, elman_jordan, variants

    labels = set(elman_jordan.TASKS) | set(elman_jordan.KINDS)
    labels |= {variants.label(m, h) for m, h in variants.CONFIGS}
    labels |= {"LSTM memory, forget bias 3", "LSTM memory, forget bias 3 (with recurrent weights)",
               "tanh RNN, ρ = 0.9", "layer 1: $h^{(1)}_t$"}
    assert {classics.lstm_memory_jacobian_norms(3.0).label, classics.elman_jacobian_norms(0.9).label} <= labels
    return labels


def test_every_text_the_chapters_pass_to_a_figure_is_translated():
    found = _chapter_call_strings()
    assert {"bidirectional", "bptt", "deep_rnn", "lstm_gates"} <= set(found)
    untranslated = {}
    for page, texts in found.items():
        for text in texts:
            if english_words(text) and english_words(_labels.translate(text, "zh")):
                untranslated.setdefault(page, []).append(text)
    for text in _computed_chapter_labels():
        if english_words(_labels.translate(text, "zh")):
            untranslated.setdefault("(computed labels)", []).append(text)
    assert not untranslated, f"add these to companion/_labels.py: {untranslated}"
