"""The kiosk's only way to the hall server: every URL and header is built here, never in a screen.

Network trouble becomes HallUnavailable (said plainly to the citizen); a refusal from the hall
becomes HallRefused carrying the hall's own bilingual message and code.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx

from onevisit.core.errors import OneVisitError

log = logging.getLogger(__name__)


class HallUnavailable(OneVisitError):
    status = 503

    def __init__(self, why: str) -> None:
        super().__init__(
            "hall_unavailable",
            "网络异常：暂时连不上大厅服务器，请稍后重试或到咨询台",
            "Network problem: the hall server is not answering; try again or ask at the help desk",
            why=why,
        )


class HallRefused(OneVisitError):
    """The hall answered with an error body; its code and messages are passed through."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        super().__init__(
            error.get("code", f"http_{status}"),
            error.get("message_zh", "大厅服务器拒绝了请求"),
            error.get("message_en", f"The hall server refused the request (HTTP {status})"),
            **(error.get("details") or {}),
        )
        self.status = status


def read_token(path: str | Path | None) -> str | None:
    if not path:
        return None
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        log.warning("kiosk token file %s not found; ticket issue will be refused", path)
        return None


class HallClient:
    def __init__(
        self, base_url: str, token: str | None = None, timeout: float = 5.0, kiosk: str = "kiosk-1"
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.kiosk = kiosk
        headers = {"User-Agent": f"onevisit-kiosk/{kiosk}"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HallClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            log.warning("hall %s %s failed: %s", method, path, type(exc).__name__)
            raise HallUnavailable(f"{type(exc).__name__}: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 500 and not (isinstance(body, dict) and "error" in body):
            raise HallUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise HallRefused(response.status_code, body)
        return body

    def healthy(self) -> bool:
        try:
            return bool(self._call("GET", "/healthz").get("ok"))
        except OneVisitError:
            return False

    def availability(self) -> list[dict[str, Any]]:
        return self._call("GET", "/api/availability")["matters"]

    def take_ticket(
        self,
        matters: list[str] | tuple[str, ...],
        idempotency_key: str,
        id_number: str | None = None,
        declared: str | None = None,
        tag: str | None = None,
    ) -> dict[str, Any]:
        """{created, ticket, position, status_url}. The same key returns the same ticket."""
        body: dict[str, Any] = {"matters": list(matters), "idempotency_key": idempotency_key}
        if id_number:
            body["id_number"] = id_number
        if declared:
            body["declared"] = declared
        if tag:
            body["tag"] = tag
        return self._call("POST", "/api/tickets", json=body)

    def checkin_appointment(self, id_number: str, idempotency_key: str) -> dict[str, Any]:
        """预约签到: {created, already_open, ticket, position, status_url, appointment, slot}.
        The same key returns the same answer; a second check-in returns the same ticket."""
        return self._call(
            "POST",
            "/api/appointments/checkin",
            json={"id_number": id_number, "idempotency_key": idempotency_key},
        )

    def ticket(self, number: str) -> dict[str, Any]:
        return self._call("GET", f"/api/tickets/{number}")

    def checkin(self, number: str, idempotency_key: str | None = None) -> dict[str, Any]:
        """过号重排: {ticket, position}. The same key within a few minutes returns the first answer
        (a retried request never re-queues twice)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        return self._call("POST", f"/api/tickets/{number}/checkin", headers=headers)

    def notify(self, number: str, phone: str) -> dict[str, Any]:
        """到号提醒 for a ticket by SMS: {number, channel, to (138****1234), ahead}. Subscribing
        again replaces the number (the hall keeps one per ticket and channel), so a retry is safe.
        Refusals: bad_phone (422), notify_off, ticket_closed (409)."""
        return self._call("POST", f"/api/tickets/{number}/notify", json={"phone": phone})

    def status(self) -> dict[str, Any]:
        return self._call("GET", "/api/status")

    def payment_order(self, id_number: str, year: int, amount: str, idempotency_key: str) -> dict[str, Any]:
        """城乡居民养老缴费: {order_id, amount, state, pay_url, ...}; the same key, the same order."""
        return self._call(
            "POST",
            "/api/payments/orders",
            json={"id_number": id_number, "year": year, "amount": amount},
            headers={"Idempotency-Key": idempotency_key},
        )

    def payment_status(self, order_id: str) -> dict[str, Any]:
        """{order_id, state: open|paid|cancelled, ...} as records hold it."""
        return self._call("GET", f"/api/payments/orders/{order_id}")

    def payment_cancel(self, order_id: str) -> dict[str, Any]:
        """Give up waiting: the hall closes the order on the platform and cancels it in records
        (or settles it, when it was paid meanwhile); answers the order."""
        return self._call("POST", f"/api/payments/orders/{order_id}/cancel")

    def selfservice(self, kind: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
        """Report a visit that ended (or failed) at the kiosk, for the hall's statistics."""
        clean = {
            k: v for k, v in (data or {}).items() if isinstance(v, str | int | float | bool) or v is None
        }
        return self._call("POST", "/api/selfservice", json={"kind": kind, "data": clean})

    def heartbeat(self, devices: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Device states (and version, last_error, command results: onevisit.kiosk.heartbeat);
        the answer carries a technician's commands for this kiosk."""
        body = {"kiosk": self.kiosk, "devices": devices, **extra}
        return self._call("POST", "/api/kiosks/heartbeat", json=body)
