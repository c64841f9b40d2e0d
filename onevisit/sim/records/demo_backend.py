"""The demo business system: a SQLite file holding synthetic citizens, behind `RecordsBackend`.

It fails the way a real remote system does: a missing or corrupt database file, or one locked
longer than `records.timeout` (see `onevisit records fault`), raises BackendUnavailable. Every
call opens its own connection, so taking the file away takes effect at the next request.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import random
import sqlite3
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import sqlite_utils

from onevisit.core.identity import IdNumber, parse_id
from onevisit.records.backend import (
    CARD_IN_PRODUCTION,
    INSURANCE_TYPES,
    BackendUnavailable,
    CardNotIssued,
    CardStatus,
    CardStep,
    CertificationResult,
    Contribution,
    ContributionLevel,
    Enrollment,
    NotAPensioner,
    NotResident,
    PaymentOrder,
    PaymentRefused,
    PensionStatus,
    Person,
    PersonNotFound,
    RecordIncomplete,
    ResidentPensionYear,
)
from onevisit.records.months import add_months, add_months_to_date, month_of, parse_month
from onevisit.sim.records.demo_people import demo_citizens
from onevisit.sim.records.synthetic import (
    CENT,
    RESIDENT_LEVELS,
    Citizen,
    employee_rows,
    random_citizen,
    resident_subsidy,
)

log = logging.getLogger(__name__)

_TABLES = (
    "people",
    "enrollments",
    "contributions",
    "pension",
    "photos",
    "certifications",
    "cards",
    "card_events",
    "payment_orders",
    "meta",
)
#: Months of pension a personal account is divided by at 60 (计发月数, 国发〔2014〕8号 / 国发〔2005〕38号).
PAYOUT_MONTHS_AT_60 = 139
#: Years of contributions a resident needs for the pension (国发〔2014〕8号: at least 15).
RESIDENT_MIN_YEARS = 15
#: Days before the seed date each production step of a demo card happened (a card still being
#: made is recent; an issued one dates from when the citizen first enrolled, here ~3 years).
_IN_PRODUCTION_DAYS = {"applied": 20, "made": 8, "at_branch": 3, "ready": 1}
_ISSUED_DAYS = {"applied": 1100, "made": 1085, "at_branch": 1080, "ready": 1078, "active": 1070}
#: Days before the seed date a demo card in state "lost" was reported lost.
_LOST_DAYS = 5
_DEMO_TZ = dt.timezone(dt.timedelta(hours=8))


class DemoBackend:
    """`RecordsBackend` over the demo SQLite file (see `seed_demo` for what it holds)."""

    def __init__(self, path: Path, certification_months: int = 12, timeout: float = 2.0) -> None:
        self.path = Path(path)
        self.certification_months = certification_months
        self.timeout = timeout

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        # mode=rw: a missing file is an outage, not a reason to create an empty business system.
        try:
            conn = sqlite3.connect(
                f"file:{self.path.resolve()}?mode=rw", uri=True, timeout=self.timeout, isolation_level=None
            )
        except sqlite3.Error as exc:
            log.warning("records backend unreachable: %s", exc)
            raise BackendUnavailable(f"cannot open records database: {exc}") from None
        conn.row_factory = sqlite3.Row
        try:
            yield conn
        except sqlite3.Error as exc:
            log.warning("records backend failed: %s", exc)
            raise BackendUnavailable(f"records database error: {exc}") from None
        finally:
            conn.close()

    def _person_row(self, conn: sqlite3.Connection, id_number: IdNumber) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM people WHERE id_number = ?", (id_number.value,)).fetchone()
        if row is None:
            raise PersonNotFound()
        return row

    def find_person(self, id_number: IdNumber) -> Person:
        with self._db() as conn:
            row = self._person_row(conn, id_number)
        return Person(
            id_number=id_number, name=row["name"], gender=row["gender"], phone_tail=row["phone_tail"]
        )

    def enrollments(self, id_number: IdNumber) -> list[Enrollment]:
        with self._db() as conn:
            self._person_row(conn, id_number)
            rows = conn.execute(
                "SELECT * FROM enrollments WHERE id_number = ? ORDER BY ordinal", (id_number.value,)
            ).fetchall()
        out = []
        for row in rows:
            if row["first_enrolled"] is None:
                raise RecordIncomplete(f"first enrollment date of {INSURANCE_TYPES[row['insurance']][1]}")
            out.append(
                Enrollment(
                    insurance=row["insurance"],
                    status=row["status"],
                    first_enrolled=dt.date.fromisoformat(row["first_enrolled"]),
                    employer=row["employer"],
                    paid_months=row["paid_months"],
                    last_paid=dt.date.fromisoformat(row["last_paid"]) if row["last_paid"] else None,
                )
            )
        return out

    def contributions(
        self, id_number: IdNumber, since: str | None = None, until: str | None = None
    ) -> list[Contribution]:
        for bound in (since, until):
            if bound is not None:
                parse_month(bound)
        with self._db() as conn:
            self._person_row(conn, id_number)
            rows = conn.execute(
                "SELECT * FROM contributions WHERE id_number = ? AND month >= ? AND month <= ?"
                " ORDER BY month, insurance",
                (id_number.value, since or "0000-01", until or "9999-12"),
            ).fetchall()
        out = []
        for row in rows:
            if row["base"] is None:
                raise RecordIncomplete(f"contribution base for {row['month']}")
            out.append(
                Contribution(
                    month=row["month"],
                    insurance=row["insurance"],
                    base=Decimal(row["base"]),
                    employer_amount=Decimal(row["employer_amount"]),
                    personal_amount=Decimal(row["personal_amount"]),
                    paid=bool(row["paid"]),
                )
            )
        return out

    def pension_status(self, id_number: IdNumber) -> PensionStatus:
        with self._db() as conn:
            self._person_row(conn, id_number)
            row = conn.execute("SELECT * FROM pension WHERE id_number = ?", (id_number.value,)).fetchone()
        return _status(row)

    def reference_photo(self, id_number: IdNumber) -> bytes:
        with self._db() as conn:
            self._person_row(conn, id_number)
            row = conn.execute("SELECT image FROM photos WHERE id_number = ?", (id_number.value,)).fetchone()
        if row is None or not row["image"]:
            raise RecordIncomplete("reference photo")
        return bytes(row["image"])

    def record_certification(self, id_number: IdNumber, result: CertificationResult) -> PensionStatus:
        with self._db() as conn:
            self._person_row(conn, id_number)
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = conn.execute("SELECT * FROM pension WHERE id_number = ?", (id_number.value,)).fetchone()
                if row is None or not row["is_pensioner"]:
                    raise NotAPensioner()
                until = row["certified_until"]
                if result.passed:
                    until = add_months_to_date(result.at.date(), self.certification_months).isoformat()
                    conn.execute(
                        "UPDATE pension SET certified_until = ? WHERE id_number = ?", (until, id_number.value)
                    )
                conn.execute(
                    "INSERT INTO certifications (id_number, passed, method, at, kiosk, reasons, distance,"
                    " certified_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        id_number.value,
                        int(result.passed),
                        result.method,
                        result.at.isoformat(),
                        result.kiosk,
                        json.dumps(result.reasons, ensure_ascii=False),
                        result.distance,
                        until,
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            row = conn.execute("SELECT * FROM pension WHERE id_number = ?", (id_number.value,)).fetchone()
        log.info("certification recorded for %s: passed=%s", id_number.masked, result.passed)
        return _status(row)

    def _card_row(self, conn: sqlite3.Connection, id_number: IdNumber) -> sqlite3.Row:
        self._person_row(conn, id_number)
        row = conn.execute("SELECT * FROM cards WHERE id_number = ?", (id_number.value,)).fetchone()
        if row is None:
            raise RecordIncomplete("social security card record")
        return row

    def card_status(self, id_number: IdNumber) -> CardStatus:
        with self._db() as conn:
            return _card(self._card_row(conn, id_number))

    def report_card_loss(self, id_number: IdNumber, at: dt.datetime, channel: str) -> CardStatus:
        if at.tzinfo is None:
            raise ValueError("a loss report's time must carry its UTC offset")
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._card_row(conn, id_number)
                if row["state"] in CARD_IN_PRODUCTION:
                    raise CardNotIssued()
                if row["state"] != "lost":  # a second report of a lost card changes nothing
                    conn.execute(
                        "UPDATE cards SET state = 'lost', lost_at = ?, lost_channel = ? WHERE id_number = ?",
                        (at.isoformat(), channel, id_number.value),
                    )
                    self._card_event(conn, id_number, "loss_reported", at, channel)
                    log.info("card of %s reported lost via %s", id_number.masked, channel)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return _card(self._card_row(conn, id_number))

    def cancel_card_loss(self, id_number: IdNumber, at: dt.datetime, window: str) -> CardStatus:
        if at.tzinfo is None:
            raise ValueError("a reversal's time must carry its UTC offset")
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                row = self._card_row(conn, id_number)
                if row["state"] == "lost":
                    conn.execute(
                        "UPDATE cards SET state = 'active', lost_at = NULL, lost_channel = NULL"
                        " WHERE id_number = ?",
                        (id_number.value,),
                    )
                    self._card_event(conn, id_number, "loss_cancelled", at, window)
                    log.info("card loss of %s cancelled at %s", id_number.masked, window)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return _card(self._card_row(conn, id_number))

    @staticmethod
    def _card_event(
        conn: sqlite3.Connection, id_number: IdNumber, what: str, at: dt.datetime, by: str
    ) -> None:
        conn.execute(
            "INSERT INTO card_events (id_number, what, at, by) VALUES (?, ?, ?, ?)",
            (id_number.value, what, at.isoformat(), by),
        )

    # -- resident pension payment --------------------------------------------------------------

    def resident_pension_year(self, id_number: IdNumber, year: int) -> ResidentPensionYear:
        with self._db() as conn:
            return self._resident_year(conn, id_number, year)

    def _resident_year(self, conn: sqlite3.Connection, id_number: IdNumber, year: int) -> ResidentPensionYear:
        self._person_row(conn, id_number)
        enrolled = conn.execute(
            "SELECT 1 FROM enrollments WHERE id_number = ? AND insurance = 'pension_resident'",
            (id_number.value,),
        ).fetchone()
        if enrolled is None:
            raise NotResident()
        row = conn.execute(
            "SELECT personal_amount FROM contributions WHERE id_number = ? AND insurance = 'pension_resident'"
            " AND month = ? AND paid = 1",
            (id_number.value, f"{year:04d}-06"),
        ).fetchone()
        return ResidentPensionYear(
            year=year,
            levels=[resident_level(Decimal(level)) for level in RESIDENT_LEVELS],
            paid=Decimal(row["personal_amount"]) if row else None,
        )

    def create_payment_order(
        self, id_number: IdNumber, year: int, amount: Decimal, order_id: str, at: dt.datetime
    ) -> PaymentOrder:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                existing = conn.execute(
                    "SELECT * FROM payment_orders WHERE order_id = ?", (order_id,)
                ).fetchone()
                if existing is None:
                    resident = self._resident_year(conn, id_number, year)
                    if not resident.due:
                        raise PaymentRefused("already_paid")
                    if amount not in {level.amount for level in resident.levels}:
                        raise PaymentRefused("invalid_level")
                    conn.execute(
                        "INSERT INTO payment_orders (order_id, id_number, year, amount, state, created_at)"
                        " VALUES (?, ?, ?, ?, 'open', ?)",
                        (order_id, id_number.value, year, str(amount.quantize(CENT)), at.isoformat()),
                    )
                    log.info(
                        "payment order %s for %s: %s yuan for %d", order_id, id_number.masked, amount, year
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return self._order(conn, order_id)

    def payment_order(self, order_id: str) -> PaymentOrder:
        with self._db() as conn:
            return self._order(conn, order_id)

    def settle_payment_order(self, order_id: str, at: dt.datetime, reference: str) -> PaymentOrder:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                order = self._order(conn, order_id)
                if order.state == "cancelled":
                    raise PaymentRefused("order_closed")
                if order.state == "open":  # paid already: a duplicate or late notice changes nothing
                    row = conn.execute(
                        "SELECT id_number FROM payment_orders WHERE order_id = ?", (order_id,)
                    ).fetchone()
                    key = row["id_number"]
                    conn.execute(
                        "UPDATE payment_orders SET state = 'paid', settled_at = ?, reference = ? WHERE order_id = ?",
                        (at.isoformat(), reference, order_id),
                    )
                    month = f"{order.year:04d}-06"
                    conn.execute(
                        "INSERT OR REPLACE INTO contributions (id_number, month, insurance, base, employer_amount,"
                        " personal_amount, paid) VALUES (?, ?, 'pension_resident', ?, ?, ?, 1)",
                        (
                            key,
                            month,
                            str(order.amount),
                            str(resident_subsidy(order.amount)),
                            str(order.amount),
                        ),
                    )
                    conn.execute(
                        "UPDATE enrollments SET paid_months = (SELECT count(*) FROM contributions WHERE"
                        " id_number = ? AND insurance = 'pension_resident' AND paid = 1), last_paid = max("
                        " coalesce(last_paid, ''), ?), status = '参保缴费'"
                        " WHERE id_number = ? AND insurance = 'pension_resident'",
                        (key, f"{month}-01", key),
                    )
                    log.info("payment order %s settled (%s)", order_id, order.id_masked)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return self._order(conn, order_id)

    def cancel_payment_order(self, order_id: str, at: dt.datetime) -> PaymentOrder:
        with self._db() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self._order(conn, order_id).state == "open":
                    conn.execute(
                        "UPDATE payment_orders SET state = 'cancelled', settled_at = ? WHERE order_id = ?",
                        (at.isoformat(), order_id),
                    )
                    log.info("payment order %s cancelled", order_id)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return self._order(conn, order_id)

    @staticmethod
    def _order(conn: sqlite3.Connection, order_id: str) -> PaymentOrder:
        row = conn.execute("SELECT * FROM payment_orders WHERE order_id = ?", (order_id,)).fetchone()
        if row is None:
            raise PaymentRefused("order_not_found")
        return PaymentOrder(
            order_id=row["order_id"],
            id_masked=parse_id(row["id_number"]).masked,
            year=row["year"],
            amount=Decimal(row["amount"]),
            state=row["state"],
            created_at=dt.datetime.fromisoformat(row["created_at"]),
            settled_at=dt.datetime.fromisoformat(row["settled_at"]) if row["settled_at"] else None,
        )

    # Beyond the interface: what the demo and its tools need.

    def card_events(self, id_number: IdNumber) -> list[dict]:
        """Loss reports and reversals, oldest first: {"what", "at", "by"}."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT what, at, by FROM card_events WHERE id_number = ? ORDER BY id", (id_number.value,)
            ).fetchall()
        return [dict(r) for r in rows]

    def certification_attempts(self, id_number: IdNumber) -> list[dict]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT passed, method, at, kiosk, reasons, distance, certified_until FROM certifications"
                " WHERE id_number = ? ORDER BY id",
                (id_number.value,),
            ).fetchall()
        return [dict(r) | {"passed": bool(r["passed"]), "reasons": json.loads(r["reasons"])} for r in rows]

    def demo_people(self) -> list[dict]:
        """The fixed demo citizens (full synthetic IDs: for technicians, never for a public screen)."""
        with self._db() as conn:
            rows = conn.execute(
                "SELECT p.id_number, p.name, p.gender, p.demo_key, p.about_zh, p.about_en,"
                " pe.is_pensioner, pe.certified_until, (ph.image IS NOT NULL) AS has_photo"
                " FROM people p LEFT JOIN pension pe USING (id_number) LEFT JOIN photos ph USING (id_number)"
                " WHERE p.demo_key IS NOT NULL ORDER BY p.ordinal"
            ).fetchall()
        return [dict(r) for r in rows]

    def count_people(self) -> int:
        with self._db() as conn:
            return conn.execute("SELECT count(*) FROM people").fetchone()[0]

    def hold_lock(self) -> sqlite3.Connection:
        """Take the database's write lock and keep it: the "backend hangs" fault. Close to release."""
        conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        # In WAL mode readers ignore an ordinary write lock; exclusive locking mode shuts them out too.
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("SELECT count(*) FROM people").fetchone()
        return conn


