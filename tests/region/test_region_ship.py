"""Five halls ship their simulated days to the region through proxies the test cuts and restores:
the region ends with each hall's rows exactly, the city's figures are the sum of the halls' own."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random

import httpx
import pytest

from onevisit.core.clock import FixedClock
from onevisit.queue.errors import QueueError
from onevisit.queue.models import Event, EventKind
from onevisit.queue.replay import differences, rebuild, snapshot
from onevisit.region.ship import RegionUnreachable
from onevisit.region.source import HallSource
from onevisit.region.wire import STREAMS
from onevisit.stats.figures import compute
from onevisit.stats.rows import load_day

#: the simulated day (tests/region/conftest.py)
DAY = dt.date(2026, 11, 23)


def hall_rows(hall, stream: str) -> list[dict]:
    return HallSource(hall.db).rows_above(stream, 0, 10**9)


def region_rows(region, hall, stream: str) -> list[dict]:
    live = region.store.live_incarnations(hall.code)
    assert len(live) == 1, live
    return region.store.rows(stream, hall.code, live[0][1])


def assert_same(region, hall) -> None:
    for stream in STREAMS:
        mine, theirs = hall_rows(hall, stream), region_rows(region, hall, stream)
        assert [r["id"] for r in theirs] == [r["id"] for r in mine], stream
        assert theirs == mine, stream


def own_figures(hall):
    """The hall's figures computed on its own database (what its report shows)."""
    return compute(load_day(hall.path, DAY.isoformat()))


def summary(region, day: str = DAY.isoformat()) -> dict:
    r = httpx.get(
        f"{region.url}/api/city/summary",
        params={"day": day},
        headers={"Authorization": f"Bearer {region.supervisor}"},
        timeout=30,
    )
    assert r.status_code == 200, r.text
    return r.json()


def issue_and_call(hall, count: int, hours: float) -> None:
    """The hall goes on working with its link down: `hours` pass on its clock, tickets are issued
    and the first windows call."""
    service = hall.service()
    try:
        matters = [m.code for m in hall.config.matters]
        for i in range(count):
            hall.clock.advance(hours * 3600 / count)
            service.issue([matters[i % len(matters)]], actor="kiosk:k1")
        for window in hall.config.windows[:2]:
            with contextlib.suppress(QueueError):  # nothing waiting for that window is fine here
                service.call_next(window.number, "staff:test")
    finally:
        service.close()


def test_region_five_halls_cut_and_catch_up(region, make_hall):
    halls = [make_hall(i, visits=90) for i in range(5)]
    shippers = [h.shipper(batch_size=150) for h in halls]
    # two halls are shipped before the link goes down
    for shipper in shippers[:2]:
        report = shipper.ship_once()
        assert report.sent["events"] > 0 and report.inserted == report.sent
    for hall in halls:
        hall.proxy.cut()
    for shipper in shippers:
        with pytest.raises(RegionUnreachable):
            shipper.ship_once()
    # three hours on the halls' clocks, the halls keep issuing and calling
    for hall in halls:
        before = HallSource(hall.db).max_id("events")
        issue_and_call(hall, 12, hours=3)
        assert HallSource(hall.db).max_id("events") >= before + 12
    for hall in halls:
        hall.proxy.restore()
    for shipper in shippers:
        shipper.ship_once()
    # a second round finds nothing pending
    for shipper in shippers:
        assert sum(shipper.ship_once().sent.values()) == 0

    for hall in halls:
        assert_same(region, hall)
        # the region's events replayed give the hall's queue tables
        events = [
            Event(**{**r, "kind": EventKind(r["kind"]), "data": json.loads(r["data"])})
            for r in region_rows(region, hall, "events")
        ]
        service = hall.service()
        try:
            assert differences(rebuild(hall.config, events), snapshot(service.store)) == []
        finally:
            service.close()

    city = summary(region)
    by_hall = {h["hall"]: h for h in city["halls"]}
    totals = {"events": 0, "served": 0, "visits": 0, "calls": 0, "no_shows": 0, "ratings": 0}
    for hall in halls:
        own = own_figures(hall)
        mine = by_hall[hall.code]
        assert mine["figures"]["served"] == own.hall.served
        assert mine["figures"]["visits"] == own.hall.visits
        assert mine["figures"]["wait_p90_min"] == own.hall.wait_p90
        assert mine["figures"]["ratings"] == len(own.hall.scores)
        assert mine["tickets_issued"] == sum(
            1 for e in load_day(hall.path, DAY.isoformat()).events if e["kind"] == "ticket.issued"
        )
        assert mine["events"] == len(load_day(hall.path, DAY.isoformat()).events)
        totals["events"] += mine["events"]
        totals["served"] += own.hall.served
        totals["visits"] += own.hall.visits
        totals["calls"] += own.hall.calls
        totals["no_shows"] += own.hall.no_shows
        totals["ratings"] += len(own.hall.scores)
    assert city["city"]["events"] == totals["events"]
    assert city["city"]["steps_done"] == totals["served"]
    for key in ("visits", "calls", "no_shows", "ratings"):
        assert city["city"]["figures"][key] == totals[key], key
    # no duplicates: every (hall, incarnation, id) once, and as many rows as the halls hold
    held = region.store.db.query(
        "SELECT count(*) AS n, count(DISTINCT hall || '/' || incarnation || '/' || id) AS d FROM region_events"
    )[0]
    assert held["n"] == held["d"] == sum(len(hall_rows(h, "events")) for h in halls)


