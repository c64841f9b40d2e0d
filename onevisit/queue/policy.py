"""Who is called next, where a transferred or late citizen re-enters, and how long the wait is.

Pure functions over rows, so the rules can be read, tested and simulated without a database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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


def estimate_minutes(position: int, mean_service_minutes: float, open_windows: int) -> float:
    """position × mean service time ÷ windows open for the matter."""
    if position <= 0:
        return 0.0
    return round(position * mean_service_minutes / max(open_windows, 1), 1)