def _status(row: sqlite3.Row | None) -> PensionStatus:
    if row is None or not row["is_pensioner"]:
        return PensionStatus(is_pensioner=False)
    return PensionStatus(
        is_pensioner=True,
        monthly_amount=Decimal(row["monthly_amount"]) if row["monthly_amount"] else None,
        certified_until=dt.date.fromisoformat(row["certified_until"]) if row["certified_until"] else None,
    )


def resident_level(amount: Decimal) -> ContributionLevel:
    """A level with what it means: the subsidy, and the personal-account pension it builds after the
    15 years the pension needs (balance ÷ 139 months at 60, interest left out; the basic pension the
    government pays comes on top)."""
    subsidy = resident_subsidy(amount)
    monthly = ((amount + subsidy) * RESIDENT_MIN_YEARS / PAYOUT_MONTHS_AT_60).quantize(Decimal(1))
    return ContributionLevel(
        amount=amount.quantize(CENT),
        subsidy=subsidy,
        meaning_zh=f"每年缴{amount:.0f}元，政府补贴{subsidy:.0f}元，共{amount + subsidy:.0f}元记入个人账户；"
        f"按此档缴满15年，60岁起个人账户养老金每月约{monthly}元（另有基础养老金）",
        meaning_en=f"Pay {amount:.0f} a year, the government adds {subsidy:.0f}: {amount + subsidy:.0f} into "
        f"your account; 15 years at this level give about {monthly} a month from 60 (plus the basic pension)",
    )


