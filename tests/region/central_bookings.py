"""Central bookings in tests: citizens' ID numbers, booking at the region as its staff do, the
hall's own appointment store."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import httpx

from onevisit.core.identity import check_digit
from onevisit.hall.stores import appointments

TZ = ZoneInfo("Asia/Shanghai")
BOOKED_DAY = dt.date(2026, 11, 24)


def id_number(i: int) -> str:
    first17 = f"11010519800101{i:03d}"
    return first17 + check_digit(first17)


def appointment_store(hall):
    """The hall's own appointment store on its database (the one its kiosk checks in through)."""
    key = (hall.config.path(hall.config.security.secrets_dir) / "id-hash.key").read_bytes()
    return appointments.AppointmentStore(hall.db, hall.config, hall.clock, key)


def book(region, hall_code: str, i: int, minute: int) -> dict:
    slot = dt.datetime.combine(BOOKED_DAY, dt.time(9, 0), TZ) + dt.timedelta(minutes=minute)
    r = httpx.post(
        f"{region.url}/api/bookings",
        json={"hall": hall_code, "id_number": id_number(i), "matters": ["enroll"], "slot": slot.isoformat()},
        headers={"Authorization": f"Bearer {region.staff}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    booking = r.json()
    assert id_number(i) not in r.text and booking["person_masked"].startswith("110105")
    return booking
