"""`onevisit pay-sim`: a simulated payment platform for 城乡居民养老缴费 (docs/payment.md).

It makes orders (`POST /v1/orders`, idempotent by order id), serves a page per order that a test
or a phone "pays" on (`GET /pay/{id}`, the QR's target; its button posts to `/pay/{id}`), and tells
the hall with a signed notification (HMAC-SHA256 of the body, `X-OneVisit-Signature`) to the
order's `notify_url` or the simulator's `--notify`. On command (`POST /control`, JSON) it fails the
next payments, holds notifications until `POST /control/release` (a late notification), sends each
one several times (duplicates), delays them, or signs them with a wrong key.

Notifications go from a worker thread, so paying answers at once, as a real platform does.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from onevisit.devices.payment import SIGNATURE_HEADER, sign, signed

log = logging.getLogger(__name__)


@dataclass
class Faults:
    fail_next: int = 0  # the next N payments fail
    hold: bool = False  # keep notifications until release()
    duplicates: int = 0  # send each notification this many extra times
    delay_seconds: float = 0.0  # wait before sending (demo realism; tests use hold)
    bad_signature: bool = False  # sign with a wrong key


@dataclass
class SimOrder:
    order_id: str
    amount: Decimal
    subject: str
    notify_url: str | None
    state: str = "open"
    reference: str = ""


@dataclass
class PaySim:
    """The platform's state; `app()` serves it. `public_url` is what pay URLs start with."""

    secret: str
    notify_url: str | None = None
    public_url: str = "http://127.0.0.1:8620"
    faults: Faults = field(default_factory=Faults)
    orders: dict[str, SimOrder] = field(default_factory=dict)
    sent: list[dict[str, Any]] = field(default_factory=list)  # notifications delivered (status each)
    held: list[tuple[str, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._outbox: queue.Queue[tuple[str, bytes] | None] = queue.Queue()
        self._worker = threading.Thread(target=self._deliver, name="pay-sim-notify", daemon=True)
        self._worker.start()
        self.delivered = threading.Condition()

    # -- the platform ----------------------------------------------------------------------------
    def answer(self, order: SimOrder) -> dict[str, Any]:
        return {
            "order_id": order.order_id,
            "state": order.state,
            "pay_url": f"{self.public_url}/pay/{order.order_id}",
            "amount": f"{order.amount:.2f}",
        }

    def create(self, order_id: str, amount: Decimal, subject: str, notify_url: str | None) -> SimOrder:
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                order = SimOrder(order_id, amount, subject, notify_url or self.notify_url)
                self.orders[order_id] = order
            return order

    def close(self, order_id: str) -> SimOrder | None:
        with self._lock:
            order = self.orders.get(order_id)
            if order is not None and order.state == "open":
                order.state = "closed"
            return order

    def pay(self, order_id: str) -> SimOrder | None:
        """The citizen pays on their phone: paid (or failed, on command), then the notification."""
        with self._lock:
            order = self.orders.get(order_id)
            if order is None or order.state != "open":
                return order
            if self.faults.fail_next > 0:
                self.faults.fail_next -= 1
                order.state = "failed"
            else:
                order.state = "paid"
            order.reference = f"SIM{uuid.uuid4().hex[:16].upper()}"
        self.notify(order)
        return order

    def notify(self, order: SimOrder) -> None:
        body = json.dumps(
            {
                "order_id": order.order_id,
                "state": order.state,
                "amount": f"{order.amount:.2f}",
                "reference": order.reference,
                "at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            }
        ).encode()
        if not order.notify_url:
            log.warning("order %s: no notify URL, nobody is told", order.order_id)
            return
        copies = 1 + max(0, self.faults.duplicates)
        for _ in range(copies):
            if self.faults.hold:
                self.held.append((order.notify_url, body))
            else:
                self._outbox.put((order.notify_url, body))

    def release(self) -> int:
        """Send what was held: the late notifications."""
        held, self.held = self.held, []
        for item in held:
            self._outbox.put(item)
        return len(held)

    def wait_sent(self, count: int, timeout: float = 10.0) -> bool:
        """Until `count` notifications were delivered (answered by the hall, whatever the status)."""
        with self.delivered:
            return self.delivered.wait_for(lambda: len(self.sent) >= count, timeout)

    def _deliver(self) -> None:
        with httpx.Client(timeout=10) as client:
            while True:
                item = self._outbox.get()
                if item is None:
                    return
                url, body = item
                if self.faults.delay_seconds:
                    time.sleep(self.faults.delay_seconds)  # the simulated network's lag, on command
                key = "wrong-key-wrong-key" if self.faults.bad_signature else self.secret
                headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(key, body)}
                try:
                    status = client.post(url, content=body, headers=headers).status_code
                except httpx.HTTPError as exc:
                    status = 0
                    log.warning("notification to %s failed: %s", url, type(exc).__name__)
                with self.delivered:
                    self.sent.append({"url": url, "status": status, "order_id": json.loads(body)["order_id"]})
                    self.delivered.notify_all()

    def stop(self) -> None:
        self._outbox.put(None)

    # -- HTTP ------------------------------------------------------------------------------------
    def app(self) -> FastAPI:
        app = FastAPI(title="OneVisit payment simulator", docs_url=None, redoc_url=None)
        sim = self

        async def checked(request: Request) -> dict[str, Any] | JSONResponse:
            body = await request.body()
            if not signed(sim.secret, body, request.headers.get(SIGNATURE_HEADER)):
                log.warning("refused an unsigned or wrongly signed request to %s", request.url.path)
                return JSONResponse({"error": {"code": "bad_signature"}}, status_code=401)
            try:
                data = json.loads(body)
                if not isinstance(data, dict) or not isinstance(data.get("order_id"), str):
                    raise ValueError("order_id")
                return data
            except ValueError:
                return JSONResponse({"error": {"code": "bad_request"}}, status_code=422)

        @app.post("/v1/orders")
        async def create(request: Request):
            data = await checked(request)
            if isinstance(data, JSONResponse):
                return data
            try:
                amount = Decimal(str(data["amount"]))
            except (KeyError, InvalidOperation):
                return JSONResponse({"error": {"code": "bad_request"}}, status_code=422)
            order = sim.create(data["order_id"], amount, str(data.get("subject", "")), data.get("notify_url"))
            return sim.answer(order)

        @app.post("/v1/orders/query")
        async def query(request: Request):
            data = await checked(request)
            if isinstance(data, JSONResponse):
                return data
            order = sim.orders.get(data["order_id"])
            if order is None:
                return JSONResponse({"error": {"code": "order_not_found"}}, status_code=404)
            return sim.answer(order)

        @app.post("/v1/orders/close")
        async def close(request: Request):
            data = await checked(request)
            if isinstance(data, JSONResponse):
                return data
            order = sim.close(data["order_id"])
            if order is None:
                return JSONResponse({"error": {"code": "order_not_found"}}, status_code=404)
            return sim.answer(order)

        @app.get("/pay/{order_id}", response_class=HTMLResponse)
        def page(order_id: str):
            order = sim.orders.get(order_id)
            if order is None:
                return HTMLResponse(_page("订单不存在 / No such order", ""), status_code=404)
            if order.state != "open":
                return HTMLResponse(_page(_STATE_WORDS.get(order.state, order.state), ""))
            button = (
                f'<form method="post" action="/pay/{html.escape(order_id)}">'
                f'<button type="submit">确认支付 ¥{order.amount:.2f} / Pay</button></form>'
            )
            return HTMLResponse(_page(f"{html.escape(order.subject)}<br>¥{order.amount:.2f}", button))

        @app.post("/pay/{order_id}", response_class=HTMLResponse)
        def pay(order_id: str):
            order = sim.pay(order_id)
            if order is None:
                return HTMLResponse(_page("订单不存在 / No such order", ""), status_code=404)
            return HTMLResponse(_page(_STATE_WORDS.get(order.state, order.state), ""))

        @app.post("/control")
        async def control(request: Request):
            """{"fail_next": int, "hold": bool, "duplicates": int, "delay_seconds": float,
            "bad_signature": bool}: any of them; the faults as they now stand come back."""
            try:
                data = await request.json()
                for key, value in data.items():
                    if not hasattr(sim.faults, key):
                        raise ValueError(key)
                    setattr(sim.faults, key, type(getattr(sim.faults, key))(value))
            except (ValueError, TypeError, AttributeError) as exc:
                return JSONResponse({"error": {"code": "bad_control", "what": str(exc)}}, status_code=422)
            return vars(sim.faults)

        @app.post("/control/release")
        def release():
            return {"released": sim.release()}

        @app.get("/health")
        def health():
            return {"status": "ok", "orders": len(sim.orders)}

        return app


_STATE_WORDS = {
    "paid": "支付成功 / Paid",
    "failed": "支付失败 / Payment failed",
    "closed": "订单已关闭 / Order closed",
}


def _page(message: str, action: str) -> str:
    return (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>模拟支付 Payment simulator</title><style>body{font-family:sans-serif;text-align:center;"
        "padding:2em;font-size:1.3em}button{font-size:1.3em;padding:.8em 2em}</style></head>"
        f"<body><h1>模拟支付平台</h1><p>{message}</p>{action}"
        "<p><small>OneVisit payment simulator — no money moves</small></p></body></html>"
    )