def _card(row: sqlite3.Row) -> CardStatus:
    progress = [CardStep(state, dt.date.fromisoformat(on)) for state, on in json.loads(row["progress"])]
    return CardStatus(
        state=row["state"],
        progress=progress,
        branch=row["branch"] or "",
        card_tail=row["card_tail"] or "",
        lost_at=dt.datetime.fromisoformat(row["lost_at"]) if row["lost_at"] else None,
    )


def _card_row(citizen: Citizen, today: dt.date) -> dict:
    """The demo card of `citizen` on the seed date: its production steps up to its state."""
    state = citizen.card
    if state in CARD_IN_PRODUCTION:
        steps = list(CARD_IN_PRODUCTION[: CARD_IN_PRODUCTION.index(state) + 1])
        days = _IN_PRODUCTION_DAYS
    else:
        steps, days = list(_ISSUED_DAYS), _ISSUED_DAYS
    lost_at = None
    if state == "lost":
        lost_day = today - dt.timedelta(days=_LOST_DAYS)
        lost_at = dt.datetime.combine(lost_day, dt.time(10, 0), _DEMO_TZ).isoformat()
    digits = citizen.id_number.value
    return {
        "id_number": digits,
        "state": state,
        "progress": json.dumps([(s, (today - dt.timedelta(days=days[s])).isoformat()) for s in steps]),
        # where it is collected: the branch of the bank that issues the region's cards
        "branch": "" if state == "applied" else f"中国建设银行{REGION_BRANCHES.get(digits[:2], '城区')}支行",
        "card_tail": "" if state == "applied" else digits[-5:-1],
        "lost_at": lost_at,
        "lost_channel": "window" if lost_at else None,
    }


