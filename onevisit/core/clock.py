"""Time, injected: the queue never calls `datetime.now()` itself, so tests and simulations set it."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """An aware datetime in the hall's time zone."""
        ...


class SystemClock:
    def __init__(self, tz: str = "Asia/Shanghai") -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz)


class FixedClock:
    """A clock that moves only when told: for tests and simulations."""

    def __init__(self, start: dt.datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def advance(self, seconds: float = 0, **kwargs: float) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(seconds=seconds, **kwargs)
            return self._now

    def set(self, when: dt.datetime) -> None:
        with self._lock:
            self._now = when


class OffsetClock:
    """Real time shifted to start at a chosen moment: the demo runs a 09:00 hall at any hour."""

    def __init__(self, start: dt.datetime) -> None:
        self._offset = start - dt.datetime.now(start.tzinfo)
        self.tz = start.tzinfo

    def now(self) -> dt.datetime:
        return dt.datetime.now(self.tz) + self._offset


def hall_time(when: dt.datetime | str, zone: str | dt.tzinfo) -> dt.datetime:
    """`when` in the hall's time zone (`config.hall.timezone`): the only time a person is shown.

    Every screen, ticket, receipt, certificate and report formats times through this, so a
    certificate printed on a kiosk whose system clock runs in UTC says 15:53, as the hall's
    command line does, not 07:55. when: an aware datetime or an ISO 8601 string; a naive one is
    taken as already in hall time (the hall writes its own times with their offset).
    Raises ValueError for a string that is not ISO 8601.
    """
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    moment = dt.datetime.fromisoformat(when) if isinstance(when, str) else when
    if moment.tzinfo is None:
        return moment.replace(tzinfo=tz)
    return moment.astimezone(tz)
