"""Chinese text as the bytes of a device's character set (GB2312, GBK, GB18030), glyph for glyph.

Why a module of its own: Python's `gb2312` codec maps two GB2312 codes to other Unicode code points
than the ones a Chinese input method types. GB2312 A1A4 (间隔号, as in 示范区·社保大厅) is U+30FB
KATAKANA MIDDLE DOT for the codec but U+00B7 MIDDLE DOT for a Chinese IME and for the codec's own
`gbk`/`gb18030`; A1AA (破折号, 暂停服务—请稍候) is U+2015 HORIZONTAL BAR for the codec but U+2014
EM DASH for an IME. A plain `text.encode("gb2312")` therefore refuses text the board has glyphs
for. `encode` here tries, for a character the charset's codec refuses, the other spellings of the
same glyph (`GLYPH_ALIASES`); `decode` gives back the spellings an IME types, so what a board
shows reads back as what was typed. The test suite checks the table against every GB2312
double-byte code (tests/core/test_core_charsets.py).

Config (`[[boards.boards]] charset`) and the board codecs both go through here, so a text that
loads in config.toml is a text the board's encoder accepts.
"""

from __future__ import annotations

from typing import Literal, get_args

Charset = Literal["gb2312", "gbk", "gb18030"]
CHARSETS: tuple[str, ...] = get_args(Charset)

#: Spellings of one glyph, the one an IME types first. A character the charset's codec refuses is
#: replaced by the first other member of its group that the codec accepts. Sources: GB 2312-1980
#: row 1 (A1A4 间隔号, A1AA 破折号, A1AB 波浪号) and row 3 (A3A4 ￥) against Python's codec tables
#: and the variants macOS / Japanese / Traditional-Chinese input methods and copied web text give.
GLYPH_ALIASES: tuple[str, ...] = (
    # 间隔号 A1A4: middle dot (IME), katakana middle dot (gb2312 codec), hyphenation point
    # (Big5 text), half-width katakana middle dot, Greek ano teleia, dot operator
    "\u00b7\u30fb\u2027\uff65\u0387\u22c5",
    # 破折号 A1AA: em dash (IME), horizontal bar (gb2312 codec)
    "\u2014\u2015",
    # 波浪号 A1AB: fullwidth tilde (IME), wave dash (macOS, Japanese IMEs)
    "\uff5e\u301c",
    # 人民币符号 A3A4: fullwidth yen (IME), yen sign (macOS, Western keyboards)
    "\uffe5\u00a5",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    ch: tuple(other for other in group if other != ch) for group in GLYPH_ALIASES for ch in group
}
#: Decoding: the codec's own spelling of a glyph back to the one an IME types (see module doc).
_TYPED = {group[i]: group[0] for group in GLYPH_ALIASES for i in range(1, len(group))}


class CharsetError(ValueError):
    """A character the charset has no glyph for; `character` and `index` name it."""

    def __init__(self, character: str, index: int, charset: str) -> None:
        self.character = character
        self.index = index
        self.charset = charset
        super().__init__(f"{character!r} (U+{ord(character):04X}) is not in {charset.upper()}")


def check_charset(charset: str) -> str:
    if charset not in CHARSETS:
        raise ValueError(f"unknown charset {charset!r} (known: {', '.join(CHARSETS)})")
    return charset


def encode(text: str, charset: str) -> bytes:
    """`text` as `charset` bytes. Each character the codec refuses is replaced by another
    spelling of the same glyph (GLYPH_ALIASES) when the charset has one.

    Raises CharsetError naming the first character with no glyph in the charset, ValueError for
    an unknown charset."""
    check_charset(charset)
    try:
        return text.encode(charset)
    except UnicodeEncodeError:
        pass  # the slow path below, only for text that needs an alias or is refused
    out = bytearray()
    for index, ch in enumerate(text):
        for candidate in (ch, *_ALIASES.get(ch, ())):
            try:
                out += candidate.encode(charset)
                break
            except UnicodeEncodeError:
                continue
        else:
            raise CharsetError(ch, index, charset)
    return bytes(out)


def decode(data: bytes, charset: str) -> str:
    """`charset` bytes as text, each glyph spelt as an IME types it (`decode(encode(t)) == t` for
    typed text). Raises UnicodeDecodeError for bytes that are not valid in the charset."""
    text = data.decode(check_charset(charset))
    if charset == "gb2312":
        # only gb2312's codec spells A1A4/A1AA differently; gbk and gb18030 already give the
        # typed forms, and there a U+30FB has bytes of its own and must stay what it is
        text = "".join(_TYPED.get(ch, ch) for ch in text)
    return text
