"""City figures from the shipped rows, by the hall's own figures code (stats/figures.py).

Each live incarnation of each hall is folded by `stats.figures.compute` exactly as the hall's report
folds its own database (the same events, ratings and self-service rows, so the same figures); the
city's counts are the sums of the halls', and its waits are the halls' waits pooled (percentiles
are not additive, so they are taken over the pooled values with the same nearest-rank rule).
Superseded incarnations (a restored hall database) are left out.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from onevisit.region.store import RegionStore
from onevisit.stats.figures import DayFigures, GroupFigures, compute, event_kinds
from onevisit.stats.rows import DayRows

#: GroupFigures fields that add up across halls
ADDITIVE = (
    "visits", "steps", "calls", "served", "transferred_out", "transferred_in", "no_shows", "recalls",
    "checkins", "unserved",
)  # fmt: skip


def day_rows(store: RegionStore, hall: str, incarnation: str, day: str) -> DayRows:
    """One incarnation's rows of a day in the shape `stats.rows.read_day` gives a hall's report."""
    return DayRows(
        day,
        events=store.rows("events", hall, incarnation, day),
        ratings=store.rows("ratings", hall, incarnation, day),
        selfservice=store.rows("selfservice", hall, incarnation, day),
    )


def merge(groups: list[GroupFigures], key: str, label: str) -> GroupFigures:
    """Several halls' group figures as one: counts summed, waits/services/scores pooled."""
    out = GroupFigures(key, label)
    for g in groups:
        for name in ADDITIVE:
            setattr(out, name, getattr(out, name) + getattr(g, name))
        out.waits.extend(g.waits)
        out.services.extend(g.services)
        out.scores.extend(g.scores)
    return out


def waiting_now(figures: DayFigures) -> int:
    """Steps in a queue and not yet called at the hall's last shipped event."""
    return sum(
        1
        for s in figures.steps
        if s.entered_at is not None and s.first_called_at is None and s.state == "waiting"
    )


@dataclass
class HallDay:
    """One hall's day at the region, over its live incarnations."""

    figures: GroupFigures
    events: int = 0  # rows received for the day
    issued: int = 0  # ticket.issued events
    waiting: int = 0
    selfservice: dict[str, int] = field(default_factory=dict)


class FiguresCache:
    """One incarnation's day folded once per state of its rows: keyed by (hall, incarnation, day,
    count and highest id of each stream that day), so a dashboard refreshing every 15 s re-folds
    only the halls that shipped something since. Shipped rows never change, only grow."""

    def __init__(self, size: int = 4096) -> None:
        self._entries: OrderedDict[tuple, HallDay] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, key: tuple, make: Callable[[], HallDay]) -> HallDay:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = make()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


def _incarnation_day(store: RegionStore, hall: str, incarnation: str, day: str) -> HallDay:
    rows = day_rows(store, hall, incarnation, day)
    figures = compute(rows)
    return HallDay(
        figures.hall,
        len(rows.events),
        event_kinds(rows)["ticket.issued"],
        waiting_now(figures),
        dict(figures.selfservice),
    )


def hall_figures(store: RegionStore, hall: str, day: str, cache: FiguresCache | None = None) -> HallDay:
    """The hall's day from its live incarnations' shipped rows (`cache`: reuse unchanged ones)."""
    parts: list[HallDay] = []
    for _, incarnation in store.live_incarnations(hall):
        stamp = store.day_stamp(hall, incarnation, day)
        if not any(n for n, _ in stamp):
            continue
        make = lambda inc=incarnation: _incarnation_day(store, hall, inc, day)  # noqa: E731
        parts.append(cache.get((hall, incarnation, day, stamp), make) if cache else make())
    selfservice: dict[str, int] = {}
    for part in parts:
        for kind, n in part.selfservice.items():
            selfservice[kind] = selfservice.get(kind, 0) + n
    return HallDay(
        merge([p.figures for p in parts], hall, hall),
        sum(p.events for p in parts),
        sum(p.issued for p in parts),
        sum(p.waiting for p in parts),
        selfservice,
    )


def city_summary(
    store: RegionStore,
    day: str,
    *,
    stale_seconds: float,
    skew_alarm_seconds: float,
    cache: FiguresCache | None = None,
) -> dict[str, Any]:
    """GET /api/city/summary: per hall (events received, tickets issued, steps done, waiting,
    waits, data age in seconds, clock skew and its alarm, two databases under one code) and the
    city totals."""
    now = store.clock.now().timestamp()
    halls: list[dict[str, Any]] = []
    groups: list[GroupFigures] = []
    totals = {"events": 0, "tickets_issued": 0, "waiting": 0}
    for h in store.halls():
        one = hall_figures(store, h["code"], day, cache)
        figures = one.figures
        groups.append(figures)
        totals["events"] += one.events
        totals["tickets_issued"] += one.issued
        totals["waiting"] += one.waiting
        age = None if h["last_seen_ts"] is None else round(max(0.0, now - float(h["last_seen_ts"])), 1)
        skew = h["clock_skew_s"]
        halls.append(
            {
                "hall": h["code"],
                "name": h["name"],
                "events": one.events,
                "tickets_issued": one.issued,
                "steps_done": figures.served,
                "waiting": one.waiting,
                "figures": figures.to_dict(),
                "last_seen": h["last_seen"],
                "data_age_s": age,
                "stale": age is None or age > stale_seconds,
                "clock_skew_s": skew,
                "skew_alarm": skew is not None and abs(float(skew)) > skew_alarm_seconds,
                "twin_alarm": store.twin_databases(h["code"]),
            }
        )
    city = merge(groups, "city", "全市")
    return {
        "day": day,
        "generated_at": dt.datetime.fromtimestamp(now, store.clock.now().tzinfo).isoformat(
            timespec="seconds"
        ),
        "halls": halls,
        "city": {
            **totals,
            "steps_done": city.served,
            "figures": city.to_dict(),
        },
    }
