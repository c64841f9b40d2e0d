"""A scaled-down hall day against the real hall server: nothing acknowledged is lost, even across
SIGKILLs of the server, and the boards show every call again after a restart.

The full-size day (6,000 visits, 30 windows, 8 kiosks at 20x) is bench/bench_hallday.py; its
figures are in docs/RELIABILITY.md. This is the same driver and the same checks on 600 visits.
"""

from __future__ import annotations

import random
import threading

import pytest

from tests.reliability import hallday
from tests.reliability.hallday import (
    DayLoad,
    HallDay,
    check_day,
    expected_boards,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def run_day(tmp_path, load: DayLoad, *, boards: bool = False, on_tick=None, database=None, hall_code=None):
    run = hallday.run_day(
        tmp_path, load, boards=boards, on_tick=on_tick, database=database, hall_code=hall_code
    )
    return run.config, run.db, run.server, run.emulator, run.outcome


#: The whole day on SQLite; on PostgreSQL a smaller one with the same kills and the same checks of
#: the database (every acknowledged ticket, gapless numbers, replay). The boards' part does not
#: depend on the engine and runs once, on SQLite: the suite stays under 15 minutes.
VISITS = {"sqlite": 600, "postgresql": 300}
BOARDS = {"sqlite": True, "postgresql": False}
SPEED = {"sqlite": 900, "postgresql": 1800}


@pytest.mark.parametrize("db_engine", ["sqlite", "postgresql"], indirect=True)
def test_hall_day_with_kills_loses_nothing(tmp_path, db_engine, db_target, config):
    load = DayLoad(
        visits=VISITS[db_engine],
        kiosks=8,
        windows=30,
        speed=SPEED[db_engine],
        service_scale=0.5,
        kills=3,
        deadline=240,
    )
    rng = random.Random(5)
    # Kill at random moments of the busy part of the day (sim seconds after opening).
    kill_at = sorted(rng.uniform(1800, 24000) for _ in range(load.kills))

    def on_tick(day: HallDay, now: float) -> None:
        if kill_at and now >= kill_at[0]:
            kill_at.pop(0)
            day.kill_and_restart()

    database = None if db_engine == "sqlite" else db_target
    config, db, server, emulator, outcome = run_day(
        tmp_path,
        load,
        boards=BOARDS[db_engine],
        on_tick=on_tick,
        database=database,
        hall_code=config.hall.code,
    )
    try:
        assert outcome.restarts == load.kills
        figures = check_day(config, db, outcome)
        assert figures["tickets"] == len(outcome.acked) == load.visits
        assert figures["transfers"] and figures["recalls"] and figures["skips"] and figures["checkins"]
        assert outcome.retries_checked and outcome.retries_same_ticket == outcome.retries_checked
        if emulator is None:
            return
        # After the last restart the boards show exactly what the day's events say they should.
        expected = expected_boards(config, db)
        assert emulator.wait_for(lambda texts: all(texts.get(a) == t for a, t in expected.items()), 15), {
            a: (emulator.texts().get(a), t) for a, t in expected.items() if emulator.texts().get(a) != t
        }
        calls_survive_a_kill(config, db, server, emulator)
    finally:
        server.stop()
        if emulator is not None:
            emulator.stop()


def _query(config, db, sql: str) -> list[dict]:
    from onevisit.db import open_database

    database = open_database(db, hall_code=config.hall.code)
    try:
        return database.query(sql)
    finally:
        database.dispose()


def listener_cursor(config, db) -> int:
    rows = _query(config, db, "SELECT value FROM hall_meta WHERE key = 'listener_cursor'")
    return int(rows[0]["value"]) if rows else 0


def last_event_id(config, db) -> int:
    return _query(config, db, "SELECT max(id) AS last FROM events")[0]["last"] or 0


def calls_survive_a_kill(config, db, server, emulator) -> None:
    """Calls on the boards, the server killed once the hall has moved on, restarted: the boards must
    show the same calls, not their idle texts (they did, before the hub primed the call-out)."""
    import httpx

    from tests.reliability.hallday import STAFF_PASSWORD, SUPERVISOR

    with httpx.Client(base_url=server.url, timeout=30) as c:

        def login(name, pw):
            r = c.post("/api/auth/login", json={"username": name, "password": pw})
            return {"Authorization": f"Bearer {r.json()['token']}"}

        sup = login(*SUPERVISOR)
        for i, matter in enumerate(["enroll", "contrib", "benefit", "card"]):
            r = c.post("/api/tickets", json={"matters": [matter], "idempotency_key": f"b{i}"}, headers=sup)
            assert r.status_code == 201, r.text
        called = {}
        for w in (1, 2):
            r = c.post(f"/api/windows/{w}/call", headers=login(f"staff{w}", STAFF_PASSWORD))
            called[w] = r.json()["ticket"]["number"]
        r = c.post("/api/windows/2/start", headers=login("staff2", STAFF_PASSWORD))
        assert r.status_code == 200
        assert emulator.wait_for(lambda t: called[1] in t.get(1, "") and "正在办理" in t.get(2, ""), 10)
        # The hall moves on (a window pauses and resumes) until the event cursor passes the calls.
        target = last_event_id(config, db)
        tick = threading.Event()
        for _ in range(120):
            if listener_cursor(config, db) >= target:
                break
            c.post("/api/windows/8/pause", headers=sup)
            c.post("/api/windows/8/resume", headers=sup)
            tick.wait(0.25)  # polling another process's database: there is no signal to wait on
        assert listener_cursor(config, db) >= target
    server.kill()
    server.start()
    expected = expected_boards(config, db)
    assert called[1] in expected[1] and "正在办理" in expected[2]
    ok = emulator.wait_for(lambda t: all(t.get(a) == text for a, text in expected.items()), 15)
    assert ok, {a: (emulator.texts().get(a), t) for a, t in expected.items() if emulator.texts().get(a) != t}
