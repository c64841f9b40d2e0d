"""`/t/HALL/DAY/NUMBER?c=CODE`: a ticket seen from the city, saying how current it is.

The hall's own /t page (on its LAN) stays authoritative; this one is built from what the hall has
shipped, so it names the time of the hall's last contact. A wrong code answers exactly as an
unknown ticket (no way to walk through other citizens' numbers).
"""

from __future__ import annotations

import datetime as dt
import hmac
import json

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse

from onevisit.hall.pages import Safe, escape, join, render
from onevisit.region import deps
from onevisit.stats.timeline import fold_steps

router = APIRouter()

STATES = {
    "waiting": ("等候中", "waiting"),
    "called": ("已叫号", "called"),
    "serving": ("办理中", "being served"),
    "done": ("已办结", "done"),
    "transferred": ("已转出", "transferred"),
    "skipped": ("已过号", "missed (过号)"),
    "cancelled": ("已取消", "cancelled"),
    "pending": ("未开始", "not started"),
}


def _short_code(data: str) -> str | None:
    for change in json.loads(data).get("changes", []):
        if change.get("t") == "tickets" and "insert" in change:
            return change["insert"].get("short_code")
    return None


def _age_words(seconds: float | None) -> tuple[str, str]:
    if seconds is None:
        return "尚未收到该大厅的数据", "no data from this hall yet"
    minutes = int(seconds // 60)
    if minutes < 1:
        return "数据为最新（1 分钟内）", "data is current (under a minute old)"
    return f"数据更新于 {minutes} 分钟前", f"data is {minutes} min old"


@router.get("/t/{hall}/{day}/{number}", response_class=HTMLResponse)
def ticket_page(
    *,
    hall: str = Path(pattern=r"^[A-Za-z0-9_]{1,40}$"),
    day: str = Path(pattern=r"^\d{4}-\d{2}-\d{2}$"),
    number: str = Path(pattern=r"^[A-Z]{0,3}\d{1,5}$"),
    c: str = Query("", max_length=32),
    store: deps.StoreDep,
    request: Request,
) -> HTMLResponse:
    settings = request.app.state.settings
    events: list[dict] = []
    for _, incarnation in store.live_incarnations(hall):
        rows = [r for r in store.rows("events", hall, incarnation, day) if r["number"] == number]
        issued = next((r for r in rows if r["kind"] == "ticket.issued"), None)
        code = _short_code(issued["data"]) if issued else None
        if code and c and hmac.compare_digest(code.encode(), c.encode()):
            events = rows
            break
    if not events:
        page = render(
            "city-ticket.html",
            title="未找到号票 / Ticket not found",
            body=Safe(
                "<p class='missing'>未找到该号票，请核对号码，或在大厅内扫码查看。<br>"
                "<span lang='en'>No such ticket: check the number, or scan the code in the hall.</span></p>"
            ),
        )
        return HTMLResponse(page, status_code=404)
    status = next((h for h in store.halls() if h["code"] == hall), None)
    now = store.clock.now().timestamp()
    age = (
        None
        if not status or status["last_seen_ts"] is None
        else max(0.0, now - float(status["last_seen_ts"]))
    )
    zh, en = _age_words(age)
    steps = sorted(fold_steps(events).values(), key=lambda s: s.step_id)
    items = []
    for s in steps:
        state_zh, state_en = STATES.get(s.state, (s.state, s.state))
        window = f" · {s.window} 号窗口 / window {s.window}" if s.window else ""
        name_zh, name_en = settings.matters.get(s.matter, (s.matter, ""))
        matter = f"{name_zh} {name_en}".strip()
        items.append(
            render(
                "city-ticket-step.html", matter=matter, state_zh=state_zh, state_en=state_en, window=window
            )
        )
    seen = status["last_seen"] if status else None
    seen_text = dt.datetime.fromisoformat(seen).strftime("%H:%M") if seen else "—"
    body = join(
        [
            Safe(f"<p class='number'>{escape(number)}</p>"),
            Safe(f"<p class='hall'>{escape(hall)} · {escape(day)}</p>"),
            Safe(f"<ul class='steps'>{join(items)}</ul>"),
            Safe(
                f"<p class='age{' stale' if age is None or age > settings.stale_seconds else ''}'>{escape(zh)}（{escape(seen_text)}）"
                f"<br><span lang='en'>{escape(en)} (last contact {escape(seen_text)})</span><br>"
                "以大厅现场叫号为准 <span lang='en'>· the hall's own screens are authoritative</span></p>"
            ),
        ]
    )
    return HTMLResponse(render("city-ticket.html", title=f"{number} · {hall}", body=body))
