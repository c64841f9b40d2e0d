"""A tap counts once, on the real kiosk (Kivy offscreen) against the real hall server and the
virtual printer: two touches on the same button, in the same frame (the second lands while the
first press's request is in flight) or after the first press's answer is on screen."""

from __future__ import annotations

import datetime as dt
import sqlite3

from kivy.tests.common import UnitTestTouch

from onevisit.kiosk.printing import KioskPrinter
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.kiosk.conftest import pump, tap, texts, wait_until
from tests.kiosk.test_kiosk_hall import identify, take_number


def double_tap(widget) -> None:
    """Two touches queued together: Kivy handles both in one frame, before any answer is back."""
    pump(1)
    x, y = widget.to_window(*widget.center)
    for _ in range(2):
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()
    pump(2)


def events(hall_server, kind: str) -> list:
    return [e for e in hall_server.app.state.hall.service.events_since(0, 10_000) if e.kind == kind]


def missed_ticket(kiosk, hall_server) -> str:
    """A ticket called and marked 过号, the kiosk back at home."""
    take_number(kiosk)
    number = kiosk.session.ticket["number"]
    kiosk.go_home()
    staff = hall_server.login("staff1", "secret-1")
    assert staff.post("/api/windows/1/call").json()["ticket"]["number"] == number
    assert staff.post("/api/windows/1/skip").status_code == 200
    return number


def open_recheck(kiosk, number: str):
    wait_until(lambda: kiosk.busy == 0)
    tap(next(w for w in kiosk.screen("home").walk() if getattr(w, "tile_name", None) == "recheck"))
    screen = kiosk.screen("recheck")
    for key in number:
        screen.press(key)
    return screen


def test_a_double_tap_on_recheck_requeues_once_and_keeps_the_success(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    number = missed_ticket(kiosk, hall_server)
    screen = open_recheck(kiosk, number)
    double_tap(screen.confirm)  # the second touch while the first request is on its way
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert f"已重新排队：{number}" in texts(screen.message)
    assert screen.error is None
    # once more, after the answer is on screen: the same answer, not a red "没有过号"
    tap(screen.confirm)
    wait_until(lambda: kiosk.busy == 0)
    pump(2)
    assert f"已重新排队：{number}" in texts(screen.message) and screen.error is None
    assert len(events(hall_server, "ticket.checked_in")) == 1
    assert kiosk.devices.hall.ticket(number)["ticket"]["state"] == "waiting"


def test_the_hall_answers_a_repeated_checkin_key_as_the_first_time(kiosk, hall_server):
    """A request the network retried (same Idempotency-Key) re-queues once; a new press of a
    ticket that is waiting again gets the hall's refusal."""
    hall = hall_server.client()
    kiosk.devices.hall = hall
    number = missed_ticket(kiosk, hall_server)
    first = hall.checkin(number, idempotency_key="press-1")
    again = hall.checkin(number, idempotency_key="press-1")
    assert again == first
    assert len(events(hall_server, "ticket.checked_in")) == 1
    refused = None
    try:
        hall.checkin(number, idempotency_key="press-2")
    except Exception as exc:  # the hall's refusal is the point
        refused = exc
    assert refused is not None and getattr(refused, "status", None) == 409, refused


def test_a_double_tap_on_take_number_issues_one_ticket(kiosk, hall_server):
    kiosk.devices.hall = hall_server.client()
    identify(kiosk)
    wait_until(lambda: kiosk.busy == 0)
    take = kiosk.screen("take")
    tap(take.cards["enroll"])
    double_tap(take.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")
    wait_until(lambda: kiosk.busy == 0)
    assert len(events(hall_server, "ticket.issued")) == 1


def test_a_double_tap_on_reprint_prints_once_and_a_later_press_reprints(kiosk, hall_server, config, tmp_path):
    with VirtualPrinter(tmp_path / "paper") as vp:
        kiosk.devices.printer = KioskPrinter(vp.url, config)
        kiosk.devices.hall = hall_server.client()
        take_number(kiosk)
        screen = kiosk.screen("ticket")
        wait_until(lambda: screen.outcome is not None and screen.outcome.state != "printing")
        assert vp.wait_for_jobs(1, timeout=5)
        pump(2)
        reprint = next(w for w in screen.footer.walk() if getattr(w, "text", "") == "重新打印")
        kiosk.fake_time.now += 10  # the ticket printed on arrival a while ago
        double_tap(reprint)
        wait_until(lambda: kiosk.busy == 0 and screen.outcome.state != "printing")
        assert vp.wait_for_jobs(2, timeout=5)
        pump(2)
        assert screen.outcome.ok and "号票已打印" in texts(screen)
        kiosk.fake_time.now += 10  # the citizen asks for another copy: a deliberate reprint
        reprint = next(w for w in screen.footer.walk() if getattr(w, "text", "") == "重新打印")
        tap(reprint)
        wait_until(lambda: kiosk.busy == 0 and screen.outcome.state != "printing")
        assert vp.wait_for_jobs(3, timeout=5)
        assert len(vp.jobs) == 3, "a double tap printed twice"


def test_a_double_tap_on_certificate_preview_and_print_makes_one_certificate(kiosk, tmp_path):
    from onevisit.sim.records.demo_backend import demo_id, open_backend, seed_demo

    folder = tmp_path / "records"
    seed_demo(folder / "records.db", dt.date.today(), reset=True)
    before = kiosk.config_  # the kiosk's config carries a real public_url (certificates need one)
    records = before.records.model_copy(
        update={"database": str(folder / "records.db"), "certificates_db": str(folder / "certs.db")}
    )
    cfg = before.model_copy(update={"records": records})
    kiosk.config_ = cfg
    try:
        with VirtualPrinter(tmp_path / "paper") as vp:
            kiosk.devices.printer = KioskPrinter(vp.url, cfg)
            kiosk.devices.records = open_backend(cfg)
            kiosk.session.identified(demo_id("pensioner_due"))
            kiosk.session.purpose = "certificate"
            kiosk.go("certificate")
            pump(2)
            screen = kiosk.screen("certificate")
            preview = next(w for w in screen.walk() if getattr(w, "text", "") == "预览")
            double_tap(preview)
            wait_until(lambda: kiosk.busy == 0 and screen.issued is not None)
            pump(2)
            button = next(w for w in screen.footer.walk() if getattr(w, "text", "") == "打印证明")
            double_tap(button)
            wait_until(lambda: kiosk.busy == 0 and screen.print_state == "printed")
            assert vp.wait_for_jobs(1, timeout=10)
            with sqlite3.connect(cfg.path(cfg.records.certificates_db)) as conn:
                serials = [row[0] for row in conn.execute("SELECT serial FROM certificates")]
            assert serials == [screen.issued.certificate.serial], "a double tap made two certificates"
            assert len(vp.jobs) == 1
    finally:
        kiosk.config_ = before
        kiosk.devices.records = None
