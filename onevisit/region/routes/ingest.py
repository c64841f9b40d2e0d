"""The shippers' API: the mark, a batch, a supersede (hall token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from onevisit.region import deps
from onevisit.region.wire import COLUMNS

router = APIRouter(prefix="/api/ingest")

EPOCH = r"^[0-9a-f]{8,64}(~[0-9]{1,6})?$"


class EventRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=1)
    at: str = Field(max_length=64)
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    number: str | None = Field(None, max_length=32)
    window: int | None = None
    matter: str | None = Field(None, max_length=64)
    data: str = Field(max_length=200_000)


class RatingRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=1)
    step_id: int
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    number: str = Field(max_length=32)
    window: int
    matter: str | None = Field(None, max_length=64)
    score: int = Field(ge=1, le=5)
    at: str = Field(max_length=64)


class SelfServiceRow(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int = Field(ge=1)
    at: str = Field(max_length=64)
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$")
    actor: str = Field(max_length=200)
    kind: str = Field(max_length=64)
    data: str = Field(max_length=20_000)


class Rows(BaseModel):
    model_config = ConfigDict(extra="forbid")
    events: list[EventRow] = Field(default_factory=list, max_length=10_000)
    ratings: list[RatingRow] = Field(default_factory=list, max_length=10_000)
    selfservice: list[SelfServiceRow] = Field(default_factory=list, max_length=10_000)


class Batch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    incarnation: str = Field(pattern=EPOCH)
    rows: Rows


class Supersede(BaseModel):
    model_config = ConfigDict(extra="forbid")
    incarnation: str = Field(pattern=EPOCH)
    reason: str = Field(min_length=1, max_length=500)


@router.get("/mark")
def mark(
    *,
    epoch: str = Query(pattern=r"^[0-9a-f]{8,64}$"),
    hall: deps.HallCaller,
    contact: deps.ContactDep,
    store: deps.StoreDep,
) -> dict[str, Any]:
    """{"incarnation", "streams": {stream: {"id", "digest"}}, "previous": […], "clock_skew_s"}."""
    return store.mark(hall, epoch, hall_time=contact.hall_time, rtt=contact.rtt)


@router.post("/batch")
def batch(
    *,
    body: Batch,
    hall: deps.HallCaller,
    contact: deps.ContactDep,
    store: deps.StoreDep,
) -> dict[str, Any]:
    """One transaction: {"inserted": {stream: n}, "duplicates": n, "clock_skew_s"}."""
    rows = {
        stream: [r.model_dump(include=set(COLUMNS[stream])) for r in getattr(body.rows, stream)]
        for stream in COLUMNS
    }
    return store.ingest(hall, body.incarnation, rows, hall_time=contact.hall_time, rtt=contact.rtt)


@router.post("/supersede")
def supersede(*, body: Supersede, hall: deps.HallCaller, store: deps.StoreDep) -> dict[str, Any]:
    return {"superseded": store.supersede(hall, body.incarnation, f"hall {hall}: {body.reason}")}