#: A district name for the demo branches, by the ID number's province code.
REGION_BRANCHES = {
    "11": "朝阳",
    "31": "黄浦",
    "33": "西湖",
    "42": "江汉",
    "44": "南山",
    "50": "渝中",
    "51": "锦江",
    "61": "雁塔",
}


def open_backend(config) -> DemoBackend:
    """The records backend config.toml names (only the demo one ships)."""
    return DemoBackend(
        config.path(config.records.database),
        certification_months=config.verification.certification_months,
        timeout=config.records.timeout,
    )


# Seeding


def _create_schema(db: sqlite_utils.Database) -> None:
    db["people"].create(
        {
            "id_number": str,
            "ordinal": int,
            "name": str,
            "gender": str,
            "phone_tail": str,
            "demo_key": str,
            "about_zh": str,
            "about_en": str,
        },
        pk="id_number",
        if_not_exists=True,
    )
    db["enrollments"].create(
        {
            "id_number": str,
            "insurance": str,
            "ordinal": int,
            "status": str,
            "first_enrolled": str,
            "employer": str,
            "paid_months": int,
            "last_paid": str,
        },
        pk=("id_number", "insurance"),
        if_not_exists=True,
    )
    db["contributions"].create(
        {
            "id_number": str,
            "month": str,
            "insurance": str,
            "base": str,
            "employer_amount": str,
            "personal_amount": str,
            "paid": int,
        },
        pk=("id_number", "month", "insurance"),
        if_not_exists=True,
    )
    db["pension"].create(
        {
            "id_number": str,
            "is_pensioner": int,
            "retired": str,
            "monthly_amount": str,
            "certified_until": str,
        },
        pk="id_number",
        if_not_exists=True,
    )
    db["photos"].create({"id_number": str, "image": bytes, "source": str}, pk="id_number", if_not_exists=True)
    db["certifications"].create(
        {
            "id": int,
            "id_number": str,
            "passed": int,
            "method": str,
            "at": str,
            "kiosk": str,
            "reasons": str,
            "distance": float,
            "certified_until": str,
        },
        pk="id",
        if_not_exists=True,
    )
    db["cards"].create(
        {
            "id_number": str,
            "state": str,
            "progress": str,  # JSON [[state, date], ...]
            "branch": str,
            "card_tail": str,
            "lost_at": str,
            "lost_channel": str,
        },
        pk="id_number",
        if_not_exists=True,
    )
    db["card_events"].create(
        {"id": int, "id_number": str, "what": str, "at": str, "by": str}, pk="id", if_not_exists=True
    )
    db["payment_orders"].create(
        {
            "order_id": str,
            "id_number": str,
            "year": int,
            "amount": str,
            "state": str,
            "created_at": str,
            "settled_at": str,
            "reference": str,
        },
        pk="order_id",
        if_not_exists=True,
    )
    db["meta"].create({"key": str, "value": str}, pk="key", if_not_exists=True)


