"""Tickets from the real queue service, printed by the kiosk on the virtual printer (a real TCP
server rendering PNGs), including paper out; and the taking-a-number journey against a real hall
server once `onevisit.hall.create_app` exists."""

from __future__ import annotations

import pytest

from onevisit.kiosk.printing import KioskPrinter
from onevisit.queue import QueueService
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.kiosk.conftest import pump, tap, texts, wait_until

VALID = "11010519491231002X"


@pytest.fixture
def queue(config, clock, tmp_path):
    return QueueService.open(config, db_path=tmp_path / "hall.db", clock=clock)


def issue(queue, kiosk, config):
    result = queue.issue(["benefit", "medical"], id_number=VALID, idempotency_key="k1", source="kiosk:test")
    ticket = result.ticket
    kiosk.session.ticket = ticket.to_dict()
    kiosk.session.position = queue.position(ticket).to_dict()
    kiosk.session.status_url = f"{config.hall.public_url}/t/{ticket.number}?c={ticket.short_code}"
    kiosk.session.created = result.created
    return ticket


def test_ticket_screen_prints_a_png_at_the_virtual_printer(kiosk, queue, config, tmp_path):
    with VirtualPrinter(tmp_path / "paper") as vp:
        kiosk.devices.printer = KioskPrinter(vp.url, config)
        ticket = issue(queue, kiosk, config)
        kiosk.go("ticket")
        screen = kiosk.screen("ticket")
        wait_until(lambda: screen.outcome is not None and screen.outcome.state != "printing")
        pump(2)
        assert screen.outcome.ok, screen.outcome
        assert vp.wait_for_jobs(1, timeout=5)
        assert list((tmp_path / "paper").glob("job-*.png"))
        shown = texts(screen)
        assert ticket.number in shown and "号票已打印" in shown
        assert VALID not in shown  # only the masked number is on screen


def test_paper_out_shows_what_to_do_and_the_qr_then_reprint_works(kiosk, queue, config, tmp_path):
    with VirtualPrinter(tmp_path / "paper") as vp:
        vp.faults.paper = "out"
        kiosk.devices.printer = KioskPrinter(vp.url, config)
        issue(queue, kiosk, config)
        kiosk.go("ticket")
        screen = kiosk.screen("ticket")
        wait_until(lambda: screen.outcome is not None and screen.outcome.state != "printing")
        pump(2)
        assert screen.outcome.state == "paper_out"
        assert "打印纸已用完" in texts(screen)
        assert any(type(w).__name__ == "QrImage" for w in screen.walk())
        vp.faults.paper = "ok"
        reprint = next(w for w in screen.footer.walk() if getattr(w, "text", "") == "重新打印")
        tap(reprint)
        wait_until(lambda: screen.outcome is not None and screen.outcome.state not in ("printing",))
        assert screen.outcome.ok
        assert vp.wait_for_jobs(1, timeout=5)


def test_taking_a_number_by_touches_ends_with_a_ticket_in_the_hall(kiosk, config, hall_server, tmp_path):
    """Touches only, against the real hall server: identify, choose, confirm; the ticket exists in
    the hall, the virtual printer rendered it, and home's live counts include it."""
    with VirtualPrinter(tmp_path / "paper") as vp:
        kiosk.devices.hall = hall_server.client()
        kiosk.devices.printer = KioskPrinter(vp.url, config)
        kiosk.refresh_availability()
        wait_until(lambda: kiosk.busy == 0)
        assert kiosk.hall_online and kiosk.availability_of("enroll")["waiting"] == 0
        tap(next(w for w in kiosk.screen("home").walk() if getattr(w, "tile_name", None) == "take"))
        for ch in VALID:
            tap(kiosk.screen("identify").keys[ch])
        tap(kiosk.screen("identify").confirm)
        take = kiosk.screen("take")
        tap(take.cards["enroll"])
        tap(take.confirm)
        wait_until(lambda: kiosk.sm.current == "ticket")
        number = kiosk.session.ticket["number"]
        assert kiosk.session.created is True
        in_hall = kiosk.devices.hall.ticket(number)["ticket"]
        assert in_hall["number"] == number and [s["matter"] for s in in_hall["steps"]] == ["enroll"]
        assert vp.wait_for_jobs(1, timeout=10)
        assert list((tmp_path / "paper").glob("job-*.png"))
        screen = kiosk.screen("ticket")
        wait_until(lambda: screen.outcome is not None and screen.outcome.state != "printing")
        assert screen.outcome.ok
        tap(next(w for w in screen.footer.walk() if getattr(w, "text", "") == "完成"))
        assert kiosk.sm.current == "home"
        wait_until(lambda: kiosk.busy == 0)
        pump(2)
        assert kiosk.availability_of("enroll")["waiting"] == 1
        assert "参保登记/变更：1人" in texts(kiosk.screen("home"))


def test_ticket_times_are_printed_in_the_halls_zone(config):
    """A kiosk image running in UTC must still print 取号时间 and the booked slot in hall time."""
    from onevisit.kiosk.printing import ticket_print

    ticket = {
        "number": "A001",
        "steps": [{"matter": "enroll"}],
        "created_at": "2026-11-29T01:05:00+00:00",
        "appointment_at": "2026-11-29T01:30:00+00:00",
    }
    paper = ticket_print(config, ticket, {"ahead": 0}, None)
    assert f"{paper.issued_at:%H:%M}" == "09:05"
    assert paper.extra_lines == ["预约时段：09:30  Booked slot 09:30"]
