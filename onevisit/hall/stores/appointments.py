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

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from onevisit.core.clock import Clock
from onevisit.core.config import Config, parse_hhmm
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber, parse_id
from onevisit.core.sheets import Cell, SheetError, SheetRow, excel_serial_datetime, read_rows, text_rows
from onevisit.core.typed import DATETIME_SPELLINGS, clean, parse_datetime_text
from onevisit.db import Database, Tx, schema

log = logging.getLogger(__name__)

#: the CHECK of hall_appointments.state (onevisit/db/schema.py repeats them)
STATES = schema.APPOINTMENT_STATES
MAX_MATTERS = 5
#: The queue's idempotency key for a booking's ticket: a retried check-in finds the same ticket.
TICKET_KEY = "appointment:{id}"
TAG = "appointment"
CSV_COLUMNS = ("id_number", "matters", "slot")
MAX_IMPORT_ROWS = 5000
#: created_by of a booking made centrally: "region:<its id at the region>" (docs/region.md)
REGION_ORIGIN = "region:"

#: Asks the city region for a citizen's booking of a day held by another hall and moves it to this
#: one: claimer(person_hash, day "YYYY-MM-DD") -> the region's booking (id, hall, day, slot, matters,
#: person_hash, person_masked, created_at) or None. Built by `onevisit hall` from onevisit/region
#: (the hall never imports the region); it raises on any failure and must answer within seconds.
Claimer = Callable[[str, str], Mapping[str, Any] | None]


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


