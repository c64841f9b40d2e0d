"""预约签到 through the hall API: booking rules, the check-in window on the injected clock, one ticket
per visit however often or however late the kiosk asks, and the slot's place in the queue."""

from __future__ import annotations

import datetime as dt

import pytest

from onevisit.db import schema
from onevisit.hall.stores.appointments import TICKET_KEY
from tests.conftest import TZ, both_engines

pytestmark = both_engines

LIU = "510107195808083156"  # 刘德明, the demo pensioner
ZHANG = "330106197503142310"
LI = "420106198509021428"


def at(hh: int, mm: int, day: int = 23) -> dt.datetime:
    return dt.datetime(2026, 11, day, hh, mm, tzinfo=TZ)


@pytest.fixture
def book(client, tokens):
    def run(id_number=LIU, matters=("benefit",), slot="2026-11-23T09:30", expect=201) -> dict:
        r = client.post(
            "/api/appointments",
            json={"id_number": id_number, "matters": list(matters), "slot": slot},
            headers=tokens.supervisor,
        )
        assert r.status_code == expect, r.text
        return r.json() if expect == 201 else r.json()["error"]

    return run


@pytest.fixture
def checkin(client, tokens):
    keys = iter(range(1, 10**6))

    def run(id_number=LIU, key=None, expect=None):
        r = client.post(
            "/api/appointments/checkin",
            json={"id_number": id_number, "idempotency_key": key or f"c-{next(keys)}"},
            headers=tokens.kiosk,
        )
        if expect is not None:
            assert r.status_code == expect, r.text
        return r

    return run


def _tickets(app) -> int:
    return app.state.hall.db.query("SELECT count(*) AS n FROM tickets")[0]["n"]


# -- booking ---------------------------------------------------------------------------------


def test_a_booking_is_stored_with_a_masked_id_and_listed_by_slot(app, client, tokens, book):
    later = book(ZHANG, ("enroll", "card"), "2026-11-23T14:00")
    first = book(LIU, ("benefit",), "2026-11-23T09:30")
    assert first["person_masked"] == "510107********3156"
    assert first["state"] == "booked" and first["created_by"] == "supervisor:zhao"
    assert first["slot"] == "2026-11-23T09:30+08:00"
    r = client.get("/api/appointments", params={"day": "2026-11-23"}, headers=tokens.supervisor)
    body = r.json()
    assert [a["id"] for a in body["appointments"]] == [first["id"], later["id"]]
    assert body["counts"] == {"booked": 2, "checked_in": 0, "cancelled": 0}
    assert LIU not in r.text and ZHANG not in r.text
    dump = "\n".join(str(row) for row in app.state.hall.db.query(schema.hall_appointments.select()))
    assert LIU not in dump and ZHANG not in dump  # only the keyed hash and the mask are kept


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"matters": ["pension"]}, "unknown_matter"),
        ({"matters": ["benefit", "benefit"]}, "duplicate_matter"),
        ({"slot": "2026-11-24T07:30"}, "slot_outside_hours"),
        ({"slot": "2026-11-24T17:00"}, "slot_outside_hours"),
        ({"slot": "2026-11-23T16:10"}, "slot_after_cutoff"),  # benefit stops at 16:00
        ({"slot": "2026-11-20T10:00"}, "slot_past_day"),
        ({"slot": "2026-11-23T08:40"}, "slot_past"),  # today, but more than 15 minutes gone
        ({"slot": "2027-06-01T10:00"}, "slot_too_far"),
        ({"slot": "9999-12-31T23:59:00"}, "slot_too_far"),
        ({"slot": "9999-12-31T23:59:00-12:00"}, "bad_slot"),
        ({"slot": "0001-01-01T00:00:00+14:00"}, "bad_slot"),
        ({"id_number": "510107195808083157"}, "id_check_digit"),
    ],
)
def test_a_booking_that_breaks_a_rule_is_refused_in_both_languages(client, tokens, book, body, code):
    request = {"id_number": LIU, "matters": ["benefit"], "slot": "2026-11-23T10:00", **body}
    error = book(request["id_number"], request["matters"], request["slot"], expect=400)
    assert error["code"] == code
    assert error["message_zh"] and error["message_en"]
    assert LIU not in str(error)
    listed = client.get("/api/appointments", headers=tokens.supervisor).json()
    assert listed["appointments"] == []


def test_one_booking_per_person_and_day_and_a_cancelled_one_frees_the_day(client, tokens, book):
    first = book(LIU, ("benefit",), "2026-11-23T09:30")
    error = book(LIU, ("enroll",), "2026-11-23T11:00", expect=409)
    assert error["code"] == "already_booked" and "510107********3156" in error["message_zh"]
    book(LIU, ("enroll",), "2026-11-24T11:00")  # another day is another booking
    r = client.post(f"/api/appointments/{first['id']}/cancel", headers=tokens.supervisor)
    assert r.status_code == 200 and r.json()["state"] == "cancelled"
    assert r.json()["updated_by"] == "supervisor:zhao"
    book(LIU, ("enroll",), "2026-11-23T11:00")


