"""A citizen booked centrally at hall A checks in at hall B's kiosk: hall B's server claims the
booking from the region (the keyed hash only), keeps it and checks it in; its shipper reports the
check-in once and hall A's pull drops its copy. The region down, cut or hung: the plain "no booking
today" within the claim timeout, nothing moved. A booking claimed once is refused to a third hall."""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from onevisit.core.config import ConfigError
from onevisit.core.identity import parse_id
from onevisit.hall.app import create_app
from onevisit.hall.stores import appointments
from onevisit.region.claim import claimer_for, claimer_from_config
from tests.region.central_bookings import BOOKED_DAY, TZ, appointment_store, book, id_number

CITIZEN = 77
#: a short claim timeout keeps the hung-region case quick; the default is 3 s
TIMEOUT = 1.5
KIOSKS = itertools.count(1)


@contextlib.contextmanager
def kiosk(hall, region_url: str, *, timeout: float = TIMEOUT) -> Iterator:
    """Hall `hall`'s real server app (create_app, as `onevisit hall` builds it) with a claimer to
    `region_url`, and a kiosk: checkin(id_number) -> the HTTP response of 预约签到."""
    claimer = claimer_for(region_url, hall.token, hall.clock, timeout)
    app = create_app(hall.config, db_path=hall.path, clock=hall.clock, callout=None, claimer=claimer)
    presses = iter(range(1, 1000))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {app.state.hall.accounts.add_kiosk(f'k{next(KIOSKS)}')}"}

        def checkin(number: str) -> httpx.Response:
            body = {"id_number": number, "idempotency_key": f"press-{next(presses)}"}
            return client.post("/api/appointments/checkin", json=body, headers=headers)

        try:
            yield checkin
        finally:
            claimer.close()


def region_row(region, booking_id: int) -> dict:
    return region.store.db.query("SELECT * FROM region_bookings WHERE id = ?", booking_id)[0]


def local_rows(hall) -> list[dict]:
    return hall.db.query("SELECT * FROM hall_appointments WHERE day = ? ORDER BY id", BOOKED_DAY.isoformat())


def at(hall, hour: int, minute: int) -> None:
    hall.clock.set(dt.datetime.combine(BOOKED_DAY, dt.time(hour, minute), TZ))


def assert_no_booking(r: httpx.Response) -> None:
    assert r.status_code == 404, r.text
    error = r.json()["error"]
    assert error["code"] == "no_appointment_today"
    assert error["message_zh"] == "未查到您今天的预约，请直接取号" and "no booking" in error["message_en"]


def test_region_claim_checks_in_at_the_hall_the_citizen_came_to(region, make_hall, caplog):
    a, b = make_hall(0, visits=5), make_hall(1, visits=5)
    booking = book(region, a.code, CITIZEN, minute=30)
    assert a.shipper().ship_once().bookings["added"] == 1
    at(b, 9, 20)
    with caplog.at_level("DEBUG"), kiosk(b, b.proxy.url) as checkin:
        r = checkin(id_number(CITIZEN))
        assert r.status_code == 201, r.text
        ticket = r.json()["ticket"]["number"]
        assert r.json()["appointment"]["created_by"] == f"region:{booking['id']}"
        assert r.json()["slot"] == "2026-11-24T09:30+08:00"
        # pressed again: the same ticket, no second claim or row
        again = checkin(id_number(CITIZEN))
        assert again.status_code == 200 and again.json()["ticket"]["number"] == ticket
    # the region moved it to B before B's shipper said a word; only the hash went over the wire
    row = region_row(region, booking["id"])
    assert (row["hall"], row["previous_hall"], row["state"]) == (b.code, a.code, "booked")
    assert id_number(CITIZEN) not in caplog.text
    [local] = local_rows(b)
    assert (local["state"], local["ticket_number"]) == ("checked_in", ticket)

    shipper = b.shipper()
    report = shipper.ship_once()
    assert report.bookings["checkins_sent"] == 1 and report.bookings["checkins_refused"] == 0
    assert report.bookings["added"] == 0  # B's pull finds the claimed booking already kept
    row = region_row(region, booking["id"])
    assert (row["state"], row["checked_in_hall"], row["ticket_number"]) == ("checked_in", b.code, ticket)
    assert row["conflict"] is None
    assert shipper.ship_once().bookings["checkins_sent"] == 0 and len(local_rows(b)) == 1

    # hall A drops its copy at its next pull: the citizen cannot check in there a second time
    assert a.shipper().ship_once().bookings["dropped"] == 1
    [copy] = local_rows(a)
    assert copy["state"] == "cancelled" and copy["updated_by"] == f"region:checked_in@{b.code}"
    at(a, 9, 25)
    service = a.service()
    try:
        with pytest.raises(appointments.AppointmentError) as refused:
            appointments.check_in(
                appointment_store(a), service, id_number(CITIZEN), source="kiosk", actor="kiosk:k1"
            )
    finally:
        service.close()
    assert refused.value.code == "appointment_cancelled"


