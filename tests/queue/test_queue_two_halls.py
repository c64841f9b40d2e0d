"""Two halls in one PostgreSQL database, issuing and calling at once from several processes: each
hall's numbers are its own, unique and gapless, and neither hall sees a row of the other."""

from __future__ import annotations

import contextlib
import multiprocessing as mp

import pytest

from onevisit.queue import QueueService
from onevisit.queue.replay import differences, rebuild, snapshot

pytestmark = pytest.mark.slow


def _with_code(config, code: str):
    return config.model_copy(update={"hall": config.hall.model_copy(update={"code": code})})


def _work(config, url, window, start, count, out):
    """Issue `count` tickets and serve one after every second, as a kiosk and a window would."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from onevisit.core.clock import FixedClock
    from onevisit.queue.errors import NothingWaiting

    clock = FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    service = QueueService.open(config, db_path=url, clock=clock)
    start.wait(30)
    numbers = []
    for i in range(count):
        numbers.append(
            service.issue(["enroll"], idempotency_key=f"{config.hall.code}-{i}-{id(out)}").ticket.number
        )
        if i % 2:
            with contextlib.suppress(NothingWaiting):  # the other process served what was waiting
                service.call_next(window, f"staff:w{window}")
                service.start(window, f"staff:w{window}")
                service.finish(window, f"staff:w{window}")
    service.close()
    out.put((config.hall.code, numbers))


def test_two_halls_share_one_postgresql_and_never_meet(hall_config, postgres, tmp_path):
    url = postgres.url
    halls = {
        code: _with_code(hall_config, code)
        for code in (hall_config.hall.code + "A", hall_config.hall.code + "B")
    }
    for config in halls.values():
        QueueService.open(config, db_path=url).close()  # each hall's schema first
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    workers = [
        ctx.Process(target=_work, args=(config, url, window, start, 30, out))
        for config in halls.values()
        for window in (1, 2)
    ]
    for w in workers:
        w.start()
    start.set()
    got: dict[str, list[str]] = {code: [] for code in halls}
    for _ in workers:
        code, numbers = out.get(timeout=60)
        got[code] += numbers
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    for code, config in halls.items():
        # 2 processes x 30 tickets per hall, numbered from A001 in each hall: no gap, no duplicate.
        assert sorted(got[code]) == [f"A{i:03d}" for i in range(1, 61)], code
        service = QueueService.open(config, db_path=url)
        try:
            tables = snapshot(service.store)
            assert len(tables["tickets"]) == 60  # its own 60, none of the other hall's
            assert {t["idempotency_key"].split("-")[0] for t in tables["tickets"].values()} == {code}
            assert differences(rebuild(config, service.events_since(0, 100_000)), tables) == []
        finally:
            service.close()
