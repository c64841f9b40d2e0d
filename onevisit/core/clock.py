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
