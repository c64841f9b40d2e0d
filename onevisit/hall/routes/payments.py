"""城乡居民养老缴费 through the hall (docs/payment.md): the kiosk makes, polls and cancels orders;
the payment platform notifies here with a signed callback. The hall, not the kiosk, settles."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from onevisit.core.identity import parse_id
from onevisit.devices.payment import SIGNATURE_HEADER, BadNotification
from onevisit.hall.deps import KioskOnly
from onevisit.hall.live.payments import PaymentDesk, PaymentNotConfigured
from onevisit.hall.schemas import IdempotencyKey, PaymentOrderIn

log = logging.getLogger(__name__)
router = APIRouter()


def _desk(request: Request) -> PaymentDesk:
    desk = getattr(request.app.state, "payments", None)
    if desk is None:
        raise PaymentNotConfigured()
    return desk


@router.post("/api/payments/orders", tags=["kiosk"])
def create_order(
    body: PaymentOrderIn, request: Request, principal: KioskOnly, idempotency_key: IdempotencyKey = None
) -> dict[str, Any]:
    """An order for the year's level: open in records, placed on the platform; answers its
    `pay_url` (the kiosk's QR). A repeated Idempotency-Key names the same order."""
    desk = _desk(request)
    key = idempotency_key or f"{principal.name}:{body.id_number}:{body.year}:{body.amount}"
    view = desk.create(parse_id(body.id_number), body.year, Decimal(body.amount), f"{principal.name}:{key}")
    return view.to_dict()


@router.get("/api/payments/orders/{order_id}", tags=["kiosk"])
def order_status(order_id: str, request: Request, principal: KioskOnly) -> dict[str, Any]:
    """The order as records hold it: open, paid or cancelled."""
    return _desk(request).status(order_id[:64]).to_dict()


@router.post("/api/payments/orders/{order_id}/cancel", tags=["kiosk"])
def cancel_order(order_id: str, request: Request, principal: KioskOnly) -> dict[str, Any]:
    """The kiosk gave up waiting: closed on the platform, cancelled in records (or settled, if it
    was paid meanwhile)."""
    return _desk(request).cancel(order_id[:64]).to_dict()


@router.post("/api/payments/notify", tags=["payment platform"])
async def notify(
    request: Request,
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=200)] = None,
) -> Any:
    """The platform's signed notification (HMAC-SHA256 of the raw body). A bad signature: 401,
    logged, nothing read. Duplicates and late ones change nothing (settled once per order id)."""
    desk = _desk(request)
    body = await request.body()
    if len(body) > 16 * 1024:
        return JSONResponse({"error": {"code": "bad_notification"}}, status_code=413)
    try:
        return await run_in_threadpool(desk.notified, body, signature)
    except BadNotification as exc:
        peer = request.client.host if request.client else "?"
        log.warning("payment notification from %s refused: %s", peer, exc.code)
        raise