def test_region_claim_down_or_hung_is_the_plain_no_booking_answer(region, make_hall):
    a, b = make_hall(0, visits=5), make_hall(1, visits=5)
    booking = book(region, a.code, CITIZEN, minute=30)
    at(b, 9, 20)
    # a region that accepts the connection and never answers
    hung = socket.create_server(("127.0.0.1", 0))
    try:
        with kiosk(b, f"http://127.0.0.1:{hung.getsockname()[1]}") as checkin:
            started = time.monotonic()
            r = checkin(id_number(CITIZEN))
            waited = time.monotonic() - started
            assert_no_booking(r)
    finally:
        hung.close()
    assert waited < TIMEOUT + 2, waited  # bounded by the claim timeout, not httpx's default
    with kiosk(b, b.proxy.url) as checkin:
        b.proxy.cut()
        assert_no_booking(checkin(id_number(CITIZEN)))
        # nothing half-done: no row at B, the booking still A's at the region
        assert local_rows(b) == []
        row = region_row(region, booking["id"])
        assert (row["hall"], row["previous_hall"], row["state"]) == (a.code, None, "booked")
        # a citizen the region has no booking for either: the same answer, online
        b.proxy.restore()
        assert_no_booking(checkin(id_number(CITIZEN + 1)))
        assert local_rows(b) == []
        # the link back: the same citizen now checks in at B
        assert checkin(id_number(CITIZEN)).status_code == 201


def test_region_claim_of_a_claimed_booking_is_refused_elsewhere(region, make_hall):
    a, b, c = make_hall(0, visits=5), make_hall(1, visits=5), make_hall(2, visits=5)
    booking = book(region, a.code, CITIZEN, minute=30)
    for hall in (b, c):
        at(hall, 9, 20)
    with kiosk(b, b.proxy.url) as checkin_b:
        assert checkin_b(id_number(CITIZEN)).status_code == 201
    # B's shipper has not reported the check-in yet: C's claim is refused all the same
    person_hash = parse_id(id_number(CITIZEN)).keyed_hash(region.key)
    r = httpx.post(
        f"{region.url}/api/bookings/claim",
        json={"person_hash": person_hash, "day": BOOKED_DAY.isoformat()},
        headers={"Authorization": f"Bearer {c.token}"},
        timeout=30,
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_claimed"
    assert b.code in r.json()["error"]["message_zh"]
    with kiosk(c, c.proxy.url) as checkin_c:
        assert_no_booking(checkin_c(id_number(CITIZEN)))
        assert local_rows(c) == []
        b.shipper().ship_once()  # checked in at B: C finds no live booking at the region at all
        assert_no_booking(checkin_c(id_number(CITIZEN)))
    row = region_row(region, booking["id"])
    assert (row["hall"], row["state"], row["checked_in_hall"], row["conflict"]) == (
        b.code,
        "checked_in",
        b.code,
        None,
    )


def test_region_claimer_from_config(config, tmp_path):
    """`onevisit hall` claims only with [region] url and token; an unreadable token file is named."""
    assert claimer_from_config(config) is None
    token_file = tmp_path / "region.token"
    token_file.write_text("hall-token\n", encoding="utf-8")
    region = config.region.model_copy(
        update={
            "url": "http://region.example:8500",
            "token_file": str(token_file),
            "claim_timeout_seconds": 2.4,
        }
    )
    claimer = claimer_from_config(config.model_copy(update={"region": region}))
    assert claimer is not None
    try:
        http = claimer.client._http
        assert http.headers["Authorization"] == "Bearer hall-token"
        assert http.timeout.connect + http.timeout.write + http.timeout.read == pytest.approx(2.4)
    finally:
        claimer.close()
    missing = region.model_copy(update={"token_file": str(tmp_path / "nope.token")})
    with pytest.raises(ConfigError, match=r"nope\.token"):
        claimer_from_config(config.model_copy(update={"region": missing}))
