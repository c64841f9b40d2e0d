"""Kivy-free rules: ID entry, session wipe, idempotency key reuse, idle watch, strings, contrast."""

from __future__ import annotations

import datetime as dt

import pytest

from onevisit.core.identity import parse_id
from onevisit.kiosk import theme
from onevisit.kiosk.i18n import STRINGS
from onevisit.kiosk.id_entry import IdEntry
from onevisit.kiosk.session import IdleWatch, Session

TODAY = dt.date(2026, 11, 23)


def typed(text: str) -> IdEntry:
    entry = IdEntry(today=TODAY)
    for ch in text:
        entry.press(ch)
    return entry


@pytest.mark.parametrize(
    "prefix, code",
    [
        ("1101053", "id_birth_date"),  # year 3xxx
        ("11010518", "id_birth_date"),  # 18xx
        ("1101052027", "id_birth_date"),  # future year
        ("11010519492", "id_birth_date"),  # month 2x
        ("110105194900", "id_birth_date"),  # month 00
        ("1101051949024", "id_birth_date"),  # day 4x
        ("11010519490230", "id_birth_date"),  # 30 February
        ("11010519490229", "id_birth_date"),  # 1949 is not a leap year
        ("11010520261124", "id_birth_date"),  # tomorrow
        ("11X", "id_x_position"),
        ("0", "id_region"),
        ("9", "id_card_type_unsupported"),  # 外国人永久居留身份证: said at the first digit
        ("110105194912310021", "id_check_digit"),
    ],
)
def test_problems_show_as_soon_as_the_digits_make_them_certain(prefix, code):
    assert typed(prefix).problem().code == code
    assert typed(prefix[:-1]).problem() is None or prefix[:-1] == ""


def test_valid_prefixes_and_complete_number():
    for n in range(1, 18):
        assert typed("11010519491231002X"[:n]).problem() is None
    entry = typed("11010519491231002X")
    assert entry.complete == parse_id("11010519491231002X", today=TODAY)
    assert entry.grouped == "110105 19491231 002X"
    assert typed("1101051949123100").complete is None
    leap = typed("11010520000229")  # 2000 was a leap year
    assert leap.problem() is None


def test_keypad_caps_at_18_and_deletes():
    entry = typed("11010519491231002X99")
    assert len(entry.text) == 18
    entry.press("DEL")
    assert entry.text.endswith("002")
    entry.press("CLEAR")
    assert entry.text == ""


def test_take_action_keeps_one_key_until_the_choice_changes():
    s = Session(matters=["enroll"])
    first = s.take_action()
    assert s.take_action() is first  # a retry: same key
    s.matters.append("card")
    second = s.take_action()
    assert second.key != first.key
    s.clear()
    assert s.empty and s.action is None


def test_idle_watch_warns_then_times_out_once():
    w = IdleWatch(60, 15)
    assert not w.tick(100)  # inactive at home
    w.active = True
    assert not w.tick(44) and not w.warning_shown
    assert not w.tick(2) and w.warning_shown and w.remaining == 14
    w.touch()
    assert not w.warning_shown
    assert w.tick(60)
    assert w.remaining == 60


def test_both_languages_have_the_same_keys():
    assert STRINGS["zh"].keys() == STRINGS["en"].keys()


@pytest.mark.parametrize("palette", [theme.STANDARD, theme.HIGH_CONTRAST])
def test_every_text_colour_pair_meets_4_5_to_1(palette):
    for fg, bg in theme.Palette.PAIRS:
        ratio = theme.contrast(palette.rgba(fg), palette.rgba(bg))
        assert ratio >= 4.5, (fg, bg, ratio)


def test_elderly_sizes_meet_the_guidelines():
    assert min(theme.FONT.values()) >= 18
    assert theme.BUTTON_HEIGHT * theme.ELDERLY_SCALE >= 60
