"""The day simulator gives the figures and the event stream it gave before it was made faster.

The golden file `data/hallday_golden.json` was recorded from the simulator as it was before the
speed work (an untouched copy of main at the time, /work/scratch/simbase on the integration
machine), with the frozen config `data/hallday_golden_config.toml` (a copy of config.toml):

    PYTHONPATH=/path/to/old/tree python tests/sim/test_sim_hallday_golden.py record tests/sim/data/hallday_golden.json

Ticket short codes come from `secrets`, not from the seed, so they are masked in the event stream;
everything else (every event's time, actor, kind, number, window, matter and recorded row changes,
and every figure of the day) must match exactly. A change that alters the simulated day on purpose
records the file again from the new code and says so in its commit.

Recorded again on 2026-11-29 when 转出 became its own step state (an intended change of the events):
from main at that point with the six simulator speed commits reverted (`git revert 942b5aa faabb1e
72821b3 5016b68 8058709 21a0ffb` in a scratch worktree); the sped-up code gives the identical file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
import sys
from collections import Counter
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "hallday_golden.json"
CONFIG = DATA / "hallday_golden_config.toml"
DAY = dt.date(2026, 11, 23)
#: A small busy day: 300 arrivals, 30 % ending at the kiosk, service times × 0.3 so queues build.
PLAN = {"visits": 300, "seed": 11, "selfservice_rate": 0.3, "service_scale": 0.3, "durable": False}


def event_stream(db: Path) -> list[str]:
    """Every event of the day as one canonical JSON line, short codes masked."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT at, actor, kind, day, number, window, matter, data FROM events ORDER BY id"
        ).fetchall()
    finally:
        conn.close()
    lines = []
    for at, actor, kind, day, number, window, matter, data in rows:
        payload = json.loads(data)
        for change in payload.get("changes", []):
            inserted = change.get("insert")
            if change.get("t") == "tickets" and inserted and "short_code" in inserted:
                inserted["short_code"] = "******"
        lines.append(
            json.dumps(
                [at, actor, kind, day, number, window, matter, payload], ensure_ascii=False, sort_keys=True
            )
        )
    return lines


def simulate(folder: Path) -> dict[str, Any]:
    """Run the golden day in `folder`: its figures, its event count per kind and the stream's digest."""
    from onevisit.core.config import load_config
    from onevisit.sim.hallday.simulate import run
    from onevisit.sim.hallday.simulation import DayPlan

    outcome = run(load_config(CONFIG), DayPlan(**PLAN), folder, DAY)  # type: ignore[arg-type]
    lines = event_stream(outcome.db)
    return {
        "plan": PLAN,
        "result": {
            "issued": outcome.result.issued,
            "finished_steps": outcome.result.finished_steps,
            "skipped": outcome.result.skipped,
            "transfers": outcome.result.transfers,
            "recalls": outcome.result.recalls,
            "selfservice": outcome.result.selfservice,
            "unserved": outcome.result.unserved,
            "end": outcome.result.end.isoformat(),
        },
        "events": {
            "count": len(lines),
            "kinds": dict(sorted(Counter(json.loads(line)[2] for line in lines).items())),
            "sha256": hashlib.sha256("\n".join(lines).encode()).hexdigest(),
        },
        "figures": json.loads(json.dumps(outcome.figures.to_dict(), ensure_ascii=False)),
    }


def _same(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` differs from `expected`; keys only in `actual` (figures added later) are ignored."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key, value in expected.items():
            if key not in actual:
                out.append(f"{path}.{key}: missing")
            else:
                out.extend(_same(value, actual[key], f"{path}.{key}"))
        return out
    return [] if expected == actual else [f"{path}: expected {expected!r}, got {actual!r}"]


def test_simulated_day_matches_the_recorded_golden_day(tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    actual = simulate(tmp_path / "day")
    assert actual["plan"] == golden["plan"]
    assert actual["result"] == golden["result"]
    assert actual["events"]["kinds"] == golden["events"]["kinds"]
    assert actual["events"] == golden["events"]
    differences = _same(golden["figures"], actual["figures"], "figures")
    assert not differences, "\n".join(differences[:20])


if __name__ == "__main__" and sys.argv[1:2] == ["record"]:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        recorded = simulate(Path(tmp) / "day")
    Path(sys.argv[2]).write_text(json.dumps(recorded, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"recorded {recorded['events']['count']} events to {sys.argv[2]}")
