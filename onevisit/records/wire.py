"""The JSON shapes of the records contract (docs/records.md, "The HTTP contract").

One function per direction and type, used by `HttpRecordsBackend` (decoding answers, encoding the
certification it sends) and by the demo records service (encoding answers). Units: dates ISO
`YYYY-MM-DD`, months `YYYY-MM`, money as decimal strings in yuan (`"4519.20"`, never a JSON
number), times ISO 8601 with their UTC offset. Decoders are strict and raise `WireError` on
anything else, which the client turns into BackendUnavailable: garbage is an outage, not data.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from onevisit.core.identity import IdNumber
from onevisit.records.backend import (
    CARD_STATES,
    INSURANCE_TYPES,
    ORDER_STATES,
    CardStatus,
    CardStep,
    CertificationResult,
    Contribution,
    ContributionLevel,
    Enrollment,
    PaymentOrder,
    PensionStatus,
    Person,
    ResidentPensionYear,
)

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_MONEY = re.compile(r"^-?\d{1,12}(\.\d{1,4})?$")
GENDERS = ("男", "女")
STATUSES = ("参保缴费", "暂停缴费", "终止参保", "享受待遇")


class WireError(ValueError):
    """An answer that does not follow the contract (wrong type, missing field, bad unit)."""


# -- encoding (what goes on the wire) -------------------------------------------------------------


def money(value: Decimal | None) -> str | None:
    """Yuan as a decimal string with two places: Decimal("4519.2") -> "4519.20"."""
    return None if value is None else f"{value:.2f}"


def person_to_json(person: Person) -> dict[str, Any]:
    """{"name": str, "gender": "男"|"女", "phone_tail": str of 0-4 digits}; the ID is not echoed."""
    return {"name": person.name, "gender": person.gender, "phone_tail": person.phone_tail}


def enrollment_to_json(e: Enrollment) -> dict[str, Any]:
    return {
        "insurance": e.insurance,
        "status": e.status,
        "first_enrolled": e.first_enrolled.isoformat(),
        "employer": e.employer,
        "paid_months": e.paid_months,
        "last_paid": e.last_paid.isoformat() if e.last_paid else None,
    }


def contribution_to_json(c: Contribution) -> dict[str, Any]:
    return {
        "month": c.month,
        "insurance": c.insurance,
        "base": money(c.base),
        "employer_amount": money(c.employer_amount),
        "personal_amount": money(c.personal_amount),
        "paid": c.paid,
    }


def pension_to_json(p: PensionStatus) -> dict[str, Any]:
    return {
        "is_pensioner": p.is_pensioner,
        "monthly_amount": money(p.monthly_amount),
        "certified_until": p.certified_until.isoformat() if p.certified_until else None,
    }


def certification_to_json(r: CertificationResult) -> dict[str, Any]:
    """`at` must carry its UTC offset (the kiosk's clock is zone-aware)."""
    return {
        "passed": r.passed,
        "method": r.method,
        "at": r.at.isoformat(),
        "kiosk": r.kiosk,
        "reasons": list(r.reasons),
        "distance": r.distance,
    }


def card_status_to_json(c: CardStatus) -> dict[str, Any]:
    """{"state": key of CARD_STATES, "progress": [{"state", "on": date}], "branch": str,
    "card_tail": str of 0 or 4 digits, "lost_at": time|null}."""
    return {
        "state": c.state,
        "progress": [{"state": p.state, "on": p.on.isoformat()} for p in c.progress],
        "branch": c.branch,
        "card_tail": c.card_tail,
        "lost_at": c.lost_at.isoformat() if c.lost_at else None,
    }


def resident_year_to_json(r: ResidentPensionYear) -> dict[str, Any]:
    """{"year": int, "levels": [{"amount": money, "subsidy": money, "meaning_zh", "meaning_en"}],
    "paid": money|null}."""
    return {
        "year": r.year,
        "levels": [
            {
                "amount": money(lv.amount),
                "subsidy": money(lv.subsidy),
                "meaning_zh": lv.meaning_zh,
                "meaning_en": lv.meaning_en,
            }
            for lv in r.levels
        ],
        "paid": money(r.paid),
    }


def order_to_json(o: PaymentOrder) -> dict[str, Any]:
    """{"order_id", "id_masked", "year": int, "amount": money, "state": open|paid|cancelled,
    "created_at": time, "settled_at": time|null}."""
    return {
        "order_id": o.order_id,
        "id_masked": o.id_masked,
        "year": o.year,
        "amount": money(o.amount),
        "state": o.state,
        "created_at": o.created_at.isoformat(),
        "settled_at": o.settled_at.isoformat() if o.settled_at else None,
    }


# -- decoding (strict) ----------------------------------------------------------------------------


def _get(obj: Any, key: str, kind: type | tuple[type, ...], nullable: bool = False) -> Any:
    if not isinstance(obj, dict):
        raise WireError(f"expected an object, got {type(obj).__name__}")
    if key not in obj:
        raise WireError(f"missing field {key!r}")
    value = obj[key]
    if value is None and nullable:
        return None
    # bool is an int in Python: an integer field must not accept true/false.
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        # Type names only: a value may be personal data, and this message reaches the logs.
        raise WireError(
            f"field {key!r}: expected {getattr(kind, '__name__', kind)}, got {type(value).__name__}"
        )
    return value


def _date(obj: Any, key: str, nullable: bool = False) -> dt.date | None:
    text = _get(obj, key, str, nullable)
    if text is None:
        return None
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise WireError(f"field {key!r}: not a YYYY-MM-DD date") from None


def _money(obj: Any, key: str, nullable: bool = False) -> Decimal | None:
    text = _get(obj, key, str, nullable)
    if text is None:
        return None
    if not _MONEY.match(text):
        raise WireError(f"field {key!r}: not a decimal string in yuan")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise WireError(f"field {key!r}: not a decimal string in yuan") from None


def _insurance(obj: Any) -> str:
    insurance = _get(obj, "insurance", str)
    if insurance not in INSURANCE_TYPES:
        raise WireError("field 'insurance': not a key of INSURANCE_TYPES")
    return insurance


def person_from_json(obj: Any, id_number: IdNumber) -> Person:
    gender = _get(obj, "gender", str)
    if gender not in GENDERS:
        raise WireError("field 'gender': expected 男 or 女")
    tail = _get(obj, "phone_tail", str)
    if not re.fullmatch(r"\d{0,4}", tail):
        raise WireError("field 'phone_tail': at most the last four digits")
    name = _get(obj, "name", str)
    if not name.strip():
        raise WireError("field 'name': empty")
    return Person(id_number=id_number, name=name, gender=gender, phone_tail=tail)


def enrollments_from_json(obj: Any) -> list[Enrollment]:
    out = []
    for item in _get(obj, "enrollments", list):
        status = _get(item, "status", str)
        if status not in STATUSES:
            raise WireError("field 'status': not one of 参保缴费/暂停缴费/终止参保/享受待遇")
        paid_months = _get(item, "paid_months", int)
        if paid_months < 0:
            raise WireError("field 'paid_months': negative")
        first = _date(item, "first_enrolled")
        assert first is not None
        out.append(
            Enrollment(
                insurance=_insurance(item),
                status=status,
                first_enrolled=first,
                employer=_get(item, "employer", str),
                paid_months=paid_months,
                last_paid=_date(item, "last_paid", nullable=True),
            )
        )
    return out


def contributions_from_json(obj: Any) -> list[Contribution]:
    out = []
    for item in _get(obj, "contributions", list):
        month = _get(item, "month", str)
        if not _MONTH.match(month):
            raise WireError("field 'month': not YYYY-MM")
        base, employer, personal = (_money(item, k) for k in ("base", "employer_amount", "personal_amount"))
        assert base is not None and employer is not None and personal is not None
        out.append(
            Contribution(
                month=month,
                insurance=_insurance(item),
                base=base,
                employer_amount=employer,
                personal_amount=personal,
                paid=_get(item, "paid", bool),
            )
        )
    return out


def pension_from_json(obj: Any) -> PensionStatus:
    return PensionStatus(
        is_pensioner=_get(obj, "is_pensioner", bool),
        monthly_amount=_money(obj, "monthly_amount", nullable=True),
        certified_until=_date(obj, "certified_until", nullable=True),
    )


def certification_from_json(obj: Any) -> CertificationResult:
    at = aware_time(obj, "at")
    reasons = _get(obj, "reasons", list)
    if not all(isinstance(r, str) for r in reasons):
        raise WireError("field 'reasons': a list of strings")
    distance = _get(obj, "distance", (int, float), nullable=True)
    return CertificationResult(
        passed=_get(obj, "passed", bool),
        method=_get(obj, "method", str),
        at=at,
        kiosk=_get(obj, "kiosk", str),
        reasons=reasons,
        distance=float(distance) if distance is not None else None,
    )


def aware_time(obj: Any, key: str) -> dt.datetime:
    """An ISO 8601 time with its UTC offset (a time without one is refused)."""
    try:
        at = dt.datetime.fromisoformat(_get(obj, key, str))
    except ValueError:
        raise WireError(f"field {key!r}: not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise WireError(f"field {key!r}: needs its UTC offset")
    return at


def _card_state(obj: Any) -> str:
    state = _get(obj, "state", str)
    if state not in CARD_STATES:
        raise WireError(f"field 'state': not one of {'/'.join(CARD_STATES)}")
    return state


def card_status_from_json(obj: Any) -> CardStatus:
    progress = []
    for item in _get(obj, "progress", list):
        on = _date(item, "on")
        assert on is not None
        progress.append(CardStep(state=_card_state(item), on=on))
    tail = _get(obj, "card_tail", str)
    if not re.fullmatch(r"(\d{4})?", tail):
        raise WireError("field 'card_tail': the last four digits, or empty")
    state = _card_state(obj)
    lost_at = aware_time(obj, "lost_at") if _get(obj, "lost_at", str, nullable=True) else None
    if (state == "lost") != (lost_at is not None):
        raise WireError("field 'lost_at': a time exactly when state is lost")
    return CardStatus(
        state=state, progress=progress, branch=_get(obj, "branch", str), card_tail=tail, lost_at=lost_at
    )


def resident_year_from_json(obj: Any) -> ResidentPensionYear:
    levels = []
    for item in _get(obj, "levels", list):
        amount, subsidy = _money(item, "amount"), _money(item, "subsidy")
        assert amount is not None and subsidy is not None
        levels.append(
            ContributionLevel(
                amount=amount,
                subsidy=subsidy,
                meaning_zh=_get(item, "meaning_zh", str),
                meaning_en=_get(item, "meaning_en", str),
            )
        )
    return ResidentPensionYear(
        year=_get(obj, "year", int), levels=levels, paid=_money(obj, "paid", nullable=True)
    )


def order_from_json(obj: Any) -> PaymentOrder:
    state = _get(obj, "state", str)
    if state not in ORDER_STATES:
        raise WireError(f"field 'state': not one of {'/'.join(ORDER_STATES)}")
    amount = _money(obj, "amount")
    assert amount is not None
    settled = _get(obj, "settled_at", str, nullable=True)
    return PaymentOrder(
        order_id=_get(obj, "order_id", str),
        id_masked=_get(obj, "id_masked", str),
        year=_get(obj, "year", int),
        amount=amount,
        state=state,
        created_at=aware_time(obj, "created_at"),
        settled_at=aware_time(obj, "settled_at") if settled is not None else None,
    )
