"""The 参保证明: what it says, gathered from the records backend, numbered and signed.

Building reads everything from the backend first, so an unknown person, a malformed ID or a
backend that is down fails before a serial is taken or a dot is printed. The content is then fixed:
the digest in the signed QR covers exactly the rows the paper shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from onevisit.core.clock import hall_time
from onevisit.core.errors import OneVisitError
from onevisit.core.fonts import require_glyphs
from onevisit.core.identity import IdNumber, parse_id
from onevisit.records.backend import INSURANCE_TYPES, Contribution, Enrollment, RecordsBackend
from onevisit.records.keys import key_id, signing_key
from onevisit.records.months import add_months, month_of, month_range, months_between
from onevisit.records.payload import Claims, sign
from onevisit.records.register import CertificateRegister

log = logging.getLogger(__name__)

Range = Literal["12", "36", "all"]
RANGES: tuple[str, ...] = ("12", "36", "all")

#: One character per insurance for the table's 险种 column; the legend is printed under it.
ABBREV = {
    "pension_employee": "养",
    "medical_employee": "医",
    "unemployment": "失",
    "injury": "工",
    "maternity": "生",
    "pension_resident": "居",
}
LEGEND = [
    ("养", "企业职工养老"),
    ("医", "职工医疗"),
    ("失", "失业"),
    ("工", "工伤"),
    ("生", "生育"),
    ("居", "城乡居民养老"),
]


class BadRange(OneVisitError):
    def __init__(self, given: str) -> None:
        super().__init__(
            "bad_range",
            "证明期间只能选择近12个月、近36个月或全部",
            f"The period must be 12, 36 or all (got {given!r})",
        )


@dataclass(frozen=True)
class InsuranceLine:
    name_zh: str
    status: str
    first_month: str
    last_month: str | None  # None: still contributing (至今)
    paid_months: int
    employer: str


@dataclass(frozen=True)
class TableRow:
    """One month (kind "paid"/"unpaid") or a run of months without contributions (kind "gap")."""

    kind: Literal["paid", "unpaid", "gap"]
    month: str
    last_month: str = ""  # for gaps
    base: Decimal | None = None
    employer_amount: Decimal = Decimal(0)
    personal_amount: Decimal = Decimal(0)
    types: str = ""

    def canonical(self) -> str:
        return "|".join(
            [
                self.kind,
                self.month,
                self.last_month,
                str(self.base or ""),
                str(self.employer_amount),
                str(self.personal_amount),
                self.types,
            ]
        )


PREVIEW_SERIAL = "打印时生成"  # what a preview shows where the serial and code will be
PREVIEW_CODE = "打印时生成"


@dataclass(frozen=True)
class Certificate:
    serial: str
    name: str
    gender: str
    id_masked: str
    agency: str
    issued_at: dt.datetime
    range_label: str
    since: str
    until: str
    insurances: list[InsuranceLine]
    rows: list[TableRow]
    pension_note: str
    digest: str
    payload: str
    verify_url: str
    verification_code: str

    @property
    def claims_key(self) -> str:
        return self.payload.split(".")[1]

    @property
    def free_text(self) -> str:
        """Every text not written by us (name, agency, employers, statuses): what fonts must cover."""
        parts = [self.name, self.gender, self.agency, self.pension_note]
        for line in self.insurances:
            parts += [line.name_zh, line.status, line.employer]
        return "".join(parts)

    @property
    def totals(self) -> tuple[Decimal, Decimal, int]:
        """(employer total, personal total, months paid) over the table."""
        paid = [r for r in self.rows if r.kind == "paid"]
        return (
            sum((r.employer_amount for r in paid), Decimal(0)),
            sum((r.personal_amount for r in paid), Decimal(0)),
            len(paid),
        )


def period(choice: str, issued: dt.date, first_month: str | None) -> tuple[str, str, str]:
    """(since, until, label) for 12/36/all ending with the last settled month (the one before)."""
    if choice not in RANGES:
        raise BadRange(choice)
    until = add_months(month_of(issued), -1)
    if choice == "all":
        since = first_month or until
        return since, until, "全部参保期间"
    since = add_months(until, -(int(choice) - 1))
    return since, until, f"近{choice}个月"


def insurance_lines(enrollments: list[Enrollment], until: str) -> list[InsuranceLine]:
    lines = []
    for e in enrollments:
        last = month_of(e.last_paid) if e.last_paid else None
        ongoing = e.status == "参保缴费" and last is not None and last >= add_months(until, -1)
        lines.append(
            InsuranceLine(
                name_zh=e.name_zh,
                status=e.status,
                first_month=month_of(e.first_enrolled),
                last_month=None if ongoing else last,
                paid_months=e.paid_months,
                employer=e.employer,
            )
        )
    return lines


def table_rows(
    contributions: list[Contribution], since: str, until: str, retired: str | None
) -> list[TableRow]:
    """Monthly rows summed over the insurances paid that month, with runs of missing employee
    months (between contributions, or trailing while not retired) folded into one gap row."""
    by_month: dict[str, list[Contribution]] = {}
    for c in contributions:
        by_month.setdefault(c.month, []).append(c)
    employee_months = sorted(
        m for m, cs in by_month.items() if any(c.insurance != "pension_resident" for c in cs)
    )
    order = list(INSURANCE_TYPES)
    rows: list[TableRow] = []
    gap_start: str | None = None
    first_employee = employee_months[0] if employee_months else None
    for month in month_range(since, until):
        cs = by_month.get(month)
        in_span = (
            first_employee is not None and month >= first_employee and (retired is None or month < retired)
        )
        if not cs:
            if in_span and gap_start is None:
                gap_start = month
            continue
        if gap_start is not None:
            rows.append(TableRow("gap", gap_start, add_months(month, -1)))
            gap_start = None
        paid = all(c.paid for c in cs)
        rows.append(
            TableRow(
                kind="paid" if paid else "unpaid",
                month=month,
                base=max(c.base for c in cs),
                employer_amount=sum((c.employer_amount for c in cs), Decimal(0)),
                personal_amount=sum((c.personal_amount for c in cs), Decimal(0)),
                types="".join(
                    ABBREV[c.insurance] for c in sorted(cs, key=lambda c: order.index(c.insurance))
                ),
            )
        )
    if gap_start is not None:
        rows.append(TableRow("gap", gap_start, until))
    return rows


def table_digest(insurances: list[InsuranceLine], rows: list[TableRow]) -> str:
    """SHA-256 over a canonical text of both tables: what the signature vouches for."""
    h = hashlib.sha256()
    for line in insurances:
        h.update(
            f"I|{line.name_zh}|{line.status}|{line.first_month}|{line.last_month or ''}|{line.paid_months}|{line.employer}\n".encode()
        )
    for row in rows:
        h.update(f"R|{row.canonical()}\n".encode())
    return h.hexdigest()


def build_certificate(
    config,
    backend: RecordsBackend,
    id_text: str | IdNumber,
    choice: str,
    now: dt.datetime,
    register: CertificateRegister | None = None,
    preview: bool = False,
) -> Certificate:
    """Query, number and sign a certificate; raises before reserving a serial on any refusal.

    preview: the same certificate for the screen only: no serial reserved, nothing signed or
    registered (serial and code read PREVIEW_SERIAL / PREVIEW_CODE, no QR payload), so a citizen
    who looks and walks away leaves no gap in the register; the printed one is built afresh.

    now: any aware time; the certificate's 打印时间, serial day and signed time are in the hall's
    zone (config.hall.timezone), whichever zone the caller's clock runs in.
    """
    now = hall_time(now, config.hall.timezone)
    id_number = id_text if isinstance(id_text, IdNumber) else parse_id(id_text, today=now.date())
    if choice not in RANGES:
        raise BadRange(choice)
    person = backend.find_person(id_number)
    enrollments = backend.enrollments(id_number)
    # A character no installed font draws would print as a box on a signed paper: refuse now,
    # before a serial is taken (the kiosk offers a window ticket tagged certificate:glyph_missing).
    require_glyphs(
        person.name + config.hall.agency + "".join(e.employer for e in enrollments),
        config.printer.font,
        "参保证明",
        "certificate",
    )
    pension = backend.pension_status(id_number)
    first = min((month_of(e.first_enrolled) for e in enrollments), default=None)
    since, until, label = period(choice, now.date(), first)
    contributions = backend.contributions(id_number, since, until)
    retired = None
    note = ""
    if pension.is_pensioner:
        pension_line = next((e for e in enrollments if e.insurance == "pension_employee"), None)
        if pension_line and pension_line.last_paid:
            retired = add_months(month_of(pension_line.last_paid), 1)
            note = f"自{retired[:4]}年{int(retired[5:])}月起按月领取基本养老金。"
    insurances = insurance_lines(enrollments, until)
    rows = table_rows(contributions, since, until, retired)
    digest = table_digest(insurances, rows)

    if preview:
        serial, payload, code = PREVIEW_SERIAL, "", PREVIEW_CODE
        verify_url = f"{config.hall.public_url.rstrip('/')}/verify"
    else:
        register = register or CertificateRegister(config.path(config.records.certificates_db))
        serial = register.reserve_serial(config.records.serial_prefix, now)
        key = signing_key(config)
        claims = Claims(
            serial=serial,
            id_masked=id_number.masked,
            name=person.name,
            since=since,
            until=until,
            digest=digest,
            issued_at=now.strftime("%Y-%m-%dT%H:%M"),
            key=key_id(key.public_key()),
        )
        payload, code = sign(claims, key)
        verify_url = f"{config.hall.public_url.rstrip('/')}/verify#p={payload}"
    cert = Certificate(
        serial=serial,
        name=person.name,
        gender=person.gender,
        id_masked=id_number.masked,
        agency=config.hall.agency,
        issued_at=now,
        range_label=label,
        since=since,
        until=until,
        insurances=insurances,
        rows=rows,
        pension_note=note,
        digest=digest,
        payload=payload,
        verify_url=verify_url,
        verification_code=code,
    )
    if preview:
        return cert
    register.record_issue(claims, code, pages=0)
    log.info("certificate %s issued for %s (%s, %d rows)", serial, id_number.masked, choice, len(rows))
    return cert


def months_in(cert: Certificate) -> int:
    return months_between(cert.since, cert.until)
