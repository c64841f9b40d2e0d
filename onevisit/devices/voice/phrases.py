"""What is said for a call: the template filled in, the number spoken digit by digit.

Halls read ticket numbers one character at a time ("A 零 一 二", never "A 十二"), so a citizen
hears the same characters printed on the ticket.
"""

from __future__ import annotations

import re

from onevisit.core.errors import OneVisitError

DIGITS = "零一二三四五六七八九"
_NUMBER = re.compile(r"^[A-Z]{0,3}\d{1,6}$")


class VoiceError(OneVisitError):
    pass


def check_number(number: str) -> str:
    if not _NUMBER.match(number or ""):
        raise VoiceError(
            "voice_bad_number",
            f"无法播报号码“{number}”（应为字母加数字，如A012）",
            f"cannot announce number {number!r} (expected letters then digits, e.g. A012)",
        )
    return number


def spoken_number(number: str) -> str:
    """'A012' -> 'A 零 一 二'."""
    check_number(number)
    return " ".join(DIGITS[int(ch)] if ch.isdigit() else ch for ch in number)


def announcement_text(template: str, number: str, window: int) -> str:
    return template.format(number=spoken_number(number), window=window)
