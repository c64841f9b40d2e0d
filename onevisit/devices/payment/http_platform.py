"""The simulated platform's HTTP protocol (docs/payment.md), spoken with httpx.

`POST {url}/v1/orders` {"order_id", "amount", "subject", "notify_url"}; `POST {url}/v1/orders/query`
{"order_id"}; `POST {url}/v1/orders/close` {"order_id"}; each answers {"order_id", "state",
"pay_url", "amount"}. Requests carry the body's HMAC in `X-OneVisit-Signature`.
"""

from __future__ import annotations

import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from onevisit.devices.payment import (
    PLATFORM_STATES,
    SIGNATURE_HEADER,
    PaymentUnavailable,
    PlatformOrder,
    sign,
)

log = logging.getLogger(__name__)


class HttpPaymentPlatform:
    def __init__(self, url: str, secret: str, *, timeout: float = 5.0) -> None:
        self.url = url.rstrip("/")
        self.secret = secret
        self._client = httpx.Client(base_url=self.url, timeout=httpx.Timeout(timeout), follow_redirects=False)

    def close_client(self) -> None:
        self._client.close()

    def create_order(
        self, order_id: str, amount: Decimal, subject: str, notify_url: str | None
    ) -> PlatformOrder:
        return self._call(
            "/v1/orders",
            {"order_id": order_id, "amount": f"{amount:.2f}", "subject": subject, "notify_url": notify_url},
        )

    def query(self, order_id: str) -> PlatformOrder:
        return self._call("/v1/orders/query", {"order_id": order_id})

    def close(self, order_id: str) -> PlatformOrder:
        return self._call("/v1/orders/close", {"order_id": order_id})

    def _call(self, path: str, body: dict[str, Any]) -> PlatformOrder:
        data = json.dumps(body, ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(self.secret, data)}
        try:
            response = self._client.post(path, content=data, headers=headers)
        except httpx.HTTPError as exc:
            log.warning("payment platform %s%s: %s", self.url, path, type(exc).__name__)
            raise PaymentUnavailable(f"{path}: {type(exc).__name__}") from None
        if response.status_code != 200:
            log.warning("payment platform %s%s answered HTTP %d", self.url, path, response.status_code)
            raise PaymentUnavailable(f"{path}: HTTP {response.status_code}")
        try:
            answer = response.json()
            state = answer["state"]
            if state not in PLATFORM_STATES:
                raise ValueError("state")
            return PlatformOrder(
                order_id=str(answer["order_id"]),
                state=state,
                pay_url=str(answer["pay_url"]),
                amount=Decimal(answer["amount"]),
            )
        except (ValueError, KeyError, TypeError, InvalidOperation):
            log.warning("payment platform %s%s: the answer breaks the protocol", self.url, path)
            raise PaymentUnavailable(f"{path}: the answer breaks the protocol") from None
