"""The ID number as the citizen types it on our keypad, checked key by key.

GB 11643 is checked as early as the digits allow: a birth year, month or day that cannot be real is
reported the moment its digits are typed, the check digit when the 18th character arrives. The
message names what is wrong in both languages, so an elderly citizen knows which digits to look at.
"""

from __future__ import annotations

import calendar
import datetime as dt

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber, InvalidIdNumber, parse_id, unsupported_card


def _problem(code: str, zh: str, en: str) -> InvalidIdNumber:
    return InvalidIdNumber(code, zh, en)


BIRTH_PROBLEM = ("出生日期不可能，请核对第7至14位", "That birth date is impossible; check characters 7 to 14")


class IdEntry:
    KEYS = "0123456789X"

    def __init__(self, today: dt.date | None = None) -> None:
        self.text = ""
        self._today = today

    @property
    def today(self) -> dt.date:
        return self._today or dt.date.today()

    def press(self, key: str) -> None:
        if key == "DEL":
            self.text = self.text[:-1]
        elif key == "CLEAR":
            self.text = ""
        elif key in self.KEYS and len(self.text) < 18:
            self.text += key

    def clear(self) -> None:
        self.text = ""

    def problem(self) -> OneVisitError | None:
        """What is wrong with what is typed so far, or None if it can still become a valid number."""
        t = self.text
        if "X" in t[:17]:
            return _problem("id_x_position", "X只能是最后一位", "X can only be the last character")
        if t[:1] == "0":
            return _problem("id_region", "第1位不能是0，请核对", "The first digit cannot be 0")
        if t[:1] == "9":  # no resident's region code starts with 9: a foreigner's residence card
            return unsupported_card()
        birth = t[6:14]
        if birth:
            year_prefix_ok = ("19", "20")
            if (len(birth) >= 2 and birth[:2] not in year_prefix_ok) or (
                len(birth) == 1 and birth not in "12"
            ):
                return _problem("id_birth_date", *BIRTH_PROBLEM)
            if len(birth) >= 4:
                year = int(birth[:4])
                if year > self.today.year or year < 1900:
                    return _problem("id_birth_date", *BIRTH_PROBLEM)
            if len(birth) >= 5 and birth[4] not in "01":
                return _problem("id_birth_date", *BIRTH_PROBLEM)
            if len(birth) >= 6:
                month = int(birth[4:6])
                if not 1 <= month <= 12:
                    return _problem("id_birth_date", *BIRTH_PROBLEM)
            if len(birth) >= 7 and birth[6] not in "0123":
                return _problem("id_birth_date", *BIRTH_PROBLEM)
            if len(birth) == 8:
                year, month, day = int(birth[:4]), int(birth[4:6]), int(birth[6:8])
                if not 1 <= day <= calendar.monthrange(year, month)[1]:
                    return _problem("id_birth_date", *BIRTH_PROBLEM)
                if dt.date(year, month, day) > self.today:
                    return _problem("id_birth_date", *BIRTH_PROBLEM)
        if len(t) == 18:
            try:
                parse_id(t, today=self.today)
            except InvalidIdNumber as exc:
                return exc
        return None

    @property
    def complete(self) -> IdNumber | None:
        if len(self.text) != 18 or self.problem():
            return None
        return parse_id(self.text, today=self.today)

    @property
    def grouped(self) -> str:
        """What the entry field shows: 6 · 8 · 4 groups so a citizen can compare with the card."""
        t = self.text
        return " ".join(part for part in (t[:6], t[6:14], t[14:]) if part)
