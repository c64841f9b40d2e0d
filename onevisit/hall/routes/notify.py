"""到号提醒 subscriptions: the kiosk after the ticket, or the citizen on the ticket's phone page.

The answer shows the address masked (138****1234) and never echoes the full number.
"""

from __future__ import annotations

from fastapi import APIRouter

from onevisit.core.errors import OneVisitError
from onevisit.core.phone import normalize_phone
from onevisit.hall.deps import Hall, HallDep, KioskOrSupervisor
from onevisit.hall.schemas import ERRORS, NotifyIn, PublicNotifyIn, TicketNumber
from onevisit.queue.models import CLOSED_TICKET_STATES

router = APIRouter(prefix="/api", responses=ERRORS, tags=["notify"])


class NotifyRefused(OneVisitError):
    status = 409


async def _subscribe(hall: Hall, ticket, body: NotifyIn, source: str) -> dict:
    if not hall.notify_on:
        raise NotifyRefused("notify_off", "本大厅未开通到号提醒", "This hall does not send notices")
    if ticket.state in CLOSED_TICKET_STATES:
        raise NotifyRefused("ticket_closed", "该号码已办结，无需提醒", "This ticket's visit has ended")
    if (body.phone is None) == (body.wechat_openid is None):
        raise NotifyRefused(
            "notify_one_address",
            "请填写手机号码或使用微信扫码",
            "Give a mobile number or subscribe with WeChat",
        )
    if body.phone is not None:
        channel, address = "sms", normalize_phone(body.phone)
    else:
        channel, address = "wechat", str(body.wechat_openid)
    sub = hall.notices.subscribe(ticket.day, ticket.number, channel, address, source)
    if hall.notice_watch is not None:
        await hall.notice_watch.on_subscribed(sub)
    return {"number": ticket.number, "channel": channel, "to": sub.masked, "ahead": hall.config.notify.ahead}


@router.post("/tickets/{number}/notify", status_code=201)
async def subscribe_at_kiosk(
    number: TicketNumber, body: NotifyIn, hall: HallDep, principal: KioskOrSupervisor
) -> dict:
    """到号提醒 at the kiosk, right after the ticket: notices when near, when called, when 过号."""
    ticket = await hall.gate.read(hall.service.ticket, number)
    return await _subscribe(hall, ticket, body, principal.actor)


@router.post("/public/tickets/{number}/notify", status_code=201, tags=["public"])
async def subscribe_on_phone(number: TicketNumber, body: PublicNotifyIn, hall: HallDep) -> dict:
    """到号提醒 from the ticket's phone page (number + printed code, no login)."""
    ticket = await hall.gate.read(hall.service.ticket_by_code, number, body.c)
    return await _subscribe(hall, ticket, body, "phone")
