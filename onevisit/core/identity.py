"""Chinese resident ID numbers (GB 11643-1999): validation, masking and keyed hashing.

The full number is personal data: the queue keeps only a keyed hash (to find a person's open
ticket) and a masked form (to show and print). Only the records backend ever sees the full number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from onevisit.core.errors import OneVisitError
from onevisit.core.typed import squeezed

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
# ASCII only: Python's \d also matches full-width and other scripts' digits, which passed the
# shape check and then failed deep inside (hashing, check digit); input is NFKC-folded first.
_SHAPE = re.compile(r"^[0-9]{17}[0-9X]$", re.ASCII)
#: 外国人永久居留身份证: since 2017 18 characters starting with 9 (GB 11643's structure, with
#: 9 in place of a province code), before that 15: a 3-letter nationality code and 12 digits.
#: Source: 公安部《外国人永久居留身份证》2017 改版公告; no resident's region code starts with 9.
_FOREIGN_OLD = re.compile(r"^[A-Z]{3}[0-9]{12}$", re.ASCII)


class InvalidIdNumber(OneVisitError):
    """An ID number that fails GB 11643: shape, birth date or check digit."""


class UnsupportedIdCard(InvalidIdNumber):
    """A real identity document of a kind this hall's self-service does not handle (a foreigner's
    permanent residence card): the citizen needs a window, not a retyped number."""


def unsupported_card() -> UnsupportedIdCard:
    return UnsupportedIdCard(
        "id_card_type_unsupported",
        "本机暂不支持外国人永久居留身份证，请到窗口办理",
        "Foreigner's permanent residence ID cards are not supported at this kiosk; please go to a window",
    )


def normalise_id_text(raw: str | None) -> str:
    """An ID number as typed through an input method or read from a wedge reader, in the one
    spelling validation compares: NFKC (full-width digits and Ｘ to ASCII), spaces (also U+3000)
    removed, upper case, `×` (typed for X on many forms) as X. Shape is not checked here."""
    return squeezed(raw).upper().replace("×", "X")


def is_foreign_permanent_card(text: str) -> bool:
    """Does this normalised number have the shape of a 外国人永久居留身份证 (new or old format)?"""
    return (len(text) == 18 and text[:1] == "9") or bool(_FOREIGN_OLD.match(text))


def check_digit(first17: str) -> str:
    """The 18th character GB 11643 prescribes for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdNumber:
    """A validated 18-character ID number. `str()` gives the masked form, never the full one."""

    value: str

    @property
    def birth_date(self) -> dt.date:
        return dt.date(int(self.value[6:10]), int(self.value[10:12]), int(self.value[12:14]))

    @property
    def masked(self) -> str:
        return mask_id(self.value)

    @property
    def is_female(self) -> bool:
        return int(self.value[16]) % 2 == 0

    def age_on(self, day: dt.date) -> int:
        born = self.birth_date
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    def keyed_hash(self, key: bytes) -> str:
        return hmac.new(key, self.value.encode("ascii"), hashlib.sha256).hexdigest()

    def __str__(self) -> str:  # keeps full numbers out of f-strings and logs by accident
        return self.masked

    __repr__ = __str__


def parse_id(raw: str, today: dt.date | None = None) -> IdNumber:
    """Validate an ID number as typed or read from a card; raise InvalidIdNumber saying what is wrong.

    Input is normalised first (`normalise_id_text`): `１１０１０５１９４９１２３１００２X` and
    ` 110105 19491231 002x ` are the same number. A foreigner's permanent residence card raises
    UnsupportedIdCard (code id_card_type_unsupported), not "number invalid".
    """
    text = normalise_id_text(raw)
    if is_foreign_permanent_card(text):
        raise unsupported_card()
    if len(text) != 18:
        raise InvalidIdNumber(
            "id_length",
            f"身份证号应为18位，现在是{len(text)}位",
            f"An ID number has 18 characters; this one has {len(text)}",
        )
    if not _SHAPE.match(text):
        raise InvalidIdNumber(
            "id_characters",
            "身份证号前17位应为数字，最后一位为数字或X",
            "The first 17 characters must be digits and the last a digit or X",
        )
    try:
        born = dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InvalidIdNumber(
            "id_birth_date",
            "身份证号中的出生日期无效",
            "The birth date inside the ID number is not a real date",
        ) from None
    today = today or dt.date.today()
    if born > today or born.year < 1900:
        raise InvalidIdNumber(
            "id_birth_date",
            "身份证号中的出生日期不合理",
            "The birth date inside the ID number is out of range",
        )
    expected = check_digit(text[:17])
    if text[17] != expected:
        raise InvalidIdNumber(
            "id_check_digit",
            "身份证号校验位不正确，请核对每一位数字",
            "The ID number's check digit is wrong; please check every digit",
        )
    return IdNumber(text)


def mask_id(value: str) -> str:
    """330106********1234: region kept for the window, birth date and sequence hidden."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(name: str) -> str:
    """张*三 for three characters, 张* for two, first and last kept for longer names."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


# \d matches full-width digits too; the X may be typed full-width (Ｘ) by an input method.
_FULL_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXxＸｘ](?![\dA-Za-z])")


def redact_ids(text: str) -> str:
    """Mask anything in free text that looks like a full ID number (for logs and notes)."""
    return _FULL_ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
