"""预约签到 at the kiosk against the real hall server, by touch: the tile, the ID, the check-in, and
either the ticket screen or a bilingual refusal with a way to take an ordinary number."""

from __future__ import annotations

from tests.kiosk.conftest import pump, tap, texts, wait_until
from tests.kiosk.test_kiosk_hall import identify

LIU = "510107195808083156"
ZHANG = "330106197503142310"


def book(hall_server, id_number: str, matters: list[str], slot: str) -> dict:
    boss = hall_server.login("boss", "secret-2")
    r = boss.post("/api/appointments", json={"id_number": id_number, "matters": matters, "slot": slot})
    assert r.status_code == 201, r.text
    return r.json()


def bookings(hall_server) -> list[dict]:
    return hall_server.login("boss", "secret-2").get("/api/appointments").json()["appointments"]


def test_checking_in_ends_on_the_ticket_screen_with_the_booked_matter(kiosk, hall_server):
    book(hall_server, LIU, ["benefit"], "2026-11-23T09:30")
    kiosk.devices.hall = hall_server.client()
    identify(kiosk, "appointment", LIU)
    wait_until(lambda: kiosk.sm.current == "ticket")
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    number = kiosk.session.ticket["number"]
    shown = texts(kiosk.screen("ticket"))
    assert number in shown and number.startswith("C")
    assert "办理事项：待遇申领/核定" in shown
    assert "预约时段 09:30" in shown
    from onevisit.kiosk.printing import ticket_print

    paper = ticket_print(kiosk.config_, kiosk.session.ticket, kiosk.session.position or {}, "")
    assert paper.extra_lines == ["预约时段：09:30  Booked slot 09:30"]  # the paper ticket says it too
    assert "您今天已有号码" not in shown
    [booking] = bookings(hall_server)
    assert booking["state"] == "checked_in" and booking["ticket_number"] == number
    ticket = kiosk.devices.hall.ticket(number)["ticket"]
    assert ticket["appointment_at"].startswith("2026-11-23T09:30") and ticket["tag"] == "appointment"

    # the same citizen again: the same number, said so, no second ticket
    kiosk.go_home()
    identify(kiosk, "appointment", LIU)
    wait_until(lambda: kiosk.sm.current == "ticket")
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert kiosk.session.ticket["number"] == number
    assert "您已签到，这是您的号码" in texts(kiosk.screen("ticket"))
    assert sum(m["waiting"] for m in kiosk.devices.hall.availability()) == 1


def test_too_early_is_said_in_the_citizens_language_and_offers_an_ordinary_number(kiosk, hall_server):
    book(hall_server, ZHANG, ["enroll"], "2026-11-23T15:00")
    kiosk.devices.hall = hall_server.client()
    identify(kiosk, "appointment", ZHANG)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    screen = kiosk.screen("appointment")
    assert kiosk.sm.current == "appointment"
    assert screen.error is not None and screen.error.code == "appointment_too_early"
    shown = texts(screen)
    assert "请于 14:00 后再来签到" in shown
    assert "please come back" not in shown  # Chinese mode: Chinese only
    assert "330106********2310" in shown and ZHANG not in shown
    assert screen.take.parent is not None and screen.take.height >= 60
    # in English the English message comes first and the Chinese stays under it
    kiosk.lang = "en"
    pump(2)
    labels = [w.text for w in screen.status.children[::-1]]
    assert labels[0].startswith("Your booking is at 15:00") and labels[1].startswith("您预约的时段是 15:00")
    kiosk.lang = "zh"
    pump(2)
    tap(screen.take)
    assert kiosk.sm.current == "take"
    assert kiosk.session.id_number is not None and kiosk.session.id_number.value == ZHANG
    assert sum(m["waiting"] for m in kiosk.devices.hall.availability()) == 0
    assert bookings(hall_server)[0]["state"] == "booked"


def test_no_booking_today_is_said_and_nothing_is_issued(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    identify(kiosk, "appointment", LIU)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    screen = kiosk.screen("appointment")
    assert screen.error is not None and screen.error.code == "no_appointment_today"
    assert "未查到您今天的预约" in texts(screen) and "no booking for you today" not in texts(screen)
    assert sum(m["waiting"] for m in kiosk.devices.hall.availability()) == 0
