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
    INSURANCE_TYPES,
    BackendUnavailable,
    CertificationResult,
    Contribution,
    Enrollment,
    NotAPensioner,
    PensionStatus,
    Person,
    PersonNotFound,
    RecordIncomplete,
)
from onevisit.records.months import add_months, add_months_to_date, month_of, parse_month
from onevisit.sim.records.demo_people import demo_citizens
from onevisit.sim.records.synthetic import Citizen, employee_rows, random_citizen

log = logging.getLogger(__name__)

_TABLES = ("people", "enrollments", "contributions", "pension", "photos", "certifications", "meta")


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

    # Beyond the interface: what the demo and its tools need.

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

    Re-running refreshes the demo citizens to `today` and keeps certification attempts.
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
    log.info("records demo seeded: %d people (%d new random), %d reference photos", total, people, photos)
    return {"database": str(path), "people": total, "added_random": people, "photos": photos}


def ensure_seeded(config, today: dt.date) -> DemoBackend:
    """The backend, seeding the demo citizens first when the database does not exist yet."""
    backend = open_backend(config)
    if not backend.path.exists():
        seed_demo(backend.path, today, faces_dir=default_faces_dir(config))
    return backend


def demo_id(key: str, today: dt.date | None = None) -> IdNumber:
    """The ID number of a fixed demo citizen by its key (e.g. "pensioner_due"), for tests and tools."""
    for citizen in demo_citizens(today or dt.date.today()):
        if citizen.demo_key == key:
            return parse_id(citizen.id_number.value)
    raise KeyError(key)
