"""`RecordsBackend` over HTTP: a province's records service (or `onevisit records serve`).

The contract, route by route, is in docs/records.md ("The HTTP contract"); the JSON shapes are
in `onevisit.records.wire`. Every call is `POST {url}/v1/<route>` with the full ID number in the
JSON body, never in the URL, so it stays out of access logs and proxies; this module logs only
the route, the status and the masked number.

What the citizen gets when it goes wrong: 404 `person_not_found` → PersonNotFound; 409
`record_incomplete` → RecordIncomplete; 409 `not_pensioner` → NotAPensioner; 409
`card_not_issued` → CardNotIssued; a timeout (to
connect, or to answer: `records.timeout_seconds` each), a refused connection, a 5xx, a 401/403,
any other status, or a body that does not follow the contract → BackendUnavailable, whose
bilingual message sends the citizen to a window.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

import httpx

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber
from onevisit.records import wire
from onevisit.records.backend import (
    BackendUnavailable,
    CardNotIssued,
    CardStatus,
    CertificationResult,
    Contribution,
    Enrollment,
    NotAPensioner,
    NotResident,
    PaymentOrder,
    PaymentRefused,
    PensionStatus,
    Person,
    PersonNotFound,
    RecordIncomplete,
    ResidentPensionYear,
)
from onevisit.records.months import parse_month

log = logging.getLogger(__name__)

#: Contract version: the first path segment under the base URL.
API = "v1"
#: Largest answer read (a reference photo is the biggest: a few hundred kB).
MAX_BODY = 16 * 1024 * 1024
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def read_token(config: Any) -> str | None:
    """The bearer token `[records]` gives (`token`, or the first line of `token_file`), or None.

    Raises OneVisitError `records_token_missing` when the token file cannot be read."""
    records = config.records
    if not records.token_file:
        return records.token or None
    path = config.path(records.token_file)
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError as exc:
        raise OneVisitError(
            "records_token_missing",
            "社保业务系统的访问凭证文件无法读取",
            f"Cannot read the records service token file {path}: {exc.strerror}",
        ) from None


def _aware(at: dt.datetime) -> None:
    # the contract's times carry their offset; a naive one is our bug, not the service's outage
    if at.tzinfo is None:
        raise ValueError("a time sent to the records service must carry its UTC offset")


class HttpRecordsBackend:
    """The records contract over HTTP with httpx; thread-safe (the kiosk calls from worker threads).

    `url` is the service's base URL (`records.url`); `timeout` seconds apply to connecting and,
    again, to waiting for the answer; `token` is sent as `Authorization: Bearer …` when given.
    `transport` is for tests that need an httpx transport of their own.
    """

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 5.0,
        token: str | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        headers = {"Accept": "application/json", "User-Agent": "onevisit-records/1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(
            base_url=f"{self.url}/{API}/",
            timeout=httpx.Timeout(timeout),
            headers=headers,
            transport=transport,
            follow_redirects=False,
        )

    @classmethod
    def from_config(cls, config: Any) -> HttpRecordsBackend:
        """From `[records]` (type "http"): url, timeout_seconds, token or token_file."""
        return cls(config.records.url, timeout=config.records.timeout_seconds, token=read_token(config))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpRecordsBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the RecordsBackend methods ---------------------------------------------------------------

    def find_person(self, id_number: IdNumber) -> Person:
        return self._decode("person", id_number, lambda body: wire.person_from_json(body, id_number))

    def enrollments(self, id_number: IdNumber) -> list[Enrollment]:
        return self._decode("enrollments", id_number, wire.enrollments_from_json)

    def contributions(
        self, id_number: IdNumber, since: str | None = None, until: str | None = None
    ) -> list[Contribution]:
        """Monthly records, oldest first; `since`/`until` are inclusive YYYY-MM bounds (or None)."""
        for bound in (since, until):
            if bound is not None:
                parse_month(bound)  # ValueError, as the demo backend raises
        return self._decode(
            "contributions", id_number, wire.contributions_from_json, since=since, until=until
        )

    def pension_status(self, id_number: IdNumber) -> PensionStatus:
        return self._decode("pension-status", id_number, wire.pension_from_json)

    def reference_photo(self, id_number: IdNumber) -> bytes:
        """The enrolled photo: the service answers the image itself (image/jpeg or image/png)."""
        response = self._post("reference-photo", id_number, {})
        data = response.content
        kind = next((k for magic, k in _IMAGE_MAGIC.items() if data.startswith(magic)), None)
        if kind is None:
            raise self._garbage("reference-photo", "the answer is not a JPEG or PNG image")
        return data

    def record_certification(self, id_number: IdNumber, result: CertificationResult) -> PensionStatus:
        """Store an attempt; a pass extends `certified_until`. Returns the new status."""
        status = self._decode(
            "certifications", id_number, wire.pension_from_json, result=wire.certification_to_json(result)
        )
        log.info("certification recorded for %s: passed=%s", id_number.masked, result.passed)
        return status

    def card_status(self, id_number: IdNumber) -> CardStatus:
        return self._decode("card-status", id_number, wire.card_status_from_json)

    def report_card_loss(self, id_number: IdNumber, at: dt.datetime, channel: str) -> CardStatus:
        """临时挂失 (idempotent on the service's side); `at` must carry its UTC offset (ValueError)."""
        _aware(at)
        status = self._decode(
            "card-loss", id_number, wire.card_status_from_json, at=at.isoformat(), channel=channel
        )
        log.info("card loss reported for %s via %s", id_number.masked, channel)
        return status

    def cancel_card_loss(self, id_number: IdNumber, at: dt.datetime, window: str) -> CardStatus:
        """解除挂失 at a window (idempotent); `at` must carry its UTC offset (ValueError)."""
        _aware(at)
        status = self._decode(
            "card-loss-reversal", id_number, wire.card_status_from_json, at=at.isoformat(), window=window
        )
        log.info("card loss cancelled for %s at %s", id_number.masked, window)
        return status

    def resident_pension_year(self, id_number: IdNumber, year: int) -> ResidentPensionYear:
        return self._decode("resident-pension", id_number, wire.resident_year_from_json, year=year)

    def create_payment_order(
        self, id_number: IdNumber, year: int, amount: Decimal, order_id: str, at: dt.datetime
    ) -> PaymentOrder:
        """Idempotent by `order_id` on the service's side; `at` must carry its UTC offset (ValueError)."""
        _aware(at)
        return self._decode(
            "payment-orders",
            id_number,
            wire.order_from_json,
            year=year,
            amount=wire.money(amount),
            order_id=order_id,
            at=at.isoformat(),
        )

    def payment_order(self, order_id: str) -> PaymentOrder:
        return self._order_call("payment-order", order_id)

    def settle_payment_order(self, order_id: str, at: dt.datetime, reference: str) -> PaymentOrder:
        _aware(at)
        return self._order_call("payment-order-settle", order_id, at=at.isoformat(), reference=reference)

    def cancel_payment_order(self, order_id: str, at: dt.datetime) -> PaymentOrder:
        _aware(at)
        return self._order_call("payment-order-cancel", order_id, at=at.isoformat())

    def _order_call(self, route: str, order_id: str, **fields: Any) -> PaymentOrder:
        # keyed by the order id alone: the hall settles a notification that carries no ID number
        response = self._send(route, {"order_id": order_id, **fields}, None)
        try:
            return wire.order_from_json(response.json())
        except (ValueError, wire.WireError) as exc:
            raise self._garbage(route, str(exc)[:200]) from None

    def health(self) -> dict[str, Any]:
        """`GET {url}/v1/health` → {"status": "ok", ...}, for doctor and the demo; raises BackendUnavailable."""
        try:
            response = self._client.get("health")
        except httpx.HTTPError as exc:
            raise self._down("health", exc) from None
        if response.status_code != 200:
            raise self._unavailable("health", f"answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise self._garbage("health", "the answer is not JSON") from None
        if not isinstance(body, dict) or body.get("status") != "ok":
            raise self._garbage("health", "no status ok")
        return body

    # -- plumbing ---------------------------------------------------------------------------------

    def _decode(self, route: str, id_number: IdNumber, decode: Any, **fields: Any) -> Any:
        response = self._post(route, id_number, fields)
        try:
            return decode(response.json())
        except (ValueError, wire.WireError) as exc:  # JSONDecodeError is a ValueError
            raise self._garbage(route, str(exc)[:200]) from None

    def _post(self, route: str, id_number: IdNumber, fields: dict[str, Any]) -> httpx.Response:
        return self._send(route, {"id_number": id_number.value, **fields}, id_number)

    def _send(self, route: str, body: dict[str, Any], id_number: IdNumber | None) -> httpx.Response:
        try:
            response = self._client.post(route, json=body)
        except httpx.HTTPError as exc:
            raise self._down(route, exc) from None
        if len(response.content) > MAX_BODY:
            raise self._garbage(route, "the answer is too large")
        if response.status_code == 200:
            return response
        raise self._refusal(route, id_number, response)

    def _refusal(self, route: str, id_number: IdNumber | None, response: httpx.Response) -> Exception:
        status = response.status_code
        code, details = "", {}
        try:
            error = response.json()["error"]
            code = error["code"] if isinstance(error["code"], str) else ""
            details = error.get("details") or {}
        except (ValueError, KeyError, TypeError):
            pass
        masked = id_number.masked if id_number is not None else "-"
        if status == 409 and code == "not_resident":
            return NotResident()
        if status == 409 and code in PaymentRefused.MESSAGES:
            return PaymentRefused(code)
        if status == 404 and code == "person_not_found":
            log.info("records service: no person for %s", masked)
            return PersonNotFound()
        if status == 409 and code == "record_incomplete":
            what = details.get("what") if isinstance(details, dict) else None
            log.info("records service: record of %s incomplete (%s)", masked, what)
            return RecordIncomplete(what if isinstance(what, str) and what else "record")
        if status == 409 and code == "not_pensioner":
            return NotAPensioner()
        if status == 409 and code == "card_not_issued":
            return CardNotIssued()
        # Anything else is the service or its wiring failing (a 404 without our code is a wrong
        # base URL, not a missing person): the citizen goes to a window either way.
        return self._unavailable(route, f"answered HTTP {status}{f' {code}' if code else ''}")

    def _down(self, route: str, exc: httpx.HTTPError) -> BackendUnavailable:
        if isinstance(exc, httpx.TimeoutException):
            why = f"no answer within {self.timeout:g} s ({type(exc).__name__})"
        else:
            why = f"cannot reach {self.url}: {type(exc).__name__}"
        return self._unavailable(route, why)

    def _garbage(self, route: str, why: str) -> BackendUnavailable:
        return self._unavailable(route, f"answer breaks the contract: {why}")

    def _unavailable(self, route: str, why: str) -> BackendUnavailable:
        log.warning("records service %s/%s: %s", self.url, route, why)
        return BackendUnavailable(f"{route}: {why}")
