"""A whole hall day run through the real queue code on an injected clock.

Arrivals follow a hall's day (a morning peak, a lunch dip, a smaller afternoon peak); some visits end
at the kiosk (self-service), the rest carry an itinerary of one to three matters; service times
scatter around each matter's configured minutes; some citizens come only after a recall, some never
(过号) and some of those come back and re-check in. Used by the benchmarks and by `onevisit
simulate`; it returns the service so callers compute figures from the same database a real day
would leave.

Policies under test are plan fields: `interleave` (priority calls in a row before a regular one),
`placement` (where a transferred citizen re-enters: original / front / end), `windows` (how many
windows are staffed) and `schedule` (how many of them are open in each clock hour: windows open and
close during the day through the queue's own open/close operations, as a supervisor would).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from onevisit.core.clock import FixedClock
from onevisit.core.config import Config, Window
from onevisit.db import Database
from onevisit.queue.errors import QueueError
from onevisit.queue.models import StepState
from onevisit.queue.service import QueueService

# Relative popularity of the demo matters at a hall's kiosks (first matter of a visit).
DEFAULT_WEIGHTS = {"enroll": 3, "contrib": 3, "benefit": 2, "card": 3, "medical": 2}

#: Relative arrival rate per clock hour in a social-insurance hall: a peak from opening to 11:00,
#: a dip over lunch, a smaller peak after 14:00, little after 16:00.
HOURLY_ARRIVALS = {8: 1.3, 9: 1.7, 10: 1.5, 11: 1.0, 12: 0.35, 13: 0.6, 14: 1.0, 15: 0.85, 16: 0.4}

#: What a kiosk-only visit came for, and how often it fails over to a window (matter, tag).
SELFSERVICE_MIX = {
    "certificate": (0.45, 0.03, "enroll", "certificate_print_failed"),
    "certification": (0.35, 0.30, "benefit", "face_failed"),  # per face attempt; three fail ≈ 3 %
    "records": (0.20, 0.02, "enroll", "records_unavailable"),
}
SELFSERVICE_DONE = {
    "certificate": "selfservice.certificate_printed",
    "certification": "selfservice.certification_passed",
    "records": "selfservice.records_queried",
}

#: An interleave this large never triggers: priority always goes first ("∞").
NEVER_INTERLEAVE = 10**6

SelfServiceHook = Callable[[str, dt.datetime, dict], None]
#: Called after each finished step: (window, step id, ticket number, matter, when).
FinishHook = Callable[[int, int, str, str, dt.datetime], None]


@dataclass
class DayPlan:
    visits: int = 4000
    seed: int = 1
    open_at: dt.time = dt.time(8, 30)
    last_arrival: dt.time = dt.time(16, 0)
    #: Share of called citizens who never come (marked 过号 after the recalls run out).
    no_show_rate: float = 0.03
    #: Share who come only after one or more recalls.
    late_rate: float = 0.06
    come_back_rate: float = 0.6
    transfer_rate: float = 0.05
    priority_rate: float = 0.08
    #: Service and walk-up times are scaled by this; a small factor lets a huge day finish in one day.
    service_scale: float = 1.0
    #: Staff go home at this time; visits still open then are counted as unserved.
    day_end: dt.time = dt.time(23, 0)
    matter_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    #: Priority calls in a row before a regular citizen goes (None: the config's value).
    interleave: int | None = None
    #: Where a transferred citizen joins the next queue: original, front or end.
    placement: str = "original"
    #: Staffed windows: None keeps config; N ≤ configured takes the first N; more adds comprehensive ones.
    windows: int | None = None
    #: Share of visits that end at the kiosk (needs `on_selfservice` to record them).
    selfservice_rate: float = 0.0
    #: False turns off fsync for a throwaway simulated database (ten times faster; not for a hall).
    durable: bool = True
    #: Relative arrival rate per clock hour (None: HOURLY_ARRIVALS); e.g. a real day's profile.
    hourly: dict[int, float] | None = None
    #: Open windows per clock hour, {hour: N}: the first N staffed windows are open from that hour
    #: on, until the next hour named; hours before the first named one use its count. None: all open.
    schedule: dict[int, int] | None = None


@dataclass
class DayResult:
    service: QueueService
    issued: int
    finished_steps: int
    skipped: int
    transfers: int
    end: dt.datetime
    unserved: int
    recalls: int = 0
    selfservice: int = 0
    #: (clock hour the step entered its queue, seconds to its first call) per called step: the
    #: waits `stats.figures` folds into each hour, kept here so a planner needs no second read.
    waits: list[tuple[int, float]] = field(default_factory=list)
    #: Clock hour of entry of each step still never called when the day ended.
    never_called: list[int] = field(default_factory=list)


def staffed_windows(config: Config, count: int | None) -> list[Window]:
    """The windows of a simulated day: the first `count` configured ones, or all of them plus
    comprehensive windows (serving every matter) numbered after the last configured one."""
    windows = list(config.windows)
    if count is None:
        return windows
    if count < 1:
        raise ValueError("at least one window must be open")
    if count <= len(windows):
        chosen = windows[:count]
        served = {m for w in chosen for m in w.matters}
        missing = [m.code for m in config.matters if m.code not in served]
        if missing:
            raise ValueError(f"the first {count} windows serve none of {missing}; open more windows")
        return chosen
    every = [m.code for m in config.matters]
    start = max(w.number for w in windows) + 1
    extra = [
        Window(number=start + i, matters=every, label_zh="综合柜员（增开）", label_en="All matters (extra)")
        for i in range(count - len(windows))
    ]
    return windows + extra


def _arrival_minutes(
    rng: random.Random, start: dt.datetime, end: dt.datetime, hourly: dict[int, float] = HOURLY_ARRIVALS
) -> float:
    """Minutes after opening, drawn from the hourly profile restricted to [start, end)."""
    pieces: list[tuple[float, float, float]] = []  # (from, to, weight × length) in minutes after start
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        lo, hi = max(hour, start), min(hour + dt.timedelta(hours=1), end)
        if hi > lo:
            a, b = (lo - start).total_seconds() / 60, (hi - start).total_seconds() / 60
            # The built-in profile gives hours it does not name a trickle (0.2), as it always has; a
            # given profile (a real day's) means no arrivals in hours it does not name.
            rate = hourly.get(hour.hour, 0.2 if hourly is HOURLY_ARRIVALS else 0.0)
            pieces.append((a, b, rate * (b - a)))
        hour += dt.timedelta(hours=1)
    a, b, _ = rng.choices(pieces, [p[2] for p in pieces])[0]
    return rng.uniform(a, b)


def simulation_config(config: Config, plan: DayPlan) -> Config:
    """The config a simulated day runs on: caps and hours lifted, the plan's policies applied."""
    priority = config.priority
    if plan.interleave is not None:
        # model_copy skips validation on purpose: ∞ is above the config's limit of 100.
        priority = priority.model_copy(update={"interleave": plan.interleave})
    return config.model_copy(
        update={
            "matters": [m.model_copy(update={"daily_cap": 10**6}) for m in config.matters],
            "windows": staffed_windows(config, plan.windows),
            "priority": priority,
            "hall": config.hall.model_copy(
                update={"hours": config.hall.hours.model_copy(update={"enforce": False})}
            ),
        }
    )


