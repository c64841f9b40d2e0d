"""`onevisit simulate`: a hall day through the real queue, its figures, and call policies compared.

The day runs in `onevisit.sim.hallday.simulation` (real QueueService, injected clock, a throwaway SQLite
file); the figures are the same ones `onevisit report` computes from a real hall's database.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import math
import random
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from onevisit.core.config import Config, parse_hhmm
from onevisit.db import Database, open_database
from onevisit.sim.hallday.simulation import (
    DEFAULT_WEIGHTS,
    NEVER_INTERLEAVE,
    DayPlan,
    DayResult,
    simulate_day,
    staffed_windows,
)
from onevisit.stats.figures import DayFigures, GroupFigures, percentile
from onevisit.stats.report import day_figures
from onevisit.stats.rows import load_day
from onevisit.stats.selfservice import SelfServiceLog

#: Expected matters per window visit: 72 % one, 23 % two, 5 % three, plus transfers.
STEPS_PER_VISIT = 0.72 + 2 * 0.23 + 3 * 0.05
#: lognormvariate(0, 0.4) has mean e^0.08: the simulator's service times run that much over the minutes.
LOGNORMAL_MEAN = math.exp(0.08)
#: Auto scale aims the day's window work at this share of the windows' opening hours.
TARGET_LOAD = 0.7

POLICY_VALUES = {
    "interleave": ["1", "3", "inf"],
    "placement": ["original", "front", "end"],
}


class PolicyError(ValueError):
    pass


def parse_policy(items: Iterable[str]) -> dict[str, Any]:
    """`interleave=1|3|inf` and `placement=original|front|end` into DayPlan fields."""
    out: dict[str, Any] = {}
    for item in items:
        for part in item.split(","):
            if not part.strip():
                continue
            key, _, value = part.partition("=")
            key, value = key.strip(), value.strip()
            if key == "interleave":
                if value in ("inf", "∞", "never"):
                    out["interleave"] = NEVER_INTERLEAVE
                elif value.isdigit() and int(value) >= 1:
                    out["interleave"] = int(value)
                else:
                    raise PolicyError(f"interleave must be a whole number ≥ 1 or inf, got {value!r}")
            elif key == "placement":
                if value not in POLICY_VALUES["placement"]:
                    raise PolicyError(f"placement must be original, front or end, got {value!r}")
                out["placement"] = value
            else:
                raise PolicyError(f"unknown policy {key!r}: use interleave=… or placement=…")
    return out


def policy_label(plan: DayPlan, config: Config) -> str:
    inter = plan.interleave if plan.interleave is not None else config.priority.interleave
    shown = "∞" if inter >= NEVER_INTERLEAVE else str(inter)
    return f"interleave={shown} placement={plan.placement}"


def window_minutes_offered(config: Config, plan: DayPlan) -> float:
    """Minutes of window work the plan's visits bring, at the matters' configured service times."""
    weights = {m.code: plan.matter_weights.get(m.code, 1.0) for m in config.matters}
    total = sum(weights.values())
    mean = sum(config.matter(c).minutes * w for c, w in weights.items()) / total
    window_visits = plan.visits * (1 - plan.selfservice_rate)
    return window_visits * (STEPS_PER_VISIT + plan.transfer_rate) * mean * LOGNORMAL_MEAN


def opening_minutes(config: Config) -> float:
    hours = config.hall.hours
    today = dt.date(2000, 1, 1)
    return (
        dt.datetime.combine(today, parse_hhmm(hours.close))
        - dt.datetime.combine(today, parse_hhmm(hours.open))
    ).total_seconds() / 60


def auto_scale(config: Config, plan: DayPlan) -> float:
    """Service-time factor that fits the day's work into the staffed windows' opening hours."""
    windows = len(staffed_windows(config, plan.windows))
    capacity = windows * opening_minutes(config) * TARGET_LOAD
    return round(min(1.0, capacity / window_minutes_offered(config, plan)), 3)


def windows_needed(config: Config, plan: DayPlan) -> int:
    """Windows a day like this needs at real service times (at the target load)."""
    return math.ceil(window_minutes_offered(config, plan) / (opening_minutes(config) * TARGET_LOAD))


@dataclass
class Outcome:
    label: str
    plan: DayPlan
    result: DayResult
    figures: DayFigures
    seconds: float
    db: Path

    def waits(self, keep) -> list[float]:
        return [s.wait_seconds for s in self.figures.steps if s.wait_seconds is not None and keep(s)]

    def summary(self) -> dict[str, Any]:
        hall = self.figures.hall

        def m(values: list[float], p: float) -> float | None:
            v = percentile(values, p)
            return None if v is None else round(v / 60, 1)

        prio = self.waits(lambda s: s.priority > 0)
        regular = self.waits(lambda s: s.priority == 0)
        moved = self.waits(lambda s: s.transferred_in)
        untouched = self.waits(lambda s: not s.transferred_in)
        return {
            "policy": self.label,
            "visits": hall.visits,
            "served": hall.served,
            "unserved": self.result.unserved,
            "wait_p50": hall.wait_p50,
            "wait_p90": hall.wait_p90,
            "wait_max": hall.wait_max,
            "priority_p50": m(prio, 0.5),
            "priority_p90": m(prio, 0.9),
            "regular_p90": m(regular, 0.9),
            "regular_max": m(regular, 1.0),
            "transferred_p50": m(moved, 0.5),
            "transferred_p90": m(moved, 0.9),
            "others_p90": m(untouched, 0.9),
            "last_finish": self.result.end.strftime("%H:%M"),
            "seconds": round(self.seconds, 1),
        }


#: 好差评 a simulated citizen gives (score: weight), and the share who press the tablet at all.
RATING_WEIGHTS = {5: 72, 4: 17, 3: 6, 2: 3, 1: 2}
RATING_SHARE = 0.6


def _rater(db: Database, seed: int):
    """Rates finished steps through the hall's own rating store (when the hall is installed)."""
    if importlib.util.find_spec("onevisit.hall.stores.ratings") is None:
        return None
    from onevisit.core.clock import FixedClock
    from onevisit.hall.stores.ratings import RatingStore

    clock = FixedClock(dt.datetime.now(dt.UTC))
    store = RatingStore(db, clock)
    rng = random.Random(seed)

    def rate(window: int, step_id: int, number: str, matter: str, when: dt.datetime) -> None:
        if rng.random() >= RATING_SHARE:
            return
        clock.set(when)
        store.prompt_finished(window, step_id, when.date().isoformat(), number, matter)
        store.rate(window, rng.choices(list(RATING_WEIGHTS), list(RATING_WEIGHTS.values()))[0])

    return rate


