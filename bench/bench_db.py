"""Database engines: ticket issue latency p50/p99 and tickets/s, SQLite and PostgreSQL side by side.

    uv run --frozen python bench/bench_db.py [--issues 300]

In one run, through the real `QueueService.issue` path (onevisit.queue):

- SQLite: a file in a temp folder (WAL, synchronous=FULL), 1 and 4 processes issuing at once;
- PostgreSQL: a private server (onevisit.sim.postgres, durable=True: fsync and synchronous_commit
  on, fair against SQLite's synchronous=FULL), one hall, 1 and 4 processes;
- two halls sharing that PostgreSQL database (two schemas), 1 and 4 processes per hall at once:
  each hall's writes are serialised by its own advisory lock, the two halls' are not.

Each process opens its own QueueService, waits at a barrier, then issues `--issues` tickets (two
matters each, an idempotency key each) timing every call. tickets/s = all tickets of the scenario /
(last process's end − first process's start). An injected clock keeps the hall inside opening
hours; daily caps are lifted (this measures the store, not the hall's limits).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing as mp
import os
import platform
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config
from onevisit.core.secrets import load_or_create_key
from onevisit.queue import QueueService
from onevisit.sim.postgres import start_postgres

REPO = Path(__file__).resolve().parent.parent
MATTERS = ["enroll", "contrib", "benefit", "card", "medical"]


def _config(base: Path, code: str):
    config = load_config(REPO / "config.toml")
    return config.model_copy(
        update={
            "base_dir": base,
            "hall": config.hall.model_copy(update={"code": code}),
            "matters": [m.model_copy(update={"daily_cap": 10**6}) for m in config.matters],
        }
    )


def _clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


def _worker(base: str, target: str, code: str, count: int, tag: str, barrier, out) -> None:
    service = QueueService.open(_config(Path(base), code), db_path=target, clock=_clock())
    # the first transaction (schema check, windows) is not part of what is measured
    service.issue(["enroll"], idempotency_key=f"{tag}-warm")
    barrier.wait(120)
    started = time.perf_counter()
    latencies = []
    for i in range(count):
        t0 = time.perf_counter()
        service.issue([MATTERS[i % 5], MATTERS[(i + 2) % 5]], idempotency_key=f"{tag}-{i}")
        latencies.append(time.perf_counter() - t0)
    out.put((code, started, time.perf_counter(), latencies))
    service.close()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def scenario(base: Path, halls: list[tuple[str, str]], procs: int, count: int) -> dict[str, dict]:
    """halls: [(target, code)]; `procs` processes per hall, all at once. Figures per hall."""
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(procs * len(halls))
    out = ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(str(base), target, code, count, f"{code}-{p}", barrier, out))
        for target, code in halls
        for p in range(procs)
    ]
    for w in workers:
        w.start()
    results = [out.get(timeout=600) for _ in workers]
    for w in workers:
        w.join(60)
    figures = {}
    for _, code in halls:
        mine = [r for r in results if r[0] == code]
        latencies = [x for r in mine for x in r[3]]
        wall = max(r[2] for r in mine) - min(r[1] for r in mine)
        figures[code] = {
            "p50_ms": pct(latencies, 50) * 1000,
            "p99_ms": pct(latencies, 99) * 1000,
            "tickets_per_s": len(latencies) / wall,
            "tickets": len(latencies),
        }
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--issues", type=int, default=300, help="tickets per process (default 300)")
    args = ap.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs (shared with other jobs), python {platform.python_version()}"
    )
    print(f"{args.issues} tickets per process, two matters each, through QueueService.issue\n")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-db-") as tmp:
        base = Path(tmp)
        # the ID-hash key made once here, not raced for by the first processes
        config = _config(base, "B")
        load_or_create_key(config.path(config.security.secrets_dir), "id-hash.key")
        server = start_postgres(durable=True)
        try:
            for procs in (1, 4):
                for engine, target in (
                    ("SQLite", str(base / f"hall-{procs}.db")),
                    ("PostgreSQL", server.url),
                ):
                    code = f"B{procs}{engine[0]}"
                    f = scenario(base, [(target, code)], procs, args.issues)[code]
                    rows.append((engine, "1 hall", procs, f))
                codes = [f"H{procs}A", f"H{procs}B"]
                both = scenario(base, [(server.url, c) for c in codes], procs, args.issues)
                for c in codes:
                    rows.append(("PostgreSQL", f"2 halls: {c}", procs, both[c]))
        finally:
            server.stop()
    print(f"{'engine':<11} {'halls':<14} {'procs/hall':>10} {'p50 ms':>8} {'p99 ms':>8} {'tickets/s':>10}")
    for engine, halls, procs, f in rows:
        print(
            f"{engine:<11} {halls:<14} {procs:>10} {f['p50_ms']:>8.1f} {f['p99_ms']:>8.1f} "
            f"{f['tickets_per_s']:>10.0f}"
        )


if __name__ == "__main__":
    main()
