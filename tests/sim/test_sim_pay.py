"""`onevisit pay-sim` as a real process: signed requests only, a pay page, signed notifications to
`--notify` (checked with the hall's own parser), faults on command, a clean stop on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from decimal import Decimal

import httpx
import pytest
from fastapi import FastAPI, Request

from onevisit.devices.payment import SIGNATURE_HEADER, PaymentUnavailable, open_payment, parse_notification
from onevisit.hall.server import ServerThread
from tests.conftest import REPO

SECRET = "pay-sim-test-secret-42"
PAY_SIM = [sys.executable, "-m", "onevisit.commands.main", "pay-sim"]


class Receiver:
    """The hall's notify URL, standing in: keeps each body with its signature."""

    def __init__(self) -> None:
        self.got: list[tuple[bytes, str | None]] = []
        self.arrived = threading.Condition()
        self.app = FastAPI()

        @self.app.post("/notify")
        async def notify(request: Request):
            body = await request.body()
            with self.arrived:
                self.got.append((body, request.headers.get(SIGNATURE_HEADER)))
                self.arrived.notify_all()
            return {"ok": True}

    def wait(self, count: int) -> bool:
        with self.arrived:
            return self.arrived.wait_for(lambda: len(self.got) >= count, 10)


@pytest.fixture
def pay_sim():
    receiver = Receiver()
    with ServerThread(receiver.app) as server:
        proc = subprocess.Popen(
            [*PAY_SIM, "--listen", "127.0.0.1:0", "--notify", f"{server.url}/notify", "--secret", SECRET],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            line = proc.stdout.readline()
            assert line.startswith("payment simulator: http://"), proc.stderr.read()
            yield line.split(": ", 1)[1].strip(), receiver, proc
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(15)


def test_pay_on_the_page_and_a_signed_notification_arrives(pay_sim):
    url, receiver, proc = pay_sim
    platform = open_payment(url, SECRET)
    order = platform.create_order("RP20261123ABCDEF01", Decimal("500"), "2026年度城乡居民养老保险缴费", None)
    assert order.state == "open" and order.pay_url == f"{url}/pay/RP20261123ABCDEF01"
    assert platform.create_order("RP20261123ABCDEF01", Decimal("500"), "again", None) == order
    page = httpx.get(order.pay_url)
    assert page.status_code == 200 and "确认支付 ¥500.00" in page.text
    httpx.post(f"{url}/control", json={"duplicates": 1}).raise_for_status()
    assert "支付成功" in httpx.post(order.pay_url).text
    assert receiver.wait(2)
    notes = [parse_notification(SECRET, body, sig) for body, sig in receiver.got]
    assert {(n.order_id, n.state, n.amount) for n in notes} == {
        ("RP20261123ABCDEF01", "paid", Decimal("500.00"))
    }
    assert platform.query("RP20261123ABCDEF01").state == "paid"
    assert platform.close("RP20261123ABCDEF01").state == "paid"  # paid stays paid

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0


def test_unsigned_requests_are_refused_and_failures_on_command(pay_sim):
    url, receiver, _proc = pay_sim
    wrong = open_payment(url, "not-the-secret-at-all")
    with pytest.raises(PaymentUnavailable):
        wrong.create_order("RP20261123ABCDEF02", Decimal("300"), "x", None)
    assert httpx.post(f"{url}/v1/orders", json={"order_id": "x", "amount": "1"}).status_code == 401
    platform = open_payment(url, SECRET)
    order = platform.create_order("RP20261123ABCDEF03", Decimal("300"), "x", None)
    httpx.post(f"{url}/control", json={"fail_next": 1}).raise_for_status()
    assert "支付失败" in httpx.post(order.pay_url).text
    assert receiver.wait(1)
    assert parse_notification(SECRET, *receiver.got[0]).state == "failed"
    assert httpx.post(f"{url}/control", json={"no_such_fault": 1}).status_code == 422


def test_bad_arguments_exit_2_without_a_traceback():
    for argv in (
        ["--listen", "nowhere", "--secret", SECRET],
        ["--listen", "127.0.0.1:0", "--secret", "short"],
    ):
        res = subprocess.run([*PAY_SIM, *argv], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert res.returncode == 2 and "Traceback" not in res.stderr and "error" in res.stderr
