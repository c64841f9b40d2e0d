"""Request and response bodies and the shared request parameters of the hall API: what
/openapi.json documents and what is validated, each declared once for every route that uses it."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import Header, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from onevisit.core.typed import parse_datetime_text
from onevisit.stats.selfservice import KINDS

# -- parameters ---------------------------------------------------------------------------------

#: As typed: a1, A01, A001 and ａ００１ are one ticket. The queue parses it (onevisit.queue.numbers)
#: and answers 422 bad_ticket_number with bilingual words when it is no number at all.
#: The largest integer SQLite stores: a bigger id or count in a request is a 422, not an OverflowError.
SQL_INT_MAX = 2**63 - 1
TicketNumber = Annotated[
    str,
    PathParam(min_length=1, max_length=24, description="ticket number, e.g. A012 (a12, Ａ０１２ accepted)"),
]
WindowNumber = Annotated[int, PathParam(ge=1, le=999, description="window number")]
AppointmentId = Annotated[int, PathParam(ge=1, le=2**62, description="the booking's id")]
KioskName = Annotated[str, PathParam(pattern=r"^[^\s:/]{1,64}$", description="registered kiosk name")]
Day = Annotated[str, PathParam(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD")]
DayQuery = Annotated[
    str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; default today")
]
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=100, description="one per button press: a repeat returns the first answer"),
]

# -- bodies -------------------------------------------------------------------------------------


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LoginIn(Body):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginOut(BaseModel):
    token: str
    role: str
    name: str
    window: int | None
    expires_at: str


class IssueIn(Body):
    matters: list[str] = Field(min_length=1, max_length=5, description="matter codes in visiting order")
    id_number: str | None = Field(None, max_length=32, description="18-character ID number; kept only hashed")
    declared: str | None = Field(None, max_length=32, description="declared priority: disability, veteran …")
    idempotency_key: str = Field(
        min_length=1, max_length=100, description="the same key returns the same ticket"
    )
    tag: str | None = Field(None, max_length=300, description="what the citizen tried at the kiosk")
    appointment_at: dt.datetime | None = None


class MatterIn(Body):
    matter: str = Field(min_length=1, max_length=32)


class FinishIn(Body):
    outcome: str | None = Field(None, max_length=100)


class TransferIn(Body):
    matter: str = Field(min_length=1, max_length=32, description="the matter the citizen goes on to")
    placement: Literal["original", "front", "end"] = "original"
    reason: str = Field(min_length=1, max_length=100)
    note: str | None = Field(None, max_length=500, description="for the receiving window")
    return_after: bool = Field(
        False, description="queue this matter again after the new one (same number): 办完再回来"
    )


class MoveIn(Body):
    """The supervisor moves a waiting ticket: another matter, or the same one to another place."""

    matter: str = Field(min_length=1, max_length=32, description="the matter to wait for")
    placement: Literal["original", "front", "end"] = "original"
    reason: str = Field(min_length=1, max_length=100)


class RatingIn(Body):
    window: int = Field(ge=1, le=999)
    score: int = Field(ge=1, le=5)
    step_id: int | None = Field(
        None, ge=1, le=SQL_INT_MAX, description="the step the tablet showed; guards against a race"
    )


# -- appointments (预约签到) ------------------------------------------------------------------


def _typed_datetime(value: Any) -> Any:
    """A slot as a clerk types it (2026/11/23 10:30, 2026年11月23日 10:30, full-width digits) read
    by the one date-time parser; anything else is left to pydantic, which names the field."""
    if isinstance(value, str) and len(value) <= 64:
        try:
            return parse_datetime_text(value)
        except (ValueError, OverflowError):
            return value
    return value


class AppointmentIn(Body):
    id_number: str = Field(min_length=1, max_length=32, description="18-character ID; kept only hashed")
    matters: list[str] = Field(min_length=1, max_length=5, description="matter codes in visiting order")
    slot: Annotated[dt.datetime, BeforeValidator(_typed_datetime)] = Field(
        description="2026-11-23T10:30 (also 2026/11/23 10:30, 2026年11月23日 10:30); without a zone it is"
        " the hall's local time"
    )


class CheckinIn(Body):
    id_number: str = Field(min_length=1, max_length=32, description="as read from the card or typed")
    idempotency_key: str = Field(
        min_length=1, max_length=100, description="one per press: a repeat gets the same answer"
    )


class ImportIn(Body):
    csv: str = Field(min_length=1, max_length=2_000_000, description="header id_number,matters,slot")


# -- the kiosk's self-service report ---------------------------------------------------------


class SelfServiceIn(Body):
    kind: str = Field(description=f"one of {sorted(KINDS)}", max_length=60)
    data: dict[str, str | int | float | bool | None] = Field(default_factory=dict, max_length=10)


# -- 城乡居民养老缴费 --------------------------------------------------------------------------


class PaymentOrderIn(Body):
    id_number: str = Field(
        min_length=18, max_length=18, description="the citizen's ID number (to records only)"
    )
    year: int = Field(ge=2000, le=2100)
    amount: str = Field(
        pattern=r"^\d{1,6}(\.\d{1,2})?$", description='the chosen level in yuan, e.g. "500.00"'
    )


# -- the heartbeat contract and the technician's actions --------------------------------------


class DeviceReport(Body):
    """One kiosk device as the kiosk sees it. Device words only: no citizen's data."""

    state: Literal["ok", "warning", "error", "offline", "missing", "unknown"]
    code: str | None = Field(
        None, pattern=r"^[a-z][a-z0-9_]{0,39}$", description="fault code, e.g. paper_out"
    )
    url: str | None = Field(None, max_length=300)
    detail: str = Field("", max_length=300)
    paper: Literal["ok", "near_end", "out", "unknown"] | None = None
    frames: int | None = Field(None, ge=0, le=SQL_INT_MAX)
    bad_frames: int | None = Field(None, ge=0, le=SQL_INT_MAX)


class LastError(Body):
    at: str = Field(max_length=40)
    message: str = Field(max_length=500)


class CommandResult(Body):
    id: int = Field(ge=1, le=SQL_INT_MAX)
    ok: bool
    detail: str = Field("", max_length=300)


class HeartbeatIn(Body):
    kiosk: str = Field(min_length=1, max_length=64, description="the kiosk's configured name")
    devices: dict[Literal["printer", "documents", "camera", "card_reader"], DeviceReport] = Field(
        default_factory=dict
    )
    version: str | None = Field(None, max_length=40)
    started_at: str | None = Field(None, max_length=40)
    last_error: LastError | None = None
    results: list[CommandResult] = Field(default_factory=list, max_length=20)


class BoardTestIn(Body):
    address: int | None = Field(None, ge=1, le=254, description="one board; all boards when absent")


# -- certificate check (/verify) --------------------------------------------------------------


class VerifyRequest(Body):
    """Either the QR text (`payload`, bare or the verify URL) or `serial` with `code`."""

    payload: str | None = Field(None, max_length=4000)
    serial: str | None = Field(None, max_length=40)
    code: str | None = Field(None, max_length=20)


# -- errors -----------------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


class NotifyIn(Body):
    """到号提醒 for one ticket: a mobile number (11 digits; full-width digits, spaces and +86 are
    accepted) or a WeChat openid (from the official account's subscription link)."""

    phone: str | None = Field(None, max_length=32)
    wechat_openid: str | None = Field(None, min_length=6, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")


class PublicNotifyIn(NotifyIn):
    """The same from the citizen's phone page: the code printed on the ticket proves it is theirs."""

    c: str = Field(min_length=1, max_length=16)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422, 429)
}
