"""A whole hall day run through the real queue code on an injected clock.

Arrivals follow a morning peak, itineraries have one to three matters, service times scatter around
each matter's configured minutes, some citizens miss their call and come back. Used by the
benchmarks and by `onevisit simulate`; it returns the service so callers can compute figures from
the same database a real day would leave.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from onevisit.clock import FixedClock
from onevisit.config import Config
from onevisit.queue.errors import QueueError
from onevisit.queue.models import StepState
from onevisit.queue.service import QueueService

# Relative popularity of the demo matters at a hall's kiosks (first matter of a visit).
DEFAULT_WEIGHTS = {"enroll": 3, "contrib": 3, "benefit": 2, "card": 3, "medical": 2}


@dataclass
class DayPlan:
    visits: int = 4000
    seed: int = 1
    open_at: dt.time = dt.time(8, 30)
    last_arrival: dt.time = dt.time(16, 0)
    no_show_rate: float = 0.03
    come_back_rate: float = 0.6
    transfer_rate: float = 0.05
    priority_rate: float = 0.08
    #: Service and walk-up times are scaled by this; a small factor lets a huge day finish in one day.
    service_scale: float = 1.0
    #: Staff go home at this time; visits still open then are counted as unserved.
    day_end: dt.time = dt.time(23, 0)
    matter_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


@dataclass
class DayResult:
    service: QueueService
    issued: int
    finished_steps: int
    skipped: int
    transfers: int
    end: dt.datetime
    unserved: int


def _arrival_minutes(rng: random.Random, span: float) -> float:
    """Minutes after opening: two thirds in a morning peak around 09:30, the rest spread out."""
    if rng.random() < 0.65:
        return min(max(rng.gauss(60, 45), 0), span)
    return rng.uniform(0, span)


def simulate_day(config: Config, db_path: Path, plan: DayPlan, day: dt.date | None = None) -> DayResult:
    rng = random.Random(plan.seed)
    tz = ZoneInfo(config.hall.timezone)
    day = day or dt.date(2026, 11, 23)
    start = dt.datetime.combine(day, plan.open_at, tz)
    span = (dt.datetime.combine(day, plan.last_arrival, tz) - start).total_seconds() / 60
    # A simulated day must not be cut short by the real hall's caps and cut-offs.
    config = config.model_copy(
        update={
            "matters": [m.model_copy(update={"daily_cap": 10**6}) for m in config.matters],
            "hall": config.hall.model_copy(
                update={"hours": config.hall.hours.model_copy(update={"enforce": False})}
            ),
        }
    )
    clock = FixedClock(start)
    service = QueueService.open(config, db_path=db_path, clock=clock)
    codes = [m.code for m in config.matters]
    weights = [plan.matter_weights.get(c, 1.0) for c in codes]

    events: list[tuple[float, int, str, object]] = []
    counter = 0

    def at(seconds: float, kind: str, payload: object = None) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(events, (seconds, counter, kind, payload))

    for _ in range(plan.visits):
        at(_arrival_minutes(rng, span) * 60, "arrive")
    for window in config.windows:
        at(0, "free", window.number)

    issued = finished = skipped = transfers = 0
    idle: set[int] = set()

    def wake_idle_windows(now: float) -> None:
        while idle:
            at(now, "free", idle.pop())

    day_end = (dt.datetime.combine(day, plan.day_end, tz) - start).total_seconds()
    while events and events[0][0] <= day_end:
        t, _, kind, payload = heapq.heappop(events)
        clock.set(start + dt.timedelta(seconds=t))
        if kind == "arrive":
            first = rng.choices(codes, weights)[0]
            others = [c for c in codes if c != first]
            itinerary = [first, *rng.sample(others, k=rng.choices([0, 1, 2], [0.72, 0.23, 0.05])[0])]
            declared = "veteran" if rng.random() < plan.priority_rate else None
            service.issue(itinerary, declared=declared, source="sim")
            issued += 1
            wake_idle_windows(t)
        elif kind == "free":
            window = int(payload)  # type: ignore[arg-type]
            try:
                ticket = service.call_next(window, f"staff:w{window}")
            except QueueError:
                idle.add(window)
                continue
            step = ticket.current_step
            assert step is not None and step.state == StepState.CALLED
            if rng.random() < plan.no_show_rate:
                at(t + 60, "no_show", (window, ticket.number))
            else:
                at(t + rng.uniform(10, 45) * plan.service_scale, "start", (window, step.matter))
        elif kind == "no_show":
            window, number = payload  # type: ignore[misc]
            service.skip(window, f"staff:w{window}")
            skipped += 1
            if rng.random() < plan.come_back_rate:
                at(t + rng.uniform(120, 900), "checkin", number)
            at(t, "free", window)
        elif kind == "checkin":
            with contextlib.suppress(QueueError):  # the day may have moved on
                service.checkin(str(payload), "kiosk:sim")
            wake_idle_windows(t)
        elif kind == "start":
            window, matter = payload  # type: ignore[misc]
            service.start(window, f"staff:w{window}")
            minutes = config.matter(matter).minutes * plan.service_scale
            seconds = max(rng.lognormvariate(0, 0.4) * minutes * 60, 30 * plan.service_scale)
            at(t + seconds, "finish", (window, matter))
        elif kind == "finish":
            window, matter = payload  # type: ignore[misc]
            if rng.random() < plan.transfer_rate:
                target = rng.choice([c for c in codes if c != matter])
                service.transfer(window, target, "original", "转办", None, f"staff:w{window}")
                transfers += 1
            else:
                service.finish(window, f"staff:w{window}")
                finished += 1
            wake_idle_windows(t)
            at(t, "free", window)
    with service.store.reading() as tx:
        unserved = tx.one("SELECT count(*) AS n FROM tickets WHERE state NOT IN ('done', 'cancelled')")["n"]
    return DayResult(service, issued, finished, skipped, transfers, clock.now(), unserved)