def run(config: Config, plan: DayPlan, folder: Path, day: dt.date | None = None) -> Outcome:
    """One simulated day in `folder`, with its kiosk self-service log and ratings, and its figures."""
    folder.mkdir(parents=True, exist_ok=True)
    config = config.model_copy(update={"base_dir": folder})
    db = folder / "hall.db"
    # One database for the queue, the self-service log and the ratings, as in a hall.
    database = open_database(db, hall_code=config.hall.code, durable=plan.durable)
    log = SelfServiceLog(database)
    rate = _rater(database, plan.seed)
    started = time.perf_counter()
    try:
        result = simulate_day(
            config,
            database,
            plan,
            day,
            on_selfservice=lambda kind, at, data: log.record(kind, "kiosk:sim", at, data),
            on_finished=rate,
        )
        seconds = time.perf_counter() - started
        sim_config = result.service.config
        figures = day_figures(sim_config, load_day(db, result.end.date().isoformat()))
    finally:
        database.dispose()
    return Outcome(policy_label(plan, sim_config), plan, result, figures, seconds, db)


def compare(config: Config, plan: DayPlan, axis: str, folder: Path | None = None) -> list[Outcome]:
    """The same day (same seed, same arrivals) under each value of one policy."""
    outcomes = []
    with tempfile.TemporaryDirectory(prefix="onevisit-sim-") as tmp:
        base = folder or Path(tmp)
        for value in POLICY_VALUES[axis]:
            variant = replace(plan, **parse_policy([f"{axis}={value}"]))
            outcomes.append(run(config, variant, base / f"{axis}-{value}"))
    return outcomes


