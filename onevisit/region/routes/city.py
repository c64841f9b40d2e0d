"""City figures (supervisor token) and the /city page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from onevisit.assets import WEB
from onevisit.core.errors import OneVisitError
from onevisit.region import deps
from onevisit.region.figures import city_summary

router = APIRouter()


class BadDay(OneVisitError):
    status = 422

    def __init__(self, day: str) -> None:
        super().__init__("bad_day", f"日期无效：{day}", f"Not a calendar day: {day} (YYYY-MM-DD)", day=day)


def _day(request: Request, day: str | None) -> str:
    if day is None:
        return request.app.state.store.clock.now().date().isoformat()
    try:
        return dt.date.fromisoformat(day).isoformat()
    except ValueError:
        raise BadDay(day) from None


@router.get("/api/city/summary")
def summary(
    *,
    request: Request,
    day: str | None = Query(None, pattern=r"^\d{4}-\d{2}-\d{2}$"),
    _user: deps.SupervisorCaller,
    store: deps.StoreDep,
) -> dict[str, Any]:
    """Per hall: events received, tickets issued, steps done, waiting, waits, data age (seconds),
    clock skew and its alarm; and the city totals (docs/region.md)."""
    settings = request.app.state.settings
    return city_summary(
        store,
        _day(request, day),
        stale_seconds=settings.stale_seconds,
        skew_alarm_seconds=settings.skew_alarm_seconds,
        cache=request.app.state.figures_cache,
    )


@router.get("/city", response_class=HTMLResponse)
def city_page() -> HTMLResponse:
    """The city board: the page asks /api/city/summary with the supervisor token it is given."""
    return HTMLResponse((WEB / "city.html").read_text(encoding="utf-8"))
