"""Board text charsets against the codec tables: every glyph a charset has reaches the board,
whichever way a Chinese user typed it; anything else is refused naming the character."""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onevisit.core import charsets
from onevisit.core.config import ConfigError, parse_config
from tests.conftest import REPO


def gb2312_codes() -> list[bytes]:
    """Every double-byte code GB2312 assigns (rows A1-F7, cells A1-FE, as Python's codec has them)."""
    codes = []
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            code = bytes([hi, lo])
            try:
                code.decode("gb2312")
            except UnicodeDecodeError:
                continue
            codes.append(code)
    return codes


GB2312_CODES = gb2312_codes()


def test_the_table_covers_all_of_gb2312() -> None:
    assert len(GB2312_CODES) == 7445  # GB 2312-1980: 6763 hanzi + 682 other glyphs


@pytest.mark.parametrize("charset", charsets.CHARSETS)
def test_every_gb2312_glyph_reaches_the_board_however_it_is_spelt(charset: str) -> None:
    """What Python's gb2312 codec says, what GBK/GB18030 software and input methods say: each
    spelling of a GB2312 glyph encodes to that glyph's bytes on a gb2312 board, and to the same
    glyph on a gbk board (GBK is a superset with the same codes)."""
    for code in GB2312_CODES:
        for source in ("gb2312", "gbk", "gb18030"):
            typed = code.decode(source)
            if charset != "gb2312" and source == "gb2312":
                continue  # GBK/GB18030 give U+30FB/U+2015 codes of their own: other glyphs there
            assert charsets.encode(typed, charset) == code, (code.hex(), source, typed)


def test_the_examples_from_the_hall_floor() -> None:
    assert charsets.encode("示范区·社保大厅", "gb2312") == "示范区".encode(
        "gb2312"
    ) + b"\xa1\xa4" + "社保大厅".encode("gb2312")
    assert b"\xa1\xaa" in charsets.encode("暂停服务—请稍候", "gb2312")
    assert charsets.encode("——", "gb2312") == b"\xa1\xaa\xa1\xaa"  # a 破折号 as an IME types it
    # spellings other input methods give for the same glyphs
    assert charsets.encode("阿依古丽・买买提", "gb2312") == charsets.encode("阿依古丽·买买提", "gb2312")
    assert charsets.encode("9:00〜17:00", "gbk") == charsets.encode("9:00～17:00", "gbk")
    assert charsets.encode("¥5", "gb2312") == b"\xa3\xa45"


@pytest.mark.parametrize("charset", charsets.CHARSETS)
def test_text_reads_back_as_typed(charset: str) -> None:
    for text in ("示范区·社保大厅", "暂停服务—请稍候", "A012 请到3号窗口", "营业时间 9:00～17:00 ￥"):
        assert charsets.decode(charsets.encode(text, charset), charset) == text


@settings(max_examples=200, deadline=None)
@given(
    codes=st.lists(st.sampled_from(GB2312_CODES), max_size=30),
    ascii_text=st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=10),
    charset=st.sampled_from(charsets.CHARSETS),
)
def test_any_gb2312_text_typed_through_an_ime_round_trips(
    codes: list[bytes], ascii_text: str, charset: str
) -> None:
    typed = ascii_text + "".join(code.decode("gbk") for code in codes)
    data = charsets.encode(typed, charset)
    assert charsets.decode(data, charset) == typed


@settings(max_examples=200, deadline=None)
@given(
    prefix=st.text(alphabet="示范区社保大厅A01 ", max_size=8),
    bad=st.characters(codec="utf-8", categories=["Lo", "So", "Sm", "Pd", "Po"]),
    charset=st.sampled_from(["gb2312", "gbk"]),
)
def test_a_character_without_a_glyph_is_named(prefix: str, bad: str, charset: str) -> None:
    try:
        charsets.encode(bad, charset)
    except charsets.CharsetError:
        pass
    else:
        return  # the charset has this one
    with pytest.raises(charsets.CharsetError) as info:
        charsets.encode(prefix + bad, charset)
    assert info.value.character == bad
    assert info.value.index == len(prefix)
    assert f"U+{ord(bad):04X}" in str(info.value)


def test_bigger_charsets_take_what_gb2312_has_no_glyph_for() -> None:
    with pytest.raises(charsets.CharsetError):
        charsets.encode("孙䶮", "gb2312")
    with pytest.raises(charsets.CharsetError):
        charsets.encode("䶮", "gbk")  # CJK Extension A: GB18030 only
    assert charsets.decode(charsets.encode("孙䶮", "gb18030"), "gb18030") == "孙䶮"
    assert charsets.decode(charsets.encode("喆", "gbk"), "gbk") == "喆"  # GBK, not GB2312
    with pytest.raises(ValueError, match="unknown charset"):
        charsets.encode("A", "big5")


# -- config: an idle text loads when its board can show it -----------------------------------------


def _with_main_board(**board: object):
    raw = tomllib.loads((REPO / "config.toml").read_text(encoding="utf-8"))
    raw["boards"]["boards"] = [{"address": 100, "kind": "main", **board}]
    return parse_config(raw, REPO)


@pytest.mark.parametrize("idle_text", ["示范区·社保大厅", "暂停服务—请稍候", "营业时间 9:00〜17:00"])
def test_config_idle_text_with_typed_punctuation_loads(idle_text: str) -> None:
    config = _with_main_board(idle_text=idle_text)
    assert config.boards.boards[0].idle_text == idle_text
    assert config.boards.boards[0].charset == "gb2312"


def test_config_refuses_an_idle_text_its_board_cannot_show_naming_the_character() -> None:
    with pytest.raises(ConfigError, match="U\\+4DAE"):
        _with_main_board(idle_text="欢迎孙䶮")
    assert _with_main_board(idle_text="欢迎孙䶮", charset="gb18030").boards.boards[0].charset == "gb18030"
    with pytest.raises(ConfigError, match="charset"):
        _with_main_board(charset="big5")
