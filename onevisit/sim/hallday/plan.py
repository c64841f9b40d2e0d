"""The staffing planner: how many windows to open in each hour so that waits stay under a limit.

Arrivals come from a real day in the hall database (its hourly profile of tickets and the mix of
first matters) or from the built-in hall profile (`HOURLY_ARRIVALS`, `DEFAULT_WEIGHTS`); the day is
then replayed through the real queue by the day simulator (`simulation.simulate_day`) under
candidate schedules {clock hour: open windows}, where N open windows are the first N staffed ones,
opened and closed during the day through the queue's own open/close operations.

A schedule is *feasible* when, for every clock hour, the p90 (nearest rank) of the waits of the
steps that joined a queue in that hour — queue entry to first call, as `stats.figures` counts them;
a step never called by the end of the day counts as an endless wait — is at most the limit. The
planner looks for the feasible schedule with the fewest window-hours.

Search (a heuristic, not an exhaustive search): start with every hour at the maximum (if even that
is infeasible, say so); then, hour by hour from opening, lower that hour to the smallest count that
keeps *every* hour feasible with the hours after it still at the maximum. Each accepted schedule is
feasible, so the answer is; it is the cheapest one when staffing an earlier hour more never lets a
later hour do with fewer, which the brute-force test checks on small days. Cost: at most
1 + hours × (maximum − minimum) simulated days (the demo hall: 9 hours, 1 to 6 windows: ≤ 46);
every day is simulated in an in-memory database, and results are cached by schedule.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onevisit.core.config import Config, parse_hhmm
from onevisit.sim.hallday.simulation import (
    DEFAULT_WEIGHTS,
    HOURLY_ARRIVALS,
    DayPlan,
    simulate_day,
    staffed_windows,
)
from onevisit.stats.figures import percentile
from onevisit.stats.rows import NoSuchDatabase, load_day, name_of

log = logging.getLogger(__name__)

Schedule = dict[int, int]


class PlanError(ValueError):
    """A plan cannot be made from these inputs (no such day, bad limit…); the message says why."""


class Infeasible(PlanError):
    """Even every window open all day keeps some hour's p90 wait above the limit."""


@dataclass(frozen=True)
class Demand:
    """The day to staff for: how many window visits, when they arrive, what they come for."""

    visits: int
    #: Relative arrival rate per clock hour (tickets per minute of that hour, for a real day).
    hourly: dict[int, float]
    #: Relative share of each matter as a visit's first matter.
    matter_weights: dict[str, float]
    open_at: dt.time
    last_arrival: dt.time
    source: str

    def hours(self) -> list[int]:
        """The clock hours a schedule names: every hour in which citizens may arrive."""
        last = (
            dt.datetime.combine(dt.date(2000, 1, 1), self.last_arrival) - dt.timedelta(microseconds=1)
        ).hour
        return list(range(self.open_at.hour, last + 1))

    def with_visits(self, visits: int) -> Demand:
        return Demand(visits, self.hourly, self.matter_weights, self.open_at, self.last_arrival, self.source)


def demand_from_config(config: Config, visits: int) -> Demand:
    """The built-in profile of a social-insurance hall (a morning peak, a lunch dip) over the hall's
    opening hours, and the demo matters' popularity (1 for a matter it does not name)."""
    hours = config.hall.hours
    weights = {m.code: float(DEFAULT_WEIGHTS.get(m.code, 1.0)) for m in config.matters}
    return Demand(
        visits, dict(HOURLY_ARRIVALS), weights, parse_hhmm(hours.open), parse_hhmm(hours.close), "config"
    )


