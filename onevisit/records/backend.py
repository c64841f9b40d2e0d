"""The interface to a hall's social-insurance business system.

A province's integrator implements `RecordsBackend` for their system; OneVisit ships a demo backend
in SQLite. Full ID numbers cross this boundary (the business system keys people by them) and go
nowhere else: what comes back for display carries the masked form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber


class RecordsError(OneVisitError):
    status = 502


class PersonNotFound(RecordsError):
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "person_not_found", "未查询到您的参保信息", "No social-insurance record for this ID number"
        )


class BackendUnavailable(RecordsError):
    status = 503

    def __init__(self, why: str = "") -> None:
        super().__init__(
            "records_unavailable",
            "社保业务系统暂时无法连接，请稍后再试或到窗口办理",
            "The social-insurance system cannot be reached; try again later or go to a window",
            why=why,
        )


class RecordIncomplete(RecordsError):
    status = 409

    def __init__(self, what: str) -> None:
        super().__init__(
            "record_incomplete",
            "您的参保记录不完整，请到窗口办理",
            f"Your record is incomplete ({what}); please go to a window",
            what=what,
        )


class NotAPensioner(RecordsError):
    """`record_certification` for someone who draws no pension: nothing to certify."""

    status = 409

    def __init__(self) -> None:
        super().__init__(
            "not_pensioner",
            "您不是养老保险待遇领取人员，无需进行资格认证",
            "You do not draw a pension, so no qualification certification is needed",
        )


INSURANCE_TYPES: dict[str, tuple[str, str]] = {
    "pension_employee": ("企业职工基本养老保险", "Employee basic pension insurance"),
    "pension_resident": ("城乡居民养老保险", "Urban and rural resident pension insurance"),
    "medical_employee": ("职工基本医疗保险", "Employee basic medical insurance"),
    "unemployment": ("失业保险", "Unemployment insurance"),
    "injury": ("工伤保险", "Work injury insurance"),
    "maternity": ("生育保险", "Maternity insurance"),
}


@dataclass(frozen=True)
class Person:
    id_number: IdNumber
    name: str
    gender: str  # "男" / "女"
    phone_tail: str = ""  # last four digits only

    @property
    def id_masked(self) -> str:
        return self.id_number.masked


@dataclass(frozen=True)
class Enrollment:
    insurance: str  # a key of INSURANCE_TYPES
    status: str  # 参保缴费 / 暂停缴费 / 终止参保 / 享受待遇
    first_enrolled: dt.date
    employer: str
    paid_months: int
    last_paid: dt.date | None = None

    @property
    def name_zh(self) -> str:
        return INSURANCE_TYPES[self.insurance][0]


@dataclass(frozen=True)
class Contribution:
    month: str  # YYYY-MM
    insurance: str
    base: Decimal
    employer_amount: Decimal
    personal_amount: Decimal
    paid: bool = True


@dataclass(frozen=True)
class PensionStatus:
    is_pensioner: bool
    monthly_amount: Decimal | None = None
    certified_until: dt.date | None = None  # qualification certification valid until

    def due(self, today: dt.date) -> bool:
        return self.is_pensioner and (self.certified_until is None or self.certified_until <= today)


@dataclass(frozen=True)
class CertificationResult:
    passed: bool
    method: str  # "face_kiosk", "window", ...
    at: dt.datetime
    kiosk: str = ""
    reasons: list[str] = field(default_factory=list)
    distance: float | None = None


class RecordsBackend(Protocol):
    """What OneVisit asks of the business system. Every method raises PersonNotFound,
    BackendUnavailable or RecordIncomplete rather than returning partial data."""

    def find_person(self, id_number: IdNumber) -> Person: ...

    def enrollments(self, id_number: IdNumber) -> list[Enrollment]: ...

    def contributions(
        self, id_number: IdNumber, since: str | None = None, until: str | None = None
    ) -> list[Contribution]:
        """Monthly records, oldest first; `since`/`until` are inclusive YYYY-MM bounds."""
        ...

    def pension_status(self, id_number: IdNumber) -> PensionStatus: ...

    def reference_photo(self, id_number: IdNumber) -> bytes:
        """The enrolled photo (JPEG/PNG bytes) the face check compares against."""
        ...

    def record_certification(self, id_number: IdNumber, result: CertificationResult) -> PensionStatus:
        """Store a certification attempt; a pass extends `certified_until`. Returns the new status."""
        ...
