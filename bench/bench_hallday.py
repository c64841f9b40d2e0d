"""The full hall day against the real hall server, with SIGKILLs and online backups.

    uv run python bench/bench_hallday.py [--visits 6000] [--windows 30] [--kiosks 8] [--speed 20]
                                         [--kills 5] [--backups 3] [--service-scale 0.1]

`onevisit hall` runs in its own process on a free port with a board emulator on a pseudo-terminal;
8 kiosk threads issue tickets at the day's arrival times, 30 window threads call, recall, skip,
start, finish and transfer, 过号 citizens check in again. The server is killed with SIGKILL at
random moments and restarted on the same database; `onevisit backup` runs while it serves. Then
every check of tests/reliability/hallday.py runs: acknowledged tickets present, numbers unique and
gapless, steps legal, replay == tables, boards equal to what the events say.

--service-scale (default 0.1) shrinks service times so 6,000 visits fit 30 windows in one day (a real hall this
busy has more windows); arrival times keep the hall's hourly profile.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.reliability.hallday import (  # noqa: E402
    DAY_SECONDS,
    DayLoad,
    check_day,
    expected_boards,
    run_day,
)


def backup_check(db: Path, target: Path, acked_before: set[str]) -> dict:
    """`onevisit backup` while serving; the copy must hold every ticket acknowledged before it began."""
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "onevisit.commands.main", "backup", "--db", str(db), str(target)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    took = time.perf_counter() - t0
    if out.returncode != 0:
        return {"ok": False, "error": out.stderr[-500:]}
    with sqlite3.connect(target) as conn:
        numbers = {r[0] for r in conn.execute("SELECT idempotency_key FROM tickets")}
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    missing = acked_before - numbers
    return {"ok": integrity == "ok" and not missing, "seconds": round(took, 2), "missing": len(missing)}


def main() -> int:
    # SIGTERM ends the run through the finally blocks, so the hall server child is stopped too.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--visits", type=int, default=6000)
    ap.add_argument("--windows", type=int, default=30)
    ap.add_argument("--kiosks", type=int, default=8)
    ap.add_argument("--speed", type=float, default=20.0)
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--backups", type=int, default=3)
    ap.add_argument("--service-scale", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=10)
    ap.add_argument("--keep", action="store_true", help="keep the run's folder and print it")
    args = ap.parse_args()

    load = DayLoad(
        visits=args.visits,
        kiosks=args.kiosks,
        windows=args.windows,
        speed=args.speed,
        service_scale=args.service_scale,
        seed=args.seed,
        kills=args.kills,
        deadline=DAY_SECONDS / args.speed * 2 + 600,
    )
    rng = random.Random(args.seed)
    kill_at = sorted(rng.uniform(0.05, 0.9) * DAY_SECONDS for _ in range(args.kills))
    backup_at = sorted(rng.uniform(0.1, 0.9) * DAY_SECONDS for _ in range(args.backups))
    root = Path(tempfile.mkdtemp(prefix="hallday-", dir=REPO / "var" if (REPO / "var").is_dir() else None))
    backups: list[dict] = []

    def on_tick(day, now: float) -> None:
        if kill_at and now >= kill_at[0]:
            kill_at.pop(0)
            t0 = time.perf_counter()
            day.kill_and_restart()
            print(
                f"  kill -9 at {now / 3600 + 8.5:5.2f} h, back in {time.perf_counter() - t0:.2f} s",
                flush=True,
            )
        if backup_at and now >= backup_at[0]:
            backup_at.pop(0)
            with day.lock:
                acked = set(day.outcome.acked)
            result = backup_check(day.server.db_path, root / f"backup-{len(backups) + 1}.db", acked)
            backups.append(result)
            print(f"  backup at {now / 3600 + 8.5:5.2f} h: {result}", flush=True)

    print(
        f"hall day: {args.visits} visits, {args.windows} windows, {args.kiosks} kiosks, {args.speed:g}x "
        f"(~{DAY_SECONDS / args.speed / 60:.0f} min), {args.kills} kills, {args.backups} backups",
        flush=True,
    )
    run = run_day(root, load, boards=True, on_tick=on_tick)
    try:
        out = run.outcome
        figures = check_day(run.config, run.db, out)
        expected = expected_boards(run.config, run.db)
        boards_ok = run.emulator.wait_for(lambda t: all(t.get(a) == x for a, x in expected.items()), 30)
    finally:
        run.close()
    report = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "visits": args.visits,
        "tickets": figures["tickets"],
        "acknowledged": len(out.acked),
        "real_minutes": round(out.real_seconds / 60, 1),
        "requests": out.requests,
        "requests_per_second": round(out.requests / out.real_seconds, 1),
        "kills": out.restarts,
        "transport_errors_retried": out.counts.get("transport_error", 0),
        "answers_repeated_after_kill": out.created.get(False, 0),
        "double_taps_same_ticket": f"{out.retries_same_ticket}/{out.retries_checked}",
        "server_errors": len(out.server_errors),
        "backups": backups,
        "boards_match_events": boards_ok,
        **{k: v for k, v in figures.items() if k != "moves"},
        "step_moves": figures["moves"],
    }
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if args.keep:
        print(f"run folder: {root}")
    ok = boards_ok and all(b["ok"] for b in backups) and not out.server_errors
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