def simulate_day(
    config: Config,
    db_path: Path | Database,
    plan: DayPlan,
    day: dt.date | None = None,
    *,
    on_selfservice: SelfServiceHook | None = None,
    on_finished: FinishHook | None = None,
) -> DayResult:
    rng = random.Random(plan.seed)
    tz = ZoneInfo(config.hall.timezone)
    day = day or dt.date(2026, 11, 23)
    start = dt.datetime.combine(day, plan.open_at, tz)
    last = dt.datetime.combine(day, plan.last_arrival, tz)
    config = simulation_config(config, plan)
    clock = FixedClock(start)
    service = QueueService.open(config, db_path=db_path, clock=clock, durable=plan.durable)
    codes = [m.code for m in config.matters]
    weights = [plan.matter_weights.get(c, 1.0) for c in codes]
    rules = config.recall

    events: list[tuple[float, int, str, object]] = []
    counter = 0

    def at(seconds: float, kind: str, payload: object = None) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(events, (seconds, counter, kind, payload))

    hourly = plan.hourly if plan.hourly is not None else HOURLY_ARRIVALS
    for i in range(plan.visits):
        at(_arrival_minutes(rng, start, last, hourly) * 60, "arrive", i)
    # Each visit draws from its own stream, so two policies compared on one seed see the same
    # citizens behave the same way (common random numbers), not whatever the shared stream had left.
    behaviour: dict[str, random.Random] = {}

    def visit_rng(i: int) -> random.Random:
        return random.Random(plan.seed * 1_000_003 + i)

    issued = finished = skipped = transfers = recalls = selfservice = 0
    idle: set[int] = set()
    #: Windows the schedule wants open now, and those the queue has closed.
    numbers = [w.number for w in config.windows]
    wanted: set[int] = set(numbers)
    closed: set[int] = set()
    schedule = _schedule_changes(plan.schedule, start, day_end_at=dt.datetime.combine(day, plan.day_end, tz))
    if schedule:
        wanted = set(numbers[: schedule[0][1]])
        for number in numbers:
            if number not in wanted:
                service.close_window(number, "supervisor:plan")
                closed.add(number)
        for seconds, count in schedule[1:]:
            at(seconds, "staff", count)
    for window in config.windows:
        if window.number in wanted:
            at(0, "free", window.number)
    #: Per ticket: when its current step entered the queue, while that step was never called yet.
    entered: dict[str, float] = {}
    waits: list[tuple[int, float]] = []

    def hour_of(seconds: float) -> int:
        return (start + dt.timedelta(seconds=seconds)).hour

    def wake_idle_windows(now: float) -> None:
        while idle:
            at(now, "free", idle.pop())

    def issue(vr: random.Random, itinerary: list[str], now: float, tag: str | None = None) -> None:
        nonlocal issued
        declared = "veteran" if vr.random() < plan.priority_rate else None
        ticket = service.issue(itinerary, declared=declared, source="sim", tag=tag).ticket
        behaviour[ticket.number] = vr
        entered[ticket.number] = now
        issued += 1
        wake_idle_windows(now)

    def kiosk_visit(rng: random.Random, now: float) -> bool:
        """A self-service visit; True when it ended at the kiosk."""
        nonlocal selfservice
        what = rng.choices(list(SELFSERVICE_MIX), [v[0] for v in SELFSERVICE_MIX.values()])[0]
        _, fail_rate, fallback, tag = SELFSERVICE_MIX[what]
        when = clock.now()
        assert on_selfservice is not None
        if what == "certification":
            for attempt in range(3):
                if rng.random() >= fail_rate:
                    on_selfservice(SELFSERVICE_DONE[what], when, {"attempts": attempt + 1})
                    selfservice += 1
                    return True
                on_selfservice("selfservice.certification_failed", when, {"attempt": attempt + 1})
        elif rng.random() >= fail_rate:
            on_selfservice(SELFSERVICE_DONE[what], when, {})
            selfservice += 1
            return True
        on_selfservice("selfservice.routed_to_window", when, {"reason": tag, "matter": fallback})
        issue(rng, [fallback], now, tag=tag)
        return False

    day_end = (dt.datetime.combine(day, plan.day_end, tz) - start).total_seconds()
    while events and events[0][0] <= day_end:
        t, _, kind, payload = heapq.heappop(events)
        clock.set(start + dt.timedelta(seconds=t))
        if kind == "arrive":
            vr = visit_rng(int(payload))  # type: ignore[arg-type]
            if on_selfservice is not None and vr.random() < plan.selfservice_rate:
                kiosk_visit(vr, t)
                continue
            first = vr.choices(codes, weights)[0]
            others = [c for c in codes if c != first]
            itinerary = [first, *vr.sample(others, k=vr.choices([0, 1, 2], [0.72, 0.23, 0.05])[0])]
            issue(vr, itinerary, t)
        elif kind == "staff":
            wanted = set(numbers[: int(payload)])  # type: ignore[call-overload]
            for number in numbers:
                if number in wanted and number in closed:
                    service.open_window(number, "supervisor:plan")
                    closed.discard(number)
                    at(t, "free", number)
                elif number not in wanted and number in idle:
                    idle.discard(number)
                    service.close_window(number, "supervisor:plan")
                    closed.add(number)
                # A busy window closes when its citizen leaves (its next "free").
        elif kind == "free":
            window = int(payload)  # type: ignore[arg-type]
            if window not in wanted:
                if window not in closed:
                    service.close_window(window, "supervisor:plan")
                    closed.add(window)
                continue
            try:
                ticket = service.call_next(window, f"staff:w{window}")
            except QueueError:
                idle.add(window)
                continue
            step = ticket.current_step
            assert step is not None and step.state == StepState.CALLED
            since = entered.pop(ticket.number, None)
            if since is not None:
                waits.append((hour_of(since), t - since))
            rng = behaviour[ticket.number]
            walk = rng.uniform(10, 45) * plan.service_scale
            r = rng.random()
            if r < plan.no_show_rate:
                answers_after = rules.max_recalls + 1  # never
            elif r < plan.no_show_rate + plan.late_rate:
                answers_after = 1 + (rng.random() < 0.4)  # after the first or second recall
            else:
                answers_after = 0
            if answers_after == 0:
                at(t + walk, "start", (window, step.matter, step.id, ticket.number))
            else:
                at(
                    t + rules.min_seconds + rng.uniform(5, 20),
                    "recall",
                    (window, step, ticket.number, 1, answers_after),
                )
        elif kind == "recall":
            window, step, number, nth, answers_after = payload  # type: ignore[misc]
            rng = behaviour[number]
            if nth > rules.max_recalls:
                service.skip(window, f"staff:w{window}")
                skipped += 1
                if rng.random() < plan.come_back_rate:
                    at(t + rng.uniform(120, 900), "checkin", number)
                at(t, "free", window)
                continue
            service.recall(window, f"staff:w{window}")
            recalls += 1
            if nth >= answers_after:
                at(t + rng.uniform(10, 30), "start", (window, step.matter, step.id, number))
            else:
                at(
                    t + rules.min_seconds + rng.uniform(5, 20),
                    "recall",
                    (window, step, number, nth + 1, answers_after),
                )
        elif kind == "checkin":
            with contextlib.suppress(QueueError):  # the day may have moved on
                service.checkin(str(payload), "kiosk:sim")
            wake_idle_windows(t)
        elif kind == "start":
            window, matter, step_id, number = payload  # type: ignore[misc]
            rng = behaviour[number]
            service.start(window, f"staff:w{window}")
            minutes = config.matter(matter).minutes * plan.service_scale
            seconds = max(rng.lognormvariate(0, 0.4) * minutes * 60, 30 * plan.service_scale)
            at(t + seconds, "finish", (window, matter, step_id, number))
        elif kind == "finish":
            window, matter, step_id, number = payload  # type: ignore[misc]
            rng = behaviour[number]
            if rng.random() < plan.transfer_rate:
                target = rng.choice([c for c in codes if c != matter])
                service.transfer(window, target, plan.placement, "转办", None, f"staff:w{window}")
                transfers += 1
                entered[number] = t
            else:
                ticket = service.finish(window, f"staff:w{window}")
                finished += 1
                if ticket.current_step is not None:  # moved on to its next matter's queue
                    entered[number] = t
                if on_finished is not None:
                    on_finished(window, step_id, number, matter, clock.now())
            wake_idle_windows(t)
            at(t, "free", window)
    with service.store.reading() as tx:
        unserved = tx.one("SELECT count(*) AS n FROM tickets WHERE state NOT IN ('done', 'cancelled')")["n"]
    return DayResult(
        service,
        issued,
        finished,
        skipped,
        transfers,
        clock.now(),
        unserved,
        recalls,
        selfservice,
        waits,
        sorted(hour_of(since) for since in entered.values()),
    )


def _schedule_changes(
    schedule: dict[int, int] | None, start: dt.datetime, day_end_at: dt.datetime
) -> list[tuple[float, int]]:
    """[(seconds after opening, open windows)] from {clock hour: N}: the first entry is the count at
    opening (the first named hour's count if opening comes before it), then one per later change."""
    if not schedule:
        return []
    if any(n < 1 for n in schedule.values()):
        raise ValueError("a schedule keeps at least one window open in every hour")
    hours = sorted(schedule)
    at_open = schedule[hours[0]]
    for hour in hours:
        if hour <= start.hour:
            at_open = schedule[hour]
    changes = [(0.0, at_open)]
    current = at_open
    for hour in hours:
        when = start.replace(hour=hour, minute=0, second=0, microsecond=0)
        if when <= start or when >= day_end_at:
            continue
        if schedule[hour] != current:
            changes.append(((when - start).total_seconds(), schedule[hour]))
            current = schedule[hour]
    return changes
