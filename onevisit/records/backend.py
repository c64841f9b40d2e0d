"""The interface to a hall's social-insurance business system.

A province's integrator implements `RecordsBackend` for their system; OneVisit ships a demo backend
in SQLite. Full ID numbers cross this boundary (the business system keys people by them) and go
nowhere else: what comes back for display carries the masked form.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, Protocol

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


#: 社保卡 states, in the order a new card goes through them, then what can happen to an issued one.
#: (zh plain words, en) as the kiosk and the CLI say them. Source: the 社保卡 service stages a
#: province's card system reports (申领 → 制卡 → 到达网点 → 可领取 → 正常使用; 临时挂失).
CARD_STATES: dict[str, tuple[str, str]] = {
    "applied": ("已申领，正在审核", "Applied for; being checked"),
    "made": ("卡已制成，正在送往银行网点", "Card made; on its way to the bank branch"),
    "at_branch": ("卡已到银行网点，正在准备发放", "Card at the bank branch; being prepared"),
    "ready": ("卡已可以领取", "Card ready to collect"),
    "active": ("正常使用", "In use"),
    "lost": ("已临时挂失", "Reported lost (temporary)"),
}
#: States before the card reaches its holder: nothing to report lost yet.
CARD_IN_PRODUCTION = ("applied", "made", "at_branch", "ready")


class CardNotIssued(RecordsError):
    """挂失 of a card still in production (or of no card): there is nothing in the citizen's hands."""

    status = 409

    def __init__(self) -> None:
        super().__init__(
            "card_not_issued",
            "您的社保卡尚未领取，无需挂失；如有疑问请到窗口咨询",
            "Your card has not been handed to you yet, so there is nothing to report lost",
        )


@dataclass(frozen=True)
class CardStep:
    state: str  # a key of CARD_STATES
    on: dt.date


@dataclass(frozen=True)
class CardStatus:
    """The citizen's 社保卡: `state` a key of CARD_STATES; `progress` the production steps reached,
    oldest first; `branch` where to collect it (a bank branch; "" when not yet known);
    `card_tail` the last 4 digits of the card number ("" before it is made); `lost_at` when a
    loss was reported (None unless state is "lost")."""

    state: str
    progress: list[CardStep] = field(default_factory=list)
    branch: str = ""
    card_tail: str = ""
    lost_at: dt.datetime | None = None

    @property
    def words(self) -> tuple[str, str]:
        return CARD_STATES[self.state]


class NotResident(RecordsError):
    """Resident pension calls for someone not enrolled in it (employees pay through their employer)."""

    status = 409

    def __init__(self) -> None:
        super().__init__(
            "not_resident",
            "您未参加城乡居民养老保险，无需在此缴费",
            "You are not enrolled in the urban-rural resident pension, so there is nothing to pay here",
        )


class PaymentRefused(RecordsError):
    """An order the records system will not make or settle: `code` already_paid (the year is paid),
    invalid_level (not one of the year's levels), order_not_found, order_closed (cancelled)."""

    status = 409
    MESSAGES: ClassVar[dict[str, tuple[str, str]]] = {
        "already_paid": ("本年度已缴费，无需重复缴费", "This year is already paid; nothing more to pay"),
        "invalid_level": (
            "缴费档次无效，请重新选择",
            "That is not one of this year's levels; please choose again",
        ),
        "order_not_found": ("未找到该缴费订单", "No such payment order"),
        "order_closed": ("该缴费订单已取消", "This payment order was cancelled"),
    }

    def __init__(self, code: str) -> None:
        zh, en = self.MESSAGES[code]
        super().__init__(code, zh, en)


@dataclass(frozen=True)
class ContributionLevel:
    """One yearly level (档次) of the resident pension: `amount` the citizen pays and `subsidy` the
    government adds, both yuan, both credited to the personal account; `meaning_zh/en` what it
    means for the pension, in the records system's words."""

    amount: Decimal
    subsidy: Decimal
    meaning_zh: str
    meaning_en: str


@dataclass(frozen=True)
class ResidentPensionYear:
    """The resident pension for `year`: its levels, and what is already paid (None: nothing yet)."""

    year: int
    levels: list[ContributionLevel]
    paid: Decimal | None = None

    @property
    def due(self) -> bool:
        return self.paid is None


#: Payment order states on the records side: open (awaiting payment), paid, cancelled (abandoned
#: at the kiosk, or the payment failed). paid and cancelled are final.
ORDER_STATES = ("open", "paid", "cancelled")


@dataclass(frozen=True)
class PaymentOrder:
    order_id: str
    id_masked: str
    year: int
    amount: Decimal
    state: str  # one of ORDER_STATES
    created_at: dt.datetime
    settled_at: dt.datetime | None = None  # when it became paid or cancelled


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

    def card_status(self, id_number: IdNumber) -> CardStatus:
        """The 社保卡's state and production progress (PersonNotFound when there is no record)."""
        ...

    def report_card_loss(self, id_number: IdNumber, at: dt.datetime, channel: str) -> CardStatus:
        """临时挂失: the card is lost from `at` (aware time); `channel` says where (a kiosk's name).
        Idempotent: reporting a lost card again changes nothing and returns the first report's
        status. Raises CardNotIssued for a card still in production."""
        ...

    def cancel_card_loss(self, id_number: IdNumber, at: dt.datetime, window: str) -> CardStatus:
        """解除挂失 at a window (staff have seen the citizen and the card): back to "active".
        Idempotent: a card that is not lost is returned unchanged."""
        ...

    def resident_pension_year(self, id_number: IdNumber, year: int) -> ResidentPensionYear:
        """The year's levels and what is paid; NotResident for someone not enrolled."""
        ...

    def create_payment_order(
        self, id_number: IdNumber, year: int, amount: Decimal, order_id: str, at: dt.datetime
    ) -> PaymentOrder:
        """An open order to pay `amount` (one of the year's levels) for `year`. Idempotent by
        `order_id` (the same id answers the same order). PaymentRefused already_paid /
        invalid_level; NotResident."""
        ...

    def payment_order(self, order_id: str) -> PaymentOrder:
        """The order as records hold it; PaymentRefused order_not_found."""
        ...

    def settle_payment_order(self, order_id: str, at: dt.datetime, reference: str) -> PaymentOrder:
        """The platform says paid: the order becomes paid and the year's contribution is recorded,
        once — settling a paid order again changes nothing. PaymentRefused order_closed for a
        cancelled order (the platform was told to close it first), order_not_found."""
        ...

    def cancel_payment_order(self, order_id: str, at: dt.datetime) -> PaymentOrder:
        """Abandoned or failed: an open order becomes cancelled; a paid or cancelled one is returned
        unchanged (a paid order is never undone here). PaymentRefused order_not_found."""
        ...