def test_region_replayed_and_out_of_order_batches_change_nothing(region, make_hall):
    hall = make_hall(0, visits=60)
    source = HallSource(hall.db)
    epoch = source.epoch()
    headers = {"Authorization": f"Bearer {hall.token}"}
    with httpx.Client(base_url=hall.proxy.url, headers=headers, timeout=30) as http:
        mark = http.get("/api/ingest/mark", params={"epoch": epoch}).json()
        incarnation = mark["incarnation"]
        rows = source.rows_above("events", 0, 10**6)
        batches = [rows[i : i + 40] for i in range(0, len(rows), 40)]
        order = list(range(len(batches)))
        random.Random(7).shuffle(order)
        for i in order + order[:3]:  # out of order, and three sent twice
            r = http.post(
                "/api/ingest/batch", json={"incarnation": incarnation, "rows": {"events": batches[i]}}
            )
            assert r.status_code == 200, r.text
        # a batch whose first half is held already: only the rest goes in
        r = http.post("/api/ingest/batch", json={"incarnation": incarnation, "rows": {"events": batches[0]}})
        assert r.json()["inserted"]["events"] == 0 and r.json()["duplicates"] == len(batches[0])
        mark = http.get("/api/ingest/mark", params={"epoch": epoch}).json()
    assert mark["streams"]["events"]["id"] == len(rows)
    assert region_rows(region, hall, "events") == rows


def test_region_mark_stays_below_a_gap(region, make_hall):
    """A batch that arrived ahead of an earlier one leaves a gap; the mark stays below it, so the
    shipper sends the gap again."""
    hall = make_hall(0, visits=40)
    source = HallSource(hall.db)
    rows = source.rows_above("events", 0, 10**6)
    mark = region.store.mark(hall.code, source.epoch())
    region.store.ingest(hall.code, mark["incarnation"], {"events": rows[:10] + rows[20:30]})
    assert region.store.mark(hall.code, source.epoch())["streams"]["events"]["id"] == 10
    report = hall.shipper().ship_once()
    assert report.inserted["events"] == len(rows) - 20
    assert_same(region, hall)


def test_region_backoff_while_unreachable(region, make_hall):
    """The loop waits longer and longer (with jitter) while the link is cut, ships once restored."""
    hall = make_hall(0, visits=30)
    shipper = hall.shipper()
    hall.proxy.cut()
    delays: list[float] = []

    def wait(seconds: float) -> bool:
        delays.append(seconds)
        if len(delays) == 6:
            hall.proxy.restore()
        return len(delays) > 6  # stop after the first wait that follows a good round

    errors: list = []
    shipper.run(
        wait,
        poll_seconds=2,
        backoff_max_seconds=20,
        rng=random.Random(1),
        on_round=lambda r, e: errors.append(e),
    )
    assert all(isinstance(e, RegionUnreachable) for e in errors[:6]) and errors[6] is None
    for n, delay in enumerate(delays[:6]):
        assert 0.75 * min(20, 2 * 2**n) <= delay <= 1.25 * min(20, 2 * 2**n)
    assert delays[6] == 2  # the ordinary pause between rounds
    assert_same(region, hall)
    assert hall.proxy.refused >= 6


