"""The demo business system as a records service: the HTTP contract of docs/records.md in front
of any `RecordsBackend` (the demo SQLite one in `onevisit records serve`).

It is what a province's integrator builds on their side, and what the demo's kiosk and hall talk
to, so they reach records the way they would in a real hall. Errors are JSON like the hall's:
`{"error": {"code", "message_zh", "message_en", "details"}}` with the status of the error
(404 person_not_found, 409 record_incomplete / not_pensioner / card_not_issued, 503 records_unavailable,
401 unauthorized, 422 invalid_request, 500 internal_error). Full ID numbers arrive in request
bodies only; the access log shows paths, and the backend logs masked numbers.
"""

from __future__ import annotations

import hmac
import logging
from decimal import Decimal
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from onevisit.core.errors import OneVisitError
from onevisit.core.identity import IdNumber, parse_id
from onevisit.hall.http_errors import install as install_errors
from onevisit.records import wire
from onevisit.records.backend import RecordsBackend
from onevisit.records.http_backend import API

log = logging.getLogger(__name__)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IdRequest(_Body):
    id_number: str = Field(min_length=18, max_length=18)


class ContributionsRequest(IdRequest):
    since: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    until: str | None = Field(None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$")


class CertificationRequest(IdRequest):
    result: dict[str, Any]


class CardLossRequest(IdRequest):
    at: str
    channel: str = Field(min_length=1, max_length=60)


class CardLossReversalRequest(IdRequest):
    at: str
    window: str = Field(min_length=1, max_length=60)


class ResidentYearRequest(IdRequest):
    year: int = Field(ge=1990, le=2100)


class OrderCreateRequest(IdRequest):
    year: int = Field(ge=1990, le=2100)
    amount: str = Field(pattern=r"^\d{1,9}(\.\d{1,2})?$")
    order_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    at: str


class OrderRequest(_Body):
    order_id: str = Field(min_length=1, max_length=64)


class OrderSettleRequest(OrderRequest):
    at: str
    reference: str = Field(max_length=100)


class OrderCancelRequest(OrderRequest):
    at: str


class Unauthorized(OneVisitError):
    status = 401

    def __init__(self) -> None:
        super().__init__("unauthorized", "访问凭证无效", "Missing or wrong bearer token")


class InvalidRequest(OneVisitError):
    status = 422

    def __init__(self, what: str) -> None:
        super().__init__("invalid_request", f"请求内容有误：{what}", f"Invalid request: {what}")


def _id(text: str) -> IdNumber:
    # Not checked against today's date: the business system knows whom it holds.
    return parse_id(text)


def create_records_app(backend: RecordsBackend, *, token: str | None = None) -> FastAPI:
    """The service: `POST /v1/{person, enrollments, contributions, pension-status, reference-photo,
    certifications, card-status, card-loss, card-loss-reversal, resident-pension, payment-orders,
    payment-order, payment-order-settle, payment-order-cancel}` and `GET /v1/health`, answering from `backend`. With `token`, every call
    needs `Authorization: Bearer <token>`."""
    app = FastAPI(title="OneVisit records service (demo)", version=API, docs_url=None, redoc_url=None)
    install_errors(app)

    def authorised(request: Request) -> None:
        if token is None:
            return
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            raise Unauthorized()

    guard = [Depends(authorised)]
    prefix = f"/{API}"

    @app.get(f"{prefix}/health", dependencies=guard)
    def health() -> dict[str, Any]:
        """{"status": "ok", "contract": "v1"}; 503 records_unavailable when the system is down."""
        out: dict[str, Any] = {"status": "ok", "contract": API}
        count = getattr(backend, "count_people", None)
        if count is not None:
            out["people"] = count()
        return out

    @app.post(f"{prefix}/person", dependencies=guard)
    def person(body: IdRequest) -> dict[str, Any]:
        return wire.person_to_json(backend.find_person(_id(body.id_number)))

    @app.post(f"{prefix}/enrollments", dependencies=guard)
    def enrollments(body: IdRequest) -> dict[str, Any]:
        rows = backend.enrollments(_id(body.id_number))
        return {"enrollments": [wire.enrollment_to_json(e) for e in rows]}

    @app.post(f"{prefix}/contributions", dependencies=guard)
    def contributions(body: ContributionsRequest) -> dict[str, Any]:
        rows = backend.contributions(_id(body.id_number), since=body.since, until=body.until)
        return {"contributions": [wire.contribution_to_json(c) for c in rows]}

    @app.post(f"{prefix}/pension-status", dependencies=guard)
    def pension_status(body: IdRequest) -> dict[str, Any]:
        return wire.pension_to_json(backend.pension_status(_id(body.id_number)))

    @app.post(f"{prefix}/reference-photo", dependencies=guard)
    def reference_photo(body: IdRequest) -> Response:
        data = backend.reference_photo(_id(body.id_number))
        kind = "image/png" if data.startswith(b"\x89PNG") else "image/jpeg"
        return Response(content=data, media_type=kind)

    @app.post(f"{prefix}/certifications", dependencies=guard)
    def certifications(body: CertificationRequest) -> dict[str, Any]:
        id_number = _id(body.id_number)
        try:
            result = wire.certification_from_json(body.result)
        except wire.WireError as exc:
            raise InvalidRequest(f"result: {exc}") from None
        return wire.pension_to_json(backend.record_certification(id_number, result))

    def _at(body: Any):
        try:
            return wire.aware_time({"at": body.at}, "at")
        except wire.WireError as exc:
            raise InvalidRequest(str(exc)) from None

    @app.post(f"{prefix}/card-status", dependencies=guard)
    def card_status(body: IdRequest) -> dict[str, Any]:
        return wire.card_status_to_json(backend.card_status(_id(body.id_number)))

    @app.post(f"{prefix}/card-loss", dependencies=guard)
    def card_loss(body: CardLossRequest) -> dict[str, Any]:
        status = backend.report_card_loss(_id(body.id_number), _at(body), body.channel)
        return wire.card_status_to_json(status)

    @app.post(f"{prefix}/card-loss-reversal", dependencies=guard)
    def card_loss_reversal(body: CardLossReversalRequest) -> dict[str, Any]:
        status = backend.cancel_card_loss(_id(body.id_number), _at(body), body.window)
        return wire.card_status_to_json(status)

    @app.post(f"{prefix}/resident-pension", dependencies=guard)
    def resident_pension(body: ResidentYearRequest) -> dict[str, Any]:
        return wire.resident_year_to_json(backend.resident_pension_year(_id(body.id_number), body.year))

    @app.post(f"{prefix}/payment-orders", dependencies=guard)
    def create_order(body: OrderCreateRequest) -> dict[str, Any]:
        order = backend.create_payment_order(
            _id(body.id_number), body.year, Decimal(body.amount), body.order_id, _at(body)
        )
        return wire.order_to_json(order)

    @app.post(f"{prefix}/payment-order", dependencies=guard)
    def order(body: OrderRequest) -> dict[str, Any]:
        return wire.order_to_json(backend.payment_order(body.order_id))

    @app.post(f"{prefix}/payment-order-settle", dependencies=guard)
    def settle(body: OrderSettleRequest) -> dict[str, Any]:
        return wire.order_to_json(backend.settle_payment_order(body.order_id, _at(body), body.reference))

    @app.post(f"{prefix}/payment-order-cancel", dependencies=guard)
    def cancel(body: OrderCancelRequest) -> dict[str, Any]:
        return wire.order_to_json(backend.cancel_payment_order(body.order_id, _at(body)))

    return app
