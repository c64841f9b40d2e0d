"""预约签到: bookings kept by the hall, and the rules for checking one in at a kiosk.

A booking is a day, a slot, the matters and the person, kept only as the queue's keyed hash plus a
masked ID, never the full number. Supervisors add bookings one by one or as a list from the
provincial booking system; a citizen checks in at the kiosk from `early_minutes` before the slot
to `late_minutes` after it, and the queue then ranks the ticket by its slot time.

The bookings live in the hall database; the ticket in the queue's tables. The check-in (see
`checkin`) issues with an idempotency key derived from the booking id, so a crash between the
queue's commit and the booking's update is repaired by the retry: it finds the same ticket.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from onevisit.core.clock import Clock
from onevisit.core.config import Config, parse_hhmm
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber, parse_id
from onevisit.db.sqlite import HallDatabase

log = logging.getLogger(__name__)

STATES = ("booked", "checked_in", "cancelled")
MAX_MATTERS = 5
#: The queue's idempotency key for a booking's ticket: a retried check-in finds the same ticket.
TICKET_KEY = "appointment:{id}"
TAG = "appointment"
CSV_COLUMNS = ("id_number", "matters", "slot")
MAX_IMPORT_ROWS = 5000


class AppointmentError(OneVisitError):
    status = 409


class AppointmentNotFound(AppointmentError):
    status = 404


class BookingInvalid(AppointmentError):
    status = 400


class ImportRefused(AppointmentError):
    """A booking list with bad rows: every problem with its line, and nothing imported."""

    status = 400


@dataclass(frozen=True)
class Appointment:
    id: int
    day: str
    slot: str  # ISO time in the hall's zone, minutes
    matters: tuple[str, ...]
    person_masked: str
    state: str
    ticket_number: str | None
    created_by: str
    created_at: str
    updated_by: str | None
    updated_at: str | None

    @property
    def slot_time(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.slot)

    @property
    def ticket_key(self) -> str:
        return TICKET_KEY.format(id=self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "day": self.day,
            "slot": self.slot,
            "matters": list(self.matters),
            "person_masked": self.person_masked,
            "state": self.state,
            "ticket_number": self.ticket_number,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class Booking:
    """A validated request to book, not yet stored: the ID already reduced to hash and mask."""

    slot: dt.datetime
    matters: tuple[str, ...]
    person_hash: str
    person_masked: str

    @property
    def day(self) -> str:
        return self.slot.date().isoformat()


def _row(row: sqlite3.Row) -> Appointment:
    return Appointment(
        id=row["id"],
        day=row["day"],
        slot=row["slot"],
        matters=tuple(json.loads(row["matters"])),
        person_masked=row["person_masked"],
        state=row["state"],
        ticket_number=row["ticket_number"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
    )


def _hhmm(when: dt.datetime) -> str:
    return when.strftime("%H:%M")


class AppointmentStore:
    def __init__(self, db: HallDatabase, config: Config, clock: Clock, id_key: bytes) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self._id_key = id_key
        self.zone = ZoneInfo(config.hall.timezone)
        states = ", ".join(f"'{s}'" for s in STATES)
        db.script(
            f"""
            CREATE TABLE IF NOT EXISTS hall_appointments (
                id INTEGER PRIMARY KEY,
                day TEXT NOT NULL,
                slot TEXT NOT NULL,
                matters TEXT NOT NULL,
                person_hash TEXT NOT NULL,
                person_masked TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ({states})),
                ticket_number TEXT,
                created_by TEXT NOT NULL,
                created_at TEXT NOT NULL,
                updated_by TEXT,
                updated_at TEXT
            );
            CREATE INDEX IF NOT EXISTS hall_appointments_day ON hall_appointments (day, slot);
            -- one live booking per person and day, whoever books it and however
            CREATE UNIQUE INDEX IF NOT EXISTS hall_appointments_person_day
                ON hall_appointments (day, person_hash) WHERE state != 'cancelled';
            """
        )

    # -- validation --------------------------------------------------------------------------
    def slot_in_zone(self, slot: dt.datetime) -> dt.datetime:
        """A naive slot is the hall's local time; an aware one is converted to it."""
        if slot.tzinfo is None:
            slot = slot.replace(tzinfo=self.zone)
        try:
            return slot.astimezone(self.zone).replace(second=0, microsecond=0)
        except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range
            raise _bad_slot() from None

    def validate(self, id_number: str, matters: Iterable[str], slot: dt.datetime) -> Booking:
        """Everything a booking must satisfy before it is stored; raises saying which rule fails."""
        now = self.clock.now()
        person = parse_id(id_number, now.date())
        codes = tuple(m.strip() for m in matters if m and m.strip())
        known = [m.code for m in self.config.matters]
        if not codes:
            raise BookingInvalid("no_matters", "请至少预约一项业务", "Book at least one matter")
        if len(codes) > MAX_MATTERS:
            raise BookingInvalid(
                "too_many_matters",
                f"一次最多预约{MAX_MATTERS}项业务",
                f"At most {MAX_MATTERS} matters per booking",
            )
        if len(set(codes)) != len(codes):
            raise BookingInvalid("duplicate_matter", "同一业务只需预约一次", "Each matter only once")
        for code in codes:
            if code not in known:
                raise BookingInvalid(
                    "unknown_matter",
                    f"没有这项业务：{code}",
                    f"No such matter: {code!r} (known: {', '.join(known)})",
                    matter=code,
                    known=known,
                )
        slot = self.slot_in_zone(slot)
        rules = self.config.appointments
        hours = self.config.hall.hours
        if slot.date() < now.date():
            raise BookingInvalid(
                "slot_past_day",
                "不能预约已过去的日期",
                "The slot is on a day that has passed",
                slot=slot.isoformat(),
            )
        if (slot.date() - now.date()).days > rules.max_days_ahead:
            raise BookingInvalid(
                "slot_too_far",
                f"最多可预约{rules.max_days_ahead}天内的时段",
                f"Slots can be booked at most {rules.max_days_ahead} days ahead",
                slot=slot.isoformat(),
            )
        if slot + dt.timedelta(minutes=rules.late_minutes) < now:
            raise BookingInvalid(
                "slot_past",
                "该时段已过，无法预约",
                "The slot has already passed; it could never be checked in",
                slot=slot.isoformat(),
            )
        if not (parse_hhmm(hours.open) <= slot.time() < parse_hhmm(hours.close)):
            raise BookingInvalid(
                "slot_outside_hours",
                f"预约时段须在办公时间 {hours.open}–{hours.close} 内",
                f"The slot must be within opening hours {hours.open}–{hours.close}",
                slot=slot.isoformat(),
            )
        for code in codes:
            matter = self.config.matter(code)
            if slot.time() >= parse_hhmm(matter.cutoff):
                raise BookingInvalid(
                    "slot_after_cutoff",
                    f"{matter.name_zh}每日{matter.cutoff}停止办理，请预约更早的时段",
                    f"{matter.name_en} stops at {matter.cutoff}; book an earlier slot",
                    matter=code,
                    cutoff=matter.cutoff,
                )
        return Booking(slot, codes, person.keyed_hash(self._id_key), person.masked)

    # -- writes ------------------------------------------------------------------------------
    def book(self, id_number: str, matters: Iterable[str], slot: dt.datetime, actor: str) -> Appointment:
        booking = self.validate(id_number, matters, slot)
        with self.db.transaction() as conn:
            new_id = self._insert(conn, booking, actor)
        log.info(
            "appointment %s booked for %s at %s by %s", new_id, booking.person_masked, booking.slot, actor
        )
        return self.get(new_id)

    def _insert(self, conn: sqlite3.Connection, booking: Booking, actor: str) -> int:
        if conn.execute(
            "SELECT 1 FROM hall_appointments WHERE day = ? AND person_hash = ? AND state != 'cancelled'",
            (booking.day, booking.person_hash),
        ).fetchone():
            raise AppointmentError(
                "already_booked",
                f"{booking.person_masked} 在 {booking.day} 已有预约",
                f"{booking.person_masked} already has a booking on {booking.day}",
                day=booking.day,
            )
        cur = conn.execute(
            "INSERT INTO hall_appointments (day, slot, matters, person_hash, person_masked, state,"
            " created_by, created_at) VALUES (?, ?, ?, ?, ?, 'booked', ?, ?)",
            (
                booking.day,
                booking.slot.isoformat(timespec="minutes"),
                json.dumps(list(booking.matters)),
                booking.person_hash,
                booking.person_masked,
                actor,
                self._stamp(),
            ),
        )
        return int(cur.lastrowid)

    def import_csv(self, text: str, actor: str) -> list[Appointment]:
        """The provincial booking system's list: header id_number,matters,slot; matters joined by
        ';' '|' '、' or ',' inside quotes. Every bad row is reported by line; a bad file imports nothing."""
        reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
        problems: list[dict[str, Any]] = []
        bookings: list[tuple[int, Booking]] = []
        header = next(reader, None)
        if header is None or tuple(h.strip().lower() for h in header) != CSV_COLUMNS:
            raise ImportRefused(
                "bad_csv_header",
                f"第1行应为表头：{','.join(CSV_COLUMNS)}",
                f"Line 1 must be the header {','.join(CSV_COLUMNS)}",
                problems=[{"line": 1, "code": "bad_csv_header"}],
            )
        seen: dict[tuple[str, str], int] = {}
        for fields in reader:
            line = reader.line_num
            if not any(f.strip() for f in fields):
                continue
            if len(bookings) + len(problems) >= MAX_IMPORT_ROWS:
                raise ImportRefused(
                    "too_many_rows",
                    f"一次最多导入{MAX_IMPORT_ROWS}条预约",
                    f"At most {MAX_IMPORT_ROWS} bookings per file",
                )
            try:
                if len(fields) != len(CSV_COLUMNS):
                    raise BookingInvalid(
                        "bad_csv_row",
                        f"应有{len(CSV_COLUMNS)}列，实际{len(fields)}列（多项业务请用分号分隔）",
                        f"Expected {len(CSV_COLUMNS)} columns, found {len(fields)} (separate matters with ';')",
                    )
                id_number, matters, slot_text = (f.strip() for f in fields)
                slot = _parse_slot(slot_text)
                booking = self.validate(id_number, _split_matters(matters), slot)
                twin = seen.get((booking.day, booking.person_hash))
                if twin is not None:
                    raise AppointmentError(
                        "duplicate_in_file",
                        f"与第{twin}行是同一人同一天的预约",
                        f"Same person and day as line {twin}",
                    )
                seen[(booking.day, booking.person_hash)] = line
                bookings.append((line, booking))
            except OneVisitError as exc:
                problems.append({"line": line, "code": exc.code, "message_zh": exc.zh, "message_en": exc.en})
        if not problems:
            try:
                with self.db.transaction() as conn:
                    ids = []
                    for line, booking in bookings:
                        try:
                            ids.append(self._insert(conn, booking, actor))
                        except OneVisitError as exc:
                            problems.append(
                                {"line": line, "code": exc.code, "message_zh": exc.zh, "message_en": exc.en}
                            )
                    if problems:
                        raise _Rollback  # a row another booking took meanwhile: the whole file goes back
            except _Rollback:
                pass
            else:
                log.info("imported %d appointments by %s", len(ids), actor)
                return [self.get(i) for i in ids]
        lines = "、".join(str(p["line"]) for p in problems)
        raise ImportRefused(
            "bad_rows",
            f"第{lines}行有误，未导入任何预约",
            f"Line(s) {lines.replace('、', ', ')} are wrong; nothing was imported",
            problems=problems,
        )

    def cancel(self, appointment_id: int, actor: str) -> Appointment:
        with self.db.transaction() as conn:
            row = conn.execute("SELECT * FROM hall_appointments WHERE id = ?", (appointment_id,)).fetchone()
            if row is None:
                raise _not_found(appointment_id)
            if row["state"] == "checked_in":
                raise AppointmentError(
                    "already_checked_in",
                    f"该预约已签到（号码 {row['ticket_number']}），请在窗口取消号码",
                    f"Already checked in as {row['ticket_number']}; cancel the ticket instead",
                    ticket_number=row["ticket_number"],
                )
            if row["state"] == "booked":
                conn.execute(
                    "UPDATE hall_appointments SET state = 'cancelled', updated_by = ?, updated_at = ?"
                    " WHERE id = ?",
                    (actor, self._stamp(), appointment_id),
                )
        log.info("appointment %s cancelled by %s", appointment_id, actor)
        return self.get(appointment_id)

    def mark_checked_in(self, appointment_id: int, ticket_number: str, actor: str) -> Appointment:
        with self.db.transaction() as conn:
            conn.execute(
                "UPDATE hall_appointments SET state = 'checked_in', ticket_number = ?, updated_by = ?,"
                " updated_at = ? WHERE id = ? AND state = 'booked'",
                (ticket_number, actor, self._stamp(), appointment_id),
            )
        return self.get(appointment_id)

    # -- reads -------------------------------------------------------------------------------
    def get(self, appointment_id: int) -> Appointment:
        rows = self.db.query("SELECT * FROM hall_appointments WHERE id = ?", (appointment_id,))
        if not rows:
            raise _not_found(appointment_id)
        return _row(rows[0])

    def day(self, day: str | None = None) -> list[Appointment]:
        day = day or self.clock.now().date().isoformat()
        rows = self.db.query("SELECT * FROM hall_appointments WHERE day = ? ORDER BY slot, id", (day,))
        return [_row(r) for r in rows]

    def for_checkin(self, person: IdNumber) -> Appointment:
        """Today's booking of this person if it may be checked in now; a bilingual refusal if not.
        A booking already checked in is returned whatever the time: asking twice is not late."""
        now = self.clock.now()
        rows = self.db.query(
            "SELECT * FROM hall_appointments WHERE day = ? AND person_hash = ?"
            " ORDER BY state = 'cancelled', id DESC",
            (now.date().isoformat(), person.keyed_hash(self._id_key)),
        )
        if not rows:
            raise AppointmentNotFound(
                "no_appointment_today",
                "未查到您今天的预约，请直接取号",
                "We found no booking for you today; please take an ordinary number",
            )
        appt = _row(rows[0])
        if appt.state == "cancelled":
            raise AppointmentError(
                "appointment_cancelled",
                "您今天的预约已取消，请直接取号",
                "Your booking for today was cancelled; please take an ordinary number",
            )
        if appt.state == "checked_in":
            return appt
        rules = self.config.appointments
        slot = appt.slot_time
        opens = slot - dt.timedelta(minutes=rules.early_minutes)
        closes = slot + dt.timedelta(minutes=rules.late_minutes)
        if now < opens:
            raise AppointmentError(
                "appointment_too_early",
                f"您预约的时段是 {_hhmm(slot)}，请于 {_hhmm(opens)} 后再来签到",
                f"Your booking is at {_hhmm(slot)}; please come back to check in from {_hhmm(opens)}",
                slot=appt.slot,
                come_back_at=opens.isoformat(timespec="minutes"),
            )
        if now > closes:
            raise AppointmentError(
                "appointment_lapsed",
                f"您预约的 {_hhmm(slot)} 时段已过{rules.late_minutes}分钟，预约已失效，请直接取号",
                f"Your {_hhmm(slot)} booking lapsed {rules.late_minutes} minutes after the slot;"
                " please take an ordinary number",
                slot=appt.slot,
            )
        return appt

    def _stamp(self) -> str:
        return self.clock.now().isoformat(timespec="seconds")


