"""Queue benchmarks: ticket issue latency and throughput (1 and 4 processes), and a simulated day.

    uv run python bench/bench_queue.py [--issues 2000] [--visits 4000]

Runs against a real SQLite file (WAL, synchronous=FULL) in a temporary folder on the same disk as
the repo, with an injected clock inside opening hours.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import platform
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config
from onevisit.queue import QueueService
from onevisit.sim.hallday.simulation import DayPlan, simulate_day

REPO = Path(__file__).resolve().parent.parent
MATTERS = ["enroll", "contrib", "benefit", "card", "medical"]


def _config(base: Path):
    config = load_config(REPO / "config.toml")
    # Caps lifted: this measures the store, not the hall's daily limits.
    return config.model_copy(
        update={
            "base_dir": base,
            "matters": [m.model_copy(update={"daily_cap": 10**6}) for m in config.matters],
        }
    )


def _clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def _issue(base: Path, db: Path, count: int, tag: str, start=None, out=None, ready=None) -> list[float]:
    service = QueueService.open(_config(base), db_path=db, clock=_clock())
    if start is not None:
        ready.put(tag)
        start.wait(60)
    latencies = []
    for i in range(count):
        t0 = time.perf_counter()
        service.issue([MATTERS[i % 5], MATTERS[(i + 2) % 5]], idempotency_key=f"{tag}-{i}")
        latencies.append(time.perf_counter() - t0)
    if out is not None:
        out.put(latencies)
    return latencies


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(int(len(ordered) * p), len(ordered) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--issues", type=int, default=2000, help="tickets per run (split over processes)")
    parser.add_argument("--visits", type=int, default=4000)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {mp.cpu_count()} cores, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory(dir=REPO) as tmp:
        base = Path(tmp)

        db = base / "one.db"
        QueueService.open(_config(base), db_path=db, clock=_clock()).close()
        t0 = time.perf_counter()
        lat = _issue(base, db, args.issues, "p0")
        wall = time.perf_counter() - t0
        print(
            f"issue, 1 process:   n={len(lat)} p50={pct(lat, 0.5):.2f} ms p99={pct(lat, 0.99):.2f} ms "
            f"throughput={len(lat) / wall:.0f} tickets/s"
        )

        db = base / "four.db"
        QueueService.open(_config(base), db_path=db, clock=_clock()).close()
        ctx = mp.get_context("spawn")
        start, out, ready = ctx.Event(), ctx.Queue(), ctx.Queue()
        per = args.issues // 4
        procs = [
            ctx.Process(target=_issue, args=(base, db, per, f"p{i}", start, out, ready)) for i in range(4)
        ]
        for p in procs:
            p.start()
        for _ in procs:  # every process imported and opened the database: start them together
            ready.get(timeout=120)
        t0 = time.perf_counter()
        start.set()
        lat = [x for _ in procs for x in out.get(timeout=600)]
        wall = time.perf_counter() - t0
        for p in procs:
            p.join()
        print(
            f"issue, 4 processes: n={len(lat)} p50={pct(lat, 0.5):.2f} ms p99={pct(lat, 0.99):.2f} ms "
            f"throughput={len(lat) / wall:.0f} tickets/s"
        )

        t0 = time.perf_counter()
        result = simulate_day(_config(base), base / "day.db", DayPlan(visits=args.visits, service_scale=0.06))
        wall = time.perf_counter() - t0
        events = len(result.service.events_since(0, 10**7))
        print(
            f"simulated day: {result.issued} visits over {len(result.service.config.windows)} windows, "
            f"{result.finished_steps} steps finished, {result.transfers} transfers, {result.skipped} no-shows, "
            f"{events} events, {result.unserved} left open (missed, not back) in {wall:.1f} s "
            f"({events / wall:.0f} events/s)"
        )


if __name__ == "__main__":
    main()