def demand_from_day(
    db: Path | str, day: str, visits: int | None = None, *, hall_code: str = "HALL"
) -> Demand:
    """A real day's tickets (from the hall database, read-only: a path or a postgresql:// URL with
    the hall's code): tickets per minute of each clock hour between its first and last ticket, and
    the share of each first matter. `visits` defaults to that day's ticket count. Raises PlanError
    when the database or the day has no tickets."""
    try:
        rows = load_day(db, day, hall_code=hall_code)
    except NoSuchDatabase as exc:
        raise PlanError(str(exc)) from None
    if not rows.tickets:
        raise PlanError(f"no tickets on {day} in {name_of(db)}: pick a day the hall was open (--from-day)")
    times = sorted(dt.datetime.fromisoformat(t["created_at"]) for t in rows.tickets)
    first, last = times[0].replace(second=0, microsecond=0), times[-1] + dt.timedelta(minutes=1)
    last = last.replace(second=0, microsecond=0)
    if last.date() != first.date():  # a ticket in the last minute before midnight
        last = first.replace(hour=23, minute=59)
    counts = Counter(t.hour for t in times)
    hourly = {}
    for hour, n in counts.items():
        lo = max(first, first.replace(hour=hour, minute=0))
        hi = min(last, first.replace(hour=hour, minute=0) + dt.timedelta(hours=1))
        hourly[hour] = n / max((hi - lo).total_seconds() / 60, 1.0)
    first_step: dict[int, tuple[int, str]] = {}
    for step in rows.steps:
        seen = first_step.get(step["ticket_id"])
        if seen is None or step["seq"] < seen[0]:
            first_step[step["ticket_id"]] = (step["seq"], step["matter"])
    mix = Counter(matter for _, matter in first_step.values())
    return Demand(
        visits if visits is not None else len(rows.tickets),
        hourly,
        {m: float(n) for m, n in mix.items()},
        first.time(),
        last.time(),
        f"{name_of(db)} {day}",
    )


@dataclass
class Evaluation:
    """One simulated day under one schedule: per clock hour of queue entry, the waits in seconds
    (math.inf for a step never called)."""

    schedule: Schedule
    waits: dict[int, list[float]]

    def p90(self, hour: int) -> float | None:
        return percentile(self.waits.get(hour, []), 0.9)

    def worst(self) -> tuple[int, float] | None:
        """The hour with the longest p90 wait and that wait (seconds), or None for an empty day."""
        rows = [(h, self.p90(h)) for h in sorted(self.waits)]
        rows = [(h, v) for h, v in rows if v is not None]
        return max(rows, key=lambda r: r[1]) if rows else None

    def feasible(self, limit_seconds: float) -> bool:
        worst = self.worst()
        return worst is None or worst[1] <= limit_seconds


@dataclass
class HourRow:
    hour: int
    windows: int
    entered: int  # steps that joined a queue in this hour
    wait_p50_min: float | None
    wait_p90_min: float | None
    all_open_p90_min: float | None  # the same hour with every window open

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class StaffingPlan:
    demand: Demand
    limit_minutes: float
    seed: int
    service_scale: float
    max_windows: int
    schedule: Schedule
    rows: list[HourRow]
    window_hours: int
    all_open_window_hours: int
    simulations: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.demand.source,
            "visits": self.demand.visits,
            "limit_p90_min": self.limit_minutes,
            "seed": self.seed,
            "service_scale": self.service_scale,
            "max_windows": self.max_windows,
            "schedule": {str(h): n for h, n in self.schedule.items()},
            "window_hours": self.window_hours,
            "all_open_window_hours": self.all_open_window_hours,
            "simulations": self.simulations,
            "seconds": round(self.seconds, 1),
            "hours": [r.to_dict() for r in self.rows],
            "notes": self.notes,
        }


def min_windows(config: Config) -> int:
    """The fewest leading windows that between them serve every matter."""
    for n in range(1, len(config.windows) + 1):
        try:
            staffed_windows(config, n)
        except ValueError:
            continue
        return n
    return len(config.windows)


