"""/supervisor: the live queue, alerts with a window to switch, today's figures and charts."""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Response
from fastapi.responses import FileResponse

from onevisit.assets import WEB
from onevisit.hall.deps import Hall, HallDep, Supervisor
from onevisit.hall.http_errors import BadDay
from onevisit.hall.schemas import DayQuery
from onevisit.stats.live import supervisor_view

log = logging.getLogger(__name__)

CHARTS = ("hourly", "queue", "matters", "windows", "ratings")
ChartName = Literal["hourly", "queue", "matters", "windows", "ratings"]

router = APIRouter()


def _day(hall: Hall, day: str | None) -> str:
    if day is None:
        return hall.clock.now().date().isoformat()
    try:
        return dt.date.fromisoformat(day).isoformat()
    except ValueError:
        raise BadDay("bad_date", "日期无效", f"Not a date: {day}", date=day) from None


class _ChartCache:
    """Rendered PNGs per (day, chart, last event id): a dashboard refresh re-renders only after change."""

    def __init__(self, size: int = 32) -> None:
        self._lock = threading.Lock()
        self._items: OrderedDict[tuple, bytes] = OrderedDict()
        self.size = size

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: tuple, value: bytes) -> None:
        with self._lock:
            self._items[key] = value
            while len(self._items) > self.size:
                self._items.popitem(last=False)


_charts = _ChartCache()


def _figures(hall: Hall, day: str):
    from onevisit.stats.report import day_figures
    from onevisit.stats.rows import load_day

    return day_figures(hall.config, load_day(hall.db, day))


@router.get("/supervisor", include_in_schema=False)
def supervisor_page() -> FileResponse:
    return FileResponse(
        WEB / "supervisor.html", media_type="text/html", headers={"Cache-Control": "no-cache"}
    )


@router.get("/api/supervisor/live", tags=["supervisor"])
async def live(hall: HallDep, principal: Supervisor) -> dict[str, Any]:
    """Queues, predicted waits, windows busy/idle/unstaffed/paused/closed with who is logged in at
    each, and wait alerts, now."""
    service = hall.service
    availability = await hall.gate.read(service.availability)
    windows = await hall.gate.read(service.windows)
    view = supervisor_view(
        hall.config,
        availability,
        windows,
        hall.config.supervisor.wait_alert_minutes,
        logged_in=hall.accounts.logged_in_by_window(),
    )
    now = hall.clock.now()
    return {"now": now.isoformat(timespec="seconds"), "day": now.date().isoformat(), **view}


@router.get("/api/supervisor/figures", tags=["supervisor"])
def figures(hall: HallDep, principal: Supervisor, date: DayQuery = None) -> dict[str, Any]:
    """A day's figures per matter, window, staff member and hour (today unless `date` is given)."""
    day = _day(hall, date)
    out = _figures(hall, day).to_dict()
    out["refresh_seconds"] = hall.config.supervisor.refresh_seconds
    return out


@router.get("/api/supervisor/charts/{name}.png", tags=["supervisor"], response_class=Response)
def chart(name: ChartName, hall: HallDep, principal: Supervisor, date: DayQuery = None) -> Response:
    """One of today's charts as a PNG (hourly, queue, matters, windows, ratings)."""
    import io
    import tempfile

    from onevisit.stats import charts

    day = _day(hall, date)
    from onevisit.stats.rows import change_mark

    key = (hall.db.target, hall.db.hall_code, day, name, change_mark(hall.db, day))
    png = _charts.get(key)
    if png is None:
        fig = _figures(hall, day)
        labels = {m.code: m.name_zh for m in hall.config.matters}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{name}.png"
            if name == "queue":
                charts.queue_chart(fig, path, labels)
            else:
                getattr(charts, f"{name}_chart")(fig, path)
            png = io.BytesIO(path.read_bytes()).getvalue()
        _charts.put(key, png)
    return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})
