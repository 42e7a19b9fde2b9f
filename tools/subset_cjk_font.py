"""Make companion's Chinese figure font: Noto Sans SC (SIL OFL 1.1) cut down to the characters of GB 2312.

companion draws Chinese labels with ``companion/fonts/NotoSansSC-Regular-GB2312.otf``: the official Noto Sans
SC Regular (version 2.004, the region-specific "SubsetOTF/SC" of Google's noto-cjk) restricted to

* the 6,763 hanzi and the 682 symbols of GB 2312 (every character of ordinary simplified-Chinese text),
* ASCII, Latin-1, Greek, general punctuation, arrows and mathematical operators (so a label such as
  "遗忘门 σ(z) −" needs no second font),
* the CJK punctuation (U+3000..U+303F) and the full-width forms (U+FF00..U+FFEF).

That keeps the package small (about 2 MB instead of 8 MB) while any label a course author or student writes in
simplified Chinese still has its glyphs; a rarer character falls back to DejaVu Sans (and matplotlib warns).

Run it with the upstream font, e.g. from the noto-cjk release ``SubsetOTF/SC/NotoSansSC-Regular.otf``::

    .venv/bin/python tools/subset_cjk_font.py NotoSansSC-Regular.otf companion/fonts/NotoSansSC-Regular-GB2312.otf

(fontTools comes with matplotlib.) The licence, ``companion/fonts/OFL.txt``, must travel with the font.
"""
from __future__ import annotations

import sys

from fontTools import subset


def gb2312_characters() -> set[str]:
    """Every character GB 2312 encodes (rows 0xA1..0xF7, cells 0xA1..0xFE)."""
    chars = set()
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes([row, cell]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return chars


def codepoints() -> set[int]:
    points = {ord(c) for c in gb2312_characters()}
    for low, high in [(0x20, 0x7E), (0xA0, 0xFF), (0x370, 0x3FF), (0x2000, 0x206F), (0x2190, 0x21FF),
                      (0x2200, 0x22FF), (0x3000, 0x303F), (0xFF00, 0xFFEF)]:
        points.update(range(low, high + 1))
    return points


def main(source: str, target: str) -> None:
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]  # keep the copyright, licence and version records
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["DSIG", "vhea", "vmtx", "VORG"]  # vertical metrics: matplotlib draws horizontally
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=sorted(codepoints()))
    subsetter.subset(font)
    subset.save_font(font, target, options)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