def _enrollments(citizen: Citizen, rows: list, today: dt.date) -> list[dict]:
    last_month = add_months(month_of(today), -1)
    out = []
    order = list(INSURANCE_TYPES)
    for insurance in sorted({r.insurance for r in rows}, key=order.index):
        mine = [r for r in rows if r.insurance == insurance]
        paid = [r.month for r in mine if r.paid]
        first = min(r.month for r in mine)
        last_paid = max(paid) if paid else None
        if insurance == "pension_resident":
            employer = "城乡居民个人缴费"
            active = last_paid is not None and int(last_paid[:4]) >= today.year - 1
        else:
            employer = next(j.employer for j in reversed(citizen.jobs) if insurance in j.types)
            active = last_paid is not None and last_paid >= add_months(last_month, -1)
        if citizen.retired:
            status = "享受待遇" if insurance in ("pension_employee", "medical_employee") else "终止参保"
        else:
            status = "参保缴费" if active else "暂停缴费"
        first_enrolled = f"{first}-01"
        if citizen.incomplete and insurance == "pension_employee":
            first_enrolled = None
        out.append(
            {
                "id_number": citizen.id_number.value,
                "insurance": insurance,
                "ordinal": order.index(insurance),
                "status": status,
                "first_enrolled": first_enrolled,
                "employer": employer,
                "paid_months": len(set(paid)),
                "last_paid": f"{last_paid}-01" if last_paid else None,
            }
        )
    return out


