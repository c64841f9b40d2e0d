"""The JSON API under /api: login, tickets (kiosks), window actions (staff), supervision, public reads.

Each write is one queue-service call run on the service thread: the queue's transaction is the unit
of work, so a refused or failed request leaves nothing half-done.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi import Path as PathParam

from onevisit.hall.deps import HallDep, Staffish, Supervisor, check_window, current_principal, require
from onevisit.hall.schemas import ERRORS, FinishIn, IssueIn, LoginIn, LoginOut, MatterIn, RatingIn, TransferIn
from onevisit.hall.stores.accounts import Principal

router = APIRouter(prefix="/api", responses=ERRORS)

TicketNumber = Annotated[
    str, PathParam(pattern=r"^[A-Za-z][0-9]{1,5}$", max_length=6, description="ticket number, e.g. A012")
]
WindowNumber = Annotated[int, PathParam(ge=1, le=999, description="window number")]
IdempotencyKey = Annotated[
    str | None,
    Header(max_length=100, description="one per button press: a repeat returns the first answer"),
]
Kiosk = Annotated[Principal, Depends(require("kiosk", "supervisor"))]
Lookup = Annotated[Principal, Depends(require("kiosk", "staff", "supervisor"))]


# -- auth -------------------------------------------------------------------------------------


@router.post("/auth/login", tags=["auth"])
def login(body: LoginIn, request: Request, hall: HallDep) -> LoginOut:
    """Exchange a user name and password for an expiring bearer token."""
    address = request.client.host if request.client else "unknown"
    session = hall.accounts.login(body.username, body.password, address)
    p = session.principal
    return LoginOut(
        token=session.token,
        role=p.role,
        name=p.name,
        window=p.window,
        expires_at=session.expires_at.isoformat(timespec="seconds"),
    )


@router.post("/auth/logout", tags=["auth"])
def logout(
    request: Request, hall: HallDep, principal: Annotated[Principal, Depends(current_principal)]
) -> dict:
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    hall.accounts.logout(token)
    return {"ok": True}


@router.get("/auth/me", tags=["auth"])
async def me(principal: Annotated[Principal, Depends(current_principal)]) -> dict:
    return {"role": principal.role, "name": principal.name, "window": principal.window}


# -- public reads ---------------------------------------------------------------------------


@router.get("/availability", tags=["public"])
async def availability(hall: HallDep) -> dict:
    """Per matter: open now?, tickets left today, people waiting, estimated wait, the windows serving it."""
    avail = await hall.gate.read(hall.service.availability)
    out = []
    for matter in hall.config.matters:
        a = avail[matter.code].to_dict()
        out.append(
            {
                **a,
                "name_zh": matter.name_zh,
                "name_en": matter.name_en,
                "group_zh": matter.group_zh,
                "prefix": matter.prefix,
                "cutoff": matter.cutoff,
                "materials_zh": list(matter.materials_zh),
                "materials_en": list(matter.materials_en),
            }
        )
    return {"matters": out}


@router.get("/status", tags=["public"])
async def status(hall: HallDep) -> dict:
    """The hall at a glance for displays: waiting per matter, windows, recent calls, the 过号 list."""
    return _public_status(hall, await hall.gate.read(hall.service.status))


def _public_status(hall, status: dict[str, Any]) -> dict[str, Any]:
    labels = {w.number: (w.label_zh, w.label_en) for w in hall.config.windows}
    for window in status["windows"]:
        window.pop("staff", None)  # staff names are not for the hall TV
        window["label_zh"], window["label_en"] = labels.get(window["number"], ("", ""))
    status["hall"] = {"name": hall.config.hall.name, "name_en": hall.config.hall.name_en}
    # The TV shows the hall's time (its clock may be a demo clock, its browser in another zone).
    now = hall.clock.now()
    status["now"] = now.isoformat(timespec="seconds")
    status["utc_offset_minutes"] = int(now.utcoffset().total_seconds() // 60) if now.utcoffset() else 0
    return status


@router.get("/public/tickets/{number}", tags=["public"])
async def public_ticket(number: TicketNumber, hall: HallDep, c: Annotated[str, Query(max_length=16)]) -> dict:
    """A ticket's live status for the citizen's phone (number + printed code); no personal data."""

    def read() -> dict:
        ticket = hall.service.ticket_by_code(number, c)
        position = hall.service.position(ticket)
        return {
            "number": ticket.number,
            "day": ticket.day,
            "state": str(ticket.state),
            "current_matter": ticket.to_dict()["current_matter"],
            "position": position.to_dict(),
            "steps": [
                {"matter": s.matter, "state": str(s.state), "window": s.window}
                for s in ticket.steps
                if str(s.state) != "cancelled" or ticket.state == "cancelled"
            ],
        }

    return await hall.gate.read(read)


# -- kiosks -----------------------------------------------------------------------------------


@router.post("/tickets", status_code=201, tags=["tickets"])
async def issue(body: IssueIn, response: Response, hall: HallDep, principal: Kiosk) -> dict:
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
    }


@router.get("/tickets/{number}", tags=["tickets"])
async def ticket(number: TicketNumber, hall: HallDep, principal: Lookup) -> dict:
    def read() -> dict:
        t = hall.service.ticket(number)
        return {"ticket": t.to_dict(), "position": hall.service.position(t).to_dict()}

    return await hall.gate.read(read)


@router.post("/tickets/{number}/checkin", tags=["tickets"])
async def checkin(number: TicketNumber, hall: HallDep, principal: Lookup) -> dict:
    """Re-check-in after 过号: the ticket re-enters its queue a few places back."""
    return await _ticket_write(hall, hall.service.checkin, number, principal.actor)


@router.post("/tickets/{number}/matters", tags=["tickets"])
async def add_matter(number: TicketNumber, body: MatterIn, hall: HallDep, principal: Staffish) -> dict:
    return await _ticket_write(hall, hall.service.add_matter, number, body.matter, principal.actor)


@router.post("/tickets/{number}/cancel", tags=["tickets"])
async def cancel(number: TicketNumber, hall: HallDep, principal: Staffish) -> dict:
    return await _ticket_write(hall, hall.service.cancel, number, principal.actor)


async def _ticket_write(hall, fn, *args) -> dict:
    def run() -> dict:
        t = fn(*args)
        return {"ticket": t.to_dict(), "position": hall.service.position(t).to_dict()}

    return await hall.gate.write(run)


# -- windows ----------------------------------------------------------------------------------


@router.get("/windows/{window}", tags=["windows"])
async def window_view(window: WindowNumber, hall: HallDep, principal: Staffish) -> dict:
    """The window console's view: the window, its current ticket, and who waits for its matters."""
    check_window(principal, window)

    def read() -> dict:
        status = hall.service.window_status(window)
        current = hall.service.ticket(status.current_number) if status.current_number else None
        avail = hall.service.availability()
        return {
            "window": status.to_dict(),
            "ticket": current.to_dict() if current else None,
            "waiting": [
                {
                    "code": code,
                    "name_zh": hall.config.matter(code).name_zh,
                    "name_en": hall.config.matter(code).name_en,
                    "waiting": avail[code].waiting,
                }
                for code in status.matters
            ],
        }

    return await hall.gate.read(read)