def test_a_slot_with_a_zone_is_taken_in_the_halls_time(book):
    booked = book(LIU, ("benefit",), "2026-11-23T02:30:00Z")  # 10:30 in Shanghai
    assert booked["slot"] == "2026-11-23T10:30+08:00"


def test_cancelling_an_unknown_booking_is_a_404(client, tokens):
    r = client.post("/api/appointments/999/cancel", headers=tokens.supervisor)
    assert r.status_code == 404 and r.json()["error"]["code"] == "appointment_not_found"


# -- the check-in window ---------------------------------------------------------------------


def test_too_early_says_when_to_come_back(book, checkin, clock, app):
    book(LIU, ("benefit",), "2026-11-23T10:30")
    r = checkin(expect=409)
    error = r.json()["error"]
    assert error["code"] == "appointment_too_early"
    assert "09:30" in error["message_zh"] and "09:30" in error["message_en"]
    assert error["details"]["come_back_at"] == "2026-11-23T09:30+08:00"
    assert _tickets(app) == 0
    clock.set(at(9, 30))  # the window opens exactly early_minutes before the slot
    assert checkin(expect=201).json()["slot"] == "2026-11-23T10:30+08:00"


def test_late_by_more_than_late_minutes_the_booking_has_lapsed(book, checkin, clock, app):
    book(LIU, ("benefit",), "2026-11-23T09:30")
    clock.set(at(9, 46))
    error = checkin(expect=409).json()["error"]
    assert error["code"] == "appointment_lapsed"
    assert "取号" in error["message_zh"] and "ordinary number" in error["message_en"]
    assert _tickets(app) == 0
    clock.set(at(9, 45))  # still inside the window
    assert checkin(expect=201).json()["created"] is True


def test_no_booking_today_or_a_cancelled_one_is_said_so(client, tokens, book, checkin):
    book(LIU, ("benefit",), "2026-11-24T09:30")  # tomorrow
    error = checkin(expect=404).json()["error"]
    assert error["code"] == "no_appointment_today"
    assert error["message_zh"] and error["message_en"]
    today = book(ZHANG, ("enroll",), "2026-11-23T09:30")
    client.post(f"/api/appointments/{today['id']}/cancel", headers=tokens.supervisor)
    assert checkin(ZHANG, expect=409).json()["error"]["code"] == "appointment_cancelled"
    assert checkin("not an id", expect=400).json()["error"]["code"] == "id_length"


# -- one ticket however often it is asked ----------------------------------------------------


def test_the_ticket_is_issued_with_the_slot_and_the_booked_matters(client, tokens, book, checkin):
    booked = book(ZHANG, ("enroll", "card"), "2026-11-23T09:30")
    body = checkin(ZHANG, expect=201).json()
    ticket = body["ticket"]
    assert body["created"] is True and body["already_open"] is False
    assert [s["matter"] for s in ticket["steps"]] == ["enroll", "card"]
    assert ticket["appointment_at"].startswith("2026-11-23T09:30")
    assert ticket["source"] == "kiosk:kiosk-1" and ticket["tag"] == "appointment"
    assert body["status_url"].endswith(f"/t/{ticket['number']}?c={ticket['short_code']}")
    assert body["position"]["matter"] == "enroll"
    listed = client.get("/api/appointments", headers=tokens.supervisor).json()["appointments"]
    assert listed[0]["id"] == booked["id"]
    assert listed[0]["state"] == "checked_in" and listed[0]["ticket_number"] == ticket["number"]
    # a checked-in booking is no longer cancelled as a booking: its ticket is
    r = client.post(f"/api/appointments/{booked['id']}/cancel", headers=tokens.supervisor)
    assert r.status_code == 409 and r.json()["error"]["code"] == "already_checked_in"


def test_a_second_check_in_or_a_repeated_key_returns_the_same_ticket(book, checkin, clock, app):
    book()
    first = checkin(key="press-1", expect=201).json()
    again = checkin(key="press-1", expect=201).json()  # the same press retried: the first answer
    assert again == first
    clock.set(at(9, 58))  # after the window: asking again is not "late", it is the same ticket
    later = checkin(key="press-2", expect=200).json()
    assert later["ticket"]["number"] == first["ticket"]["number"] and later["created"] is False
    assert _tickets(app) == 1


def test_an_open_ticket_today_is_returned_and_no_second_one_made(client, tokens, book, checkin, issue, app):
    walk_in = issue("enroll", id_number=LIU)["ticket"]["number"]
    book(LIU, ("benefit",), "2026-11-23T09:30")
    body = checkin(expect=200).json()
    assert body["ticket"]["number"] == walk_in
    assert body["created"] is False and body["already_open"] is True
    assert walk_in in body["notice"]["message_zh"] and walk_in in body["notice"]["message_en"]
    assert _tickets(app) == 1
    again = checkin(expect=200).json()
    assert again["ticket"]["number"] == walk_in and again["already_open"] is True
    assert _tickets(app) == 1


