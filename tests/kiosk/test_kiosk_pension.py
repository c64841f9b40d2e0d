"""居民养老缴费 at the kiosk against the real hall, the demo records service and the payment
simulator: choose a level, the QR, paid on the "phone", the result and a printed receipt; a wait
that runs out cancels the order in records; a failed payment ends in a tagged window ticket."""

from __future__ import annotations

import httpx
import pytest

from onevisit.kiosk import selfservice_report as ss
from onevisit.kiosk.printing import KioskPrinter
from onevisit.records.http_backend import HttpRecordsBackend
from onevisit.sim.printer.virtual import VirtualPrinter
from tests.kiosk.conftest import pump, tap, texts, wait_until
from tests.kiosk.test_kiosk_hall import identify
from tests.payment_rig import WHO, payment_hall


@pytest.fixture
def rig(kiosk, config, clock, tmp_path):
    """The kiosk with the payment hall as its hall, records over HTTP and `[payment]` in its config."""
    with payment_hall(config, clock, tmp_path) as hall:
        before = kiosk.config_
        kiosk.config_ = hall.config
        with HttpRecordsBackend(hall.app.state.payments.records.url) as records:
            kiosk.devices.records = records
            kiosk.devices.hall = hall.kiosk
            kiosk.go_home()
            try:
                yield hall
            finally:
                wait_until(lambda: kiosk.busy == 0)
                kiosk.go_home()
                wait_until(lambda: kiosk.busy == 0)
                kiosk.devices.records = None
                kiosk.config_ = before


def start_paying(kiosk, amount: str = "500"):
    identify(kiosk, "pension", WHO.value)
    screen = kiosk.screen("pension")
    wait_until(lambda: kiosk.sm.current == "pension" and screen.year_info is not None)
    pump(2)
    shown = texts(screen)
    assert "请选择缴费档次" in shown and "每年缴500元，政府补贴80元" in shown and WHO.value not in shown
    tap(screen.level_buttons[amount])
    tap(screen.pay_button)
    tap(screen.pay_button)  # a double tap: one order (the same idempotency key)
    wait_until(lambda: kiosk.busy == 0 and screen.stage == "qr")
    pump(2)
    assert any(type(w).__name__ == "QrImage" for w in screen.walk())
    return screen


def figures(hall) -> dict:
    boss = httpx.post(
        f"{hall.url}/api/auth/login", json={"username": "boss", "password": "secret-2"}, timeout=30
    )
    headers = {"Authorization": f"Bearer {boss.json()['token']}"}
    day = hall.app.state.hall.clock.now().date().isoformat()
    return httpx.get(
        f"{hall.url}/api/supervisor/figures", params={"date": day}, headers=headers, timeout=30
    ).json()


def test_choose_scan_pay_and_a_receipt(kiosk, rig, tmp_path):
    with VirtualPrinter(tmp_path / "paper") as vp:
        kiosk.devices.printer = KioskPrinter(vp.url, kiosk.config_)
        screen = start_paying(kiosk)
        order = screen.order
        assert order["amount"] == "500.00" and rig.records.payment_order(order["order_id"]).state == "open"
        assert list(rig.sim.orders) == [order["order_id"]]  # the double tap made one order
        rig.pay(order["pay_url"])  # the citizen's phone
        assert rig.sim.wait_sent(1)
        wait_until(lambda: screen.stage == "paid" and screen.receipt == "printed", timeout=30)
        pump(2)
        assert "缴费成功：2026年度 500.00 元" in texts(screen)
        assert vp.wait_for_jobs(1, timeout=10) and len(vp.jobs) == 1
    assert rig.records.resident_pension_year(WHO, 2026).paid is not None
    wait_until(lambda: kiosk.busy == 0 and not kiosk.outbox.pending)
    assert figures(rig)["selfservice"][ss.PENSION_PAID] == 1


def test_a_wait_that_runs_out_cancels_the_order_and_offers_a_window(kiosk, rig):
    screen = start_paying(kiosk, "300")
    order_id = screen.order["order_id"]
    kiosk.fake_time.now += kiosk.config_.payment.wait_seconds + 1
    screen.poll()
    wait_until(lambda: kiosk.busy == 0 and screen.stage == "abandoned")
    pump(2)
    assert "等待超时，订单已取消" in texts(screen)
    assert rig.records.payment_order(order_id).state == "cancelled"
    assert rig.sim.orders[order_id].state == "closed"
    tap(next(w for w in screen.footer.walk() if getattr(w, "text", "") == "取号到窗口办理"))
    wait_until(lambda: kiosk.sm.current == "take" and kiosk.busy == 0)
    assert kiosk.session.matters == ["contrib"] and kiosk.session.tag == "pension:payment_abandoned"


def test_a_failed_payment_is_said_plainly_and_nothing_is_paid(kiosk, rig):
    rig.control(fail_next=1)
    screen = start_paying(kiosk)
    rig.pay(screen.order["order_id"] and screen.order["pay_url"])
    assert rig.sim.wait_sent(1)
    wait_until(lambda: screen.stage == "failed", timeout=30)
    pump(2)
    assert "支付没有成功，订单已取消，没有扣款" in texts(screen)
    assert rig.records.resident_pension_year(WHO, 2026).due


def test_leaving_with_the_qr_up_cancels_the_order(kiosk, rig):
    screen = start_paying(kiosk)
    order_id = screen.order["order_id"]
    kiosk.go_home()
    wait_until(lambda: kiosk.busy == 0)
    assert rig.records.payment_order(order_id).state == "cancelled"