class Planner:
    """Simulates one demand under schedules, caching each schedule's result (same seed: same day)."""

    def __init__(
        self,
        config: Config,
        demand: Demand,
        *,
        seed: int = 1,
        service_scale: float = 1.0,
        max_windows: int | None = None,
        day: dt.date | None = None,
        on_simulated: Callable[[Evaluation], None] | None = None,
    ) -> None:
        if demand.visits < 1:
            raise PlanError(f"--visits must be at least 1, got {demand.visits}")
        if not 0 < service_scale <= 10:
            raise PlanError(f"service scale must be in (0, 10], got {service_scale}")
        self.config = config
        self.demand = demand
        self.seed = seed
        self.service_scale = service_scale
        if max_windows is not None and max_windows < 1:
            raise PlanError(f"--max-windows must be at least 1, got {max_windows}")
        self.max_windows = max_windows or len(config.windows)
        self.min_windows = min_windows(config)
        if self.max_windows < self.min_windows:
            raise PlanError(
                f"the first {self.max_windows} windows do not serve every matter; "
                f"allow at least {self.min_windows}"
            )
        self.day = day or dt.date(2026, 11, 23)
        self.on_simulated = on_simulated
        self.cache: dict[tuple[tuple[int, int], ...], Evaluation] = {}
        self._folder = tempfile.TemporaryDirectory(prefix="onevisit-plan-")

    def close(self) -> None:
        self._folder.cleanup()

    def day_plan(self, schedule: Schedule) -> DayPlan:
        d = self.demand
        return DayPlan(
            visits=d.visits,
            seed=self.seed,
            open_at=d.open_at,
            last_arrival=d.last_arrival,
            service_scale=self.service_scale,
            matter_weights=dict(d.matter_weights),
            hourly=dict(d.hourly),
            windows=self.max_windows,
            schedule=dict(schedule),
            durable=False,
        )

    def evaluate(self, schedule: Schedule) -> Evaluation:
        """Simulate the day under `schedule` (in memory: nothing of it is kept)."""
        key = tuple(sorted(schedule.items()))
        if key in self.cache:
            return self.cache[key]
        # base_dir: the simulated queue creates its ID-hash key there, never in the hall's folder.
        config = self.config.model_copy(update={"base_dir": Path(self._folder.name)})
        result = simulate_day(config, Path(":memory:"), self.day_plan(schedule), self.day)
        result.service.close()
        waits: dict[int, list[float]] = {}
        for hour, seconds in result.waits:
            waits.setdefault(hour, []).append(seconds)
        for hour in result.never_called:
            waits.setdefault(hour, []).append(math.inf)
        evaluation = Evaluation(dict(schedule), waits)
        self.cache[key] = evaluation
        if self.on_simulated is not None:
            self.on_simulated(evaluation)
        return evaluation

    def all_open(self) -> Schedule:
        return {h: self.max_windows for h in self.demand.hours()}


def cost(schedule: Schedule) -> int:
    """Window-hours of a schedule."""
    return sum(schedule.values())


def plan_staffing(planner: Planner, limit_minutes: float) -> StaffingPlan:
    """The greedy hour-by-hour search described in the module docstring. Raises Infeasible when
    every window open all day still breaks the limit, PlanError for a limit that is not positive."""
    if not (limit_minutes > 0 and math.isfinite(limit_minutes)):
        raise PlanError(f"--max-wait-p90 must be a positive number of minutes, got {limit_minutes}")
    started = time.perf_counter()
    limit = limit_minutes * 60
    hours = planner.demand.hours()
    full = planner.all_open()
    base = planner.evaluate(full)
    if not base.feasible(limit):
        worst = base.worst()
        assert worst is not None
        hour, p90 = worst
        shown = "citizens never called" if math.isinf(p90) else f"{p90 / 60:.1f} min"
        raise Infeasible(
            f"p90 wait ≤ {limit_minutes:g} min is out of reach: with all {planner.max_windows} windows open "
            f"all day, citizens queueing at {hour:02d}:00 wait {shown} (p90); allow more windows "
            f"(--max-windows) or a longer wait"
        )
    chosen = dict(full)
    best = base
    for hour in hours:
        for n in range(planner.min_windows, planner.max_windows):
            trial = planner.evaluate({**chosen, hour: n})
            if trial.feasible(limit):
                chosen[hour], best = n, trial
                break
        log.debug("hour %02d: %d windows", hour, chosen[hour])
    entered_hours = sorted(set(best.waits) | set(hours))
    rows = []
    for hour in entered_hours:
        waits = best.waits.get(hour, [])
        rows.append(
            HourRow(
                hour,
                _windows_at(chosen, hour),
                len(waits),
                _minutes(percentile(waits, 0.5)),
                _minutes(best.p90(hour)),
                _minutes(base.p90(hour)),
            )
        )
    notes = []
    if entered_hours and entered_hours[-1] > hours[-1]:
        notes.append(
            f"after {hours[-1]:02d}:59 the last hour's {chosen[hours[-1]]} windows stay open until the queue is served"
        )
    return StaffingPlan(
        planner.demand,
        limit_minutes,
        planner.seed,
        planner.service_scale,
        planner.max_windows,
        chosen,
        rows,
        cost(chosen),
        cost(full),
        len(planner.cache),
        time.perf_counter() - started,
        notes,
    )


def _windows_at(schedule: Schedule, hour: int) -> int:
    named = [h for h in schedule if h <= hour]
    return schedule[max(named)] if named else schedule[min(schedule)]


def _minutes(seconds: float | None) -> float | None:
    if seconds is None:
        return None
    return math.inf if math.isinf(seconds) else round(seconds / 60, 1)
