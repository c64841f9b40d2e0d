"""A records backend of one person and one reference photo file, for headless runs.

`onevisit certify --reference PHOTO` uses it when no business system is configured (or to check a
new photo before enrolling it): the pension status is "due", and certifications are kept in memory
and returned, so the flow runs end to end exactly as it would against a real backend.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from onevisit.core.identity import IdNumber
from onevisit.records.backend import (
    CertificationResult,
    Contribution,
    Enrollment,
    PensionStatus,
    Person,
    PersonNotFound,
    RecordIncomplete,
)


class PhotoFileRecords:
    def __init__(self, id_number: IdNumber, photo: Path, months: int = 12) -> None:
        self.id_number = id_number
        self.photo = photo
        self.months = months
        self.status = PensionStatus(is_pensioner=True)
        self.results: list[CertificationResult] = []

    def _check(self, id_number: IdNumber) -> None:
        if id_number != self.id_number:
            raise PersonNotFound()

    def find_person(self, id_number: IdNumber) -> Person:
        self._check(id_number)
        return Person(id_number=id_number, name="", gender="")

    def enrollments(self, id_number: IdNumber) -> list[Enrollment]:
        self._check(id_number)
        return []

    def contributions(
        self, id_number: IdNumber, since: str | None = None, until: str | None = None
    ) -> list[Contribution]:
        self._check(id_number)
        return []

    def pension_status(self, id_number: IdNumber) -> PensionStatus:
        self._check(id_number)
        return self.status

    def reference_photo(self, id_number: IdNumber) -> bytes:
        self._check(id_number)
        try:
            return self.photo.read_bytes()
        except OSError:
            raise RecordIncomplete(f"reference photo {self.photo.name} unreadable") from None

    def record_certification(self, id_number: IdNumber, result: CertificationResult) -> PensionStatus:
        self._check(id_number)
        self.results.append(result)
        if result.passed:
            until = _add_months(result.at.date(), self.months)
            self.status = PensionStatus(True, self.status.monthly_amount, until)
        return self.status


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise ValueError(day)
