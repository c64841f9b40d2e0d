"""/api/windows: a window's console view and its actions — call, recall, 过号, start, finish,
transfer, pause — and the supervisor's opening and closing of a window.

Staff act for their own window only (deps.check_window). A press carries an Idempotency-Key, so a
double tap or a retried request gets the first press's answer and calls no second citizen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter

from onevisit.hall.deps import Hall, HallDep, Staffish, Supervisor, check_window
from onevisit.hall.schemas import ERRORS, FinishIn, IdempotencyKey, TicketNumber, TransferIn, WindowNumber

router = APIRouter(prefix="/api/windows", responses=ERRORS)


@router.get("/{window}", tags=["windows"])
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
            "queue": hall.service.waiting_list(window),
        }

    return await hall.gate.read(read)


def _window_action(name: str, doc: str) -> None:
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
    router.post(f"/{{window}}/{name}", tags=["windows"], name=f"window_{name}")(action)


async def _window_write(
    hall: Hall, window: int, name: str, key: str | None, fn: Callable[..., Any], *args: Any
) -> dict:
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


@router.post("/{window}/call/{number}", tags=["windows"])
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


@router.post("/{window}/finish", tags=["windows"])
async def window_finish(
    window: WindowNumber,
    hall: HallDep,
    principal: Staffish,
    body: FinishIn | None = None,
    idempotency_key: IdempotencyKey = None,
) -> dict:
    """Finish this matter (完成); the same ticket moves on to its next matter, if any. `next` says
    where the citizen goes now: `{matter, name_zh, name_en, windows, ahead}`, or null at the end."""
    check_window(principal, window)
    outcome = body.outcome if body else None

    def run() -> dict:
        ticket = hall.service.finish(window, principal.actor, outcome)
        return {
            "ticket": ticket.to_dict(),
            "window": hall.service.window_status(window).to_dict(),
            "next": _next_stop(hall, ticket),
        }

    return await hall.gate.write_once(f"{window}:finish", idempotency_key, run)


def _next_stop(hall: Hall, ticket: Any) -> dict | None:
    """Where the citizen goes after this window: the matter now queued and the open windows serving
    it (for "已转入 待遇申领/核定，请到 1、2、5、6 号窗口等候"); None when the visit is over."""
    step = ticket.current_step
    if step is None:
        return None
    position = hall.service.position(ticket)
    matter = hall.config.matter(step.matter)
    return {
        "matter": step.matter,
        "name_zh": matter.name_zh,
        "name_en": matter.name_en,
        "windows": position.windows,
        "ahead": position.ahead,
    }


@router.post("/{window}/transfer", tags=["windows"])
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
        functools.partial(hall.service.transfer, return_after=body.return_after),
        window,
        body.matter,
        body.placement,
        body.reason,
        body.note,
        principal.actor,
    )


# Opening and closing a window staffs the hall: the supervisor's decision, under their tag.


@router.post("/{window}/open", tags=["supervisor"])
async def window_open(window: WindowNumber, hall: HallDep, principal: Supervisor) -> dict:
    return await _window_write(hall, window, "open", None, hall.service.open_window, window, principal.actor)


@router.post("/{window}/close", tags=["supervisor"])
async def window_close(window: WindowNumber, hall: HallDep, principal: Supervisor) -> dict:
    return await _window_write(
        hall, window, "close", None, hall.service.close_window, window, principal.actor
    )
