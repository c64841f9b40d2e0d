"""Mainland mobile numbers as a citizen types them: checked, normalised, masked.

A number is 11 digits starting 13–19 (the MIIT numbering plan: 13x–19x are mobile blocks). The
citizen may type it through a Chinese input method (full-width digits), with spaces or dashes, or
with the +86 / 0086 country prefix; all of those are the same number. Shown and logged only as
`138****1234`.
"""

from __future__ import annotations

import re
import unicodedata

from onevisit.core.errors import OneVisitError

_SEPARATORS = re.compile(r"[\s\-‐‑–—()（）]")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_PREFIX = ("手机号码以13–19开头", "a mobile number starts with 13–19")


class BadPhone(OneVisitError):
    status = 422

    def __init__(self, why_zh: str, why_en: str) -> None:
        super().__init__("bad_phone", f"手机号码有误：{why_zh}", f"Mobile number not valid: {why_en}")


def normalize_phone(text: str) -> str:
    """The 11-digit mobile number in `text`, or BadPhone saying what is wrong (bilingual)."""
    value = _SEPARATORS.sub("", unicodedata.normalize("NFKC", str(text)))
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    if not value:
        raise BadPhone("请输入11位手机号码", "type the 11-digit mobile number")
    if not value.isdigit():
        raise BadPhone("只能输入数字", "digits only")
    if len(value) != 11:
        raise BadPhone(f"应为11位，您输入了{len(value)}位", f"it has 11 digits, not {len(value)}")
    if not _MOBILE.match(value):
        raise BadPhone(*_PREFIX)
    return value


def phone_problem(typed: str) -> BadPhone | None:
    """What is wrong with the digits typed so far on a keypad (at most 11), or None while they can
    still become a mobile number: a wrong first two digits are said at once, not after all 11."""
    if typed[:1] not in ("", "1") or typed[1:2] not in ("", *"3456789"):
        return BadPhone(*_PREFIX)
    if len(typed) == 11:
        try:
            normalize_phone(typed)
        except BadPhone as exc:
            return exc
    return None


def mask_phone(value: str) -> str:
    """`13812341234` → `138****1234`; anything else shorter is masked whole."""
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 8 else "*" * len(value)
