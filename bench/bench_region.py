"""The city region: shipping, catch-up, ingest under 50 halls, the city dashboard.

    uv run python bench/bench_region.py [--visits 4000] [--halls 50] [--batch 500]

A private PostgreSQL (onevisit.sim.postgres) holds the region; the region server runs on a thread
with a real socket (uvicorn), as in tests/region.

1. A 4,000-visit hall day (the hall-day simulator, SQLite, kiosk self-service and ratings) whose
   link was down for the 8 hours of the day: everything is pending when it comes back. The
   shipper's catch-up (`Shipper.ship_once`, batches of --batch) is timed: catch-up seconds and
   rows shipped per second.
2. --halls halls ship at once (one thread each, its own token and incarnation, each sending a
   300-visit day's events in batches of --batch over HTTP): the region's ingest time per batch,
   p50/p99 (one transaction per batch under the region's write lock).
3. GET /api/city/summary for that day over all halls (the hall's figures code per hall): the first
   request folds every hall's day; the next four find nothing new and reuse the folds (median).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from onevisit.core.clock import SystemClock  # noqa: E402
from onevisit.core.config import load_config  # noqa: E402
from onevisit.db import open_database, schema  # noqa: E402
from onevisit.hall.server import ServerThread  # noqa: E402
from onevisit.region.app import create_region_app  # noqa: E402
from onevisit.region.ship import RegionClient, Shipper  # noqa: E402
from onevisit.region.source import HallSource  # noqa: E402
from onevisit.region.store import RegionStore  # noqa: E402
from onevisit.sim.hallday.simulation import DayPlan, simulate_day  # noqa: E402
from onevisit.sim.postgres import start_postgres  # noqa: E402

DAY = dt.date(2026, 11, 23)


def hall_day(
    folder: Path, code: str, visits: int, seed: int, windows: int | None = None
) -> tuple[Path, object]:
    config = load_config(REPO / "config.toml")
    config = config.model_copy(
        update={
            "hall": config.hall.model_copy(update={"code": code}),
            "security": config.security.model_copy(update={"secrets_dir": str(folder / "secrets")}),
        }
    )
    path = folder / f"{code}.db"
    db = open_database(path, hall_code=code, durable=False)

    def selfservice(kind: str, when: dt.datetime, data: dict) -> None:
        with db.transaction() as tx:
            tx.insert(
                schema.selfservice_events,
                {"at": when.isoformat(), "day": when.date().isoformat(), "actor": "kiosk:k1", "kind": kind,
                 "data": json.dumps(data)},
            )  # fmt: skip

    t0 = time.perf_counter()
    # as bench_hallday: a hall this busy has more windows, service times shrunk to fit one day
    plan = DayPlan(
        visits=visits, seed=seed, durable=False, selfservice_rate=0.15, service_scale=0.1, windows=windows
    )
    simulate_day(config, path, plan, DAY, on_selfservice=selfservice).service.close()
    print(f"  simulated {visits} visits for {code} in {time.perf_counter() - t0:.1f} s")
    return path, db


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--visits", type=int, default=4000)
    ap.add_argument("--halls", type=int, default=50)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {platform.python_version()}, date {dt.date.today()}")
    with start_postgres() as pg, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = RegionStore.open(pg.create_database("region_bench"), SystemClock())
        server = ServerThread(create_region_app(store, secrets.token_bytes(32))).start()
        supervisor = store.add_user("bench-sup")
        try:
            # 1. catch-up after an 8-hour outage: the whole day pending
            _, db = hall_day(folder, "BIG", args.visits, 1, windows=30)
            source = HallSource(db)
            pending = sum(source.max_id(s) for s in ("events", "ratings", "selfservice"))
            client = RegionClient(server.url, store.add_hall("BIG"), SystemClock(), timeout=60)
            shipper = Shipper(source, client, batch_size=args.batch)
            t0 = time.perf_counter()
            report = shipper.ship_once()
            took = time.perf_counter() - t0
            sent = sum(report.sent.values())
            assert sent == pending, (sent, pending)
            print(f"catch-up: {sent} rows ({report.batches} batches of ≤{args.batch}) in {took:.2f} s "
                  f"= {sent / took:.0f} rows/s")  # fmt: skip
            client.close()

            # 2. ingest p99 with --halls halls shipping at once
            _, small_db = hall_day(folder, "SMALL", 300, 2)
            rows = HallSource(small_db).rows_above("events", 0, 10**7)
            batches = [rows[i : i + args.batch] for i in range(0, len(rows), args.batch)]
            times: list[float] = []
            lock = threading.Lock()
            tokens = [store.add_hall(f"H{i:03d}") for i in range(args.halls)]

            def ship(i: int) -> None:
                epoch = secrets.token_hex(8)
                with httpx.Client(
                    base_url=server.url, headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=120
                ) as http:
                    inc = http.get("/api/ingest/mark", params={"epoch": epoch}).json()["incarnation"]
                    for batch in batches:
                        t = time.perf_counter()
                        r = http.post(
                            "/api/ingest/batch", json={"incarnation": inc, "rows": {"events": batch}}
                        )
                        r.raise_for_status()
                        with lock:
                            times.append(time.perf_counter() - t)

            t0 = time.perf_counter()
            threads = [threading.Thread(target=ship, args=(i,)) for i in range(args.halls)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - t0
            times.sort()
            p99 = times[max(0, int(len(times) * 0.99) - 1)]
            total = len(rows) * args.halls
            print(f"ingest: {args.halls} halls × {len(batches)} batches ({total} events) in {wall:.1f} s "
                  f"= {total / wall:.0f} events/s; per batch p50 {statistics.median(times) * 1000:.0f} ms, "
                  f"p99 {p99 * 1000:.0f} ms")  # fmt: skip

            # 3. the city dashboard over every hall
            took_city = []
            with httpx.Client(base_url=server.url, timeout=300) as http:
                for _ in range(5):
                    t = time.perf_counter()
                    r = http.get("/api/city/summary", params={"day": DAY.isoformat()},
                                 headers={"Authorization": f"Bearer {supervisor}"})  # fmt: skip
                    r.raise_for_status()
                    took_city.append(time.perf_counter() - t)
            city = r.json()["city"]
            print(f"/api/city/summary: {len(r.json()['halls'])} halls, {city['events']} events: first (every "
                  f"hall folded) {took_city[0] * 1000:.0f} ms, then (nothing new: folds reused) median "
                  f"{statistics.median(took_city[1:]) * 1000:.0f} ms")  # fmt: skip
        finally:
            server.stop()
            store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