def test_region_clock_skew_alarm(region, make_hall, caplog):
    """Hall clocks ten minutes fast and slow: every row still arrives in id order, and both halls
    raise the skew alarm (city summary, shipper's warning); a hall on time does not."""
    halls = [make_hall(i, visits=40) for i in range(3)]
    now = dt.datetime.now(dt.UTC)
    offsets = [600, -600, 0]
    for hall, offset in zip(halls, offsets, strict=True):
        with caplog.at_level("WARNING", logger="onevisit.region.ship"):
            caplog.clear()
            report = hall.shipper(hall_clock=FixedClock(now + dt.timedelta(seconds=offset))).ship_once()
        # region − hall: a fast hall gives a negative skew
        assert report.clock_skew_s is not None
        assert abs(report.clock_skew_s + offset) < 60
        assert ("differs from the region's" in caplog.text) == (offset != 0)
        assert_same(region, hall)
    by_hall = {h["hall"]: h for h in summary(region)["halls"]}
    assert [by_hall[h.code]["skew_alarm"] for h in halls] == [True, True, False]


def test_region_refuses_bad_tokens_and_bad_rows(region, make_hall):
    hall = make_hall(0, visits=10)
    with httpx.Client(base_url=region.url, timeout=10) as http:
        r = http.get("/api/ingest/mark", params={"epoch": "ab" * 8}, headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "not_authorised"
        r = http.get("/api/city/summary", headers={"Authorization": f"Bearer {hall.token}"})
        assert r.status_code == 401  # a hall's token is not a supervisor's
        r = http.get("/api/city/summary", headers={"Authorization": f"Bearer {region.staff}"})
        assert r.status_code == 403 and r.json()["error"]["message_zh"]
        auth = {"Authorization": f"Bearer {hall.token}"}
        r = http.post("/api/ingest/batch", json={"incarnation": "zz", "rows": {}}, headers=auth)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_request"
        r = http.post(
            "/api/ingest/batch",
            json={"incarnation": "ab" * 8, "rows": {"events": [{"id": 1}]}},
            headers=auth,
        )
        assert r.status_code == 422 and "message_en" in r.json()["error"]
        # an incarnation the region never handed out is refused as superseded: ask for the mark
        r = http.post("/api/ingest/batch", json={"incarnation": "cd" * 8, "rows": {}}, headers=auth)
        assert r.status_code == 409 and r.json()["error"]["code"] == "incarnation_superseded"
        r = http.get(
            "/api/city/summary",
            params={"day": "2026-02-30"},
            headers={"Authorization": f"Bearer {region.supervisor}"},
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "bad_day"


def test_region_summary_follows_new_rows(region, make_hall):
    """The dashboard's folded figures are reused only while a hall's rows are unchanged."""
    hall = make_hall(0, visits=30)
    hall.shipper().ship_once()
    before = {h["hall"]: h for h in summary(region)["halls"]}[hall.code]
    again = summary(region)["halls"][0]
    assert {**again, "data_age_s": None} == {**before, "data_age_s": None}  # unchanged rows: the same
    issue_and_call(hall, 3, hours=0.5)
    hall.shipper().ship_once()
    after = {h["hall"]: h for h in summary(region)["halls"]}[hall.code]
    assert after["tickets_issued"] == before["tickets_issued"] + 3
    assert after["events"] > before["events"]


def test_region_two_databases_under_one_code_raise_an_alarm(region, make_hall):
    """A hall set up from a copied config (same code, same token) ships its own database: the
    region keeps the two incarnations apart and /city says two databases use the code. One move to a
    new database (a reinstalled hall) is no alarm; contacts alternating between two are."""
    import dataclasses

    first, other = make_hall(0, visits=20), make_hall(1, visits=20)
    twin = dataclasses.replace(other, code=first.code, token=first.token, extra={})
    first.shipper().ship_once()
    twin.shipper().ship_once()  # one switch: as a hall moving to a new database
    assert not next(h for h in summary(region)["halls"] if h["hall"] == first.code)["twin_alarm"]
    first.shipper().ship_once()  # and back: two databases ship as one hall
    row = next(h for h in summary(region)["halls"] if h["hall"] == first.code)
    assert row["twin_alarm"]
    assert not next(h for h in summary(region)["halls"] if h["hall"] == other.code)["twin_alarm"]
    for client in twin.extra.get("clients", []):
        client.close()
