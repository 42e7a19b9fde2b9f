"""The fonts of the figures' label languages, and the decorator that draws a figure in one of them.

English labels are drawn with matplotlib's default font (DejaVu Sans). Chinese labels need a CJK font, which a
fresh venv or Colab does not have; companion ships one: ``companion/fonts/NotoSansSC-Regular-GB2312.otf``, Noto
Sans SC (SIL Open Font License 1.1, ``companion/fonts/OFL.txt``) cut down to GB 2312 by
``tools/subset_cjk_font.py``. It is registered with matplotlib the first time a Chinese figure is drawn, and
the figure's texts use it with DejaVu Sans as the fallback for any glyph it lacks. Mathematics keeps
matplotlib's mathtext fonts, so formulas look the same in both languages.
"""
from __future__ import annotations

import functools
from pathlib import Path

from companion._labels import check_lang

#: The Chinese font shipped with companion, and its family name.
CJK_FONT_FILE = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Regular-GB2312.otf"
CJK_FAMILY = "Noto Sans SC"


@functools.cache
def cjk_font_family() -> list[str]:
    """Register the shipped CJK font with matplotlib (once) and return the font family list for Chinese labels.

    The font has one weight. It is also registered as the bold weight of its family, so that a bold label (the
    figures' number badges) is drawn in it without matplotlib's "Failed to find font weight bold" message on
    stderr, which would break nbval.
    """
    import dataclasses

    from matplotlib import font_manager

    manager = font_manager.fontManager
    manager.addfont(str(CJK_FONT_FILE))
    regular = next(f for f in manager.ttflist if f.fname == str(CJK_FONT_FILE) and f.name == CJK_FAMILY)
    # (addfont has just cleared matplotlib's font lookup cache, and no lookup happened since)
    manager.ttflist.append(dataclasses.replace(regular, weight=700))
    return [CJK_FAMILY, "DejaVu Sans"]


def font_family(lang: str) -> list[str] | None:
    """The font family list for labels in ``lang``; None for English (matplotlib's default)."""
    return cjk_font_family() if check_lang(lang) == "zh" else None


def draws_in_language(draw):
    """Decorate a drawing function whose keyword ``lang`` (checked here) picks the label language.

    With ``lang="zh"`` every text the function creates (titles, labels, legends, annotations) uses the CJK font,
    and so do the tick labels matplotlib creates later when the figure is drawn. With ``lang="en"`` the
    function runs exactly as without this decorator.
    """
    @functools.wraps(draw)
    def wrapper(*args, lang="en", **kwargs):
        family = font_family(lang)
        if family is None:
            return draw(*args, lang=lang, **kwargs)
        import matplotlib.pyplot as plt
        from matplotlib.text import Text

        default = list(plt.rcParams["font.family"])
        with plt.rc_context({"font.family": family}):
            fig = draw(*args, lang=lang, **kwargs)
        for ax in fig.axes:
            ax.tick_params(which="both", labelfontfamily=family)
        # texts that existed before the drawing (the title and axis labels of axes the caller made with
        # plt.subplots and passed as ax=) keep the default family: give them the CJK one too
        for text in fig.findobj(Text):
            if list(text.get_fontfamily()) == default:
                text.set_fontfamily(family)
        return fig

    return wrapper
