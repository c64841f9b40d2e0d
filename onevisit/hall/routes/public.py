"""Public reads under /api, no token: what the kiosk's menu, the hall TV and a citizen's phone show.

Nothing here answers with personal data: staff names are dropped for the TV, and a ticket's
status needs the short code printed on it.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from onevisit.hall.deps import Hall, HallDep
from onevisit.hall.schemas import ERRORS, TicketNumber

router = APIRouter(prefix="/api", responses=ERRORS, tags=["public"])


@router.get("/availability")
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


@router.get("/status")
async def status(hall: HallDep) -> dict:
    """The hall at a glance for displays: waiting per matter, windows, recent calls, the 过号 list."""
    return _public_status(hall, await hall.gate.read(hall.service.status))


def _public_status(hall: Hall, status: dict[str, Any]) -> dict[str, Any]:
    labels = {w.number: (w.label_zh, w.label_en) for w in hall.config.windows}
    for window in status["windows"]:
        window.pop("staff", None)  # staff names are not for the hall TV
        window["label_zh"], window["label_en"] = labels.get(window["number"], ("", ""))
    status["hall"] = {"name": hall.config.hall.name, "name_en": hall.config.hall.name_en}
    status["display"] = {"language_button": hall.config.hall.display.language_button}
    # The TV shows the hall's time (its clock may be a demo clock, its browser in another zone).
    now = hall.clock.now()
    status["now"] = now.isoformat(timespec="seconds")
    status["utc_offset_minutes"] = int(now.utcoffset().total_seconds() // 60) if now.utcoffset() else 0
    return status


@router.get("/public/tickets/{number}")
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
                # transfer_reason: staff's short reason (需补缴), shown as 已转出（需补缴）; never the note.
                {
                    "matter": s.matter,
                    "state": str(s.state),
                    "window": s.window,
                    "transfer_reason": s.transfer_reason,
                }
                for s in ticket.steps
                if str(s.state) != "cancelled" or ticket.state == "cancelled"
            ],
            # 到号提醒 on the phone page: offered or not, and the masked numbers already subscribed
            "notify": hall.notify_on,
            "notify_to": [s.masked for s in hall.notices.of_ticket(ticket.day, ticket.number)]
            if hall.notices is not None
            else [],
        }

    return await hall.gate.read(read)