def test_a_crash_between_the_queue_and_the_booking_is_repaired_by_the_retry(app, client, book, checkin):
    """The queue committed the ticket, then the process died before the booking was marked: the
    retry finds the ticket by the booking's key instead of issuing a second one."""
    booked = book()
    service = app.state.hall.service
    lost = service.issue(
        ["benefit"],
        id_number=LIU,
        idempotency_key=TICKET_KEY.format(id=booked["id"]),
        tag="appointment",
        appointment_at=at(9, 30),
        source="kiosk:kiosk-1",
    ).ticket.number
    body = checkin(expect=201).json()
    assert body["ticket"]["number"] == lost and body["created"] is True
    assert body["appointment"]["state"] == "checked_in" and body["appointment"]["ticket_number"] == lost
    assert _tickets(app) == 1


def test_a_checked_in_appointment_is_called_by_its_slot_time(client, tokens, book, checkin, issue, clock):
    book(LIU, ("benefit",), "2026-11-23T09:30")
    clock.set(at(9, 10))
    early = issue("benefit")["ticket"]["number"]
    clock.set(at(9, 40))
    late = issue("benefit")["ticket"]["number"]
    clock.set(at(9, 45))
    booked = checkin(expect=201).json()
    assert booked["position"]["ahead"] == 1  # only the 09:10 walk-in is before the 09:30 slot
    called = []
    for _ in range(3):
        r = client.post("/api/windows/1/call", headers=tokens.staff1)
        assert r.status_code == 200, r.text
        called.append(r.json()["ticket"]["number"])
        assert client.post("/api/windows/1/start", headers=tokens.staff1).status_code == 200
        assert client.post("/api/windows/1/finish", headers=tokens.staff1).status_code == 200
    assert called == [early, booked["ticket"]["number"], late]


# -- who may do what -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["kiosk", "staff1", "technician"])
def test_only_a_supervisor_books_lists_and_cancels(client, tokens, book, role):
    booked = book()
    headers = tokens.by_name(role)
    body = {"id_number": ZHANG, "matters": ["enroll"], "slot": "2026-11-23T10:00"}
    assert client.post("/api/appointments", json=body, headers=headers).status_code == 403
    assert client.get("/api/appointments", headers=headers).status_code == 403
    assert client.post(f"/api/appointments/{booked['id']}/cancel", headers=headers).status_code == 403
    listed = client.get("/api/appointments", headers=tokens.supervisor).json()
    assert [(a["state"], a["person_masked"][:6]) for a in listed["appointments"]] == [("booked", "510107")]


@pytest.mark.parametrize("role", [None, "staff1", "technician"])
def test_a_check_in_needs_a_kiosk(client, tokens, book, role, app):
    book()
    r = client.post(
        "/api/appointments/checkin",
        json={"id_number": LIU, "idempotency_key": "k"},
        headers=tokens.by_name(role),
    )
    assert r.status_code == (401 if role is None else 403)
    assert _tickets(app) == 0


# -- the provincial list ---------------------------------------------------------------------


def test_a_csv_with_a_bad_row_names_its_line_and_imports_nothing(client, tokens):
    text = (
        "id_number,matters,slot\n"
        f"{LIU},benefit,2026-11-23T10:00\n"
        f'{ZHANG},"enroll,card",2026-11-23 10:30\n'
        "\n"
        f"{LI},pension,2026-11-23T11:00\n"  # line 5: no such matter
        f"{LIU},enroll,2026-11-23T15:00\n"  # line 6: the same person twice that day
    )
    r = client.post("/api/appointments/import", json={"csv": text}, headers=tokens.supervisor)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "bad_rows"
    assert [(p["line"], p["code"]) for p in error["details"]["problems"]] == [
        (5, "unknown_matter"),
        (6, "duplicate_in_file"),
    ]
    assert "5" in error["message_zh"] and "5, 6" in error["message_en"]
    assert client.get("/api/appointments", headers=tokens.supervisor).json()["appointments"] == []
    good = "\n".join(text.splitlines()[:3]) + "\n"
    r = client.post("/api/appointments/import", json={"csv": good}, headers=tokens.supervisor)
    assert r.status_code == 201 and r.json()["imported"] == 2
    slots = [a["slot"] for a in r.json()["appointments"]]
    assert slots == ["2026-11-23T10:00+08:00", "2026-11-23T10:30+08:00"]


def test_a_csv_clashing_with_a_stored_booking_rolls_back_every_row(client, tokens, book):
    book(ZHANG, ("enroll",), "2026-11-23T09:30")
    text = f"id_number,matters,slot\n{LIU},benefit,2026-11-23T10:00\n{ZHANG},card,2026-11-23T11:00\n"
    r = client.post("/api/appointments/import", json={"csv": text}, headers=tokens.supervisor)
    assert r.status_code == 400
    assert [(p["line"], p["code"]) for p in r.json()["error"]["details"]["problems"]] == [
        (3, "already_booked")
    ]
    listed = client.get("/api/appointments", headers=tokens.supervisor).json()["appointments"]
    assert len(listed) == 1  # LIU's row, valid on its own, went back with the file


def test_a_csv_without_the_header_is_refused_at_line_1(client, tokens):
    r = client.post(
        "/api/appointments/import",
        json={"csv": f"{LIU},benefit,2026-11-23T10:00\n"},
        headers=tokens.supervisor,
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "bad_csv_header"
