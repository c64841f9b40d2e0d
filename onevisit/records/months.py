"""Contribution months as `YYYY-MM` strings: the unit every social-insurance record is kept in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: str) -> tuple[int, int]:
    match = _MONTH.match(text or "")
    if not match:
        raise ValueError(f"not a YYYY-MM month: {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def add_months(month: str, n: int) -> str:
    year, mon = parse_month(month)
    index = year * 12 + (mon - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> int:
    """How many months `first`..`last` spans, both included (0 when last is before first)."""
    y1, m1 = parse_month(first)
    y2, m2 = parse_month(last)
    return max(0, (y2 * 12 + m2) - (y1 * 12 + m1) + 1)


def month_range(first: str, last: str) -> Iterator[str]:
    for i in range(months_between(first, last)):
        yield add_months(first, i)


def add_months_to_date(day: dt.date, n: int) -> dt.date:
    """Same day n months later, clamped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + (day.month - 1) + n
    year, month = index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def zh_month(month: str) -> str:
    year, mon = parse_month(month)
    return f"{year}年{mon:02d}月"