# -- printing ------------------------------------------------------------------------------------
def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def table(rows: list[dict[str, Any]], columns: list[tuple[str, str]]) -> str:
    """A plain aligned text table (CJK characters count double width on a terminal)."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cells = [[title for _, title in columns]] + [[_fmt(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(columns))]
    lines = []
    for n, row in enumerate(cells):
        padded = [
            (c + " " * (w - width(c))) if i == 0 else (" " * (w - width(c)) + c)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(padded))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


GROUP_TEXT = [
    ("label", "name"),
    ("visits", "visits"),
    ("steps", "steps"),
    ("served", "served"),
    ("transferred_out", "xfer"),
    ("no_shows", "no-show"),
    ("recalls", "recall"),
    ("unserved", "open"),
    ("wait_p50_min", "wait p50"),
    ("wait_p90_min", "p90"),
    ("wait_max_min", "max"),
    ("service_mean_min", "service"),
    ("rating_mean", "rating"),
]
HOUR_TEXT = [
    ("hour", "hour"),
    ("arrivals", "tickets"),
    ("selfservice", "kiosk"),
    ("calls", "calls"),
    ("served", "served"),
    ("wait_p50_min", "wait p50"),
    ("wait_p90_min", "p90"),
    ("peak_waiting", "peak queue"),
]
COMPARE_TEXT = [
    ("policy", "policy"),
    ("served", "served"),
    ("unserved", "open"),
    ("wait_p50", "wait p50"),
    ("wait_p90", "p90"),
    ("wait_max", "max"),
    ("priority_p50", "prio p50"),
    ("priority_p90", "prio p90"),
    ("regular_p90", "reg p90"),
    ("regular_max", "reg max"),
    ("transferred_p50", "xfer p50"),
    ("transferred_p90", "xfer p90"),
    ("others_p90", "others p90"),
    ("last_finish", "last"),
]


def _groups(groups: Iterable[GroupFigures]) -> list[dict[str, Any]]:
    return [g.to_dict() for g in groups]


def describe(outcome: Outcome) -> str:
    f = outcome.figures
    r = outcome.result
    parts = [
        f"{outcome.label}: {r.issued} tickets, {r.selfservice} visits done at the kiosk, "
        f"{r.finished_steps} steps finished, {r.transfers} transfers, {r.recalls} recalls, {r.skipped} no-shows, "
        f"{r.unserved} visits left open; last finish {r.end:%H:%M}; simulated in {outcome.seconds:.1f} s",
        "",
        "hall and matters (minutes):",
        table(_groups([f.hall, *f.matters.values()]), GROUP_TEXT),
        "",
        "windows:",
        table(_groups(f.windows.values()), GROUP_TEXT),
        "",
        "staff (event actor):",
        table(_groups(f.staff.values()), GROUP_TEXT),
        "",
        "hours:",
        table([h.to_dict() for h in f.hours], HOUR_TEXT),
        "",
        "kiosk self-service: " + (", ".join(f"{k} {n}" for k, n in f.selfservice.items()) or "none"),
    ]
    return "\n".join(parts)


def describe_comparison(axis: str, outcomes: list[Outcome]) -> str:
    return f"policy comparison, {axis} (same arrivals, same seed; minutes):\n" + table(
        [o.summary() for o in outcomes], COMPARE_TEXT
    )


__all__ = [
    "DEFAULT_WEIGHTS",
    "Outcome",
    "PolicyError",
    "auto_scale",
    "compare",
    "describe",
    "describe_comparison",
    "parse_policy",
    "run",
    "windows_needed",
]
