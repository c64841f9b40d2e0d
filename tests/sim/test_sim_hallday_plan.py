"""The staffing planner: its answer against brute force, reproducibility, the per-hour schedule in
the simulated day, and what it says to inputs it cannot plan for."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter
from pathlib import Path

import pytest

from onevisit.core.config import Config, load_config
from onevisit.sim.hallday.plan import (
    Demand,
    Infeasible,
    PlanError,
    Planner,
    cost,
    demand_from_day,
    plan_staffing,
)
from onevisit.sim.hallday.simulate import run
from onevisit.sim.hallday.simulation import DayPlan
from onevisit.stats.rows import load_day
from tests.conftest import REPO

DAY = dt.date(2026, 11, 23)


def three_windows() -> Config:
    """The demo hall cut to its first three windows (1 and 2 serve every matter, 3 enroll and card)."""
    config = load_config(REPO / "config.toml")
    return config.model_copy(update={"windows": config.windows[:3]})


#: Three hours of arrivals, busiest in the middle one; with service times × 0.25 one window is not
#: enough and three are more than enough.
SMALL = Demand(
    visits=70,
    hourly={9: 1.0, 10: 2.0, 11: 0.6},
    matter_weights={"enroll": 3, "contrib": 3, "benefit": 2, "card": 3, "medical": 2},
    open_at=dt.time(9, 0),
    last_arrival=dt.time(12, 0),
    source="test",
)


def brute_force(planner: Planner, limit_minutes: float) -> int | None:
    """The fewest window-hours over every schedule of 1..max windows per hour (None: none feasible)."""
    hours = planner.demand.hours()
    best = None
    for counts in itertools.product(range(planner.min_windows, planner.max_windows + 1), repeat=len(hours)):
        schedule = dict(zip(hours, counts, strict=True))
        if planner.evaluate(schedule).feasible(limit_minutes * 60):
            best = cost(schedule) if best is None else min(best, cost(schedule))
    return best


@pytest.mark.parametrize(("seed", "limit"), [(5, 6.0), (9, 3.0)])
def test_planner_finds_the_cheapest_schedule_brute_force_finds(seed: int, limit: float) -> None:
    planner = Planner(three_windows(), SMALL, seed=seed, service_scale=0.25)
    try:
        assert planner.demand.hours() == [9, 10, 11]
        plan = plan_staffing(planner, limit)
        expected = brute_force(planner, limit)
    finally:
        planner.close()
    assert expected is not None
    assert plan.window_hours == expected == cost(plan.schedule)
    # Not every schedule works: the answer is below all-open and above the floor of one window.
    assert len(planner.demand.hours()) < plan.window_hours < plan.all_open_window_hours
    assert all(r.wait_p90_min is not None and r.wait_p90_min <= limit for r in plan.rows if r.entered)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another_day() -> None:
    config = three_windows()
    plans = []
    for seed in (5, 5, 6):
        planner = Planner(config, SMALL, seed=seed, service_scale=0.25)
        try:
            plans.append(plan_staffing(planner, 6.0).to_dict())
        finally:
            planner.close()
    for p in plans:
        p.pop("seconds")
    assert plans[0] == plans[1]
    assert plans[0]["hours"] != plans[2]["hours"]


def test_an_unreachable_limit_says_so() -> None:
    planner = Planner(three_windows(), SMALL, seed=5, service_scale=0.25)
    try:
        with pytest.raises(Infeasible, match=r"≤ 3 min is out of reach: with all 3 windows open all day"):
            plan_staffing(planner, 3.0)
        assert len(planner.cache) == 1  # all-open was enough to know
        with pytest.raises(PlanError, match="positive number of minutes"):
            plan_staffing(planner, -1)
    finally:
        planner.close()


def test_scheduled_windows_open_and_close_through_the_queue(tmp_path: Path) -> None:
    """A day with 1 window open at 09:00, 3 from 10:00 and 1 again from 11:00: windows 2 and 3 are
    closed and opened by queue events, serve nobody while closed, and the waits the simulator hands
    the planner are the waits `stats.figures` computes from the same day's events."""
    plan = DayPlan(
        visits=70,
        seed=5,
        open_at=dt.time(9, 0),
        last_arrival=dt.time(12, 0),
        service_scale=0.25,
        hourly=dict(SMALL.hourly),
        windows=3,
        schedule={9: 1, 10: 3, 11: 1},
        durable=False,
    )
    outcome = run(three_windows(), plan, tmp_path / "day", DAY)
    events = [
        (e["kind"], e["window"], dt.datetime.fromisoformat(e["at"]))
        for e in load_day(outcome.db, DAY.isoformat()).events
    ]
    staffing = [(k, w, at.strftime("%H:%M")) for k, w, at in events if k.startswith("window.")]
    assert staffing[:4] == [
        ("window.closed", 2, "09:00"),
        ("window.closed", 3, "09:00"),
        ("window.opened", 2, "10:00"),
        ("window.opened", 3, "10:00"),
    ]
    # From 11:00 each closes as soon as its citizen of the moment leaves.
    assert sorted(w for k, w, at in staffing[4:] if k == "window.closed" and at >= "11:00") == [2, 3]
    calls_2_3 = [at for k, w, at in events if k == "step.called" and w in (2, 3)]
    assert calls_2_3 and all(at.hour == 10 for at in calls_2_3)
    for hour in outcome.figures.hours:
        mine = sorted(w for h, w in outcome.result.waits if h == hour.hour)
        assert mine == pytest.approx(sorted(hour.waits), abs=0.002), hour.hour  # events keep milliseconds
    assert outcome.result.never_called == []


def test_demand_from_a_real_day_keeps_its_profile_and_mix(tmp_path: Path) -> None:
    plan = DayPlan(visits=120, seed=2, service_scale=0.3, durable=False)
    outcome = run(load_config(REPO / "config.toml"), plan, tmp_path / "day", DAY)
    demand = demand_from_day(outcome.db, DAY.isoformat())
    assert demand.visits == outcome.result.issued
    assert demand.open_at >= dt.time(8, 30) and demand.last_arrival <= dt.time(16, 1)
    # Rate × minutes of each hour between the first and the last ticket gives back that hour's tickets.
    tickets = Counter(
        dt.datetime.fromisoformat(t["created_at"]).hour for t in load_day(outcome.db, DAY.isoformat()).tickets
    )
    first = dt.datetime.combine(DAY, demand.open_at)
    last = dt.datetime.combine(DAY, demand.last_arrival)
    rebuilt = {}
    for hour, rate in demand.hourly.items():
        lo = max(first, first.replace(hour=hour, minute=0))
        hi = min(last, first.replace(hour=hour, minute=0) + dt.timedelta(hours=1))
        rebuilt[hour] = round(rate * (hi - lo).total_seconds() / 60)
    assert rebuilt == dict(tickets)
    assert demand.hourly[12] < demand.hourly[9]  # the lunch dip of the simulated day
    assert set(demand.matter_weights) <= {"enroll", "contrib", "benefit", "card", "medical"}
    assert math.isclose(sum(demand.matter_weights.values()), outcome.result.issued)
    with pytest.raises(PlanError, match="no tickets on 2026-11-24"):
        demand_from_day(outcome.db, "2026-11-24")
    with pytest.raises(PlanError, match="no hall database"):
        demand_from_day(tmp_path / "missing.db", DAY.isoformat())
