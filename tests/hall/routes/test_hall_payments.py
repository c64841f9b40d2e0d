"""城乡居民养老缴费 through the real hall server, the demo records service and the payment simulator
(`PaySim`, over HTTP both ways): the hall settles from the signed notification, once; duplicates
and late notifications change nothing; a bad signature is refused and logged; a kiosk killed
between the QR and the result leaves an order the notification settles; abandoned or failed
orders are cancelled in records and never paid after."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
from decimal import Decimal

import httpx
import pytest

from onevisit.kiosk.hall_client import HallRefused
from tests.conftest import REPO
from tests.payment_rig import WHO, payment_hall


@pytest.fixture
def hall(hall_config, clock, tmp_path):
    with payment_hall(hall_config, clock, tmp_path) as rig:
        yield rig


def test_paid_on_the_phone_is_settled_by_the_notification(hall):
    order = hall.order()
    assert (
        order["state"] == "open"
        and order["amount"] == "500.00"
        and order["pay_url"].startswith(hall.sim.public_url)
    )
    assert WHO.value not in json.dumps(order)
    assert hall.order()["order_id"] == order["order_id"]  # a retried press names the same order
    assert hall.pay(order["pay_url"]).status_code == 200
    assert hall.sim.wait_sent(1)
    assert hall.sim.sent[0]["status"] == 200
    assert hall.kiosk.payment_status(order["order_id"])["state"] == "paid"
    assert hall.records.resident_pension_year(WHO, 2026).paid == Decimal("500.00")


def test_duplicate_and_late_notifications_change_nothing(hall, caplog):
    hall.control(hold=True, duplicates=2)
    order = hall.order()
    hall.pay(order["pay_url"])
    assert hall.kiosk.payment_status(order["order_id"])["state"] == "open"  # the notice is late
    with caplog.at_level(logging.INFO, logger="onevisit.hall.live.payments"):
        httpx.post(f"{hall.sim.public_url}/control/release").raise_for_status()
        assert hall.sim.wait_sent(3)
    assert [s["status"] for s in hall.sim.sent] == [200, 200, 200]
    paid = hall.records.payment_order(order["order_id"])
    assert paid.state == "paid"
    outcomes = [r.getMessage().rsplit("→ ", 1)[1] for r in caplog.records if "notification" in r.getMessage()]
    assert outcomes == ["settled", "unchanged", "unchanged"]
    rows = [c for c in hall.records.contributions(WHO, since="2026-01") if c.insurance == "pension_resident"]
    assert len(rows) == 1 and rows[0].personal_amount == Decimal("500.00")
    # and a second order for the paid year is refused: the year is never paid twice
    with pytest.raises(HallRefused) as info:
        hall.order(key="press-2")
    assert info.value.code == "already_paid" and info.value.status == 409


def test_a_bad_signature_is_refused_and_logged(hall, caplog):
    hall.control(bad_signature=True)
    order = hall.order()
    with caplog.at_level(logging.WARNING, logger="onevisit.hall.routes.payments"):
        hall.pay(order["pay_url"])
        assert hall.sim.wait_sent(1)
    assert hall.sim.sent[0]["status"] == 401
    assert hall.kiosk.payment_status(order["order_id"])["state"] == "open"
    assert any("refused: bad_signature" in r.getMessage() for r in caplog.records)
    # a forged body with no signature at all is refused the same way
    forged = {
        "order_id": order["order_id"],
        "state": "paid",
        "amount": "500.00",
        "reference": "x",
        "at": "2026-11-23T10:00:00+08:00",
    }
    assert httpx.post(f"{hall.url}/api/payments/notify", json=forged).status_code == 401
    assert hall.records.payment_order(order["order_id"]).state == "open"


def test_a_kiosk_killed_between_qr_and_result_leaves_an_order_the_notification_settles(hall, tmp_path):
    """A real process makes the order as the kiosk does, prints the QR's URL and waits on the
    result; it is killed (SIGKILL, a power cut) before the citizen pays."""
    token = hall.token
    script = (
        "import sys, time\n"
        "from onevisit.kiosk.hall_client import HallClient\n"
        f"c = HallClient({hall.url!r}, {token!r}, kiosk='kiosk-test')\n"
        f"o = c.payment_order({WHO.value!r}, 2026, '300.00', 'killed-press')\n"
        "print(o['order_id'], o['pay_url'], flush=True)\n"
        "sys.stdin.read()\n"  # the QR on screen, waiting: blocks until killed
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        order_id, pay_url = proc.stdout.readline().split()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    assert hall.records.payment_order(order_id).state == "open"
    hall.pay(pay_url)
    assert hall.sim.wait_sent(1)
    assert hall.records.payment_order(order_id).state == "paid"
    assert hall.records.resident_pension_year(WHO, 2026).paid == Decimal("300.00")


def test_a_failed_payment_cancels_the_order_and_a_new_one_can_be_paid(hall):
    hall.control(fail_next=1)
    order = hall.order()
    assert "支付失败" in hall.pay(order["pay_url"]).text
    assert hall.sim.wait_sent(1)
    assert hall.kiosk.payment_status(order["order_id"])["state"] == "cancelled"
    again = hall.order(key="press-2")
    assert again["order_id"] != order["order_id"]
    hall.pay(again["pay_url"])
    assert hall.sim.wait_sent(2)
    assert hall.kiosk.payment_status(again["order_id"])["state"] == "paid"


def test_an_abandoned_order_is_closed_and_cancelled_and_never_paid_after(hall):
    order = hall.order()
    cancelled = hall.kiosk.payment_cancel(order["order_id"])
    assert cancelled["state"] == "cancelled"
    assert hall.sim.orders[order["order_id"]].state == "closed"
    page = httpx.post(order["pay_url"])  # the citizen tries to pay the old QR anyway
    assert "订单已关闭" in page.text and hall.sim.sent == []
    assert hall.records.resident_pension_year(WHO, 2026).due


def test_paid_just_as_the_kiosk_gives_up_is_settled_not_cancelled(hall):
    hall.control(hold=True)
    order = hall.order()
    hall.pay(order["pay_url"])
    assert hall.kiosk.payment_cancel(order["order_id"])["state"] == "paid"
    httpx.post(f"{hall.sim.public_url}/control/release").raise_for_status()
    assert hall.sim.wait_sent(1)  # the late notice finds it settled: nothing changes
    assert hall.records.payment_order(order["order_id"]).state == "paid"


def test_without_payment_configured_the_hall_says_so(client, tokens):
    r = client.post(
        "/api/payments/orders",
        json={"id_number": WHO.value, "year": 2026, "amount": "500"},
        headers=tokens.kiosk,
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "payment_not_configured"


def test_platform_down_leaves_no_open_order_in_records(hall):
    import sqlite3

    from onevisit.devices.payment import open_payment
    from onevisit.kiosk.hall_client import HallUnavailable

    working = hall.app.state.payments.platform
    hall.app.state.payments.platform = open_payment("http://127.0.0.1:9", "x" * 16, timeout=0.5)
    with pytest.raises((HallRefused, HallUnavailable)) as info:
        hall.order()
    assert info.value.code == "payment_unavailable"
    with sqlite3.connect(hall.records.path) as conn:
        assert [r[0] for r in conn.execute("SELECT state FROM payment_orders")] == ["cancelled"]
    hall.app.state.payments.platform = working
    with pytest.raises(HallRefused) as info:  # the same press again: that order is closed
        hall.order()
    assert info.value.code == "order_closed"
    assert hall.order(key="press-2")["state"] == "open"  # a new press makes a new order
