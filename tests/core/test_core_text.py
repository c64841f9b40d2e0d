"""Emoji out of staff's free text, Chinese and ①②③ kept (onevisit/core/text.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from fontTools.ttLib import TTCollection, TTFont

from onevisit.core.fonts import cjk_font_path
from onevisit.core.text import without_emoji


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("请核对2019年欠费 👍🏻 谢谢😀", "请核对2019年欠费 谢谢"),
        ("①材料齐全；②待补：户口本", "①材料齐全；②待补：户口本"),
        ("❤️ 👨‍👩‍👧 家属代办 🇨🇳", "家属代办"),
        ("第一行 ✅\n第二行", "第一行\n第二行"),
    ],
)
def test_emoji_are_removed_and_text_kept(typed, kept):
    assert without_emoji(typed) == kept


def test_the_hall_font_has_no_emoji_so_they_must_go():
    """Why we strip rather than show: the CJK font the pages and boards use has no 😀 glyph."""
    path = Path(cjk_font_path())
    font = TTCollection(str(path)).fonts[0] if path.suffix == ".ttc" else TTFont(str(path))
    cmap = font.getBestCmap()
    assert ord("欠") in cmap
    assert ord("😀") not in cmap
