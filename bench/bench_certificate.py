"""Time to build and render a 36-month 参保证明, and the raster bytes it sends to the printer.

Run: uv run python bench/bench_certificate.py [--runs N]
Uses a private temp folder (demo records, register, signing key); prints one figure per line.
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from onevisit.core.config import load_config
from onevisit.records.certificate import build_certificate
from onevisit.records.render import raster_bytes, render_pages
from onevisit.sim.records.demo_backend import demo_id, open_backend, seed_demo

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    now = dt.datetime(2026, 11, 23, 9, 12, tzinfo=ZoneInfo("Asia/Shanghai"))
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(REPO / "config.toml", Path(tmp) / "config.toml")
        config = load_config(Path(tmp) / "config.toml")
        seed_demo(config.path(config.records.database), now.date())
        backend = open_backend(config)
        who = demo_id("gap", now.date())
        build_certificate(config, backend, who, "36", now)  # key creation and font loading out of the timing
        for width in (576, 384):
            builds, renders, totals = [], [], []
            for _ in range(args.runs):
                t0 = time.perf_counter()
                cert = build_certificate(config, backend, who, "36", now)
                t1 = time.perf_counter()
                pages = render_pages(cert, width, page_max_mm=config.records.page_max_mm)
                t2 = time.perf_counter()
                builds.append((t1 - t0) * 1000)
                renders.append((t2 - t1) * 1000)
                totals.append((t2 - t0) * 1000)
            print(f"width {width} dots, 36 months, {args.runs} runs")
            print(f"  build (query + number + sign): median {statistics.median(builds):.1f} ms")
            print(f"  render pages:                  median {statistics.median(renders):.1f} ms")
            print(
                f"  total:                         median {statistics.median(totals):.1f} ms, max {max(totals):.1f} ms"
            )
            print(f"  pages: {len(pages)}, heights {[p.height for p in pages]} dots")
            print(f"  raster bytes to printer (GS v 0): {raster_bytes(pages):,}")
        cert = build_certificate(config, backend, demo_id("long_history", now.date()), "all", now)
        t0 = time.perf_counter()
        pages = render_pages(cert, 576, page_max_mm=config.records.page_max_mm)
        print(
            f"long history 'all' ({len(cert.rows)} rows): render {(time.perf_counter() - t0) * 1000:.0f} ms, "
            f"{len(pages)} pages, {raster_bytes(pages):,} raster bytes"
        )


if __name__ == "__main__":
    main()
