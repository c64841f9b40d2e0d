"""A day's figures per matter, per window, per staff member and per hour: pure functions over rows.

Definitions (docs/statistics.md repeats them for the province):
- visit: a ticket (one per citizen visit, whatever the number of matters).
- step: one matter of a visit; a transfer (转出) ends a step in state "transferred" and adds one.
- wait: from the moment a step joined its matter's queue (ticket issued, previous matter finished,
  or transferred in) to its first call. A recall or a call after re-check-in does not restart it.
- service: from 开始办理 (start) to 办结 (finish or transfer) at the window.
- served: steps finished (state done); a transferred step is never served.
- no-shows: 过号 marks (staff skip or auto-skip); one step can be marked twice.
- percentiles: nearest rank (the ⌈p·n⌉-th smallest value), so every figure is a value that occurred.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from onevisit.stats.rows import DayRows
from onevisit.stats.selfservice import COMPLETIONS, PREFIX
from onevisit.stats.timeline import StepTimeline, event_data, fold_steps, parse_time


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(p * len(ordered)))
    return ordered[rank - 1]


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


@dataclass
class GroupFigures:
    """The figures of one matter, one window, one staff member or the whole hall."""

    key: str
    label: str = ""
    visits: int = 0
    steps: int = 0
    calls: int = 0
    served: int = 0
    transferred_out: int = 0
    transferred_in: int = 0
    no_shows: int = 0
    recalls: int = 0
    checkins: int = 0
    unserved: int = 0  # steps still open or cancelled at the end of the day
    waits: list[float] = field(default_factory=list, repr=False)  # seconds
    services: list[float] = field(default_factory=list, repr=False)  # seconds
    scores: list[int] = field(default_factory=list, repr=False)

    @property
    def wait_p50(self) -> float | None:
        return _minutes(percentile(self.waits, 0.5))

    @property
    def wait_p90(self) -> float | None:
        return _minutes(percentile(self.waits, 0.9))

    @property
    def wait_max(self) -> float | None:
        return _minutes(max(self.waits)) if self.waits else None

    @property
    def service_p50(self) -> float | None:
        return _minutes(percentile(self.services, 0.5))

    @property
    def service_p90(self) -> float | None:
        return _minutes(percentile(self.services, 0.9))

    @property
    def service_mean(self) -> float | None:
        return _minutes(sum(self.services) / len(self.services)) if self.services else None

    @property
    def busy_minutes(self) -> float:
        return round(sum(self.services) / 60, 1)

    @property
    def rating_mean(self) -> float | None:
        return round(sum(self.scores) / len(self.scores), 2) if self.scores else None

    @property
    def ratings_bad(self) -> int:
        return sum(1 for s in self.scores if s <= 2)

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "visits": self.visits,
            "steps": self.steps,
            "calls": self.calls,
            "served": self.served,
            "transferred_out": self.transferred_out,
            "transferred_in": self.transferred_in,
            "no_shows": self.no_shows,
            "recalls": self.recalls,
            "checkins": self.checkins,
            "unserved": self.unserved,
            "wait_p50_min": self.wait_p50,
            "wait_p90_min": self.wait_p90,
            "wait_max_min": self.wait_max,
            "service_p50_min": self.service_p50,
            "service_mean_min": self.service_mean,
            "service_p90_min": self.service_p90,
            "busy_min": self.busy_minutes,
            "ratings": len(self.scores),
            "rating_mean": self.rating_mean,
            "ratings_bad": self.ratings_bad,
        }


@dataclass
class HourFigures:
    hour: int
    arrivals: int = 0  # tickets issued
    selfservice: int = 0  # kiosk completions
    calls: int = 0  # first calls
    served: int = 0  # steps finished (not transferred)
    waits: list[float] = field(default_factory=list, repr=False)  # of steps that joined a queue this hour
    peak_waiting: int = 0  # most steps waiting at once during the hour

    def to_dict(self) -> dict[str, Any]:
        return {
            "hour": f"{self.hour:02d}:00",
            "arrivals": self.arrivals,
            "selfservice": self.selfservice,
            "calls": self.calls,
            "served": self.served,
            "wait_p50_min": _minutes(percentile(self.waits, 0.5)),
            "wait_p90_min": _minutes(percentile(self.waits, 0.9)),
            "peak_waiting": self.peak_waiting,
        }


@dataclass
class DayFigures:
    day: str
    hall: GroupFigures
    matters: dict[str, GroupFigures]
    windows: dict[int, GroupFigures]
    staff: dict[str, GroupFigures]
    hours: list[HourFigures]
    selfservice: dict[str, int]  # kind -> count
    rating_counts: dict[int, int]  # score -> count
    #: (time, waiting per matter): the queue over the day, one point per change.
    queue_series: list[tuple[dt.datetime, dict[str, int]]]
    steps: list[StepTimeline]

    @property
    def selfservice_completions(self) -> int:
        return sum(n for kind, n in self.selfservice.items() if kind in COMPLETIONS)

    def to_dict(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "hall": self.hall.to_dict(),
            "selfservice": dict(self.selfservice),
            "selfservice_completions": self.selfservice_completions,
            "ratings": {str(k): v for k, v in sorted(self.rating_counts.items())},
            "matters": [g.to_dict() for g in self.matters.values()],
            "windows": [g.to_dict() for g in self.windows.values()],
            "staff": [g.to_dict() for g in self.staff.values()],
            "hours": [h.to_dict() for h in self.hours],
        }


def _add_step(group: GroupFigures, step: StepTimeline) -> None:
    group.steps += 1
    group.calls += step.calls
    group.recalls += step.recalls
    group.no_shows += step.no_shows
    group.checkins += step.checkins
    if step.served:
        group.served += 1
    elif step.transferred_out:
        group.transferred_out += 1
    else:
        group.unserved += 1
    if step.transferred_in:
        group.transferred_in += 1
    if step.wait_seconds is not None:
        group.waits.append(step.wait_seconds)
    if step.service_seconds is not None:
        group.services.append(step.service_seconds)


def _group(
    steps: Iterable[StepTimeline], key_of: Callable[[StepTimeline], Any], labels: dict[Any, str]
) -> dict[Any, GroupFigures]:
    groups: dict[Any, GroupFigures] = {k: GroupFigures(str(k), v) for k, v in labels.items()}
    visits: dict[Any, set[int]] = defaultdict(set)
    for step in steps:
        key = key_of(step)
        if key is None:
            continue
        group = groups.setdefault(key, GroupFigures(str(key), labels.get(key, str(key))))
        _add_step(group, step)
        visits[key].add(step.ticket_id)
    for key, tickets in visits.items():
        groups[key].visits = len(tickets)
    return groups


def _queue_series(steps: Iterable[StepTimeline]) -> list[tuple[dt.datetime, dict[str, int]]]:
    """Waiting count per matter after every queue entry and first call."""
    changes: list[tuple[dt.datetime, int, str]] = []
    for step in steps:
        if step.entered_at is None:
            continue
        changes.append((step.entered_at, +1, step.matter))
        # A step leaves the queue at its first call, or at cancellation/day end (never called).
        if step.first_called_at is not None:
            changes.append((step.first_called_at, -1, step.matter))
    changes.sort(key=lambda c: (c[0], -c[1]))  # an entry before a call at the same instant
    current: Counter[str] = Counter()
    series: list[tuple[dt.datetime, dict[str, int]]] = []
    for when, delta, matter in changes:
        current[matter] += delta
        series.append((when, dict(current)))
    return series


def compute(
    rows: DayRows, matter_labels: dict[str, str] | None = None, windows: Iterable[int] = ()
) -> DayFigures:
    """Every figure of the day. `matter_labels` (code -> 中文名) and `windows` list the hall's
    configured matters and windows, so a window that served nobody still shows with zeros."""
    timelines = fold_steps(rows.events)
    steps = sorted(timelines.values(), key=lambda s: s.step_id)
    labels = dict(matter_labels or {})

    hall = GroupFigures("hall", "全大厅")
    for step in steps:
        _add_step(hall, step)
    hall.visits = len({s.ticket_id for s in steps})

    matters = _group(steps, lambda s: s.matter, labels)
    window_groups = _group(
        steps, lambda s: s.window if (s.started_at or s.calls) else None, {w: f"{w}号窗口" for w in windows}
    )
    staff = _group(steps, lambda s: s.staff, {})

    # 好差评: ratings name their step; the step names its matter, window and staff member.
    rating_counts: Counter[int] = Counter()
    by_id = timelines
    for rating in rows.ratings:
        score = int(rating["score"])
        rating_counts[score] += 1
        hall.scores.append(score)
        step = by_id.get(int(rating["step_id"])) if rating.get("step_id") is not None else None
        matter = rating.get("matter") or (step.matter if step else None)
        if matter in matters:
            matters[matter].scores.append(score)
        if rating.get("window") is not None:
            window_groups.setdefault(
                int(rating["window"]), GroupFigures(str(rating["window"]), f"{rating['window']}号窗口")
            ).scores.append(score)
        if step is not None and step.staff in staff:
            staff[step.staff].scores.append(score)

    selfservice: Counter[str] = Counter()
    self_rows = [*rows.selfservice, *(e for e in rows.events if str(e["kind"]).startswith(PREFIX))]
    for row in self_rows:
        selfservice[str(row["kind"])] += 1

    hours = _hours(rows, steps, self_rows)
    return DayFigures(
        day=rows.day,
        hall=hall,
        matters=matters,
        windows=dict(sorted(window_groups.items())),
        staff=dict(sorted(staff.items())),
        hours=hours,
        selfservice=dict(sorted(selfservice.items())),
        rating_counts=dict(sorted(rating_counts.items())),
        queue_series=_queue_series(steps),
        steps=steps,
    )


def _hours(rows: DayRows, steps: list[StepTimeline], self_rows: list[dict[str, Any]]) -> list[HourFigures]:
    hours: dict[int, HourFigures] = {}

    def hour(when: dt.datetime) -> HourFigures:
        return hours.setdefault(when.hour, HourFigures(when.hour))

    for event in rows.events:
        if event["kind"] == "ticket.issued":
            hour(parse_time(event["at"])).arrivals += 1
    for row in self_rows:
        if row["kind"] in COMPLETIONS:
            hour(parse_time(row["at"])).selfservice += 1
    for step in steps:
        if step.first_called_at is not None:
            hour(step.first_called_at).calls += 1
        if step.served and step.finished_at is not None:
            hour(step.finished_at).served += 1
        if step.entered_at is not None and step.wait_seconds is not None:
            hour(step.entered_at).waits.append(step.wait_seconds)
    for when, waiting in _queue_series(steps):
        h = hour(when)
        h.peak_waiting = max(h.peak_waiting, sum(waiting.values()))
    if not hours:
        return []
    first, last = min(hours), max(hours)
    return [hours.get(h, HourFigures(h)) for h in range(first, last + 1)]


def step_rows(rows: DayRows) -> list[dict[str, Any]]:
    """One row per step for the CSV: the steps table's facts plus the figures' wait and service."""
    timelines = fold_steps(rows.events)
    out = []
    for step in rows.steps:
        t = timelines.get(step["id"])
        out.append(
            {
                "day": rows.day,
                "number": step["number"],
                "step_id": step["id"],
                "seq": step["seq"],
                "matter": step["matter"],
                "state": step["state"],
                "outcome": step["outcome"],
                "priority": step["priority"],
                "window": step["window"],
                "staff": t.staff if t else None,
                "entered_at": t.entered_at.isoformat() if t and t.entered_at else None,
                "first_called_at": t.first_called_at.isoformat() if t and t.first_called_at else None,
                "started_at": step["started_at"],
                "finished_at": step["finished_at"],
                "wait_min": _minutes(t.wait_seconds) if t else None,
                "service_min": _minutes(t.service_seconds) if t else None,
                "calls": t.calls if t else step["call_count"],
                "recalls": t.recalls if t else 0,
                "no_shows": t.no_shows if t else 0,
                "from_window": step["from_window"],
                "transfer_reason": step["transfer_reason"],
            }
        )
    return out


def event_kinds(rows: DayRows) -> Counter[str]:
    """How many events of each kind the day holds (a sanity line in the report)."""
    return Counter(str(e["kind"]) for e in rows.events)


__all__ = [
    "DayFigures",
    "GroupFigures",
    "HourFigures",
    "compute",
    "event_data",
    "event_kinds",
    "percentile",
    "step_rows",
]
