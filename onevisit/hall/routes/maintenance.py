"""/maintenance and its API: kiosk heartbeats in, every device's state and alerts out, the
technician's actions, and a day's device log to download.

Roles: kiosks post heartbeats; technicians read and act. Nothing here answers with a citizen's data:
device states carry device words only, texts are redacted on the way in, and the board texts
shown are what the public boards show anyway (numbers and windows).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from onevisit.assets import WEB
from onevisit.core import logs
from onevisit.core.errors import OneVisitError
from onevisit.hall.deps import KioskOnly, MaintenanceDep, Technician
from onevisit.hall.http_errors import Conflict, NotFound
from onevisit.hall.live.device_watch import MaintenanceError
from onevisit.hall.schemas import BoardTestIn, Day, HeartbeatIn, KioskName

log = logging.getLogger(__name__)


router = APIRouter()


def _refusal(err: MaintenanceError, **details: Any) -> OneVisitError:
    code = str(err)
    if code == "boards_disabled":
        return Conflict(code, "本大厅未启用叫号显示屏", "The boards are not enabled in this hall", **details)
    if code == "board_unknown":
        return NotFound(code, "没有这个地址的显示屏", "No board with this address", **details)
    if code == "kiosk_unknown":
        return NotFound(code, "没有这台自助机", "No kiosk with this name", **details)
    return Conflict(code, "操作失败", "The action failed", **details)


# -- kiosks -----------------------------------------------------------------------------------


@router.post("/api/kiosks/heartbeat", tags=["kiosk"])
def heartbeat(body: HeartbeatIn, request: Request, m: MaintenanceDep, kiosk: KioskOnly) -> dict[str, Any]:
    """A kiosk's devices every `kiosk.heartbeat_seconds`; the answer carries a technician's
    commands for it (test print, paper replaced) until the kiosk reports their results."""
    if body.kiosk.lower() != kiosk.name.lower():
        # The token says who is calling; a kiosk.name in config.toml that differs is only noted.
        log.info("heartbeat from kiosk %s names itself %s", kiosk.name, body.kiosk)
    address = request.client.host if request.client else None
    commands = m.heartbeat(kiosk.name, body.model_dump(), address)
    return {
        "ok": True,
        "kiosk": kiosk.name,
        "commands": commands,
        "heartbeat_seconds": m.config.kiosk.heartbeat_seconds,
    }


# -- the technician's page and API -------------------------------------------------------------


@router.get("/maintenance", include_in_schema=False)
def maintenance_page() -> FileResponse:
    return FileResponse(
        WEB / "maintenance.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/api/maintenance/overview", tags=["maintenance"])
def overview(m: MaintenanceDep, who: Technician) -> dict[str, Any]:
    """Every device with its state, since when and its recent errors; the alerts; recent events."""
    return m.overview()


@router.get("/api/maintenance/status", tags=["public"])
def public_status(m: MaintenanceDep) -> dict[str, Any]:
    """Board link and per-address states only (for `onevisit doctor` on the hall machine)."""
    return m.public_status()


@router.post("/api/maintenance/boards/test", tags=["maintenance"], status_code=202)
def board_test(body: BoardTestIn, m: MaintenanceDep, who: Technician) -> dict[str, Any]:
    """Each board shows `NNN 测试 8888` (its own address) for a few seconds, then its text again."""
    try:
        boards = m.board_test(body.address, who.actor)
    except MaintenanceError as err:
        raise _refusal(err, address=body.address) from None
    return {"ok": True, "boards": boards, "seconds": m.config.maintenance.test_pattern_seconds}


@router.post("/api/maintenance/boards/resend", tags=["maintenance"], status_code=202)
def board_resend(m: MaintenanceDep, who: Technician) -> dict[str, Any]:
    """Every board gets its current text again (after swapping or rebooting a board)."""
    try:
        m.resend_boards(who.actor)
    except MaintenanceError as err:
        raise _refusal(err) from None
    return {"ok": True}


def _kiosk_action(action: str, doc: str):
    def act(kiosk: KioskName, m: MaintenanceDep, who: Technician) -> dict[str, Any]:
        try:
            command = m.kiosk_command(kiosk, action, who.actor)
        except MaintenanceError as err:
            raise _refusal(err, kiosk=kiosk) from None
        return {
            "ok": True,
            "command": command,
            "kiosk": kiosk,
            "action": action,
            "within_seconds": m.config.kiosk.heartbeat_seconds,
        }

    act.__doc__ = doc
    act.__name__ = f"kiosk_{action}"
    return act


router.add_api_route(
    "/api/maintenance/kiosks/{kiosk}/test-print",
    _kiosk_action("test_print", "The kiosk prints its self-test page at its next heartbeat."),
    methods=["POST"],
    status_code=202,
    tags=["maintenance"],
)
router.add_api_route(
    "/api/maintenance/kiosks/{kiosk}/paper-replaced",
    _kiosk_action(
        "paper_replaced", "Records a new roll; the kiosk re-reads its printer at its next heartbeat."
    ),
    methods=["POST"],
    status_code=202,
    tags=["maintenance"],
)


@router.get("/api/maintenance/logs/{day}", tags=["maintenance"], response_class=Response)
def device_log(day: Day, request: Request, m: MaintenanceDep, who: Technician) -> Response:
    """The day's device log (JSON lines: printers, boards, voice, cameras, card readers, kiosks'
    heartbeats), redacted again on the way out."""
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise OneVisitError("bad_date", "日期无效", f"Not a date: {day}", date=day) from None
    folder = logs.log_dir(m.config)
    lines = logs.device_log(folder, "hall", date)
    # The hall's device events of that day too: kiosks' state changes reach the hall only as these.
    lines += [logs.redact(json.dumps({"event": e}, ensure_ascii=False)) for e in m.store.events_on(date)]
    body = "\n".join(lines)
    log.info("device log of %s downloaded by %s", day, who.actor, extra={"device": "logs"})
    return Response(
        body + ("\n" if body else ""),
        media_type="application/x-ndjson; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="onevisit-devices-{day}.jsonl"'},
    )
