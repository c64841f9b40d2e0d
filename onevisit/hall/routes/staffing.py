"""/api/supervisor/plan: 排班建议 — how many windows to open in each hour, from today's profile.

The sweep simulates dozens of hall days, so it never runs on the server's event loop nor in its
process: it runs in a one-worker process pool (spawned, so nothing of the server's state or threads
is forked), one plan at a time, and the page polls for the result. The planner itself lives in the
simulator (onevisit/sim), above the hall in the import layers, so the command that builds the app
hands it in (`create_app(planner=...)`); without one the endpoint says the planner is unavailable.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from onevisit.core.errors import OneVisitError
from onevisit.hall.deps import HallDep, Supervisor
from onevisit.hall.http_errors import Conflict, NotFound
from onevisit.hall.schemas import PlanRequest
from onevisit.stats.rows import tickets_on

log = logging.getLogger(__name__)

#: (config, db path, day, visits or None for the day's tickets, p90 limit in minutes, seed, out dir)
#: → the plan as JSON data; raises ValueError with the reason when no plan can be made.
#: (config, hall database target: a path or a URL, day, visits, p90 limit, seed, folder) -> plan
StaffingPlanner = Callable[[Any, str, str, int | None, float, int, Path], dict[str, Any]]

router = APIRouter(tags=["supervisor"])


class PlannerUnavailable(OneVisitError):
    # 404 like an unconfigured payment platform: the feature is not on this server (a healthy hall
    # answers no 5xx; the hall's own `onevisit hall` and the demo always pass the planner in).
    status = 404


@dataclass
class PlanJobs:
    """The hall's one staffing plan: idle, running, done or failed, and its files."""

    planner: StaffingPlanner | None
    state: str = "idle"
    request: dict[str, Any] = field(default_factory=dict)
    day: str | None = None
    plan: dict[str, Any] | None = None
    error: str | None = None
    folder: Path | None = None
    #: The running plan's task, held so it is not garbage-collected while it runs.
    task: asyncio.Task | None = None
    #: Set when a plan run ends (done or failed): what a test or a script waits on.
    finished: threading.Event = field(default_factory=threading.Event)
    _pool: ProcessPoolExecutor | None = None

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return self._pool

    def to_dict(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "available": self.planner is not None,
            "day": self.day,
            "request": self.request,
            "plan": self.plan,
            "error": self.error,
        }

    async def run(self, config: Any, db: str, day: str, request: PlanRequest) -> None:
        assert self.planner is not None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.folder = Path(tempfile.mkdtemp(prefix="onevisit-plan-"))
        loop = asyncio.get_running_loop()
        try:
            self.plan = await loop.run_in_executor(
                self.pool(),
                self.planner,
                config,
                db,
                day,
                request.visits,
                request.max_wait_p90,
                request.seed,
                self.folder,
            )
            self.state = "done"
        except ValueError as exc:  # PlanError / Infeasible: the reason, for the supervisor
            self.state, self.error = "failed", str(exc)
        except Exception as exc:  # a crashed worker: logged, and the page says the plan failed
            log.exception("staffing plan failed")
            self.state, self.error = "failed", f"the planner stopped: {type(exc).__name__}"
        finally:
            self.finished.set()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)


def _jobs(request: Request) -> PlanJobs:
    return request.app.state.staffing


@router.get("/api/supervisor/plan")
async def plan_status(request: Request, principal: Supervisor) -> dict[str, Any]:
    """The staffing plan: state (idle, running, done, failed), the plan when done, the reason when failed."""
    return _jobs(request).to_dict()


@router.post("/api/supervisor/plan", status_code=202)
async def plan_start(
    body: PlanRequest, request: Request, hall: HallDep, principal: Supervisor
) -> dict[str, Any]:
    """Start tomorrow's staffing plan from today's hourly profile and matter mix (202: poll GET)."""
    jobs = _jobs(request)
    if jobs.planner is None:
        raise PlannerUnavailable(
            "planner_unavailable",
            "本服务器未启用排班建议",
            "The staffing planner is not available on this server",
        )
    if jobs.state == "running":
        raise Conflict(
            "plan_running", "排班建议正在计算，请稍候", "A staffing plan is being computed; wait for it"
        )
    day = hall.clock.now().date().isoformat()
    db = hall.db
    if await asyncio.to_thread(tickets_on, db, day) == 0:
        raise Conflict(
            "no_tickets_today",
            "今天还没有取号记录，无法据此排班",
            "No tickets today yet: the plan needs today's arrivals",
            day=day,
        )
    jobs.state, jobs.request, jobs.day, jobs.plan, jobs.error = "running", body.model_dump(), day, None, None
    jobs.finished.clear()
    # the target, not the Database: the planner runs in another process and opens it there
    jobs.task = asyncio.create_task(jobs.run(hall.config, db.target, day, body))
    return jobs.to_dict()


@router.get("/api/supervisor/plan/chart.png", response_class=FileResponse)
async def plan_chart(request: Request, principal: Supervisor) -> FileResponse:
    """The finished plan's chart: open windows and p90 wait per hour."""
    jobs = _jobs(request)
    path = jobs.folder / "plan.png" if jobs.folder and jobs.state == "done" else None
    if path is None or not path.is_file():
        raise NotFound("no_plan", "还没有排班建议", "No staffing plan yet")
    return FileResponse(path, media_type="image/png", headers={"Cache-Control": "no-store"})
