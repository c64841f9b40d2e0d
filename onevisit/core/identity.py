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

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(OneVisitError):
    """An ID number that fails GB 11643: shape, birth date or check digit."""


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
    """Validate an ID number as typed or read from a card; raise InvalidIdNumber saying what is wrong."""
    text = (raw or "").strip().upper().replace(" ", "")
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


_FULL_ID_IN_TEXT = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")


def redact_ids(text: str) -> str:
    """Mask anything in free text that looks like a full ID number (for logs and notes)."""
    return _FULL_ID_IN_TEXT.sub(lambda m: mask_id(m.group(0)), text)
