"""Central bookings: twenty booked at the region for one hall, delivered through a cut link, checked
in at the hall's kiosk while offline, sent back once; none checked in twice city-wide. A citizen who
turns up at another hall while the link is up takes the booking along."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from onevisit.core.identity import parse_id
from onevisit.hall.stores import appointments
from onevisit.region.hall_bookings import BookingSync
from onevisit.region.ship import RegionUnreachable
from tests.region.central_bookings import BOOKED_DAY, TZ, appointment_store, book, id_number


def test_region_bookings_through_a_cut_checked_in_offline(region, make_hall):
    hall, other = make_hall(0, visits=10), make_hall(1, visits=10)
    booked = [book(region, hall.code, i, minute=i) for i in range(20)]
    sync = BookingSync(hall.db, hall.code)
    shipper = hall.shipper()
    hall.proxy.cut()
    with pytest.raises(RegionUnreachable):
        shipper.ship_once()
    assert sync.cursor() == 0
    hall.proxy.restore()
    report = shipper.ship_once()
    assert report.bookings["added"] == 20 and sync.cursor() == max(b["changed_seq"] for b in booked)
    hall.proxy.cut()  # the link goes down for the morning

    hall.clock.set(dt.datetime.combine(BOOKED_DAY, dt.time(9, 5), TZ))
    store = appointment_store(hall)
    service = hall.service()
    try:
        tickets = []
        for i in range(20):
            result = appointments.check_in(store, service, id_number(i), source="kiosk", actor="kiosk:k1")
            assert result.created and result.appointment.state == "checked_in"
            tickets.append(result.ticket.number)
    finally:
        service.close()
    assert len(set(tickets)) == 20
    with pytest.raises(RegionUnreachable):
        shipper.ship_once()

    hall.proxy.restore()
    report = shipper.ship_once()
    assert report.bookings["checkins_sent"] == 20 and report.bookings["checkins_refused"] == 0
    assert shipper.ship_once().bookings["checkins_sent"] == 0  # acknowledged ones are not sent again
    rows = region.store.db.query("SELECT * FROM region_bookings ORDER BY id")
    assert [r["state"] for r in rows] == ["checked_in"] * 20
    assert {r["checked_in_hall"] for r in rows} == {hall.code}
    assert sorted(r["ticket_number"] for r in rows) == sorted(tickets)

    # another hall reporting a check-in of the same booking is refused and recorded
    r = httpx.post(
        f"{region.url}/api/bookings/{rows[0]['id']}/checkin",
        json={"at": "2026-11-24T09:30:00+08:00", "ticket_number": "A999"},
        headers={"Authorization": f"Bearer {other.token}"},
        timeout=30,
    )
    assert r.json()["accepted"] is False and r.json()["reason"] == "already_checked_in"
    again = region.store.db.query("SELECT * FROM region_bookings WHERE id = ?", rows[0]["id"])[0]
    assert again["checked_in_hall"] == hall.code and again["ticket_number"] == rows[0]["ticket_number"]
    assert other.code in again["conflict"]


def test_region_booking_moves_to_the_hall_the_citizen_came_to(region, make_hall):
    hall, other = make_hall(0, visits=10), make_hall(1, visits=10)
    booking = book(region, hall.code, 77, minute=30)
    hall.shipper().ship_once()
    assert appointment_store(hall).day(BOOKED_DAY.isoformat())[0].state == "booked"
    # the citizen walks into the other hall; online, it asks the region for their booking
    person_hash = parse_id(id_number(77)).keyed_hash(region.key)
    r = httpx.post(
        f"{region.url}/api/bookings/claim",
        json={"person_hash": person_hash, "day": BOOKED_DAY.isoformat()},
        headers={"Authorization": f"Bearer {other.token}"},
        timeout=30,
    )
    assert r.json()["booking"]["id"] == booking["id"] and r.json()["booking"]["hall"] == other.code
    assert other.shipper().ship_once().bookings["added"] == 1
    other.clock.set(dt.datetime.combine(BOOKED_DAY, dt.time(9, 20), TZ))
    service = other.service()
    try:
        result = appointments.check_in(
            appointment_store(other), service, id_number(77), source="kiosk", actor="kiosk:k1"
        )
    finally:
        service.close()
    assert result.created
    assert other.shipper().ship_once().bookings["checkins_sent"] == 1
    # the first hall drops its copy at its next pull: nobody checks in there any more
    assert hall.shipper().ship_once().bookings["dropped"] == 1
    assert appointment_store(hall).day(BOOKED_DAY.isoformat())[0].state == "cancelled"
    row = region.store.db.query("SELECT * FROM region_bookings WHERE id = ?", booking["id"])[0]
    assert (row["state"], row["hall"], row["previous_hall"], row["checked_in_hall"]) == (
        "checked_in",
        other.code,
        hall.code,
        other.code,
    )


def test_region_booking_refuses_bad_input(region, make_hall):
    hall = make_hall(0, visits=5)
    auth = {"Authorization": f"Bearer {region.staff}"}
    slot = dt.datetime.combine(BOOKED_DAY, dt.time(10, 0), TZ).isoformat()
    with httpx.Client(base_url=region.url, headers=auth, timeout=30) as http:
        r = http.post(
            "/api/bookings",
            json={"hall": hall.code, "id_number": "110105198001010011", "matters": ["enroll"], "slot": slot},
        )
        assert r.status_code == 400 and r.json()["error"]["message_zh"]
        assert "110105198001010011" not in r.text
        r = http.post(
            "/api/bookings",
            json={"hall": "NOPE", "id_number": id_number(1), "matters": ["enroll"], "slot": slot},
        )
        assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_hall"
        book(region, hall.code, 1, minute=0)
        r = http.post(
            "/api/bookings",
            json={"hall": hall.code, "id_number": id_number(1), "matters": ["enroll"], "slot": slot},
        )
        assert r.status_code == 409 and r.json()["error"]["code"] == "already_booked"
        r = http.post(
            "/api/bookings",
            json={
                "hall": hall.code,
                "id_number": id_number(2),
                "matters": ["enroll"],
                "slot": "2026-11-24T10:00",
            },
        )
        assert r.status_code == 422  # a slot without its time zone
        r = http.post(
            "/api/bookings",
            json={
                "hall": hall.code,
                "id_number": id_number(3),
                "matters": ["enroll", "nosuch"],
                "slot": slot,
            },
        )
        # a matter outside the city's catalogue: no hall could serve it
        assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_matter"
        assert "nosuch" in r.json()["error"]["message_zh"]
        r = http.get("/api/bookings/pull", params={"after": 0})  # staff are not a hall
        assert r.status_code == 401