def _window_action(name: str, doc: str):
    async def action(
        window: WindowNumber,
        hall: HallDep,
        principal: Staffish,
        idempotency_key: IdempotencyKey = None,
    ) -> dict:
        check_window(principal, window)
        fn = getattr(hall.service, {"call": "call_next"}.get(name, name))
        return await _window_write(hall, window, name, idempotency_key, fn, window, principal.actor)

    action.__name__ = f"window_{name}"
    action.__doc__ = doc
    router.post(f"/windows/{{window}}/{name}", tags=["windows"], name=f"window_{name}")(action)


async def _window_write(hall, window: int, name: str, key: str | None, fn, *args) -> dict:
    def run() -> dict:
        result = fn(*args)
        status = hall.service.window_status(window)
        if hasattr(result, "steps"):
            return {"ticket": result.to_dict(), "window": status.to_dict()}
        current = hall.service.ticket(status.current_number) if status.current_number else None
        return {"ticket": current.to_dict() if current else None, "window": status.to_dict()}

    return await hall.gate.write_once(f"{window}:{name}", key, run)


for _name, _doc in (
    ("call", "Call the next citizen for this window's matters (叫号). Send Idempotency-Key per press."),
    ("recall", "Call the current number again (重呼), within the recall limits."),
    ("skip", "The called citizen did not come (过号); they may re-check-in."),
    ("start", "The citizen has arrived; service starts (开始)."),
    ("pause", "Pause the window (暂停): it is not called for."),
    ("resume", "Resume a paused window (恢复)."),
):
    _window_action(_name, _doc)