def _store(
    db: sqlite_utils.Database, citizen: Citizen, ordinal: int, today: dt.date, faces: Path | None
) -> None:
    rows = employee_rows(citizen)
    key = citizen.id_number.value
    for table in ("enrollments", "contributions"):
        db[table].delete_where("id_number = ?", [key])
    db["people"].upsert(
        {
            "id_number": key,
            "ordinal": ordinal,
            "name": citizen.name,
            "gender": citizen.gender,
            "phone_tail": citizen.phone_tail,
            "demo_key": citizen.demo_key,
            "about_zh": citizen.about_zh,
            "about_en": citizen.about_en,
        },
        pk="id_number",
    )
    db["enrollments"].insert_all(_enrollments(citizen, rows, today))
    db["contributions"].insert_all(
        {
            "id_number": key,
            "month": r.month,
            "insurance": r.insurance,
            "base": str(r.base) if r.base is not None else None,
            "employer_amount": str(r.employer_amount),
            "personal_amount": str(r.personal_amount),
            "paid": int(r.paid),
        }
        for r in rows
    )
    db["pension"].upsert(
        {
            "id_number": key,
            "is_pensioner": int(citizen.retired is not None),
            "retired": citizen.retired,
            "monthly_amount": str(citizen.monthly_pension) if citizen.monthly_pension else None,
            "certified_until": citizen.certified_until.isoformat() if citizen.certified_until else None,
        },
        pk="id_number",
    )
    db["cards"].upsert(_card_row(citizen, today), pk="id_number")
    image = None
    if citizen.photo and faces is not None and (faces / citizen.photo).is_file():
        image = (faces / citizen.photo).read_bytes()
    if image:
        db["photos"].upsert({"id_number": key, "image": image, "source": citizen.photo}, pk="id_number")
    else:
        db["photos"].delete_where("id_number = ?", [key])


