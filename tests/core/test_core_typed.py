"""Typed input folded to one spelling: NFKC text, and dates and times as Chinese offices write them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onevisit.core.typed import clean, parse_datetime_text, squeezed

WIDE = str.maketrans("0123456789:/-.", "０１２３４５６７８９：／－．")


def test_clean_folds_width_and_trims_every_kind_of_padding():
    assert clean("\u3000ＡＢ１２\xa0\x00 ") == "AB12"
    assert squeezed(" 110105 19491231\u3000002X ") == "11010519491231002X"
    assert clean(None) == ""


@st.composite
def spelled(draw):
    """A real minute of a day and one of the ways Excel, WPS or a clerk writes it."""
    when = draw(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 12, 31)))
    when = when.replace(second=0, microsecond=0)
    y, mo, d, h, mi = when.year, when.month, when.day, when.hour, when.minute
    half = ("上午" if h < 12 else "下午", (h % 12) or 12)
    forms = [
        f"{y}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}",
        f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}",
        f"{y}-{mo:02d}-{d:02d} {h:02d}:{mi:02d}:00",
        f"{y}/{mo}/{d} {h}:{mi:02d}",  # Excel's default display on Chinese Windows
        f"{y}.{mo}.{d} {h}:{mi:02d}",
        f"{y}年{mo}月{d}日 {h}:{mi:02d}",
        f"{y}年{mo}月{d}日{h}时{mi}分",
        f"{y}年{mo}月{d}日 {h}点{mi:02d}分",
        f"{y}/{mo}/{d} {half[0]} {half[1]}:{mi:02d}",
    ]
    text = draw(st.sampled_from(forms))
    if draw(st.booleans()):
        text = text.translate(WIDE)  # typed through an input method in full-width mode
    pad = st.sampled_from(["", " ", "\u3000"])
    return when, draw(pad) + text + draw(pad)


@given(spelled())
def test_every_common_spelling_is_the_same_minute(case):
    when, text = case
    assert parse_datetime_text(text) == when


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2026/12/1",
        "9:30",
        "2026/13/1 9:30",
        "2026/2/30 9:30",
        "2026/12/1 24:00",
        "下午 13:00",
        "明天上午",
    ],
)
def test_what_is_no_date_and_time_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_datetime_text(text)


def test_an_iso_offset_is_kept():
    assert parse_datetime_text("2026-12-01T09:30+08:00").utcoffset() == dt.timedelta(hours=8)
