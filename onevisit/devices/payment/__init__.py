"""Payment platforms for 城乡居民养老缴费: one small interface, a driver chosen by URL (as printers).

- `PaymentPlatform`: create an order (→ the URL a phone opens to pay, shown as a QR), query it,
  close it. Order states on the platform: open, paid, failed, closed.
- `open_payment(url, secret)`: `http://` / `https://` → `HttpPaymentPlatform`, the protocol of the
  simulated platform (`onevisit pay-sim`, docs/payment.md); a real platform gets a driver of its own.
- Every message both ways is signed: HMAC-SHA256 of the raw body with the shared `[payment] secret`,
  hex, in the `X-OneVisit-Signature` header. `parse_notification` checks it before reading anything.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Protocol
from urllib.parse import urlsplit

from onevisit.core.errors import OneVisitError

SIGNATURE_HEADER = "X-OneVisit-Signature"
#: Platform order states: paid, failed and closed are final.
PLATFORM_STATES = ("open", "paid", "failed", "closed")


def sign(secret: str, body: bytes) -> str:
    """HMAC-SHA256 of `body` with `secret`, lower-case hex."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(secret: str, body: bytes, signature: str | None) -> bool:
    """Whether `signature` is `body`'s, compared in constant time."""
    return bool(signature) and hmac.compare_digest(sign(secret, body), (signature or "").strip().lower())


class PaymentUnavailable(OneVisitError):
    status = 503

    def __init__(self, why: str = "") -> None:
        super().__init__(
            "payment_unavailable",
            "缴费平台暂时无法连接，请稍后再试或到窗口办理",
            "The payment platform cannot be reached; try again later or go to a window",
            why=why,
        )


class BadNotification(OneVisitError):
    """A notification refused: `code` bad_signature (401) or bad_notification (422)."""

    def __init__(self, code: str, why: str) -> None:
        self.status = 401 if code == "bad_signature" else 422
        super().__init__(code, "支付通知无效", f"Payment notification refused: {why}", why=why)


@dataclass(frozen=True)
class PlatformOrder:
    order_id: str
    state: str  # one of PLATFORM_STATES
    pay_url: str  # what the citizen's phone opens (the QR on the kiosk)
    amount: Decimal


@dataclass(frozen=True)
class Notification:
    """What the platform tells the hall: the order `order_id` is now `state` (paid or failed)."""

    order_id: str
    state: str
    amount: Decimal
    reference: str  # the platform's transaction id
    at: dt.datetime


def parse_notification(secret: str, body: bytes, signature: str | None) -> Notification:
    """Check the signature over the raw bytes, then read {"order_id", "state": paid|failed,
    "amount": money string, "reference", "at": time with offset}. Raises BadNotification."""
    if not signed(secret, body, signature):
        raise BadNotification("bad_signature", "the signature does not match")
    try:
        data = json.loads(body)
        state = data["state"]
        if state not in ("paid", "failed"):
            raise ValueError("state")
        at = dt.datetime.fromisoformat(data["at"])
        if at.tzinfo is None:
            raise ValueError("at without offset")
        return Notification(
            order_id=str(data["order_id"])[:64],
            state=state,
            amount=Decimal(data["amount"]),
            reference=str(data["reference"])[:100],
            at=at,
        )
    except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
        raise BadNotification("bad_notification", f"not a notification ({type(exc).__name__})") from None


class PaymentPlatform(Protocol):
    def create_order(
        self, order_id: str, amount: Decimal, subject: str, notify_url: str | None
    ) -> PlatformOrder:
        """Idempotent by `order_id`. Raises PaymentUnavailable."""
        ...

    def query(self, order_id: str) -> PlatformOrder: ...

    def close(self, order_id: str) -> PlatformOrder:
        """Close an open order so it can no longer be paid; a paid one stays paid (the answer says)."""
        ...


def open_payment(url: str, secret: str, timeout: float = 5.0) -> PaymentPlatform:
    """The driver for `url`'s scheme. Raises OneVisitError `payment_url` for an unknown scheme."""
    scheme = urlsplit(url).scheme
    if scheme in ("http", "https"):
        from onevisit.devices.payment.http_platform import HttpPaymentPlatform

        return HttpPaymentPlatform(url, secret, timeout=timeout)
    raise OneVisitError(
        "payment_url", "缴费平台地址无效", f"payment url {url!r}: scheme must be http or https", url=url
    )


def from_config(config) -> PaymentPlatform | None:
    """The platform `[payment]` names, or None when no url is set."""
    p = config.payment
    return open_payment(p.url, p.secret, p.timeout_seconds) if p.url else None
