"""How a wait estimate is said to a citizen: whole minutes, or a five-minute range once it is long.

The number itself is computed once, by `onevisit.queue.policy.estimate_wait`; this module only
words it, so the kiosk, the printed ticket, the phone page and the supervisor say the same thing.
Below `RANGE_FROM` minutes a single figure is honest enough ("约 4 分钟"); above it the spread of
service times makes one figure look falsely precise, so a range is shown ("约10–15分钟").
"""

from __future__ import annotations

import math

RANGE_FROM = 10  # minutes; from here on an estimate is shown as a range
RANGE_STEP = 5  # minutes; width of the range and the granularity of its ends


def bounds(minutes: float) -> tuple[int, int]:
    """(low, high) whole minutes for an estimate of `minutes`; never (0, 0) for a positive estimate.

    Under RANGE_FROM: (n, n) with n = ceil(minutes), at least 1. From RANGE_FROM: the five-minute
    band holding the estimate, e.g. 12.4 → (10, 15), 15.0 → (15, 20). 0 or less → (0, 0).
    """
    if minutes <= 0:
        return 0, 0
    if minutes < RANGE_FROM:
        n = max(1, math.ceil(minutes - 1e-9))
        return n, n
    low = int(minutes // RANGE_STEP) * RANGE_STEP
    return low, low + RANGE_STEP


def say(low: int, high: int, lang: str = "zh") -> str:
    """ "约4分钟" / "约10–15分钟" ("about 4 min" / "about 10–15 min"); "" for no wait (0, 0)."""
    if high <= 0:
        return ""
    span = f"{low}" if low == high else f"{low}–{high}"
    return f"约{span}分钟" if lang == "zh" else f"about {span} min"
