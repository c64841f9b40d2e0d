"""到号提醒 at the kiosk, on the real kiosk (Kivy offscreen) against the real hall server with
notices on (the file driver): the number typed on the keypad subscribes the ticket, is stored
only encrypted and shown masked; a bad number or the hall's refusal is said and the ticket stays."""

from __future__ import annotations

import pytest

from onevisit.core.config import NotifyConfig
from tests.kiosk.conftest import HallServer, pump, tap, texts, wait_until
from tests.kiosk.test_kiosk_hall import take_number

PHONE = "13812341234"


@pytest.fixture
def notify_hall(config, clock, tmp_path):
    notify = NotifyConfig(url=f"file://{tmp_path}/notices.jsonl")
    server = HallServer(config.model_copy(update={"notify": notify}), tmp_path / "hall.db", clock).start()
    yield server
    server.stop()


def open_notify(kiosk):
    take_number(kiosk)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    ticket = kiosk.screen("ticket")
    assert ticket.notify_button.text == "到号提醒"
    tap(ticket.notify_button)
    assert kiosk.sm.current == "notify"
    return kiosk.screen("notify")


def test_a_typed_number_subscribes_the_ticket_and_shows_it_masked(kiosk, notify_hall, tmp_path):
    kiosk.devices.hall = notify_hall.client()
    screen = open_notify(kiosk)
    number, day = kiosk.session.ticket["number"], kiosk.session.ticket["day"]
    tap(screen.keys["1"])  # the keypad by touch; the rest through its handler (each redraw is slow)
    for digit in PHONE[1:]:
        screen.press(digit)
    assert screen.display.text == "138 1234 1234"
    assert "号码格式正确" in texts(screen.message)
    assert not screen.confirm.disabled
    tap(screen.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket" and kiosk.busy == 0)
    pump(2)
    assert "已开启到号提醒：138****1234" in texts(kiosk.screen("ticket"))
    subscriptions = notify_hall.app.state.hall.notices.of_ticket(day, number)
    assert [(s.channel, s.masked) for s in subscriptions] == [("sms", "138****1234")]
    # the kiosk forgot the number; the hall's database holds it only encrypted
    assert screen.typed == "" and kiosk.session.notify["to"] == "138****1234"
    for path in tmp_path.glob("hall.db*"):
        assert PHONE.encode() not in path.read_bytes(), path.name


def test_a_bad_number_is_said_as_typed_and_the_ticket_stays_reachable(kiosk, notify_hall):
    kiosk.devices.hall = notify_hall.client()
    screen = open_notify(kiosk)
    number = kiosk.session.ticket["number"]
    for digit in "12":
        screen.press(digit)
    assert "手机号码以13–19开头" in texts(screen.message)
    assert "a mobile number starts with 13–19" not in texts(screen.message)  # Chinese mode: Chinese only
    assert screen.confirm.disabled
    for digit in "345678901":  # 11 digits, still not a mobile number: never sent
        screen.press(digit)
    tap(screen.confirm)
    assert kiosk.busy == 0 and kiosk.sm.current == "notify"
    tap(screen.keys["BACK"])
    assert kiosk.sm.current == "ticket"
    assert number in texts(kiosk.screen("ticket"))
    assert notify_hall.app.state.hall.notices.of_ticket(kiosk.session.ticket["day"], number) == []


def test_the_halls_refusal_is_shown_in_the_citizens_language(kiosk, notify_hall):
    """The visit ended while the citizen typed: the hall refuses, the kiosk says why."""
    kiosk.devices.hall = notify_hall.client()
    screen = open_notify(kiosk)
    staff = notify_hall.login("staff1", "secret-1")
    for action in ("call", "start", "finish"):
        assert staff.post(f"/api/windows/1/{action}").status_code == 200
    for digit in PHONE:
        screen.press(digit)
    tap(screen.confirm)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert "该号码已办结，无需提醒" in texts(screen.message)
    assert "This ticket's visit has ended" not in texts(screen.message)  # Chinese mode: Chinese only
    assert kiosk.sm.current == "notify" and not screen.confirm.disabled
    tap(screen.keys["BACK"])
    assert kiosk.sm.current == "ticket" and "已开启到号提醒" not in texts(kiosk.screen("ticket"))


def test_no_button_when_the_hall_sends_no_notices(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    take_number(kiosk)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert "到号提醒" not in texts(kiosk.screen("ticket"))
