"""The hall owns the settlement of 城乡居民养老缴费 orders (docs/payment.md).

A kiosk asks the hall for an order; the hall makes it in records (open) and on the payment
platform (the QR's URL), and from then on the order's fate is the hall's, not the kiosk's: the
platform's signed notification settles it in records (paid, once: records settle idempotently by
order id, so a duplicate or late notification changes nothing), a failed payment cancels it, and a
kiosk that gives up asks the hall to cancel, which first closes the order on the platform — if the
platform says it was paid after all, the hall settles instead. A kiosk killed between the QR and
the result changes nothing: the notification still reaches the hall.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from onevisit.core.clock import Clock
from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber
from onevisit.devices.payment import PaymentPlatform, parse_notification
from onevisit.records.backend import PaymentOrder, PaymentRefused

log = logging.getLogger(__name__)


class PaymentNotConfigured(OneVisitError):
    # 404, not 503: the hall is fine, it simply offers no payments (nothing to retry)
    status = 404

    def __init__(self) -> None:
        super().__init__(
            "payment_not_configured",
            "本大厅暂未开通自助缴费，请到窗口办理",
            "Paying at the kiosk is not set up in this hall; please go to a window",
        )


@dataclass
class OrderView:
    order: PaymentOrder
    pay_url: str = ""

    def to_dict(self) -> dict[str, Any]:
        o = self.order
        return {
            "order_id": o.order_id,
            "id_masked": o.id_masked,
            "year": o.year,
            "amount": f"{o.amount:.2f}",
            "state": o.state,
            "pay_url": self.pay_url,
            "created_at": o.created_at.isoformat(),
            "settled_at": o.settled_at.isoformat() if o.settled_at else None,
        }


class PaymentDesk:
    """`records` is a RecordsBackend, `platform` a PaymentPlatform; `secret` checks notifications."""

    def __init__(
        self, records: Any, platform: PaymentPlatform, clock: Clock, *, secret: str, notify_url: str | None
    ) -> None:
        self.records = records
        self.platform = platform
        self.clock = clock
        self.secret = secret
        self.notify_url = notify_url

    @staticmethod
    def order_id(day: str, key: str) -> str:
        """One order per kiosk press: the id is derived from the press's idempotency key, so a
        retried request names the same order in records and on the platform."""
        return f"RP{day}{hashlib.sha256(key.encode()).hexdigest()[:16].upper()}"

    def create(self, id_number: IdNumber, year: int, amount: Decimal, key: str) -> OrderView:
        now = self.clock.now()
        order_id = self.order_id(now.strftime("%Y%m%d"), key)
        order = self.records.create_payment_order(id_number, year, amount, order_id, now)
        if order.state == "paid":  # a retried press whose first answer was lost: it is done
            return OrderView(order)
        if order.state == "cancelled":  # a retry of a press that failed: the next press is new
            raise PaymentRefused("order_closed")
        subject = f"{year}年度城乡居民养老保险缴费 {order.id_masked}"
        try:
            placed = self.platform.create_order(order_id, order.amount, subject, self.notify_url)
        except OneVisitError:
            # no QR will show: the order must not stay open in records, half-done
            self.records.cancel_payment_order(order_id, self.clock.now())
            raise
        log.info("payment order %s: %s yuan for %d (%s)", order_id, order.amount, year, order.id_masked)
        return OrderView(self.records.payment_order(order_id), placed.pay_url)

    def status(self, order_id: str) -> OrderView:
        return OrderView(self.records.payment_order(order_id))

    def cancel(self, order_id: str) -> OrderView:
        """Abandoned at the kiosk: close on the platform first, so it can no longer be paid; paid
        meanwhile → settled instead (never paid and cancelled both)."""
        self.records.payment_order(order_id)  # order_not_found before touching the platform
        closed = self.platform.close(order_id)
        now = self.clock.now()
        if closed.state == "paid":
            log.info("payment order %s was paid as the kiosk gave up: settled", order_id)
            return OrderView(self.records.settle_payment_order(order_id, now, f"close:{order_id}"))
        order = self.records.cancel_payment_order(order_id, now)
        log.info("payment order %s cancelled (abandoned at the kiosk)", order_id)
        return OrderView(order)

    def notified(self, body: bytes, signature: str | None) -> dict[str, Any]:
        """A platform notification: signature checked (BadNotification, logged by the route), then
        settled once. Returns what happened: settled, cancelled, unchanged, refused."""
        note = parse_notification(self.secret, body, signature)
        before = self.records.payment_order(note.order_id)
        if note.state == "paid":
            if note.amount != before.amount:
                log.error(
                    "payment order %s: paid %s but the order is %s", note.order_id, note.amount, before.amount
                )
                return {"order_id": note.order_id, "outcome": "refused", "state": before.state}
            try:
                after = self.records.settle_payment_order(note.order_id, note.at, note.reference)
            except PaymentRefused as exc:
                # closed on the platform before it was cancelled here, so this needs a person
                log.error(
                    "payment order %s: paid notice for a %s order (%s): refund",
                    note.order_id,
                    before.state,
                    exc.code,
                )
                return {"order_id": note.order_id, "outcome": "refused", "state": before.state}
        else:
            after = self.records.cancel_payment_order(note.order_id, note.at)
        outcome = (
            "unchanged"
            if after.state == before.state
            else ("settled" if after.state == "paid" else "cancelled")
        )
        log.info("payment order %s: notification %s → %s", note.order_id, note.state, outcome)
        return {"order_id": note.order_id, "outcome": outcome, "state": after.state}
