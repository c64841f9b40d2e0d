"""The one wait estimator (policy.estimate_wait) and how it is said (core.waits)."""

from __future__ import annotations

import pytest

from onevisit.core import waits
from onevisit.queue import policy


def test_configured_minutes_until_enough_is_learned():
    few = [0.05] * (policy.MIN_LEARNED - 1)  # services "finished" in three seconds
    wait = policy.estimate_wait(4, few, configured_minutes=8, open_windows=2)
    assert not wait.learned and wait.minutes == pytest.approx(16) and (wait.low, wait.high) == (15, 20)
    learned = policy.estimate_wait(4, [6.0] * policy.MIN_LEARNED, configured_minutes=8, open_windows=2)
    assert learned.learned and learned.minutes == pytest.approx(12)


@pytest.mark.parametrize("mean", [0.0, 0.01, 0.2])
def test_never_zero_with_someone_to_wait_for(mean):
    wait = policy.estimate_wait(3, [mean] * 10, configured_minutes=5, open_windows=4)
    assert wait.low >= 1 and wait.high >= 1
    assert wait.to_dict()["wait_zh"] == "约1分钟" and wait.to_dict()["wait_en"] == "about 1 min"


def test_no_window_open_counts_as_one():
    assert policy.estimate_wait(2, [], configured_minutes=5, open_windows=0).minutes == pytest.approx(10)


def test_nobody_to_wait_for():
    assert policy.estimate_wait(0, [], 5, 1) == policy.NO_WAIT
    assert policy.NO_WAIT.to_dict()["wait_zh"] == ""


@pytest.mark.parametrize(
    ("minutes", "shown"),
    [
        (0.4, "约1分钟"),
        (4.0, "约4分钟"),
        (4.2, "约5分钟"),
        (9.99, "约10分钟"),
        (10, "约10–15分钟"),
        (27.5, "约25–30分钟"),
    ],
)
def test_whole_minutes_then_a_range(minutes, shown):
    assert waits.say(*waits.bounds(minutes), "zh") == shown