def _row(row: dict[str, Any]) -> Appointment:
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
    def __init__(
        self, db: Database, config: Config, clock: Clock, id_key: bytes, claimer: Claimer | None = None
    ) -> None:
        self.db = db
        self.config = config
        self.clock = clock
        self._id_key = id_key
        self.zone = ZoneInfo(config.hall.timezone)
        #: None: no region configured; a check-in then knows only the hall's own bookings
        self.claimer = claimer

    # -- validation --------------------------------------------------------------------------
    def slot_in_zone(self, slot: dt.datetime) -> dt.datetime:
        """A naive slot is the hall's local time; an aware one is converted to it."""
        if slot.tzinfo is None:
            slot = slot.replace(tzinfo=self.zone)
        try:
            return slot.astimezone(self.zone).replace(second=0, microsecond=0)
        except (OverflowError, ValueError):  # year 1 or 9999 shifted out of range
            raise _bad_slot() from None

    def validate(self, id_number: str | IdNumber, matters: Iterable[str], slot: dt.datetime) -> Booking:
        """Everything a booking must satisfy before it is stored; raises saying which rule fails."""
        now = self.clock.now()
        person = id_number if isinstance(id_number, IdNumber) else parse_id(id_number, now.date())
        spellings = matter_spellings(self.config)
        codes = tuple(spellings.get(m.strip().casefold(), m.strip()) for m in matters if m and m.strip())
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
                    f"没有这项业务：{code}（可填：{'、'.join(m.name_zh for m in self.config.matters)}）",
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
        with self.db.transaction() as tx:
            new_id = self._insert(tx, booking, actor)
        log.info(
            "appointment %s booked for %s at %s by %s", new_id, booking.person_masked, booking.slot, actor
        )
        return self.get(new_id)

    def _insert(self, tx: Tx, booking: Booking, actor: str) -> int:
        if tx.one(
            "SELECT 1 FROM hall_appointments WHERE day = ? AND person_hash = ? AND state != 'cancelled'",
            booking.day,
            booking.person_hash,
        ):
            raise AppointmentError(
                "already_booked",
                f"{booking.person_masked} 在 {booking.day} 已有预约",
                f"{booking.person_masked} already has a booking on {booking.day}",
                day=booking.day,
            )
        new_id = tx.insert(
            schema.hall_appointments,
            {
                "day": booking.day,
                "slot": booking.slot.isoformat(timespec="minutes"),
                "matters": json.dumps(list(booking.matters)),
                "person_hash": booking.person_hash,
                "person_masked": booking.person_masked,
                "state": "booked",
                "created_by": actor,
                "created_at": self._stamp(),
            },
        )
        assert new_id is not None
        return new_id

    def import_csv(self, text: str, actor: str) -> list[Appointment]:
        """A booking list as CSV text (the JSON API's `csv` field); see `import_rows`."""
        return self.import_rows(_sheet_rows(lambda: text_rows(text)), actor)

    def import_file(self, data: bytes, actor: str, filename: str | None = None) -> list[Appointment]:
        """A booking list as the bytes of a file: CSV in UTF-8 (BOM or not), GB18030 or UTF-16
        ("Unicode 文本", tab-separated), or an .xlsx workbook (see onevisit.core.sheets)."""
        return self.import_rows(_sheet_rows(lambda: read_rows(data, filename)), actor)

    def import_rows(self, rows: list[SheetRow], actor: str) -> list[Appointment]:
        """The provincial booking system's list: a header naming the columns id_number, matters and
        slot (or 身份证号, 业务, 预约时间; any order; title lines above it are passed over), then one
        booking per row. Matters are joined by
        ';' '|' '、' '，' or ',' inside quotes; the slot in any spelling of
        onevisit.core.typed.DATETIME_SPELLINGS, or an Excel date cell. Every bad row is reported by
        line and field; a file with any bad row imports nothing (ImportRefused, 400)."""
        header, columns = _find_header(rows)
        problems: list[dict[str, Any]] = []
        bookings: list[tuple[int, Booking]] = []
        seen: dict[tuple[str, str], int] = {}
        now = self.clock.now()
        for row in rows[rows.index(header) + 1 :]:
            line = row.line
            if len(bookings) + len(problems) >= MAX_IMPORT_ROWS:
                raise ImportRefused(
                    "too_many_rows",
                    f"一次最多导入{MAX_IMPORT_ROWS}条预约",
                    f"At most {MAX_IMPORT_ROWS} bookings per file",
                )
            field = "row"
            try:
                if len(row.cells) > len(header.cells):
                    raise BookingInvalid(
                        "bad_csv_row",
                        f"应有{len(header.cells)}列，实际{len(row.cells)}列（多项业务请用分号分隔）",
                        f"Expected {len(header.cells)} columns, found {len(row.cells)}"
                        " (separate matters with ';')",
                    )
                cells = dict.fromkeys(CSV_COLUMNS, None)
                for name, index in columns.items():
                    cells[name] = row.cells[index] if index < len(row.cells) else None
                field = "id_number"
                person = parse_id(_id_cell(cells["id_number"]), now.date())
                field = "slot"
                slot = _slot_cell(cells["slot"])
                field = "matters"
                matters = split_matters(clean(_text_cell(cells["matters"])))
                field = "row"
                booking = self.validate(person, matters, slot)
                field = "id_number"
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
                problems.append(_problem(line, _FIELD_OF_CODE.get(exc.code, field), exc))
        if not problems:
            try:
                with self.db.transaction() as tx:
                    ids = []
                    for line, booking in bookings:
                        try:
                            ids.append(self._insert(tx, booking, actor))
                        except OneVisitError as exc:
                            problems.append(_problem(line, "id_number", exc))
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

    # -- central bookings (onevisit/region) ------------------------------------------------------
    @staticmethod
    def write_central(tx: Tx, booking: Mapping[str, Any]) -> int | None:
        """Keep a booking made at the region as an ordinary row, `created_by = "region:<id>"`, in the
        caller's transaction: the shipper's pull (region/hall_bookings.py) and a claim at the kiosk
        both write it here. `booking` is the region's shape (id, day, slot, matters: list,
        person_hash, person_masked, created_at). Returns the local id (the existing one when this
        region booking is already here), or None when the citizen already has another live booking
        that day: one live booking per person and day, the hall's own stays (logged)."""
        origin = f"{REGION_ORIGIN}{int(booking['id'])}"
        # already here, even cancelled (by the hall's staff, or dropped when it moved): not again
        here = tx.one("SELECT id FROM hall_appointments WHERE created_by = ?", origin)
        if here is not None:
            return int(here["id"])
        clash = tx.one(
            "SELECT id FROM hall_appointments WHERE day = ? AND person_hash = ? AND state != 'cancelled'",
            booking["day"],
            booking["person_hash"],
        )
        if clash is not None:
            log.warning("central booking %s clashes with local booking %s", booking["id"], clash["id"])
            return None
        return tx.insert(
            schema.hall_appointments,
            {
                "day": booking["day"],
                "slot": booking["slot"],
                "matters": json.dumps(list(booking["matters"])),
                "person_hash": booking["person_hash"],
                "person_masked": booking["person_masked"],
                "state": "booked",
                "created_by": origin,
                "created_at": booking["created_at"],
            },
        )

    def claim_from_region(self, id_number: str) -> Appointment | None:
        """A citizen at the kiosk with no live booking here today: ask the region (the injected
        claimer, keyed hash only, never the ID) for their booking of today at another hall, and keep
        it here so the ordinary check-in finds it. Returns it, or None: no claimer, an ID the
        check-in will refuse itself, a booking here already, none at the region, or the region
        unreachable, slow or refusing (logged; the citizen then gets the plain no-booking answer).

        The claim is one request: if its answer is lost after the region moved the booking, the
        booking is this hall's and arrives with the shipper's next pull (or the next claim). A
        booking of the region already here but cancelled is returned as it is (cancelled)."""
        if self.claimer is None:
            return None
        today = self.clock.now().date()
        try:
            person = parse_id(id_number, today)
        except OneVisitError:
            return None
        day, person_hash = today.isoformat(), person.keyed_hash(self._id_key)
        if self.db.query(
            "SELECT 1 FROM hall_appointments WHERE day = ? AND person_hash = ? AND state != 'cancelled'",
            day,
            person_hash,
        ):
            return None
        try:
            booking = self.claimer(person_hash, day)
        except Exception as exc:  # the region is an extra: no failure of it may fail a check-in
            log.warning(
                "region claim for %s failed, answered as no booking: %s: %s",
                person.masked,
                type(exc).__name__,
                exc,
            )
            return None
        if booking is None:
            log.info("no booking of %s today at the region either", person.masked)
            return None
        if booking.get("day") != day or booking.get("person_hash") != person_hash:
            log.warning("region answered a claim for %s with another booking: ignored", person.masked)
            return None
        try:
            with self.db.transaction() as tx:
                new_id = self.write_central(tx, booking)
        except (KeyError, TypeError, ValueError) as exc:  # a malformed answer: nothing kept
            log.warning("region answered a claim for %s with a bad booking (%r): ignored", person.masked, exc)
            return None
        if new_id is None:
            return None
        log.info(
            "central booking %s of %s claimed from hall %s",
            booking["id"],
            person.masked,
            booking.get("previous_hall"),
        )
        return self.get(new_id)

    def cancel(self, appointment_id: int, actor: str) -> Appointment:
        with self.db.transaction() as tx:
            row = tx.one("SELECT * FROM hall_appointments WHERE id = ?", appointment_id)
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
                tx.execute(
                    "UPDATE hall_appointments SET state = 'cancelled', updated_by = ?, updated_at = ?"
                    " WHERE id = ?",
                    actor,
                    self._stamp(),
                    appointment_id,
                )
        log.info("appointment %s cancelled by %s", appointment_id, actor)
        return self.get(appointment_id)

    def mark_checked_in(self, appointment_id: int, ticket_number: str, actor: str) -> Appointment:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE hall_appointments SET state = 'checked_in', ticket_number = ?, updated_by = ?,"
                " updated_at = ? WHERE id = ? AND state = 'booked'",
                ticket_number,
                actor,
                self._stamp(),
                appointment_id,
            )
        return self.get(appointment_id)

    # -- reads -------------------------------------------------------------------------------
    def get(self, appointment_id: int) -> Appointment:
        rows = self.db.query("SELECT * FROM hall_appointments WHERE id = ?", appointment_id)
        if not rows:
            raise _not_found(appointment_id)
        return _row(rows[0])

    def day(self, day: str | None = None) -> list[Appointment]:
        day = day or self.clock.now().date().isoformat()
        rows = self.db.query("SELECT * FROM hall_appointments WHERE day = ? ORDER BY slot, id", day)
        return [_row(r) for r in rows]

    def for_checkin(self, person: IdNumber) -> Appointment:
        """Today's booking of this person if it may be checked in now; a bilingual refusal if not.
        A booking already checked in is returned whatever the time: asking twice is not late."""
        now = self.clock.now()
        rows = self.db.query(
            "SELECT * FROM hall_appointments WHERE day = ? AND person_hash = ?"
            # a live booking first (cancelled ones last: false sorts before true on both engines)
            " ORDER BY state = 'cancelled', id DESC",
            now.date().isoformat(),
            person.keyed_hash(self._id_key),
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


#: Header spellings per column: our names, and the Chinese ones a clerk types.
HEADER_NAMES = {
    "id_number": ("id_number", "身份证号", "身份证号码", "证件号码"),
    "matters": ("matters", "业务", "办理业务", "预约业务"),
    "slot": ("slot", "预约时间", "预约时段"),
}
#: Which field a validation refusal is about, for the per-line report.
_FIELD_OF_CODE = {
    "no_matters": "matters",
    "too_many_matters": "matters",
    "duplicate_matter": "matters",
    "unknown_matter": "matters",
    "slot_past_day": "slot",
    "slot_too_far": "slot",
    "slot_past": "slot",
    "slot_outside_hours": "slot",
    "slot_after_cutoff": "slot",
    "bad_slot": "slot",
    "already_booked": "id_number",
}
_FIELD_ZH = {"id_number": "身份证号", "matters": "业务", "slot": "预约时间", "row": "整行"}


def _sheet_rows(read: Callable[[], list[SheetRow]]) -> list[SheetRow]:
    try:
        return read()
    except SheetError as exc:  # the file as a whole: bilingual words, same 400 as a bad row
        raise ImportRefused(exc.code, exc.zh, exc.en, problems=[], **exc.details) from None


def _bad_header(line: int, **details: Any) -> ImportRefused:
    return ImportRefused(
        "bad_csv_header",
        f"第{line}行应为表头：{','.join(CSV_COLUMNS)}（或 身份证号,业务,预约时间）",
        f"Line {line} must be the header {','.join(CSV_COLUMNS)}",
        problems=[{"line": line, "field": "header", "code": "bad_csv_header"}],
        **details,
    )


#: Rows searched for the header: offices put a title (2026年12月预约名单) or a date line above it.
HEADER_SEARCH_ROWS = 5


def _find_header(rows: list[SheetRow]) -> tuple[SheetRow, dict[str, int]]:
    """The first of the top HEADER_SEARCH_ROWS rows that names every column, and the columns;
    ImportRefused about the first row when none does."""
    if not rows:
        raise _bad_header(1)
    first_error: ImportRefused | None = None
    for row in rows[:HEADER_SEARCH_ROWS]:
        try:
            return row, _columns(row)
        except ImportRefused as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _columns(header: SheetRow) -> dict[str, int]:
    """Column index of each of CSV_COLUMNS in the header row; ImportRefused naming what is wrong."""
    wanted = {
        clean(spelling).lower(): name for name, spellings in HEADER_NAMES.items() for spelling in spellings
    }
    found: dict[str, int] = {}
    unknown: list[str] = []
    for index, cell in enumerate(header.cells):
        text = clean(_text_cell(cell)).lower()
        if not text:
            continue  # an empty header column in the middle: nothing is read from it
        name = wanted.get(text)
        if name is None or name in found:
            unknown.append(text[:40])
        else:
            found[name] = index
    missing = [c for c in CSV_COLUMNS if c not in found]
    if missing or unknown:
        raise _bad_header(header.line, missing=missing, unknown=unknown)
    return found


def _problem(line: int, field: str, exc: OneVisitError) -> dict[str, Any]:
    zh_field = _FIELD_ZH.get(field, field)
    return {
        "line": line,
        "field": field,
        "code": exc.code,
        "message_zh": f"{zh_field}：{exc.zh}" if field != "row" else exc.zh,
        "message_en": f"{field}: {exc.en}" if field != "row" else exc.en,
    }


def _text_cell(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _id_cell(value: Cell) -> str:
    # Excel shows an 18-digit number typed into a General cell as 1.10105E+17 and keeps only 15
    # significant digits: the last three are lost, so say that instead of "check digit wrong".
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise BookingInvalid(
            "id_number_stored_as_number",
            "身份证号被 Excel 存成了数字，后几位已丢失；请把该列设为“文本”后重新输入",
            "Excel stored the ID number as a number and lost its last digits; format the column as Text"
            " and type the numbers again",
        )
    return _text_cell(value)


def _slot_cell(value: Cell) -> dt.datetime:
    """A slot cell: a real datetime (an .xlsx date cell), an Excel serial number, or text."""
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return excel_serial_datetime(float(value))
        except (ValueError, OverflowError):
            raise _bad_slot() from None
    if isinstance(value, dt.date | dt.time):  # a date without time, or a time without date
        raise _bad_slot()
    return _parse_slot(_text_cell(value))


def matter_spellings(config: Config) -> dict[str, str]:
    """{casefolded spelling: matter code}: a booking list from the province names matters by their
    Chinese name (参保登记/变更), its first word (参保登记), the English name, or the code."""
    spellings: dict[str, str] = {}
    for m in config.matters:
        short = m.name_zh.replace("/", " ").split()[0]
        for spelling in (short, m.name_en, m.name_zh, m.code):  # exact names win over short ones
            spellings[spelling.casefold()] = m.code
    return spellings


def split_matters(text: str) -> list[str]:
    """Matter codes from one cell or argument: a;b, a|b, a、b, a，b or a,b (spaces ignored)."""
    for sep in (";", "|", "、", "，"):
        text = text.replace(sep, ",")
    return [m.strip() for m in text.split(",") if m.strip()]


def _parse_slot(text: str) -> dt.datetime:
    try:
        return parse_datetime_text(text)
    except (ValueError, OverflowError):
        raise _bad_slot() from None


def _bad_slot() -> BookingInvalid:
    return BookingInvalid(
        "bad_slot",
        "预约时间应为日期加时刻，例如 2026-11-23 10:30、2026/11/23 10:30 或 2026年11月23日 10:30",
        "The slot must be a date and a time, e.g. 2026-11-23 10:30, 2026/11/23 10:30 or 2026年11月23日 10:30",
        accepted=list(DATETIME_SPELLINGS),
    )


def parse_slot(text: str) -> dt.datetime:
    """A slot as typed on the command line or found in a list: any spelling of
    onevisit.core.typed.DATETIME_SPELLINGS (2026-11-23T10:30, 2026/11/23 10:30, 2026年11月23日 10:30…);
    BookingInvalid (bad_slot) otherwise."""
    return _parse_slot(text)


__all__ = [
    "Appointment",
    "AppointmentError",
    "AppointmentNotFound",
    "AppointmentStore",
    "BookingInvalid",
    "ImportRefused",
    "parse_slot",
    "split_matters",
]