def default_faces_dir(config) -> Path:
    """The nearest `shared/faces` beside the repository or one of its parent folders, where this
    workplace keeps the face test photos (a worktree may sit a level deeper than the main copy)."""
    base = config.base_dir.resolve()
    for folder in base.parents:
        candidate = folder / "shared" / "faces"
        if candidate.is_dir():
            return candidate
    return base.parent / "shared" / "faces"


def seed_demo(
    path: Path,
    today: dt.date,
    people: int = 0,
    seed: int = 1,
    faces_dir: Path | None = None,
    reset: bool = False,
) -> dict:
    """Write the fixed demo citizens plus `people` random ones (reproducible from `seed`).

    Re-running refreshes the demo citizens (their cards too) to `today` and keeps certification
    attempts and the card events log.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if reset and path.exists():
        path.unlink()
    db = sqlite_utils.Database(path)
    db.execute("PRAGMA journal_mode=WAL")
    _create_schema(db)
    faces = faces_dir if faces_dir and faces_dir.is_dir() else None
    photos = 0
    with db.conn:
        for i, citizen in enumerate(demo_citizens(today)):
            _store(db, citizen, i, today, faces)
            photos += bool(citizen.photo and faces and (faces / citizen.photo).is_file())
        rng = random.Random(seed)
        start = db.execute("SELECT coalesce(max(ordinal), 0) + 1 FROM people").fetchone()[0]
        made = 0
        while made < people:
            citizen = random_citizen(rng, today)
            if db["people"].count_where("id_number = ?", [citizen.id_number.value]):
                continue  # a random collision with an existing number: draw another
            _store(db, citizen, start + made, today, faces)
            made += 1
        db["meta"].upsert({"key": "seeded_on", "value": today.isoformat()}, pk="key")
    total = db["people"].count
    # Fold the WAL into the file and close: a copied database file (tests, backups) holds it all.
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    log.info("records demo seeded: %d people (%d new random), %d reference photos", total, people, photos)
    return {"database": str(path), "people": total, "added_random": people, "photos": photos}


def ensure_seeded(config, today: dt.date, faces_dir: Path | None = None) -> DemoBackend:
    """The backend, seeding the demo citizens first when the database does not exist yet (their
    reference photos from `faces_dir`, by default the `shared/faces` beside the repository)."""
    backend = open_backend(config)
    if not backend.path.exists():
        seed_demo(backend.path, today, faces_dir=faces_dir or default_faces_dir(config))
    return backend


def demo_id(key: str, today: dt.date | None = None) -> IdNumber:
    """The ID number of a fixed demo citizen by its key (e.g. "pensioner_due"), for tests and tools."""
    for citizen in demo_citizens(today or dt.date.today()):
        if citizen.demo_key == key:
            return parse_id(citizen.id_number.value)
    raise KeyError(key)
