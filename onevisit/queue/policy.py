"""Who is called next, where a transferred or late citizen re-enters, and how long the wait is.

Pure functions over rows, so the rules can be read, tested and simulated without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from onevisit.core import waits
from onevisit.queue.numbers import number_order

Row = dict[str, Any]


def queue_order(row: Row) -> tuple[int, float, tuple[str, int]]:
    """Priority tier first (higher first), then effective queue time, then the number by prefix and
    numeric sequence (A999 before A1000: a text comparison would reverse them past 999)."""
    return (-int(row["priority"]), float(row["sort_key"]), number_order(str(row["number"])))


def choose_next(candidates: Sequence[Row], priority_streak: int, interleave: int) -> tuple[Row | None, int]:
    """The step to call and the window's new priority streak.

    After `interleave` priority calls in a row, the longest-waiting regular citizen goes next, so
    a stream of priority tickets never starves everyone else.
    """
    if not candidates:
        return None, priority_streak
    ordered = sorted(candidates, key=queue_order)
    best = ordered[0]
    if int(best["priority"]) > 0:
        if priority_streak >= interleave:
            regular = next((r for r in ordered if int(r["priority"]) == 0), None)
            if regular is not None:
                return regular, 0
        return best, priority_streak + 1
    return best, 0


def key_for_placement(placement: str, waiting: Sequence[Row], arrival_key: float, now_key: float) -> float:
    """Sort key for a step entering a matter's queue: by original arrival, at the front, or at the end."""
    keys = [float(r["sort_key"]) for r in waiting]
    if placement == "original":
        return arrival_key
    if placement == "front":
        return (min(keys) - 1.0) if keys else now_key
    if placement == "end":
        return max([now_key, *[k + 0.001 for k in keys]])
    raise ValueError(placement)


def key_after(waiting: Sequence[Row], priority: int, offset: int, now_key: float) -> float:
    """Sort key that puts a late citizen `offset` places behind the head of their tier.

    Between the offset-th and the next waiting step of the same tier; at the end when fewer wait.
    """
    same_tier = sorted((r for r in waiting if int(r["priority"]) == priority), key=queue_order)
    if offset <= 0:
        return (float(same_tier[0]["sort_key"]) - 1.0) if same_tier else now_key
    if len(same_tier) <= offset:
        return max([now_key, *[float(r["sort_key"]) + 0.001 for r in same_tier]])
    before = float(same_tier[offset - 1]["sort_key"])
    after = float(same_tier[offset]["sort_key"])
    return (before + after) / 2.0


def ahead_of(step: Row, waiting: Sequence[Row]) -> int:
    """How many waiting steps of the same matter are ordered before this one."""
    mine = queue_order(step)
    return sum(1 for r in waiting if r["id"] != step["id"] and queue_order(r) < mine)


MIN_LEARNED = 5  # finished services of a matter today before their mean replaces the configured minutes


@dataclass(frozen=True)
class WaitEstimate:
    """The one wait estimate every surface shows (kiosk, printed ticket, phone page, supervisor).

    minutes: the point estimate, float minutes (0 only when nobody is ahead and nothing is open to
    wait for); low/high: whole minutes as shown (see onevisit.core.waits.bounds); learned: True when
    today's finished services gave the mean, False when the matter's configured minutes did.
    """

    minutes: float
    low: int
    high: int
    learned: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "wait_minutes": self.high,
            "wait_low": self.low,
            "wait_high": self.high,
            "wait_zh": waits.say(self.low, self.high, "zh"),
            "wait_en": waits.say(self.low, self.high, "en"),
            "wait_learned": self.learned,
        }


NO_WAIT = WaitEstimate(0.0, 0, 0, False)


def estimate_wait(
    position: int, service_minutes: Sequence[float], configured_minutes: float, open_windows: int
) -> WaitEstimate:
    """position × mean service time ÷ windows open for the matter (DESIGN.md, Queue model).

    position: 1 = next to be called (the service under way counts for the one who is next);
    service_minutes: today's finished services of the matter, minutes each, newest first;
    configured_minutes: `matters[].minutes` from config, used while fewer than MIN_LEARNED
    services have finished today — a morning's first two quick services (staff pressing 完成 at
    once) must not promise "约0分钟" to everyone; open_windows: 0 counts as 1 (a closed matter
    still has someone coming). Never zero with someone to wait for: at least 1 minute.
    """
    if position <= 0:
        return NO_WAIT
    learned = len(service_minutes) >= MIN_LEARNED
    mean = sum(service_minutes) / len(service_minutes) if learned else configured_minutes
    minutes = position * max(mean, 0.0) / max(open_windows, 1)
    low, high = waits.bounds(max(minutes, 1.0))
    return WaitEstimate(round(minutes, 1), low, high, learned)
