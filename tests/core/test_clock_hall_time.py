"""core.clock.hall_time: every time shown to a person is in the hall's zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from onevisit.core.clock import hall_time

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_aware_times_and_iso_strings_move_to_the_hall_zone():
    utc = dt.datetime(2026, 11, 29, 7, 53, tzinfo=dt.UTC)
    assert f"{hall_time(utc, 'Asia/Shanghai'):%H:%M}" == "15:53"
    assert hall_time("2026-11-29T07:53:00+00:00", SHANGHAI) == utc
    assert hall_time("2026-11-29T07:53:00+00:00", SHANGHAI).tzinfo == SHANGHAI


def test_naive_is_taken_as_hall_time():
    assert hall_time(dt.datetime(2026, 11, 29, 15, 53), "Asia/Shanghai").utcoffset() == dt.timedelta(hours=8)


def test_not_a_time_is_refused():
    with pytest.raises(ValueError):
        hall_time("yesterday", "Asia/Shanghai")
