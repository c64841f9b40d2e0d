"""预约签到 over HTTP: supervisors book, list and cancel; a kiosk checks a citizen in.

The check-in runs on the queue-service thread (hall.gate), like every ticket issue, so the
booking's state and its ticket are decided in one place and a twin request waits its turn.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException

from onevisit.core.sheets import MAX_BYTES
from onevisit.hall.deps import HallDep, KioskOrSupervisor, Supervisor
from onevisit.hall.schemas import ERRORS, AppointmentId, AppointmentIn, CheckinIn, ImportIn
from onevisit.hall.stores.appointments import ImportRefused, check_in

router = APIRouter(prefix="/api/appointments", responses=ERRORS, tags=["appointments"])


@router.post("", status_code=201)
def book(body: AppointmentIn, hall: HallDep, principal: Supervisor) -> dict:
    """Book a slot for a citizen: within opening hours and the matter's cut-off, today or later,
    known matters, one booking per person and day."""
    return hall.appointments.book(body.id_number, body.matters, body.slot, principal.actor).to_dict()


#: What /openapi.json shows for the two bodies the import takes.
_IMPORT_BODIES = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": ImportIn.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "CSV (UTF-8, GB18030, UTF-16 'Unicode 文本') or .xlsx",
                        }
                    },
                }
            },
        },
    }
}


@router.post("/import", status_code=201, openapi_extra=_IMPORT_BODIES)
async def import_list(request: Request, hall: HallDep, principal: Supervisor) -> dict:
    """A list from the provincial booking system: JSON {"csv": text}, or a multipart/form-data
    upload with a `file` field holding the file as Excel or WPS saved it (CSV in any of their
    encodings, or .xlsx; see docs/imports.md). Bad rows are named by line and field; a file with
    any bad row imports nothing (400 bad_rows)."""
    content_type = request.headers.get("content-type", "")
    # A form posted without a file part (urlencoded) is read as a form too: it gets "choose a file".
    if content_type.startswith(("multipart/form-data", "application/x-www-form-urlencoded")):
        data, filename = await _uploaded_file(request)

        def run() -> list:
            return hall.appointments.import_file(data, principal.actor, filename=filename)
    else:
        body = await _json_body(request)

        def run() -> list:
            return hall.appointments.import_csv(body.csv, principal.actor)

    booked = await run_in_threadpool(run)
    return {"imported": len(booked), "appointments": [a.to_dict() for a in booked]}


async def _json_body(request: Request) -> ImportIn:
    try:
        raw = await request.body()
        return ImportIn.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None


async def _uploaded_file(request: Request) -> tuple[bytes, str | None]:
    try:
        form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_BYTES)
    except (HTTPException, MultiPartException, ValueError) as exc:
        raise ImportRefused(
            "bad_upload",
            "上传内容无法解析，请重新选择文件上传",
            f"The upload could not be read ({getattr(exc, 'detail', None) or exc}); choose the file again",
        ) from None
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ImportRefused(
            "no_file",
            "请选择要导入的文件（表单字段 file）",
            "Choose a file to import (form field `file`)",
        )
    data = await upload.read(MAX_BYTES + 1)
    await form.close()
    return data, upload.filename


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
    who already has an open ticket today keeps it (already_open) and gets no second one.

    With a region configured, a citizen with no booking here today whose booking is at another hall
    has it moved here first (at most `[region] claim_timeout_seconds`, off the queue's thread); the
    region down or slow gives the ordinary no_appointment_today answer."""
    if hall.appointments.claimer is not None:
        await run_in_threadpool(hall.appointments.claim_from_region, body.id_number)

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
