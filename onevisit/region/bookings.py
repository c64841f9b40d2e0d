"""Central bookings at the region: booked for any hall, pulled by that hall, checked in once.

- `book`: region staff book a citizen (ID number checked, GB 11643) for a hall's day and slot; the
  region keeps only the city-keyed hash and the masked ID, as a hall does.
- `pull`: a hall asks for every booking changed after its cursor (`changed_seq`, max + 1 at every
  change under the region's write lock, so a cursor never skips one); bookings moved away from it
  come too (previous_hall), so it drops its copy.
- `check_in`: a hall reports a check-in (booking id, time, ticket). A check-in at another hall moves
  the booking there. A booking is checked in at most once city-wide: a second check-in (another
  hall, or another ticket) is refused and kept in `conflict` for staff.
- `claim`: a hall online asks for a citizen's booking of the day held by another hall (the citizen
  came to the wrong hall); the region moves it, and the hall checks it in as its own. A booking
  moves by claim once: a claim from a third hall (or back) is refused (AlreadyClaimed), since the
  hall that claimed it has checked it in or is about to, perhaps before its shipper reports it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterable
from typing import Any

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import parse_id
from onevisit.db import Tx, schema
from onevisit.region.store import RegionStore

log = logging.getLogger(__name__)

PULL_LIMIT = 500


class BookingError(OneVisitError):
    pass


class UnknownHall(BookingError):
    status = 404

    def __init__(self, hall: str) -> None:
        super().__init__(
            "unknown_hall", f"没有编号为 {hall} 的大厅", f"No hall {hall} in the city", hall=hall
        )


class BookingNotFound(BookingError):
    status = 404

    def __init__(self, booking_id: int | None = None) -> None:
        super().__init__(
            "booking_not_found", "未找到该预约", f"No such booking ({booking_id})", id=booking_id
        )


class AlreadyBooked(BookingError):
    status = 409

    def __init__(self, masked: str, day: str) -> None:
        super().__init__(
            "already_booked",
            f"{masked} 在 {day} 已有预约",
            f"{masked} already has a booking on {day}",
            day=day,
        )


class AlreadyClaimed(BookingError):
    status = 409

    def __init__(self, hall: str) -> None:
        super().__init__(
            "already_claimed",
            f"该预约已转到大厅 {hall} 办理",
            f"This booking has already moved to hall {hall}",
            hall=hall,
        )


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A booking as it leaves the region: no hash for staff screens is needed, but a hall needs it
    to recognise the citizen at its kiosk (a keyed hash, never the ID)."""
    out = dict(row)
    out["matters"] = json.loads(row["matters"])
    return out


class UnknownMatter(BookingError):
    status = 422

    def __init__(self, codes: list[str], known: Iterable[str]) -> None:
        super().__init__(
            "unknown_matter",
            f"全市业务目录中没有：{'、'.join(codes)}",
            f"Not in the city's catalogue of matters: {', '.join(codes)} (known: {', '.join(sorted(known))})",
            matters=codes,
        )


