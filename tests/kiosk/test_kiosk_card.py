"""社保卡 at the kiosk, against the real hall server, the demo records service over HTTP and the
virtual printer: status in plain words, 挂失 after the phone-tail check with a receipt, the card
lost in records at once, wrong digits three times → a tagged window ticket; all counted."""

from __future__ import annotations

import datetime as dt

import pytest

from onevisit.hall.server import ServerThread
from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.printing import KioskPrinter
from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.sim.printer.virtual import VirtualPrinter
from onevisit.sim.records.demo_backend import DemoBackend, demo_id, seed_demo
from onevisit.sim.records.service import create_records_app
from tests.kiosk.conftest import pump, tap, texts, wait_until
from tests.kiosk.test_kiosk_hall import identify


@pytest.fixture
def records(kiosk, tmp_path):
    """The demo records served over the HTTP contract; the kiosk talks to it as in a hall. Yields
    the demo backend over the same file, to look at what records hold."""
    seed_demo(tmp_path / "records.db", dt.date.today())
    direct = DemoBackend(tmp_path / "records.db")
    with ServerThread(create_records_app(direct)) as server, HttpRecordsBackend(server.url) as http:
        kiosk.devices.records = http
        yield direct
        wait_until(lambda: kiosk.busy == 0)
        kiosk.devices.records = None


def button(screen, text: str):
    return next(w for w in screen.walk() if getattr(w, "text", "") == text and hasattr(w, "kind"))


def type_tail(kiosk, digits: str) -> None:
    screen = kiosk.screen("card")
    for ch in digits:
        tap(screen.keys[ch])


def figures(hall_server) -> dict:
    boss = hall_server.login("boss", "secret-2")
    day = hall_server.clock.now().date()
    return boss.get("/api/supervisor/figures", params={"date": day.isoformat()}).json()


def test_report_loss_after_the_phone_tail_prints_a_receipt_and_records_show_it_lost(
    kiosk, hall_server, records, tmp_path
):
    who = demo_id("long_history")
    kiosk.devices.hall = hall_server.client()
    with VirtualPrinter(tmp_path / "paper") as vp:
        kiosk.devices.printer = KioskPrinter(vp.url, kiosk.config_)
        identify(kiosk, "card", who.value)
        screen = kiosk.screen("card")
        wait_until(lambda: kiosk.sm.current == "card" and screen.card is not None)
        pump(2)
        shown = texts(screen)
        assert "正常使用" in shown and who.value not in shown
        assert "申领" in shown and "领卡启用" in shown

        tap(button(screen, "挂失这张卡"))
        type_tail(kiosk, "0000")
        tap(screen.confirm)
        assert "还可以再试2次" in texts(screen) and records.card_status(who).state == "active"

        type_tail(kiosk, "3021")  # 张建国's phone tail on file
        confirm = screen.confirm
        tap(confirm)
        tap(confirm)  # a double tap: one loss report, one receipt
        wait_until(lambda: kiosk.busy == 0 and screen.receipt == "printed")
        pump(2)
        assert "挂失成功" in texts(screen) and "回执已打印" in texts(screen)
        assert vp.wait_for_jobs(1, timeout=10) and len(vp.jobs) == 1

    status = records.card_status(who)
    assert status.state == "lost" and status.lost_at is not None
    assert [(e["what"], e["by"]) for e in records.card_events(who)] == [
        ("loss_reported", kiosk.config_.kiosk.name)
    ]
    wait_until(lambda: kiosk.busy == 0 and not kiosk.outbox.pending)
    counted = figures(hall_server)["selfservice"]
    assert counted[ss.CARD_QUERIED] == 1 and counted[ss.CARD_LOSS_REPORTED] == 1


def test_wrong_digits_three_times_give_a_tagged_window_ticket_and_nothing_changes(
    kiosk, hall_server, records
):
    who = demo_id("gap")
    kiosk.devices.hall = hall_server.client()
    identify(kiosk, "card", who.value)
    screen = kiosk.screen("card")
    wait_until(lambda: screen.card is not None)
    pump(2)
    tap(button(screen, "挂失这张卡"))
    for _ in range(3):
        type_tail(kiosk, "1111")
        tap(screen.confirm)
    assert "多次不正确" in texts(screen)
    tap(button(screen, "取号到窗口办理"))
    take = kiosk.screen("take")
    wait_until(lambda: kiosk.sm.current == "take" and kiosk.busy == 0)
    assert kiosk.session.matters == ["card"]  # kiosk.window_matters.card
    tap(take.confirm)
    wait_until(lambda: kiosk.sm.current == "ticket")
    wait_until(lambda: kiosk.busy == 0)
    number = kiosk.session.ticket["number"]
    assert kiosk.devices.hall.ticket(number)["ticket"]["tag"] == "card:second_factor_failed"
    assert records.card_status(who).state == "active" and records.card_events(who) == []
    wait_until(lambda: kiosk.busy == 0 and not kiosk.outbox.pending)
    assert figures(hall_server)["selfservice"][ss.ROUTED_TO_WINDOW] == 1


@pytest.mark.parametrize(
    ("key", "words", "offered"),
    [("new_worker", "卡已制成，正在送往银行网点", False), ("pensioner_certified", "已临时挂失", False)],
)
def test_a_card_in_production_or_already_lost_offers_no_loss_report(kiosk, records, key, words, offered):
    kiosk.session.purpose = "card"
    kiosk.session.identified(demo_id(key))
    kiosk.go("card")
    screen = kiosk.screen("card")
    wait_until(lambda: kiosk.busy == 0 and screen.card is not None)
    pump(2)
    shown = texts(screen)
    assert words in shown and ("挂失这张卡" in shown) == offered
    if key == "new_worker":
        assert "领卡网点：中国建设银行雁塔支行" in shown and "领卡启用" not in shown


def test_records_down_says_so_and_offers_a_tagged_ticket(kiosk, tmp_path):
    kiosk.devices.records = HttpRecordsBackend("http://127.0.0.1:9", timeout=0.5)
    try:
        kiosk.session.purpose = "card"
        kiosk.session.identified(demo_id("gap"))
        kiosk.go("card")
        screen = kiosk.screen("card")
        wait_until(lambda: kiosk.busy == 0 and screen.error is not None)
        pump(2)
        shown = texts(screen)
        assert "社保业务系统暂时无法连接" in shown and "取号到窗口办理" in shown
        assert screen.error.code == "records_unavailable"
    finally:
        kiosk.devices.records = None
