"""Booking-list import: a day's 5,000 bookings (MAX_IMPORT_ROWS) as Excel and WPS save them.

For each format the whole `AppointmentStore.import_file` is timed — decode or open the workbook,
read, validate every row (GB 11643, booking rules, duplicates), insert in one transaction — on a
fresh database, 3 runs, the median printed in seconds with the peak Python memory (tracemalloc).
The supervisor waits on this over HTTP, so it should stay a few seconds.

    uv run python bench/bench_import.py [--rows 5000] [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import random
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl

from onevisit.core.clock import FixedClock
from onevisit.core.config import load_config
from onevisit.db import open_database
from onevisit.hall.stores.appointments import AppointmentStore
from onevisit.sim.records.idgen import random_id

REPO = Path(__file__).resolve().parent.parent
NOW = dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def rows(n: int) -> list[list[object]]:
    rng = random.Random(7)
    out: list[list[object]] = [["身份证号", "业务", "预约时间"]]
    for i in range(n):
        born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25000))
        day = NOW.date() + dt.timedelta(days=1 + i % 20)
        minute = 9 * 60 + rng.randrange(0, 6 * 60)
        slot = dt.datetime.combine(day, dt.time(minute // 60, minute % 60))
        out.append(
            [random_id(rng, born, rng.random() < 0.5).value, rng.choice(["benefit", "enroll;card"]), slot]
        )
    return out


def as_csv(table: list[list[object]], encoding: str, sep: str = ",") -> bytes:
    def cell(v: object) -> str:
        return f"{v.year}/{v.month}/{v.day} {v.hour}:{v.minute:02d}" if isinstance(v, dt.datetime) else str(v)

    return ("\r\n".join(sep.join(cell(v) for v in r) for r in table) + "\r\n").encode(encoding)


def as_xlsx(table: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    for r in table:
        book.active.append(r)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_once(config, data: bytes, expected: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(Path(tmp) / "h.db")
        store = AppointmentStore(db, config, FixedClock(NOW), b"k" * 32)
        start = time.perf_counter()
        booked = store.import_file(data, "bench")
        took = time.perf_counter() - start
        db.dispose()
        assert len(booked) == expected
        store.db.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    config = load_config(REPO / "config.toml")
    table = rows(args.rows)
    files = {
        "CSV UTF-8 (BOM)": as_csv(table, "utf-8-sig"),
        "CSV GB18030": as_csv(table, "gb18030"),
        "Unicode 文本 (UTF-16, tabs)": as_csv(table, "utf-16", "\t"),
        ".xlsx": as_xlsx(table),
    }
    print(f"{args.rows} bookings, median of {args.runs} runs; peak Python memory from one more traced run")
    for name, data in files.items():
        times = []
        for _ in range(args.runs):
            times.append(import_once(config, data, args.rows))
        tracemalloc.start()  # a separate run: tracing slows Python down several times
        import_once(config, data, args.rows)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(
            f"  {name:28s} {len(data) / 1024:7.0f} KB  {statistics.median(times):6.2f} s"
            f"  peak {peak / 2**20:5.1f} MiB"
        )


if __name__ == "__main__":
    main()