class RegionBookings:
    """Central bookings. `matters`: the city's standard catalogue (codes); a booking names only
    those, so every hall can serve it (empty: not checked)."""

    def __init__(self, store: RegionStore, id_key: bytes, matters: Iterable[str] = ()) -> None:
        self.store = store
        self.db = store.db
        self._id_key = id_key
        self.matters = frozenset(matters)

    def _stamp(self) -> str:
        return self.store.clock.now().isoformat(timespec="seconds")

    def _next_seq(self, tx: Tx) -> int:
        return int(tx.scalar("SELECT coalesce(max(changed_seq), 0) + 1 FROM region_bookings"))

    def _get(self, tx: Tx, booking_id: int) -> dict[str, Any]:
        row = tx.one("SELECT * FROM region_bookings WHERE id = ?", booking_id)
        if row is None:
            raise BookingNotFound(booking_id)
        return row

    def book(
        self, hall: str, id_number: str, matters: Iterable[str], slot: dt.datetime, actor: str
    ) -> dict[str, Any]:
        """Book; returns the booking. Raises UnknownHall, UnknownMatter, AlreadyBooked (one live
        booking per citizen and day, city-wide), IdNumber errors (bilingual)."""
        person = parse_id(id_number, today=self.store.clock.now().date())
        person_hash = person.keyed_hash(self._id_key)
        day = slot.date().isoformat()
        codes = [m for m in matters]
        if not codes:
            raise BookingError("no_matters", "请至少选择一项业务", "Choose at least one matter")
        unknown = [c for c in codes if self.matters and c not in self.matters]
        if unknown:
            raise UnknownMatter(unknown, self.matters)
        with self.db.transaction() as tx:
            if not tx.one("SELECT code FROM region_halls WHERE code = ? AND disabled = 0", hall):
                raise UnknownHall(hall)
            if tx.one(
                "SELECT id FROM region_bookings WHERE day = ? AND person_hash = ? AND state != 'cancelled'",
                day,
                person_hash,
            ):
                raise AlreadyBooked(person.masked, day)
            new_id = tx.insert(
                schema.region_bookings,
                {
                    "hall": hall,
                    "day": day,
                    "slot": slot.isoformat(timespec="minutes"),
                    "matters": json.dumps(codes),
                    "person_hash": person_hash,
                    "person_masked": person.masked,
                    "state": "booked",
                    "created_by": actor,
                    "created_at": self._stamp(),
                    "changed_seq": self._next_seq(tx),
                },
            )
            row = self._get(tx, int(new_id or 0))
        log.info("central booking %s for %s at hall %s, %s", new_id, person.masked, hall, row["slot"])
        return _public(row)

    def pull(self, hall: str, after: int, limit: int = PULL_LIMIT) -> dict[str, Any]:
        """{"bookings": [...changed after `after`, for or moved away from this hall], "seq": the
        cursor to ask with next time, "more": another page waits}."""
        rows = self.db.query(
            "SELECT * FROM region_bookings WHERE changed_seq > ? AND (hall = ? OR previous_hall = ?) "
            "ORDER BY changed_seq LIMIT ?",
            after,
            hall,
            hall,
            limit + 1,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        seq = int(rows[-1]["changed_seq"]) if rows else after
        return {"bookings": [_public(r) for r in rows], "seq": seq, "more": more}

    def check_in(self, hall: str, booking_id: int, at: str, ticket_number: str | None) -> dict[str, Any]:
        """Record a hall's check-in. {"accepted": bool, "booking": …, "reason": why not}."""
        with self.db.transaction() as tx:
            row = self._get(tx, booking_id)
            if row["state"] == "checked_in":
                same = row["checked_in_hall"] == hall and row["ticket_number"] == ticket_number
                if not same:
                    conflict = f"{at} hall {hall} ticket {ticket_number}: already checked in at {row['checked_in_hall']}"
                    tx.execute(
                        "UPDATE region_bookings SET conflict = ? WHERE id = ?", conflict[:500], booking_id
                    )
                    log.warning("booking %s: second check-in refused (%s)", booking_id, conflict)
                    return {"accepted": False, "booking": _public(row), "reason": "already_checked_in"}
                return {"accepted": True, "booking": _public(row)}
            if row["state"] == "cancelled":
                return {"accepted": False, "booking": _public(row), "reason": "cancelled"}
            moved = row["hall"] != hall
            tx.execute(
                "UPDATE region_bookings SET state = 'checked_in', checked_in_hall = ?, checked_in_at = ?, "
                "ticket_number = ?, hall = ?, previous_hall = ?, changed_seq = ? WHERE id = ?",
                hall,
                at,
                ticket_number,
                hall,
                row["hall"] if moved else row["previous_hall"],
                self._next_seq(tx),
                booking_id,
            )
            return {"accepted": True, "booking": _public(self._get(tx, booking_id)), "moved": moved}

    def claim(self, hall: str, person_hash: str, day: str) -> dict[str, Any] | None:
        """Move a citizen's live booking of the day from another hall to this one: the booking (also
        when it is this hall's already), or None when there is none live (booked). Raises
        AlreadyClaimed when another hall claimed it before (a booked booking with a previous_hall:
        only a claim moves a booking that is still booked)."""
        with self.db.transaction() as tx:
            row = tx.one(
                "SELECT * FROM region_bookings WHERE day = ? AND person_hash = ? AND state = 'booked'",
                day,
                person_hash,
            )
            if row is None:
                return None
            if row["hall"] != hall and row["previous_hall"] is not None:
                log.warning(
                    "booking %s: claim by hall %s refused, claimed by %s before", row["id"], hall, row["hall"]
                )
                raise AlreadyClaimed(row["hall"])
            if row["hall"] != hall:
                log.info("booking %s claimed by hall %s from %s", row["id"], hall, row["hall"])
                tx.execute(
                    "UPDATE region_bookings SET hall = ?, previous_hall = ?, changed_seq = ? WHERE id = ?",
                    hall,
                    row["hall"],
                    self._next_seq(tx),
                    row["id"],
                )
                row = self._get(tx, int(row["id"]))
        return _public(row)

    def cancel(self, booking_id: int, actor: str) -> dict[str, Any]:
        with self.db.transaction() as tx:
            row = self._get(tx, booking_id)
            if row["state"] == "booked":
                tx.execute(
                    "UPDATE region_bookings SET state = 'cancelled', changed_seq = ? WHERE id = ?",
                    self._next_seq(tx),
                    booking_id,
                )
                log.info("central booking %s cancelled by %s", booking_id, actor)
            return _public(self._get(tx, booking_id))

    def all(self, hall: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM region_bookings" + (" WHERE hall = ?" if hall else "") + " ORDER BY id"
        return [_public(r) for r in self.db.query(sql, *([hall] if hall else []))]
