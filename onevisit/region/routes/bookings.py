"""Central bookings: region staff book for any hall; halls pull theirs and report check-ins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from onevisit.region import deps
from onevisit.region.bookings import RegionBookings

router = APIRouter(prefix="/api/bookings")


def bookings(request: Request) -> RegionBookings:
    return request.app.state.bookings


BookingsDep = Annotated[RegionBookings, Depends(bookings)]


class Book(BaseModel):
    model_config = ConfigDict(extra="forbid")
    hall: str = Field(pattern=r"^[A-Za-z0-9_]{1,40}$")
    id_number: str = Field(min_length=1, max_length=40)
    matters: list[str] = Field(min_length=1, max_length=5)
    slot: AwareDatetime


class Checkin(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str = Field(min_length=10, max_length=40)
    ticket_number: str | None = Field(None, max_length=32)


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")
    person_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    day: dt.date


@router.post("")
def book(*, body: Book, actor: deps.StaffCaller, store: BookingsDep) -> dict[str, Any]:
    """Book a citizen at a hall: the booking (masked ID; the full number is not kept)."""
    return store.book(body.hall, body.id_number, body.matters, body.slot, f"region:{actor}")


@router.get("")
def listing(
    *,
    hall: str | None = Query(None, pattern=r"^[A-Za-z0-9_]{1,40}$"),
    _actor: deps.StaffCaller,
    store: BookingsDep,
) -> dict[str, Any]:
    return {"bookings": store.all(hall)}


@router.get("/pull")
def pull(
    *,
    after: int = Query(0, ge=0),
    hall: deps.HallCaller,
    store: BookingsDep,
) -> dict[str, Any]:
    """{"bookings", "seq", "more"}: the hall's bookings changed after its cursor."""
    return store.pull(hall, after)


@router.post("/claim")
def claim(*, body: Claim, hall: deps.HallCaller, store: BookingsDep) -> dict[str, Any]:
    return {"booking": store.claim(hall, body.person_hash, body.day.isoformat())}


@router.post("/{booking_id}/checkin")
def checkin(
    *,
    booking_id: int,
    body: Checkin,
    hall: deps.HallCaller,
    store: BookingsDep,
) -> dict[str, Any]:
    return store.check_in(hall, booking_id, body.at, body.ticket_number)


@router.post("/{booking_id}/cancel")
def cancel(*, booking_id: int, actor: deps.StaffCaller, store: BookingsDep) -> dict[str, Any]:
    return store.cancel(booking_id, f"region:{actor}")
