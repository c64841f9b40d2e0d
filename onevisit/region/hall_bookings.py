"""The hall's side of central bookings, run by the shipper: pull them into hall_appointments, send
the check-ins back.

A pulled booking becomes an ordinary row of `hall_appointments` (the table the kiosk's 预约签到 reads
through hall/stores/appointments.py), marked `created_by = "region:<id>"`; so a citizen checks in at
the hall's kiosk with the link down exactly as for a booking made in the hall. The region's cursor
is kept in the hall's `hall_meta` (`region_bookings_seq`): it is the only cursor of the city, and it
is safe to lose (a pull from 0 again rewrites the same rows).

Check-ins of region bookings (state checked_in, with the ticket number) are sent back on every
round until the region has acknowledged them; the region accepts the first check-in of a booking
city-wide and refuses (and records) any second one.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from onevisit.db import Database, Tx, schema
from onevisit.hall.stores.appointments import REGION_ORIGIN, AppointmentStore

log = logging.getLogger(__name__)

CURSOR_KEY = "region_bookings_seq"
#: hall_meta key: JSON list of region booking ids whose check-in the region has answered
SENT_KEY = "region_checkins_sent"


class BookingSync:
    def __init__(self, db: Database, hall_code: str) -> None:
        self.db = db
        self.hall = hall_code

    # -- cursor and acknowledgements in hall_meta -------------------------------------------------
    def cursor(self) -> int:
        rows = self.db.query("SELECT value FROM hall_meta WHERE key = ?", CURSOR_KEY)
        return int(rows[0]["value"]) if rows else 0

    def _sent(self) -> set[int]:
        rows = self.db.query("SELECT value FROM hall_meta WHERE key = ?", SENT_KEY)
        return set(json.loads(rows[0]["value"])) if rows else set()

    # -- one sync ----------------------------------------------------------------------------------
    def sync(self, client: Any) -> dict[str, int]:
        """Pull every page of changed bookings, then send unacknowledged check-ins. Counts."""
        counts = {"pulled": 0, "added": 0, "dropped": 0, "kept": 0, "checkins_sent": 0, "checkins_refused": 0}
        while True:
            page = client.request("GET", "/api/bookings/pull", params={"after": self.cursor()})
            with self.db.transaction() as tx:
                for booking in page["bookings"]:
                    counts["pulled"] += 1
                    counts[self._apply(tx, booking)] += 1
                tx.upsert(schema.hall_meta, {"key": CURSOR_KEY, "value": str(int(page["seq"]))}, ["key"])
            if not page.get("more"):
                break
        sent = self._sent()
        for row in self.checkins():
            if row["region_id"] in sent:
                continue
            answer = client.request(
                "POST",
                f"/api/bookings/{row['region_id']}/checkin",
                json={"at": row["updated_at"], "ticket_number": row["ticket_number"]},
            )
            counts["checkins_sent"] += 1
            if not answer.get("accepted"):
                counts["checkins_refused"] += 1
                log.warning(
                    "region refused the check-in of booking %s: %s", row["region_id"], answer.get("reason")
                )
            sent.add(row["region_id"])
        with self.db.transaction() as tx:
            tx.upsert(schema.hall_meta, {"key": SENT_KEY, "value": json.dumps(sorted(sent))}, ["key"])
        return counts

    def _apply(self, tx: Tx, booking: dict[str, Any]) -> str:
        origin = f"{REGION_ORIGIN}{int(booking['id'])}"
        local = tx.one("SELECT id, state FROM hall_appointments WHERE created_by = ?", origin)
        mine = booking["hall"] == self.hall and booking["state"] == "booked"
        if mine and local is None:
            # the same row a claim at the kiosk writes; None: the citizen's own hall booking stays
            return "added" if AppointmentStore.write_central(tx, booking) is not None else "kept"
        if not mine and local is not None and local["state"] == "booked":
            # moved to another hall, checked in there, or cancelled centrally
            tx.execute(
                "UPDATE hall_appointments SET state = 'cancelled', updated_by = ?, updated_at = ? WHERE id = ?",
                f"region:{booking['state']}@{booking['hall']}",
                booking.get("checked_in_at") or booking["created_at"],
                local["id"],
            )
            return "dropped"
        return "kept"

    def checkins(self) -> list[dict[str, Any]]:
        """Region bookings checked in here: region id, when, the ticket."""
        rows = self.db.query(
            "SELECT created_by, updated_at, ticket_number FROM hall_appointments "
            "WHERE state = 'checked_in' AND created_by LIKE ? ORDER BY id",
            REGION_ORIGIN + "%",
        )
        return [{**r, "region_id": int(r["created_by"][len(REGION_ORIGIN) :])} for r in rows]
