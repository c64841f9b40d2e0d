"""预约签到 over HTTP: supervisors book, list and cancel; a kiosk checks a citizen in.

The check-in runs on the queue-service thread (hall.gate), like every ticket issue, so the
booking's state and its ticket are decided in one place and a twin request waits its turn.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from onevisit.hall.deps import HallDep, KioskOrSupervisor, Supervisor
from onevisit.hall.schemas import ERRORS, AppointmentId, AppointmentIn, CheckinIn, ImportIn
from onevisit.hall.stores.appointments import check_in

router = APIRouter(prefix="/api/appointments", responses=ERRORS, tags=["appointments"])


@router.post("", status_code=201)
def book(body: AppointmentIn, hall: HallDep, principal: Supervisor) -> dict:
    """Book a slot for a citizen: within opening hours and the matter's cut-off, today or later,
    known matters, one booking per person and day."""
    return hall.appointments.book(body.id_number, body.matters, body.slot, principal.actor).to_dict()


@router.post("/import", status_code=201)
def import_list(body: ImportIn, hall: HallDep, principal: Supervisor) -> dict:
    """A list from the provincial booking system (CSV text). Bad rows are named by line; a file
    with any bad row imports nothing."""
    booked = hall.appointments.import_csv(body.csv, principal.actor)
    return {"imported": len(booked), "appointments": [a.to_dict() for a in booked]}


@router.get("")
def listing(
    hall: HallDep,
    principal: Supervisor,
    day: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today")] = None,
) -> dict:
    """The day's bookings by slot, with masked ID numbers only."""
    day_text = day.isoformat() if day else hall.clock.now().date().isoformat()
    items = hall.appointments.day(day_text)
    counts = {state: sum(a.state == state for a in items) for state in ("booked", "checked_in", "cancelled")}
    return {"day": day_text, "counts": counts, "appointments": [a.to_dict() for a in items]}


@router.post("/{appointment_id}/cancel")
def cancel(appointment_id: AppointmentId, hall: HallDep, principal: Supervisor) -> dict:
    """Cancel a booking not yet checked in (a checked-in one is cancelled as a ticket)."""
    return hall.appointments.cancel(appointment_id, principal.actor).to_dict()


@router.post("/checkin", status_code=201)
async def checkin(body: CheckinIn, response: Response, hall: HallDep, principal: KioskOrSupervisor) -> dict:
    """Check today's booking in: the same answer as POST /api/tickets plus the booking and its
    slot. A second check-in (or the same idempotency key) returns the same ticket (200); a citizen
    who already has an open ticket today keeps it (already_open) and gets no second one."""

    def run() -> dict[str, Any]:
        result = check_in(
            hall.appointments,
            hall.service,
            body.id_number,
            source=f"{principal.role}:{principal.name}",
            actor=principal.actor,
        )
        return {
            "created": result.created,
            "already_open": result.already_open,
            "ticket": result.ticket.to_dict(),
            "position": hall.service.position(result.ticket).to_dict(),
            "appointment": result.appointment.to_dict(),
            "slot": result.appointment.slot,
        }

    out = await hall.gate.write_once("appointment-checkin", body.idempotency_key, run)
    out = dict(out)
    ticket = out["ticket"]
    out["status_url"] = (
        f"{hall.config.hall.public_url.rstrip('/')}/t/{ticket['number']}?c={ticket['short_code']}"
    )
    out["notify"] = hall.notify_on
    if out["already_open"]:
        out["notice"] = {
            "message_zh": f"您今天已有号码 {ticket['number']}，预约签到不再另发新号",
            "message_en": f"You already have number {ticket['number']} today; check-in adds no second ticket",
        }
    if not out["created"]:
        response.status_code = 200
    return out
