"""Request and response bodies of the hall API: what /openapi.json documents and what is validated."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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


class RatingIn(Body):
    window: int = Field(ge=1, le=999)
    score: int = Field(ge=1, le=5)
    step_id: int | None = Field(None, ge=1, description="the step the tablet showed; guards against a race")


class ErrorDetail(BaseModel):
    code: str
    message_zh: str
    message_en: str
    details: dict[str, Any] | None = None


class ErrorOut(BaseModel):
    error: ErrorDetail


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 422, 429)
}
