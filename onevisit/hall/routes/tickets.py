"""/api/tickets: one ticket for the whole visit — issued at a kiosk, read, re-checked-in after
过号, given another matter or cancelled by staff.

Each write is one queue-service call run on the service thread: the queue's transaction is the unit
of work, so a refused or failed request leaves nothing half-done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response

from onevisit.hall.deps import Hall, HallDep, KioskOrSupervisor, Lookup, Staffish, Supervisor
from onevisit.hall.schemas import ERRORS, IdempotencyKey, IssueIn, MatterIn, MoveIn, TicketNumber

router = APIRouter(prefix="/api/tickets", responses=ERRORS, tags=["tickets"])


@router.post("", status_code=201)
async def issue(body: IssueIn, response: Response, hall: HallDep, principal: KioskOrSupervisor) -> dict:
    """Issue one ticket for the whole visit. A repeated idempotency key returns the same ticket (200)."""

    def run() -> tuple[Any, Any]:
        result = hall.service.issue(
            body.matters,
            id_number=body.id_number,
            declared=body.declared,
            idempotency_key=body.idempotency_key,
            source=f"{principal.role}:{principal.name}",
            tag=body.tag,
            appointment_at=body.appointment_at,
            actor=principal.actor,
        )
        return result, hall.service.position(result.ticket)

    result, position = await hall.gate.write(run)
    if not result.created:
        response.status_code = 200
    ticket = result.ticket
    return {
        "created": result.created,
        "ticket": ticket.to_dict(),
        "position": position.to_dict(),
        "status_url": f"{hall.config.hall.public_url.rstrip('/')}/t/{ticket.number}?c={ticket.short_code}",
        "notify": hall.notify_on,  # the kiosk offers 到号提醒 after the ticket
    }


@router.get("/{number}")
async def ticket(number: TicketNumber, hall: HallDep, principal: Lookup) -> dict:
    def read() -> dict:
        t = hall.service.ticket(number)
        return {"ticket": t.to_dict(), "position": hall.service.position(t).to_dict()}

    return await hall.gate.read(read)


@router.post("/{number}/checkin")
async def checkin(
    number: TicketNumber, hall: HallDep, principal: Lookup, idempotency_key: IdempotencyKey = None
) -> dict:
    """Re-check-in after 过号: the ticket re-enters its queue a few places back. Send an
    Idempotency-Key per press: a repeated key answers as the first request did (a kiosk's retry
    or double tap re-queues once, and never turns into "not missed")."""
    return await _ticket_write(
        hall, hall.service.checkin, number, principal.actor, once=(f"checkin:{number}", idempotency_key)
    )


@router.post("/{number}/matters")
async def add_matter(number: TicketNumber, body: MatterIn, hall: HallDep, principal: Staffish) -> dict:
    return await _ticket_write(hall, hall.service.add_matter, number, body.matter, principal.actor)


@router.post("/{number}/cancel")
async def cancel(number: TicketNumber, hall: HallDep, principal: Staffish) -> dict:
    return await _ticket_write(hall, hall.service.cancel, number, principal.actor)


@router.post("/{number}/move")
async def move(number: TicketNumber, body: MoveIn, hall: HallDep, principal: Supervisor) -> dict:
    """Supervisor: move a waiting ticket to another matter's queue (its step becomes 转出) or, for the
    same matter, to the front, the end or its arrival place. 409 `ticket_not_waiting` otherwise."""
    return await _ticket_write(
        hall, hall.service.move, number, body.matter, body.placement, body.reason, principal.actor
    )


async def _ticket_write(
    hall: Hall, fn: Callable[..., Any], *args: Any, once: tuple[str, str | None] = ("", None)
) -> dict:
    """`once` = (scope, idempotency key): with a key, a repeat within the gate's memory returns
    the first run's answer (ServiceGate.write_once)."""

    def run() -> dict:
        t = fn(*args)
        return {"ticket": t.to_dict(), "position": hall.service.position(t).to_dict()}

    return await hall.gate.write_once(once[0], once[1], run)