@router.post("/windows/{window}/call/{number}", tags=["windows"])
async def window_call_number(
    window: WindowNumber,
    number: TicketNumber,
    hall: HallDep,
    principal: Staffish,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """叫指定号: call one particular waiting ticket (an appointment, a citizen standing at the window)."""
    check_window(principal, window)
    return await _window_write(
        hall, window, "call", idempotency_key, hall.service.call_number, window, number, principal.actor
    )


@router.post("/windows/{window}/finish", tags=["windows"])
async def window_finish(
    window: WindowNumber,
    hall: HallDep,
    principal: Staffish,
    body: FinishIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Finish this matter (完成); the same ticket moves on to its next matter, if any."""
    check_window(principal, window)
    outcome = body.outcome if body else None
    return await _window_write(
        hall, window, "finish", idempotency_key, hall.service.finish, window, principal.actor, outcome
    )


@router.post("/windows/{window}/transfer", tags=["windows"])
async def window_transfer(
    window: WindowNumber,
    body: TransferIn,
    hall: HallDep,
    principal: Staffish,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Transfer the current citizen to another matter (转移) with a reason and a note for the next window."""
    check_window(principal, window)
    return await _window_write(
        hall,
        window,
        "transfer",
        idempotency_key,
        hall.service.transfer,
        window,
        body.matter,
        body.placement,
        body.reason,
        body.note,
        principal.actor,
    )


@router.post("/windows/{window}/open", tags=["supervisor"])
async def window_open(window: WindowNumber, hall: HallDep, principal: Supervisor) -> dict:
    return await _window_write(hall, window, "open", None, hall.service.open_window, window, principal.actor)


@router.post("/windows/{window}/close", tags=["supervisor"])
async def window_close(window: WindowNumber, hall: HallDep, principal: Supervisor) -> dict:
    return await _window_write(
        hall, window, "close", None, hall.service.close_window, window, principal.actor
    )


@router.get("/queues", tags=["supervisor"])
async def queues(hall: HallDep, principal: Supervisor) -> dict:
    """Every queue: the hall status plus each matter's availability, and today's ratings."""

    def read() -> dict:
        return {
            "status": hall.service.status(),
            "availability": {k: v.to_dict() for k, v in hall.service.availability().items()},
        }

    out = await hall.gate.read(read)
    out["ratings"] = hall.ratings.summary()
    return out


# -- ratings ----------------------------------------------------------------------------------


@router.get("/ratings/pending", tags=["ratings"])
async def rating_pending(hall: HallDep, window: Annotated[int, Query(ge=1, le=999)]) -> dict:
    """The finished step the window's tablet should ask about now, if any."""
    prompt = hall.ratings.pending(window)
    return {"prompt": prompt.to_dict() if prompt else None}


@router.get("/ratings/summary", tags=["ratings"])
def rating_summary(hall: HallDep, principal: Supervisor) -> dict:
    """Today's ratings per window: count, mean, and how many were 1 or 2."""
    return hall.ratings.summary()


@router.post("/ratings", status_code=201, tags=["ratings"])
def rate(body: RatingIn, hall: HallDep) -> dict:
    """好差评: 1–5 for the step just finished at this window; one rating per step."""
    return hall.ratings.rate(body.window, body.score, body.step_id)