@dataclass(frozen=True)
class CheckinResult:
    appointment: Appointment
    ticket: Any  # onevisit.queue.models.Ticket
    #: This call (or the retry of a call cut short) turned the booking into its own ticket.
    created: bool
    #: The citizen already had an open ticket today: that one is returned, no second ticket made.
    already_open: bool


def check_in(
    store: AppointmentStore, service: Any, id_number: str, *, source: str, actor: str
) -> CheckinResult:
    """Check today's booking in through the queue. Run it on the queue-service thread
    (hall.gate.write): two check-ins of one person then never interleave.

    The queue issues with the booking's own idempotency key and appointment_at=slot, so the ticket
    ranks by slot time; if the process dies after the queue committed and before the booking was
    marked, the retry gets the same ticket back and marks it then.
    """
    person = parse_id(id_number, store.clock.now().date())
    appt = store.for_checkin(person)
    if appt.state == "checked_in" and appt.ticket_number:
        ticket = service.ticket(appt.ticket_number, day=appt.day)
        return CheckinResult(appt, ticket, created=False, already_open=ticket.appointment_at is None)
    result = service.issue(
        list(appt.matters),
        id_number=person.value,
        idempotency_key=appt.ticket_key,
        source=source,
        tag=TAG,
        appointment_at=appt.slot_time,
        actor=actor,
    )
    ticket = result.ticket
    # created=False from the queue is either our own ticket (a retry) or the citizen's open
    # walk-in ticket (one ticket per visit): only the first carries the booking's slot.
    ours = result.created or (ticket.tag == TAG and ticket.appointment_at is not None)
    appt = store.mark_checked_in(appt.id, ticket.number, actor)
    log.info(
        "appointment %s checked in as %s%s", appt.id, ticket.number, "" if ours else " (open ticket kept)"
    )
    return CheckinResult(appt, ticket, created=ours, already_open=not ours)


class _Rollback(Exception):
    pass


def _not_found(appointment_id: int) -> AppointmentNotFound:
    return AppointmentNotFound(
        "appointment_not_found",
        f"没有编号为 {appointment_id} 的预约",
        f"No booking with id {appointment_id}",
        id=appointment_id,
    )


def _split_matters(text: str) -> list[str]:
    for sep in (";", "|", "、", "，"):
        text = text.replace(sep, ",")
    return [m.strip() for m in text.split(",") if m.strip()]


def _parse_slot(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text.replace(" ", "T", 1) if "T" not in text else text)
    except ValueError:
        raise _bad_slot() from None


def _bad_slot() -> BookingInvalid:
    return BookingInvalid(
        "bad_slot",
        "预约时段格式应为 2026-11-23T10:30",
        "The slot must look like 2026-11-23T10:30",
    )


def parse_slot(text: str) -> dt.datetime:
    """A slot as typed on the command line or found in a CSV: 2026-11-23T10:30 or 2026-11-23 10:30."""
    return _parse_slot(text.strip())


__all__ = [
    "Appointment",
    "AppointmentError",
    "AppointmentNotFound",
    "AppointmentStore",
    "BookingInvalid",
    "ImportRefused",
    "parse_slot",
]
